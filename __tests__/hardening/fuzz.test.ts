// Property-based fuzzing of the BUILD front end (lexer, parser, evaluator, Workspace, analysis)
// with our own seeded generators (fuzz_gen.ts): token soup, grammar-generated BUILD files full of
// path-escape attempts, and mutations of every BUILD/.bzl/MODULE file under examples/.
//
// Properties, per case: only StarlarkError or BuildError escape (a clean one-line message), no
// case runs longer than CASE_TIMEOUT_MS (a watchdog kills the worker and names the case), and no
// file outside the temporary workspaces is read. OCI_BUILD_SOAK=N runs N*500 cases (default 6000);
// OCI_BUILD_FUZZ_SEED picks the seed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Workspace } from '../../src/workspace/workspace.ts';
import { BuildError } from '../../src/errors.ts';
import { StarlarkError } from '../../src/starlark/index.ts';
import type { FuzzJob, FuzzReport } from './fuzz_worker.ts';
import { ruleFor } from '../../src/rules/index.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
const SOAK = Number(process.env.OCI_BUILD_SOAK ?? 0);
const CASES = Math.max(6000, SOAK * 500);
const SEED = Number(process.env.OCI_BUILD_FUZZ_SEED ?? 0x0c1b);
const CASE_TIMEOUT_MS = 10_000;
const WORKERS = 2;

let tmp: string;
let synthetic: string;
const examples: FuzzJob['examples'] = [];

function writeTree(root: string, files: Record<string, string>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), text);
  }
}

before(() => {
  tmp = realpathSync(mkdtempSync(join(tmpdir(), 'fuzz-')));
  synthetic = join(tmp, 'synthetic');
  writeTree(synthetic, {
    'MODULE.bazel': 'module(name = "t")\n',
    'tools/BUILD.bazel': '',
    'tools/defs.bzl': 'def m(name, **kwargs):\n    native.filegroup(name = name, **kwargs)\n',
    'app/BUILD.bazel': '',
    'app/main.go': 'package main\n',
    'app/sub/a.txt': 'a\n',
  });
  for (const name of ['monorepo', 'realworld']) {
    const root = join(tmp, name);
    cpSync(join(repoRoot, 'examples', name), root, { recursive: true, filter: (src) => !src.includes('.oci-build') });
    const files = readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && /(^BUILD(\.bazel)?|\.bzl|MODULE\.bazel)$/.test(e.name))
      .map((e) => relative(root, join(e.parentPath, e.name)));
    examples.push({ root, files });
  }
});

after(() => rmSync(tmp, { recursive: true, force: true }));

function runWorker(start: number, count: number): Promise<FuzzReport[]> {
  const job: FuzzJob = { seed: SEED, start, count, synthetic: '', examples: [], allowed: [] };
  // Each worker gets its own copies, so mutations never race.
  const own = join(tmp, `w${start}`);
  cpSync(synthetic, join(own, 'synthetic'), { recursive: true });
  job.synthetic = join(own, 'synthetic');
  for (const ex of examples) {
    const root = join(own, relative(tmp, ex.root));
    cpSync(ex.root, root, { recursive: true });
    job.examples.push({ root, files: ex.files });
  }
  job.allowed = [own, realpathSync(repoRoot)];
  return new Promise((resolve, reject) => {
    const reports: FuzzReport[] = [];
    const worker = new Worker(new URL('./fuzz_worker.ts', import.meta.url), { workerData: job });
    let last = start - 1;
    let timer: NodeJS.Timeout;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        void worker.terminate();
        reject(new Error(`fuzz case ${last + 1} (seed ${SEED}) ran longer than ${CASE_TIMEOUT_MS} ms: a hang`));
      }, CASE_TIMEOUT_MS);
    };
    arm();
    worker.on('message', (m: FuzzReport | 'done') => {
      if (typeof m === 'object' && m.kind === 'probe') {
        if (m.escapes?.some((e) => e.includes('/nonexistent-fuzz-probe/'))) probes.push(start);
        return;
      }
      if (m === 'done') {
        clearTimeout(timer);
        void worker.terminate().then(() => resolve(reports));
        return;
      }
      reports.push(m);
      last = m.index;
      arm();
    });
    worker.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

const probes: number[] = [];

