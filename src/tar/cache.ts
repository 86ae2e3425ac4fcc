import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PkgTarPlan } from './pkg_tar.ts';

async function fileDigest(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * The content key of a planned tar: every entry's metadata, the sha256 of every file it packs
 * and of every tar it merges, and the compression settings. Equal keys mean equal bytes, so an
 * unchanged layer is never packed or compressed again.
 */
export async function planKey(plan: PkgTarPlan): Promise<string> {
  const h = createHash('sha256');
  h.update('pkg_tar/v1\0');
  const entries = [];
  for (const e of plan.entries) {
    const source = e.source === undefined ? null : 'file' in e.source ? { sha256: await fileDigest(e.source.file) } : { content: createHash('sha256').update(e.source.content).digest('hex') };
    entries.push({ ...e, source });
  }
  const merge = [];
  for (const m of plan.merge) merge.push({ prefix: m.prefix ?? '', sha256: await fileDigest(m.path) });
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
