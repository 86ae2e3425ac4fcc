import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_STATE, pathsSize, planCaches, restoreCaches, saveCaches, type CacheIO, type CachePlan, type CacheStat } from '../../src/action/cache.ts';
import { cacheRows } from '../../src/action/summary.ts';

const repo = join(import.meta.dirname, '..', '..');
const GO_VERSION = 'go1.26.8';

// ---------------------------------------------------------------------------------------------
// A workspace and a fake CacheIO that records every call.

interface Fixture {
  dir: string;
  ws: string;
  store: string;
  gocache: string;
  gomodcache: string;
  env: NodeJS.ProcessEnv;
}

function fixture(t: { after(fn: () => void): void }, opts: { goSum?: boolean } = {}): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'oci-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ws = join(dir, 'ws');
  mkdirSync(join(ws, 'app'), { recursive: true });
  writeFileSync(join(ws, 'MODULE.bazel'), 'module(name = "w")\ninclude("//:bases.MODULE.bazel")\n');
  writeFileSync(join(ws, 'bases.MODULE.bazel'), 'oci.pull(name = "distroless", image = "gcr.io/distroless/static", digest = "sha256:aa")\n');
  writeFileSync(join(ws, 'go.mod'), 'module example.com/w\n\ngo 1.24\n');
  if (opts.goSum ?? true) writeFileSync(join(ws, 'go.sum'), 'example.com/dep v1.0.0 h1:abc=\n');
  const gocache = join(dir, 'gocache');
  const gomodcache = join(dir, 'gomodcache');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? dir,
    GOCACHE: gocache,
    GOMODCACHE: gomodcache,
    GOFLAGS: '',
    GITHUB_RUN_ID: '100',
    GITHUB_RUN_ATTEMPT: '1',
  };
  return { dir, ws, store: join(ws, '.oci-build', 'store'), gocache, gomodcache, env };
}

function plan(f: Fixture, env: NodeJS.ProcessEnv = f.env, warning?: (m: string) => void): Promise<CachePlan[]> {
  return planCaches({ workspaceRoot: f.ws, storeDir: f.store, goVersion: GO_VERSION, env, runnerOs: 'Linux', arch: 'X64', warning });
}

function byName(plans: CachePlan[]): Record<string, CachePlan> {
  return Object.fromEntries(plans.map((p) => [p.name, p]));
}

interface FakeIO extends CacheIO {
  calls: string[];
  infos: string[];
  warnings: string[];
  state: Map<string, string>;
  saved: { paths: string[]; key: string }[];
}

function fakeIO(opts: {
  available?: boolean;
  restore?: (paths: string[], key: string, restoreKeys: string[]) => Promise<string | undefined>;
  save?: (paths: string[], key: string) => Promise<number>;
  state?: Map<string, string>;
  saveDisabledReason?: string;
} = {}): FakeIO {
  const io: FakeIO = {
    calls: [],
    infos: [],
    warnings: [],
    state: opts.state ?? new Map(),
    saved: [],
    isFeatureAvailable: () => opts.available ?? true,
    restoreCache: async (paths, key, restoreKeys) => {
      io.calls.push(`restore ${key} [${restoreKeys.join(' ')}]`);
      return opts.restore ? opts.restore(paths, key, restoreKeys) : undefined;
    },
    saveCache: async (paths, key) => {
      io.calls.push(`save ${key}`);
      const id = opts.save ? await opts.save(paths, key) : 1;
      if (id !== -1) io.saved.push({ paths, key });
      return id;
    },
    saveState: (name, value) => void io.state.set(name, value),
    getState: (name) => io.state.get(name) ?? '',
    info: (m) => void io.infos.push(m),
    warning: (m) => void io.warnings.push(m),
  };
  if (opts.saveDisabledReason !== undefined) io.saveDisabledReason = () => opts.saveDisabledReason;
  return io;
}

/** What the Go builds and the OCI pipeline leave behind: a Go build cache, modules and blobs. */
function populate(f: Fixture, blobs: string[] = ['a1', 'b2']): void {
  mkdirSync(join(f.gocache, '00'), { recursive: true });
  writeFileSync(join(f.gocache, '00', 'entry-a'), 'compiled');
  mkdirSync(join(f.gomodcache, 'example.com', 'dep@v1.0.0'), { recursive: true });
  writeFileSync(join(f.gomodcache, 'example.com', 'dep@v1.0.0', 'dep.go'), 'package dep\n');
  addBlobs(f, blobs);
}

function addBlobs(f: Fixture, blobs: string[]): void {
  mkdirSync(join(f.store, 'blobs', 'sha256'), { recursive: true });
  for (const b of blobs) writeFileSync(join(f.store, 'blobs', 'sha256', b.padEnd(64, '0')), `blob ${b}`);
}

