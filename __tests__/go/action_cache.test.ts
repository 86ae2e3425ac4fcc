// The go build action cache: which changes give a new key (and so a real go build), which do not,
// when no key is given at all, and, through the pipeline with a recording $GO, that an unchanged
// build runs no go process while an edit, a new file or a deleted output runs one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { goActionKey, isUpToDate, rememberBuild, RACY_WINDOW_NS, type GoActionInputs } from '../../src/go/action_cache.ts';
import { runPipeline } from '../../src/pipeline.ts';
import { runCommand } from '../helpers/run.ts';

const example = join(import.meta.dirname, '..', '..', 'examples', 'monorepo');
const LATER = BigInt(Date.now() + 3_600_000) * 1_000_000n;

function module(): string {
  const root = mkdtempSync(join(tmpdir(), 'go-action-'));
  writeFileSync(join(root, 'go.mod'), 'module example.com/m\n\ngo 1.23\n');
  mkdirSync(join(root, 'cmd', 'app'), { recursive: true });
  writeFileSync(join(root, 'cmd', 'app', 'main.go'), 'package main\n\nfunc main() {}\n');
  mkdirSync(join(root, 'lib'));
  writeFileSync(join(root, 'lib', 'lib.go'), 'package lib\n');
  return root;
}

function inputs(root: string, over: Partial<GoActionInputs> = {}): GoActionInputs {
  return {
    go: process.execPath, // any existing binary: only its identity is read
    moduleRoot: root,
    args: ['build', '-trimpath', '-o', join(root, '.oci-build', 'out'), './cmd/app'],
    env: { PATH: process.env.PATH, HOME: '/nonexistent-home', GOOS: 'linux', GOARCH: 'amd64' },
    cgo: false,
    exclude: [join(root, '.oci-build')],
    ...over,
  };
}

function keyOf(root: string, over: Partial<GoActionInputs> = {}): string {
  const k = goActionKey(inputs(root, over), LATER);
  assert.ok(k !== undefined, 'expected a key');
  return k.key;
}

test('the key follows sources, new files, args and Go environment; not output or unrelated dirs', () => {
  const root = module();
  const base = keyOf(root);
  assert.equal(keyOf(root), base, 'same tree, same key');

  mkdirSync(join(root, '.oci-build'));
  writeFileSync(join(root, '.oci-build', 'out'), 'binary');
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, '.git', 'HEAD'), 'ref');
  mkdirSync(join(root, 'tools'));
  writeFileSync(join(root, 'tools', 'go.mod'), 'module example.com/tools\n');
  writeFileSync(join(root, 'tools', 'x.go'), 'package tools\n');
  const withIgnored = keyOf(root);
  // Adding the nested module's directory itself is not a change either: it is skipped whole.
  assert.equal(withIgnored, base, 'the output root, .git and a nested module are not inputs');

  appendFileSync(join(root, 'lib', 'lib.go'), '// more\n');
  const edited = keyOf(root);
  assert.notEqual(edited, base, 'an edited source');

  writeFileSync(join(root, 'lib', 'extra.go'), 'package lib\n');
  const added = keyOf(root);
  assert.notEqual(added, edited, 'a new file');
  mkdirSync(join(root, 'lib', 'assets'));
  writeFileSync(join(root, 'lib', 'assets', 'logo.txt'), 'embedded');
  assert.notEqual(keyOf(root), added, 'a new file in a new directory (an embed)');
  const now = keyOf(root);

  assert.notEqual(keyOf(root, { args: ['build', '-trimpath', '-ldflags=-s -w', '-o', 'x', './cmd/app'] }), now, 'other flags');
  assert.notEqual(keyOf(root, { env: { ...inputs(root).env, GOFLAGS: '-tags=x' } }), now, 'GOFLAGS');
  assert.notEqual(keyOf(root, { env: { ...inputs(root).env, GOARCH: 'arm64' } }), now, 'GOARCH');
  assert.equal(keyOf(root, { env: { ...inputs(root).env, UNRELATED: '1' } }), now, 'an unrelated variable');

  rmSync(join(root, 'lib', 'extra.go'));
  assert.notEqual(keyOf(root), now, 'a deleted file');

  // Another Go: the binary the build runs is an input (found on PATH, or as a path).
  const bin = mkdtempSync(join(tmpdir(), 'go-action-go-'));
  writeFileSync(join(bin, 'go'), '#!/bin/sh\n');
  chmodSync(join(bin, 'go'), 0o755);
  const onPath = keyOf(root, { go: 'go', env: { ...inputs(root).env, PATH: bin } });
  assert.equal(keyOf(root, { go: join(bin, 'go') }), onPath, 'the same go by path or on PATH');
  writeFileSync(join(bin, 'go'), '#!/bin/sh\n# a newer go\n');
  assert.notEqual(keyOf(root, { go: 'go', env: { ...inputs(root).env, PATH: bin } }), onPath, 'an updated go binary');
});

