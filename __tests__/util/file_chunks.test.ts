// Reading files into two reused buffers: every byte arrives once, in order, whatever the piece
// size; a slow consumer's buffer is not overwritten before it is done; a failing consumer stops
// the read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { forEachFileChunk } from '../../src/util/file_chunks.ts';

const dir = mkdtempSync(join(tmpdir(), 'file-chunks-'));
const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7919) % 251));
const file = join(dir, 'data.bin');
writeFileSync(file, data);

test('every byte once and in order, for any piece size and length limit', async () => {
  for (const chunkSize of [1, 333, 4096, 10_000, 1 << 20]) {
    const parts: Buffer[] = [];
    const n = await forEachFileChunk(file, (c) => void parts.push(Buffer.from(c)), { chunkSize });
    assert.equal(n, data.length);
    assert.deepEqual(Buffer.concat(parts), data, `pieces of ${chunkSize}`);
  }
  const parts: Buffer[] = [];
  assert.equal(await forEachFileChunk(file, (c) => void parts.push(Buffer.from(c)), { chunkSize: 999, length: 2500 }), 2500);
  assert.deepEqual(Buffer.concat(parts), data.subarray(0, 2500));
});

test('a buffer is not read into again while its consumer is still busy with it', async () => {
  const parts: Buffer[] = [];
  await forEachFileChunk(
    file,
    async (c) => {
      await sleep(2);
      parts.push(Buffer.from(c)); // still the bytes handed over, after waiting
    },
    { chunkSize: 1000 },
  );
  assert.deepEqual(Buffer.concat(parts), data);
});

test('a failing consumer stops the read with its error', async () => {
  let calls = 0;
  await assert.rejects(
    forEachFileChunk(
      file,
      async () => {
        calls++;
        throw new Error('disk full');
      },
      { chunkSize: 1000 },
    ),
    /disk full/,
  );
  assert.ok(calls <= 3, `${calls} pieces consumed after the failure`);
});

test('pairs kept between files never serve two reads at once', async () => {
  const big = (seed: number) => Buffer.from(Array.from({ length: 3 * (1 << 20) + 123 }, (_, i) => (i * seed) % 253));
  const a = join(dir, 'a.bin');
  const b = join(dir, 'b.bin');
  writeFileSync(a, big(31));
  writeFileSync(b, big(17));
  for (let round = 0; round < 3; round++) {
    const read = async (f: string): Promise<Buffer> => {
      const parts: Buffer[] = [];
      await forEachFileChunk(f, async (c) => {
        await sleep(1);
        parts.push(Buffer.from(c));
      });
      return Buffer.concat(parts);
    };
    const [ga, gb] = await Promise.all([read(a), read(b)]);
    assert.deepEqual(ga, big(31), `round ${round}: a`);
    assert.deepEqual(gb, big(17), `round ${round}: b`);
  }
});