// ---------------------------------------------------------------------------------------------
// Keys.

test('cache keys: Go caches by OS, arch, Go version and go.sum; the blob store by OS, MODULE files and run', async (t) => {
  const f = fixture(t);
  const plans = await plan(f);
  assert.deepEqual(plans.map((p) => p.name), ['go-build', 'go-mod', 'blobs']);
  const p = byName(plans);
  assert.deepEqual(p['go-build']?.paths, [f.gocache]);
  assert.deepEqual(p['go-mod']?.paths, [f.gomodcache]);
  assert.deepEqual(p.blobs?.paths, [join(f.store, 'blobs'), join(f.store, 'cache', 'layer-digests')]);
  assert.match(p['go-build']?.primaryKey ?? '', /^oci-build-go-build-Linux-X64-go1\.26\.8-[0-9a-f]{64}$/);
  assert.match(p['go-mod']?.primaryKey ?? '', /^oci-build-go-mod-Linux-X64-go1\.26\.8-[0-9a-f]{64}$/);
  assert.match(p.blobs?.primaryKey ?? '', /^oci-build-blobs-Linux-[0-9a-f]{64}-100-1$/);
  // Restore keys drop the hash (Go) or the run (blobs): the primary key first, then the newest by prefix.
  assert.deepEqual(p['go-build']?.restoreKeys, ['oci-build-go-build-Linux-X64-go1.26.8-']);
  assert.deepEqual(p['go-mod']?.restoreKeys, ['oci-build-go-mod-Linux-X64-go1.26.8-']);
  assert.equal(p.blobs?.restoreKeys.length, 1);
  for (const x of plans) {
    assert.ok(x.primaryKey.startsWith(x.restoreKeys[0] as string), `${x.name}: the restore key is a prefix of the primary key`);
    assert.ok(!x.primaryKey.includes(','), 'keys never hold commas');
  }
  // Both Go caches share the go.sum hash.
  assert.equal(p['go-build']?.primaryKey.slice(-64), p['go-mod']?.primaryKey.slice(-64));

  // Stable: the same inputs give the same keys.
  assert.deepEqual(await plan(f), plans);

  // Output directory, node_modules and .git are not part of the workspace's go.sum set.
  for (const d of [join(f.ws, '.oci-build', 'x'), join(f.ws, 'node_modules', 'm'), join(f.ws, '.git', 'g')]) {
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'go.sum'), 'noise\n');
    writeFileSync(join(d, 'x.MODULE.bazel'), 'noise\n');
  }
  assert.deepEqual(await plan(f), plans);
});

test('cache keys: go.sum changes move the Go keys only; MODULE files move the blob key only; the run moves the blob key', async (t) => {
  const f = fixture(t);
  const before = byName(await plan(f));

  writeFileSync(join(f.ws, 'go.sum'), 'example.com/dep v1.0.1 h1:def=\n');
  const goSumChanged = byName(await plan(f));
  assert.notEqual(goSumChanged['go-build']?.primaryKey, before['go-build']?.primaryKey);
  assert.notEqual(goSumChanged['go-mod']?.primaryKey, before['go-mod']?.primaryKey);
  assert.deepEqual(goSumChanged['go-build']?.restoreKeys, before['go-build']?.restoreKeys);
  assert.equal(goSumChanged.blobs?.primaryKey, before.blobs?.primaryKey);

  // Every go.sum in the workspace counts, like hashFiles('**/go.sum').
  writeFileSync(join(f.ws, 'app', 'go.sum'), 'example.com/other v0.1.0 h1:x=\n');
  const nested = byName(await plan(f));
  assert.notEqual(nested['go-build']?.primaryKey, goSumChanged['go-build']?.primaryKey);

  // The base images: MODULE.bazel and the .MODULE.bazel files it includes.
  writeFileSync(join(f.ws, 'bases.MODULE.bazel'), 'oci.pull(name = "distroless", image = "gcr.io/distroless/static", digest = "sha256:bb")\n');
  const bases = byName(await plan(f));
  assert.notEqual(bases.blobs?.primaryKey, nested.blobs?.primaryKey);
  assert.notDeepEqual(bases.blobs?.restoreKeys, nested.blobs?.restoreKeys);
  assert.equal(bases['go-build']?.primaryKey, nested['go-build']?.primaryKey);

  // Each run (and re-run attempt) has its own blob key under the same restore prefix.
  const nextRun = byName(await plan(f, { ...f.env, GITHUB_RUN_ID: '101' }));
  const reRun = byName(await plan(f, { ...f.env, GITHUB_RUN_ATTEMPT: '2' }));
  assert.match(nextRun.blobs?.primaryKey ?? '', /-101-1$/);
  assert.match(reRun.blobs?.primaryKey ?? '', /-100-2$/);
  assert.deepEqual(nextRun.blobs?.restoreKeys, bases.blobs?.restoreKeys);
  assert.equal(nextRun['go-build']?.primaryKey, bases['go-build']?.primaryKey);

  // Another Go version, OS or arch: other keys and other restore prefixes.
  const otherGo = byName(await planCaches({ workspaceRoot: f.ws, storeDir: f.store, goVersion: 'go1.25.0', env: f.env, runnerOs: 'Linux', arch: 'X64' }));
  assert.notDeepEqual(otherGo['go-build']?.restoreKeys, bases['go-build']?.restoreKeys);
  const arm = byName(await planCaches({ workspaceRoot: f.ws, storeDir: f.store, goVersion: GO_VERSION, env: f.env, runnerOs: 'macOS', arch: 'ARM64' }));
  assert.match(arm['go-build']?.primaryKey ?? '', /^oci-build-go-build-macOS-ARM64-/);
  assert.match(arm.blobs?.primaryKey ?? '', /^oci-build-blobs-macOS-/);
});

