// Reproducibility proof: build the requested targets twice, each in its own temporary output
// tree (its own blob store) and the second with an empty Go build cache, and compare every
// digest. The first build may use the usual GOCACHE; the second must not reuse its compiled
// packages, or a compiler-level non-determinism would be hidden by the cache handing back the
// first build's objects. (GOCACHE=off is not allowed by go build since Go 1.12; GOMODCACHE stays
// shared: module downloads are checked against go.sum.)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from './oci/blobstore.ts';
import { readBlobJson } from './oci/blobjson.ts';
import { isIndexMediaType } from './oci/mediatypes.ts';
import { formatPlatform } from './oci/platform.ts';
import type { Descriptor, Digest, ImageIndex, ImageManifest } from './oci/types.ts';
import { BuildError } from './errors.ts';
import { runPipeline, type PipelineOptions, type PipelineResult } from './pipeline.ts';

export interface BlobDifference {
  label: string;
  /** `linux/amd64 config`, `linux/amd64 layer 1`, `linux/amd64 manifest`, `index`. */
  what: string;
  a: string;
  b: string;
}

const short = (d: string) => d.slice(0, 19);

async function diffManifest(label: string, where: string, sa: BlobStore, a: Descriptor, sb: BlobStore, b: Descriptor, out: BlobDifference[]): Promise<void> {
  const ma = (await readBlobJson(sa, a.digest, 'manifest')) as ImageManifest;
  const mb = (await readBlobJson(sb, b.digest, 'manifest')) as ImageManifest;
  const before = out.length;
  if (ma.config.digest !== mb.config.digest) out.push({ label, what: `${where}config`, a: ma.config.digest, b: mb.config.digest });
  const n = Math.max(ma.layers.length, mb.layers.length);
  for (let i = 0; i < n; i++) {
    const la = ma.layers[i]?.digest ?? '(none)';
    const lb = mb.layers[i]?.digest ?? '(none)';
    if (la !== lb) out.push({ label, what: `${where}layer ${i + 1}`, a: la, b: lb });
  }
  // Only when nothing inside differs is the manifest itself (annotations, media types) the cause.
  if (out.length === before) out.push({ label, what: `${where}manifest`, a: a.digest, b: b.digest });
}

async function diffArtifact(label: string, sa: BlobStore, a: Descriptor, sb: BlobStore, b: Descriptor, out: BlobDifference[]): Promise<void> {
  if (a.digest === b.digest) return;
  if (!isIndexMediaType(a.mediaType) || !isIndexMediaType(b.mediaType)) return diffManifest(label, '', sa, a, sb, b, out);
  const ia = (await readBlobJson(sa, a.digest, 'index')) as ImageIndex;
  const ib = (await readBlobJson(sb, b.digest, 'index')) as ImageIndex;
  const before = out.length;
  for (const [i, ma] of ia.manifests.entries()) {
    const mb = ib.manifests[i];
    if (!mb || ma.digest === mb.digest) continue;
    const where = ma.platform ? `${formatPlatform(ma.platform)} ` : `manifest ${i + 1} `;
    await diffManifest(label, where, sa, ma, sb, mb, out);
  }
  if (out.length === before) out.push({ label, what: 'index', a: a.digest, b: b.digest });
}

/** Differences between two builds' reports, target by target. */
export async function compareBuilds(a: PipelineResult, b: PipelineResult): Promise<BlobDifference[]> {
  const sa = new BlobStore(join(a.outputDir, 'store'));
  const sb = new BlobStore(join(b.outputDir, 'store'));
  const out: BlobDifference[] = [];
  for (const ra of a.reports) {
    const rb = b.reports.find((r) => r.label === ra.label);
    if (!ra.digest || !rb?.digest || ra.digest === rb.digest) continue;
    await diffArtifact(
      ra.label,
      sa,
      { mediaType: ra.mediaType ?? '', digest: ra.digest as Digest, size: 0 },
      sb,
      { mediaType: rb.mediaType ?? '', digest: rb.digest as Digest, size: 0 },
      out,
    );
  }
  return out;
}

export function formatDifferences(diffs: BlobDifference[]): string {
  return diffs.map((d) => `  ${d.label}: ${d.what} differs (${short(d.a)}… vs ${short(d.b)}…)`).join('\n');
}

/**
 * Builds `opts.targets` twice (nothing loaded or pushed) and fails with a per-blob summary when
 * any digest differs.
 */
export async function verifyReproducible(opts: PipelineOptions): Promise<{ targets: number }> {
  const env = opts.env ?? process.env;
  const tmp = await mkdtemp(join(tmpdir(), 'oci-build-verify-'));
  try {
    const build = (n: 1 | 2) =>
      runPipeline({
        ...opts,
        outputDir: join(tmp, `build-${n}`),
        load: false,
        push: false,
        env: n === 1 ? env : { ...env, GOCACHE: join(tmp, 'gocache-2') },
        log: { info: (m) => opts.log.info(`[verify ${n}/2] ${m}`), warning: (m, at) => opts.log.warning(m, at) },
        // Already inside the caller's group; workflow-command groups do not nest.
        group: (_name, fn) => fn(),
        status: undefined,
      });
    const a = await build(1);
    // Start the second build in a later second than the first one ended, so time-stamped outputs
    // (BUILD_TIMESTAMP has a one-second resolution) are caught however fast either build is. The
    // first build's status is read lazily, when a stamped target needs it: any time up to its end.
    const firstEnded = Date.now();
    const waitMs = (Math.floor(firstEnded / 1000) + 1) * 1000 - firstEnded;
    await new Promise((r) => setTimeout(r, waitMs + 10));
    const b = await build(2);
    const diffs = await compareBuilds(a, b);
    const built = a.reports.filter((r) => r.digest).length;
    if (diffs.length) {
      const targets = new Set(diffs.map((d) => d.label)).size;
      throw new BuildError(`not reproducible: ${targets} of ${built} target(s) built twice gave different digests\n${formatDifferences(diffs)}`);
    }
    opts.log.info(`reproducible: ${built} target(s) built twice, from separate blob stores and Go build caches, gave identical digests`);
    return { targets: built };
  } finally {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
  }
}
