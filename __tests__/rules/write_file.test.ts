import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttrValues, type Plain } from '../../src/rules/attrs.ts';
import { writeFileRule } from '../../src/rules/write_file.ts';
import type { BuildContext } from '../../src/rules/rule.ts';
import { HOST_CONFIG } from '../../src/engine/config.ts';
import { fakeBuildContext } from '../helpers/build_context.ts';

const root = await mkdtemp(join(tmpdir(), 'write-file-'));
let n = 0;

function ctxFor(attrs: Record<string, Plain>): BuildContext {
  const values = new AttrValues(new Map(Object.entries(attrs)), writeFileRule.attrs, '', 'pkg');
  writeFileRule.validate?.(values, HOST_CONFIG);
  return fakeBuildContext({ rule: writeFileRule, attrs: values, name: 'w', outDir: join(root, `out${n++}`, 'pkg'), workspaceRoot: root });
}

async function build(attrs: Record<string, Plain>) {
  const p = await writeFileRule.build(ctxFor(attrs));
  const f = p.files[0];
  assert.ok(f && p.files.length === 1);
  return { p, f, text: await readFile(f.path, 'utf8'), mode: (await stat(f.path)).mode & 0o777 };
}

test('lines joined by the newline, no trailing newline (skylib); auto and unix are LF, windows CRLF', async () => {
  for (const [newline, want] of [[undefined, 'a\nb€'], ['auto', 'a\nb€'], ['unix', 'a\nb€'], ['windows', 'a\r\nb€']] as const) {
    const attrs: Record<string, Plain> = { out: 'x.txt', content: ['a', 'b€'] };
    if (newline) attrs.newline = newline;
    const r = await build(attrs);
    assert.equal(r.text, want);
    assert.equal(r.mode, 0o644);
    assert.equal(r.f.shortPath, 'pkg/x.txt');
    assert.equal(r.p.executable, undefined);
  }
  assert.equal((await build({ out: 'empty' })).text, '');
});

test('is_executable: mode 0755 and the target executable; out may name a subdirectory', async () => {
  const r = await build({ out: 'bin/run.sh', content: ['#!/bin/sh', 'echo hi', ''], is_executable: true });
  assert.equal(r.text, '#!/bin/sh\necho hi\n');
  assert.equal(r.mode, 0o755);
  assert.equal(r.f.shortPath, 'pkg/bin/run.sh');
  assert.equal(r.p.executable, r.f);
});

test('errors: bad newline, missing out, bad out', () => {
  assert.throws(() => ctxFor({ out: 'x', newline: 'mac' }), /attribute "newline": has to be one of "auto", "unix" or "windows" instead of "mac"/);
  assert.throws(() => ctxFor({ content: ['x'] }), /missing mandatory attribute "out"/);
  assert.throws(() => ctxFor({ out: '/abs' }), /invalid output name/);
});
