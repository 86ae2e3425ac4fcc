// BuildInfoFinder sees a binary in pieces of any size: the build info must be found wherever the
// pieces cut it, including inside the magic and between the header and its flags byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BUILDINFO_MAGIC, BuildInfoFinder } from '../../src/sbom/buildinfo.ts';

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

/** An inline (Go 1.18+) build info blob: magic, pointer size, flags, padding to 32, two strings. */
function blob(goVersion: string, modinfo: string): Buffer {
  const head = Buffer.alloc(32);
  BUILDINFO_MAGIC.copy(head, 0);
  head[14] = 8;
  head[15] = 0x2;
  const mod = Buffer.from(`${'0'.repeat(16)}${modinfo}\n${'1'.repeat(16)}`, 'latin1');
  return Buffer.concat([head, varint(goVersion.length), Buffer.from(goVersion), varint(mod.length), mod]);
}

const MODINFO = 'path\texample.com/app\nmod\texample.com/app\t(devel)\t\nbuild\tGOARCH=arm64\n';

function findIn(pieces: Buffer[]): string | undefined {
  const f = new BuildInfoFinder();
  for (const p of pieces) f.update(p);
  return f.result?.goVersion;
}

function cut(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length] as number;
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

test('build info is found however the pieces cut the binary', () => {
  // A stray magic without the inline flag comes first; the real one later.
  const stray = Buffer.concat([BUILDINFO_MAGIC, Buffer.from([8, 0])]);
  const data = Buffer.concat([randomBytes(5000).fill(0x41), stray, randomBytes(3000).fill(0x42), blob('go1.25.1', MODINFO), Buffer.alloc(4000)]);
  const at = data.indexOf(blob('go1.25.1', MODINFO));
  for (const sizes of [[data.length], [1], [7], [13, 1, 2], [at, 3], [at + 5, 100], [at + 14, 1, 1, 50], [at + 15, 64], [at - 1, 16, 9], [1024], [4096, 2]]) {
    assert.equal(findIn(cut(data, sizes)), 'go1.25.1', `pieces of ${sizes.join(',')}`);
  }
});

test('no build info: nothing is found, and pieces are not kept', () => {
  const data = Buffer.concat([randomBytes(10_000).fill(0x43), BUILDINFO_MAGIC, Buffer.from([8, 0]), Buffer.alloc(100)]);
  for (const sizes of [[data.length], [3], [10_007, 5]]) assert.equal(findIn(cut(data, sizes)), undefined);
});
