// Parallel, deterministic layer compression. The input is cut into fixed-size chunks that are
// compressed on libuv's threadpool (async zlib), several at once, and written out in order; the
// main thread only copies, checksums and yields. The output depends only on the input bytes and
// the level — never on the concurrency, on how the caller chunked the input, or on timing —
// because the chunk size is a constant of the format.
//
// gzip is pigz-style: each chunk is raw deflate primed with the last 32 KiB of the previous chunk
// as dictionary and ended with a sync flush (the last chunk: a final block), so the pieces join
// into one deflate stream inside ONE gzip member, readable by any gunzip.
// zstd: each chunk is an independent frame; concatenated frames are one valid zstd stream.
//
// The threadpool has UV_THREADPOOL_SIZE threads (default 4), shared with fs work; a concurrency
// above that only queues, so the default concurrency is capped there.
import { availableParallelism } from 'node:os';
import * as zlib from 'node:zlib';

export type Compression = 'gzip' | 'zstd';

export interface CompressOptions {
  format: Compression;
  level: number;
  /**
   * Max chunks compressing at once. Default: os.availableParallelism(), but no more than libuv's
   * threadpool has threads (UV_THREADPOOL_SIZE, default 4): more would only queue there, holding
   * memory and delaying fs work, which shares the pool.
   */
  concurrency?: number;
}

/**
 * gzip chunk size: part of the output format (never derived from the core count). A cut costs a
 * sync flush (5 bytes) and restarts deflate's block statistics, while the 32 KiB dictionary keeps
 * every match deflate could have made anyway; measured against one zlib stream, 128 KiB-4 MiB
 * chunks all come out within ±0.1% (often smaller). 1 MiB is few enough jobs to keep per-job
 * overhead negligible and enough to spread a small layer over the cores.
 */
export const CHUNK_SIZE = 1024 * 1024;

/**
 * zstd chunk size (part of the format too): frames share no history, and zstd looks back 2 MiB
 * (level 3) to 8 MiB (level 19), so a cut loses more than with gzip. On a tar of Go sources and
 * binaries, against one stream: level 3 +1.05% at 1 MiB, +0.12% at 4 MiB, +0.06% at 8 MiB;
 * level 19 +7.7% / +2.7% / +1.0%. 4 MiB keeps the default level within noise at bounded memory.
 */
export const ZSTD_CHUNK_SIZE = 4 * 1024 * 1024;

const WINDOW = 32 * 1024;
/** Compressed chunks that may wait for an earlier, slower one beyond the `concurrency` running. */
const SLACK = 2;
const GZIP_MAGIC = [0x1f, 0x8b, 0x08 /* deflate */, 0x00 /* no flags */, 0, 0, 0, 0 /* mtime 0 */];
const OS_UNKNOWN = 0xff;
// Output buffer per chunk job: room for what a chunk of a layer usually compresses to (Go binaries:
// under half), so most chunks are one threadpool job and one buffer; an incompressible chunk
// (stored blocks cost 5 bytes per 64 KiB) takes a second round and a copy. Each buffer is
// garbage once written out, and V8 collects after every 64 MiB of such buffers: sizing them for
// the worst case doubled that garbage.
const GZIP_OUT = 640 * 1024;
const ZSTD_OUT = ZSTD_CHUNK_SIZE + (ZSTD_CHUNK_SIZE >> 7) + 1024;

export function defaultLevel(format: Compression): number {
  return format === 'zstd' ? 3 : 1;
}

export function validateLevel(format: Compression, level: number): void {
  const [min, max] = format === 'zstd' ? [1, 19] : [0, 9];
  if (!Number.isInteger(level) || level < min || level > max) {
    throw new Error(`${format}: compression level must be an integer ${min}-${max}, got ${level}`);
  }
}

/**
 * The gzip header for `level`: magic, deflate, no flags, mtime 0, XFL as zlib sets it (2 for
 * level 9, 4 for levels 0-1, else 0), and OS 255 ("unknown", what Python's gzip and Go's
 * compress/gzip write) rather than the OS zlib was built for, so the bytes match across hosts.
 */
