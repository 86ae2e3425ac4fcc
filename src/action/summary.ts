import type { TargetReport } from '../pipeline.ts';
import type { CacheStat } from './cache.ts';
import { formatBytes } from '../util/format.ts';
import { BuildError } from '../errors.ts';
import { errorAnnotation, goAnnotations, type Located } from './annotations.ts';

type Cell = string | { data: string; header?: boolean };

function short(digest: string | undefined): string {
  return digest ? code(`${digest.slice(0, 19)}…`) : '—';
}

function code(text: string): string {
  return `<code>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</code>`;
}

/** The job summary table: one row per target, as a user scans it after a run. */
export function summaryRows(reports: TargetReport[]): Cell[][] {
  const header: Cell[] = ['Target', 'Result', 'Reference', 'Digest', 'Platforms', 'Layers', 'Blobs', 'Time'].map((h) => ({ data: h, header: true }));
  const rows: Cell[][] = [header];
  for (const r of reports) {
    const where = r.references.length ? [...r.tags, ...r.references] : r.tags;
    const blobs = r.blobs
      ? `${r.blobs.uploaded} uploaded (${formatBytes(r.blobs.bytesUploaded)}), ${r.blobs.skipped} skipped, ${r.blobs.mounted} mounted`
      : '—';
    const layers = r.layers ? `${r.layers.count} (${formatBytes(r.layers.bytes)})` : '—';
    const time = r.seconds !== undefined ? `${r.seconds.toFixed(1)} s` : '—';
    rows.push([`${code(r.label)} (${r.kind})`, r.action, where.map(code).join('<br>') || '—', short(r.digest), r.platforms.join('<br>') || '—', layers, blobs, time]);
  }
  return rows;
}

/** The caches table: what each restore or save moved (sizes on disk, time). */
export function cacheRows(stats: CacheStat[]): Cell[][] {
  const header: Cell[] = ['Cache', 'Action', 'Key', 'Size', 'Files', 'Time'].map((h) => ({ data: h, header: true }));
  return [header, ...stats.map((s): Cell[] => [s.name, s.action, code(s.key), formatBytes(s.bytes), String(s.files), `${s.seconds.toFixed(1)} s`])];
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function where(at: Located): string {
  return at.file ? code(`${at.file}:${at.line}${at.column !== undefined ? `:${at.column}` : ''}`) : '—';
}

/**
 * The failure table: where (the BUILD, MODULE.bazel or .bazelrc line, then each Go compile
 * error's .go line), the target and why, read from the error's fields, not parsed out of its text.
 */
export function failureRows(err: unknown, workspaceRoot: string | undefined, checkoutRoot: string): Cell[][] {
  const header: Cell[] = ['Where', 'Target', 'Error'].map((h) => ({ data: h, header: true }));
  const located = err instanceof BuildError;
  const label = located && err.label ? code(err.label) : '—';
  const why = (located ? err.reason : err instanceof Error ? err.message : String(err)).split('\n', 1)[0]?.replace(/:$/, '') ?? '';
  const rows: Cell[][] = [header, [where(errorAnnotation(err, why, workspaceRoot, checkoutRoot)), label, escapeHtml(why)]];
  for (const g of goAnnotations(err, checkoutRoot)) rows.push([where(g), label, escapeHtml(g.message.split('\n', 1)[0] ?? '')]);
  return rows;
}
