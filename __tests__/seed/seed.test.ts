// seedBaseImages against real registries (anonymous and htpasswd), checked with independent
// tools only: skopeo for what the registry serves, umoci for what the image unpacks to.
// Needs a Docker daemon (DOCKER_HOST; scripts/test starts one) and fails, never skips, without.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { requireDocker } from '../helpers/docker.ts';
import { startRegistry, skopeo, run, tempDir, removeDir, USERS, type TestRegistry } from '../helpers/registry.ts';
import {
  seedBaseImages,
  seedBaseRelease,
  SEED_CA_FILE,
  SEED_ENV,
  SEED_LABELS,
  SEED_PLATFORMS,
  type SeedArch,
  type SeededBase,
  type SeededImage,
} from '../helpers/seed.ts';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

const CREDS = { username: 'pusher', password: USERS.pusher! };

let anon: TestRegistry | undefined;
let auth: TestRegistry | undefined;
let work = '';
let seededAnon: SeededBase;
let seededAuth: SeededBase;
const timings: number[] = [];

before(async () => {
  // Fails the whole file with a clear message when no daemon answers.
  await requireDocker();
  work = await tempDir('seed-test-');
  anon = await startRegistry({ mode: 'anonymous' });
  auth = await startRegistry({ mode: 'htpasswd' });
  let t = performance.now();
  seededAnon = await seedBaseImages(anon.host);
  timings.push(performance.now() - t);
  t = performance.now();
  seededAuth = await seedBaseImages(auth.host, { creds: CREDS });
  timings.push(performance.now() - t);
});

after(async () => {
  await anon?.stop();
  await auth?.stop();
  if (work) await removeDir(work);
});

function credArgs(reg: TestRegistry, flag = '--creds'): string[] {
  return reg.mode === 'htpasswd' ? [flag, `${CREDS.username}:${CREDS.password}`] : [];
}

async function sk(args: string[]): Promise<string> {
  const r = await skopeo(args, work);
  assert.equal(r.code, 0, `skopeo ${args.join(' ')}:\n${r.stderr}`);
  return r.stdout;
}

function sha256(s: string | Buffer): string {
  return `sha256:${createHash('sha256').update(s).digest('hex')}`;
}

interface Raw {
  mediaType?: string;
  manifests?: Array<{ mediaType: string; digest: string; platform?: { os: string; architecture: string } }>;
  config?: { mediaType: string; digest: string };
  layers?: Array<{ mediaType: string; digest: string }>;
}

async function inspectRaw(reg: TestRegistry, ref: string): Promise<{ raw: string; doc: Raw }> {
  const raw = await sk(['inspect', '--raw', '--tls-verify=false', ...credArgs(reg), `docker://${ref}`]);
  return { raw, doc: JSON.parse(raw) as Raw };
}

async function checkMediaTypes(
  reg: TestRegistry,
  img: SeededImage,
  want: { index: string; manifest: string; config: string; layer: string },
): Promise<void> {
  const top = await inspectRaw(reg, img.reference);
  assert.equal(top.doc.mediaType, want.index, img.reference);
  assert.equal(sha256(top.raw), img.indexDigest, 'indexDigest is the digest of what the registry serves');
  assert.equal(img.reference, `${reg.host}/${img.repository}:latest`);
  const entries = top.doc.manifests ?? [];
  assert.deepEqual(
    entries.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).sort(),
    [...SEED_PLATFORMS].sort(),
  );
  for (const platform of SEED_PLATFORMS) {
    const entry = entries.find((m) => `${m.platform?.os}/${m.platform?.architecture}` === platform)!;
    assert.equal(entry.mediaType, want.manifest);
    const seeded = img.platforms[platform];
    assert.equal(entry.digest, seeded.manifestDigest, `${platform} manifest digest`);
    const m = await inspectRaw(reg, `${img.image}@${entry.digest}`);
    assert.equal(m.doc.mediaType, want.manifest);
    assert.equal(m.doc.config?.mediaType, want.config);
    assert.equal(m.doc.config?.digest, seeded.configDigest);
    assert.ok(m.doc.layers && m.doc.layers.length > 0, 'has layers');
    for (const l of m.doc.layers) assert.equal(l.mediaType, want.layer);
    assert.deepEqual(m.doc.layers.map((l) => l.digest), seeded.layerDigests);
  }
}

