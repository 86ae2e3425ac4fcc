// The unified-diff applier used for go_deps patches: diff -ruN and git diff output, offsets,
// missing final newlines, creation and deletion; refusals for mismatches and hostile paths, with
// nothing written when any part fails.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPatch, PatchError } from '../../src/go/patch.ts';
import { runCommand } from '../helpers/run.ts';

const base = mkdtempSync(join(tmpdir(), 'patch-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

function tree(files: Record<string, string>): string {
  const dir = join(base, `t${n++}`);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

const TEN = Array.from({ length: 10 }, (_, i) => `l${i + 1}\n`).join('');

test('diff -ruN output: changes, an appended line, a new file (epoch side), a deleted file', async () => {
  const a = tree({ 'f.txt': TEN, 'gone.txt': 'bye\n' });
  const b = tree({ 'f.txt': TEN.replace('l3\n', 'X3\n') + 'l11\n', 'sub/n.txt': 'new\n' });
  // The two trees as a/ and b/, as patches are usually made.
  symlinkSync(a, join(base, 'a'));
  symlinkSync(b, join(base, 'b'));
  const diff = await runCommand('diff', ['-ruN', 'a/', 'b/'], { cwd: base });
  assert.equal(diff.code, 1, diff.stderr);
  const target = tree({ 'f.txt': TEN, 'gone.txt': 'bye\n' });
  await applyPatch(target, diff.stdout, 1);
  assert.equal(readFileSync(join(target, 'f.txt'), 'utf8'), readFileSync(join(b, 'f.txt'), 'utf8'));
  assert.equal(readFileSync(join(target, 'sub', 'n.txt'), 'utf8'), 'new\n');
  assert.equal(existsSync(join(target, 'gone.txt')), true, 'diff -N deletion keeps the path in +++; the file is emptied');
  assert.equal(readFileSync(join(target, 'gone.txt'), 'utf8'), '');
});

test('git diff: /dev/null creation and deletion, no newline at end of file, a hunk found at an offset', async () => {
  const target = tree({ 'x.go': `package x\n\n${TEN}const A = 1`, 'old.go': 'package x\n' });
  // Two lines were added at the top since the patch was made: the hunk is found 2 lines later.
  writeFileSync(join(target, 'x.go'), `// added\n// added\npackage x\n\n${TEN}const A = 1`);
  const patch = `diff --git a/x.go b/x.go
index 1111111..2222222 100644
--- a/x.go
+++ b/x.go
@@ -10,4 +10,4 @@
 l8
 l9
 l10
-const A = 1
\\ No newline at end of file
+const A = 2
diff --git a/y.go b/y.go
new file mode 100644
--- /dev/null
+++ b/y.go
@@ -0,0 +1,2 @@
+package x
+const B = 3
diff --git a/old.go b/old.go
deleted file mode 100644
--- a/old.go
+++ /dev/null
@@ -1 +0,0 @@
-package x
`;
  await applyPatch(target, patch, 1);
  assert.equal(readFileSync(join(target, 'x.go'), 'utf8'), `// added\n// added\npackage x\n\n${TEN}const A = 2\n`);
  assert.equal(readFileSync(join(target, 'y.go'), 'utf8'), 'package x\nconst B = 3\n');
  assert.equal(existsSync(join(target, 'old.go')), false);
});

test('refusals: a hunk that does not match (nothing written), too few components, .., absolute, symlinks, not a diff', async () => {
  const target = tree({ 'a.txt': 'one\ntwo\n', 'b.txt': 'three\n' });
  const patch = (path: string, from = 'three', to = 'THREE') => `--- a/${path}\n+++ b/${path}\n@@ -1 +1 @@\n-${from}\n+${to}\n`;
  const good = `--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n-one\n+ONE\n two\n`;
  await assert.rejects(applyPatch(target, good + patch('b.txt', 'nope'), 1), (err: Error) => err instanceof PatchError && err.message === 'hunk #1 of b.txt (at its line 1) does not match the file');
  assert.equal(readFileSync(join(target, 'a.txt'), 'utf8'), 'one\ntwo\n', 'the first file was not written');
  await assert.rejects(applyPatch(target, patch('b.txt'), 3), /b\/b\.txt: has no path left after removing 3 leading component\(s\) \(patch_strip\)/);
  await assert.rejects(applyPatch(target, patch('../../etc/passwd'), 1), /"\.\." is not allowed/);
  await assert.rejects(applyPatch(target, '--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-a\n+b\n', 0), /absolute paths are not allowed/);
  symlinkSync('/etc', join(target, 'link'));
  await assert.rejects(applyPatch(target, patch('link/hostname'), 1), /link\/hostname: goes through a symbolic link/);
  await assert.rejects(applyPatch(target, 'hello\n', 1), /no file changes found/);
  await assert.rejects(applyPatch(target, patch('missing.txt'), 1), /missing\.txt: no such file to patch/);
});
