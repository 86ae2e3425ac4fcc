// Workspace status values for stamping: what Bazel writes to bazel-out/stable-status.txt and
// bazel-out/volatile-status.txt (BazelWorkspaceStatusModule), plus the STABLE_* keys CI setups
// commonly produce with a --workspace_status_command script.
//
// Keys and sources (stampValues):
//   BUILD_TIMESTAMP          SOURCE_DATE_EPOCH when it is an integer (as Bazel), else now, in seconds
//   BUILD_USER               the OS user name (Bazel: Java's user.name), else $USER / $USERNAME
//   BUILD_HOST               the short host name (up to the first ".")
//   BUILD_EMBED_LABEL        always present (Bazel writes it even when empty):
//                              $OCI_BUILD_EMBED_LABEL when set (even to ""), else
//                              GITHUB_REF=refs/tags/<tag>: the tag, with a leading "v" dropped when a
//                              digit follows (v1.2.3 -> 1.2.3; release-7 stays release-7), else "".
//   STABLE_GIT_COMMIT        $GITHUB_SHA, else `git rev-parse HEAD` in cwd; absent when neither works
//   STABLE_GIT_SHORT_COMMIT  the first 7 characters of STABLE_GIT_COMMIT
//   STABLE_BUILD_SCM_REVISION  = STABLE_GIT_COMMIT (the name Bazel's own status scripts use)
//   STABLE_GIT_BRANCH        GITHUB_REF=refs/heads/<b>, else $GITHUB_HEAD_REF (pull requests), else
//                              `git rev-parse --abbrev-ref HEAD` unless detached; else absent
//   STABLE_GIT_TAG           GITHUB_REF=refs/tags/<t>, else `git describe --tags --exact-match`; else absent
//   STABLE_BUILD_SCM_STATUS  "clean" / "modified" from `git status --porcelain`; absent without git
// Nothing else is read from the environment: no remote URLs (they may embed credentials), no tokens.

import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { constants } from 'node:fs';

export interface StampOptions {
  /** Where git is asked (the workspace root). Default: process.cwd(). */
  cwd?: string;
  /** Milliseconds since the epoch. Default: Date.now. */
  now?: () => number;
  /** .bazelrc --embed_label: BUILD_EMBED_LABEL unless $OCI_BUILD_EMBED_LABEL is set. */
  embedLabel?: string;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Killed by the timeout. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
  error?: NodeJS.ErrnoException;
}

function run(file: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8', windowsHide: true },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals | null; killed?: boolean }) | null;
        if (!e) return resolve({ code: 0, signal: null, timedOut: false, stdout, stderr });
        const code = typeof e.code === 'number' ? e.code : null;
        const error = typeof e.code === 'string' ? e : undefined;
        resolve({ code, signal: e.signal ?? null, timedOut: e.killed === true && !error, stdout, stderr, error });
      },
    );
  });
}

/** One git query; undefined when git is missing, fails, or prints nothing. */
async function git(cwd: string, args: string[]): Promise<string | undefined> {
  // git only needs the ordinary process environment (PATH, HOME); GIT_* overrides stay honoured.
  const r = await run('git', args, { cwd, env: process.env, timeoutMs: 10_000 });
  if (r.code !== 0) return undefined;
  const out = r.stdout.trim();
  return out === '' ? undefined : out;
}

/** Bazel's BUILD_TIMESTAMP: SOURCE_DATE_EPOCH when it parses as an integer, else the current time. */
function buildTimestamp(env: NodeJS.ProcessEnv, now: () => number): string {
  const sde = env.SOURCE_DATE_EPOCH?.trim();
  if (sde && /^[+-]?\d+$/.test(sde)) return String(BigInt(sde));
  return String(Math.floor(now() / 1000));
}

function buildUser(env: NodeJS.ProcessEnv): string {
  try {
    const u = userInfo().username;
    if (u) return u;
  } catch {
    // no passwd entry (containers with arbitrary uids)
  }
  return env.USER ?? env.USERNAME ?? 'unknown';
}

