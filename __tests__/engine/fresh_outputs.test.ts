// What a fresh build feeds is marked fresh (Provider.fresh), so the engine and the registry sink
// run it in slots of their own instead of behind steps that only find their outputs up to date.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST_CONFIG } from '../../src/engine/config.ts';
import { GO_ACTION_CACHE } from '../../src/go/action_cache.ts';
import { GoBuildQueue } from '../../src/go/batch.ts';
import { ruleFor } from '../../src/rules/index.ts';
import { parseLabel } from '../../src/workspace/label.ts';
import { Workspace } from '../../src/workspace/workspace.ts';
import { quietLog, testEngine, workspaceFrom } from '../helpers/test_engine.ts';

const files = {
  'MODULE.bazel': 'module(name = "w")\n',
  'go.mod': 'module example.com/w\n\ngo 1.21\n',
  'app/main.go': 'package main\n\nfunc main() { println("one") }\n',
  'app/BUILD.bazel': [
    'load("@rules_go//go:def.bzl", "go_binary")',
    'load("@rules_pkg//pkg:tar.bzl", "pkg_tar")',
    'go_binary(name = "app", srcs = ["main.go"], goos = "linux", goarch = "amd64")',
    'pkg_tar(name = "layer", srcs = [":app"])',
    'pkg_tar(name = "notes", srcs = ["main.go"])',
    '',
  ].join('\n'),
};

test('a rebuilt binary and what it feeds are fresh; outputs found up to date are not', async () => {
  const root = workspaceFrom(files, 'fresh-outputs-');
  const build = async (label: string) => {
    // Outputs count as settled at once (no 2 s racy window to wait out between builds).
    const goBuilds = new GoBuildQueue({ cacheDir: join(root, 'out', 'store', GO_ACTION_CACHE), now: () => BigInt(Date.now() + 10_000) * 1_000_000n });
    const engine = testEngine(new Workspace(root, { rules: ruleFor, log: quietLog }), { goBuilds });
    const p = await engine.build(engine.analyze(parseLabel(label), HOST_CONFIG));
    await engine.goBuilds.idle();
    return p.fresh === true;
  };
  assert.equal(await build('//app:layer'), true, 'first build: Go built the binary, the tar over it is fresh');
  assert.equal(await build('//app:app'), false, 'same sources: the binary is up to date');
  assert.equal(await build('//app:layer'), false, 'and so is the tar over it');
  assert.equal(await build('//app:notes'), false, 'a tar of sources alone is never fresh');
  writeFileSync(join(root, 'app/main.go'), 'package main\n\nfunc main() { println("two") }\n');
  assert.equal(await build('//app:layer'), true, 'after an edit the binary is rebuilt and the tar is fresh again');
});
