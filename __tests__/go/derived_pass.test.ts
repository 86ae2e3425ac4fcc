// The dependency pass after an edit, with the real go command (counted through a wrapper $GO):
// an edit that leaves every changed package's file names and .go headers as they were (a function
// body, in place or saved by rename; an embedded file's content) rebuilds what imports it and
// derives the new pass without `go list`; a new import, a build constraint, a new file or a new
// //go:embed line runs `go list`, and either way the next run's keys are right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GoBuildQueue, type GoBuildOutcome } from '../../src/go/batch.ts';
import { RACY_WINDOW_NS } from '../../src/go/action_cache.ts';
import type { GoBuildRequest } from '../../src/go/build.ts';
import { findGoToolchain } from '../../src/go/toolchain.ts';
import { setDebugSink } from '../../src/util/debug.ts';
import { runCommand } from '../helpers/run.ts';
import { countingGo } from '../helpers/go_wrapper.ts';

const mainA = (msg: string, imports = '') => `package main\n\nimport (\n\t"fmt"\n${imports}\n\t"example.com/m/lib"\n)\n\nfunc main() { fmt.Println("${msg}", lib.Word${imports ? ', lib2.Word' : ''}) }\n`;
const mainB = (tail: string) => `package main\n\nimport (\n\t_ "embed"\n\t"fmt"\n\n\t"example.com/m/lib"\n)\n\n${tail}\n`;

interface Fixture {
  root: string;
  /** Builds both binaries in a new queue (a new run) and returns their outcomes and the go commands it started. */
  run: () => Promise<{ outcomes: Array<GoBuildOutcome | 'failed'>; calls: string[]; debug: string[] }>;
  output: (name: 'a' | 'b') => Promise<string>;
  write: (path: string, text: string) => void;
}

