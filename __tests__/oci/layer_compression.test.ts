// How an uncompressed tar becomes a layer: gzip level 1 by default (parallel chunks, one gzip
// member), zstd on request, or as it is (rules_oci); a compressed tar always goes in as it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync, zstdDecompressSync } from 'node:zlib';
import { Writable } from 'node:stream';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { addLayer, addLayerCached, DEFAULT_LAYER_COMPRESSION } from '../../src/oci/layer.ts';
import { parseCompression } from '../../src/util/parse.ts';
import { writeTar } from '../../src/tar/writer.ts';
import { prng } from '../helpers/prng.ts';

const sha = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** An uncompressed tar of ~3 MiB (text and pseudo-random bytes), so it spans several chunks. */
async function bigTar(dir: string): Promise<string> {
  const rand = prng(7);
  const noise = Buffer.alloc(1536 * 1024);
  for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(rand() * 256);
  const text = Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(36_000));
  const path = join(dir, 'big.tar');
  await writeTar(
    [
      { path: 'noise.bin', type: 'file', mode: 0o644, source: { content: noise } },
      { path: 'text.txt', type: 'file', mode: 0o644, source: { content: text } },
    ],
    path,
    { compression: 'none' },
  );
  return path;
}

test('by default an uncompressed tar is gzipped (level 1) into one member; the diffID is the tar', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'layer-comp-'));
  const tar = await bigTar(dir);
  const bytes = readFileSync(tar);
  const store = new BlobStore(join(dir, 'a'));
  const layer = await addLayer(store, tar, 'oci', DEFAULT_LAYER_COMPRESSION);
  assert.equal(layer.descriptor.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
  assert.equal(layer.diffId, sha(bytes));
  const blob = readFileSync(store.path(layer.descriptor.digest));
  assert.equal(layer.descriptor.size, blob.length);
  assert.ok(blob.length < bytes.length * 0.75, `compressed ${blob.length} of ${bytes.length}`);
  assert.deepEqual(gunzipSync(blob), bytes);
  assert.equal(blob[9], 255, 'OS byte "unknown", as Go and Python write it');
  // Reproducible: another store, the same bytes.
  const again = await addLayer(new BlobStore(join(dir, 'b')), tar, 'oci', DEFAULT_LAYER_COMPRESSION);
  assert.deepEqual(again, layer);
  // Docker family: Docker's gzip media type.
  const docker = await addLayer(store, tar, 'docker', DEFAULT_LAYER_COMPRESSION);
  assert.equal(docker.descriptor.mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');
  assert.equal(docker.descriptor.digest, layer.descriptor.digest);
});

test('zstd gives the OCI +zstd type; none keeps the tar as rules_oci does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'layer-comp-'));
  const tar = await bigTar(dir);
  const bytes = readFileSync(tar);
  const store = new BlobStore(join(dir, 's'));
  const z = await addLayer(store, tar, 'oci', { format: 'zstd', level: 3 });
  assert.equal(z.descriptor.mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
  assert.equal(z.diffId, sha(bytes));
  assert.deepEqual(zstdDecompressSync(readFileSync(store.path(z.descriptor.digest))), bytes);
  const none = await addLayer(store, tar, 'oci', { format: 'none', level: 0 });
  assert.equal(none.descriptor.mediaType, 'application/vnd.oci.image.layer.v1.tar');
  assert.equal(none.descriptor.digest, sha(bytes));
  assert.equal(none.diffId, none.descriptor.digest);
});

test('a tar that is already compressed goes in byte for byte, whatever the setting', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'layer-comp-'));
  const raw = readFileSync(await bigTar(dir));
  const gz = join(dir, 'given.tar.gz');
  writeFileSync(gz, gzipSync(raw, { level: 9 }));
  const store = new BlobStore(join(dir, 's'));
  for (const setting of [DEFAULT_LAYER_COMPRESSION, { format: 'zstd' as const, level: 3 }]) {
    const l = await addLayer(store, gz, 'oci', setting);
    assert.equal(l.descriptor.digest, sha(readFileSync(gz)));
    assert.equal(l.diffId, sha(raw));
  }
});

test('the layer cache keys on the compression setting', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'layer-comp-'));
  const tar = await bigTar(dir);
  const store = new BlobStore(join(dir, 's'));
  const one = await addLayerCached(store, tar, 'oci', { format: 'gzip', level: 1 });
  const nine = await addLayerCached(store, tar, 'oci', { format: 'gzip', level: 9 });
  assert.notEqual(one.descriptor.digest, nine.descriptor.digest);
  assert.equal(one.diffId, nine.diffId);
  assert.deepEqual(await addLayerCached(store, tar, 'oci', { format: 'gzip', level: 1 }), { ...one, cached: 'identity' });
});

test('compression inputs: defaults, and one-line errors naming the input', () => {
  assert.deepEqual(parseCompression('c', '', 'l', ''), { format: 'gzip', level: 1 });
  assert.deepEqual(parseCompression('c', 'zstd', 'l', ''), { format: 'zstd', level: 3 });
  assert.deepEqual(parseCompression('c', 'GZIP', 'l', ' 6 '), { format: 'gzip', level: 6 });
  assert.deepEqual(parseCompression('c', 'none', 'l', ''), { format: 'none', level: 0 });
  assert.throws(() => parseCompression('input "compression"', 'brotli', 'l', ''), /^Error: input "compression": expected gzip, zstd or none, got "brotli"$/);
  assert.throws(() => parseCompression('c', 'gzip', 'input "compression-level"', '10'), /^Error: input "compression-level": gzip: compression level must be an integer 0-9, got 10$/);
  assert.throws(() => parseCompression('c', 'zstd', 'l', '0'), /l: zstd: compression level must be an integer 1-19, got 0/);
  assert.throws(() => parseCompression('c', 'gzip', 'l', '1.5'), /l: expected a whole number, got "1.5"/);
  assert.throws(() => parseCompression('c', 'none', 'l', '3'), /l: a level needs c gzip or zstd/);
});

test('an observer sees exactly the tar bytes while they are compressed, and is not used when nothing is', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'layer-comp-'));
  const tar = await bigTar(dir);
  const store = new BlobStore(join(dir, 's'));
  const seen = createHash('sha256');
  let ended = false;
  const observer = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb) {
      seen.update(chunk);
      setImmediate(cb); // a slow reader: the compressor waits for it
    },
    final(cb) {
      ended = true;
      cb();
    },
  });
  const layer = await addLayerCached(store, tar, 'oci', DEFAULT_LAYER_COMPRESSION, observer);
  assert.equal(layer.observed, true);
  assert.equal(`sha256:${seen.digest('hex')}`, layer.diffId);
  assert.ok(ended);
  // A copy (new identity) is found by content: nothing is compressed, nothing observed.
  const copy = join(dir, 'copy.tar');
  writeFileSync(copy, readFileSync(tar));
  const idle = new Writable({ write: (_c, _e, cb) => cb(new Error('must not be written')) });
  const again = await addLayerCached(store, copy, 'oci', DEFAULT_LAYER_COMPRESSION, idle);
  assert.equal(again.observed, undefined);
  assert.equal(again.cached, 'content');
});
