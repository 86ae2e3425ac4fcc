// Parallel deterministic compression: gzip (one pigz-style member) and zstd (concatenated
// frames) round-trip through zlib and the gzip/zstd binaries, and the bytes depend only on the
// input and the level. The gzip and zstd CLIs are required: a missing one fails, never skips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as zlib from 'node:zlib';
import {
  CHUNK_SIZE,
  ZSTD_CHUNK_SIZE,
  compressStream,
  defaultLevel,
  gzipHeader,
  validateLevel,
  type CompressOptions,
} from '../../src/oci/compress.ts';
import { prng } from '../helpers/prng.ts';

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const b of gen) out.push(b);
  return Buffer.concat(out);
}

/** `data` in pieces of `size` bytes (a fresh copy each, as a file stream would give). */
async function* pieces(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < data.length; off += size) yield Uint8Array.prototype.slice.call(data, off, off + size);
}

/** `data` in pieces of seeded random sizes from 0 to `max` bytes. */
async function* randomPieces(data: Buffer, seed: number, max: number): AsyncGenerator<Uint8Array> {
  const rnd = prng(seed);
  for (let off = 0; off < data.length; ) {
    const n = Math.floor(rnd() * (max + 1));
    yield data.subarray(off, off + n);
    off += n;
  }
}

const WORDS = 'the layer of a container image is a tar of files compressed with gzip or zstd and then hashed'.split(' ');

/** Alternating 64 KiB runs of compressible text and seeded random bytes. */
function mixed(n: number, seed: number): Buffer {
  const rnd = prng(seed);
  const out = Buffer.allocUnsafe(n);
  let off = 0;
  for (let run = 0; off < n; run++) {
    const end = Math.min(n, off + 64 * 1024);
    if (run % 2 === 0) {
      while (off < end) off += out.write(`${WORDS[Math.floor(rnd() * WORDS.length)]!}${rnd() < 0.1 ? '\n' : ' '}`, off, end - off, 'latin1');
    } else {
      for (; off < end; off++) out[off] = Math.floor(rnd() * 256);
    }
  }
  return out;
}

const gzip = (level: number, concurrency?: number): CompressOptions => ({ format: 'gzip', level, concurrency });
const zstd = (level: number, concurrency?: number): CompressOptions => ({ format: 'zstd', level, concurrency });

const CASES: [string, Buffer][] = [
  ['empty', Buffer.alloc(0)],
  ['1 byte', Buffer.from('x')],
  ['exactly CHUNK_SIZE', mixed(CHUNK_SIZE, 1)],
  ['CHUNK_SIZE + 1', mixed(CHUNK_SIZE + 1, 2)],
  ['several MiB mixed', mixed(5 * CHUNK_SIZE + 12345, 3)],
];

function gunzipCli(gz: Buffer): Buffer {
  return execFileSync('gzip', ['-dc'], { input: gz, maxBuffer: 1 << 30 });
}

/** One gzip member: the deflate stream ends exactly where the 8-byte trailer starts. */
function assertOneMember(gz: Buffer, data: Buffer): void {
  const body = gz.subarray(10, gz.length - 8);
  const { buffer, engine } = zlib.inflateRawSync(body, { info: true }) as unknown as { buffer: Buffer; engine: zlib.InflateRaw };
  assert.ok(buffer.equals(data));
  assert.equal(engine.bytesWritten, body.length, 'deflate stream ends before the trailer');
  assert.equal(gz.readUInt32LE(gz.length - 8), zlib.crc32(data));
  assert.equal(gz.readUInt32LE(gz.length - 4), data.length);
}

