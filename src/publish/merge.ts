import { checkConfig, checkIndex, checkManifest, parseUntrustedJson } from '../oci/descriptor.ts';
import { MAX_CONFIG_BYTES } from '../registry/limits.ts';
import { formatBytes } from '../util/format.ts';
import type { RegistryClient } from '../registry/client.ts';
import { formatPlatform, normalizePlatform } from '../oci/platform.ts';
import { isIndexMediaType, indexMediaType, familyOf } from '../oci/mediatypes.ts';
import { serializeIndex } from '../oci/json.ts';
import { digestAlgorithm, digestBytes, sha256 } from '../oci/digest.ts';
import type { Descriptor, Digest, ImageConfig, ImageIndex, ImageManifest, Platform } from '../oci/types.ts';
import type { RegistryPool } from '../registry/pool.ts';
import { parseReference } from '../registry/reference.ts';
import { remoteOpener } from '../registry/push.ts';
import { planDestinations } from './registry.ts';

export interface MergeRequest {
  /** `registry/repo@sha256:…` of single-platform images (or indexes, whose entries are taken). */
  sources: string[];
  /** `registry/repo` to push the index to; default: the sources' repository. */
  repository?: string;
  /**
   * docker/metadata-action lines, read as build mode reads them: a bare tag applies to
   * `repository`, a full reference (`ghcr.io/o/mirror:1.2`) names its own repository, which
   * gets the index (and the platform images it lists) too.
   */
  tags: string[];
  /** Platforms the index must cover; a source missing for any of them fails the merge. */
  platforms?: Platform[];
  annotations?: Record<string, string>;
}

export interface MergeResult {
  digest: Digest;
  mediaType: string;
  platforms: string[];
  reference: string;
  tagged: string[];
  /** `registry/repo@sha256:…` of the index in every repository it went to. */
  references: string[];
}

/** An image config, read with a size bound (its descriptor's, at most MAX_CONFIG_BYTES) and its digest checked. */
async function readSmallConfig(client: RegistryClient, repo: string, d: Descriptor, where: string): Promise<ImageConfig> {
  if (d.size > MAX_CONFIG_BYTES) throw new Error(`${where}: config ${d.digest} is ${d.size} bytes, more than the ${formatBytes(MAX_CONFIG_BYTES)} allowed for an image config`);
  const { stream } = await client.openBlob(repo, d.digest);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    n += (c as Buffer).length;
    if (n > d.size) {
      stream.destroy();
      throw new Error(`${where}: config ${d.digest} is larger than the ${d.size} bytes its descriptor gives`);
    }
    chunks.push(c as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  const actual = digestBytes(bytes, digestAlgorithm(d.digest));
  if (actual !== d.digest) throw new Error(`${where}: config ${d.digest} has digest ${actual}`);
  return checkConfig(parseUntrustedJson(bytes.toString('utf8'), `${where}: config ${d.digest}`), `${where}: config ${d.digest}`);
}

/**
 * The merge step of distributed builds: each platform was built on its own runner and pushed
 * by digest; this makes the index over them, pushes it by digest, and only then sets the tags.
 * Nothing is downloaded but manifests and configs.
 */
export async function mergeIndex(pool: RegistryPool, req: MergeRequest, log: (m: string) => void): Promise<MergeResult> {
  if (req.sources.length === 0) throw new Error('merge: no source images given');
  const named = (input: string, text: string) => {
    try {
      return parseReference(text);
    } catch (err) {
      // The reference parser names the value (redacted when it holds credentials); this names the input.
      throw new Error(`merge: input "${input}": ${(err as Error).message}`);
    }
  };
  const refs = req.sources.map((s) => {
    const r = named('merge', s);
    if (!r.digest) throw new Error(`merge: "${s}" must be pinned by digest (registry/repo@sha256:…)`);
    return r;
  });
  const first = refs[0] as (typeof refs)[number];
  const target = req.repository ? named('repository', req.repository) : first;
  if (target.tag !== undefined && req.repository) throw new Error(`merge: repository "${req.repository}" must not carry a tag`);
  for (const r of refs) {
    if (r.registry !== target.registry || r.repository !== target.repository) {
      throw new Error(`merge: ${r.registry}/${r.repository}@${r.digest} is not in ${target.registry}/${target.repository}; push every platform to the repository the index goes to`);
    }
  }
  // The same destinations a build with these inputs pushes to: the sources' repository first,
  // unless no repository was named and every tag names another one.
  const targetText = `${target.registry}/${target.repository}`;
  const destinations = planDestinations('merge', { repository: targetText, remoteTags: [] }, { repository: req.repository ? targetText : undefined, tags: req.tags });
  const client = pool.client(target.registry);
  const manifests: Descriptor[] = [];
  for (const r of refs) {
    const got = await client.getManifest(r.repository, r.digest as Digest);
    const where = `merge: ${target.registry}/${r.repository}@${r.digest}`;
    const doc = parseUntrustedJson(Buffer.from(got.bytes).toString('utf8'), where);
    // Every digest in it is checked before it is used (it goes into the index we push).
    if (isIndexMediaType(got.mediaType)) {
      manifests.push(...checkIndex(doc, where).manifests.filter((m) => m.platform));
      continue;
    }
    const manifest: ImageManifest = checkManifest(doc, where);
    const config = await readSmallConfig(client, r.repository, manifest.config, where);
    const platform: Platform = { os: config.os, architecture: config.architecture };
    if (config.variant) platform.variant = config.variant;
    manifests.push({ mediaType: got.mediaType, digest: got.digest, size: got.bytes.length, platform: normalizePlatform(platform) });
  }
  const seen = new Map<string, string>();
  for (const m of manifests) {
    const key = formatPlatform(normalizePlatform(m.platform as Platform));
    const other = seen.get(key);
    if (other && other !== m.digest) throw new Error(`merge: two images for ${key} (${other} and ${m.digest})`);
    seen.set(key, m.digest);
  }
  const missing = (req.platforms ?? []).map((p) => formatPlatform(normalizePlatform(p))).filter((p) => !seen.has(p));
  if (missing.length > 0) {
    throw new Error(
      `merge: no image for ${missing.join(', ')} among the ${req.sources.length} given (they cover ${[...seen.keys()].join(', ') || 'no platform'}); a platform's build failed or its digest was not passed on, and a partial index is not pushed`,
    );
  }
  const unique = manifests.filter((m, i) => manifests.findIndex((n) => n.digest === m.digest) === i);
  const family = unique.every((m) => familyOf(m.mediaType) === 'docker') ? 'docker' : 'oci';
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: indexMediaType(family),
    manifests: unique,
    ...(req.annotations && Object.keys(req.annotations).length ? { annotations: req.annotations } : {}),
  };
  const bytes = Buffer.from(serializeIndex(index));
  const digest = sha256(bytes);
  const over = unique.map((m) => formatPlatform(m.platform as Platform)).join(', ');
  // Every destination gets the index by digest (and, outside the sources' repository, the
  // platform images under it) before any tag is set anywhere.
  for (const d of destinations) {
    const destClient = pool.client(d.registry);
    if (d.registry !== target.registry || d.repository !== target.repository) {
      await copyImages(client, target.repository, destClient, d.repository, unique, log);
    }
    await destClient.putManifest(d.repository, digest, bytes, index.mediaType);
    log(`${d.registry}/${d.repository}@${digest}: index over ${over}`);
  }
  const tagged: string[] = [];
  for (const d of destinations) {
    for (const t of d.tags) {
      await pool.client(d.registry).putManifest(d.repository, t, bytes, index.mediaType);
      tagged.push(`${d.registry}/${d.repository}:${t}`);
    }
  }
  return {
    digest,
    mediaType: index.mediaType,
    platforms: unique.map((m) => formatPlatform(m.platform as Platform)),
    reference: `${destinations[0]!.registry}/${destinations[0]!.repository}@${digest}`,
    tagged,
    references: destinations.map((d) => `${d.registry}/${d.repository}@${digest}`),
  };
}

