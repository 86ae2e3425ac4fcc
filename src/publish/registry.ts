import { readBlobBytes } from '../oci/blobjson.ts';
import type { BlobStore } from '../oci/blobstore.ts';
import type { Digest } from '../oci/types.ts';
import type { RegistryPool } from '../registry/pool.ts';
import { pushImage, type PushResult, type RemoteSource } from '../registry/push.ts';
import { parseReference, validateTag } from '../registry/reference.ts';
import type { BuiltArtifact } from '../oci/artifact.ts';
import type { Descriptor } from '../oci/types.ts';
import { attachReferrer } from '../sbom/referrers.ts';
import { rememberedTag, rememberTag } from './tag_memo.ts';

/** Where one artifact goes: a repository (`registry/path`) and the tags to set there. */
export interface PushDestination {
  registry: string;
  repository: string;
  tags: string[];
}

function splitRepository(text: string, what: string): { registry: string; repository: string } {
  let ref;
  try {
    ref = parseReference(text);
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}`);
  }
  if (ref.tag !== undefined || ref.digest !== undefined) throw new Error(`${what}: "${text}" must name a repository without a tag`);
  return { registry: ref.registry, repository: ref.repository };
}

/**
 * Destinations from the rule (`repository`, `remote_tags`) and the action's inputs, which
 * override them. Input tags are docker/metadata-action lines: a bare tag (`v1.2.3`) applies to
 * the repository, a full reference (`ghcr.io/o/app:v1.2.3`) names its own.
 */
export function planDestinations(
  label: string,
  rule: { repository?: string; remoteTags: string[] },
  inputs: { repository?: string; tags: string[] },
): PushDestination[] {
  const repoText = inputs.repository && inputs.repository !== '' ? inputs.repository : rule.repository;
  const base = repoText ? splitRepository(repoText, inputs.repository ? 'input "repository"' : `${label}: repository`) : undefined;
  const byRepo = new Map<string, PushDestination>();
  const dest = (registry: string, repository: string): PushDestination => {
    const key = `${registry}/${repository}`;
    let d = byRepo.get(key);
    if (!d) {
      d = { registry, repository, tags: [] };
      byRepo.set(key, d);
    }
    return d;
  };
  const tags = inputs.tags.length > 0 ? inputs.tags : rule.remoteTags;
  const what = inputs.tags.length > 0 ? 'input "tags"' : `${label}: remote_tags`;
  const parsedTags = tags.map((line) => parseTagLine(line, what));
  // Input tags that all name their own repositories decide where the image goes, as with
  // docker/build-push-action: the rule's repository then gets no untagged copy.
  const tagsNameRepositories = inputs.tags.length > 0 && parsedTags.every((p) => p.repository !== undefined);
  if (base && (inputs.repository || !tagsNameRepositories)) dest(base.registry, base.repository);
  for (const [i, parsed] of parsedTags.entries()) {
    const line = tags[i] as string;
    if (parsed.repository) {
      const d = dest(parsed.repository.registry, parsed.repository.repository);
      if (!d.tags.includes(parsed.tag)) d.tags.push(parsed.tag);
      continue;
    }
    if (!base) throw new Error(`${label}: tag "${line}" needs a repository (set "repository" on the oci_push rule or the action's repository input)`);
    const d = dest(base.registry, base.repository);
    if (!d.tags.includes(parsed.tag)) d.tags.push(parsed.tag);
  }
  if (byRepo.size === 0 && base) dest(base.registry, base.repository);
  if (byRepo.size === 0) throw new Error(`${label}: no repository to push to (set "repository" on the oci_push rule or the action's repository input)`);
  return [...byRepo.values()];
}

/**
 * One tag line: a bare tag (`v1.2.3`), or a full reference naming its own repository
 * (`ghcr.io/o/app:v1.2.3`), as docker/metadata-action writes them. `what` names the source in errors.
 */
