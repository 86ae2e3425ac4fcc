// Predicted builds (src/go/predicted.ts) with the real go command: a run remembers its requests;
// the next run with the same key starts the go build of what changed before any request comes,
// and a request takes that output only when it is exactly the request predicted. A wrong, failed
// or unwanted prediction costs time, never a wrong binary, and leaves nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GoBuildQueue } from '../../src/go/batch.ts';
import { findGoToolchain, type GoToolchain } from '../../src/go/toolchain.ts';
import { fixture, later, runs, type Fixture } from '../helpers/go_fixture.ts';

const RUN = JSON.stringify({ targets: ['//cmd/...'] });

/** A first run of a and b that leaves its requests (and the dependency pass) for the next. */
async function remembered(f: Fixture): Promise<{ tc: GoToolchain; env: NodeJS.ProcessEnv; queue: () => GoBuildQueue }> {
  const tc = findGoToolchain({ ...process.env, GO: f.go });
  const env = { ...process.env, GOFLAGS: '' };
  const queue = () => new GoBuildQueue({ cacheDir: join(f.root, 'out', 'cache'), now: later });
  const q = queue();
  q.predict(RUN, tc, env);
  assert.equal(q.stats.goBuilds, 0, 'nothing remembered yet: nothing predicted');
  await Promise.all([q.build(tc, f.req('./cmd/a', 'a'), env), q.build(tc, f.req('./cmd/b', 'b'), env)]);
  q.dropPredictions();
  await q.idle();
  await q.rememberRun();
  f.clear();
  return { tc, env, queue };
}

/** A new main.go for a with the same imports (so the new dependency pass needs no go list). */
const editA = (f: Fixture, body: string) => writeFileSync(join(f.root, 'cmd/a/main.go'), `package main\n\nimport (\n\t"fmt"\n\n\t"example.com/m/lib"\n)\n\n${body}\n`);

/** Private directories of predicted builds still in the output tree. */
const leftovers = (f: Fixture) => readdirSync(dirname(join(f.root, 'out', 'cache'))).filter((n) => n.startsWith('go-predicted-'));

test('the changed binary builds before its request comes, and the request takes that output', async (t) => {
  const f = await fixture(t);
  const { tc, env, queue } = await remembered(f);
  editA(f, 'func main() { fmt.Println("a two", lib.Word) }');
  const q = queue();
  q.predict(RUN, tc, env);
  assert.equal(q.stats.goBuilds, 1, 'go build of a started when predict returned, before any request');
  const outcomes = await Promise.all([q.build(tc, f.req('./cmd/a', 'a'), env), q.build(tc, f.req('./cmd/b', 'b'), env)]);
  q.dropPredictions();
  await q.idle();
  assert.deepEqual(outcomes, ['built', 'up to date']);
  assert.equal(q.stats.predicted, 1, 'a came from the predicted build');
  assert.deepEqual(f.calls(), ['build'], 'one go process in all: no second build of a, none for b, no go list');
  assert.equal(await runs(f.out('a')), 'a two one');
  assert.equal(await runs(f.out('b')), 'b one');
  assert.deepEqual(leftovers(f), []);
  // The output is remembered under its key as if built here: the next run builds nothing.
  const again = queue();
  assert.deepEqual(await Promise.all([again.build(tc, f.req('./cmd/a', 'a'), env), again.build(tc, f.req('./cmd/b', 'b'), env)]), ['up to date', 'up to date']);
  await again.idle();
});

test('a request that differs from the prediction builds as asked; the predicted build is stopped and leaves nothing', async (t) => {
  const f = await fixture(t);
  const { tc, env, queue } = await remembered(f);
  editA(f, 'var word = "none"\n\nfunc main() { fmt.Println("a", word, lib.Word) }');
  const q = queue();
  q.predict(RUN, tc, env);
  assert.equal(q.stats.goBuilds, 1);
  // The BUILD file changed too: a now sets x_defs, so its flags (and key) are not the predicted ones.
  const outcome = await q.build(tc, { ...f.req('./cmd/a', 'a'), xDefs: { word: 'set' } }, env);
  await q.idle();
  assert.equal(outcome, 'built');
  assert.equal(q.stats.predicted, 0);
  assert.equal(await runs(f.out('a')), 'a set one', 'the binary of the request made, not of the prediction');
  assert.deepEqual(leftovers(f), []);
});

test('a predicted build that fails gives the request Go\'s error, without building it again', async (t) => {
  const f = await fixture(t);
  const { tc, env, queue } = await remembered(f);
  editA(f, 'func main() { fmt.Println("a", lib.Word }');
  const q = queue();
  q.predict(RUN, tc, env);
  const [a, b] = await Promise.allSettled([q.build(tc, f.req('./cmd/a', 'a'), env), q.build(tc, f.req('./cmd/b', 'b'), env)]);
  await q.idle();
  assert.equal(a.status, 'rejected');
  const msg = ((a as PromiseRejectedResult).reason as Error).message;
  assert.match(msg, /^\/\/cmd\/a:a: go build failed \(GOOS=linux GOARCH=amd64\)/);
  assert.match(msg, /main\.go:9:\d+: syntax error/, 'Go\'s message names the file and line');
  assert.deepEqual(b, { status: 'fulfilled', value: 'up to date' });
  assert.deepEqual(f.calls(), ['build'], 'the failure came from the predicted build alone');
  assert.equal(await runs(f.out('a')), 'a one', 'the previous output stays');
  assert.deepEqual(leftovers(f), []);
});

test('a run that ends before asking (e.g. a BUILD error) stops the predicted build and leaves nothing', async (t) => {
  const f = await fixture(t);
  const { tc, env, queue } = await remembered(f);
  editA(f, 'func main() { fmt.Println("a two", lib.Word) }');
  const q = queue();
  q.predict(RUN, tc, env);
  assert.equal(q.stats.goBuilds, 1);
  q.dropPredictions();
  await q.idle();
  assert.equal(await runs(f.out('a')), 'a one', 'an unclaimed prediction never replaces an output');
  assert.deepEqual(leftovers(f), []);
  // Another run key predicts nothing from this one's memory.
  const other = queue();
  other.predict(JSON.stringify({ targets: ['//cmd/b'] }), tc, env);
  assert.equal(other.stats.goBuilds, 0);
  other.dropPredictions();
  await other.idle();
});

test('a predicted build keeps an output that is still current: Go checks it and does not link again', async (t) => {
  const f = await fixture(t);
  const { tc, env, queue } = await remembered(f);
  const inode = (name: string) => statSync(f.out(name)).ino;
  const before = { a: inode('a'), b: inode('b') };
  // The library's file is written again with the same content: its fingerprint moves, Go's hashes do not.
  const lib = join(f.root, 'lib', 'lib.go');
  writeFileSync(lib, readFileSync(lib));
  const q = queue();
  q.predict(RUN, tc, env);
  assert.equal(q.stats.goBuilds, 1, 'both binaries import the library: one predicted go build');
  const outcomes = await Promise.all([q.build(tc, f.req('./cmd/a', 'a'), env), q.build(tc, f.req('./cmd/b', 'b'), env)]);
  await q.idle();
  assert.deepEqual(outcomes, ['built', 'built']);
  assert.equal(q.stats.predicted, 2);
  assert.deepEqual({ a: inode('a'), b: inode('b') }, before, 'the very files Go kept, not new links');
  assert.equal(statSync(f.out('a')).nlink, 1, 'no second name left behind');
  assert.equal(await runs(f.out('a')), 'a one');
  assert.deepEqual(leftovers(f), []);
});
