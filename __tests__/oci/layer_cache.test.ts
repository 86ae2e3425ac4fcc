import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, readdirSync, statSync } from 'node:fs';
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
  assert.deepEqual(await addLayerCached(store, tar, 'oci'), { ...first, cached: 'identity' });
  rmSync(store.path(first.descriptor.digest));
  const again = await addLayerCached(store, tar, 'oci');
  assert.deepEqual(again, first);
  assert.ok(await store.has(first.descriptor.digest), 'the blob is stored again');
  // Another family is another entry (media types differ).
  const docker = await addLayerCached(store, tar, 'docker');
  assert.equal(docker.descriptor.mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
});

test('a tar with the same bytes under another identity (a fresh runner) is found by content, not compressed again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'layer-cache-'));
  const tar = join(dir, 'l.tar');
  await writeTar([{ path: 'a.txt', type: 'file', mode: 0o644, source: { content: 'hello\n'.repeat(1000) } }], tar, { compression: 'none' });
  const store = new BlobStore(join(dir, 'store'));
  const setting = { format: 'gzip' as const, level: 1 };
  const first = await addLayerCached(store, tar, 'oci', setting);
  assert.equal(first.cached, undefined);
  // The identity cache is not saved by the action's cache step; only blobs and layer digests are.
  rmSync(join(dir, 'store', 'cache', 'layers'), { recursive: true });
  const copy = join(dir, 'copy.tar');
  copyFileSync(tar, copy);
  const blob = store.path(first.descriptor.digest);
  const before = statSync(blob).mtimeMs;
  const second = await addLayerCached(store, copy, 'oci', setting);
  assert.deepEqual(second, { ...first, cached: 'content' });
  assert.equal(statSync(blob).mtimeMs, before, 'the blob was not written again');
  // Another level is another entry.
  const nine = await addLayerCached(store, copy, 'oci', { format: 'gzip', level: 9 });
  assert.equal(nine.cached, undefined);
  assert.notEqual(nine.descriptor.digest, first.descriptor.digest);
});

test('seen() answers from what this process found; has() always asks the disk and forgets a lost blob', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'store-seen-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new BlobStore(join(dir, 'store'));
  const blob = await store.writeBytes('{"a":1}');
  assert.deepEqual(await store.seen(blob.digest), { digest: blob.digest, size: 7 });
  rmSync(store.path(blob.digest));
  assert.deepEqual(await store.seen(blob.digest), { digest: blob.digest, size: 7 }, 'remembered: walks that only ask local-or-remote');
  assert.equal(await store.has(blob.digest), undefined, 'has() notices the lost blob');
  assert.equal(await store.seen(blob.digest), undefined, 'and seen() forgets it then');
  assert.equal(await store.seen(`sha256:${'1'.repeat(64)}`), undefined, 'absence is never remembered as presence');
});
