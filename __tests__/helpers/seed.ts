// Seeds a tiny multi-arch "distroless-like" base image into a test registry, twice:
//
//   <host>/<repo>-oci:latest     OCI index of two OCI manifests (gzip OCI layers). Built as an
//                                OCI layout with the project's own writers (src/tar, src/oci)
//                                and copied with `skopeo copy --all oci:<layout>:latest ...`.
//   <host>/<repo>-docker:latest  Docker manifest list of two Docker v2s2 manifests (gzip Docker
//                                layers). Each platform is `docker load`ed into the daemon from a
//                                docker-archive of the same rootfs/config, tagged and `docker
//                                push`ed as :latest-<arch> (the daemon compresses the layer), then
//                                `docker manifest create --insecure` + `docker manifest push
//                                --insecure --purge` write the list. All docker commands run with
//                                a private DOCKER_CONFIG (credentials of this call only, no local
//                                manifest lists left behind).
//
// Every digest in the result is read back from the registry with `skopeo inspect --raw` (the
// sha256 of the exact bytes the registry serves), never taken from what was built.
//
// Each platform's rootfs: /etc/passwd (root, nonroot 65532), /etc/group, /root (0700),
// /home/nonroot (0700, 65532:65532), /etc/ssl/certs/ca-certificates.crt (this machine's bundle),
// /tmp (1777) and /etc/base-release = "base <arch>\n"; all mtimes 0. Config: Env PATH and
// SSL_CERT_FILE, User "", WorkingDir "/", label org.opencontainers.image.title=seed-base,
// created 1970-01-01T00:00:00Z. The OCI and the Docker image share the same config bytes (so
// their config digests are equal); the daemon's image ID is that digest.
//
// Repeated calls are cheap: the rootfs tars, the OCI layout and the docker-archives are cached
// under ${os.tmpdir()}/oci-build-test-cache/seed/<key>/, key = sha256 of this file's source and
// of the CA bundle; `docker load` is skipped when the daemon already has the image ID. Only the
// pushes to the (new) registry are redone.
//
// Needs: a reachable Docker daemon (DOCKER_HOST; fails with a clear message otherwise), the
// docker CLI (with `docker manifest`), skopeo. The daemon must treat the registry as insecure:
// dockerd does so for 127.0.0.0/8 by default.

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { digestHex, sha256 } from '../../src/oci/digest.ts';
import { buildImage, EPOCH } from '../../src/oci/image.ts';
import { buildIndex } from '../../src/oci/imageindex.ts';
import { addLayer } from '../../src/oci/layer.ts';
import { writeLayout } from '../../src/oci/layout.ts';
import { DOCKER_CONFIG, DOCKER_LAYER_GZIP, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_CONFIG, OCI_INDEX, OCI_LAYER_GZIP, OCI_MANIFEST } from '../../src/oci/mediatypes.ts';
import type { TarEntry } from '../../src/tar/entry.ts';
import { writeTar } from '../../src/tar/writer.ts';
import { requireDocker } from './docker.ts';
import { skopeo, tempDir, removeDir, type RunResult } from './registry.ts';

const execFileP = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// What the base contains (exported so tests can compare against it)

export type SeedArch = 'amd64' | 'arm64';
export type SeedPlatform = 'linux/amd64' | 'linux/arm64';

export const SEED_ARCHES: readonly SeedArch[] = ['amd64', 'arm64'];
export const SEED_PLATFORMS: readonly SeedPlatform[] = ['linux/amd64', 'linux/arm64'];

export const SEED_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const SEED_CA_FILE = '/etc/ssl/certs/ca-certificates.crt';
export const SEED_ENV: readonly string[] = [`PATH=${SEED_PATH}`, `SSL_CERT_FILE=${SEED_CA_FILE}`];
export const SEED_LABELS: Readonly<Record<string, string>> = { 'org.opencontainers.image.title': 'seed-base' };
export const SEED_NONROOT_UID = 65532;
export const SEED_PASSWD = 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n';
export const SEED_GROUP = 'root:x:0:\nnonroot:x:65532:\n';
/** Repository suffixes: `<repo>-oci` and `<repo>-docker`. */
export const SEED_DEFAULT_REPOSITORY = 'base';

/** Exact contents of /etc/base-release for an architecture. */
export function seedBaseRelease(arch: SeedArch): string {
  return `base ${arch}\n`;
}

