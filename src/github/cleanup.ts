// Deleting a closed pull request's preview tags.
//
// ghcr.io has no registry-API delete: its images are GitHub packages, and an image is a package
// version (named by its digest, carrying its tags), deleted with the packages API. Elsewhere the
// tag's manifest is deleted by digest (OCI distribution), which removes every tag on it.
// Either way an image that also carries a tag not being deleted (the same build pushed as
// `edge`) is kept, since deleting it would take that tag too. A deleted image's SBOM referrers
// kept under the OCI tag-schema fallback (`sha256-<hex of the image or of a platform image
// under it>`) go with it, unless another tag still uses that image. Nothing here throws for a
// registry's answer: each problem is a warning, and every reference gets a result (the caller
// decides whether a failure fails the step: see cleanupFailures).

import { forEachLimit } from '../util/limit.ts';
import type { RegistryPool } from '../registry/pool.ts';
import type { RegistryClient } from '../registry/client.ts';
import { RegistryAuthError, RegistryError } from '../registry/errors.ts';
import { isIndexMediaType } from '../oci/mediatypes.ts';
import type { Digest } from '../oci/types.ts';
import { parseReference } from '../registry/reference.ts';
import { fallbackTag } from '../sbom/referrers.ts';
import { GitHubApiError, apiPath, type GitHubApi } from './api.ts';

export const GHCR = 'ghcr.io';

export interface DeletePreviewTagsOptions {
  /** Needed for ghcr.io (the packages API); without it ghcr.io tags are left with a warning. */
  api?: GitHubApi;
  pool: RegistryPool;
  /** `registry/repo:tag`, fully qualified. */
  references: string[];
  log: (message: string) => void;
  warn: (message: string) => void;
  /** Other tags of a repository checked for sharing a digest (non-ghcr registries). Default 500. */
  maxTagsToCheck?: number;
  /** Package versions listed at most, in pages of 100 (ghcr.io). Default 50 pages. */
  maxVersionPages?: number;
}

export type PreviewTagOutcome =
  /** The image is deleted. */
  | 'deleted'
  /** The image also carries another tag, or could not be checked: left in place. */
  | 'kept'
  /** The tag (or its repository/package) was not there. */
  | 'absent'
  /** The registry does not allow deleting, or no GitHub token was given for ghcr.io. */
  | 'unsupported'
  | 'failed';

export interface PreviewTagResult {
  reference: string;
  outcome: PreviewTagOutcome;
  /** The image's digest, when it was found. */
  digest?: string;
  /** Why, on one line. */
  message: string;
  /** SBOM referrer fallback tags (`sha256-…`) deleted with the image. */
  referrerTags?: string[];
}

/** The references a cleanup was asked to delete and could not (an error, not a shared image). */
export function cleanupFailures(results: PreviewTagResult[]): PreviewTagResult[] {
  return results.filter((r) => r.outcome === 'failed');
}

/** `sha256-<64 hex>`: a referrers tag-schema fallback tag, never an image tag. */
const FALLBACK_TAG = /^sha256-[0-9a-f]{64}$/;

export interface PackageVersion {
  id: number;
  /** The image digest. */
  name: string;
  metadata?: { package_type?: string; container?: { tags?: string[] } };
}

