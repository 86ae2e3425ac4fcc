// Resolving a reference to one platform's image: manifest (through an index when there is
// one) and config, stored in the blob store. Layers are only downloaded when asked.

import { readFile, rm } from 'node:fs/promises';
import type { BlobStore } from '../oci/blobstore.ts';
import { digestAlgorithm, digestBytes, isDigest, quoteUntrusted } from '../oci/digest.ts';
import { readBlobBytes } from '../oci/blobjson.ts';
import { checkConfig, checkIndex, checkManifest, parseUntrustedJson } from '../oci/descriptor.ts';
import { MAX_CONFIG_BYTES } from './limits.ts';
import { formatBytes } from '../util/format.ts';
import { isIndexMediaType, isManifestMediaType } from '../oci/mediatypes.ts';
import type { Descriptor, Digest, ImageConfig, ImageIndex, ImageManifest, Platform } from '../oci/types.ts';
import type { RegistryClient } from './client.ts';
import { forEachLimit } from '../util/limit.ts';
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
  return parseUntrustedJson(Buffer.from(bytes).toString('utf8'), what) as T;
}

async function cachedManifest(store: BlobStore, ref: string): Promise<{ mediaType: string; digest: Digest; bytes: Uint8Array } | undefined> {
  if (!isDigest(ref) || !(await store.has(ref))) return undefined;
  const bytes = await readFile(store.path(ref));
  // The store may come from a cache: a copy that does not hash to its name is fetched again.
  if (digestBytes(bytes, digestAlgorithm(ref)) !== ref) {
    await rm(store.path(ref), { force: true });
    return undefined;
  }
  let mediaType: unknown;
  try {
    mediaType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown }).mediaType;
  } catch {
    return undefined;
  }
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
  const name = `${client.registry}/${repo}${isDigest(ref) ? '@' : ':'}${ref}`;
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
    const idx = checkIndex(parse<unknown>(current.bytes, `${name}: index ${current.digest}`), depth === 0 ? name : `${name}: index ${current.digest}`);
    index ??= idx;
    const candidates = idx.manifests.filter((m) => isManifestMediaType(m.mediaType) || isIndexMediaType(m.mediaType));
    const available = candidates.map((m) => (m.platform ? formatPlatform(m.platform) : 'unknown')).join(', ');
    if (!want) throw new Error(`${name} is a multi-platform index (${available}); choose a platform`);
    const i = bestPlatformMatch(
      want,
      candidates.map((m) => m.platform),
    );
    if (i === -1) throw new Error(`${name} has no image for platform ${formatPlatform(want)} (it has: ${available || 'none'})`);
    const chosen = candidates[i]!;
    const have = await store.has(chosen.digest);
    const stored = have && have.size === chosen.size ? await readStored(store, chosen) : undefined;
    if (stored && digestBytes(stored, digestAlgorithm(chosen.digest)) === chosen.digest) {
      current = { mediaType: chosen.mediaType, digest: chosen.digest, bytes: stored };
    } else {
      if (have) await rm(store.path(chosen.digest), { force: true });
      current = await client.getManifest(repo, chosen.digest);
      if (current.bytes.length !== chosen.size) {
        throw new Error(`${name}: manifest ${chosen.digest} is ${current.bytes.length} bytes, the index says ${chosen.size}`);
      }
      await store.writeBytes(current.bytes);
    }
    manifestDescriptor = chosen;
    manifestBytes = current.bytes;
  }
  if (!isManifestMediaType(current.mediaType)) throw new Error(`${name}: unsupported manifest media type ${quoteUntrusted(current.mediaType)}`);

  const where = manifestDescriptor === root ? name : `${name}: manifest ${manifestDescriptor.digest}`;
  const manifest: ImageManifest = checkManifest(parse<unknown>(manifestBytes, `${name}: manifest ${manifestDescriptor.digest}`), where);
  if (manifest.config.size > MAX_CONFIG_BYTES) {
    throw new Error(`${where}: config ${manifest.config.digest} is ${manifest.config.size} bytes, more than the ${formatBytes(MAX_CONFIG_BYTES)} allowed for an image config`);
  }
  await client.getBlob(repo, manifest.config.digest, store, manifest.config.size);
  let configBytes: Buffer;
  try {
    configBytes = await readBlobBytes(store, manifest.config.digest, `${name}: config`);
  } catch {
    // A stored copy (from a cache) that does not hash to its name: fetch it again.
    await rm(store.path(manifest.config.digest), { force: true });
    await client.getBlob(repo, manifest.config.digest, store, manifest.config.size);
    configBytes = await readBlobBytes(store, manifest.config.digest, `${name}: config`);
  }
  const config: ImageConfig = checkConfig(
    parse<unknown>(configBytes, `${name}: config ${manifest.config.digest}`),
    `${name}: config ${manifest.config.digest}`,
    manifest.layers.length,
  );

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
