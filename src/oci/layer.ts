// A layer blob from a tar on disk, read once: the bytes go into the store (hashed on the way)
// and, when compressed, through a decompressor whose output gives the diffID; an uncompressed
// tar is compressed on the way in when the setting asks for it (gzip level 1 by default). The media type
// comes from the first bytes, as rules_oci's descriptor.sh decides it (gzip → +gzip,
// zstd → +zstd, otherwise plain tar), in the image's family.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { readSmallFile, statIfExists } from '../util/small_file.ts';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import type { BlobStore } from './blobstore.ts';
import { DigestCounter, isDigest } from './digest.ts';
import { writeFileAtomic } from '../util/write_atomic.ts';
import { layerMediaType, type LayerCompression, type MediaTypeFamily } from './mediatypes.ts';
import type { Descriptor, Digest } from './types.ts';
import { decompressor, sniffFileCompression } from '../tar/reader.ts';
import { compressStream } from './compress.ts';
import { FILE_DIGEST_MEMO, memoizedFileDigest } from '../util/file_digest_memo.ts';

export interface LayerResult {
  descriptor: Descriptor;
  /** sha256 of the uncompressed tar (rootfs.diff_ids). */
  diffId: Digest;
  compression: LayerCompression;
}

/** How an uncompressed tar becomes a layer blob (a compressed tar is used as it is). */
export interface LayerCompressionSetting {
  format: LayerCompression;
  level: number;
}

/** rules_oci's behaviour: tars go in as they are. */
export const AS_IS: LayerCompressionSetting = { format: 'none', level: 0 };

/**
 * Ours: an uncompressed tar is gzipped at level 1, in parallel chunks. Level 1 packs a Go
 * binary about as small as level 6 (within a few %) at twice the speed, and a registry stores
 * and serves the layer compressed.
 */
export const DEFAULT_LAYER_COMPRESSION: LayerCompressionSetting = { format: 'gzip', level: 1 };

/**
 * Receives the uncompressed bytes of a tar that is being compressed, with backpressure, and is
 * ended after the last (destroyed on a failure). Unused when nothing is compressed.
 */
export type LayerObserver = Writable;

export async function addLayer(store: BlobStore, tarPath: string, family: MediaTypeFamily, setting: LayerCompressionSetting = AS_IS, observer?: LayerObserver): Promise<LayerResult & { observed?: true }> {
  let compression: LayerCompression;
  try {
    compression = await sniffFileCompression(tarPath);
  } catch (err) {
    throw new Error(`layer: ${(err as Error).message}`);
  }
  if (compression === 'none' && setting.format !== 'none') {
    const result = await compressLayer(store, tarPath, family, setting.format, setting.level, observer);
    return observer ? { ...result, observed: true } : result;
  }
  const inflate = decompressor(compression, `layer ${tarPath}`);
  const uncompressed = new DigestCounter();
  let inflated: Promise<void> | undefined;
  if (inflate) {
    inflate.on('data', (chunk: Buffer) => uncompressed.update(chunk));
    inflated = finished(inflate);
    inflated.catch(() => {}); // awaited below
  }

  async function* tee(): AsyncGenerator<Uint8Array> {
    for await (const chunk of createReadStream(tarPath) as AsyncIterable<Buffer>) {
      if (inflate && !inflate.write(chunk)) {
        await Promise.race([once(inflate, 'drain'), inflated]);
      }
      yield chunk;
    }
    inflate?.end();
  }

  let blob;
  try {
    blob = await store.writeStream(tee());
    if (inflated) await inflated;
  } catch (err) {
    inflate?.destroy();
    throw new Error(`layer ${tarPath}: ${(err as Error).message}`);
  }
  const diffId = inflate ? uncompressed.digest() : blob.digest;
  return {
    descriptor: { mediaType: layerMediaType(family, compression), digest: blob.digest, size: blob.size },
    diffId,
    compression,
  };
}

/**
 * An uncompressed tar, read once: its bytes are hashed (the diffID) on their way into the
 * parallel compressor, whose output is hashed into the store (the blob digest).
 */
