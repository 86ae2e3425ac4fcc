import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { addLayer, addLayerCached } from '../../src/oci/layer.ts';
import { writeTar } from '../../src/tar/writer.ts';

test('a layer is remembered by its file identity, and recomputed when its blob is gone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'layer-cache-'));
  const tar = join(dir, 'l.tar');
  await writeTar([{ path: 'a.txt', type: 'file', mode: 0o644, source: { content: 'hello\n' } }], tar, { compression: 'gzip' });
  const store = new BlobStore(join(dir, 'store'));
  const plain = await addLayer(new BlobStore(join(dir, 'other')), tar, 'oci');
  const first = await addLayerCached(store, tar, 'oci');
  assert.deepEqual(first, plain, 'the same result as an uncached read');
  assert.equal(readdirSync(join(dir, 'store', 'cache', 'layers')).length, 1);
  assert.deepEqual(await addLayerCached(store, tar, 'oci'), first);
  rmSync(store.path(first.descriptor.digest));
  const again = await addLayerCached(store, tar, 'oci');
  assert.deepEqual(again, first);
  assert.ok(await store.has(first.descriptor.digest), 'the blob is stored again');
  // Another family is another entry (media types differ).
  const docker = await addLayerCached(store, tar, 'docker');
  assert.equal(docker.descriptor.mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
});
