// gazelle's go_deps overrides from MODULE.bazel, applied to `go build` the way they shape Bazel's
// build, without touching the user's go.mod or go.sum:
// - go_deps.module_override(path, patches, patch_strip): the module's source, at the version the
//   build list selects, comes from the module cache (`go mod download -json`, which go verifies
//   against go.sum and the checksum database), is copied to a directory named by the hash of the
//   module's sum and the patches, and patched there;
// - go_deps.archive_override(path, urls, sha256, strip_prefix, patches, patch_strip): the module's
//   source is the archive (sha256 required: the URLs are untrusted), downloaded once into such a
//   directory, then patched;
// - go_deps.module(path, version, sum): a requirement added by `go get` when it raises the build
//   list (minimal version selection keeps the higher of go.mod's and the tag's), its sum checked;
// and wired in with a generated `-modfile`: a copy of go.mod (with go.sum beside it) whose
// `replace` lines point at those trees, published as module versions of their own (see
// replaceWithProxyVersions). The copy is named by the hash of its bytes, so the go build
// arguments change whenever an override does.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'semver';
import { BuildError, formatSourcePosition, type SourcePosition } from '../errors.ts';
import type { GoArchiveOverride, GoDepsInfo, GoDepsPatch, GoModuleOverride } from '../workspace/module_file.ts';
import { applyPatch, PatchError } from './patch.ts';
import { writeFileAtomic } from '../util/write_atomic.ts';
import { writeProxyModule } from './module_zip.ts';
import { pathToFileURL } from 'node:url';

export const GO_DEPS_DIR = join('cache', 'go-deps');
export const GO_MODFILES_DIR = join('cache', 'go-modfiles');
export const GO_PROXY_DIR = join('cache', 'go-proxy');
/** How long one archive download may take. */
export const ARCHIVE_TIMEOUT_MS = 120_000;
/** Archives larger than this are refused. */
export const ARCHIVE_MAX_BYTES = 512 * 1024 * 1024;

export interface ModfileRequest {
  go: string;
  moduleRoot: string;
  workspaceRoot: string;
  outRoot: string;
  goDeps: GoDepsInfo;
  env: NodeJS.ProcessEnv;
  log?: (message: string) => void;
}

interface GoRun {
  code: number;
  stdout: string;
  stderr: string;
}

function runGo(go: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<GoRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(go, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => reject(new Error(`cannot run ${go}: ${e.message}`)));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

function goEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, GOTOOLCHAIN: 'local', GOFLAGS: env.GOFLAGS ?? '' };
}

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** A tag's name for messages: `MODULE.bazel:12:1: go_deps.module_override(path = "x")`. */
/** The MODULE.bazel tag an error is about: its position and `go_deps.<kind>(path = "…")`, as data. */
function where(kind: string, tag: { path: string; pos: { file: string; line: number; column: number } }): OverrideTag {
  return { pos: tag.pos, label: `go_deps.${kind}(path = "${tag.path}")` };
}

interface OverrideTag {
  pos: SourcePosition;
  label: string;
}

function describeTag(what: OverrideTag): string {
  return `${formatSourcePosition(what.pos)}: ${what.label}`;
}

/** Module versions as Go compares them (vMAJOR.MINOR.PATCH[-pre][+build]); anything else by its text. */
export function compareSemver(a: string, b: string): number {
  const x = a.startsWith('v') ? parse(a.slice(1)) : null;
  const y = b.startsWith('v') ? parse(b.slice(1)) : null;
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0;
  return x.compare(y);
}

async function readPatches(workspaceRoot: string, patches: readonly GoDepsPatch[], what: OverrideTag): Promise<Array<{ patch: GoDepsPatch; text: string }>> {
  const out: Array<{ patch: GoDepsPatch; text: string }> = [];
  for (const patch of patches) {
    let data: Buffer;
    try {
      data = await readFile(join(workspaceRoot, patch.path));
    } catch {
      throw new BuildError(`patch ${patch.label}: no such file ${patch.path}`, what);
    }
    out.push({ patch, text: data.toString('latin1') });
  }
  return out;
}

