import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PkgTarPlan } from './pkg_tar.ts';
import { digestHex, fileDigest } from '../oci/digest.ts';
import { writeFileAtomic } from '../write_atomic.ts';
import { mapLimit } from '../limit.ts';

/**
 * sha256 of a file, remembered in `memoDir` by the file's identity as Bazel's digest cache does
 * (path, device, inode, size, mtime and ctime in nanoseconds; ctime moves on every write and
 * cannot be set back), so an unchanged input is not read again by the next build.
 */
async function memoizedFileDigest(path: string, memoDir: string | undefined): Promise<string> {
  if (memoDir === undefined) return digestHex(await fileDigest(path));
  const st = await stat(path, { bigint: true });
  const key = createHash('sha256').update(`file/v1\0${path}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`).digest('hex');
  const memo = join(memoDir, key);
  const known = await readFile(memo, 'utf8').catch(() => '');
  if (/^[0-9a-f]{64}$/.test(known)) return known;
  const digest = digestHex(await fileDigest(path));
  await writeFileAtomic(memo, digest);
  return digest;
}

/**
 * The content key of a planned tar: every entry's metadata, the sha256 of every file it packs
 * and of every tar it merges, and the compression settings. Equal keys mean equal bytes, so an
 * unchanged layer is never packed or compressed again.
 */
export async function planKey(plan: PkgTarPlan, memoDir?: string): Promise<string> {
  const h = createHash('sha256');
  h.update('pkg_tar/v1\0');
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

/** Places `cached` at `dest` (a hard link when possible). */
async function place(cached: string, dest: string): Promise<void> {
  // Already this very file (a re-run that changed nothing): nothing to do.
  const [c, d] = await Promise.all([stat(cached, { bigint: true }), stat(dest, { bigint: true }).catch(() => undefined)]);
  if (d !== undefined && d.ino === c.ino && d.dev === c.dev) return;
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  await link(cached, tmp).catch(() => copyFile(cached, tmp));
  await rename(tmp, dest);
}

/**
 * Writes `dest` from the cache when a tar with the same content key was written before;
 * otherwise runs `write` and keeps the result under the key.
 */
export async function withTarCache(cacheDir: string, key: string, dest: string, write: () => Promise<void>): Promise<'hit' | 'miss'> {
  const cached = join(cacheDir, key);
  const hit = await stat(cached).then((s) => s.isFile(), () => false);
  if (hit) {
    await place(cached, dest);
    return 'hit';
  }
  await write();
  await mkdir(cacheDir, { recursive: true });
  const tmp = `${cached}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  await link(dest, tmp).catch(() => copyFile(dest, tmp));
  await rename(tmp, cached);
  return 'miss';
}
