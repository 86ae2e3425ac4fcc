import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstat, readFile, readdir, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { addLayer } from '../../src/oci/layer.ts';
import { buildImage, readConfig, readImage, readManifest, EPOCH } from '../../src/oci/image.ts';
import { writeLayout } from '../../src/oci/layout.ts';
import { digestHex } from '../../src/oci/digest.ts';
import {
  DOCKER_CONFIG,
  DOCKER_LAYER_GZIP,
  DOCKER_MANIFEST,
  OCI_CONFIG,
  OCI_LAYER,
  OCI_LAYER_GZIP,
  OCI_LAYER_ZSTD,
  OCI_MANIFEST,
} from '../../src/oci/mediatypes.ts';
import { writeTar } from '../../src/tar/writer.ts';
import type { TarEntry } from '../../src/tar/entry.ts';
import { sha256sum, tempDir } from '../tar/helpers.ts';

const dir = await tempDir('oci-image');
const hello = join(dir, 'hello.sh');
await writeFile(hello, '#!/bin/sh\necho hello\n');

const entries: TarEntry[] = [
  { path: 'app/bin/hello', type: 'file', mode: 0o755, source: { file: hello } },
  { path: 'app/etc/config.yaml', type: 'file', mode: 0o644, source: { content: 'greeting: hi\n' } },
  { path: 'app/data', type: 'dir', mode: 0o700 },
  { path: 'usr/local/bin/hello', type: 'symlink', mode: 0o777, linkname: '/app/bin/hello' },
];
const layerTar = join(dir, 'layer.tar');
const layerTgz = join(dir, 'layer.tar.gz');
await writeTar(entries, layerTar, { mtime: 946684800 });
await writeTar(entries, layerTgz, { mtime: 946684800, compression: 'gzip' });

function sh(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function scratchImage(storeDir: string) {
  const store = new BlobStore(storeDir);
  const plain = await addLayer(store, layerTar, 'oci');
  const gz = await addLayer(store, layerTgz, 'oci');
  const img = await buildImage(store, {
    os: 'linux',
    architecture: 'arm64',
    variant: 'v8',
    entrypoint: ['/app/bin/hello'],
    cmd: ['--verbose'],
    env: { PATH: '/usr/local/bin:/usr/bin', GREETING: 'hi=there', FULL: '$GREETING and ${PATH}' },
    workdir: '/app',
    user: '65532:65532',
    labels: { 'org.opencontainers.image.source': 'https://example.com/repo' },
    annotations: { 'org.opencontainers.image.title': 'hello' },
    exposedPorts: ['8080', '53/udp'],
    volumes: ['/app/data'],
    layers: [plain, gz],
    family: 'oci',
  });
  return { store, plain, gz, img };
}

test('addLayer: media type from the first bytes, digest and diffID', async () => {
  const { plain, gz } = await scratchImage(join(dir, 'store-layer'));
  assert.equal(plain.descriptor.mediaType, OCI_LAYER);
  assert.equal(plain.descriptor.digest, `sha256:${sha256sum(layerTar)}`);
  assert.equal(plain.diffId, plain.descriptor.digest);
  assert.equal(plain.descriptor.size, (await stat(layerTar)).size);
  assert.equal(gz.descriptor.mediaType, OCI_LAYER_GZIP);
  assert.equal(gz.descriptor.digest, `sha256:${sha256sum(layerTgz)}`);
  const gunzipped = execFileSync('sh', ['-c', `gunzip -c '${layerTgz}' | sha256sum`], { encoding: 'utf8' }).split(' ')[0];
  assert.equal(gz.diffId, `sha256:${gunzipped}`);
  assert.equal(gz.diffId, plain.diffId);

  const store = new BlobStore(join(dir, 'store-docker'));
  const docker = await addLayer(store, layerTgz, 'docker');
  assert.equal(docker.descriptor.mediaType, DOCKER_LAYER_GZIP);

  const zst = join(dir, 'layer.tar.zst');
  sh('zstd', '-q', '-f', layerTar, '-o', zst);
  const z = await addLayer(store, zst, 'oci');
  assert.equal(z.descriptor.mediaType, OCI_LAYER_ZSTD);
  assert.equal(z.diffId, plain.diffId);

  const broken = join(dir, 'broken.tar.gz');
  await writeFile(broken, Buffer.concat([(await readFile(layerTgz)).subarray(0, 40)]));
  await assert.rejects(addLayer(store, broken, 'oci'), /layer .*broken\.tar\.gz: /);
});

test('buildImage from scratch: config and manifest content and key order', async () => {
  const { store, img, plain, gz } = await scratchImage(join(dir, 'store-a'));
  assert.equal(
    img.configBytes,
    JSON.stringify({
      created: EPOCH,
      architecture: 'arm64',
      os: 'linux',
      variant: 'v8',
      config: {
        User: '65532:65532',
        ExposedPorts: { '8080': {}, '53/udp': {} },
        Env: ['PATH=/usr/local/bin:/usr/bin', 'GREETING=hi=there', 'FULL=hi=there and /usr/local/bin:/usr/bin'],
        Entrypoint: ['/app/bin/hello'],
        Cmd: ['--verbose'],
        Volumes: { '/app/data': {} },
        WorkingDir: '/app',
        Labels: { 'org.opencontainers.image.source': 'https://example.com/repo' },
      },
      rootfs: { type: 'layers', diff_ids: [plain.diffId, gz.diffId] },
      history: [
        { created: EPOCH, created_by: 'oci-build' },
        { created: EPOCH, created_by: 'oci-build' },
      ],
    }),
  );
  assert.equal(
    img.manifestBytes,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: img.config.digest, size: img.config.size },
      layers: [plain.descriptor, gz.descriptor],
      annotations: { 'org.opencontainers.image.title': 'hello' },
    }),
  );
  assert.deepEqual(img.manifest.platform, { architecture: 'arm64', os: 'linux', variant: 'v8' });
  assert.equal(img.manifest.mediaType, OCI_MANIFEST);
  assert.deepEqual(await readManifest(store, img.manifest.digest), img.manifestJson);
  assert.deepEqual(await readConfig(store, img.config.digest), img.configJson);
});