async function compressLayer(store: BlobStore, tarPath: string, family: MediaTypeFamily, format: 'gzip' | 'zstd', level: number, observer?: LayerObserver): Promise<LayerResult> {
  const uncompressed = new DigestCounter();
  // The observer (a scan of the tar) shares this read; should it stop reading, it is dropped.
  const closed = observer ? new Promise<void>((resolve) => observer.once('close', resolve)) : undefined;
  async function* tap(): AsyncGenerator<Uint8Array> {
    // `end` from the size: the last read is sized to what is left, and no read finds the end.
    const { size } = await stat(tarPath);
    for await (const chunk of createReadStream(tarPath, { highWaterMark: 1024 * 1024, ...(size > 0 ? { end: size - 1 } : {}) }) as AsyncIterable<Buffer>) {
      uncompressed.update(chunk);
      if (observer && !observer.destroyed && !observer.write(chunk)) await Promise.race([once(observer, 'drain').catch(() => undefined), closed]);
      yield chunk;
    }
    // Read up to the size it had: a tar that grew meanwhile is an error, not a cut layer.
    if ((await stat(tarPath)).size !== size) throw new Error(`changed while it was compressed (${size} bytes before)`);
    if (observer && !observer.destroyed) observer.end();
  }
  let blob;
  try {
    blob = await store.writeStream(compressStream(tap(), { format, level }));
  } catch (err) {
    observer?.destroy(err as Error);
    throw new Error(`layer ${tarPath}: ${(err as Error).message}`);
  }
  return {
    descriptor: { mediaType: layerMediaType(family, format), digest: blob.digest, size: blob.size },
    diffId: uncompressed.digest(),
    compression: format,
  };
}

/** Where layer results are remembered by the tar's content (saved with the blobs by the action's cache). */
export const LAYER_CONTENT_CACHE = join('cache', 'layer-digests');

async function readCached(store: BlobStore, file: string): Promise<LayerResult | undefined> {
  try {
    const text = readSmallFile(file);
    if (text === undefined) return undefined;
    const cached = JSON.parse(text) as LayerResult;
    // A cache entry (restored from the Actions cache) names digests: used only when valid.
    if (!isDigest(cached.descriptor?.digest) || !isDigest(cached.diffId)) return undefined;
    const blob = await store.has(cached.descriptor.digest);
    if (blob && blob.size === cached.descriptor.size) return cached;
  } catch {
    // Not cached yet (or unreadable).
  }
  return undefined;
}

function writeCached(file: string, result: LayerResult): Promise<void> {
  return writeFileAtomic(file, JSON.stringify(result));
}

export type CachedLayerResult = LayerResult & { cached?: 'identity' | 'content' };

function identityFile(store: BlobStore, st: { dev: number; ino: number; size: number; mtimeMs: number }, spec: string): string {
  const key = createHash('sha256').update(`layer/v2\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}\0${spec}`).digest('hex');
  return join(store.root, 'cache', 'layers', `${key}.json`);
}

/** The layer an earlier build made from this very file (same identity and settings), if any: a cheap check. */
export async function layerByIdentity(store: BlobStore, tarPath: string, family: MediaTypeFamily, setting: LayerCompressionSetting = AS_IS): Promise<LayerResult | undefined> {
  const st = statIfExists(tarPath);
  if (!st) return undefined;
  return readCached(store, identityFile(store, st, `${family}\0${setting.format}:${setting.level}`));
}

/**
 * addLayer, remembered twice. By the tar file's identity (device, inode, size, mtime): a layer
 * that an earlier build stored — pkg_tar's cache hands back the same file — is not read again.
 * And by the tar's content (sha256 of its bytes, with the family and compression setting): on a
 * fresh runner whose blob store came from the cache, an unchanged layer is hashed but never
 * compressed again. Either way the blob must still be in the store.
 */
export async function addLayerCached(store: BlobStore, tarPath: string, family: MediaTypeFamily, setting: LayerCompressionSetting = AS_IS, observer?: LayerObserver): Promise<CachedLayerResult & { observed?: true }> {
  const st = await stat(tarPath).catch((err: unknown) => {
    throw new Error(`layer: ${(err as Error).message}`);
  });
  const spec = `${family}\0${setting.format}:${setting.level}`;
  const byIdentity = identityFile(store, st, spec);
  const hit = await readCached(store, byIdentity);
  if (hit) return { ...hit, cached: 'identity' };

  const content = createHash('sha256').update(`layer-content/v1\0sha256:${await memoizedFileDigest(tarPath, join(store.root, FILE_DIGEST_MEMO))}\0${spec}`).digest('hex');
  const byContent = join(store.root, LAYER_CONTENT_CACHE, `${content}.json`);
  const known = await readCached(store, byContent);
  if (known) {
    await writeCached(byIdentity, known);
    return { ...known, cached: 'content' };
  }
  const { observed, ...result } = await addLayer(store, tarPath, family, setting, observer);
  await writeCached(byContent, result);
  await writeCached(byIdentity, result);
  return observed ? { ...result, observed } : result;
}
