// Multi-platform image indexes (rules_oci oci_image_index). Picking one platform out of an index
// is bestPlatformMatch (src/oci/platform.ts), as the registry puller does.
import type { BlobStore } from './blobstore.ts';
import { readBlobJson } from './blobjson.ts';
import { checkIndex } from './descriptor.ts';
import { serializeIndex } from './json.ts';
import { indexMediaType, isIndexMediaType, type MediaTypeFamily } from './mediatypes.ts';
import { formatPlatform, normalizePlatform } from './platform.ts';
import type { Descriptor, Digest, ImageIndex } from './types.ts';

/**
 * Stores an index over `manifests` (each must carry its platform; no two may share one) and
 * returns its descriptor. Order is kept as given: it is the order clients see.
 */
export async function buildIndex(
  store: BlobStore,
  manifests: Descriptor[],
  annotations?: Record<string, string>,
  family: MediaTypeFamily = 'oci',
): Promise<Descriptor> {
  const seen = new Map<string, Digest>();
  for (const m of manifests) {
    if (!m.platform) throw new Error(`image index: manifest ${m.digest} has no platform`);
    const key = formatPlatform(normalizePlatform(m.platform));
    const other = seen.get(key);
    if (other) throw new Error(`image index: two manifests for platform ${key} (${other} and ${m.digest})`);
    seen.set(key, m.digest);
  }
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: indexMediaType(family),
    manifests: manifests.map((m) => ({ ...m })),
    ...(annotations && Object.keys(annotations).length ? { annotations: { ...annotations } } : {}),
  };
  const stored = await store.writeBytes(serializeIndex(index));
  return { mediaType: index.mediaType, digest: stored.digest, size: stored.size };
}

export async function readIndex(store: BlobStore, digest: Digest): Promise<ImageIndex> {
  const i = (await readBlobJson(store, digest, 'image index')) as ImageIndex;
  if (!i || typeof i !== 'object' || !Array.isArray(i.manifests)) {
    throw new Error(`image index ${digest} has no manifests list`);
  }
  checkIndex(i, `image index ${digest}`);
  if (i.mediaType !== undefined && !isIndexMediaType(i.mediaType)) {
    throw new Error(`image index ${digest} has media type ${i.mediaType}, not an index`);
  }
  return i;
}

