// Issue 15 point 9: rebuilding an unchanged pkg_tar links it from the content-keyed cache again;
// that must leave no `<name>.tar.<pid>.tmp` beside the tar (nor in the cache directory), however
// many times it runs: rename() of a hard link over another link of the same inode does nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runPipeline } from '../../src/pipeline.ts';

/** Every path under `dir`, relative, sorted. */
function listing(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((p) => relative(dir, join(dir, p))).sort();
}

test('three rebuilds of an unchanged pkg_tar leave the output and cache directories as they were', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'stray-tmp-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, 'MODULE.bazel'), '');
  mkdirSync(join(root, 'app'));
  writeFileSync(join(root, 'app', 'data.txt'), 'one\n');
  writeFileSync(
    join(root, 'app', 'BUILD.bazel'),
    'load("@rules_pkg//pkg:tar.bzl", "pkg_tar")\npkg_tar(name = "t", srcs = ["data.txt"], package_dir = "/srv")\n' +
      'pkg_tar(name = "gz", srcs = ["data.txt"], extension = "tar.gz")\n',
  );
  const out = join(root, 'out');
  const build = () => runPipeline({ cwd: root, targets: ['//app:t', '//app:gz'], outputDir: out, load: false, log: { info: () => {}, warning: () => {} } });
  const tarDir = join(out, 'bin', 'host', 'app');
  const cacheDir = join(out, 'store', 'cache', 'pkg_tar');

  await build();
  const tarsAfterFirst = listing(tarDir);
  const cacheAfterFirst = listing(cacheDir);
  assert.deepEqual(tarsAfterFirst, ['gz.tar.gz', 't.tar']);
  assert.equal(cacheAfterFirst.length, 2, `cache entries: ${cacheAfterFirst.join(', ')}`);
  const ino = statSync(join(tarDir, 't.tar')).ino;

  for (let i = 0; i < 3; i++) {
    await build();
    assert.deepEqual(listing(tarDir), tarsAfterFirst, `rebuild ${i + 1}: nothing new beside the tars`);
    assert.deepEqual(listing(cacheDir), cacheAfterFirst, `rebuild ${i + 1}: nothing new in the cache`);
  }
  assert.equal(statSync(join(tarDir, 't.tar')).ino, ino, 'still the cached file, linked');
  assert.ok(!listing(out).some((p) => p.endsWith('.tmp')), 'no .tmp file anywhere in the output directory');

  // A changed input packs a new tar: still no stray file, old cache entry kept.
  writeFileSync(join(root, 'app', 'data.txt'), 'two\n');
  await build();
  await build();
  assert.deepEqual(listing(tarDir), tarsAfterFirst);
  assert.equal(listing(cacheDir).length, 4);
  assert.ok(!listing(out).some((p) => p.endsWith('.tmp')));
});