/** Copies a module tree: regular files and directories only (module zips hold nothing else), made writable. */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const e of await readdir(from, { withFileTypes: true })) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory()) await copyTree(src, dst);
    else if (e.isFile()) {
      await copyFile(src, dst);
      const mode = (await stat(src)).mode & 0o111 ? 0o755 : 0o644;
      await chmod(dst, mode);
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes `dir` (content-keyed) once: `fill` writes into a fresh temporary directory beside it,
 * which is then renamed into place, so a half-made copy is never used. A concurrent build that
 * made it first wins.
 */
async function makeOnce(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  if (await exists(dir)) return;
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
    try {
      await rename(tmp, dir);
    } catch (err) {
      if (!(await exists(dir))) throw err;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Applies the patches in order, then gives the tree a go.mod if it has none (a replacement directory needs one). */
async function patchTree(dir: string, modulePath: string, patches: Array<{ patch: GoDepsPatch; text: string }>, strip: number, what: OverrideTag, version: string): Promise<void> {
  for (const { patch, text } of patches) {
    try {
      await applyPatch(dir, text, strip);
    } catch (err) {
      if (err instanceof PatchError) throw new BuildError(`patch ${patch.label} does not apply to ${modulePath}${version}: ${err.message}`, what);
      throw err;
    }
  }
  if (!(await exists(join(dir, 'go.mod')))) await writeFile(join(dir, 'go.mod'), `module ${modulePath}\n`);
}

function patchKey(patches: Array<{ patch: GoDepsPatch; text: string }>, strip: number): string {
  return JSON.stringify({ strip, patches: patches.map((p) => [p.patch.label, sha256(Buffer.from(p.text, 'latin1'))]) });
}

function dirName(path: string, version: string, key: string): string {
  return `${path.replaceAll('/', '_')}@${version}-${key.slice(0, 24)}`;
}

/** The version the overridden module is published under in our proxy: the selected one's release, a pre-release naming the content. */
export function overrideVersion(selected: string, key: string): string {
  const m = /^(v\d+\.\d+\.\d+)/.exec(selected);
  const base = m ? (m[1] as string) : 'v0.0.0';
  return `${base}-ocibuild.${key.slice(0, 16)}${selected.endsWith('+incompatible') ? '+incompatible' : ''}`;
}

interface OverrideTree {
  /** The module path. */
  path: string;
  /** The patched (or extracted) tree, content-keyed. */
  dir: string;
  /** The version the build list selects for the module. */
  version: string;
  /** Hash of everything the tree was made from. */
  key: string;
}

async function moduleOverrideDir(req: ModfileRequest, tmpModfile: string, o: GoModuleOverride): Promise<OverrideTree | undefined> {
  const what = where('module_override', o);
  const patches = await readPatches(req.workspaceRoot, o.patches, what);
  const r = await runGo(req.go, ['mod', 'download', `-modfile=${tmpModfile}`, '-json', o.path], req.moduleRoot, goEnv(req.env));
  let info: { Version?: string; Dir?: string; Sum?: string; Error?: string };
  try {
    info = JSON.parse(r.stdout) as typeof info;
  } catch {
    throw new BuildError(`go mod download failed: ${(r.stderr.trim() || r.stdout.trim()).split('\n')[0]}`, what);
  }
  if (info.Error !== undefined && /not a known dependency/.test(info.Error)) {
    req.log?.(`${describeTag(what)}: ${o.path} is not a dependency of ${req.moduleRoot}/go.mod; the override changes nothing there`);
    return undefined;
  }
  if (info.Error !== undefined || r.code !== 0 || !info.Dir || !info.Version || !info.Sum) {
    throw new BuildError(`go mod download failed: ${info.Error ?? (r.stderr.trim().split('\n')[0] || 'no module directory reported')}`, what);
  }
  const key = sha256(JSON.stringify({ path: o.path, sum: info.Sum, patches: patchKey(patches, o.patchStrip) }));
  const dir = join(req.outRoot, GO_DEPS_DIR, dirName(o.path, info.Version, key));
  const src = info.Dir;
  const version = info.Version;
  await makeOnce(dir, async (tmp) => {
    await copyTree(src, tmp);
    await patchTree(tmp, o.path, patches, o.patchStrip, what, `@${version}`);
  });
  return { path: o.path, dir, version, key };
}

/** The archive's type, from the URL's path as Bazel's http_archive decides it. */
function archiveType(url: URL): 'tar.gz' | 'tar' | 'zip' | undefined {
  const p = url.pathname.toLowerCase();
  if (p.endsWith('.tar.gz') || p.endsWith('.tgz')) return 'tar.gz';
  if (p.endsWith('.tar')) return 'tar';
  if (p.endsWith('.zip')) return 'zip';
  return undefined;
}

async function download(url: URL, dest: string): Promise<string> {
  const res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(ARCHIVE_TIMEOUT_MS) });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  const h = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > ARCHIVE_MAX_BYTES) throw new Error(`larger than ${ARCHIVE_MAX_BYTES} bytes`);
    h.update(chunk);
    chunks.push(Buffer.from(chunk));
  }
  await writeFile(dest, Buffer.concat(chunks));
  return h.digest('hex');
}