for (const [name, data] of CASES) {
  test(`gzip round-trips (${name}) through gunzip and gzip -dc`, async () => {
    for (const level of [1, 6]) {
      const gz = await collect(compressStream(pieces(data, 64 * 1024), gzip(level, 2)));
      assert.ok(zlib.gunzipSync(gz).equals(data));
      assert.ok(gunzipCli(gz).equals(data));
      assertOneMember(gz, data);
    }
  });

  test(`zstd round-trips (${name}) through zstdDecompressSync and zstd -dc`, async () => {
    const zs = await collect(compressStream(pieces(data, 64 * 1024), zstd(3, 2)));
    assert.deepEqual([...zs.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
    assert.ok(zlib.zstdDecompressSync(zs).equals(data));
    assert.ok(execFileSync('zstd', ['-dc'], { input: zs, maxBuffer: 1 << 30 }).equals(data));
  });
}

/** Splits a zstd stream into its frames by walking the frame and block headers (RFC 8878). */
function zstdFrames(zs: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let off = 0; off < zs.length; ) {
    const start = off;
    assert.equal(zs.readUInt32LE(off), 0xfd2fb528, `frame magic at ${off}`);
    const fhd = zs[off + 4]!;
    const fcsFlag = fhd >> 6;
    const single = (fhd >> 5) & 1;
    const dictIdSize = [0, 1, 2, 4][fhd & 3]!;
    const fcsSize = [single ? 1 : 0, 2, 4, 8][fcsFlag]!;
    off += 5 + (single ? 0 : 1) + dictIdSize + fcsSize;
    for (let last = 0; !last; ) {
      const bh = zs.readUIntLE(off, 3);
      last = bh & 1;
      const type = (bh >> 1) & 3;
      off += 3 + (type === 1 ? 1 : bh >> 3);
    }
    if (fhd & 4) off += 4; // content checksum
    frames.push(zs.subarray(start, off));
  }
  return frames;
}

test('zstd writes one checksummed frame per ZSTD_CHUNK_SIZE chunk, each decodable alone', async () => {
  const data = mixed(2 * ZSTD_CHUNK_SIZE + 5, 4);
  const zs = await collect(compressStream(pieces(data, 100_000), zstd(3, 2)));
  const frames = zstdFrames(zs);
  assert.equal(frames.length, 3);
  frames.forEach((f, i) => {
    assert.ok(f[4]! & 4, 'checksum flag');
    assert.ok(zlib.zstdDecompressSync(f).equals(data.subarray(i * ZSTD_CHUNK_SIZE, (i + 1) * ZSTD_CHUNK_SIZE)));
  });
  assert.equal(zstdFrames(await collect(compressStream(pieces(Buffer.alloc(0), 1), zstd(3)))).length, 1);
});

test('a gzip of at most one chunk is byte-identical to zlib gzip with OS 255', async () => {
  for (const data of [Buffer.alloc(0), Buffer.from('hello\n'), mixed(CHUNK_SIZE, 5)]) {
    // Level 0 is left out for the large input: zlib sizes stored blocks by the output buffer,
    // which differs (fixed, but larger here than gzipSync's 16 KiB).
    for (const level of data.length > 16 * 1024 ? [1, 6, 9] : [0, 1, 6, 9]) {
      const gz = await collect(compressStream(pieces(data, 4096), gzip(level, 1)));
      const ref = zlib.gzipSync(data, { level });
      ref[9] = 0xff;
      assert.ok(gz.equals(ref), `level ${level}, ${data.length} bytes`);
    }
  }
});

test('the gzip header is fixed: no name, mtime 0, XFL as zlib sets it, OS 255', async () => {
  const expect: Record<number, string> = { 0: '04', 1: '04', 2: '00', 6: '00', 8: '00', 9: '02' };
  for (const [level, xfl] of Object.entries(expect)) {
    const hdr = `1f8b080000000000${xfl}ff`;
    assert.equal(gzipHeader(Number(level)).toString('hex'), hdr);
    const gz = await collect(compressStream(pieces(mixed(3000, 6), 1000), gzip(Number(level))));
    assert.equal(gz.subarray(0, 10).toString('hex'), hdr);
  }
});

test('output depends only on the bytes and the level, not concurrency or input chunking', async () => {
  for (const opts of [gzip(1), gzip(6), zstd(3)]) {
    const chunk = opts.format === 'zstd' ? ZSTD_CHUNK_SIZE : CHUNK_SIZE;
    const what = `${opts.format} ${opts.level}`;
    const data = mixed(3 * chunk + 12345, 7);
    const ref = await collect(compressStream(pieces(data, data.length), { ...opts, concurrency: 1 }));
    for (const concurrency of [2, 8]) {
      const whole = await collect(compressStream(pieces(data, data.length), { ...opts, concurrency }));
      assert.ok(whole.equals(ref), `${what}: concurrency ${concurrency}`);
    }
    const ragged = await collect(compressStream(randomPieces(data, 8, 300_000), { ...opts, concurrency: 8 }));
    assert.ok(ragged.equals(ref), `${what}: random pieces`);
    // 7-byte pieces never line up with a chunk boundary.
    const short = data.subarray(0, chunk + 12345);
    const shortRef = await collect(compressStream(pieces(short, short.length), { ...opts, concurrency: 1 }));
    const tiny = await collect(compressStream(pieces(short, 7), { ...opts, concurrency: 2 }));
    assert.ok(tiny.equals(shortRef), `${what}: 7-byte pieces`);
  }
  // And it does depend on the level.
  const data = mixed(CHUNK_SIZE + 1, 7);
  const l1 = await collect(compressStream(pieces(data, data.length), gzip(1)));
  const l6 = await collect(compressStream(pieces(data, data.length), gzip(6)));
  assert.ok(!l1.equals(l6));
});

test('a multi-chunk gzip is also read by gunzip streams fed in small pieces', async () => {
  const data = mixed(3 * CHUNK_SIZE, 9);
  const gz = await collect(compressStream(pieces(data, 1 << 20), gzip(6)));
  const gunzip = zlib.createGunzip();
  const out: Buffer[] = [];
  gunzip.on('data', (b: Buffer) => out.push(b));
  const done = new Promise((resolve, reject) => gunzip.on('end', resolve).on('error', reject));
  for (let off = 0; off < gz.length; off += 1000) gunzip.write(gz.subarray(off, off + 1000));
  gunzip.end();
  await done;
  assert.ok(Buffer.concat(out).equals(data));
});

test('an input that throws midway rejects the generator with that error', async () => {
  for (const opts of [gzip(1, 2), zstd(3, 2)]) {
    const boom = new Error('disk on fire');
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield mixed(3 * CHUNK_SIZE, 10);
      yield mixed(ZSTD_CHUNK_SIZE + 1, 11);
      throw boom;
    }
    await assert.rejects(collect(compressStream(failing(), opts)), (err) => err === boom);
  }
  const strings = (async function* () {
    yield 'text' as unknown as Uint8Array;
  })();
  await assert.rejects(collect(compressStream(strings, gzip(1))), /input yielded string, want Uint8Array/);
});

