// A digest handed in by the writer of a file is used for that very file only: once the file is
// written again (same size, same mtime even), it is read and hashed anew.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { utimesSync, writeFileSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { memoizedFileDigest, rememberFileDigest } from '../../src/util/file_digest_memo.ts';
import { tempDirSync } from '../helpers/tmp.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

test('a remembered digest answers for the file it was given for, and only while it is unchanged', async () => {
  const dir = tempDirSync('digest-memo-');
  const memo = join(dir, 'memo');
  const f = join(dir, 'layer.tar');
  writeFileSync(f, 'aaaa');
  // What the writer says is believed for this identity (the test proves the memo is used, not the bytes).
  const claimed = sha('claimed');
  await rememberFileDigest(f, claimed, memo);
  assert.equal(await memoizedFileDigest(f, memo), claimed);
  // Rewritten with the same size and mtime: the ctime moved, so the bytes are read.
  const st = statSync(f);
  writeFileSync(f, 'bbbb');
  utimesSync(f, st.atime, st.mtime);
  assert.equal(await memoizedFileDigest(f, memo), sha('bbbb'));
  assert.equal(readdirSync(memo).length, 2);
  await assert.rejects(rememberFileDigest(f, 'not-hex', memo), /not a sha256/);
});