test('cache plans: no go.sum means no module cache; a broken go drops the Go caches with a warning', async (t) => {
  const f = fixture(t, { goSum: false });
  assert.deepEqual((await plan(f)).map((p) => p.name), ['go-build', 'blobs']);
  const warnings: string[] = [];
  const plans = await plan(f, { ...f.env, GO: join(f.dir, 'no-such-go') }, (m) => warnings.push(m));
  assert.deepEqual(plans.map((p) => p.name), ['blobs']);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /^Go caches disabled: "go env GOCACHE GOMODCACHE" failed: /);
  // GOCACHE=off: nothing to cache.
  assert.deepEqual((await plan(f, { ...f.env, GOCACHE: 'off' })).map((p) => p.name), ['blobs']);
});

// ---------------------------------------------------------------------------------------------
// Restore and save with a fake cache service.

test('restore: an unavailable cache service is one warning, no requests and nothing for the post step', async (t) => {
  const f = fixture(t);
  const io = fakeIO({ available: false });
  assert.deepEqual(await restoreCaches(await plan(f), io), {});
  assert.deepEqual(io.calls, []);
  assert.deepEqual(io.warnings, [
    'Caching is disabled: the Actions cache service is not available (ACTIONS_CACHE_URL/ACTIONS_RESULTS_URL are not set: GHES without caching, or not running in GitHub Actions)',
  ]);
  assert.equal(io.state.size, 0);
  // ... so the post step has nothing to do, quietly.
  await saveCaches(io);
  assert.deepEqual(io.calls, []);
  assert.equal(io.warnings.length, 1);
  assert.deepEqual(io.infos.slice(-1), ['No caches were restored in this job; nothing to save']);
});

test('restore then save: exact hit not saved, partial hit and miss saved, blob store only when blobs were added', async (t) => {
  const f = fixture(t);
  const plans = byName(await plan(f));
  populate(f);
  const goBuild = plans['go-build'] as CachePlan;
  const goMod = plans['go-mod'] as CachePlan;
  const blobs = plans.blobs as CachePlan;
  const io = fakeIO({
    restore: async (_paths, key, restoreKeys) => {
      if (key === goBuild.primaryKey) return key; // exact hit
      if (key === goMod.primaryKey) return `${restoreKeys[0]}older`; // partial hit
      return `${blobs.restoreKeys[0]}99-1`; // the newest blob store by prefix
    },
  });
  const matched = await restoreCaches(Object.values(plans), io);
  assert.deepEqual(matched, { 'go-build': goBuild.primaryKey, 'go-mod': `${goMod.restoreKeys[0]}older`, blobs: `${blobs.restoreKeys[0]}99-1` });
  assert.deepEqual(io.calls, [
    `restore ${goBuild.primaryKey} [${goBuild.restoreKeys.join(' ')}]`,
    `restore ${goMod.primaryKey} [${goMod.restoreKeys.join(' ')}]`,
    `restore ${blobs.primaryKey} [${blobs.restoreKeys.join(' ')}]`,
  ]);
  assert.ok(io.state.has(CACHE_STATE));
  assert.deepEqual(io.warnings, []);

  // Post, nothing built: the blob store is as restored.
  io.calls.length = 0;
  await saveCaches(io);
  assert.deepEqual(io.calls, [`save ${goMod.primaryKey}`]);
  assert.deepEqual(io.saved, [{ paths: goMod.paths, key: goMod.primaryKey }]);
  assert.ok(io.infos.includes(`Cache go-build: hit on the primary key ${goBuild.primaryKey}; not saving`));
  assert.ok(io.infos.includes(`Cache blobs: unchanged since ${blobs.restoreKeys[0]}99-1; not saving`));

  // Post after the build added a blob: the store is saved under this run's key.
  addBlobs(f, ['c3']);
  io.calls.length = 0;
  await saveCaches(io);
  assert.deepEqual(io.calls, [`save ${goMod.primaryKey}`, `save ${blobs.primaryKey}`]);
  assert.deepEqual(io.warnings, []);
});

