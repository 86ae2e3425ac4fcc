// Resolving a reference to one platform's image: manifest (through an index when there is
// one) and config, stored in the blob store. Layers are only downloaded when asked.

import { readFile } from 'node:fs/promises';
import type { BlobStore } from '../oci/blobstore.ts';
import { isDigest } from '../oci/digest.ts';
import { isIndexMediaType, isManifestMediaType } from '../oci/mediatypes.ts';
import type { Descriptor, Digest, ImageConfig, ImageIndex, ImageManifest, Platform } from '../oci/types.ts';
import type { RegistryClient } from './client.ts';
import { forEachLimit } from '../limit.ts';
import { bestPlatformMatch, formatPlatform, normalizePlatform, platformSatisfies, toPlatform, type PlatformLike } from '../oci/platform.ts';

export interface ResolveOptions {
  store: BlobStore;
  /** Download the layers into the store too. Default false. */
  fetchLayers?: boolean;
  /**
   * Whether a single-platform image (no index) must be of `platform`. Default true. rules_oci's
   * oci.pull without `platforms` takes such an image as it is, whatever the build's platform.
   */
  checkSinglePlatform?: boolean;
}

export interface ResolvedImage {
  registry: string;
  repository: string;
  /** What the reference named: an index or a manifest. */
  root: Descriptor;
  /** The index, when the reference named one. */
  index?: ImageIndex;
  /** The chosen manifest (with its platform when it came from an index). */
  manifestDescriptor: Descriptor;
  manifest: ImageManifest;
  config: ImageConfig;
  layers: Descriptor[];
}

const SCHEMA1 = /^application\/vnd\.docker\.distribution\.manifest\.v1\+(prettyjws|json)$/;

function parse<T>(bytes: Uint8Array, what: string): T {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
  } catch (err) {
    throw new Error(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

async function cachedManifest(store: BlobStore, ref: string): Promise<{ mediaType: string; digest: Digest; bytes: Uint8Array } | undefined> {
  if (!isDigest(ref) || !(await store.has(ref))) return undefined;
  const bytes = await readFile(store.path(ref));
  const mediaType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
  if (typeof mediaType !== 'string') return undefined;
  return { mediaType, digest: ref, bytes };
}

async function readStored(store: BlobStore, d: Descriptor): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of store.open(d.digest)) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * Resolves `repo` at `ref` (tag or digest) to the image for `platform` (required when `ref`
 * names an index), storing index, manifest and config bytes in `opts.store`.
 */
export async function resolveImage(
  client: RegistryClient,
  repo: string,
  ref: string,
  platform: PlatformLike | undefined,
  opts: ResolveOptions,
): Promise<ResolvedImage> {
  const { store } = opts;
  const name = `${client.registry}/${repo}${ref.startsWith('sha256:') ? '@' : ':'}${ref}`;
  const want: Platform | undefined = platform === undefined ? undefined : toPlatform(platform);

  // A digest names immutable content: when the store has it, nothing needs fetching.
  const top = (await cachedManifest(store, ref)) ?? (await client.getManifest(repo, ref));
  if (SCHEMA1.test(top.mediaType)) throw new Error(`${name}: Docker schema 1 manifests are not supported; re-push the image with a current client`);
  await store.writeBytes(top.bytes);
  const root: Descriptor = { mediaType: top.mediaType, digest: top.digest, size: top.bytes.length };

  let index: ImageIndex | undefined;
  let manifestDescriptor: Descriptor = root;
  let manifestBytes = top.bytes;
  let current = top;
  for (let depth = 0; isIndexMediaType(current.mediaType); depth++) {
    if (depth > 3) throw new Error(`${name}: indexes nested too deeply`);
    const idx = parse<ImageIndex>(current.bytes, `index ${current.digest}`);
    index ??= idx;
    const candidates = (idx.manifests ?? []).filter((m) => isManifestMediaType(m.mediaType) || isIndexMediaType(m.mediaType));
    const available = candidates.map((m) => (m.platform ? formatPlatform(m.platform) : 'unknown')).join(', ');
    if (!want) throw new Error(`${name} is a multi-platform index (${available}); choose a platform`);
    const i = bestPlatformMatch(
      want,
      candidates.map((m) => m.platform),
    );
    if (i === -1) throw new Error(`${name} has no image for platform ${formatPlatform(want)} (it has: ${available || 'none'})`);
    const chosen = candidates[i]!;
    const have = await store.has(chosen.digest);
    if (have && have.size === chosen.size) {
      current = { mediaType: chosen.mediaType, digest: chosen.digest, bytes: await readStored(store, chosen) };
    } else {
      current = await client.getManifest(repo, chosen.digest);
      if (current.bytes.length !== chosen.size) {
        throw new Error(`${name}: manifest ${chosen.digest} is ${current.bytes.length} bytes, the index says ${chosen.size}`);
      }
      await store.writeBytes(current.bytes);
    }
    manifestDescriptor = chosen;
    manifestBytes = current.bytes;
  }
  if (!isManifestMediaType(current.mediaType)) throw new Error(`${name}: unsupported manifest media type "${current.mediaType}"`);

  const manifest = parse<ImageManifest>(manifestBytes, `manifest ${manifestDescriptor.digest}`);
  if (!manifest.config || !Array.isArray(manifest.layers)) throw new Error(`${name}: manifest ${manifestDescriptor.digest} lacks config or layers`);
  await client.getBlob(repo, manifest.config.digest, store, manifest.config.size);
  const config = parse<ImageConfig>(await readStored(store, manifest.config), `config ${manifest.config.digest}`);

  if (want && index === undefined && opts.checkSinglePlatform !== false) {
    const have: Platform = { os: config.os, architecture: config.architecture };
    if (config.variant) have.variant = config.variant;
    if (!platformSatisfies(want, have)) {
      throw new Error(`${name} is a ${formatPlatform(normalizePlatform(have))} image, not ${formatPlatform(want)}`);
    }
  }

  if (opts.fetchLayers) {
    await forEachLimit(manifest.layers, client.concurrency, (l) => client.getBlob(repo, l.digest, store, l.size));
  }

  const out: ResolvedImage = {
    registry: client.registry,
    repository: repo,
    root,
    manifestDescriptor,
    manifest,
    config,
    layers: manifest.layers,
  };
  if (index) out.index = index;
  return out;
}