const OCI_TYPES = { index: OCI_INDEX, manifest: OCI_MANIFEST, config: OCI_CONFIG, layer: OCI_LAYER_GZIP };
const DOCKER_TYPES = { index: DOCKER_LIST, manifest: DOCKER_MANIFEST, config: DOCKER_CONFIG, layer: DOCKER_LAYER_GZIP };

test('OCI copy: an OCI index of two OCI manifests with gzip OCI layers (anonymous and htpasswd)', async () => {
  await checkMediaTypes(anon!, seededAnon.oci, OCI_TYPES);
  await checkMediaTypes(auth!, seededAuth.oci, OCI_TYPES);
  assert.equal(seededAnon.oci.reference, `${anon!.host}/base-oci:latest`);
});

test('Docker copy: a Docker manifest list of two v2s2 manifests with gzip Docker layers (anonymous and htpasswd)', async () => {
  await checkMediaTypes(anon!, seededAnon.docker, DOCKER_TYPES);
  await checkMediaTypes(auth!, seededAuth.docker, DOCKER_TYPES);
  assert.equal(seededAuth.docker.reference, `${auth!.host}/base-docker:latest`);
});

test('each platform config has the env, label, user, workdir and platform', async () => {
  for (const [reg, seeded] of [[anon!, seededAnon], [auth!, seededAuth]] as const) {
    for (const img of [seeded.oci, seeded.docker]) {
      for (const arch of ['amd64', 'arm64'] as const) {
        const args = ['inspect', '--config', '--raw', '--override-os', 'linux', '--override-arch', arch, '--tls-verify=false', ...credArgs(reg), `docker://${img.reference}`];
        const raw = await sk(args);
        assert.equal(sha256(raw), img.platforms[`linux/${arch}`].configDigest, `${img.reference} ${arch} config digest`);
        const config = JSON.parse(raw) as {
          architecture: string;
          os: string;
          config: { Env?: string[]; User?: string; WorkingDir?: string; Labels?: Record<string, string> };
        };
        assert.equal(config.architecture, arch);
        assert.equal(config.os, 'linux');
        assert.deepEqual(config.config.Env, [...SEED_ENV]);
        assert.deepEqual(config.config.Env, [
          'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
          'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt',
        ]);
        assert.equal(config.config.User, '');
        assert.equal(config.config.WorkingDir, '/');
        assert.equal(config.config.Labels?.['org.opencontainers.image.title'], 'seed-base');
        assert.deepEqual(config.config.Labels, { ...SEED_LABELS });
        // The non-raw view too (skopeo's parsed config).
        const parsed = JSON.parse(await sk(args.filter((a) => a !== '--raw'))) as { architecture: string; config: { Env: string[] } };
        assert.equal(parsed.architecture, arch);
        assert.deepEqual(parsed.config.Env, [...SEED_ENV]);
      }
    }
  }
});

async function unpackArch(reg: TestRegistry, ref: string, arch: SeedArch, name: string): Promise<string> {
  const layout = join(work, `${name}-layout`);
  await sk(['copy', '--override-os', 'linux', '--override-arch', arch, '--src-tls-verify=false', ...credArgs(reg, '--src-creds'), `docker://${ref}`, `oci:${layout}:img`]);
  const bundle = join(work, `${name}-bundle`);
  const r = await run('umoci', ['unpack', '--rootless', '--image', `${layout}:img`, bundle]);
  assert.equal(r.code, 0, `umoci unpack:\n${r.stderr}`);
  return join(bundle, 'rootfs');
}