function tagOf(ref: string | undefined): string | undefined {
  return ref?.startsWith('refs/tags/') && ref.length > 'refs/tags/'.length ? ref.slice('refs/tags/'.length) : undefined;
}

function branchOf(ref: string | undefined): string | undefined {
  return ref?.startsWith('refs/heads/') && ref.length > 'refs/heads/'.length ? ref.slice('refs/heads/'.length) : undefined;
}

/** BUILD_EMBED_LABEL from a tag: "v1.2.3" -> "1.2.3"; other tags unchanged. */
export function embedLabelFromTag(tag: string): string {
  return /^v\d/.test(tag) ? tag.slice(1) : tag;
}

/**
 * Bazel's standard status keys plus a small fixed set of STABLE_ git keys (see the header of
 * this file for each key's source). Keys are returned sorted, as Bazel's status files are.
 */
export async function stampValues(env: NodeJS.ProcessEnv, opts: StampOptions = {}): Promise<Record<string, string>> {
  const cwd = opts.cwd ?? process.cwd();
  const now = opts.now ?? Date.now;
  const out: Record<string, string> = {};

  out.BUILD_TIMESTAMP = buildTimestamp(env, now);
  out.BUILD_USER = buildUser(env);
  out.BUILD_HOST = hostname().split('.')[0] ?? '';

  const ghTag = tagOf(env.GITHUB_REF);
  if (env.OCI_BUILD_EMBED_LABEL !== undefined) out.BUILD_EMBED_LABEL = env.OCI_BUILD_EMBED_LABEL;
  else if (opts.embedLabel !== undefined) out.BUILD_EMBED_LABEL = opts.embedLabel;
  else out.BUILD_EMBED_LABEL = ghTag !== undefined ? embedLabelFromTag(ghTag) : '';

  const commit = env.GITHUB_SHA?.trim() || (await git(cwd, ['rev-parse', 'HEAD']));
  if (commit) {
    out.STABLE_GIT_COMMIT = commit;
    out.STABLE_GIT_SHORT_COMMIT = commit.slice(0, 7);
    out.STABLE_BUILD_SCM_REVISION = commit;
  }

  let branch = branchOf(env.GITHUB_REF) ?? (env.GITHUB_HEAD_REF?.trim() || undefined);
  if (branch === undefined && ghTag === undefined) {
    const b = await git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']);
    if (b !== undefined && b !== 'HEAD') branch = b;
  }
  if (branch !== undefined) out.STABLE_GIT_BRANCH = branch;

  const tag = ghTag ?? (commit ? await git(cwd, ['describe', '--tags', '--exact-match', commit]) : undefined);
  if (tag !== undefined) out.STABLE_GIT_TAG = tag;

  const status = await run('git', ['status', '--porcelain', '--untracked-files=normal'], { cwd, env: process.env, timeoutMs: 30_000 });
  if (status.code === 0) out.STABLE_BUILD_SCM_STATUS = status.stdout.trim() === '' ? 'clean' : 'modified';

  return sortKeys(out);
}

function sortKeys(values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(values).sort()) out[k] = values[k] as string;
  return out;
}

/**
 * Parses workspace status output the way Bazel does (BazelWorkspaceStatusModule): each line is
 * split at its first space into key and value; lines without a space are dropped; a later line
 * wins. A trailing "\r" is dropped too (scripts written on Windows).
 */
export function parseWorkspaceStatus(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.trim().split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const sp = line.indexOf(' ');
    if (sp < 0) continue;
    out[line.slice(0, sp)] = line.slice(sp + 1);
  }
  return sortKeys(out);
}

export class StampCommandError extends Error {}

/** Variables never handed to a status script: this action's inputs and the runner's tokens. */
function scriptEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('INPUT_') || k === 'ACTIONS_RUNTIME_TOKEN' || k === 'ACTIONS_ID_TOKEN_REQUEST_TOKEN') continue;
    out[k] = v;
  }
  return out;
}

