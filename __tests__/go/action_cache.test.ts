// The go build action cache: which changes give a binary a new key (and so a real go build),
// which do not (an edit to a package it does not import), when no key is given at all, and,
// through the pipeline with a recording $GO, that an unchanged build runs no go process while an
// edit, a new file or a deleted output runs one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { goBinaryKey, goConfigKey, isUpToDate, rememberBuild, RACY_WINDOW_NS } from '../../src/go/action_cache.ts';
import { closureOf, depGraph, packageInDir } from '../../src/go/deps.ts';
import { runPipeline } from '../../src/pipeline.ts';
import { runCommand } from '../helpers/run.ts';

const example = join(import.meta.dirname, '..', '..', 'examples', 'monorepo');
const LATER = BigInt(Date.now() + 3_600_000) * 1_000_000n;

function module(t: { after: (fn: () => void) => void }): string {
  const root = mkdtempSync(join(tmpdir(), 'go-action-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, 'go.mod'), 'module example.com/m\n\ngo 1.23\n');
  mkdirSync(join(root, 'cmd', 'app'), { recursive: true });
  writeFileSync(join(root, 'cmd', 'app', 'main.go'), 'package main\n\nimport _ "example.com/m/lib"\n\nfunc main() {}\n');
  mkdirSync(join(root, 'lib'));
  writeFileSync(join(root, 'lib', 'lib.go'), 'package lib\n');
  mkdirSync(join(root, 'other'));
  writeFileSync(join(root, 'other', 'other.go'), 'package other\n');
  return root;
}

interface KeyOptions {
  go?: string;
  flags?: string[];
  env?: NodeJS.ProcessEnv;
  cgo?: boolean;
}

const baseEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: '/nonexistent-home', GOOS: 'linux', GOARCH: 'amd64', GOFLAGS: '', GOTOOLCHAIN: 'local', GOCACHE: process.env.GOCACHE ?? join(process.env.HOME ?? '/root', '.cache', 'go-build') });

/** The key of ./cmd/app as the build queue computes it (a fresh go list each time: no cache dir reuse). */
async function keyOf(root: string, o: KeyOptions = {}): Promise<string | undefined> {
  const env = o.env ?? baseEnv();
  const flags = o.flags ?? ['-trimpath'];
  const configKey = goConfigKey({ go: o.go ?? 'go', moduleRoot: root, flags, env, cgo: o.cgo ?? false });
  if (configKey === undefined) return undefined;
  const cacheDir = mkdtempSync(join(tmpdir(), 'go-action-cache-'));
  try {
    const graph = await depGraph({ go: 'go', moduleRoot: root, flags, env, packages: ['./cmd/app'], configKey, cacheDir, now: LATER, racyWindowNs: RACY_WINDOW_NS });
    assert.ok(graph, 'go list answered');
    const main = packageInDir(graph, join(root, 'cmd', 'app'));
    assert.ok(main);
    const closure = closureOf(graph, main.ImportPath);
    assert.ok(closure);
    return goBinaryKey(configKey, join(root, '.oci-build', 'out'), graph.moduleFiles, closure.prints);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

async function mustKey(root: string, o: KeyOptions = {}): Promise<string> {
  const k = await keyOf(root, o);
  assert.ok(k !== undefined, 'expected a key');
  return k;
}

test('the key follows the files of imported packages, flags and Go environment; not other packages or output', async (t) => {
  const root = module(t);
  const base = await mustKey(root);
  assert.equal(await mustKey(root), base, 'same tree, same key');

  mkdirSync(join(root, '.oci-build'));
  writeFileSync(join(root, '.oci-build', 'out'), 'binary');
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, '.git', 'HEAD'), 'ref');
  mkdirSync(join(root, 'tools'));
  writeFileSync(join(root, 'tools', 'go.mod'), 'module example.com/tools\n');
  writeFileSync(join(root, 'tools', 'x.go'), 'package tools\n');
  appendFileSync(join(root, 'other', 'other.go'), '// an edit to a package the binary does not import\n');
  writeFileSync(join(root, 'other', 'more.go'), 'package other\n');
  assert.equal(await mustKey(root), base, 'the output root, .git, a nested module and packages it does not import are not inputs');

  appendFileSync(join(root, 'lib', 'lib.go'), '// more\n');
  const edited = await mustKey(root);
  assert.notEqual(edited, base, 'an edited source of an imported package');

  writeFileSync(join(root, 'lib', 'extra.go'), 'package lib\n');
  const added = await mustKey(root);
  assert.notEqual(added, edited, 'a new file');
  writeFileSync(join(root, 'lib', 'extra_test.go'), 'package lib\n');
  assert.notEqual(await mustKey(root), added, 'a file the build leaves out still changes the directory (kept simple)');
  mkdirSync(join(root, 'lib', 'assets'));
  writeFileSync(join(root, 'lib', 'assets', 'logo.txt'), 'embedded');
  writeFileSync(join(root, 'lib', 'embed.go'), 'package lib\n\nimport "embed"\n\n//go:embed assets\nvar Assets embed.FS\n');
  const embedded = await mustKey(root);
  mkdirSync(join(root, 'lib', 'assets', 'deeper'));
  writeFileSync(join(root, 'lib', 'assets', 'deeper', 'new.txt'), 'also embedded');
  assert.notEqual(await mustKey(root), embedded, 'a new file in a new directory of an embedded tree');
  const now = await mustKey(root);

  assert.notEqual(await mustKey(root, { flags: ['-trimpath', '-ldflags=-s -w'] }), now, 'other flags');
  assert.notEqual(await mustKey(root, { env: { ...baseEnv(), GOFLAGS: '-tags=x' } }), now, 'GOFLAGS');
  assert.notEqual(await mustKey(root, { env: { ...baseEnv(), GOARCH: 'arm64' } }), now, 'GOARCH');
  assert.equal(await mustKey(root, { env: { ...baseEnv(), UNRELATED: '1' } }), now, 'an unrelated variable');

  rmSync(join(root, 'lib', 'extra.go'));
  assert.notEqual(await mustKey(root), now, 'a deleted file');

  // Another Go: the binary the build runs is an input (found on PATH, or as a path).
  const bin = mkdtempSync(join(tmpdir(), 'go-action-go-'));
  t.after(() => rmSync(bin, { recursive: true, force: true }));
  writeFileSync(join(bin, 'go'), '#!/bin/sh\n');
  chmodSync(join(bin, 'go'), 0o755);
  const configOnPath = goConfigKey({ go: 'go', moduleRoot: root, flags: [], env: { ...baseEnv(), PATH: bin }, cgo: false });
  assert.equal(goConfigKey({ go: join(bin, 'go'), moduleRoot: root, flags: [], env: { ...baseEnv(), PATH: bin }, cgo: false }), configOnPath, 'the same go by path or on PATH');
  writeFileSync(join(bin, 'go'), '#!/bin/sh\n# a newer go\n');
  assert.notEqual(goConfigKey({ go: 'go', moduleRoot: root, flags: [], env: { ...baseEnv(), PATH: bin }, cgo: false }), configOnPath, 'an updated go binary');
});