test('restore then save: misses are saved; a store that did not exist at restore is saved once it has blobs', async (t) => {
  const f = fixture(t);
  const plans = await plan(f);
  const io = fakeIO();
  assert.deepEqual(await restoreCaches(plans, io), { 'go-build': undefined, 'go-mod': undefined, blobs: undefined });
  populate(f);
  io.calls.length = 0;
  await saveCaches(io);
  assert.deepEqual(io.calls, plans.map((p) => `save ${p.primaryKey}`));
  for (const p of plans) assert.ok(io.infos.some((m) => m.startsWith(`Cache ${p.name}: saved with key ${p.primaryKey} (`)), io.infos.join('\n'));
});

test('restores and saves report what they moved: size on disk, file count, time; in the log and to record()', async (t) => {
  const f = fixture(t);
  const plans = await plan(f);
  const stats: CacheStat[] = [];
  const io = fakeIO({ restore: async (_paths, key) => (key.includes('-go-build-') ? key : undefined) });
  io.record = (s) => stats.push(s);
  populate(f);
  await restoreCaches(plans, io);
  const goBuild = plans.find((p) => p.name === 'go-build') as CachePlan;
  // The Go build cache holds one 8-byte file ("compiled").
  assert.ok(io.infos.some((m) => new RegExp(`^Cache go-build: restored from ${goBuild.primaryKey} \\(\\d+(?:\\.\\d)? (?:B|KiB) in 1 files, \\d+\\.\\d s\\)$`).test(m)), io.infos.join('\n'));
  assert.deepEqual(stats.map((s) => [s.name, s.action, s.key, s.bytes, s.files]), [['go-build', 'restored', goBuild.primaryKey, 8, 1]]);
  addBlobs(f, ['d4', 'e5']);
  await saveCaches(io);
  const blobs = stats.find((s) => s.name === 'blobs' && s.action === 'saved');
  // Four blobs of 7 bytes each ("blob " and two characters).
  assert.deepEqual([blobs?.files, blobs?.bytes], [4, 28]);
  assert.ok(io.infos.some((m) => /^Cache blobs: saved with key \S+ \(\d+(?:\.\d)? (?:B|KiB) in 4 files, \d+\.\d s\)$/.test(m)), io.infos.join('\n'));
});

test('pathsSize counts regular files under each path, not following links', async (t) => {
  const f = fixture(t);
  populate(f, ['x']);
  symlinkSync(f.gocache, join(f.store, 'link'));
  assert.deepEqual(await pathsSize([f.gocache, f.store, join(f.store, 'missing')]), { bytes: 8 + 6, files: 2, complete: true });
});

test('save: missing paths are skipped with a notice', async (t) => {
  const f = fixture(t);
  const io = fakeIO();
  await restoreCaches(await plan(f), io);
  // Nothing was built: no GOCACHE, no modules, no store.
  await saveCaches(io);
  assert.deepEqual(io.calls.filter((c) => c.startsWith('save')), []);
  assert.ok(io.infos.includes(`Cache go-build: not saved: ${f.gocache} does not exist`));
  assert.ok(io.infos.includes(`Cache blobs: not saved: ${join(f.store, 'blobs')} does not exist`));
  assert.deepEqual(io.warnings, []);
});

