// Throughput of src/oci/compress.ts against single-stream compression on the same bytes: 256 MiB
// (or --mib N) of alternating 256 KiB runs of generated text and seeded random bytes, fed in
// 64 KiB pieces as a file stream would. Prints MiB/s and compressed size (and its ratio to the
// single-stream zlib output at the same level) for:
//   chunked gzip (level 1 and 6) and zstd (level 3) at concurrency 1 and availableParallelism();
//   zlib.createGzip / zlib.createZstdCompress (one stream, the main thread only waits);
//   `gzip -1` / `gzip -6` (and `zstd -3`, `pigz` when installed) reading the same bytes from a file.
//
// Each is run --reps times (default 3) and the fastest run is reported: the machine may be shared.
//
//   node_modules/.bin/node bench/compress-throughput.ts [--mib 256] [--reps 3]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import * as zlib from 'node:zlib';
import { compressStream, type Compression } from '../src/oci/compress.ts';
import { prng } from '../__tests__/helpers/prng.ts';

const { values: flags } = parseArgs({ options: { mib: { type: 'string', default: '256' }, reps: { type: 'string', default: '3' } } });
const MIB = 1024 * 1024;
const size = Number(flags.mib) * MIB;
const PIECE = 64 * 1024;
const reps = Number(flags.reps);
const RUN = 256 * 1024;

function generate(n: number): Buffer {
  const rnd = prng(42);
  const words = Array.from({ length: 2000 }, () => {
    let w = '';
    for (let k = 2 + Math.floor(rnd() * 8); k > 0; k--) w += String.fromCharCode(97 + Math.floor(rnd() * rnd() * 26));
    return w;
  });
  const out = Buffer.allocUnsafe(n);
  let off = 0;
  for (let run = 0; off < n; run++) {
    const end = Math.min(n, off + RUN);
    if (run % 2 === 0) {
      while (off < end) {
        const w = words[Math.floor(rnd() * rnd() * words.length)]!;
        off += out.write(rnd() < 0.08 ? `${w}\n` : `${w} `, off, end - off, 'latin1');
      }
    } else {
      for (; off + 4 <= end; off += 4) out.writeUInt32LE(Math.floor(rnd() * 0x1_0000_0000), off);
      for (; off < end; off++) out[off] = Math.floor(rnd() * 256);
    }
  }
  return out;
}

async function* pieces(data: Buffer): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < data.length; off += PIECE) yield data.subarray(off, off + PIECE);
}

interface Row {
  name: string;
  seconds: number;
  bytes: number;
}

async function chunked(data: Buffer, format: Compression, level: number, concurrency: number): Promise<Row> {
  const t = performance.now();
  let bytes = 0;
  for await (const b of compressStream(pieces(data), { format, level, concurrency })) bytes += b.length;
  return { name: `chunked ${format} -${level}, concurrency ${concurrency}`, seconds: (performance.now() - t) / 1000, bytes };
}

async function singleStream(data: Buffer, format: Compression, level: number): Promise<Row> {
  const t = performance.now();
  const z =
    format === 'gzip'
      ? zlib.createGzip({ level })
      : zlib.createZstdCompress({ params: { [zlib.constants.ZSTD_c_compressionLevel]: level, [zlib.constants.ZSTD_c_checksumFlag]: 1 } });
  Readable.from(pieces(data)).pipe(z);
  let bytes = 0;
  for await (const b of z) bytes += (b as Buffer).length;
  return { name: `zlib.create${format === 'gzip' ? 'Gzip' : 'ZstdCompress'} -${level} (single stream)`, seconds: (performance.now() - t) / 1000, bytes };
}

function cli(file: string, cmd: string, args: string[]): Promise<Row | undefined> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, [...args, '-c', file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let bytes = 0;
    child.stdout.on('data', (b: Buffer) => (bytes += b.length));
    child.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? resolve(undefined) : reject(err)));
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${cmd} exited ${code}`));
      else resolve({ name: `${cmd} ${args.join(' ')} (child process)`, seconds: (performance.now() - t) / 1000, bytes });
    });
  });
}

const cores = availableParallelism();
console.log(`${flags.mib} MiB, half text / half random, best of ${reps}; ${cores} cores (availableParallelism), UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}, Node ${process.version}`);
const data = generate(size);
const dir = mkdtempSync(join(tmpdir(), 'compress-bench-'));
const file = join(dir, 'input');
writeFileSync(file, data);

try {
  const baseline: Record<string, number> = {};
  const print = async (run: () => Promise<Row | undefined>, base?: string): Promise<Row | undefined> => {
    let r: Row | undefined;
    for (let i = 0; i < reps; i++) {
      const x = await run();
      if (!x) return undefined;
      if (r && x.bytes !== r.bytes) throw new Error(`${x.name}: ${x.bytes} bytes, before ${r.bytes}`);
      if (!r || x.seconds < r.seconds) r = x;
    }
    if (!r) return undefined;
    const ratio = base && baseline[base] ? ` (${((r.bytes / baseline[base]) * 100).toFixed(2)}% of single-stream)` : '';
    console.log(`${r.name.padEnd(52)} ${(size / MIB / r.seconds).toFixed(1).padStart(7)} MiB/s  ${r.bytes.toString().padStart(11)} bytes${ratio}`);
    return r;
  };
  for (const level of [1, 6]) {
    baseline[`gzip${level}`] = (await print(() => singleStream(data, 'gzip', level)))!.bytes;
    await print(() => cli(file, 'gzip', [`-${level}`]), `gzip${level}`);
    await print(() => cli(file, 'pigz', [`-${level}`]), `gzip${level}`);
    for (const c of new Set([1, cores])) await print(() => chunked(data, 'gzip', level, c), `gzip${level}`);
  }
  baseline.zstd3 = (await print(() => singleStream(data, 'zstd', 3)))!.bytes;
  await print(() => cli(file, 'zstd', ['-3', '-q']), 'zstd3');
  for (const c of new Set([1, cores])) await print(() => chunked(data, 'zstd', 3, c), 'zstd3');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
