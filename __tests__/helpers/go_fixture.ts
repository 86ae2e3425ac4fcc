// A Go module with a shared library and three main packages (two named "a"), a counting $GO
// (go_wrapper.ts), and requests for the Go build queue: the set-up of the queue's tests.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RACY_WINDOW_NS } from '../../src/go/action_cache.ts';
import type { GoBuildRequest } from '../../src/go/build.ts';
import { runCommand } from './run.ts';
import { countingGo } from './go_wrapper.ts';

export interface Fixture {
  root: string;
  go: string;
  calls: () => string[];
  /** Forgets the go calls so far. */
  clear: () => void;
  out: (name: string) => string;
  req: (pkg: string, name: string) => GoBuildRequest;
}

export async function fixture(t: { after: (fn: () => void) => void }): Promise<Fixture> {
  const root = mkdtempSync(join(tmpdir(), 'go-batch-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, 'go.mod'), 'module example.com/m\n\ngo 1.23\n');
  mkdirSync(join(root, 'lib'));
  writeFileSync(join(root, 'lib', 'lib.go'), 'package lib\n\nconst Word = "one"\n');
  for (const [dir, msg] of [['cmd/a', 'a'], ['cmd/b', 'b'], ['other/a', 'other-a']] as const) {
    mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, dir, 'main.go'), `package main\n\nimport (\n\t"fmt"\n\n\t"example.com/m/lib"\n)\n\nfunc main() { fmt.Println("${msg}", lib.Word) }\n`);
  }
  const { go, calls, clear } = await countingGo(root);
  const out = (name: string) => join(root, 'out', name);
  const req = (pkg: string, name: string): GoBuildRequest => ({
    moduleRoot: root,
    packagePath: pkg,
    goos: 'linux',
    goarch: 'amd64',
    cgo: false,
    xDefs: {},
    gcLinkopts: [],
    gcGoopts: [],
    tags: [],
    out: out(name),
    label: `//${pkg.slice(2)}:${name}`,
  });
  return { root, go, calls, clear, out, req };
}

/** A clock past the racy window, so what was just written counts as settled. */
export const later = () => BigInt(Date.now()) * 1_000_000n + RACY_WINDOW_NS + 1_000_000_000n;

export async function runs(bin: string): Promise<string> {
  const r = await runCommand(bin, []);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

