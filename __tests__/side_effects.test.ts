// The suite leaves nothing in /tmp: each test process gets a private TMPDIR (the preload in
// package.json's test:unit), removed when it exits, with whatever it and its children wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const preload = join(import.meta.dirname, 'helpers', 'private_tmp.ts');
const tmpHelper = join(import.meta.dirname, 'helpers', 'tmp.ts');

test('a process with the preload leaves its TMPDIR as it found it, children included', (t) => {
  const outer = mkdtempSync(join(tmpdir(), 'side-effects-'));
  t.after(() => rmSync(outer, { recursive: true, force: true }));
  const script = `
    import { mkdtempSync, writeFileSync } from 'node:fs';
    import { execFileSync } from 'node:child_process';
    import { tmpdir } from 'node:os';
    import { join } from 'node:path';
    const d = mkdtempSync(join(tmpdir(), 'forgotten-'));
    writeFileSync(join(d, 'big'), Buffer.alloc(1 << 20));
    // A child (a CLI, go, a registry) writes into the inherited TMPDIR too.
    execFileSync(process.execPath, ['-e', "require('fs').mkdtempSync(require('path').join(require('os').tmpdir(), 'child-'))"]);
    console.log(tmpdir());
  `;
  const res = spawnSync(process.execPath, ['--import', preload, '--input-type=module', '-e', script], { env: { ...process.env, TMPDIR: outer }, encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  assert.ok(res.stdout.trim().startsWith(join(outer, 'oci-build-test-')), res.stdout);
  assert.deepEqual(readdirSync(outer), []);

  // Without it, the same script leaves its directories behind: the preload is what cleans up.
  const bare = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, TMPDIR: outer }, encoding: 'utf8' });
  assert.equal(bare.status, 0, bare.stderr);
  assert.equal(readdirSync(outer).length, 2);
});

test('tempDirSync directories are removed when the process exits', (t) => {
  const outer = mkdtempSync(join(tmpdir(), 'side-effects-'));
  t.after(() => rmSync(outer, { recursive: true, force: true }));
  const script = `import { tempDirSync } from ${JSON.stringify(tmpHelper)}; import { writeFileSync } from 'node:fs'; writeFileSync(tempDirSync('x-') + '/f', 'x');`;
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, TMPDIR: outer }, encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  assert.deepEqual(readdirSync(outer), []);
});
