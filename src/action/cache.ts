// Caching across workflow runs with the Actions cache service (@actions/cache), as actions/setup-go
// does: the Go build cache and module cache keyed by OS, arch, Go version and every go.sum; the
// OCI blob store keyed by OS, the base-image declarations (MODULE.bazel, WORKSPACE) and the run.
// Restored in the main step, saved in the post step only when something changed. Caching is a
// convenience: every failure is a warning, never a failed step.
import { LAYER_CONTENT_CACHE } from '../oci/layer.ts';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import * as cache from '@actions/cache';
import * as core from '@actions/core';
import { debug } from '../util/debug.ts';
import { formatBytes } from '../util/format.ts';

const execFileAsync = promisify(execFile);

export type CacheName = 'go-build' | 'go-mod' | 'blobs';

export interface CachePlan {
  name: CacheName;
  paths: string[];
  primaryKey: string;
  restoreKeys: string[];
}

/** What the caches need from the outside world; `actionsCacheIO()` is the real one, tests fake it. */
export interface CacheIO {
  isFeatureAvailable(): boolean;
  restoreCache(paths: string[], key: string, restoreKeys: string[]): Promise<string | undefined>;
  /** The cache id, or -1 when the entry was not saved (the service refused it, or failed and said why). */
  saveCache(paths: string[], key: string): Promise<number>;
  saveState(name: string, value: string): void;
  getState(name: string): string;
  info(m: string): void;
  warning(m: string): void;
  /** Why this job may not write caches (e.g. a read-only ACTIONS_CACHE_MODE), or undefined. */
  saveDisabledReason?(): string | undefined;
  /** Told what each restore or save moved, for the job summary. */
  record?(stat: CacheStat): void;
}

/** What one restore or save moved: the cache's files on disk and the time it took. */
export interface CacheStat {
  name: CacheName;
  action: 'restored' | 'saved';
  key: string;
  bytes: number;
  files: number;
  seconds: number;
}

/** Walks at most this many entries to size a cache (a huge module cache is reported as "at least"). */
const SIZE_WALK_LIMIT = 300_000;

/** Bytes and regular files under `paths` (symbolic links not followed). */
export async function pathsSize(paths: string[]): Promise<{ bytes: number; files: number; complete: boolean }> {
  const total = { bytes: 0, files: 0, complete: true };
  let seen = 0;
  const walk = async (p: string): Promise<void> => {
    if (++seen > SIZE_WALK_LIMIT) {
      total.complete = false;
      return;
    }
    let s;
    try {
      s = await lstat(p);
    } catch {
      return;
    }
    if (s.isFile()) {
      total.bytes += s.size;
      total.files++;
    } else if (s.isDirectory()) {
      let names: string[];
      try {
        names = await readdir(p);
      } catch {
        return;
      }
      for (const n of names) await walk(join(p, n));
    }
  };
  for (const p of paths) await walk(p);
  return total;
}

/** `412.3 MiB in 8123 files, 3.2 s` */
export function describeStat(size: { bytes: number; files: number; complete?: boolean }, seconds: number): string {
  return `${size.complete === false ? 'at least ' : ''}${formatBytes(size.bytes)} in ${size.files} files, ${seconds.toFixed(1)} s`;
}

/** The core.saveState name the main step records its caches under for the post step. */
export const CACHE_STATE = 'oci_build_cache';

export const UNAVAILABLE_RESTORE =
  'Caching is disabled: the Actions cache service is not available (ACTIONS_CACHE_URL/ACTIONS_RESULTS_URL are not set: GHES without caching, or not running in GitHub Actions)';
export const UNAVAILABLE_SAVE =
  'Caches not saved: the Actions cache service is not available (ACTIONS_CACHE_URL/ACTIONS_RESULTS_URL are not set: GHES without caching, or not running in GitHub Actions)';

const KEY_PREFIX = 'oci-build';