test('the input is read at most a few chunks ahead, and closed when the consumer stops', async () => {
  for (const [opts, chunk] of [[gzip(1, 2), CHUNK_SIZE], [zstd(1, 2), ZSTD_CHUNK_SIZE]] as const) {
    let pulled = 0;
    let closed = false;
    const piece = mixed(64 * 1024, 12);
    async function* endless(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          pulled += piece.length;
          yield piece;
        }
      } finally {
        closed = true;
      }
    }
    let outputs = 0;
    let ahead = 0;
    for await (const _ of compressStream(endless(), opts)) {
      // A slow consumer: the pipeline fills up as far as it may while each output is handled.
      await new Promise((resolve) => setTimeout(resolve, 30));
      const done = opts.format === 'gzip' ? outputs : outputs + 1; // the gzip header is output 0
      ahead = Math.max(ahead, pulled - done * chunk);
      if (++outputs === 8) break;
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(closed, `${opts.format}: input closed`);
    // Outstanding jobs (concurrency + 2), the chunk held back (gzip), the one read ahead, a piece.
    assert.ok(ahead <= (2 + 2 + 2) * chunk + piece.length, `${opts.format}: ${ahead} bytes read ahead`);
  }
});

test('levels: defaults and validation', () => {
  assert.equal(defaultLevel('gzip'), 1);
  assert.equal(defaultLevel('zstd'), 3);
  for (let l = 0; l <= 9; l++) validateLevel('gzip', l);
  for (let l = 1; l <= 19; l++) validateLevel('zstd', l);
  const bad: [CompressOptions['format'], number][] = [
    ['gzip', 10],
    ['gzip', -1],
    ['zstd', 0],
    ['zstd', 20],
    ['gzip', 1.5],
    ['zstd', 1.5],
    ['gzip', NaN],
    ['zstd', NaN],
  ];
  for (const [format, level] of bad) {
    assert.throws(
      () => validateLevel(format, level),
      (err: Error) => err.message.includes(String(level)) && !err.message.includes('\n'),
      `${format} ${level}`,
    );
    // Checked at the call, before any input is read.
    assert.throws(() => compressStream(pieces(Buffer.alloc(0), 1), { format, level }), /compression level/);
  }
  assert.throws(() => compressStream(pieces(Buffer.alloc(0), 1), gzip(1, 0)), /concurrency must be a positive integer, got 0/);
});