// ---------------------------------------------------------------------------------------------
// Result

export interface SeededPlatformImage {
  manifestDigest: string;
  configDigest: string;
  /** In manifest order (one layer here). */
  layerDigests: string[];
}

export interface SeededImage {
  /** Path in the registry, e.g. "base-oci". */
  repository: string;
  /** `<host>/<repository>`, e.g. "127.0.0.1:5000/base-oci" (what `oci.pull(image = ...)` takes). */
  image: string;
  /** `<host>/<repository>:latest` */
  reference: string;
  /** Digest of the index (OCI) / manifest list (Docker) the registry serves for :latest. */
  indexDigest: string;
  /** `<host>/<repository>@<indexDigest>` */
  digestReference: string;
  /** Media type of the index / list. */
  mediaType: string;
  platforms: Record<SeedPlatform, SeededPlatformImage>;
}

export interface SeededBase {
  /** `<host>:<port>` as given. */
  registry: string;
  oci: SeededImage;
  docker: SeededImage;
}

export interface SeedOptions {
  /** Repository prefix; images go to `<repository>-oci` and `<repository>-docker`. Default "base". */
  repository?: string;
  /** Basic credentials for the registry (htpasswd); anonymous when absent. */
  creds?: { username: string; password: string };
}

// ---------------------------------------------------------------------------------------------
// Building (cached on disk)

interface BuiltPlatform {
  /** Uncompressed rootfs tar. */
  rootfsTar: string;
  /** docker-archive (docker save format) for `docker load`. */
  dockerArchive: string;
  /** sha256 of the config bytes = the daemon's image ID. */
  configDigest: string;
  /** Tag the archive carries, e.g. "oci-build-test-seed:amd64-<hex12>". */
  localTag: string;
}

interface Built {
  dir: string;
  key: string;
  /** OCI layout whose "latest" is the index. */
  layout: string;
  platforms: Record<SeedArch, BuiltPlatform>;
}

const CACHE_ROOT = join(process.env.OCI_BUILD_TEST_CACHE ?? join(tmpdir(), 'oci-build-test-cache'), 'seed');
const META = 'meta.json';

function rootfsEntries(arch: SeedArch): TarEntry[] {
  const dir = (path: string, mode: number, uid = 0): TarEntry => ({ path, type: 'dir', mode, uid, gid: uid });
  const file = (path: string, content: string): TarEntry => ({ path, type: 'file', mode: 0o644, source: { content } });
  return [
    dir('etc', 0o755),
    file('etc/base-release', seedBaseRelease(arch)),
    file('etc/group', SEED_GROUP),
    file('etc/passwd', SEED_PASSWD),
    dir('etc/ssl', 0o755),
    dir('etc/ssl/certs', 0o755),
    { path: 'etc/ssl/certs/ca-certificates.crt', type: 'file', mode: 0o644, source: { file: SEED_CA_FILE } },
    dir('home', 0o755),
    dir('home/nonroot', 0o700, SEED_NONROOT_UID),
    dir('root', 0o700),
    dir('tmp', 0o1777),
  ];
}

