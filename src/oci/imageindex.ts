// Multi-platform image indexes (rules_oci oci_image_index) and picking one platform out of one.
import type { BlobStore } from './blobstore.ts';
import { readBlobJson } from './blobjson.ts';
import { checkIndex } from './descriptor.ts';
import { serializeIndex } from './json.ts';
import { indexMediaType, isIndexMediaType, type MediaTypeFamily } from './mediatypes.ts';
import { formatPlatform, normalizePlatform, platformMatches } from './platform.ts';
import type { Descriptor, Digest, ImageIndex, Platform } from './types.ts';

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

/** The first entry whose platform matches `wanted` after normalisation, if any. */
export function selectPlatform(index: ImageIndex, wanted: Platform): Descriptor | undefined {
  return index.manifests.find((m) => m.platform && platformMatches(m.platform, wanted));
}

/** Like selectPlatform, but fails with the platforms that are there. */
export function requirePlatform(index: ImageIndex, wanted: Platform, what = 'image index'): Descriptor {
  const found = selectPlatform(index, wanted);
  if (found) return found;
  const available = index.manifests
    .filter((m) => m.platform)
    .map((m) => formatPlatform(m.platform as Platform))
    .join(', ');
  throw new Error(`no image for platform ${formatPlatform(normalizePlatform(wanted))} in ${what} (available: ${available || 'none'})`);
}