export function gzipHeader(level: number): Buffer {
  const xfl = level === 9 ? 2 : level < 2 ? 4 : 0;
  return Buffer.from([...GZIP_MAGIC, xfl, OS_UNKNOWN]);
}

/**
 * Compresses `input` (any chunk sizes) and yields the compressed bytes in order. A piece of
 * `input` may be kept, uncopied, until it is compressed: `input` must not reuse a buffer it has
 * yielded (give copies of a reused read buffer). Options are
 * checked at the call; input and zlib errors reject the generator. At most `concurrency` chunks
 * are compressing at once, and the input is read at most `concurrency + 4` chunks ahead of the
 * output (2 finished chunks may wait for a slower earlier one, 1 is held back (gzip), 1 is read
 * ahead); stopping early closes the input.
 */
export function compressStream(input: AsyncIterable<Uint8Array>, opts: CompressOptions): AsyncGenerator<Buffer> {
  if (opts.format !== 'gzip' && opts.format !== 'zstd') {
    throw new Error(`compress: unknown format ${JSON.stringify(opts.format)} (want gzip or zstd)`);
  }
  validateLevel(opts.format, opts.level);
  const concurrency = opts.concurrency ?? Math.min(availableParallelism(), threadpoolSize());
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`compress: concurrency must be a positive integer, got ${concurrency}`);
  }
  if (opts.format === 'zstd') {
    if (typeof zlib.zstdCompress !== 'function') {
      throw new Error(`zstd compression needs Node.js >= 22.15 (this is ${process.version})`);
    }
    return zstdStream(input, opts.level, concurrency);
  }
  return gzipStream(input, opts.level, concurrency);
}

function threadpoolSize(): number {
  const n = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 1024) : 4;
}

/** Re-cuts `input` into fresh `size`-byte buffers (the last may be shorter; none is empty). */
async function* fixedChunks(input: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let buf = Buffer.allocUnsafe(size);
  let fill = 0;
  for await (const piece of input) {
    if (!(piece instanceof Uint8Array)) throw new TypeError(`compress: input yielded ${typeof piece}, want Uint8Array`);
    // A whole chunk arriving at a chunk boundary (a file read in CHUNK_SIZE pieces) is passed on
    // as it is: no copy, half the garbage.
    if (fill === 0 && piece.length === size && Buffer.isBuffer(piece)) {
      yield piece;
      continue;
    }
    let off = 0;
    while (off < piece.length) {
      const n = Math.min(size - fill, piece.length - off);
      buf.set(piece.subarray(off, off + n), fill);
      fill += n;
      off += n;
      if (fill === size) {
        yield buf;
        buf = Buffer.allocUnsafe(size);
        fill = 0;
      }
    }
  }
  if (fill > 0) yield buf.subarray(0, fill);
}

const ignore = () => {};

/**
 * Asks `it` for its next value as soon as the previous one is taken, so the next chunk is being
 * read while the caller waits for compression (one chunk of read-ahead, no more). When the caller
 * stops early, `it` is closed without waiting: a stalled input must not hold up the caller.
 */
async function* readAhead<T>(it: AsyncGenerator<T>): AsyncGenerator<T> {
  let next = it.next();
  next.catch(ignore); // a failure while the caller is busy elsewhere surfaces at the await below
  let finished = false;
  try {
    for (;;) {
      const r = await next;
      if (r.done) break;
      next = it.next();
      next.catch(ignore);
      yield r.value;
    }
    finished = true;
  } catch (err) {
    finished = true;
    throw err;
  } finally {
    if (!finished) it.return(undefined).catch(ignore);
  }
}

/**
 * Compression jobs, results taken in input order. At most `concurrency` run at once, and at most
 * `concurrency + SLACK` are outstanding (running, or done and waiting for an earlier one): a new
 * job may start when any job finishes, not only the oldest, so one slow chunk does not idle the
 * other threads. Settling is observed at once, so a job failing while an earlier one (or the
 * input) is awaited is not an unhandled rejection; its error is thrown when its turn comes.
 */
