// The Go queue starts once every binary the run will build has asked (Engine.willBuild), not after
// a quiet gap: a node analysed only to be read (an image's host configuration, with platforms)
// must not be counted, or the queue waits out the gap for a build that never comes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { HOST_CONFIG, withPlatform } from '../../src/engine/config.ts';
import { GoBuildQueue } from '../../src/go/batch.ts';
import { parsePlatform } from '../../src/oci/platform.ts';
import { ruleFor } from '../../src/rules/index.ts';
import { parseLabel } from '../../src/workspace/label.ts';
import { Workspace } from '../../src/workspace/workspace.ts';
import { quietLog, testEngine, workspaceFrom } from '../helpers/test_engine.ts';

const files = {
  'MODULE.bazel': 'module(name = "w")\n',
  'go.mod': 'module example.com/w\n\ngo 1.21\n',
  'app/main.go': 'package main\n\nfunc main() { println("hi") }\n',
  'app/BUILD.bazel': 'load("@rules_go//go:def.bzl", "go_binary")\n\ngo_binary(name = "app", srcs = ["main.go"])\n',
};

test('the Go queue starts when every binary the run builds has asked, not counting nodes only analysed', async () => {
  const root = workspaceFrom(files, 'expected-builds-');
  const out = join(root, 'out');
  // A gap no test would wait for: only the expected count can start the group.
  const goBuilds = new GoBuildQueue({ cacheDir: join(out, 'store', 'go-builds'), gatherMs: 600_000 });
  const engine = testEngine(new Workspace(root, { rules: ruleFor, log: quietLog }), { outRoot: out, goBuilds });

  const label = parseLabel('//app:app');
  // As the pipeline does with platforms: the host configuration is analysed, never built.
  engine.analyze(label, HOST_CONFIG);
  const perPlatform = ['linux/amd64', 'linux/arm64'].map((p) => engine.analyze(label, withPlatform(parsePlatform(p))));
  engine.willBuild(perPlatform);
  const built = await Promise.race([
    Promise.all(perPlatform.map((n) => engine.build(n))).then((ps) => ps.map((p) => p.executable?.path)),
    sleep(120_000, undefined, { ref: false }).then(() => 'still waiting'),
  ]);
  assert.ok(Array.isArray(built), 'both binaries built without waiting for a third request');
  assert.equal(built.length, 2);
  assert.match(built[0] ?? '', /linux_amd64/);
  assert.match(built[1] ?? '', /linux_arm64/);
  assert.equal(goBuilds.stats.goBuilds, 2, 'one go build per platform');
  await goBuilds.idle();
});
