// The pkg_tar content key with its file-digest memo: the same key as hashing every file, no read
// of an unchanged file the second time, and a new key the moment a file's bytes change — even
// when size and mtime are put back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planKey } from '../../src/tar/cache.ts';
import type { PkgTarPlan } from '../../src/tar/pkg_tar.ts';

function plan(files: string[]): PkgTarPlan {
  return {
    entries: files.map((f, i) => ({ path: `data/${i}`, type: 'file' as const, mode: 0o644, source: { file: f } })),
    merge: [],
    compression: 'none',
    gzipLevel: 6,
    createParents: true,
    allowDuplicates: false,
    mtime: 946684800,
    warnings: [],
  };
}

test('file digests are remembered by identity and forgotten when the bytes change', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'plan-key-'));
  const a = join(dir, 'a.txt');
  const b = join(dir, 'b.txt');
  writeFileSync(a, 'alpha\n');
  writeFileSync(b, 'beta\n');
  const memo = join(dir, 'memo');
  const plain = await planKey(plan([a, b]));
  assert.equal(await planKey(plan([a, b]), memo), plain, 'the memo does not change the key');
  assert.equal(readdirSync(memo).length, 2);
  assert.equal(await planKey(plan([a, b]), memo), plain);
  assert.equal(readdirSync(memo).length, 2, 'nothing new to remember');

  // Same size, mtime put back: ctime still moves, so the change is seen.
  const before = statSync(a);
  writeFileSync(a, 'ALPHA\n');
  utimesSync(a, before.atime, before.mtime);
  const changed = await planKey(plan([a, b]), memo);
  assert.notEqual(changed, plain);
  assert.equal(changed, await planKey(plan([a, b])), 'and equals a fresh hash');
});