async function fixture(t: { after: (fn: () => void) => void }): Promise<Fixture> {
  const root = mkdtempSync(join(tmpdir(), 'go-derived-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write('go.mod', 'module example.com/m\n\ngo 1.23\n');
  write('lib/lib.go', 'package lib\n\nconst Word = "one"\n');
  write('lib2/lib2.go', 'package lib2\n\nconst Word = "x"\n');
  write('cmd/a/main.go', mainA('a'));
  write('cmd/a/helper.go', 'package main\n\nvar helper = 1\n');
  write('cmd/b/main.go', mainB('func main() { fmt.Println("b", lib.Word) }'));
  const counting = await countingGo(root);
  const go = counting.go;
  const tc = findGoToolchain({ ...process.env, GO: go });
  const env = { ...process.env, GOFLAGS: '' };
  const out = (name: string) => join(root, 'out', name);
  const req = (pkg: string, name: string): GoBuildRequest => ({ moduleRoot: root, packagePath: pkg, goos: 'linux', goarch: 'amd64', cgo: false, xDefs: {}, gcLinkopts: [], gcGoopts: [], tags: [], out: out(name), label: `//${pkg.slice(2)}:${name}` });
  // A clock past the racy window, so what was just written counts as settled.
  const later = () => BigInt(Date.now()) * 1_000_000n + RACY_WINDOW_NS + 1_000_000_000n;
  const run = async () => {
    counting.clear();
    const debug: string[] = [];
    setDebugSink((l) => debug.push(l));
    try {
      const q = new GoBuildQueue({ cacheDir: join(root, 'out', 'cache'), now: later });
      const settled = await Promise.allSettled([q.build(tc, req('./cmd/a', 'a'), env), q.build(tc, req('./cmd/b', 'b'), env)]);
      await q.idle();
      const outcomes = settled.map((s) => (s.status === 'fulfilled' ? s.value : 'failed' as const));
      return { outcomes, calls: counting.calls(), debug: debug.filter((l) => /go list again|without go list/.test(l)) };
    } finally {
      setDebugSink(undefined);
    }
  };
  const output = async (name: 'a' | 'b') => {
    const r = await runCommand(out(name), []);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };
  return { root, run, output, write };
}

/** The run after an edit: `outcomes`, with `go list` run or not, and then a run that starts no go process. */
async function expectRun(f: Fixture, outcomes: Array<GoBuildOutcome | 'failed'>, listed: boolean, why: RegExp): Promise<void> {
  const r = await f.run();
  assert.deepEqual(r.outcomes, outcomes);
  assert.deepEqual(r.calls.sort(), listed ? ['build', 'list'] : ['build'], listed ? 'go list runs' : 'no go list');
  assert.equal(r.debug.length, 1, r.debug.join('\n'));
  assert.match(r.debug[0] as string, why);
  const noop = await f.run();
  assert.deepEqual(noop.outcomes, ['up to date', 'up to date'], 'the rebuilt binary was keyed by the new pass');
  assert.deepEqual(noop.calls, [], 'and the next run starts no go process');
}

test('a body edit, in place or saved by rename, derives the new pass without go list', async (t) => {
  const f = await fixture(t);
  let r = await f.run();
  assert.deepEqual(r.outcomes, ['built', 'built']);
  assert.deepEqual(r.calls, ['list', 'build']);
  assert.deepEqual(r.debug, [], 'the first pass: go list, nothing to derive from');
  assert.deepEqual((await f.run()).calls, [], 'nothing changed: no go process');

  f.write('cmd/a/main.go', mainA('a, edited'));
  await expectRun(f, ['built', 'up to date'], false, /^dependency pass derived without go list: 1 package\(s\) changed, imports unchanged$/);
  assert.equal(await f.output('a'), 'a, edited one');

  // An editor's save: a temporary file beside it, renamed over it (a new inode, the directory changed).
  writeFileSync(join(f.root, 'cmd', 'a', '.main.go.swp'), mainA('a, renamed'));
  renameSync(join(f.root, 'cmd', 'a', '.main.go.swp'), join(f.root, 'cmd', 'a', 'main.go'));
  await expectRun(f, ['built', 'up to date'], false, /derived without go list: 1 package/);
  assert.equal(await f.output('a'), 'a, renamed one');

  // A file that is no source of the package, added beside it: the same names go/build reads.
  f.write('cmd/b/msg.txt', 'hello\n');
  f.write('lib/README.md', 'lib\n');
  await expectRun(f, ['built', 'built'], false, /derived without go list: 2 package\(s\) changed/);

  // A shared library's body: every binary rebuilt, still no go list.
  f.write('lib/lib.go', 'package lib\n\n// Word is a word.\nconst Word = "two"\n');
  await expectRun(f, ['built', 'built'], false, /derived without go list: 1 package/);
  assert.equal(await f.output('a'), 'a, renamed two');
  assert.equal(await f.output('b'), 'b two');
});

test('a new import, a build constraint, a new file or a new //go:embed runs go list; the next run keys by it', async (t) => {
  const f = await fixture(t);
  await f.run();

  // A new import: lib2 joins a's closure, so an edit to it later rebuilds a (and only a).
  f.write('cmd/a/main.go', mainA('a', '\t"example.com/m/lib2"\n'));
  await expectRun(f, ['built', 'up to date'], true, /^go list again: cmd\/a\/main\.go: package clause, build constraints, imports or \/\/go:embed lines changed$/);
  assert.equal(await f.output('a'), 'a one x');
  f.write('lib2/lib2.go', 'package lib2\n\nconst Word = "y"\n');
  await expectRun(f, ['built', 'up to date'], false, /derived without go list: 1 package/);
  assert.equal(await f.output('a'), 'a one y');

  // A build constraint: helper.go leaves the build; taking it out again is another change of shape.
  f.write('cmd/a/helper.go', '//go:build ignore\n\npackage main\n\nvar helper = 1\n');
  await expectRun(f, ['built', 'up to date'], true, /^go list again: cmd\/a\/helper\.go: package clause/);
  f.write('cmd/a/helper.go', 'package main\n\nvar helper = 1\n');
  await expectRun(f, ['built', 'up to date'], true, /^go list again: cmd\/a\/helper\.go: package clause/);

  // A new file, then an edit of its body: the pass go list wrote knows its header.
  f.write('cmd/a/extra.go', 'package main\n\nvar extra = 1\n');
  await expectRun(f, ['built', 'up to date'], true, /^go list again: cmd\/a\/extra\.go added$/);
  f.write('cmd/a/extra.go', 'package main\n\nvar extra = 2\n');
  await expectRun(f, ['built', 'up to date'], false, /derived without go list/);
  rmSync(join(f.root, 'cmd', 'a', 'extra.go'));
  await expectRun(f, ['built', 'up to date'], true, /^go list again: cmd\/a\/extra\.go removed$/);

  // An embedded file's content: after the //go:embed line (which go list must see), an edit to
  // msg.txt rebuilds b without go list; adding a file beside it changes nothing go/build reads.
  f.write('cmd/b/msg.txt', 'hello');
  await expectRun(f, ['up to date', 'built'], false, /derived without go list/);
  f.write('cmd/b/main.go', mainB('//go:embed msg.txt\nvar msg string\n\nfunc main() { fmt.Println(msg, lib.Word) }'));
  await expectRun(f, ['up to date', 'built'], true, /^go list again: cmd\/b\/main\.go: package clause, build constraints, imports or \/\/go:embed lines changed$/);
  assert.equal(await f.output('b'), 'hello one');
  f.write('cmd/b/msg.txt', 'bonjour');
  await expectRun(f, ['up to date', 'built'], false, /derived without go list/);
  assert.equal(await f.output('b'), 'bonjour one');
  f.write('cmd/b/other.txt', 'x');
  await expectRun(f, ['up to date', 'built'], true, /^go list again: cmd\/b: files added or removed in its embedded tree$/);
});

test('a pass remembered without file shapes, or a header the scanner cannot read, runs go list', async (t) => {
  const f = await fixture(t);
  await f.run();
  const cache = join(f.root, 'out', 'cache');
  const passFile = join(cache, readdirSync(cache).find((n) => n.startsWith('list-')) as string);
  const pass = JSON.parse(readFileSync(passFile, 'utf8')) as { shapes?: unknown };
  assert.ok(pass.shapes, 'the pass go list wrote has shapes');
  delete pass.shapes;
  writeFileSync(passFile, JSON.stringify(pass));
  f.write('cmd/a/main.go', mainA('a, edited'));
  await expectRun(f, ['built', 'up to date'], true, /^go list again: cmd\/a: no file shape remembered for it$/);

  // An unterminated comment in the header: go build reports it; no pass is derived.
  f.write('cmd/a/helper.go', 'package main\n/* open\n');
  const r = await f.run();
  assert.deepEqual(r.outcomes, ['failed', 'up to date']);
  assert.deepEqual(r.calls.sort(), ['build', 'list']);
  assert.match(r.debug.join('\n'), /^go list again: cmd\/a: helper\.go not understood by the header scanner$/);
});