/**
 * Copies platform images (manifests by digest, with their config and layers) from the sources'
 * repository into another one: blobs it lacks are mounted on the same registry, else streamed
 * registry to registry. Nothing is stored locally.
 */
async function copyImages(
  from: RegistryClient,
  fromRepo: string,
  to: RegistryClient,
  toRepo: string,
  images: Descriptor[],
  log: (m: string) => void,
): Promise<void> {
  const sameRegistry = from.registry === to.registry;
  to.auth.want([`repository:${toRepo}:pull,push`, ...(sameRegistry ? [`repository:${fromRepo}:pull`] : [])]);
  let copied = 0;
  let mounted = 0;
  for (const image of images) {
    const got = await from.getManifest(fromRepo, image.digest);
    if (got.digest !== image.digest) throw new Error(`merge: ${from.registry}/${fromRepo}@${image.digest} answered ${got.digest}`);
    const doc = JSON.parse(Buffer.from(got.bytes).toString('utf8')) as ImageManifest;
    for (const blob of [doc.config, ...(doc.layers ?? [])]) {
      if ((await to.headBlob(toRepo, blob.digest)) !== undefined) continue;
      let location: string | undefined;
      if (sameRegistry) {
        const m = await to.mountBlob(toRepo, blob.digest, fromRepo);
        if (m.mounted) {
          mounted++;
          continue;
        }
        location = m.location;
      }
      await to.uploadBlob(toRepo, blob.digest, blob.size, remoteOpener({ client: from, repository: fromRepo }, blob.digest), location !== undefined ? { location } : {});
      copied++;
    }
    await to.putManifest(toRepo, image.digest, got.bytes, got.mediaType);
  }
  log(`${to.registry}/${toRepo}: ${images.length} platform image(s) from ${from.registry}/${fromRepo} (${mounted} blob(s) mounted, ${copied} copied)`);
}