/** What restore leaves for the post step: each plan with the key it matched. */
interface StateEntry extends CachePlan {
  matchedKey?: string;
  /** Blob store only: hash of its listing right after the restore. */
  listing?: string;
}
interface CacheState {
  version: 1;
  caches: StateEntry[];
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function runnerOsName(env: NodeJS.ProcessEnv): string {
  if (env.RUNNER_OS) return env.RUNNER_OS;
  switch (process.platform) {
    case 'linux':
      return 'Linux';
    case 'darwin':
      return 'macOS';
    case 'win32':
      return 'Windows';
    default:
      return process.platform;
  }
}

function runnerArch(env: NodeJS.ProcessEnv): string {
  return env.RUNNER_ARCH ?? process.arch.toUpperCase();
}

const SKIP_DIRS = new Set(['.git', 'node_modules']);

/**
 * Files under `root` whose base name `match` accepts, as sorted workspace-relative paths.
 * Symbolic links are not followed (bazel-* convenience links), nor are .git, node_modules and
 * the directories in `skip` (the output directory).
 */
async function findFiles(root: string, match: (name: string) => boolean, skip: Set<string>): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (SKIP_DIRS.has(e.name) || skip.has(p)) continue;
        await walk(p);
      } else if (e.isFile() && match(e.name)) {
        out.push(relative(root, p).split(sep).join('/'));
      }
    }
  };
  await walk(root);
  return out.sort();
}

/** sha256 over each file's path and content hash, in path order: stable, and changes with any file. */
async function hashFiles(root: string, files: string[]): Promise<string> {
  const all = createHash('sha256');
  for (const f of files) {
    const h = createHash('sha256').update(await readFile(join(root, f))).digest('hex');
    all.update(`${f}\0${h}\n`);
  }
  return all.digest('hex');
}

/** `go env GOCACHE GOMODCACHE` as the builds will see them (same environment, GOTOOLCHAIN=local). */
async function goCacheDirs(env: NodeJS.ProcessEnv): Promise<{ gocache: string; gomodcache: string }> {
  const go = env.GO && env.GO !== '' ? env.GO : 'go';
  const { stdout } = await execFileAsync(go, ['env', '-json', 'GOCACHE', 'GOMODCACHE'], {
    env: { ...env, GOTOOLCHAIN: 'local' },
  });
  const parsed = JSON.parse(stdout) as Record<string, string | undefined>;
  return { gocache: parsed.GOCACHE ?? '', gomodcache: parsed.GOMODCACHE ?? '' };
}

/**
 * The caches for this workspace:
 * - `go-build` (GOCACHE) and `go-mod` (GOMODCACHE): `oci-build-<cache>-<os>-<arch>-<go version>-<hash of every go.sum>`,
 *   restoring the newest entry for the same OS, arch and Go version when go.sum changed;
 *   `go-mod` only when the workspace has a go.sum (otherwise there is nothing to download).
 * - `blobs` (`<storeDir>/blobs` and the layer-digest cache): `oci-build-blobs-<os>-<hash of MODULE.bazel, *.MODULE.bazel, WORKSPACE>-<run id>-<attempt>`,
 *   restoring the newest entry for the same base-image declarations, so each run can save what it added.
 * A `go env` failure only drops the Go caches (with a warning through `opts.warning`).
 */
export async function planCaches(opts: {
  workspaceRoot: string;
  storeDir: string;
  goVersion: string;
  env: NodeJS.ProcessEnv;
  runnerOs?: string;
  arch?: string;
  warning?: (m: string) => void;
}): Promise<CachePlan[]> {
  const root = resolve(opts.workspaceRoot);
  const storeDir = resolve(opts.storeDir);
  const os = opts.runnerOs ?? runnerOsName(opts.env);
  const arch = opts.arch ?? runnerArch(opts.env);
  // The output directory (the store's parent) holds build outputs, never sources.
  const skip = new Set([dirname(storeDir), storeDir]);
  const plans: CachePlan[] = [];

  const goSums = await findFiles(root, (n) => n === 'go.sum', skip);
  let dirs: { gocache: string; gomodcache: string } | undefined;
  try {
    dirs = await goCacheDirs(opts.env);
  } catch (err) {
    opts.warning?.(`Go caches disabled: "go env GOCACHE GOMODCACHE" failed: ${message(err).split('\n')[0]}`);
  }
  if (dirs) {
    const goSumHash = await hashFiles(root, goSums);
    const goPrefix = (name: CacheName): string => `${KEY_PREFIX}-${name}-${os}-${arch}-${opts.goVersion}-`;
    if (dirs.gocache !== '' && dirs.gocache !== 'off') {
      plans.push({ name: 'go-build', paths: [dirs.gocache], primaryKey: `${goPrefix('go-build')}${goSumHash}`, restoreKeys: [goPrefix('go-build')] });
    }
    if (dirs.gomodcache !== '' && goSums.length > 0) {
      plans.push({ name: 'go-mod', paths: [dirs.gomodcache], primaryKey: `${goPrefix('go-mod')}${goSumHash}`, restoreKeys: [goPrefix('go-mod')] });
    }
  }

  const rootModuleFiles = ['MODULE.bazel', 'WORKSPACE.bazel', 'WORKSPACE'].filter((f) => existsSync(join(root, f)));
  const included = await findFiles(root, (n) => n.endsWith('.MODULE.bazel'), skip);
  const baseHash = await hashFiles(root, [...rootModuleFiles, ...included]);
  const blobsPrefix = `${KEY_PREFIX}-blobs-${os}-${baseHash}-`;
  const run = `${opts.env.GITHUB_RUN_ID || 'local'}-${opts.env.GITHUB_RUN_ATTEMPT || '1'}`;
  // The layer-digest cache (tar content → compressed blob) goes with the blobs it names, so an
  // unchanged layer is not compressed again on the next runner.
  plans.push({ name: 'blobs', paths: [join(storeDir, 'blobs'), join(storeDir, LAYER_CONTENT_CACHE)], primaryKey: `${blobsPrefix}${run}`, restoreKeys: [blobsPrefix] });
  return plans;
}

