import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { addLayer } from '../../src/oci/layer.ts';
import { buildImage } from '../../src/oci/image.ts';
import { buildIndex, readIndex } from '../../src/oci/imageindex.ts';
import { reachableBlobs, writeLayout } from '../../src/oci/layout.ts';
import { DOCKER_MANIFEST_LIST, OCI_INDEX } from '../../src/oci/mediatypes.ts';
import { writeTar } from '../../src/tar/writer.ts';
import { tempDir } from '../tar/helpers.ts';

const dir = await tempDir('oci-index');

function sh(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function twoPlatforms(storeDir: string) {
  const store = new BlobStore(storeDir);
  const images = [];
  for (const [architecture, variant] of [['amd64', undefined], ['arm', 'v7']] as const) {
    const tar = join(dir, `layer-${architecture}.tar.gz`);
    await writeTar([{ path: `bin/app-${architecture}`, type: 'file', mode: 0o755, source: { content: architecture } }], tar, {
      compression: 'gzip',
    });
    const layer = await addLayer(store, tar, 'oci');
    images.push(await buildImage(store, { os: 'linux', architecture, variant, entrypoint: [`/bin/app-${architecture}`], layers: [layer] }));
  }
  const index = await buildIndex(
    store,
    images.map((i) => i.manifest),
    { 'org.opencontainers.image.source': 'https://example.com/app' },
  );
  return { store, images, index };
}

test('index over two platforms: content, selection, determinism', async () => {
  const { store, images, index } = await twoPlatforms(join(dir, 'store-a'));
  assert.equal(index.mediaType, OCI_INDEX);
  const raw = await readFile(store.path(index.digest), 'utf8');
  assert.equal(
    raw,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: images.map((i) => ({
        mediaType: i.manifest.mediaType,
        digest: i.manifest.digest,
        size: i.manifest.size,
        platform: i.manifest.platform,
      })),
      annotations: { 'org.opencontainers.image.source': 'https://example.com/app' },
    }),
  );
  const parsed = await readIndex(store, index.digest);
  assert.deepEqual(parsed.manifests.map((m) => m.digest), [images[0].manifest.digest, images[1].manifest.digest]);

  const again = await twoPlatforms(join(dir, 'store-b'));
  assert.equal(again.index.digest, index.digest);
});

test('index layout passes skopeo inspect --raw and skopeo copy --all', async () => {
  const { store, images, index } = await twoPlatforms(join(dir, 'store-c'));
  const layout = join(dir, 'layout');
  await writeLayout(store, layout, [{ descriptor: index, refName: 'multi' }]);
  const blobs = await readdir(join(layout, 'blobs', 'sha256'));
  assert.equal(blobs.length, 7); // index + 2 × (manifest, config, layer)
  assert.equal((await reachableBlobs(store, [index])).length, 7);

  assert.equal(sh('skopeo', 'inspect', '--raw', `oci:${layout}:multi`), await readFile(store.path(index.digest), 'utf8'));
  const arm = JSON.parse(sh('skopeo', '--override-arch', 'arm', '--override-variant', 'v7', 'inspect', '--config', `oci:${layout}:multi`));
  assert.deepEqual(arm.config.Entrypoint, ['/bin/app-arm']);

  const copy = join(dir, 'copy');
  sh('skopeo', 'copy', '--all', '--quiet', `oci:${layout}:multi`, `oci:${copy}:multi`);
  // skopeo copies byte-for-byte, so the digests survive.
  const copied = JSON.parse(await readFile(join(copy, 'index.json'), 'utf8'));
  assert.equal(copied.manifests[0].digest, index.digest);
  const copiedBlobs = (await readdir(join(copy, 'blobs', 'sha256'))).sort();
  assert.deepEqual(copiedBlobs, blobs.sort());
  assert.ok(images.length === 2);
});

test('layout with several roots: index.json is deterministic and names each root', async () => {
  const { store, images, index } = await twoPlatforms(join(dir, 'store-d'));
  const write = async (name: string) => {
    const d = join(dir, name);
    await writeLayout(store, d, [
      { descriptor: index, refName: 'all' },
      { descriptor: images[0].manifest, refName: 'amd64' },
      { descriptor: images[1].manifest },
    ]);
    return readFile(join(d, 'index.json'), 'utf8');
  };
  const a = await write('layout-multi-a');
  assert.equal(a, await write('layout-multi-b'));
  const parsed = JSON.parse(a);
  assert.deepEqual(
    parsed.manifests.map((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name']),
    ['all', 'amd64', undefined],
  );
  assert.deepEqual(Object.keys(parsed), ['schemaVersion', 'mediaType', 'manifests']);
  const inspected = JSON.parse(sh('skopeo', 'inspect', `oci:${join(dir, 'layout-multi-a')}:amd64`));
  assert.equal(inspected.Architecture, 'amd64');
  await assert.rejects(
    writeLayout(store, join(dir, 'dupe'), [
      { descriptor: index, refName: 'x' },
      { descriptor: index, refName: 'x' },
    ]),
    /ref name "x" is empty or used twice/,
  );
});

test('buildIndex validation and docker family', async () => {
  const { store, images } = await twoPlatforms(join(dir, 'store-e'));
  const { platform: _p, ...noPlatform } = images[0].manifest;
  void _p;
  await assert.rejects(buildIndex(store, [noPlatform]), /manifest sha256:[0-9a-f]+ has no platform/);
  await assert.rejects(
    buildIndex(store, [images[0].manifest, { ...images[1].manifest, platform: { os: 'linux', architecture: 'x86_64' } }]),
    /two manifests for platform linux\/amd64/,
  );
  const docker = await buildIndex(store, images.map((i) => i.manifest), undefined, 'docker');
  assert.equal(docker.mediaType, DOCKER_MANIFEST_LIST);
  const parsed = await readIndex(store, docker.digest);
  assert.equal(parsed.mediaType, DOCKER_MANIFEST_LIST);
  assert.equal(parsed.annotations, undefined);
});
