// Reading big files in fresh buffers leaves ~100 MiB of garbage behind before V8 collects it
// (a GC is triggered by growth of external memory, not by its rate). These readers reuse two
// buffers instead: peak RSS while packing or hashing a 1 GiB tar stays near Node's baseline.
import { open } from 'node:fs/promises';

export const FILE_CHUNK = 1024 * 1024;

/**
 * Hands the bytes of `path` (from `start`, `length` bytes or to the end) to `consume` in order, in
 * pieces of up to `chunkSize` bytes. A piece's buffer is reused once the promise `consume`
 * returned for it settles, so `consume` must not keep the piece beyond that; the next piece is
 * read while the previous one is being consumed. Returns the number of bytes read.
 */
export async function forEachFileChunk(
  path: string,
  consume: (chunk: Buffer) => Promise<void> | void,
  opts: { start?: number; length?: number; chunkSize?: number } = {},
): Promise<number> {
  const chunkSize = opts.chunkSize ?? FILE_CHUNK;
  const fh = await open(path, 'r');
  const buffers = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)];
  const busy: [Promise<void>, Promise<void>] = [Promise.resolve(), Promise.resolve()];
  let position = opts.start ?? 0;
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
  } finally {
    await fh.close();
  }
  return total;
}