describe('BUILD-file fuzzing', () => {
  test(`${CASES} generated and mutated BUILD files: clean errors only, no hang, no read outside the workspace`, { timeout: 20 * 60_000 }, async () => {
    const started = Date.now();
    const per = Math.ceil(CASES / WORKERS);
    const parts = await Promise.all(Array.from({ length: WORKERS }, (_, w) => runWorker(w * per, Math.min(per, CASES - w * per))));
    const reports = parts.flat();
    assert.equal(reports.length, CASES);
    const byKind: Record<string, { ok: number; error: number }> = {};
    for (const r of reports) {
      const k = (byKind[r.kind] ??= { ok: 0, error: 0 });
      if (r.outcome !== 'crash') k[r.outcome]++;
    }
    const crashes = reports.filter((r) => r.outcome === 'crash');
    const escapes = reports.filter((r) => r.escapes);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(`fuzz: ${CASES} cases (seed ${SEED}) in ${seconds}s: ${JSON.stringify(byKind)}, crashes ${crashes.length}, reads outside the workspace ${escapes.length}\n`);
    const show = (r: FuzzReport) => `case ${r.index} (${r.kind}, ${r.file}): ${r.message ?? ''}\n${(r.escapes ?? []).join('\n')}\n--- source ---\n${r.source}`;
    assert.deepEqual(crashes.map(show), [], 'only StarlarkError/BuildError, with clean messages');
    assert.deepEqual(escapes.map(show), [], 'no file outside the workspace is read');
    // The generators must exercise both outcomes for every kind, or they test nothing.
    for (const [kind, n] of Object.entries(byKind)) assert.ok(n.error > 0 && (!kind.startsWith('mutate') || n.ok > 0), `${kind}: ${JSON.stringify(n)}`);
    // The read monitor itself works: each worker's probe read outside the workspace was seen.
    for (const part of parts) assert.ok(probes.includes(part[0]?.index ?? -1), 'probe');
  });
});

describe('evaluation limits turn runaway BUILD files into clean errors', () => {
  function loadError(build: string): string {
    const root = mkdtempSync(join(tmpdir(), 'limits-'));
    writeTree(root, { 'MODULE.bazel': 'module(name = "t")\n', 'app/BUILD.bazel': build });
    try {
      new Workspace(root, { rules: ruleFor, log: { info: () => {}, warning: () => {} } }).loadPackage('app');
    } catch (err) {
      assert.ok(err instanceof StarlarkError || err instanceof BuildError, String(err));
      return (err as Error).message;
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    assert.fail('expected an error');
  }

  const CASES_LIMITS: Array<[string, string, string]> = [
    ['an endless loop', 'def f():\n    for i in range(1000000):\n        for j in range(1000000):\n            pass\nf()\n', 'app/BUILD.bazel:3:9: evaluation exceeded 5000000 steps'],
    ['a huge string', 'X = "a" * 20000000\n', 'app/BUILD.bazel:1:9: string length 20000000 exceeds the limit of 10000000'],
    ['a doubling string', 'def f():\n    s = "ab"\n    for i in range(40):\n        s = s + s\n    return s\nX = f()\n', 'app/BUILD.bazel:4:15: string length 16777216 exceeds the limit of 10000000'],
    ['a huge list', 'X = [0] * 2000000\n', 'app/BUILD.bazel:1:9: collection length 2000000 exceeds the limit of 1000000'],
    ['a huge comprehension', 'X = [i for i in range(2000000)]\n', 'app/BUILD.bazel:1:22: collection length 2000000 exceeds the limit of 1000000'],
    ['a range too long to list', 'X = list(range(1000000000))\n', 'app/BUILD.bazel:1:15: collection length 1000000000 exceeds the limit of 1000000'],
    ['recursion', 'def f(n):\n    return f(n)\nX = f(1)\n', 'app/BUILD.bazel:2:13: function f called recursively'],
    ['deep nesting', `X = ${'['.repeat(5000)}${']'.repeat(5000)}\n`, 'app/BUILD.bazel:1:505: code is nested too deeply (more than 500 levels)'],
  ];
  for (const [name, build, expected] of CASES_LIMITS) {
    test(name, { timeout: 30_000 }, () => {
      assert.equal(loadError(build), expected);
    });
  }
});
