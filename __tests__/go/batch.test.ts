// The Go build queue with the real go command (counted through a wrapper $GO): one dependency
// pass and one `go build` for binaries of equal flags, no go process when nothing changed, only
// the changed binary after an edit to its own package, every binary after a shared library edit,
// distinct outputs for packages of the same name, and Go's own error for each binary of a batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GoBuildQueue, defaultExecName } from '../../src/go/batch.ts';
import { findGoToolchain } from '../../src/go/toolchain.ts';
import { runCommand } from '../helpers/run.ts';
import { fixture, later, runs } from '../helpers/go_fixture.ts';

test('one pass and one go build for all; nothing changed: no go process; an edit rebuilds only what imports it', async (t) => {
  const f = await fixture(t);
  const tc = findGoToolchain({ ...process.env, GO: f.go });
  const cacheDir = join(f.root, 'out', 'cache');
  const queue = () => new GoBuildQueue({ cacheDir, now: later });
  const env = { ...process.env, GOFLAGS: '' };
  const all = async (q: GoBuildQueue) => {
    const outcomes = await Promise.all([q.build(tc, f.req('./cmd/a', 'a'), env), q.build(tc, f.req('./cmd/b', 'b'), env)]);
    await q.idle();
    return outcomes;
  };

  let q = queue();
  assert.deepEqual(await all(q), ['built', 'built']);
  assert.deepEqual(f.calls(), ['list', 'build'], 'one dependency pass, one go build for both binaries');
  assert.equal(await runs(f.out('a')), 'a one');
  assert.equal(await runs(f.out('b')), 'b one');

  q = queue();
  assert.deepEqual(await all(q), ['up to date', 'up to date']);
  assert.equal(f.calls().length, 2, 'a new run with nothing changed starts no go process (the pass is remembered)');

  appendFileSync(join(f.root, 'cmd', 'b', 'main.go'), '\nvar edited = 1\n');
  q = queue();
  assert.deepEqual(await all(q), ['up to date', 'built'], 'only the edited service');
  // Built from the remembered pass at once; its imports did not change, so the new pass is
  // derived from the remembered one without go list.
  assert.deepEqual(f.calls().slice(2), ['build']);
  assert.deepEqual({ built: q.stats.built, upToDate: q.stats.upToDate, goBuilds: q.stats.goBuilds, listed: q.stats.listed, recalled: q.stats.recalled }, { built: 1, upToDate: 1, goBuilds: 1, listed: 0, recalled: 1 });
  q = queue();
  assert.deepEqual(await all(q), ['up to date', 'up to date'], 'the rebuilt binary was keyed by the new pass');
  assert.equal(f.calls().length, 3, 'and that pass was remembered');

  writeFileSync(join(f.root, 'lib', 'lib.go'), 'package lib\n\nconst Word = "two"\n');
  q = queue();
  assert.deepEqual(await all(q), ['built', 'built'], 'a shared library edit rebuilds both');
  assert.equal(q.stats.goBuilds, 1, 'in one go build');
  assert.equal(await runs(f.out('a')), 'a two');
  assert.equal(await runs(f.out('b')), 'b two');
  assert.equal(q.stats.listed, 0, 'a body edit of the library: no go list either');

  // Keys forgotten, outputs current: Go keeps both outputs (no link); what is remembered then
  // must still match them (their link counts went up and down in the batch directory).
  for (const name of readdirSync(cacheDir)) if (!name.startsWith('list-')) rmSync(join(cacheDir, name));
  q = queue();
  const callsBefore = f.calls().length;
  assert.deepEqual(await all(q), ['built', 'built']);
  assert.deepEqual(f.calls().slice(callsBefore), ['build'], 'the remembered pass answers; one go build checks both');
  q = queue();
  assert.deepEqual(await all(q), ['up to date', 'up to date'], 'outputs Go kept are remembered as they are after the batch');
  assert.equal(f.calls().length, callsBefore + 1);

  writeFileSync(join(f.root, 'lib', 'new.go'), 'package lib\n\nvar Extra = 1\n');
  q = queue();
  assert.deepEqual(await all(q), ['built', 'built'], 'a file added to an imported package');
});

test('packages of the same name get their own outputs; the same package twice is built once', async (t) => {
  const f = await fixture(t);
  const tc = findGoToolchain({ ...process.env, GO: f.go });
  const q = new GoBuildQueue({ cacheDir: join(f.root, 'out', 'cache'), now: later });
  const env = { ...process.env, GOFLAGS: '' };
  const outcomes = await Promise.all([
    q.build(tc, f.req('./cmd/a', 'a'), env),
    q.build(tc, f.req('./other/a', 'other'), env),
    q.build(tc, f.req('./cmd/a', 'a_again'), env),
  ]);
  assert.deepEqual(outcomes, ['built', 'built', 'built']);
  assert.equal(await runs(f.out('a')), 'a one');
  assert.equal(await runs(f.out('other')), 'other-a one');
  assert.equal(await runs(f.out('a_again')), 'a one');
  assert.equal(defaultExecName('example.com/m/cmd/a', 'linux'), 'a');
  assert.equal(q.stats.goBuilds, 2, 'two batches: cmd/a and other/a share the name "a"');
  assert.equal(defaultExecName('example.com/tool/v2', 'linux'), 'tool', 'a major-version suffix is not a name');
  assert.equal(defaultExecName('example.com/v1', 'windows'), 'v1.exe');
});