async function cacheKey(): Promise<string> {
  const h = createHash('sha256');
  h.update(await readFile(fileURLToPath(import.meta.url)));
  h.update('\0');
  h.update(await readFile(SEED_CA_FILE));
  return h.digest('hex').slice(0, 32);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function buildInto(dir: string, key: string): Promise<Record<SeedArch, BuiltPlatform>> {
  const store = new BlobStore(join(dir, 'store'));
  const manifests = [];
  const platforms = {} as Record<SeedArch, BuiltPlatform>;
  for (const arch of SEED_ARCHES) {
    const rootfsTar = join(dir, `rootfs-${arch}.tar`);
    const rootfsGz = join(dir, `rootfs-${arch}.tar.gz`);
    await writeTar(rootfsEntries(arch), rootfsTar);
    await writeTar(rootfsEntries(arch), rootfsGz, { compression: 'gzip' });
    const layer = await addLayer(store, rootfsGz, 'oci');
    if (layer.descriptor.mediaType !== OCI_LAYER_GZIP) throw new Error(`seed: layer of ${arch} is ${layer.descriptor.mediaType}, expected gzip`);
    const image = await buildImage(store, {
      os: 'linux',
      architecture: arch,
      env: Object.fromEntries(SEED_ENV.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
      user: '',
      workdir: '/',
      labels: { ...SEED_LABELS },
      created: EPOCH,
      family: 'oci',
      layers: [{ descriptor: layer.descriptor, diffId: layer.diffId, history: { created: EPOCH, created_by: 'seed.ts: distroless-like rootfs' } }],
    });
    manifests.push(image.manifest);

    // docker-archive: the same config bytes and the uncompressed layer.
    const localTag = `oci-build-test-seed:${arch}-${key.slice(0, 12)}`;
    const configName = `${digestHex(image.config.digest)}.json`;
    const layerName = `${digestHex(layer.diffId)}/layer.tar`;
    const dockerManifest = [{ Config: configName, RepoTags: [localTag], Layers: [layerName] }];
    const dockerArchive = join(dir, `docker-${arch}.tar`);
    await writeTar(
      [
        { path: configName, type: 'file', mode: 0o644, source: { content: image.configBytes } },
        { path: layerName, type: 'file', mode: 0o644, source: { file: rootfsTar } },
        { path: 'manifest.json', type: 'file', mode: 0o644, source: { content: JSON.stringify(dockerManifest) } },
      ],
      dockerArchive,
    );
    platforms[arch] = { rootfsTar, dockerArchive, configDigest: image.config.digest, localTag };
  }
  const index = await buildIndex(store, manifests, undefined, 'oci');
  await writeLayout(store, join(dir, 'layout'), [{ descriptor: index, refName: 'latest' }]);
  return platforms;
}

async function loadCached(dir: string, key: string): Promise<Built | undefined> {
  try {
    const meta = JSON.parse(await readFile(join(dir, META), 'utf8')) as { key: string; platforms: Record<SeedArch, BuiltPlatform> };
    if (meta.key !== key) return undefined;
    for (const arch of SEED_ARCHES) {
      const p = meta.platforms[arch];
      if (!p || !(await exists(p.dockerArchive)) || !(await exists(p.rootfsTar))) return undefined;
    }
    if (!(await exists(join(dir, 'layout', 'index.json')))) return undefined;
    return { dir, key, layout: join(dir, 'layout'), platforms: meta.platforms };
  } catch {
    return undefined;
  }
}

async function buildOrReuse(): Promise<Built> {
  const key = await cacheKey();
  const dir = join(CACHE_ROOT, key);
  const cached = await loadCached(dir, key);
  if (cached) return cached;
  await rm(dir, { recursive: true, force: true }); // a partial or foreign directory
  await mkdir(CACHE_ROOT, { recursive: true });
  // Built aside and renamed into place, so a concurrent process never sees half a cache entry.
  const tmp = join(CACHE_ROOT, `.${key}.${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { recursive: true });
  try {
    const built = await buildInto(tmp, key);
    const platforms = {} as Record<SeedArch, BuiltPlatform>;
    for (const arch of SEED_ARCHES) {
      const p = built[arch];
      platforms[arch] = {
        ...p,
        rootfsTar: p.rootfsTar.replace(tmp, dir),
        dockerArchive: p.dockerArchive.replace(tmp, dir),
      };
    }
    await writeFile(join(tmp, META), JSON.stringify({ key, platforms }, null, 2));
    try {
      await rename(tmp, dir);
    } catch (err) {
      // Another process won the race: use its (identical) entry.
      const other = await loadCached(dir, key);
      if (!other) throw err;
      return other;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const done = await loadCached(dir, key);
  if (!done) throw new Error(`seed: cache entry ${dir} is incomplete right after building it`);
  await pruneCache(key);
  return done;
}

/** Best effort: drops entries of other keys (older versions of this file) and stale temp dirs. */
async function pruneCache(key: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(CACHE_ROOT);
  } catch {
    return;
  }
  for (const name of names) {
    if (name === key) continue;
    const path = join(CACHE_ROOT, name);
    try {
      // Temp dirs may belong to a concurrent build: only those untouched for an hour go.
      if (name.startsWith('.') && Date.now() - (await stat(path)).mtimeMs < 3_600_000) continue;
      await rm(path, { recursive: true, force: true });
    } catch {
      // ignore
    }
  }
}

let builtOnce: Promise<Built> | undefined;

function built(): Promise<Built> {
  builtOnce ??= buildOrReuse().catch((err: unknown) => {
    builtOnce = undefined;
    throw err;
  });
  return builtOnce;
}

// ---------------------------------------------------------------------------------------------
// Tools

function describe(cmd: string, args: string[], r: RunResult): string {
  return `${cmd} ${args.join(' ')} exited with ${r.code}:\n${(r.stderr || r.stdout).trim()}`;
}

async function docker(args: string[], dockerConfig: string): Promise<RunResult> {
  const env = { ...process.env, DOCKER_CONFIG: dockerConfig, DOCKER_CLI_EXPERIMENTAL: 'enabled' };
  try {
    const { stdout, stderr } = await execFileP('docker', args, { env, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message ?? String(err) };
  }
}

async function mustDocker(args: string[], dockerConfig: string): Promise<string> {
  const r = await docker(args, dockerConfig);
  if (r.code !== 0) throw new Error(`seed: ${describe('docker', args, r)}`);
  return r.stdout;
}

async function mustSkopeo(args: string[], workDir: string): Promise<string> {
  const r = await skopeo(args, workDir);
  if (r.code !== 0) throw new Error(`seed: ${describe('skopeo', args, r)}`);
  return r.stdout;
}

/** Loads the image unless the daemon already has this exact image ID. */
async function ensureLoaded(p: BuiltPlatform, dockerConfig: string): Promise<void> {
  const have = await docker(['image', 'inspect', '--format', '{{.Id}}', p.configDigest], dockerConfig);
  if (have.code === 0 && have.stdout.trim() === p.configDigest) return;
  await mustDocker(['load', '--quiet', '--input', p.dockerArchive], dockerConfig);
  const id = (await mustDocker(['image', 'inspect', '--format', '{{.Id}}', p.localTag], dockerConfig)).trim();
  if (id !== p.configDigest) throw new Error(`seed: docker load of ${p.dockerArchive} gave image ${id}, expected ${p.configDigest}`);
  // Best effort: untag what older versions of this file loaded for the same architecture.
  const [name, tag] = p.localTag.split(':') as [string, string];
  const arch = tag.slice(0, tag.indexOf('-'));
  const listed = await docker(['images', '--format', '{{.Repository}}:{{.Tag}}', name], dockerConfig);
  const stale = listed.stdout.split('\n').filter((t) => t.startsWith(`${name}:${arch}-`) && t !== p.localTag);
  if (stale.length) await docker(['rmi', ...stale], dockerConfig);
}

// ---------------------------------------------------------------------------------------------
// Reading back from the registry

interface RawDoc {
  mediaType?: string;
  manifests?: Array<{ mediaType: string; digest: string; size: number; platform?: { os: string; architecture: string; variant?: string } }>;
  config?: { mediaType: string; digest: string };
  layers?: Array<{ mediaType: string; digest: string }>;
}

async function inspectRaw(ref: string, credArgs: string[], workDir: string): Promise<{ doc: RawDoc; digest: string }> {
  const raw = await mustSkopeo(['inspect', '--raw', '--tls-verify=false', ...credArgs, `docker://${ref}`], workDir);
  return { doc: JSON.parse(raw) as RawDoc, digest: sha256(raw) };
}

async function readBack(
  host: string,
  repository: string,
  want: { index: string; manifest: string; config: string; layer: string },
  credArgs: string[],
  workDir: string,
): Promise<SeededImage> {
  const image = `${host}/${repository}`;
  const reference = `${image}:latest`;
  const top = await inspectRaw(reference, credArgs, workDir);
  if (top.doc.mediaType !== want.index) throw new Error(`seed: ${reference} is ${top.doc.mediaType}, expected ${want.index}`);
  const platforms = {} as Record<SeedPlatform, SeededPlatformImage>;
  for (const platform of SEED_PLATFORMS) {
    const [os, architecture] = platform.split('/');
    const entry = (top.doc.manifests ?? []).find((m) => m.platform?.os === os && m.platform.architecture === architecture);
    if (!entry) throw new Error(`seed: ${reference} has no ${platform} entry: ${JSON.stringify(top.doc)}`);
    const m = await inspectRaw(`${image}@${entry.digest}`, credArgs, workDir);
    if (m.digest !== entry.digest) throw new Error(`seed: ${image}@${entry.digest} serves bytes hashing to ${m.digest}`);
    if (m.doc.mediaType !== want.manifest || m.doc.config?.mediaType !== want.config || !m.doc.layers?.every((l) => l.mediaType === want.layer)) {
      throw new Error(`seed: ${image}@${entry.digest} has unexpected media types: ${JSON.stringify(m.doc)}`);
    }
    platforms[platform] = {
      manifestDigest: entry.digest,
      configDigest: m.doc.config.digest,
      layerDigests: m.doc.layers.map((l) => l.digest),
    };
  }
  return {
    repository,
    image,
    reference,
    indexDigest: top.digest,
    digestReference: `${image}@${top.digest}`,
    mediaType: want.index,
    platforms,
  };
}

// ---------------------------------------------------------------------------------------------
// Seeding

async function pushOci(b: Built, ref: string, opts: SeedOptions, workDir: string): Promise<void> {
  const creds = opts.creds ? ['--dest-creds', `${opts.creds.username}:${opts.creds.password}`] : [];
  await mustSkopeo(['copy', '--all', '--quiet', '--dest-tls-verify=false', ...creds, `oci:${b.layout}:latest`, `docker://${ref}`], workDir);
}

async function pushDocker(b: Built, image: string, dockerConfig: string): Promise<void> {
  await Promise.all(SEED_ARCHES.map((arch) => ensureLoaded(b.platforms[arch], dockerConfig)));
  const perArch = SEED_ARCHES.map((arch) => `${image}:latest-${arch}`);
  try {
    await Promise.all(
      SEED_ARCHES.map(async (arch, i) => {
        await mustDocker(['tag', b.platforms[arch].configDigest, perArch[i]!], dockerConfig);
        await mustDocker(['push', '--quiet', perArch[i]!], dockerConfig);
      }),
    );
  } finally {
    // Untag: the registry-specific names would otherwise pile up in the daemon (the image
    // itself stays, under its local tag, for the next call).
    await docker(['rmi', ...perArch], dockerConfig);
  }
  await mustDocker(['manifest', 'create', '--insecure', `${image}:latest`, ...perArch], dockerConfig);
  await mustDocker(['manifest', 'push', '--insecure', '--purge', `${image}:latest`], dockerConfig);
}

export async function seedBaseImages(registryHostPort: string, opts: SeedOptions = {}): Promise<SeededBase> {
  const host = registryHostPort.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  const repo = opts.repository ?? SEED_DEFAULT_REPOSITORY;
  try {
    await requireDocker();
  } catch (err) {
    throw new Error(`seedBaseImages(${host}) needs a Docker daemon for the Docker-media-type copy: ${(err as Error).message}`);
  }
  const b = await built();
  const work = await tempDir('seed-');
  try {
    // Private docker CLI config: this call's credentials only.
    const dockerConfig = join(work, 'docker');
    await mkdir(dockerConfig, { recursive: true });
    const auths: Record<string, { auth: string }> = {};
    if (opts.creds) auths[host] = { auth: Buffer.from(`${opts.creds.username}:${opts.creds.password}`).toString('base64') };
    await writeFile(join(dockerConfig, 'config.json'), JSON.stringify({ auths }));

    const ociRepo = `${repo}-oci`;
    const dockerRepo = `${repo}-docker`;
    await Promise.all([pushOci(b, `${host}/${ociRepo}:latest`, opts, work), pushDocker(b, `${host}/${dockerRepo}`, dockerConfig)]);

    const credArgs = opts.creds ? ['--creds', `${opts.creds.username}:${opts.creds.password}`] : [];
    const [oci, dockerImage] = await Promise.all([
      readBack(host, ociRepo, { index: OCI_INDEX, manifest: OCI_MANIFEST, config: OCI_CONFIG, layer: OCI_LAYER_GZIP }, credArgs, work),
      readBack(host, dockerRepo, { index: DOCKER_MANIFEST_LIST, manifest: DOCKER_MANIFEST, config: DOCKER_CONFIG, layer: DOCKER_LAYER_GZIP }, credArgs, work),
    ]);
    return { registry: host, oci, docker: dockerImage };
  } finally {
    await removeDir(work);
  }
}

/** Where the seed cache lives (for diagnostics). */
export function seedCacheRoot(): string {
  return CACHE_ROOT;
}

/** @internal Paths of the cached build (rootfs tars, OCI layout), building it when missing. */
export async function seedBuildCache(): Promise<{ dir: string; layout: string; rootfsTars: Record<SeedArch, string> }> {
  const b = await built();
  return { dir: b.dir, layout: b.layout, rootfsTars: { amd64: b.platforms.amd64.rootfsTar, arm64: b.platforms.arm64.rootfsTar } };
}
