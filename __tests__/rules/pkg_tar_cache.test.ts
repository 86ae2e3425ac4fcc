import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../../src/pipeline.ts';

test('an unchanged pkg_tar is linked from the content-keyed cache; a changed input packs again', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tarcache-'));
  writeFileSync(join(root, 'MODULE.bazel'), '');
  mkdirSync(join(root, 'app'));
  writeFileSync(join(root, 'app', 'data.txt'), 'one\n');
  writeFileSync(join(root, 'app', 'BUILD.bazel'), 'load("@rules_pkg//pkg:tar.bzl", "pkg_tar")\npkg_tar(name = "t", srcs = ["data.txt"], package_dir = "/srv")\n');
  const out = join(root, 'out');
  const build = () => runPipeline({ cwd: root, targets: ['//app:t'], outputDir: out, load: false, log: { info: () => {}, warning: () => {} } });
  const tar = join(out, 'bin', 'host', 'app', 't.tar');
  await build();
  const first = statSync(tar);
  const bytes = readFileSync(tar);
  assert.equal(first.nlink, 2, 'the output is linked with its cache entry');
  await build();
  const second = statSync(tar);
  assert.deepEqual(readFileSync(tar), bytes);
  assert.equal(second.ino, first.ino, 'the same cached file, not packed again');
  writeFileSync(join(root, 'app', 'data.txt'), 'two\n');
  await build();
  assert.notEqual(statSync(tar).ino, first.ino);
  assert.ok(readFileSync(tar).includes('two\n'));
});