test('a local replace directory is followed; go.work, cgo and GOFLAGS naming other files give no key; -overlay is followed', async (t) => {
  const root = module(t);
  const other = mkdtempSync(join(tmpdir(), 'go-action-replaced-'));
  t.after(() => rmSync(other, { recursive: true, force: true }));
  writeFileSync(join(other, 'go.mod'), 'module example.com/other\n');
  writeFileSync(join(other, 'o.go'), 'package other\n');
  writeFileSync(join(root, 'go.mod'), `module example.com/m\n\ngo 1.23\n\nrequire example.com/other v0.0.0\n\nreplace example.com/other => ${other}\n`);
  writeFileSync(join(root, 'cmd', 'app', 'main.go'), 'package main\n\nimport _ "example.com/other"\n\nfunc main() {}\n');
  const before = await mustKey(root);
  appendFileSync(join(other, 'o.go'), '// changed\n');
  assert.notEqual(await mustKey(root), before, 'an edit in the replaced directory');

  assert.equal(await keyOf(root, { cgo: true }), undefined, 'cgo reads C toolchains and headers');
  for (const flags of ['-overlay=/tmp/o.json', '-mod=mod -modfile=/tmp/alt.mod', '-pgo=/tmp/cpu.pprof']) {
    assert.equal(await keyOf(root, { env: { ...baseEnv(), GOFLAGS: flags } }), undefined, `GOFLAGS=${flags}`);
  }
  const home = mkdtempSync(join(tmpdir(), 'go-action-home-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  mkdirSync(join(home, '.config', 'go'), { recursive: true });
  writeFileSync(join(home, '.config', 'go', 'env'), 'GOFLAGS=-overlay=/tmp/o.json\n');
  assert.equal(await keyOf(root, { env: { ...baseEnv(), HOME: home } }), undefined, 'GOFLAGS from go env -w');
  assert.equal(await keyOf(root, { env: { ...baseEnv(), GOWORK: join(root, 'go.work') } }), undefined, 'GOWORK');
  writeFileSync(join(root, 'go.work'), 'go 1.23\nuse .\n');
  assert.equal(await keyOf(root), undefined, 'a go.work file');
  assert.ok(await keyOf(root, { env: { ...baseEnv(), GOWORK: 'off' } }), 'GOWORK=off ignores it');
  rmSync(join(root, 'go.work'));

  // An -overlay in the build's own flags (generated sources): the overlay file and the files it
  // names are inputs.
  const gen = join(root, 'gen.go');
  writeFileSync(gen, 'package main\n\nvar generated = 1\n');
  const overlay = join(root, 'overlay.json');
  writeFileSync(overlay, JSON.stringify({ Replace: { [join(root, 'cmd', 'app', 'zz_gen.go')]: gen } }));
  const withOverlay = await mustKey(root, { flags: ['-trimpath', `-overlay=${overlay}`] });
  writeFileSync(gen, 'package main\n\nvar generated = 2\n');
  assert.notEqual(await mustKey(root, { flags: ['-trimpath', `-overlay=${overlay}`] }), withOverlay, 'a file the overlay names changed');
});

test('inputs changed within the racy window are not settled; the output must be untouched', async (t) => {
  const root = module(t);
  const configKey = goConfigKey({ go: 'go', moduleRoot: root, flags: [], env: baseEnv(), cgo: false }) as string;
  const cacheDir = join(root, '.oci-build', 'cache');
  const now = BigInt(Date.now()) * 1_000_000n;
  const graph = await depGraph({ go: 'go', moduleRoot: root, flags: [], env: baseEnv(), packages: ['./cmd/app'], configKey, cacheDir, now, racyWindowNs: RACY_WINDOW_NS });
  assert.ok(graph);
  const closure = closureOf(graph, 'example.com/m/cmd/app');
  assert.ok(closure);
  assert.ok(closure.newestNs >= now - RACY_WINDOW_NS, 'files written just now are not settled');

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
