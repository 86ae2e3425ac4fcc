import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { sha256File } from '../util/file_chunks.ts';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tc from '@actions/tool-cache';
import { EnvHttpProxyAgent, fetch, type Response } from 'undici';
import type { GoVersionSpec } from './version.ts';
import { goVersionFromFile, matchGoVersion, parseGoVersionSpec, satisfies, toGoVersion, toSemver } from './version.ts';

const run = promisify(execFile);

export interface GoSetupOptions {
  /** go-version input: "1.23", "1.23.4", "^1.22", "stable", … (wins over versionFile). */
  version?: string;
  /** go-version-file input: go.mod, go.work, .go-version or .tool-versions. */
  versionFile?: string;
  /** Where release archives are downloaded from: `${baseUrl}/${filename}`. Default https://go.dev/dl */
  baseUrl?: string;
  /** Release list. Default `${baseUrl}/?mode=json&include=all`. */
  manifestUrl?: string;
  /** Resolve the spec against the release list first, so only the newest match is accepted. */
  checkLatest?: boolean;
  /** Environment for the `go` on PATH check (PATH, GO). Default process.env. */
  env?: NodeJS.ProcessEnv;
  log: (m: string) => void;
  warn: (m: string) => void;
  /** Go or Node spelling (amd64/x64, arm64, 386/ia32, …). Default from process.arch. */
  arch?: string;
  /** Go spelling (linux, darwin). Default from process.platform. */
  platform?: string;
}

export interface GoSetupResult {
  /** GOROOT of the chosen toolchain; add `${goroot}/bin` to PATH. */
  goroot: string;
  /** Absolute path of its `go` binary (for PATH hits without a GOROOT/bin/go: the command run). */
  goBinary: string;
  /** Go's spelling without "go": "1.23.4", "1.24rc1". */
  version: string;
  source: 'path' | 'tool-cache' | 'download';
}

/** One file of a release in https://go.dev/dl/?mode=json&include=all. */
export interface GoReleaseFile {
  filename: string;
  os: string;
  arch: string;
  version: string;
  sha256: string;
  size: number;
  kind: string;
}

export interface GoRelease {
  version: string;
  stable: boolean;
  files: GoReleaseFile[];
}

const DEFAULT_BASE_URL = 'https://go.dev/dl';

/** Node's process.arch → Go's GOARCH spelling in the release list. */
const GO_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  ia32: '386',
  arm: 'armv6l',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
};
const GO_OS: Record<string, string> = { linux: 'linux', darwin: 'darwin', win32: 'windows', freebsd: 'freebsd' };

function goArchOf(arch: string): string {
  return GO_ARCH[arch] ?? arch;
}

/** The tool-cache directory uses Node's arch names (x64), like setup-go and the hosted runners' images. */
function cacheArchOf(goArch: string): string {
  for (const [node, go] of Object.entries(GO_ARCH)) if (go === goArch) return node;
  return goArch;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
}

/**
 * Makes the requested Go toolchain available the way actions/setup-go does, without touching
 * PATH: a `go` on PATH that satisfies the spec, else one in the runner's tool cache, else the
 * newest matching release from the Go download list (sha256-verified, then cached).
 * Returns undefined when neither `version` nor `versionFile` is given.
 */