async function shell(): Promise<string> {
  try {
    await access('/bin/bash', constants.X_OK);
    return '/bin/bash';
  } catch {
    return 'sh';
  }
}

/**
 * Runs a `--workspace_status_command`-style command as Bazel does (through the shell, in the
 * workspace root `cwd`, with the client environment minus INPUT_* and the Actions runtime tokens)
 * and parses its stdout with parseWorkspaceStatus. The caller merges the result over
 * stampValues(), so a script may override any key. Throws StampCommandError with a one-line
 * message when the command cannot be run, times out, or exits non-zero.
 */
async function stampValuesFromCommand(
  command: string,
  cwd: string,
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Record<string, string>> {
  if (command.trim() === '') throw new StampCommandError('workspace status command is empty');
  try {
    await access(cwd);
  } catch {
    throw new StampCommandError(`workspace status command "${command}": directory ${cwd} does not exist`);
  }
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const r = await run(await shell(), ['-c', command], { cwd, env: scriptEnv(opts.env ?? process.env), timeoutMs });
  const lastErr = r.stderr.trim().split('\n').pop()?.trim() ?? '';
  const detail = lastErr === '' ? '' : `: ${lastErr}`;
  if (r.error) throw new StampCommandError(`workspace status command "${command}" could not be run: ${r.error.message}`);
  if (r.timedOut) throw new StampCommandError(`workspace status command "${command}" timed out after ${timeoutMs / 1000}s`);
  if (r.signal) throw new StampCommandError(`workspace status command "${command}" was killed by ${r.signal}${detail}`);
  if (r.code !== 0) throw new StampCommandError(`workspace status command "${command}" failed with exit code ${r.code}${detail}`);
  return parseWorkspaceStatus(r.stdout);
}

/**
 * What a stamped build sees, as Bazel assembles stable-status.txt and volatile-status.txt: the
 * built-in keys (stampValues), then the `--workspace_status_command` output over them (run from
 * the workspace root, bounded by `timeoutMs`), so a script may replace any key.
 */
export async function workspaceStatus(
  env: NodeJS.ProcessEnv,
  opts: StampOptions & { command?: string; timeoutMs?: number },
): Promise<Record<string, string>> {
  const cwd = opts.cwd ?? process.cwd();
  const [builtin, fromCommand] = await Promise.all([
    stampValues(env, opts),
    opts.command !== undefined ? stampValuesFromCommand(opts.command, cwd, { env, timeoutMs: opts.timeoutMs }) : Promise.resolve({}),
  ]);
  return sortKeys({ ...builtin, ...fromCommand });
}

/**
 * rules_go's link step for x_defs (go/tools/builders/link.go): in each value every `{KEY}` takes
 * the workspace status value of KEY; a value naming a key that has no value is dropped whole (the
 * variable keeps its default). Unstamped, no status file is given to the linker, so every value
 * holding `{…}` is dropped. Status values are read only when some value needs them.
 */
export async function stampXDefs(
  xDefs: Record<string, string>,
  stamp: { enabled: boolean; values: () => Promise<Record<string, string>> },
): Promise<{ xDefs: Record<string, string>; dropped: Array<{ name: string; missing: string[] }>; stamped: boolean }> {
  const KEY = /\{.+?\}/g;
  const needs = Object.values(xDefs).some((v) => KEY.test(v));
  KEY.lastIndex = 0;
  const status = needs && stamp.enabled ? await stamp.values() : {};
  const out: Record<string, string> = {};
  const dropped: Array<{ name: string; missing: string[] }> = [];
  for (const [name, value] of Object.entries(xDefs)) {
    const missing: string[] = [];
    const stamped = value.replace(KEY, (m) => {
      const k = m.slice(1, -1);
      if (Object.hasOwn(status, k)) return status[k] as string;
      missing.push(k);
      return m;
    });
    if (missing.length === 0) out[name] = stamped;
    else dropped.push({ name, missing });
  }
  return { xDefs: out, dropped, stamped: needs && stamp.enabled };
}