test('every failure is a warning, never a throw', async (t) => {
  const f = fixture(t);
  const plans = await plan(f);
  populate(f);

  // Restore errors: a warning each, a miss, and the others still restored.
  const io = fakeIO({
    restore: async (_p, key) => {
      if (key.includes('go-build')) throw new Error('socket hang up');
      return undefined;
    },
    save: async (_p, key) => {
      if (key.includes('go-mod')) throw new Error('Cache service responded with 500');
      if (key.includes('blobs')) return -1; // the library said why (e.g. another job reserved the key)
      return 7;
    },
  });
  assert.deepEqual(await restoreCaches(plans, io), { 'go-build': undefined, 'go-mod': undefined, blobs: undefined });
  assert.deepEqual(io.warnings, ['Cache go-build: restore failed: socket hang up']);
  addBlobs(f, ['c3']);
  await saveCaches(io);
  assert.deepEqual(io.calls.filter((c) => c.startsWith('save')).length, 3, 'one failure does not stop the others');
  assert.deepEqual(io.warnings.slice(1), ['Cache go-mod: save failed: Cache service responded with 500']);
  assert.ok(io.infos.some((m) => m.startsWith('Cache blobs: not saved under ')));

  // A feature check that throws, state that cannot be saved or read.
  const throwing = fakeIO();
  throwing.isFeatureAvailable = () => {
    throw new Error('boom');
  };
  assert.deepEqual(await restoreCaches(plans, throwing), {});
  assert.deepEqual(throwing.warnings, ['Caching is disabled: boom']);

  const noState = fakeIO();
  noState.saveState = () => {
    throw new Error('Missing file at path: /nope');
  };
  await restoreCaches(plans, noState);
  assert.deepEqual(noState.warnings, ['Caches will not be saved: cannot record them for the post step: Missing file at path: /nope']);

  const garbled = fakeIO({ state: new Map([[CACHE_STATE, '{not json']]) });
  await saveCaches(garbled);
  assert.equal(garbled.warnings.length, 1);
  assert.match(garbled.warnings[0] ?? '', /^Caches not saved: the state left by the main step is unreadable: /);

  // The service gone between restore and post: one warning.
  const gone = fakeIO({ state: io.state, available: false });
  await saveCaches(gone);
  assert.deepEqual(gone.calls, []);
  assert.deepEqual(gone.warnings, [
    'Caches not saved: the Actions cache service is not available (ACTIONS_CACHE_URL/ACTIONS_RESULTS_URL are not set: GHES without caching, or not running in GitHub Actions)',
  ]);

  // A read-only cache mode (untrusted events): a notice, no save attempts.
  const readOnly = fakeIO({ state: io.state, saveDisabledReason: 'the cache mode "read" does not permit writes' });
  await saveCaches(readOnly);
  assert.deepEqual(readOnly.calls, []);
  assert.deepEqual(readOnly.warnings, []);
  assert.deepEqual(readOnly.infos, ['Caches not saved: the cache mode "read" does not permit writes']);
});

// ---------------------------------------------------------------------------------------------
// Runner-style: the bundled post step (dist/post.js) and a restore through the real @actions/cache,
// as separate processes the way the runner runs `main` and `post`.

const node = process.execPath;
const postJs = join(repo, 'dist', 'post.js');

function run(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

/** The main step's cache part: plan and restore through the real @actions/cache (src/action/cache.ts). */
const RESTORE_SCRIPT = `
const { planCaches, restoreCaches, actionsCacheIO } = await import(process.env.CACHE_TS);
const plans = await planCaches({ workspaceRoot: process.env.GITHUB_WORKSPACE, storeDir: process.env.STORE_DIR, goVersion: '${GO_VERSION}', env: process.env });
const matched = await restoreCaches(plans, actionsCacheIO());
console.log('MATCHED ' + JSON.stringify(matched));
`;

/** A runner environment: only what a job step would see, never this process's ACTIONS_* variables. */
function runnerEnv(f: Fixture, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const runnerTemp = join(f.dir, 'runner-temp');
  mkdirSync(runnerTemp, { recursive: true });
  return {
    ...f.env,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_TEMP: runnerTemp,
    GITHUB_WORKSPACE: f.ws,
    STORE_DIR: f.store,
    CACHE_TS: join(repo, 'src', 'action', 'cache.ts'),
    ...extra,
  };
}

/** Runs the main step's restore; returns its output and the state file it wrote. */
async function mainStep(f: Fixture, env: NodeJS.ProcessEnv, step: string): Promise<{ code: number; stdout: string; stateFile: string }> {
  const stateFile = join(f.dir, `state-${step}`);
  writeFileSync(stateFile, '');
  const r = await run(['--input-type=module', '-e', RESTORE_SCRIPT], { ...env, GITHUB_STATE: stateFile }, f.ws);
  assert.equal(r.stderr.replace(/^\(node:\d+\) ExperimentalWarning.*\n(.*--trace-warnings.*\n)?/m, ''), '', 'restore wrote nothing to stderr');
  return { code: r.code, stdout: r.stdout, stateFile };
}

/** What the runner does between steps: each `name<<delimiter` block of GITHUB_STATE becomes STATE_name. */
function stateEnv(stateFile: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const lines = readFileSync(stateFile, 'utf8').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i] as string);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i] as string);
    env[`STATE_${m[1]}`] = value.join('\n');
  }
  return env;
}