export async function setupGo(opts: GoSetupOptions): Promise<GoSetupResult | undefined> {
  const env = opts.env ?? process.env;
  const wanted = wantedSpec(opts);
  if (!wanted) return undefined;
  const { label } = wanted;
  let spec: GoVersionSpec;
  try {
    spec = parseGoVersionSpec(wanted.spec);
  } catch (err) {
    throw new Error(`${label}: ${firstLine(err)}`);
  }

  const goArch = goArchOf(opts.arch ?? process.arch);
  const cacheArch = cacheArchOf(goArch);
  const platform = opts.platform ?? GO_OS[process.platform] ?? process.platform;
  const baseUrl = (opts.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const manifestUrl = opts.manifestUrl ?? `${baseUrl}/?mode=json&include=all`;
  let releases: GoRelease[] | undefined;
  const loadReleases = async (): Promise<GoRelease[]> => (releases ??= await fetchReleases(manifestUrl));

  // stable/oldstable always, any spec with check-latest: pin the newest matching release first.
  let picked: { release: GoRelease; file: GoReleaseFile } | undefined;
  if (spec.kind === 'alias' || opts.checkLatest) {
    let list: GoRelease[] | undefined;
    try {
      list = await loadReleases();
    } catch (err) {
      // Like setup-go: check-latest is best effort, an alias cannot be resolved without the list.
      if (spec.kind === 'alias') throw err;
      opts.warn(`check-latest: ${firstLine(err)}; looking for ${label} on PATH and in the tool cache`);
    }
    if (list) picked = pickRelease(list, spec, label, platform, goArch);
  }
  if (picked) {
    opts.log(`${label} resolved to Go ${toGoVersion(picked.release.version)}`);
    spec = parseGoVersionSpec(toSemver(picked.release.version));
  }

  const onPath = await goOnPath(env);
  if (onPath && satisfies(onPath.version, spec)) {
    opts.log(`Using Go ${onPath.version} from PATH (${onPath.goBinary}): it satisfies ${label}`);
    return { goroot: onPath.goroot, goBinary: onPath.goBinary, version: onPath.version, source: 'path' };
  }
  if (onPath) opts.log(`Go ${onPath.version} on PATH does not satisfy ${label}`);

  // @actions/tool-cache reads RUNNER_TOOL_CACHE from process.env on every call.
  const toolCache = process.env.RUNNER_TOOL_CACHE;
  if (toolCache) {
    const cached = matchGoVersion(spec, tc.findAllVersions('go', cacheArch));
    const dir = cached ? tc.find('go', cached, cacheArch) : '';
    if (dir && existsSync(join(dir, 'bin', 'go'))) {
      const version = toGoVersion(cached!);
      opts.log(`Using Go ${version} from the tool cache (${dir})`);
      return { goroot: dir, goBinary: join(dir, 'bin', 'go'), version, source: 'tool-cache' };
    }
  }

  picked ??= pickRelease(await loadReleases(), spec, label, platform, goArch);
  const version = toGoVersion(picked.release.version);
  if (!toolCache) {
    throw new Error(`cannot install Go ${version}: RUNNER_TOOL_CACHE is not set (it names the tool cache directory)`);
  }
  const goroot = await installRelease(picked.file, `${baseUrl}/${picked.file.filename}`, version, cacheArch, opts);
  return { goroot, goBinary: join(goroot, 'bin', 'go'), version, source: 'download' };
}

function wantedSpec(opts: GoSetupOptions): { spec: string; label: string } | undefined {
  const version = opts.version?.trim();
  const file = opts.versionFile?.trim();
  if (version && file) {
    opts.warn('Both go-version and go-version-file are set; using go-version');
  }
  if (version) return { spec: version, label: `go-version "${version}"` };
  if (file) {
    const spec = goVersionFromFile(file);
    return { spec, label: `go-version "${spec}" (from ${file})` };
  }
  return undefined;
}

interface PathGo {
  goBinary: string;
  goroot: string;
  version: string;
}

/** The `go` that PATH (or $GO) runs, asked with GOTOOLCHAIN=local so it reports itself. */
async function goOnPath(env: NodeJS.ProcessEnv): Promise<PathGo | undefined> {
  const go = env.GO && env.GO !== '' ? env.GO : 'go';
  try {
    const { stdout } = await run(go, ['env', 'GOVERSION', 'GOROOT'], {
      env: { ...env, GOTOOLCHAIN: 'local' },
      timeout: 60_000,
    });
    const [goversion = '', goroot = ''] = stdout.split('\n').map((l) => l.trim());
    const version = goversion.split(/\s+/)[0]!.replace(/^go/, '');
    const binary = goroot ? join(goroot, 'bin', 'go') : '';
    return { goBinary: binary && existsSync(binary) ? binary : go, goroot, version };
  } catch {
    return undefined; // not installed or not working: fall through to the tool cache / download
  }
}

let dispatcher: EnvHttpProxyAgent | undefined;

/** go.dev's full list (include=all) is a few MiB; a mirror sending more is refused. */
const MAX_RELEASE_LIST_BYTES = 64 * 1024 * 1024;

async function readCapped(res: Response, max: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of res.body ?? []) {
    n += chunk.length;
    if (n > max) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`the answer is larger than ${max / (1024 * 1024)} MiB`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function fetchReleases(url: string): Promise<GoRelease[]> {
  dispatcher ??= new EnvHttpProxyAgent();
  let body: unknown;
  try {
    const res = await fetch(url, { dispatcher, signal: AbortSignal.timeout(60_000) });
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(String(res.status));
    }
    body = JSON.parse(await readCapped(res, MAX_RELEASE_LIST_BYTES));
  } catch (err) {
    throw new Error(`cannot fetch the Go release list ${url}: ${firstLine(err)}`);
  }
  if (!Array.isArray(body) || !body.every((r) => r && typeof r.version === 'string' && Array.isArray(r.files))) {
    throw new Error(`the Go release list ${url} is not a JSON array of releases`);
  }
  return body as GoRelease[];
}

function archiveFor(release: GoRelease, platform: string, goArch: string): GoReleaseFile | undefined {
  return release.files.find(
    (f) =>
      f !== null &&
      typeof f === 'object' &&
      f.os === platform &&
      f.arch === goArch &&
      (f.kind ?? 'archive') === 'archive' &&
      typeof f.filename === 'string' &&
      f.filename.endsWith('.tar.gz'),
  );
}

/** Go's release names: go1.23.4, go1.24rc1, go1.21beta2 (nothing else, so nothing path-like). */
const GO_RELEASE_VERSION = /^go[0-9]{1,4}(?:\.[0-9]{1,4}){0,2}(?:(?:rc|beta)[0-9]{1,4})?$/;

/** A value from the release list, quoted and shortened for a one-line message. */
function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

/**
 * The release list's file name becomes a download URL and a file under RUNNER_TEMP: only the
 * name Go gives its archives, `go<version>.<os>-<arch>.tar.gz` for the release's own version, is
 * accepted (no `../`, no slash, no other name), and the checksum must be sha256 hex if present.
 */
function checkArchive(release: GoRelease, file: GoReleaseFile, platform: string, goArch: string): void {
  if (!GO_RELEASE_VERSION.test(release.version)) {
    throw new Error(`the Go release list names a release ${shown(release.version)}, which is not a Go version (go1.23.4, go1.24rc1)`);
  }
  const expected = `${release.version}.${platform}-${goArch}.tar.gz`;
  if (file.filename !== expected) {
    throw new Error(`the Go release list names the ${platform}-${goArch} archive of ${release.version} ${shown(file.filename)}, expected "${expected}"`);
  }
  if (file.sha256 !== undefined && file.sha256 !== null && file.sha256 !== '' && (typeof file.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(file.sha256))) {
    throw new Error(`the Go release list gives ${expected} the checksum ${shown(file.sha256)}, which is not sha256 hex`);
  }
}

function pickRelease(
  releases: GoRelease[],
  spec: GoVersionSpec,
  label: string,
  platform: string,
  goArch: string,
): { release: GoRelease; file: GoReleaseFile } {
  const usable = releases.filter((r) => archiveFor(r, platform, goArch));
  const version = matchGoVersion(spec, usable.map((r) => r.version));
  if (version) {
    const release = usable.find((r) => r.version === version)!;
    const file = archiveFor(release, platform, goArch)!;
    checkArchive(release, file, platform, goArch);
    return { release, file };
  }
  const elsewhere = matchGoVersion(spec, releases.map((r) => r.version));
  if (elsewhere) {
    throw new Error(`${label}: Go ${toGoVersion(elsewhere)} has no ${platform}-${goArch}.tar.gz archive`);
  }
  const newest = matchGoVersion('stable', usable.map((r) => r.version));
  throw new Error(`${label}: no Go release matches (newest is ${newest ? toGoVersion(newest) : 'unknown'})`);
}

/** Downloads, verifies, extracts and caches one release archive; returns its tool-cache GOROOT. */
async function installRelease(
  file: GoReleaseFile,
  url: string,
  version: string,
  cacheArch: string,
  opts: GoSetupOptions,
): Promise<string> {
  const work = join(process.env.RUNNER_TEMP || tmpdir(), `setup-go-${randomUUID()}`);
  await mkdir(work, { recursive: true });
  try {
    opts.log(`Downloading Go ${version} from ${url}`);
    let archive: string;
    try {
      archive = await tc.downloadTool(url, join(work, file.filename));
    } catch (err) {
      throw new Error(`cannot download ${url}: ${err instanceof tc.HTTPError ? err.httpStatusCode : firstLine(err)}`);
    }
    const expected = file.sha256?.toLowerCase();
    if (expected) {
      const actual = await sha256File(archive);
      if (actual !== expected) {
        throw new Error(`checksum mismatch for ${url}: the release list says sha256 ${expected}, the download is ${actual}`);
      }
    } else {
      opts.warn(`The Go release list has no sha256 for ${file.filename}; not verified`);
    }
    let extracted: string;
    try {
      extracted = await tc.extractTar(archive, join(work, 'x'));
    } catch (err) {
      throw new Error(`cannot extract ${file.filename}: ${firstLine(err)}`);
    }
    const root = join(extracted, 'go');
    if (!existsSync(join(root, 'bin', 'go'))) throw new Error(`${file.filename} has no go/bin/go`);
    await rm(archive, { force: true });
    const dir = await tc.cacheDir(root, 'go', toSemver(version), cacheArch);
    opts.log(`Installed Go ${version} in ${dir}`);
    return dir;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