function parseTagLine(line: string, what: string): { tag: string; repository?: { registry: string; repository: string } } {
  if (line.includes('/') || line.includes(':')) {
    let ref;
    try {
      ref = parseReference(line);
    } catch (err) {
      throw new Error(`${what}: ${(err as Error).message}`);
    }
    if (ref.digest !== undefined || ref.tag === undefined) throw new Error(`${what}: "${line}" must end in :tag`);
    return { tag: ref.tag, repository: { registry: ref.registry, repository: ref.repository } };
  }
  try {
    validateTag(line);
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}`);
  }
  return { tag: line };
}

/** Checks the repository and tags inputs on their own, before anything is built. */
export function checkPushInputs(inputs: { repository?: string; tags: string[] }): void {
  if (inputs.repository) splitRepository(inputs.repository, 'input "repository"');
  for (const line of inputs.tags) parseTagLine(line, 'input "tags"');
}

export interface PushedArtifact {
  digest: Digest;
  /** `registry/repository@sha256:…` for each destination. */
  references: string[];
  /** `registry/repository:tag` for each tag set. */
  tagged: string[];
  stats: Pick<PushResult, 'uploaded' | 'skipped' | 'mounted' | 'bytesUploaded'>;
  /** For each referrer given, how it was attached in the first destination: `referrers` API or `tag:sha256-…`. */
  referrers: string[];
}

/**
 * Pushes an image or index to every destination by digest first (blobs, then manifests), and
 * only then sets the tags, so a failure never leaves a tag on an incomplete image.
 */
export async function pushArtifact(
  pool: RegistryPool,
  store: BlobStore,
  artifact: BuiltArtifact,
  destinations: PushDestination[],
  log: (message: string) => void,
  options: { referrers?: Array<{ descriptor: Descriptor; subject: Digest }> } = {},
): Promise<PushedArtifact> {
  const stats = { uploaded: 0, skipped: 0, mounted: 0, bytesUploaded: 0 };
  const images = artifact.kind === 'image' ? [artifact] : artifact.images;
  const digest = artifact.descriptor.digest;
  const unchanged = new Set<PushDestination>();
  for (const d of destinations) {
    if (await stillTagged(pool, store, d, digest)) {
      unchanged.add(d);
      const blobs = new Set(images.flatMap((i) => [i.manifest.config.digest, ...i.manifest.layers.map((l) => l.digest)])).size;
      stats.skipped += blobs;
      log(`${d.registry}/${d.repository}:${d.tags.join(',')} → ${digest} already (${blobs} blob(s) skipped): nothing to push`);
      continue;
    }
    const mountFrom = new Map<Digest, string>();
    for (const img of images) {
      for (const [digest, src] of img.layerSources) {
        if (src.registry === d.registry && src.repository !== d.repository) mountFrom.set(digest, src.repository);
      }
    }
    // Base layers never downloaded are copied registry to registry (or mounted, above), and
    // only when the destination lacks them.
    const remoteSource = new Map<Digest, RemoteSource>();
    for (const img of images) {
      for (const [digest, src] of img.layerSources) {
        if (!(await store.has(digest))) remoteSource.set(digest, { client: pool.client(src.registry), repository: src.repository });
      }
    }
    const result = await pushImage(pool.client(d.registry), store, d.repository, artifact.descriptor, [], { mountFrom, remoteSource, log });
    stats.uploaded += result.uploaded;
    stats.skipped += result.skipped;
    stats.mounted += result.mounted;
    stats.bytesUploaded += result.bytesUploaded;
    log(
      `${d.registry}/${d.repository}@${result.digest}: ${result.uploaded} blob(s) uploaded (${result.bytesUploaded} bytes), ${result.skipped} skipped (already there), ${result.mounted} mounted${result.copied ? `, ${result.copied} copied from the base's registry` : ''}`,
    );
  }
  // Referrers (SBOMs) after the images they refer to, before any tag.
  const referrers: string[] = [];
  for (const [i, d] of destinations.entries()) {
    for (const r of options.referrers ?? []) {
      const res = await attachReferrer(pool.client(d.registry), store, d.repository, r.descriptor, r.subject, () => {});
      log(`${d.registry}/${d.repository}@${r.descriptor.digest}: ${r.descriptor.artifactType ?? 'artifact'} for ${r.subject} (${res.via === 'referrers' ? 'referrers API' : `tag ${res.tag}`})`);
      if (i === 0) referrers.push(res.via === 'referrers' ? 'referrers' : `tag:${res.tag}`);
    }
  }
  const bytes = await readBlobBytes(store, artifact.descriptor.digest, 'manifest');
  const tagged: string[] = [];
  for (const d of destinations) {
    const client = pool.client(d.registry);
    for (const tag of d.tags) {
      if (!unchanged.has(d)) {
        await client.putManifest(d.repository, tag, bytes, artifact.descriptor.mediaType);
        await rememberTag(store, d.registry, d.repository, tag, digest);
      }
      tagged.push(`${d.registry}/${d.repository}:${tag}`);
    }
  }
  return {
    digest: artifact.descriptor.digest,
    references: destinations.map((d) => `${d.registry}/${d.repository}@${artifact.descriptor.digest}`),
    tagged,
    stats,
    referrers,
  };
}

/**
 * Whether every tag of `d` still points at `digest`, as this store remembers leaving it: then one
 * HEAD per tag is the whole push (a registry tags a manifest only once all it references is there).
 */
async function stillTagged(pool: RegistryPool, store: BlobStore, d: PushDestination, digest: Digest): Promise<boolean> {
  if (d.tags.length === 0) return false;
  const remembered = await Promise.all(d.tags.map((t) => rememberedTag(store, d.registry, d.repository, t)));
  if (!remembered.every((r) => r === digest)) return false;
  const client = pool.client(d.registry);
  client.auth.want([`repository:${d.repository}:pull,push`]);
  await client.ping();
  const heads = await Promise.all(d.tags.map((t) => client.headManifest(d.repository, t).catch(() => undefined)));
  return heads.every((h) => h?.digest === digest);
}