/** The post step: dist/post.js with the main step's state and a fresh GITHUB_STATE. */
async function postStep(f: Fixture, env: NodeJS.ProcessEnv, stateFile: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const postState = join(f.dir, 'post-state');
  writeFileSync(postState, '');
  return run([postJs], { ...env, ...stateEnv(stateFile), GITHUB_STATE: postState }, f.ws);
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '' && !l.startsWith('::debug::'));
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** State as restore writes it (core.saveState's file format), for a post step run without a main step. */
function writeRestoreState(f: Fixture, plans: CachePlan[]): string {
  const stateFile = join(f.dir, 'state-written');
  const delimiter = 'ghadelimiter_0b8c6f3e-1f0c-4f77-9d2c-3c1b1c8a0f11';
  const value = JSON.stringify({ version: 1, caches: plans.map((p) => ({ ...p, ...(p.name === 'blobs' ? { listing: 'before' } : {}) })) });
  writeFileSync(stateFile, `${CACHE_STATE}<<${delimiter}\n${value}\n${delimiter}\n`);
  return stateFile;
}

test('dist/post.js without the cache service (GHES without caching, a local run): one warning, exit 0', async (t) => {
  const f = fixture(t);
  populate(f);
  const stateFile = writeRestoreState(f, await plan(f));
  const r = await postStep(f, runnerEnv(f), stateFile);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), [
    '::warning::Caches not saved: the Actions cache service is not available (ACTIONS_CACHE_URL/ACTIONS_RESULTS_URL are not set: GHES without caching, or not running in GitHub Actions)',
  ]);
  // No main step state at all (restore found no service, or the main step failed before it): a notice.
  const none = await run([postJs], runnerEnv(f, { GITHUB_STATE: stateFile }), f.ws);
  assert.equal(none.code, 0);
  assert.deepEqual(lines(none.stdout), ['No caches were restored in this job; nothing to save']);
});

test('a cache service that refuses connections only warns: restore misses, post exits 0', async (t) => {
  const f = fixture(t);
  const env = runnerEnv(f, {
    ACTIONS_RESULTS_URL: `http://127.0.0.1:${await closedPort()}/`,
    ACTIONS_RUNTIME_TOKEN: 'not-a-token',
    ACTIONS_CACHE_SERVICE_V2: 'true',
  });
  const main = await mainStep(f, env, 'main');
  assert.equal(main.code, 0);
  const out = lines(main.stdout);
  assert.deepEqual(out.filter((l) => l.startsWith('::error::')), []);
  assert.equal(out.filter((l) => l.startsWith('::warning::Failed to restore: Failed to GetCacheEntryDownloadURL: Unable to make request: ECONNREFUSED')).length, 3, main.stdout);
  assert.ok(out.includes('MATCHED {}'), main.stdout);

  populate(f);
  const post = await postStep(f, env, main.stateFile);
  assert.equal(post.code, 0, post.stderr);
  const postOut = lines(post.stdout);
  assert.deepEqual(postOut.filter((l) => l.startsWith('::error::')), []);
  // A refused reservation is @actions/cache's ReserveCacheError (the bundle keeps class names,
  // so the library recognises it): reported in its debug log, and ours says which cache was not
  // saved; the step goes on to the next cache and succeeds.
  assert.equal(post.stdout.split('\n').filter((l) => l.startsWith('::debug::Failed to reserve cache')).length, 3, post.stdout);
  for (const name of ['go-build', 'go-mod', 'blobs']) {
    assert.ok(postOut.some((l) => l.startsWith(`Cache ${name}: not saved under oci-build-${name}-`)), post.stdout);
  }
});

// ---------------------------------------------------------------------------------------------
// A local cache service speaking the v2 protocol: Twirp JSON for the entries, and a "signed URL"
// endpoint taking the archive the way @azure/storage-blob's BlockBlobClient.uploadFile sends it
// (one PUT up to 128 MiB, or PUT ?comp=block + PUT ?comp=blocklist) and serving plain GETs
// (what @actions/cache uses for hosts other than *.blob.core.windows.net).

interface Entry {
  id: string;
  key: string;
  version: string;
  created: number;
  data?: Buffer;
  blocks: Map<string, Buffer>;
  finalized: boolean;
}