test('digests are identical across two independent runs', async () => {
  const a = await scratchImage(join(dir, 'store-run1'));
  const b = await scratchImage(join(dir, 'store-run2'));
  assert.equal(a.img.manifest.digest, b.img.manifest.digest);
  assert.equal(a.img.config.digest, b.img.config.digest);
  assert.equal(a.gz.descriptor.digest, b.gz.descriptor.digest);
});

test('layout validated by skopeo and unpacked by umoci', async () => {
  const { store, img } = await scratchImage(join(dir, 'store-b'));
  const layout = join(dir, 'layout');
  await writeLayout(store, layout, [{ descriptor: img.manifest, refName: 'latest' }]);

  assert.equal(await readFile(join(layout, 'oci-layout'), 'utf8'), '{"imageLayoutVersion":"1.0.0"}');
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
  assert.deepEqual(index.manifests[0].annotations, { 'org.opencontainers.image.ref.name': 'latest' });
  assert.equal(index.manifests[0].digest, img.manifest.digest);
  const blobs = (await readdir(join(layout, 'blobs', 'sha256'))).sort();
  assert.equal(blobs.length, 4); // manifest, config, 2 layers
  // Hard links, not copies.
  const inStore = await stat(store.path(img.config.digest));
  const inLayout = await stat(join(layout, 'blobs', 'sha256', digestHex(img.config.digest)));
  assert.equal(inStore.ino, inLayout.ino);

  const raw = sh('skopeo', 'inspect', '--raw', `oci:${layout}:latest`);
  assert.equal(raw, img.manifestBytes);
  const cfg = JSON.parse(sh('skopeo', 'inspect', '--config', `oci:${layout}:latest`));
  assert.equal(cfg.architecture, 'arm64');
  assert.deepEqual(cfg.config.Entrypoint, ['/app/bin/hello']);
  const insp = JSON.parse(sh('skopeo', 'inspect', `oci:${layout}:latest`));
  assert.equal(insp.Digest, img.manifest.digest);
  assert.equal(insp.Layers.length, 2);

  const bundle = join(dir, 'bundle');
  sh('umoci', 'unpack', '--rootless', '--image', `${layout}:latest`, bundle);
  const rootfs = join(bundle, 'rootfs');
  assert.equal(await readFile(join(rootfs, 'app/bin/hello'), 'utf8'), '#!/bin/sh\necho hello\n');
  assert.equal((await stat(join(rootfs, 'app/bin/hello'))).mode & 0o777, 0o755);
  assert.equal((await stat(join(rootfs, 'app/etc/config.yaml'))).mode & 0o777, 0o644);
  assert.equal((await stat(join(rootfs, 'app/data'))).mode & 0o777, 0o700);
  assert.ok((await lstat(join(rootfs, 'usr/local/bin/hello'))).isSymbolicLink());
  assert.equal(await readlink(join(rootfs, 'usr/local/bin/hello')), '/app/bin/hello');
  const runtime = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8'));
  assert.deepEqual(runtime.process.args, ['/app/bin/hello', '--verbose']);
  assert.equal(runtime.process.cwd, '/app');
});