async function checkRootfs(rootfs: string, arch: SeedArch): Promise<void> {
  assert.equal(await readFile(join(rootfs, 'etc/base-release'), 'utf8'), seedBaseRelease(arch));
  assert.equal((await readFile(join(rootfs, 'etc/base-release'), 'utf8')).trim(), `base ${arch}`);
  const passwd = await readFile(join(rootfs, 'etc/passwd'), 'utf8');
  assert.match(passwd, /^nonroot:x:65532:65532::\/home\/nonroot:\/sbin\/nologin$/m);
  assert.match(passwd, /^root:x:0:0:/m);
  assert.match(await readFile(join(rootfs, 'etc/group'), 'utf8'), /^nonroot:x:65532:$/m);
  assert.ok((await stat(join(rootfs, 'home/nonroot'))).isDirectory());
  assert.equal((await stat(join(rootfs, 'tmp'))).mode & 0o7777, 0o1777);
  assert.deepEqual(await readFile(join(rootfs, 'etc/ssl/certs/ca-certificates.crt')), await readFile(SEED_CA_FILE));
}

test('the arm64 image unpacks (skopeo copy + umoci unpack --rootless) to the base rootfs', async () => {
  await checkRootfs(await unpackArch(anon!, seededAnon.oci.reference, 'arm64', 'anon-oci-arm64'), 'arm64');
  await checkRootfs(await unpackArch(auth!, seededAuth.docker.reference, 'arm64', 'auth-docker-arm64'), 'arm64');
  await checkRootfs(await unpackArch(anon!, seededAnon.docker.reference, 'amd64', 'anon-docker-amd64'), 'amd64');
});

test('the htpasswd registry refuses anonymous reads: the seed used the credentials', async () => {
  const r = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${seededAuth.oci.reference}`], work);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /unauthorized|authentication required/i);
});

test('seeding is deterministic: same digests across registries and on a repeat', async (t) => {
  // OCI: skopeo copies the layout's bytes unchanged.
  assert.deepEqual(seededAuth.oci.platforms, seededAnon.oci.platforms);
  assert.equal(seededAuth.oci.indexDigest, seededAnon.oci.indexDigest);
  // Docker: the daemon keeps the loaded config bytes; both families share them.
  for (const p of SEED_PLATFORMS) {
    assert.equal(seededAnon.docker.platforms[p].configDigest, seededAnon.oci.platforms[p].configDigest);
    assert.equal(seededAuth.docker.platforms[p].configDigest, seededAnon.docker.platforms[p].configDigest);
  }
  const start = performance.now();
  const again = await seedBaseImages(anon!.host);
  const ms = performance.now() - start;
  t.diagnostic(`seed timings: first ${timings[0]!.toFixed(0)} ms, second (other registry) ${timings[1]!.toFixed(0)} ms, repeat ${ms.toFixed(0)} ms`);
  assert.deepEqual(again, seededAnon);
});

test('a repeated seed call is cheap (cache + no reload)', () => {
  assert.ok(timings[1]! < 5000, `second seed took ${timings[1]} ms`);
});

test('another repository name is honoured', async () => {
  const other = await seedBaseImages(anon!.host, { repository: 'distroless/static' });
  assert.equal(other.oci.reference, `${anon!.host}/distroless/static-oci:latest`);
  assert.equal(other.docker.reference, `${anon!.host}/distroless/static-docker:latest`);
  assert.equal(other.oci.indexDigest, seededAnon.oci.indexDigest);
  await checkMediaTypes(anon!, other.docker, DOCKER_TYPES);
});

test('without a reachable Docker daemon seeding fails with a clear message', async () => {
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = `unix://${join(work, 'no-such-docker.sock')}`;
  try {
    await assert.rejects(seedBaseImages(anon!.host, { repository: 'never' }), /needs a Docker daemon.*no Docker daemon answers at unix:\/\//s);
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
});