function run(cmd: string, args: string[], cwd: string): Promise<GoRun> {
  return runGo(cmd, args, cwd, process.env);
}

async function archiveOverrideDir(req: ModfileRequest, tmpModfile: string, o: GoArchiveOverride): Promise<OverrideTree | undefined> {
  const what = where('archive_override', o);
  if (o.sha256 === undefined) throw new BuildError(`"sha256" is required here: an archive from a URL is only used when its hash is pinned`, what);
  const patches = await readPatches(req.workspaceRoot, o.patches, what);
  const listed = await runGo(req.go, ['list', `-modfile=${tmpModfile}`, '-m', '-json', o.path], req.moduleRoot, goEnv(req.env));
  const version = listed.code === 0 ? (JSON.parse(listed.stdout) as { Version?: string }).Version : undefined;
  if (version === undefined) {
    req.log?.(`${describeTag(what)}: ${o.path} is not a dependency of ${req.moduleRoot}/go.mod; the override changes nothing there`);
    return undefined;
  }
  const key = sha256(JSON.stringify({ path: o.path, sha256: o.sha256, strip: o.stripPrefix, patches: patchKey(patches, o.patchStrip) }));
  const dir = join(req.outRoot, GO_DEPS_DIR, dirName(o.path, 'archive', key));
  const expected = o.sha256;
  await makeOnce(dir, async (tmp) => {
    const work = `${tmp}.work`;
    await mkdir(work, { recursive: true });
    try {
      const failures: string[] = [];
      let got: { file: string; type: 'tar.gz' | 'tar' | 'zip' } | undefined;
      for (const [i, text] of o.urls.entries()) {
        let url: URL;
        try {
          url = new URL(text);
        } catch {
          failures.push(`${text}: not a URL`);
          continue;
        }
        if (url.protocol !== 'https:' && url.protocol !== 'http:') {
          failures.push(`${url.protocol} URLs are not fetched`);
          continue;
        }
        const type = archiveType(url);
        if (!type) {
          failures.push(`${url.origin}${url.pathname}: not a .tar.gz, .tgz, .tar or .zip`);
          continue;
        }
        const file = join(work, `archive-${i}`);
        try {
          const digest = await download(url, file);
          if (digest !== expected) {
            failures.push(`${url.origin}${url.pathname}: sha256 ${digest} is not the sha256 given`);
            continue;
          }
        } catch (err) {
          const e = err as Error & { cause?: { code?: string; message?: string } };
          failures.push(`${url.origin}${url.pathname}: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
          continue;
        }
        got = { file, type };
        break;
      }
      if (!got) throw new BuildError(`cannot get the archive (${failures.join('; ')})`, what);
      const out = join(work, 'x');
      await mkdir(out);
      const r =
        got.type === 'zip'
          ? await run('unzip', ['-q', got.file, '-d', out], work)
          : await run('tar', [got.type === 'tar.gz' ? '-xzf' : '-xf', got.file, '-C', out, '--no-same-owner', '--no-same-permissions'], work);
      if (r.code !== 0) throw new BuildError(`cannot extract the archive: ${r.stderr.trim().split('\n')[0]}`, what);
      const prefix = o.stripPrefix.replace(/^\/+|\/+$/g, '');
      if (prefix.split('/').includes('..')) throw new BuildError(`strip_prefix "${o.stripPrefix}" may not contain ".."`, what);
      const root = prefix === '' ? out : join(out, prefix);
      if (!(await exists(root)) || !(await stat(root)).isDirectory()) throw new BuildError(`strip_prefix "${o.stripPrefix}" is not a directory of the archive`, what);
      await copyTree(root, tmp);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    await patchTree(tmp, o.path, patches, o.patchStrip, what, ' (archive)');
  });
  return { path: o.path, dir, version, key };
}

/** `path version h1:…` lines of a go.sum, by "path version". */
function sumLines(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 3) m.set(`${f[0]} ${f[1]}`, f[2] as string);
  }
  return m;
}

async function addRequirement(req: ModfileRequest, tmpModfile: string, tag: { path: string; version: string; sum?: string; pos: GoModuleOverride['pos'] }): Promise<void> {
  const what = where('module', tag);
  const env = goEnv(req.env);
  const cur = await runGo(req.go, ['list', `-modfile=${tmpModfile}`, '-m', '-json', tag.path], req.moduleRoot, env);
  if (cur.code === 0) {
    const v = (JSON.parse(cur.stdout) as { Version?: string }).Version;
    // Minimal version selection: go.mod's higher version stands.
    if (v !== undefined && compareSemver(v, tag.version) >= 0) return;
  }
  const got = await runGo(req.go, ['get', `-modfile=${tmpModfile}`, `${tag.path}@${tag.version}`], req.moduleRoot, env);
  if (got.code !== 0) throw new BuildError(`go get ${tag.path}@${tag.version} failed: ${got.stderr.trim().split('\n').at(-1)}`, what);
  if (tag.sum !== undefined) {
    const have = sumLines(await readFile(tmpModfile.replace(/\.mod$/, '.sum'), 'utf8')).get(`${tag.path} ${tag.version}`);
    if (have !== tag.sum) throw new BuildError(`sum ${tag.sum} does not match the module's ${have ?? '(none)'} (go verified ${tag.path}@${tag.version} against the checksum database)`, what);
  }
}

/**
 * Points go.mod at the override trees. A `replace` to a directory would put that directory's
 * absolute path into every binary's build info (-trimpath keeps it), so a binary would depend on
 * where the output tree is. Instead each tree is published as a module version of its own
 * (`<release>-ocibuild.<content hash>`) in a `file://` proxy under the output tree, its hashes
 * go into the go.sum copy, `go mod download` puts it in the module cache (checking those hashes),
 * and go.mod says `replace path => path <that version>`: the build info names the version and its
 * hash, the same on every machine.
 */
async function replaceWithProxyVersions(req: ModfileRequest, modfile: string, sumfile: string, trees: readonly OverrideTree[]): Promise<string[]> {
  const env = goEnv(req.env);
  const proxyRoot = join(req.outRoot, GO_PROXY_DIR);
  const parsed = await runGo(req.go, ['mod', 'edit', '-json', modfile], req.moduleRoot, env);
  if (parsed.code !== 0) throw new BuildError(`${join(req.moduleRoot, 'go.mod')}: ${parsed.stderr.trim().split('\n')[0]}`);
  const replace = (JSON.parse(parsed.stdout) as { Replace?: Array<{ Old: { Path: string; Version?: string } }> | null }).Replace ?? [];
  const overridden = new Set(trees.map((t) => t.path));
  const flags: string[] = [];
  // The override replaces whatever go.mod replaced the module with, as in Bazel.
  for (const r of replace) if (overridden.has(r.Old.Path)) flags.push(`-dropreplace=${r.Old.Path}${r.Old.Version ? `@${r.Old.Version}` : ''}`);
  let sums = await readFile(sumfile, 'utf8');
  if (sums !== '' && !sums.endsWith('\n')) sums += '\n';
  const versions: string[] = [];
  for (const t of trees) {
    const version = overrideVersion(t.version, t.key);
    const published = await writeProxyModule(proxyRoot, t.path, version, t.dir);
    flags.push(`-replace=${t.path}=${t.path}@${version}`);
    sums += `${t.path} ${version} ${published.sum}\n${t.path} ${version}/go.mod ${published.goModSum}\n`;
    versions.push(`${t.path}@${version}`);
  }
  await writeFile(sumfile, sums);
  const edited = await runGo(req.go, ['mod', 'edit', ...flags, modfile], req.moduleRoot, env);
  if (edited.code !== 0) throw new BuildError(`go_deps overrides: go mod edit failed: ${edited.stderr.trim().split('\n')[0]}`);
  // Only our proxy, no checksum database (go.sum has the hashes), whatever GOPRIVATE says.
  const proxyEnv: NodeJS.ProcessEnv = { ...env, GOPROXY: pathToFileURL(proxyRoot).href, GOSUMDB: 'off', GONOPROXY: '', GONOSUMDB: '', GOPRIVATE: '', GOINSECURE: '' };
  const got = await runGo(req.go, ['mod', 'download', '-json', `-modfile=${modfile}`, ...versions], req.moduleRoot, proxyEnv);
  const infos = got.stdout.trim() === '' ? [] : got.stdout.trim().split(/\n(?=\{)/).map((j) => JSON.parse(j) as { Dir?: string; Error?: string });
  const failed = infos.find((i) => i.Error !== undefined)?.Error;
  if (got.code !== 0 || failed !== undefined) {
    throw new BuildError(`go_deps overrides: cannot put ${versions.join(', ')} in the module cache: ${failed ?? got.stderr.trim().split('\n')[0]}`);
  }
  return infos.flatMap((i) => (i.Dir ? [i.Dir] : []));
}

/**
 * What the generated modfile is made from: go.mod, go.sum, the go_deps tags with the bytes of
 * their patches, and the settings that decide where modules come from. An equal key with the
 * modfile and the published module versions still in place skips the go processes (0.7 s here).
 */
async function inputsKey(req: ModfileRequest): Promise<string> {
  const read = (p: string) => readFile(p).catch(() => Buffer.alloc(0));
  const h = createHash('sha256');
  h.update(JSON.stringify({ v: 1, go: req.go, root: req.moduleRoot, env: ['GOFLAGS', 'GOPROXY', 'GOPRIVATE', 'GONOPROXY', 'GONOSUMDB', 'GOSUMDB', 'GOMODCACHE', 'GOPATH', 'HOME', 'GOWORK'].map((k) => req.env[k] ?? null) }));
  h.update(await read(join(req.moduleRoot, 'go.mod')));
  h.update('\0');
  h.update(await read(join(req.moduleRoot, 'go.sum')));
  const g = req.goDeps;
  const strip = <T extends { pos: unknown }>(t: T) => ({ ...t, pos: undefined });
  h.update(JSON.stringify({ m: [...g.moduleOverrides.values()].map(strip), a: [...g.archiveOverrides.values()].map(strip), r: [...g.modules.values()].map(strip) }));
  for (const o of [...g.moduleOverrides.values(), ...g.archiveOverrides.values()]) {
    for (const p of o.patches) h.update(`\0${p.path}\0`).update(await read(join(req.workspaceRoot, p.path)));
  }
  return h.digest('hex');
}

interface RememberedModfile {
  modfile: string;
  moduleDirs: string[];
}

const memo = new WeakMap<GoDepsInfo, Map<string, Promise<string | undefined>>>();

/**
 * The `-modfile` for builds in `moduleRoot` under the go_deps overrides, or undefined when none
 * changes anything. Made once per module root and build (the same MODULE.bazel evaluation).
 */
export function goModfile(req: ModfileRequest): Promise<string | undefined> {
  let byRoot = memo.get(req.goDeps);
  if (!byRoot) {
    byRoot = new Map();
    memo.set(req.goDeps, byRoot);
  }
  const key = `${req.outRoot}\0${req.moduleRoot}`;
  let p = byRoot.get(key);
  if (!p) {
    p = makeModfile(req);
    byRoot.set(key, p);
  }
  return p;
}

async function makeModfile(req: ModfileRequest): Promise<string | undefined> {
  const g = req.goDeps;
  const moduleOverrides = [...g.moduleOverrides.values()].filter((o) => o.patches.length > 0 && !g.archiveOverrides.has(o.path));
  if (moduleOverrides.length === 0 && g.archiveOverrides.size === 0 && g.modules.size === 0) return undefined;
  const record = join(req.outRoot, GO_MODFILES_DIR, `inputs-${await inputsKey(req)}.json`);
  try {
    const rec = JSON.parse(await readFile(record, 'utf8')) as RememberedModfile;
    const present = await Promise.all([rec.modfile, ...rec.moduleDirs].map(exists));
    if (present.every(Boolean)) return rec.modfile;
  } catch {
    // not made yet
  }
  const tmpRoot = join(req.outRoot, 'tmp');
  await mkdir(tmpRoot, { recursive: true });
  const tmp = await mkdtemp(join(tmpRoot, 'modfile-'));
  try {
    const modfile = join(tmp, 'go.mod');
    const sumfile = join(tmp, 'go.sum');
    await copyFile(join(req.moduleRoot, 'go.mod'), modfile);
    const userSum = await readFile(join(req.moduleRoot, 'go.sum'), 'utf8').catch(() => '');
    await writeFile(sumfile, userSum);

    for (const tag of g.modules.values()) await addRequirement(req, modfile, tag);

    const trees: OverrideTree[] = [];
    for (const o of moduleOverrides) {
      const t = await moduleOverrideDir(req, modfile, o);
      if (t) trees.push(t);
    }
    for (const o of g.archiveOverrides.values()) {
      const t = await archiveOverrideDir(req, modfile, o);
      if (t) trees.push(t);
    }
    const moduleDirs = trees.length > 0 ? await replaceWithProxyVersions(req, modfile, sumfile, trees) : [];

    const modBytes = await readFile(modfile);
    const sumBytes = await readFile(sumfile);
    const dir = join(req.outRoot, GO_MODFILES_DIR, sha256(Buffer.concat([modBytes, Buffer.from('\0'), sumBytes])));
    if (!(await exists(join(dir, 'go.mod')))) {
      await writeFileAtomic(join(dir, 'go.sum'), sumBytes);
      await writeFileAtomic(join(dir, 'go.mod'), modBytes);
    }
    const rec: RememberedModfile = { modfile: join(dir, 'go.mod'), moduleDirs };
    await writeFileAtomic(record, JSON.stringify(rec));
    return rec.modfile;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