test('docker family: docker media types throughout', async () => {
  const store = new BlobStore(join(dir, 'store-docker2'));
  const layer = await addLayer(store, layerTgz, 'docker');
  const img = await buildImage(store, { os: 'linux', architecture: 'amd64', layers: [layer], family: 'docker', cmd: ['/app/bin/hello'] });
  assert.equal(img.manifest.mediaType, DOCKER_MANIFEST);
  assert.equal(img.config.mediaType, DOCKER_CONFIG);
  assert.equal(img.manifestJson.layers[0].mediaType, DOCKER_LAYER_GZIP);
  // skopeo 1.9's oci: transport only resolves OCI-typed index.json entries, so check the
  // layout's structure directly here.
  const layout = join(dir, 'layout-docker');
  await writeLayout(store, layout, [{ descriptor: img.manifest, refName: 'v1' }]);
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
  assert.equal(index.manifests[0].mediaType, DOCKER_MANIFEST);
  assert.deepEqual(
    (await readdir(join(layout, 'blobs', 'sha256'))).sort(),
    [img.manifest.digest, img.config.digest, layer.descriptor.digest].map(digestHex).sort(),
  );
});

test('on a base: platform, layers, history and annotations kept; env expanded; config merged', async () => {
  const { store, img: base } = await scratchImage(join(dir, 'store-base'));
  const baseImage = await readImage(store, base.manifest.digest);
  const extra = join(dir, 'extra.tar');
  await writeTar([{ path: 'extra.txt', type: 'file', mode: 0o644, source: { content: 'x' } }], extra);
  const layer = await addLayer(store, extra, 'oci');
  const img = await buildImage(store, {
    base: baseImage,
    os: 'linux',
    env: { PATH: '/opt/bin:$PATH', NEW: '${GREETING}!' },
    labels: { extra: 'yes' },
    exposedPorts: ['9090'],
    cmd: ['--quiet'],
    annotations: { 'org.opencontainers.image.version': '2' },
    layers: [layer],
  });
  const c = img.configJson;
  assert.equal(c.created, EPOCH);
  assert.equal(c.architecture, 'arm64');
  assert.equal(c.variant, 'v8');
  assert.deepEqual(c.config?.Env, [
    'PATH=/opt/bin:/usr/local/bin:/usr/bin',
    'GREETING=hi=there',
    'FULL=hi=there and /usr/local/bin:/usr/bin',
    'NEW=hi=there!',
  ]);
  assert.deepEqual(c.config?.Entrypoint, ['/app/bin/hello']);
  assert.deepEqual(c.config?.Cmd, ['--quiet']);
  // Bare ports are written as given (rules_oci); as JSON object keys, numeric ones come first.
  assert.deepEqual(Object.keys(c.config?.ExposedPorts ?? {}), ['8080', '9090', '53/udp']);
  assert.deepEqual(c.config?.Labels, { 'org.opencontainers.image.source': 'https://example.com/repo', extra: 'yes' });
  assert.equal(c.rootfs.diff_ids.length, 3);
  assert.equal(c.history?.length, 3);
  assert.equal(img.manifestJson.layers.length, 3);
  assert.deepEqual(img.manifestJson.annotations, {
    'org.opencontainers.image.title': 'hello',
    'org.opencontainers.image.version': '2',
  });
  await assert.rejects(
    buildImage(store, { base: baseImage, architecture: 'amd64', layers: [] }),
    /image architecture "amd64" differs from the base image's "arm64"/,
  );
  await assert.rejects(buildImage(store, { layers: [] }), /os and architecture are required/);
  await assert.rejects(buildImage(store, { os: 'linux', architecture: 'amd64', exposedPorts: ['http'], layers: [] }), /invalid exposed port "http"/);
});

test('reading missing or corrupt blobs fails clearly', async () => {
  const { store, img } = await scratchImage(join(dir, 'store-c'));
  await assert.rejects(readManifest(store, `sha256:${'0'.repeat(64)}`), /manifest sha256:0+ is not in the blob store/);
  await writeFile(store.path(img.config.digest), '{}');
  await assert.rejects(readConfig(store, img.config.digest), /is corrupt: its content hashes to/);
  await assert.rejects(readManifest(store, img.config.digest), /corrupt/);
  // A layout needs every blob.
  const { rm } = await import('node:fs/promises');
  await rm(store.path(img.manifestJson.layers[1].digest));
  await assert.rejects(
    writeLayout(store, join(dir, 'layout-c'), [{ descriptor: img.manifest }]),
    /^Error: blob sha256:[0-9a-f]{64} \(application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip, layer of manifest sha256:[0-9a-f]{64}\) is missing from the blob store$/,
  );
});