/**
 * Whether the key a restore matched is the primary key. Cache services may hand keys back in
 * another case (act's server lowercases them); actions/cache compares them ignoring case too.
 */
export function sameCacheKey(matched: string, primary: string): boolean {
  return matched.localeCompare(primary, undefined, { sensitivity: 'accent' }) === 0;
}

/** Hash of the blob store's listing (names and sizes): changes exactly when blobs are added or removed. */
export async function blobListingHash(blobsDir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (dir: string, rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(p, r);
      else if (e.isFile()) h.update(`${r}\0${(await stat(p)).size}\n`);
    }
  };
  await walk(blobsDir, '');
  return h.digest('hex');
}

/**
 * Restores every plan (one at a time, so the cache library's log lines stay with their cache) and
 * records the plans and matched keys for the post step. Returns the matched key of each cache.
 * An unavailable cache service is one warning; a failed restore is a warning and a miss.
 */
export async function restoreCaches(plans: CachePlan[], io: CacheIO): Promise<Record<string, string | undefined>> {
  const matched: Record<string, string | undefined> = {};
  let available = false;
  try {
    available = io.isFeatureAvailable();
  } catch (err) {
    io.warning(`Caching is disabled: ${message(err)}`);
    return matched;
  }
  if (!available) {
    io.warning(UNAVAILABLE_RESTORE);
    return matched;
  }
  const entries: StateEntry[] = [];
  for (const plan of plans) {
    let key: string | undefined;
    const started = performance.now();
    debug(`cache ${plan.name}: key ${plan.primaryKey}, restore keys ${plan.restoreKeys.join(' ') || '(none)'}, paths ${plan.paths.join(' ')}`);
    try {
      key = await io.restoreCache(plan.paths, plan.primaryKey, plan.restoreKeys);
    } catch (err) {
      io.warning(`Cache ${plan.name}: restore failed: ${message(err)}`);
    }
    matched[plan.name] = key;
    if (key === undefined) io.info(`Cache ${plan.name}: not found for ${plan.primaryKey}`);
    else {
      const seconds = (performance.now() - started) / 1000;
      const size = await pathsSize(plan.paths);
      const partial = sameCacheKey(key, plan.primaryKey) ? '' : `, partial match for ${plan.primaryKey}`;
      io.info(`Cache ${plan.name}: restored from ${key} (${describeStat(size, seconds)}${partial})`);
      io.record?.({ name: plan.name, action: 'restored', key, bytes: size.bytes, files: size.files, seconds });
    }
    const entry: StateEntry = { ...plan, ...(key !== undefined ? { matchedKey: key } : {}) };
    if (plan.name === 'blobs') {
      try {
        entry.listing = await blobListingHash(plan.paths[0] as string);
      } catch (err) {
        io.warning(`Cache ${plan.name}: cannot list ${plan.paths[0]}: ${message(err)}`);
      }
    }
    entries.push(entry);
  }
  try {
    const state: CacheState = { version: 1, caches: entries };
    io.saveState(CACHE_STATE, JSON.stringify(state));
  } catch (err) {
    io.warning(`Caches will not be saved: cannot record them for the post step: ${message(err)}`);
  }
  return matched;
}