test('a local replace directory is an input; go.work, cgo and symlinked directories give no key', () => {
  const root = module();
  const other = mkdtempSync(join(tmpdir(), 'go-action-replaced-'));
  writeFileSync(join(other, 'go.mod'), 'module example.com/other\n');
  writeFileSync(join(other, 'o.go'), 'package other\n');
  writeFileSync(join(root, 'go.mod'), `module example.com/m\n\ngo 1.23\n\nreplace example.com/other => ${other}\n`);
  const before = keyOf(root);
  appendFileSync(join(other, 'o.go'), '// changed\n');
  assert.notEqual(keyOf(root), before, 'an edit in the replaced directory');

  assert.equal(goActionKey(inputs(root, { cgo: true }), LATER), undefined, 'cgo reads C toolchains and headers');
  for (const flags of ['-overlay=/tmp/o.json', '-mod=mod -modfile=/tmp/alt.mod', '-pgo=/tmp/cpu.pprof']) {
    assert.equal(goActionKey(inputs(root, { env: { ...inputs(root).env, GOFLAGS: flags } }), LATER), undefined, `GOFLAGS=${flags}`);
  }
  const home = mkdtempSync(join(tmpdir(), 'go-action-home-'));
  mkdirSync(join(home, '.config', 'go'), { recursive: true });
  writeFileSync(join(home, '.config', 'go', 'env'), 'GOFLAGS=-overlay=/tmp/o.json\n');
  assert.equal(goActionKey(inputs(root, { env: { ...inputs(root).env, HOME: home } }), LATER), undefined, 'GOFLAGS from go env -w');
  assert.ok(goActionKey(inputs(root, { env: { ...inputs(root).env, GOFLAGS: '-mod=vendor -tags=x' } }), LATER), 'flags on nothing outside');
  assert.equal(goActionKey(inputs(root, { env: { ...inputs(root).env, GOWORK: join(root, 'go.work') } }), LATER), undefined, 'GOWORK');
  writeFileSync(join(root, 'go.work'), 'go 1.23\nuse .\n');
  assert.equal(goActionKey(inputs(root), LATER), undefined, 'a go.work file');
  assert.ok(goActionKey(inputs(root, { env: { ...inputs(root).env, GOWORK: 'off' } }), LATER), 'GOWORK=off ignores it');
  rmSync(join(root, 'go.work'));

  const outside = mkdtempSync(join(tmpdir(), 'go-action-outside-'));
  symlinkSync(outside, join(root, 'bazel-bin'));
  assert.ok(goActionKey(inputs(root), LATER), "bazel's convenience links at the top are skipped");
  symlinkSync(outside, join(root, 'lib', 'linked'));
  assert.equal(goActionKey(inputs(root), LATER), undefined, 'a symlinked directory Go could follow');
});

