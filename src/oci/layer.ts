// A layer blob from a tar on disk, read once: the bytes go into the store (hashed on the way)
// and, when compressed, through a decompressor whose output gives the diffID. The media type
// comes from the first bytes, as rules_oci's descriptor.sh decides it (gzip → +gzip,
// zstd → +zstd, otherwise plain tar), in the image's family.
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { BlobStore } from './blobstore.ts';
import { DigestCounter } from './digest.ts';
import { layerMediaType, type LayerCompression, type MediaTypeFamily } from './mediatypes.ts';
import type { Descriptor, Digest } from './types.ts';
import { decompressor, sniffFileCompression } from '../tar/reader.ts';

export interface LayerResult {
  descriptor: Descriptor;
  /** sha256 of the uncompressed tar (rootfs.diff_ids). */
  diffId: Digest;
  compression: LayerCompression;
}

export async function addLayer(store: BlobStore, tarPath: string, family: MediaTypeFamily): Promise<LayerResult> {
  let compression: LayerCompression;
  try {
    compression = await sniffFileCompression(tarPath);
  } catch (err) {
    throw new Error(`layer: ${(err as Error).message}`);
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
 * addLayer, remembered by the tar file's identity (device, inode, size, mtime): a layer that an
 * earlier build stored — pkg_tar's cache hands back the same file — is not read again. The
 * blob must still be in the store.
 */
export async function addLayerCached(store: BlobStore, tarPath: string, family: MediaTypeFamily): Promise<LayerResult> {
  const st = await stat(tarPath).catch((err: unknown) => {
    throw new Error(`layer: ${(err as Error).message}`);
  });
  const key = createHash('sha256').update(`layer/v1\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}\0${family}`).digest('hex');
  const file = join(store.root, 'cache', 'layers', `${key}.json`);
  try {
    const cached = JSON.parse(await readFile(file, 'utf8')) as LayerResult;
    const blob = await store.has(cached.descriptor.digest);
    if (blob && blob.size === cached.descriptor.size) return cached;
  } catch {
    // Not cached yet (or unreadable): compute it.
  }
  const result = await addLayer(store, tarPath, family);
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(result));
  await rename(tmp, file);
  return result;
}