class OrderedJobs {
  private readonly queue: { result: Promise<Buffer>; done: boolean }[] = [];
  private readonly concurrency: number;
  private running = 0;
  private wake: (() => void) | undefined;
  constructor(concurrency: number) {
    this.concurrency = concurrency;
  }
  add(result: Promise<Buffer>): void {
    const entry = { result, done: false };
    this.running++;
    const settle = () => {
      entry.done = true;
      this.running--;
      const wake = this.wake;
      this.wake = undefined;
      wake?.();
    };
    result.then(settle, settle);
    this.queue.push(entry);
  }
  /**
   * Returns as soon as another job may start, so the caller keeps the threads busy first; until
   * then yields finished results in order, or waits for a job to finish. With `all`: yields every
   * result.
   */
  async *drain(all = false): AsyncGenerator<Buffer> {
    for (;;) {
      if (!all && this.running < this.concurrency && this.queue.length < this.concurrency + SLACK) return;
      if (this.queue[0]?.done) yield await this.queue.shift()!.result;
      else if (this.queue.length === 0) return;
      else await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

function deflateChunk(chunk: Buffer, level: number, dictionary: Buffer | undefined, last: boolean): Promise<Buffer> {
  const opts: zlib.ZlibOptions = {
    level,
    windowBits: 15,
    memLevel: 8,
    strategy: zlib.constants.Z_DEFAULT_STRATEGY,
    chunkSize: GZIP_OUT,
    // The same flush for the write as for the end: the output comes back in one piece (the
    // default flush would split off the flush's bytes and cost a copy of the whole output).
    flush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
    finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
  };
  if (dictionary) opts.dictionary = dictionary;
  return new Promise((resolve, reject) => {
    zlib.deflateRaw(chunk, opts, (err, out) => (err ? reject(err) : resolve(out)));
  });
}

async function* gzipStream(input: AsyncIterable<Uint8Array>, level: number, concurrency: number): AsyncGenerator<Buffer> {
  yield gzipHeader(level);
  const jobs = new OrderedJobs(concurrency);
  let crc = 0;
  let size = 0;
  // A chunk is only known not to be the last when the next one arrives, so one is held back.
  let held: Buffer | undefined;
  let dictionary: Buffer | undefined;
  for await (const chunk of readAhead(fixedChunks(input, CHUNK_SIZE))) {
    crc = zlib.crc32(chunk, crc);
    size = (size + chunk.length) % 0x1_0000_0000;
    if (held) {
      jobs.add(deflateChunk(held, level, dictionary, false));
      dictionary = held.subarray(held.length - WINDOW);
      yield* jobs.drain();
    }
    held = chunk;
  }
  // The last chunk ends the deflate stream (for empty input: just an empty final block).
  jobs.add(deflateChunk(held ?? Buffer.alloc(0), level, held && dictionary, true));
  yield* jobs.drain(true);
  const trailer = Buffer.allocUnsafe(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size, 4);
  yield trailer;
}

function zstdChunk(chunk: Buffer, level: number): Promise<Buffer> {
  const opts: zlib.ZstdOptions = {
    chunkSize: ZSTD_OUT,
    pledgedSrcSize: chunk.length,
    params: {
      [zlib.constants.ZSTD_c_compressionLevel]: level,
      [zlib.constants.ZSTD_c_checksumFlag]: 1, // as the zstd CLI writes by default
      [zlib.constants.ZSTD_c_contentSizeFlag]: 1,
    },
  };
  return new Promise((resolve, reject) => {
    zlib.zstdCompress(chunk, opts, (err, out) => (err ? reject(err) : resolve(out)));
  });
}

async function* zstdStream(input: AsyncIterable<Uint8Array>, level: number, concurrency: number): AsyncGenerator<Buffer> {
  const jobs = new OrderedJobs(concurrency);
  let any = false;
  for await (const chunk of readAhead(fixedChunks(input, ZSTD_CHUNK_SIZE))) {
    any = true;
    jobs.add(zstdChunk(chunk, level));
    yield* jobs.drain();
  }
  // Empty input: one frame of nothing, so the blob is still valid zstd.
  if (!any) jobs.add(zstdChunk(Buffer.alloc(0), level));
  yield* jobs.drain(true);
}
