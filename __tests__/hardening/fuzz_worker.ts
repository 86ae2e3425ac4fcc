// Worker for fuzz.test.ts: loads and analyses generated BUILD files through the real Workspace
// and Engine, with every synchronous file-system read recorded, and reports each case to the
// parent (which kills it when one case runs too long).
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { Workspace } from '../../src/workspace/workspace.ts';
import { Engine } from '../../src/engine/engine.ts';
import { HOST_CONFIG } from '../../src/engine/config.ts';
import { BuildError } from '../../src/errors.ts';
import { StarlarkError } from '../../src/starlark/index.ts';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { RegistryPool } from '../../src/registry/pool.ts';
import { caseRand, grammarBuild, mutate, mutateTokens, tokenSoup } from './fuzz_gen.ts';
import { ruleFor } from '../../src/rules/index.ts';

export interface FuzzJob {
  seed: number;
  start: number;
  count: number;
  /** Synthetic workspace (app/BUILD.bazel is overwritten per case). */
  synthetic: string;
  /** Copies of examples/*, with the files that may be mutated (relative paths). */
  examples: Array<{ root: string; files: string[] }>;
  /** Absolute paths reads may touch: the workspaces and the project (module loading). */
  allowed: string[];
}

export interface FuzzReport {
  index: number;
  kind: string;
  outcome: 'ok' | 'error' | 'crash';
  message?: string;
  source?: string;
  file?: string;
  /** Paths outside the allowed roots the case made the process touch. */
  escapes?: string[];
}

const job = workerData as FuzzJob;
const allowed = job.allowed.map((p) => resolve(p));
let touched: string[] = [];
const isAllowed = (p: string) => allowed.some((a) => p === a || p.startsWith(`${a}/`));

function watch(name: 'readFileSync' | 'existsSync' | 'statSync' | 'lstatSync' | 'readdirSync' | 'realpathSync' | 'openSync' | 'readlinkSync' | 'opendirSync'): void {
  const orig = (fs as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!;
  const wrapped = function (this: unknown, ...args: unknown[]) {
    const p = args[0];
    if (typeof p === 'string' || p instanceof URL) {
      const abs = resolve(p instanceof URL ? p.pathname : p);
      if (!isAllowed(abs)) touched.push(`${name} ${abs}`);
    }
    return orig.apply(this, args);
  };
  if (name === 'realpathSync') Object.assign(wrapped, { native: fs.realpathSync.native });
  (fs as unknown as Record<string, unknown>)[name] = wrapped;
}
for (const n of ['readFileSync', 'existsSync', 'statSync', 'lstatSync', 'readdirSync', 'realpathSync', 'openSync', 'readlinkSync', 'opendirSync'] as const) watch(n);
syncBuiltinESMExports();

const quiet = { info: () => {}, warning: () => {} };
const registries = new RegistryPool({ explicit: [], insecureRegistries: [], log: () => {}, maskSecret: () => {}, env: {} });

function analyse(root: string, pattern: string): void {
  const ws = new Workspace(root, { rules: ruleFor, log: quiet });
  const engine = new Engine({
    workspace: ws,
    outRoot: join(root, '.out'),
    store: new BlobStore(join(root, '.out', 'store')),
    log: quiet,
    env: {},
    goToolchain: () => Promise.reject(new Error('no Go in the fuzzer')),
    registries,
  });
  for (const r of ws.expandPattern(pattern, '')) engine.analyze(r.label, HOST_CONFIG);
}

// Probe: a read through the Workspace's own (named) fs imports outside the workspace is seen.
touched = [];
try {
  new Workspace('/nonexistent-fuzz-probe', { rules: ruleFor, log: quiet }).loadPackage('x');
} catch {
  // expected: no such package
}
parentPort!.postMessage({ index: -1, kind: 'probe', outcome: 'ok', escapes: touched } satisfies FuzzReport);

for (let index = job.start; index < job.start + job.count; index++) {
  const r = caseRand(job.seed, index);
  const kind = ['soup', 'grammar', 'mutate', 'mutate-tokens'][index % 4]!;
  let root: string;
  let file: string;
  let source: string;
  let original: string | undefined;
  if (kind === 'soup' || kind === 'grammar') {
    root = job.synthetic;
    file = 'app/BUILD.bazel';
    source = kind === 'soup' ? tokenSoup(r) : grammarBuild(r);
  } else {
    const ex = job.examples[Math.floor(r() * job.examples.length)]!;
    root = ex.root;
    file = ex.files[Math.floor(r() * ex.files.length)]!;
    original = fs.readFileSync(join(root, file), 'utf8');
    source = kind === 'mutate' ? mutate(original, r) : mutateTokens(original, r);
  }
  fs.writeFileSync(join(root, file), source);
  touched = [];
  const report: FuzzReport = { index, kind, outcome: 'ok' };
  try {
    const pkg = dirname(file);
    analyse(root, file.endsWith('BUILD.bazel') ? `//${pkg === '.' ? '' : pkg}:all` : '//...');
  } catch (err) {
    const e = err as Error;
    report.message = e?.message;
    if (err instanceof StarlarkError || err instanceof BuildError) {
      report.outcome = 'error';
      // A clean error is one line with a position or a label, and shows no JS internals.
      if (/\[object |undefined|NaN|at .*\.ts:\d+/.test(e.message)) report.outcome = 'crash';
    } else {
      report.outcome = 'crash';
      report.message = `${e?.constructor?.name ?? typeof err}: ${e?.stack ?? String(err)}`;
    }
  } finally {
    if (original !== undefined) fs.writeFileSync(join(root, file), original);
  }
  if (touched.length) report.escapes = [...new Set(touched)];
  if (report.outcome === 'crash' || report.escapes) {
    report.source = source;
    report.file = file;
  }
  parentPort!.postMessage(report);
}
await registries.close();
parentPort!.postMessage('done');