function readState(raw: string): CacheState {
  const parsed = JSON.parse(raw) as Partial<CacheState>;
  if (parsed.version !== 1 || !Array.isArray(parsed.caches)) throw new Error('unrecognised format');
  return parsed as CacheState;
}

/**
 * The post step: saves each cache recorded by `restoreCaches` that changed. Go caches are saved
 * unless their primary key was an exact hit; the blob store is saved when its listing differs from
 * the one recorded at restore. Missing paths are skipped with a notice; every failure only warns.
 */
export async function saveCaches(io: CacheIO): Promise<void> {
  const raw = io.getState(CACHE_STATE);
  if (raw === '') {
    io.info('No caches were restored in this job; nothing to save');
    return;
  }
  let state: CacheState;
  try {
    state = readState(raw);
  } catch (err) {
    io.warning(`Caches not saved: the state left by the main step is unreadable: ${message(err)}`);
    return;
  }
  try {
    if (!io.isFeatureAvailable()) {
      io.warning(UNAVAILABLE_SAVE);
      return;
    }
    const disabled = io.saveDisabledReason?.();
    if (disabled) {
      io.info(`Caches not saved: ${disabled}`);
      return;
    }
  } catch (err) {
    io.warning(`Caches not saved: ${message(err)}`);
    return;
  }
  for (const entry of state.caches) {
    try {
      await saveOne(entry, io);
    } catch (err) {
      io.warning(`Cache ${entry.name}: save failed: ${message(err)}`);
    }
  }
}

async function saveOne(entry: StateEntry, io: CacheIO): Promise<void> {
  // The first path is the cache's substance; later ones (the layer-digest cache) go along, made
  // empty when absent: the cache service keys entries on the exact list of paths.
  const [main, ...extra] = entry.paths;
  if (main === undefined || !existsSync(main)) {
    io.info(`Cache ${entry.name}: not saved: ${main ?? '(no path)'} does not exist`);
    return;
  }
  for (const p of extra) await mkdir(p, { recursive: true });
  const paths = entry.paths;
  if (entry.matchedKey !== undefined && sameCacheKey(entry.matchedKey, entry.primaryKey)) {
    io.info(`Cache ${entry.name}: hit on the primary key ${entry.primaryKey}; not saving`);
    return;
  }
  if (entry.name === 'blobs' && entry.listing !== undefined) {
    const now = await blobListingHash(entry.paths[0] as string);
    if (now === entry.listing) {
      io.info(`Cache ${entry.name}: unchanged since ${entry.matchedKey ?? 'the restore'}; not saving`);
      return;
    }
  }
  const size = await pathsSize(paths);
  const started = performance.now();
  const id = await io.saveCache(paths, entry.primaryKey);
  const seconds = (performance.now() - started) / 1000;
  // -1: the library has already said why (a warning for a failure, a notice when another job of
  // the run reserved the same key first, as matrix jobs do), so this is only a notice.
  if (id === -1) io.info(`Cache ${entry.name}: not saved under ${entry.primaryKey} (the cache service did not accept it: another job may be saving the same key; details in the debug log)`);
  else {
    io.info(`Cache ${entry.name}: saved with key ${entry.primaryKey} (${describeStat(size, seconds)})`);
    io.record?.({ name: entry.name, action: 'saved', key: entry.primaryKey, bytes: size.bytes, files: size.files, seconds });
  }
}

/** @actions/cache (v1 or v2 service, as the runner says) and @actions/core state and logging. */
export function actionsCacheIO(): CacheIO {
  return {
    isFeatureAvailable: () => cache.isFeatureAvailable(),
    restoreCache: (paths, key, restoreKeys) => cache.restoreCache(paths, key, restoreKeys),
    saveCache: (paths, key) => cache.saveCache(paths, key),
    saveState: (name, value) => core.saveState(name, value),
    getState: (name) => core.getState(name),
    info: (m) => core.info(m),
    warning: (m) => core.warning(m),
    saveDisabledReason: () => {
      // The runner's ACTIONS_CACHE_MODE (read-only for untrusted events): saveCache would refuse.
      const mode = (process.env.ACTIONS_CACHE_MODE ?? '').trim().toLowerCase();
      return mode === 'none' || mode === 'read' ? `the cache mode "${mode}" does not permit writes` : undefined;
    },
  };
}
