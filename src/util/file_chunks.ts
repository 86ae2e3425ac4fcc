// Reading big files in fresh buffers leaves up to ~100 MiB of dead buffers behind before V8
// collects them (a GC follows the growth of external memory, not its rate). Reading into two
// reused buffers instead, hashing or packing a 1 GiB file adds almost nothing to Node's baseline.
// The pairs are kept for the next file too: a run that hashes and packs a hundred binaries
// otherwise allocates 2 MiB per file, and each 64 MiB of that costs a full GC.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export const FILE_CHUNK = 1024 * 1024;

/**
 * Hands the first `length` bytes of `path` (default: all) to `consume` in order, in pieces of up
 * to `chunkSize` bytes. A piece's buffer is reused once the promise `consume`
 * returned for it settles, so `consume` must not keep the piece beyond that; the next piece is
 * read while the previous one is being consumed. Returns the number of bytes read.
 */
export async function forEachFileChunk(
  path: string,
  consume: (chunk: Buffer) => Promise<void> | void,
  opts: { length?: number; chunkSize?: number } = {},
): Promise<number> {
  const chunkSize = opts.chunkSize ?? FILE_CHUNK;
  const fh = await open(path, 'r');
  const pooled = chunkSize === FILE_CHUNK ? freePairs.pop() : undefined;
  const buffers = pooled ?? [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)];
  let settled = false;
  const busy: [Promise<void>, Promise<void>] = [Promise.resolve(), Promise.resolve()];
  let position = 0;
  let left = opts.length ?? Infinity;
  let total = 0;
  let i = 0;
  try {
    while (left > 0) {
      await busy[i];
      const buf = buffers[i] as Buffer;
      const { bytesRead } = await fh.read(buf, 0, Math.min(chunkSize, left), position);
      if (bytesRead === 0) break;
      position += bytesRead;
      left -= bytesRead;
      total += bytesRead;
      const pending = Promise.resolve(consume(buf.subarray(0, bytesRead)));
      // Failures surface at the await above or below, in order.
      pending.catch(() => undefined);
      busy[i] = pending;
      i ^= 1;
    }
    await Promise.all(busy);
    settled = true;
  } finally {
    await fh.close();
    // Only when no consumer can still hold a piece (a failure may leave one running).
    if (settled && chunkSize === FILE_CHUNK && freePairs.length < MAX_FREE_PAIRS) freePairs.push(buffers);
  }
  return total;
}

/** Buffer pairs of FILE_CHUNK bytes between reads; a few files are read at once at most. */
const freePairs: Buffer[][] = [];
const MAX_FREE_PAIRS = 8;

/** The sha256 of a file's bytes as hex (a plain checksum; OCI digests build on it). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await forEachFileChunk(path, (chunk) => void hash.update(chunk));
  return hash.digest('hex');
}
