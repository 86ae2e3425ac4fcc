import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../../src/pipeline.ts';
import { runCommand } from '../helpers/run.ts';

test('pkg_tar include_runfiles adds the runfiles tree and repo mappings as rules_pkg does', async () => {
  const root = mkdtempSync(join(tmpdir(), 'runfiles-'));
  writeFileSync(join(root, 'MODULE.bazel'), '');
  writeFileSync(join(root, 'go.mod'), 'module t\n\ngo 1.22\n');
  mkdirSync(join(root, 'app'));
  writeFileSync(join(root, 'app', 'main.go'), 'package main\n\nfunc main() {}\n');
  writeFileSync(
    join(root, 'app', 'BUILD.bazel'),
    `load("@rules_go//go:def.bzl", "go_binary")
load("@rules_pkg//pkg:tar.bzl", "pkg_tar")
go_binary(name = "bin", srcs = ["main.go"], goos = "linux", goarch = "amd64")
pkg_tar(name = "t", srcs = [":bin"], include_runfiles = True, package_dir = "/opt")
`,
  );
  const out = join(root, 'out');
  await runPipeline({ cwd: root, targets: ['//app:t'], outputDir: out, load: false, log: { info: () => {}, warning: () => {} } });
  const listing = await runCommand('python3', ['-c', 'import sys,tarfile\nfor m in tarfile.open(sys.argv[1]): print(m.name, oct(m.mode), m.type.decode())', join(out, 'bin', 'host', 'app', 't.tar')]);
  assert.equal(listing.code, 0, listing.stderr);
  assert.deepEqual(listing.stdout.trim().split('\n'), [
    'opt 0o755 5',
    'opt/bin 0o755 0',
    'opt/bin.repo_mapping 0o555 0',
    'opt/bin.runfiles 0o755 5',
    'opt/bin.runfiles/_main 0o755 5',
    'opt/bin.runfiles/_main/app 0o755 5',
    'opt/bin.runfiles/_main/app/bin_ 0o755 5',
    'opt/bin.runfiles/_main/app/bin_/bin 0o755 0',
    'opt/bin.runfiles/_repo_mapping 0o555 0',
  ]);
});
