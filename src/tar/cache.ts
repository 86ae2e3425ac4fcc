import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { statIfExists } from '../util/small_file.ts';
import type { PkgTarPlan } from './pkg_tar.ts';
import { memoizedFileDigest } from '../util/file_digest_memo.ts';
import { mapLimit } from '../util/limit.ts';

/**
 * The content key of a planned tar: every entry's metadata, the sha256 of every file it packs
 * and of every tar it merges, and the compression settings. Equal keys mean equal bytes, so an
 * unchanged layer is never packed or compressed again.
 */
export async function planKey(plan: PkgTarPlan, memoDir?: string): Promise<string> {
  const h = createHash('sha256');
  // v2: .tar.gz bytes come from src/oci/compress.ts's chunked gzip (v1: one zlib stream).
  h.update('pkg_tar/v2\0');
  // A few files at a time: most answers come from the memo, a small read each.
  const entries = await mapLimit(plan.entries, 8, async (e) => {
    const source = e.source === undefined ? null : 'file' in e.source ? { sha256: await memoizedFileDigest(e.source.file, memoDir) } : { content: createHash('sha256').update(e.source.content).digest('hex') };
    return { ...e, source };
  });
  const merge = await mapLimit(plan.merge, 8, async (m) => ({ prefix: m.prefix ?? '', sha256: await memoizedFileDigest(m.path, memoDir) }));
  h.update(
    JSON.stringify({
      entries,
      merge,
      compression: plan.compression,
      gzipLevel: plan.gzipLevel,
      createParents: plan.createParents,
      allowDuplicates: plan.allowDuplicates,
      mtime: plan.mtime,
    }),
  );
  return h.digest('hex');
}

/** Whether two paths name the same file (one inode), as a hard link from the cache does. */
async function sameFile(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a).catch(() => undefined), stat(b).catch(() => undefined)]);
  return sa !== undefined && sb !== undefined && sa.dev === sb.dev && sa.ino === sb.ino;
}

/**
 * Links `from` to `to` through a temporary name, so `to` is replaced whole. rename() of one
 * hard link over another of the same inode succeeds without doing anything (POSIX), which
 * would leave the temporary name behind: that case is skipped, and the name removed anyway.
 */
async function linkOver(from: string, to: string): Promise<void> {
  if (await sameFile(from, to)) return;
  const tmp = `${to}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  try {
    await link(from, tmp).catch(() => copyFile(from, tmp));
    await rename(tmp, to);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Places `cached` at `dest` (a hard link when possible). */
async function place(cached: string, dest: string): Promise<void> {
  // Already this very file (a re-run that changed nothing): nothing to do.
  const c = statIfExists(cached, { bigint: true });
  const d = statIfExists(dest, { bigint: true });
  if (c === undefined) throw new Error(`pkg_tar cache: ${cached} vanished`);
  if (d !== undefined && d.ino === c.ino && d.dev === c.dev) return;
  await mkdir(dirname(dest), { recursive: true });
  await linkOver(cached, dest);
}

/**
 * Writes `dest` from the cache when a tar with the same content key was written before;
 * otherwise runs `write` and keeps the result under the key.
 */
export async function withTarCache(cacheDir: string, key: string, dest: string, write: () => Promise<void>): Promise<'hit' | 'miss'> {
  const cached = join(cacheDir, key);
  if (statIfExists(cached)?.isFile()) {
    await place(cached, dest);
    return 'hit';
  }
  await write();
  await mkdir(cacheDir, { recursive: true });
  await linkOver(dest, cached);
  return 'miss';
}