interface Target {
  reference: string;
  registry: string;
  repository: string;
  tag: string;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function list(tags: string[]): string {
  const shown = tags.slice(0, 5).join(', ');
  return tags.length > 5 ? `${shown} and ${tags.length - 5} more` : shown;
}

/**
 * Deletes the images behind preview tags (`ghcr.io/o/app:pr-7`, `registry:5000/app:pr-7`), unless
 * they carry other tags too. Never throws for a registry's answer: problems are warned about
 * and reported per reference.
 */
export async function deletePreviewTags(opts: DeletePreviewTagsOptions): Promise<PreviewTagResult[]> {
  const results = new Map<string, PreviewTagResult>();
  const record = (r: PreviewTagResult, level: 'log' | 'warn' = 'log') => {
    results.set(r.reference, r);
    opts[level](`${r.reference}: ${r.message}`);
  };
  const groups = new Map<string, Target[]>();
  for (const reference of new Set(opts.references.map((r) => r.trim()).filter(Boolean))) {
    let ref;
    try {
      ref = parseReference(reference);
    } catch (err) {
      record({ reference, outcome: 'failed', message: `not deleted: ${errorText(err)}` }, 'warn');
      continue;
    }
    if (ref.tag === undefined) {
      record({ reference, outcome: 'failed', message: 'not deleted: the reference has no tag' }, 'warn');
      continue;
    }
    const key = `${ref.registry}/${ref.repository}`;
    const group = groups.get(key) ?? [];
    group.push({ reference, registry: ref.registry, repository: ref.repository, tag: ref.tag });
    groups.set(key, group);
  }
  const refusing = new Set<string>();
  for (const targets of groups.values()) {
    const { registry } = targets[0]!;
    try {
      if (registry === GHCR) await deleteGhcr(opts, targets, record);
      else await deleteFromRegistry(opts, opts.pool.client(registry), targets, record, refusing);
    } catch (err) {
      for (const t of targets) {
        if (!results.has(t.reference)) record({ reference: t.reference, outcome: 'failed', message: `not deleted: ${errorText(err)}` }, 'warn');
      }
    }
  }
  return opts.references
    .map((r) => r.trim())
    .filter((r, i, all) => r && all.indexOf(r) === i)
    .map((r) => results.get(r)!);
}

type Recorder = (r: PreviewTagResult, level?: 'log' | 'warn') => void;

// ---------------------------------------------------------------------------------------------
// ghcr.io: GitHub packages

async function deleteGhcr(opts: DeletePreviewTagsOptions, targets: Target[], record: Recorder): Promise<void> {
  const repository = targets[0]!.repository;
  const slash = repository.indexOf('/');
  if (slash === -1) {
    for (const t of targets) record({ reference: t.reference, outcome: 'failed', message: 'not deleted: expected ghcr.io/<owner>/<package>' }, 'warn');
    return;
  }
  const api = opts.api;
  if (!api) {
    for (const t of targets) {
      record({ reference: t.reference, outcome: 'unsupported', message: 'not deleted: ghcr.io images are deleted through the GitHub API, and no token was given' }, 'warn');
    }
    return;
  }
  const owner = repository.slice(0, slash);
  const pkg = repository.slice(slash + 1);
  const wanted = new Set(targets.map((t) => t.tag));

  // Find the versions carrying the tags: the owner is an organisation or a user.
  let scope: 'orgs' | 'users' | undefined;
  const byTag = new Map<string, PackageVersion>();
  for (const s of ['orgs', 'users'] as const) {
    const path = s === 'orgs' ? apiPath`/orgs/${owner}/packages/container/${pkg}/versions` : apiPath`/users/${owner}/packages/container/${pkg}/versions`;
    let first = true;
    try {
      for await (const page of api.pages<PackageVersion>(path, { maxPages: opts.maxVersionPages ?? 50 })) {
        first = false;
        scope = s;
        for (const v of page) {
          for (const tag of v.metadata?.container?.tags ?? []) if (wanted.has(tag) && !byTag.has(tag)) byTag.set(tag, v);
        }
        if (byTag.size === wanted.size) break;
      }
    } catch (err) {
      if (first && err instanceof GitHubApiError && err.status === 404) continue;
      throw err;
    }
    break;
  }
  if (scope === undefined) {
    for (const t of targets) record({ reference: t.reference, outcome: 'absent', message: `already gone: no package ${owner}/${pkg} (as organisation or user)` });
    return;
  }

  const versions = new Map<number, { version: PackageVersion; targets: Target[] }>();
  for (const t of targets) {
    const v = byTag.get(t.tag);
    if (!v) {
      record({ reference: t.reference, outcome: 'absent', message: `already gone: no version of package ${owner}/${pkg} is tagged ${t.tag}` });
      continue;
    }
    const entry = versions.get(v.id) ?? { version: v, targets: [] };
    entry.targets.push(t);
    versions.set(v.id, entry);
  }
  for (const { version, targets: ts } of versions.values()) {
    const others = (version.metadata?.container?.tags ?? []).filter((tag) => !wanted.has(tag));
    const digest = version.name;
    if (others.length > 0) {
      for (const t of ts) {
        record({
          reference: t.reference,
          outcome: 'kept',
          digest,
          message: `kept: package version ${version.id} (${digest}) is also tagged ${list(others)}, and deleting it would remove ${others.length === 1 ? 'that tag' : 'those tags'}`,
        });
      }
      continue;
    }
    const path =
      scope === 'orgs'
        ? apiPath`/orgs/${owner}/packages/container/${pkg}/versions/${version.id}`
        : apiPath`/users/${owner}/packages/container/${pkg}/versions/${version.id}`;
    try {
      await api.delete(path);
      for (const t of ts) record({ reference: t.reference, outcome: 'deleted', digest, message: `deleted package version ${version.id} (${digest})` });
    } catch (err) {
      if (err instanceof GitHubApiError && err.status === 404) {
        for (const t of ts) record({ reference: t.reference, outcome: 'absent', digest, message: `already gone: package version ${version.id} (${digest})` });
      } else {
        for (const t of ts) record({ reference: t.reference, outcome: 'failed', digest, message: `not deleted: ${errorText(err)}` }, 'warn');
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Other registries: OCI distribution

async function deleteFromRegistry(
  opts: DeletePreviewTagsOptions,
  client: RegistryClient,
  targets: Target[],
  record: Recorder,
  refusing: Set<string>,
): Promise<void> {
  const { registry, repository: repo } = targets[0]!;
  if (refusing.has(registry)) {
    for (const t of targets) record({ reference: t.reference, outcome: 'unsupported', message: `not deleted: ${registry} does not allow deleting manifests` }, 'warn');
    return;
  }
  const wanted = new Set(targets.map((t) => t.tag));
  const byDigest = new Map<Digest, Target[]>();
  for (const t of targets) {
    const head = await client.headManifest(repo, t.tag);
    if (!head) {
      record({ reference: t.reference, outcome: 'absent', message: 'already gone' });
      continue;
    }
    const group = byDigest.get(head.digest) ?? [];
    group.push(t);
    byDigest.set(head.digest, group);
  }
  if (byDigest.size === 0) return;

  // Which other tags point at these digests — directly, or through an index that lists them.
  const others = (await client.listTags(repo)).filter((t) => !wanted.has(t) && !FALLBACK_TAG.test(t));
  const max = opts.maxTagsToCheck ?? 500;
  if (others.length > max) {
    for (const [digest, ts] of byDigest) {
      for (const t of ts) {
        record(
          { reference: t.reference, outcome: 'kept', digest, message: `kept: ${registry}/${repo} has ${others.length} other tags, more than the ${max} checked for sharing ${digest}` },
          'warn',
        );
      }
    }
    return;
  }
  const sharedBy = new Map<Digest, string[]>();
  // Every digest another tag uses, directly or in its index: their referrer tags stay.
  const used = new Set<string>();
  const note = (d: Digest, by: string) => {
    used.add(d);
    if (byDigest.has(d)) sharedBy.set(d, [...(sharedBy.get(d) ?? []), by]);
  };
  await forEachLimit(others, 4, async (tag) => {
    const head = await client.headManifest(repo, tag);
    if (!head) return; // Deleted meanwhile.
    note(head.digest, tag);
    if (isIndexMediaType(head.mediaType)) {
      const index = await client.getManifest(repo, head.digest);
      const doc = JSON.parse(Buffer.from(index.bytes).toString('utf8')) as { manifests?: Array<{ digest?: string }> };
      for (const m of doc.manifests ?? []) if (typeof m.digest === 'string') note(m.digest as Digest, `${tag} (in its index)`);
    }
  });

  for (const [digest, ts] of byDigest) {
    const shared = sharedBy.get(digest);
    if (shared) {
      const sorted = [...shared].sort();
      for (const t of ts) {
        record({
          reference: t.reference,
          outcome: 'kept',
          digest,
          message: `kept: ${digest} is also tagged ${list(sorted)}, and deleting it would remove ${sorted.length === 1 ? 'that tag' : 'those tags'}`,
        });
      }
      continue;
    }
    if (refusing.has(registry)) {
      for (const t of ts) record({ reference: t.reference, outcome: 'unsupported', digest, message: `not deleted: ${registry} does not allow deleting manifests` }, 'warn');
      continue;
    }
    try {
      // The platform images under an index are the subjects of its SBOMs: read before deleting.
      const subjects = [digest, ...(await childDigests(client, repo, digest))];
      const deleted = await client.deleteManifest(repo, digest);
      const referrerTags = deleted ? await deleteReferrerTags(client, repo, subjects.filter((d) => !used.has(d)), opts.warn) : [];
      const also = referrerTags.length > 0 ? ` and its SBOM referrer tag${referrerTags.length === 1 ? '' : 's'} ${list(referrerTags)}` : '';
      for (const t of ts) {
        record(
          deleted
            ? { reference: t.reference, outcome: 'deleted', digest, message: `deleted ${digest}${also}`, ...(referrerTags.length > 0 ? { referrerTags } : {}) }
            : { reference: t.reference, outcome: 'absent', digest, message: `already gone (${digest})` },
        );
      }
    } catch (err) {
      if (err instanceof RegistryError && (err.status === 405 || err.hasCode('UNSUPPORTED'))) {
        refusing.add(registry);
        for (const t of ts) {
          record({ reference: t.reference, outcome: 'unsupported', digest, message: `not deleted: ${registry} does not allow deleting manifests (${err.message})` }, 'warn');
        }
      } else {
        const why = err instanceof RegistryAuthError || err instanceof RegistryError ? err.message : errorText(err);
        for (const t of ts) record({ reference: t.reference, outcome: 'failed', digest, message: `not deleted: ${why}` }, 'warn');
      }
    }
  }
}

/** The manifests an index lists (none for an image manifest). */
async function childDigests(client: RegistryClient, repo: string, digest: Digest): Promise<Digest[]> {
  const got = await client.getManifest(repo, digest);
  if (!isIndexMediaType(got.mediaType)) return [];
  const doc = JSON.parse(Buffer.from(got.bytes).toString('utf8')) as { manifests?: Array<{ digest?: unknown }> };
  return (doc.manifests ?? []).map((m) => m.digest).filter((d): d is Digest => typeof d === 'string' && d.startsWith('sha256:'));
}

/**
 * Deletes the tag-schema fallback indexes (`sha256-<hex>`) of these subjects, with the referrer
 * manifests (SBOMs) they list. A failure here warns: the image itself is already gone.
 */
async function deleteReferrerTags(client: RegistryClient, repo: string, subjects: Digest[], warn: (m: string) => void): Promise<string[]> {
  const deleted: string[] = [];
  for (const subject of subjects) {
    const tag = fallbackTag(subject);
    try {
      const head = await client.headManifest(repo, tag);
      if (!head) continue;
      const got = await client.getManifest(repo, head.digest);
      const doc = JSON.parse(Buffer.from(got.bytes).toString('utf8')) as { manifests?: Array<{ digest?: unknown }> };
      await client.deleteManifest(repo, head.digest);
      deleted.push(tag);
      for (const m of doc.manifests ?? []) {
        if (typeof m.digest === 'string' && m.digest.startsWith('sha256:')) await client.deleteManifest(repo, m.digest as Digest);
      }
    } catch (err) {
      warn(`${client.registry}/${repo}:${tag}: SBOM referrer tag not deleted: ${errorText(err)}`);
    }
  }
  return deleted;
}
