// sha256 of files remembered by identity, as Bazel's digest cache does (path, device, inode,
// size, mtime and ctime in nanoseconds; ctime moves on every write and cannot be set back), so
// an unchanged file is not read again — by the next build, or by the next step of this one when
// the step that wrote the file hashed its bytes on the way out.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { readSmallFile } from './small_file.ts';
import { join } from 'node:path';
import { digestHex, fileDigest } from '../oci/digest.ts';
import { writeFileAtomic } from './write_atomic.ts';

/** The memo's place under a blob store's root. */
export const FILE_DIGEST_MEMO = join('cache', 'file-digests');

function memoFile(path: string, memoDir: string): string {
  // On the calling thread, as the memo's read below (small_file.ts says why).
  const st = statSync(path, { bigint: true });
  const key = createHash('sha256').update(`file/v1\0${path}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`).digest('hex');
  return join(memoDir, key);
}

/** The sha256 (hex) of `path`, from the memo when the file is the one remembered, else read. */
export async function memoizedFileDigest(path: string, memoDir: string | undefined): Promise<string> {
  if (memoDir === undefined) return digestHex(await fileDigest(path));
  const memo = memoFile(path, memoDir);
  const known = readSmallFile(memo) ?? '';
  if (/^[0-9a-f]{64}$/.test(known)) return known;
  const digest = digestHex(await fileDigest(path));
  await writeFileAtomic(memo, digest);
  return digest;
}

/**
 * Records the sha256 (hex) of a file whose bytes the caller hashed while writing it. Call it
 * once the file is in its final place (a link or rename later moves its ctime, and the memo
 * then no longer applies).
 */
export async function rememberFileDigest(path: string, sha256Hex: string, memoDir: string): Promise<void> {
  if (!/^[0-9a-f]{64}$/.test(sha256Hex)) throw new Error(`internal: not a sha256: ${sha256Hex}`);
  await writeFileAtomic(memoFile(path, memoDir), sha256Hex);
}
