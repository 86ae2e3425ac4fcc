// Go's own up-to-date check (`go build -o out` with `out` already current) still costs a go
// process that loads every package and hashes its sources, per binary and platform, when nothing
// changed. Like Bazel's action cache, a binary is also keyed here by its inputs, read by identity
// (device, inode, size, mtime and ctime in ns, as Bazel's digest cache does): the `go` binary, the
// build flags and the files they name, the environment Go reads, Go's env file (goConfigKey), and
// the files of the packages in the binary's own import closure (deps.ts; goBinaryKey) — so an
// edit to another service leaves this binary's key alone. An equal key with the output untouched
// since skips the go process. What this cannot see whole (cgo, go.work, GOFLAGS naming an overlay,
// a go.mod or a PGO profile) gets no key, and Go decides as before. The Go installation is
// followed through its `go` binary, which every install or upgrade replaces.
import { createHash } from 'node:crypto';
import { readFileSync, statSync, type BigIntStats } from 'node:fs';
import { readSmallFile } from '../util/small_file.ts';
import { delimiter, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/write_atomic.ts';
import { debug } from '../util/debug.ts';

/**
 * A file changed twice within one timestamp tick, keeping its size, looks unchanged (git's "racy
 * clean" problem). So a key is only remembered when every input is older than this; the build
 * after a fresh edit or checkout goes to Go once more.
 */
export const RACY_WINDOW_NS = 2_000_000_000n;

function identity(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.mode}`;
}

/** The `go` the build will run, as spawn finds it: on PATH, or a path from the build's directory. */
function resolveBinary(go: string, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  if (go.includes('/')) return resolve(cwd, go);
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, go);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Go's env file (`go env -w` writes it): GOENV, else $XDG_CONFIG_HOME or ~/.config, then go/env. */
function goEnvFile(env: NodeJS.ProcessEnv): string | undefined {
  if (env.GOENV !== undefined) return env.GOENV === 'off' || env.GOENV === '' ? undefined : env.GOENV;
  const config = env.XDG_CONFIG_HOME || (env.HOME ? join(env.HOME, '.config') : undefined);
  return config ? join(config, 'go', 'env') : undefined;
}

function statOrAbsent(path: string | undefined): string {
  if (path === undefined) return 'none';
  try {
    return identity(statSync(path, { bigint: true }));
  } catch {
    return 'absent';
  }
}

/** GOFLAGS as Go's env file sets it (`go env -w GOFLAGS=…`), if it does. */
function goFlagsIn(envFile: string | undefined): string | undefined {
  if (envFile === undefined) return undefined;
  try {
    return /^GOFLAGS=(.*)$/m.exec(readFileSync(envFile, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** Build flags that make Go read files this key does not follow: an overlay, another go.mod, a PGO profile. */
function namesOtherFiles(goflags: string | undefined): boolean {
  return goflags !== undefined && /(^|\s)--?(overlay|modfile|pgo)=/.test(goflags);
}

/** Whether a go.work file applies to a build in `dir` (GOWORK, or one in dir or above). */
function workspaceFileApplies(dir: string, env: NodeJS.ProcessEnv): boolean {
  if (env.GOWORK !== undefined && env.GOWORK !== '') return env.GOWORK !== 'off';
  for (let d = dir; ; d = dirname(d)) {
    try {
      statSync(join(d, 'go.work'));
      return true;
    } catch {
      // keep looking
    }
    if (dirname(d) === d) return false;
  }
}

interface Remembered {
  out: string;
  identity: string;
}

function outputIdentity(out: string): string | undefined {
  try {
    return identity(statSync(out, { bigint: true }));
  } catch {
    return undefined;
  }
}

/** Whether `out` is still what the build with this key wrote. */
export async function isUpToDate(cacheDir: string, key: string, out: string): Promise<boolean> {
  let rec: Remembered;
  try {
    rec = JSON.parse(readSmallFile(join(cacheDir, `${key}.json`)) ?? 'null') as Remembered;
    if (rec === null) return false;
  } catch {
    return false;
  }
  if (rec.out !== resolve(out)) return false;
  const now = outputIdentity(out);
  const upToDate = now !== undefined && now === rec.identity;
  debug(`go action cache ${key.slice(0, 16)}: ${upToDate ? `hit, go build skipped for ${out}` : `${out} changed since, go build runs`}`);
  return upToDate;
}

/** Remembers that the build with this key wrote `out` as it now is. */
export async function rememberBuild(cacheDir: string, key: string, out: string): Promise<void> {
  const id = outputIdentity(out);
  if (id === undefined) return;
  const rec: Remembered = { out: resolve(out), identity: id };
  await writeFileAtomic(join(cacheDir, `${key}.json`), JSON.stringify(rec));
}

export const GO_ACTION_CACHE = join('cache', 'go-builds');

/** Build flags naming a file Go reads: its identity (and an overlay's replacement files') join the key. */
function flagFileIds(flags: string[], cwd: string): string[] | undefined {
  const ids: string[] = [];
  for (const f of flags) {
    const m = /^--?(overlay|modfile|pgo)=(.*)$/.exec(f);
    if (!m) continue;
    const [, name, value] = m as unknown as [string, string, string];
    if (name === 'pgo' && (value === 'auto' || value === 'off')) continue;
    const path = resolve(cwd, value);
    ids.push(`${name}\0${path}\0${statOrAbsent(path)}`);
    if (name === 'modfile') {
      const sum = path.replace(/\.mod$/, '.sum');
      ids.push(`modfile-sum\0${sum}\0${statOrAbsent(sum)}`);
    }
    if (name === 'overlay') {
      let replace: Record<string, string>;
      try {
        replace = (JSON.parse(readFileSync(path, 'utf8')) as { Replace?: Record<string, string> }).Replace ?? {};
      } catch {
        return undefined;
      }
      for (const [from, to] of Object.entries(replace).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const target = to === '' ? '' : resolve(dirname(path), to);
        ids.push(`overlay-file\0${from}\0${target === '' ? 'deleted' : statOrAbsent(target)}`);
      }
    }
  }
  return ids;
}

/**
 * What every binary built with these flags and this environment shares in its key: the go
 * binary, the environment Go reads, Go's env file, the flags and the files they name. Undefined
 * when a build reads what no key here follows (cgo, go.work, GOFLAGS naming other files).
 */
export function goConfigKey(inputs: { go: string; moduleRoot: string; flags: string[]; env: NodeJS.ProcessEnv; cgo: boolean }): string | undefined {
  const leftToGo = (why: string): undefined => {
    debug(`go action cache: no key for ${inputs.moduleRoot} (${why}): go build decides`);
    return undefined;
  };
  if (inputs.cgo) return leftToGo('cgo');
  if (workspaceFileApplies(inputs.moduleRoot, inputs.env)) return leftToGo('a go.work applies');
  const envFile = goEnvFile(inputs.env);
  if (namesOtherFiles(inputs.env.GOFLAGS) || namesOtherFiles(goFlagsIn(envFile))) return leftToGo('GOFLAGS names other files');
  const binary = resolveBinary(inputs.go, inputs.env, inputs.moduleRoot);
  if (binary === undefined) return leftToGo('go binary not found');
  const flagFiles = flagFileIds(inputs.flags, inputs.moduleRoot);
  if (flagFiles === undefined) return leftToGo('a file named by the flags cannot be read');
  const env = Object.entries(inputs.env)
    .filter(([k]) => /^(GO|CGO_)/.test(k) || ['CC', 'CXX', 'AR', 'FC', 'PKG_CONFIG', 'GCCGO', 'HOME', 'XDG_CONFIG_HOME'].includes(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify({ v: 2, go: binary, goIdentity: statOrAbsent(binary), flags: inputs.flags, flagFiles, env, envFile: envFile ?? null, envFileIdentity: statOrAbsent(envFile), cwd: resolve(inputs.moduleRoot) }))
    .digest('hex');
}

/**
 * The key of one binary: its configuration's key, its output path, the module's own files and
 * the fingerprint of every package in its import closure (deps.ts) — so an edit to another
 * service's package leaves this key as it was.
 */
export function goBinaryKey(configKey: string, out: string, moduleFiles: string, closure: string[]): string {
  const h = createHash('sha256');
  h.update(`${configKey}\n${resolve(out)}\n${moduleFiles}\n`);
  for (const p of closure) h.update(`${p}\n`);
  return h.digest('hex');
}