test('inputs changed within the racy window are not settled; the output must be untouched', async () => {
  const root = module();
  const fresh = goActionKey(inputs(root));
  assert.ok(fresh !== undefined);
  assert.equal(fresh.settled, false, 'files written just now');
  const later = goActionKey(inputs(root), BigInt(Date.now()) * 1_000_000n + RACY_WINDOW_NS + 1_000_000_000n);
  assert.equal(later?.settled, true);

  const cache = join(root, '.oci-build', 'cache');
  const out = join(root, '.oci-build', 'out');
  mkdirSync(join(root, '.oci-build'), { recursive: true });
  writeFileSync(out, 'binary v1');
  assert.equal(await isUpToDate(cache, 'k', out), false, 'nothing remembered');
  await rememberBuild(cache, 'k', out);
  assert.equal(await isUpToDate(cache, 'k', out), true);
  assert.equal(await isUpToDate(cache, 'k', join(root, 'elsewhere')), false, 'another output path');
  writeFileSync(out, 'binary v2');
  assert.equal(await isUpToDate(cache, 'k', out), false, 'the output was rewritten');
  rmSync(out);
  assert.equal(await isUpToDate(cache, 'k', out), false, 'the output is gone');
});

test('through the pipeline: no go process while nothing changed; an edit, a new file or a lost output runs go', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'go-action-ws-'));
  cpSync(example, ws, { recursive: true, filter: (s) => !s.includes('.oci-build') });
  const real = (await runCommand('sh', ['-c', 'command -v go'])).stdout.trim();
  const log = join(ws, '..', `${ws.split('/').pop()}-calls.log`);
  writeFileSync(log, '');
  const go = join(mkdtempSync(join(tmpdir(), 'go-action-bin-')), 'go');
  writeFileSync(go, `#!/bin/sh\necho "$1" >> '${log}'\nexec '${real}' "$@"\n`);
  chmodSync(go, 0o755);
  const goRuns = () => readFileSync(log, 'utf8').split('\n').filter((l) => l !== '');
  const calls = () => goRuns().filter((l) => l === 'build').length;
  const lines: string[] = [];
  const build = () =>
    runPipeline({
      cwd: ws,
      targets: ['//apps/hello_world:hello_world_linux_amd64'],
      load: false,
      env: { ...process.env, GO: go },
      log: { info: (m) => lines.push(m), warning: () => {} },
    });
  // Every input must be older than the racy window before a build is remembered.
  await sleep(Number(RACY_WINDOW_NS / 1_000_000n) + 200);

  await build();
  assert.equal(calls(), 1);
  assert.deepEqual(goRuns(), ['list', 'build'], 'one dependency pass, one build');
  await build();
  assert.equal(goRuns().length, 2, 'unchanged: no go process at all (the dependency pass is remembered too)');
  assert.ok(lines.some((l) => /hello_world_linux_amd64: linux\/amd64 binary up to date/.test(l)), lines.join('\n'));
  const bin = join(ws, '.oci-build', 'bin', 'host', 'apps', 'hello_world', 'hello_world_linux_amd64_', 'hello_world_linux_amd64');
  const ran = await runCommand(bin, []);
  assert.equal(ran.code, 0, ran.stderr);

  rmSync(bin);
  await build();
  assert.equal(calls(), 2, 'the output deleted');
  assert.equal((await runCommand(bin, [])).code, 0);
  await build();
  assert.equal(calls(), 2, 'the rebuilt output is remembered');

  appendFileSync(join(ws, 'libs', 'reverse', 'reverse.go'), '// edited\n');
  await build();
  assert.equal(calls(), 3, 'a dependency edited');

  writeFileSync(join(ws, 'apps', 'hello_world', 'extra.go'), 'package main\n\nvar extra = 1\n');
  await build();
  assert.equal(calls(), 4, 'a file added to the package');
  await build();
  assert.equal(calls(), 5, 'just edited: not remembered (racy), so Go checks again');
});