async function fakeCacheService(): Promise<{ url: string; entries: Entry[]; requests: string[]; close(): Promise<void> }> {
  const entries: Entry[] = [];
  const requests: string[] = [];
  let seq = 0;
  const twirp = '/twirp/github.actions.results.api.v1.CacheService/';
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://local');
    requests.push(`${req.method} ${url.pathname}`);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const json = (obj: unknown, status = 200): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    if (req.method === 'POST' && url.pathname.startsWith(twirp)) {
      if (req.headers.authorization !== 'Bearer runtime-token') return json({ code: 'unauthenticated', msg: 'bad token' }, 401);
      const r = JSON.parse(body.toString() || '{}') as { key?: string; version?: string; restore_keys?: string[]; size_bytes?: string };
      switch (url.pathname.slice(twirp.length)) {
        case 'CreateCacheEntry': {
          if (entries.some((e) => e.key === r.key && e.version === r.version)) return json({ ok: false, message: 'entry already exists' });
          const e: Entry = { id: String(++seq), key: r.key ?? '', version: r.version ?? '', created: seq, blocks: new Map(), finalized: false };
          entries.push(e);
          return json({ ok: true, signed_upload_url: `${base}/blob/account/caches/${e.id}?sig=upload-${e.id}` });
        }
        case 'FinalizeCacheEntryUpload': {
          const e = entries.find((x) => x.key === r.key && x.version === r.version);
          if (!e?.data || String(e.data.length) !== String(r.size_bytes)) return json({ ok: false, message: 'upload incomplete' });
          e.finalized = true;
          return json({ ok: true, entry_id: e.id });
        }
        case 'GetCacheEntryDownloadURL': {
          // Exact key first, then each restore key as a prefix, newest first; same version only.
          const ready = entries.filter((e) => e.finalized && e.version === r.version).sort((a, b) => b.created - a.created);
          let hit = ready.find((e) => e.key === r.key);
          for (const prefix of r.restore_keys ?? []) hit ??= ready.find((e) => e.key.startsWith(prefix));
          if (!hit) return json({ ok: false });
          return json({ ok: true, signed_download_url: `${base}/blob/account/caches/${hit.id}?sig=download-${hit.id}`, matched_key: hit.key });
        }
        default:
          return json({ code: 'bad_route', msg: `no such method ${url.pathname}` }, 404);
      }
    }
    const m = /^\/blob\/account\/caches\/(\d+)$/.exec(url.pathname);
    const e = m ? entries.find((x) => x.id === m[1]) : undefined;
    if (e && req.method === 'PUT' && url.searchParams.get('sig') === `upload-${e.id}`) {
      const comp = url.searchParams.get('comp');
      if (comp === 'block') e.blocks.set(url.searchParams.get('blockid') ?? '', body);
      else if (comp === 'blocklist') {
        const ids = [...body.toString().matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)<\//g)].map((x) => x[1] ?? '');
        e.data = Buffer.concat(ids.map((id) => e.blocks.get(id) ?? Buffer.alloc(0)));
      } else e.data = body;
      res.writeHead(201, { etag: `"0x${e.id}"`, 'last-modified': new Date().toUTCString(), 'x-ms-request-id': `req-${e.id}`, 'x-ms-version': '2025-11-05' });
      return res.end();
    }
    if (e?.data && req.method === 'GET' && url.searchParams.get('sig') === `download-${e.id}`) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(e.data.length) });
      return res.end(e.data);
    }
    res.writeHead(403);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    entries,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