test('different flags are different go builds; a failing batch gives every binary Go\'s own error', async (t) => {
  const f = await fixture(t);
  const tc = findGoToolchain({ ...process.env, GO: f.go });
  const q = new GoBuildQueue({ cacheDir: join(f.root, 'out', 'cache'), now: later });
  const env = { ...process.env, GOFLAGS: '' };
  await Promise.all([q.build(tc, f.req('./cmd/a', 'a'), env), q.build(tc, { ...f.req('./cmd/b', 'b'), xDefs: { 'example.com/m/lib.Word': 'x' } }, env)]);
  assert.equal(q.stats.goBuilds, 2, 'x_defs differ: not one go build');
  assert.equal(q.stats.listed, 2);

  writeFileSync(join(f.root, 'lib', 'lib.go'), 'package lib\n\nconst Word = \n');
  const results = await Promise.allSettled([q.build(tc, f.req('./cmd/a', 'a'), env), q.build(tc, f.req('./cmd/b', 'b'), env)]);
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    const msg = ((r as PromiseRejectedResult).reason as Error).message;
    assert.match(msg, /go build failed \(GOOS=linux GOARCH=amd64/);
    assert.ok(msg.startsWith(results.indexOf(r) === 0 ? '//cmd/a:a: ' : '//cmd/b:b: '), `each error names its own target: ${msg}`);
    assert.match(msg, /lib\.go:\d+:\d+: syntax error/, 'Go\'s message names the file and line');
  }
  assert.equal(await runs(f.out('a')), 'a one', 'a failed build leaves the previous output');
});

test('a binary of a batch is handed on when Go has written it, before the go process ends', async (t) => {
  const f = await fixture(t);
  // A go that lingers 3 s after the real build: outputs placed only at exit would come after that.
  const real = (await runCommand('sh', ['-c', 'command -v go'])).stdout.trim();
  const stamp = join(f.root, 'go-finished');
  const slow = join(f.root, 'slow-go');
  writeFileSync(slow, `#!/bin/sh\n'${real}' "$@"\nrc=$?\n[ "$1" = build ] && date +%s%3N > '${stamp}.tmp' && mv '${stamp}.tmp' '${stamp}' && sleep 3\nexit $rc\n`);
  chmodSync(slow, 0o755);
  const tc = findGoToolchain({ ...process.env, GO: slow });
  const q = new GoBuildQueue({ cacheDir: join(f.root, 'out', 'cache'), now: later });
  const env = { ...process.env, GOFLAGS: '' };
  const at: number[] = [];
  await Promise.all([q.build(tc, f.req('./cmd/a', 'a'), env), q.build(tc, f.req('./cmd/b', 'b'), env)].map((p) => p.then(() => at.push(Date.now()))));
  // The stamp may not be written yet: the outputs can come before the go process has even exited.
  for (let i = 0; i < 100 && !existsSync(stamp); i++) await sleep(100);
  const goFinished = Number(readFileSync(stamp, 'utf8'));
  assert.equal(q.stats.goBuilds, 1);
  for (const t0 of at) assert.ok(t0 < goFinished + 2000, `handed on ${t0 - goFinished} ms after the real go build ended (the wrapper lingers 3000 ms)`);
  assert.equal(await runs(f.out('a')), 'a one');
  assert.equal(await runs(f.out('b')), 'b one');
});

test('with the number of builds expected, the queue starts when the last arrives, not after a quiet gap', async (t) => {
  const f = await fixture(t);
  const tc = findGoToolchain({ ...process.env, GO: f.go });
  const env = { ...process.env, GOFLAGS: '' };
  // A gap no test would wait for: only the expected count can start the group.
  const q = new GoBuildQueue({ cacheDir: join(f.root, 'out', 'cache'), now: later, gatherMs: 600_000 });
  q.expect(2);
  const outcomes = await Promise.race([
    Promise.all([q.build(tc, f.req('./cmd/a', 'a'), env), q.build(tc, f.req('./cmd/b', 'b'), env)]),
    sleep(120_000, undefined, { ref: false }).then(() => 'still waiting'),
  ]);
  assert.deepEqual(outcomes, ['built', 'built']);
  assert.deepEqual(f.calls(), ['list', 'build'], 'both in one group: one pass, one go build');
  await q.idle();
});