test('round trip through a local cache v2 service: run 1 saves all three, run 2 restores them and saves only new blobs', async (t) => {
  const svc = await fakeCacheService();
  t.after(() => svc.close());
  const f = fixture(t);
  const service = { ACTIONS_RESULTS_URL: svc.url, ACTIONS_RUNTIME_TOKEN: 'runtime-token', ACTIONS_CACHE_SERVICE_V2: 'true' };

  // Run 1: nothing cached yet; the build fills the caches; post saves all three.
  const run1 = runnerEnv(f, { ...service, GITHUB_RUN_ID: '500' });
  const main1 = await mainStep(f, run1, 'run1');
  assert.equal(main1.code, 0);
  assert.ok(lines(main1.stdout).includes('MATCHED {}'), main1.stdout);
  populate(f);
  mkdirSync(join(f.store, 'cache', 'layer-digests'), { recursive: true });
  writeFileSync(join(f.store, 'cache', 'layer-digests', 'k.json'), '{"layer":"remembered"}');
  const post1 = await postStep(f, run1, main1.stateFile);
  assert.equal(post1.code, 0, post1.stderr);
  assert.deepEqual(lines(post1.stdout).filter((l) => /^::(warning|error)::/.test(l)), [], post1.stdout);
  const saved1 = svc.entries.filter((e) => e.finalized).map((e) => e.key);
  assert.equal(saved1.length, 3, post1.stdout);
  assert.match(saved1[2] ?? '', /^oci-build-blobs-Linux-[0-9a-f]{64}-500-1$/);
  for (const k of saved1) assert.ok(lines(post1.stdout).some((l) => l.includes(`saved with key ${k} (`)), post1.stdout);
  assert.ok(svc.requests.includes('PUT /blob/account/caches/1'), 'the archive went to the signed upload URL');

  // A fresh runner: nothing on disk.
  for (const d of [f.gocache, f.gomodcache, join(f.ws, '.oci-build')]) rmSync(d, { recursive: true, force: true });

  // Run 2: the Go caches hit exactly, the blob store comes from run 1 by prefix.
  const run2 = runnerEnv(f, { ...service, GITHUB_RUN_ID: '501' });
  const main2 = await mainStep(f, run2, 'run2');
  assert.equal(main2.code, 0);
  const matchedLine = lines(main2.stdout).find((l) => l.startsWith('MATCHED '));
  assert.deepEqual(JSON.parse(matchedLine?.slice('MATCHED '.length) ?? '{}'), { 'go-build': saved1[0], 'go-mod': saved1[1], blobs: saved1[2] });
  assert.equal(readFileSync(join(f.gocache, '00', 'entry-a'), 'utf8'), 'compiled');
  assert.equal(readFileSync(join(f.gomodcache, 'example.com', 'dep@v1.0.0', 'dep.go'), 'utf8'), 'package dep\n');
  assert.equal(readFileSync(join(f.store, 'blobs', 'sha256', 'a1'.padEnd(64, '0')), 'utf8'), 'blob a1');
  assert.equal(readFileSync(join(f.store, 'cache', 'layer-digests', 'k.json'), 'utf8'), '{"layer":"remembered"}', 'layer digests travel with the blobs');

  // The build adds a layer: post saves only the blob store, under run 2's key.
  addBlobs(f, ['c3']);
  const post2 = await postStep(f, run2, main2.stateFile);
  assert.equal(post2.code, 0, post2.stderr);
  const out2 = lines(post2.stdout);
  assert.ok(out2.includes(`Cache go-build: hit on the primary key ${saved1[0]}; not saving`), post2.stdout);
  assert.ok(out2.includes(`Cache go-mod: hit on the primary key ${saved1[1]}; not saving`), post2.stdout);
  const saved2 = svc.entries.filter((e) => e.finalized).map((e) => e.key);
  assert.deepEqual(saved2.slice(0, 3), saved1);
  assert.equal(saved2.length, 4);
  assert.match(saved2[3] ?? '', /-501-1$/);

  // Run 3 with nothing new: nothing saved.
  rmSync(join(f.ws, '.oci-build'), { recursive: true, force: true });
  const run3 = runnerEnv(f, { ...service, GITHUB_RUN_ID: '502' });
  const main3 = await mainStep(f, run3, 'run3');
  assert.ok(existsSync(join(f.store, 'blobs', 'sha256', 'c3'.padEnd(64, '0'))), 'the newest blob store (run 2) was restored');
  const post3 = await postStep(f, run3, main3.stateFile);
  assert.equal(post3.code, 0);
  assert.ok(lines(post3.stdout).includes(`Cache blobs: unchanged since ${saved2[3]}; not saving`), post3.stdout);
  assert.equal(svc.entries.length, 4);
});

test('the job summary lists each cache moved with its key, size, files and time', () => {
  const rows = cacheRows([{ name: 'go-build', action: 'restored', key: 'oci-build-go-build-Linux-X64-go1.23-abc', bytes: 3 * 1024 * 1024, files: 120, seconds: 2.34 }]);
  assert.deepEqual(rows[1], ['go-build', 'restored', '<code>oci-build-go-build-Linux-X64-go1.23-abc</code>', '3 MiB', '120', '2.3 s']);
  assert.deepEqual(rows[0]?.map((c) => (typeof c === 'string' ? c : c.data)), ['Cache', 'Action', 'Key', 'Size', 'Files', 'Time']);
});

test('a key handed back in another case is the primary key (act lowercases keys; actions/cache ignores case)', async () => {
  const { sameCacheKey } = await import('../../src/action/cache.ts');
  assert.equal(sameCacheKey('oci-build-go-build-linux-x64-go1.26.8-abc', 'oci-build-go-build-Linux-X64-go1.26.8-abc'), true);
  assert.equal(sameCacheKey('oci-build-go-build-linux-x64-go1.26.8-abd', 'oci-build-go-build-Linux-X64-go1.26.8-abc'), false);
  assert.equal(sameCacheKey('oci-build-go-build-Linux-X64-', 'oci-build-go-build-Linux-X64-go1.26.8-abc'), false);
});
