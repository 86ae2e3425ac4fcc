// Directories Bazel does not look into: `.bazelignore` (one workspace-relative path a line, `#`
// comments) and REPO.bazel `ignore_directories([...])` (glob() patterns matched against the
// directory's repository-relative path). Target patterns such as `//...` skip them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Builtin, BuiltinError, StarList, StarTuple, execFile, type Value } from '../starlark/index.ts';
import { BuildError } from '../errors.ts';
import { globToRegExp, validateGlobPattern } from './glob.ts';

export interface IgnoredDirectories {
  /** Whether the directory at `rel` (workspace-relative, "/"-separated, no leading "/") is ignored. */
  has(rel: string): boolean;
  /** What was read, for messages and tests. */
  readonly paths: string[];
  readonly patterns: string[];
}

function readBazelignore(root: string): string[] {
  const path = join(root, '.bazelignore');
  if (!existsSync(path)) return [];
  const out: string[] = [];
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    // Bazel takes each line as a path under the workspace root; a trailing "/" changes nothing.
    const p = line.replace(/^\.\/+/, '').replace(/\/+$/, '');
    if (p !== '' && !p.startsWith('/') && !p.split('/').includes('..')) out.push(p);
  }
  return out;
}

function readRepoFile(root: string): string[] {
  const path = join(root, 'REPO.bazel');
  if (!existsSync(path)) return [];
  const patterns: string[] = [];
  let called = false;
  const predeclared = new Map<string, Value>([
    // repo(default_visibility = ..., ...) sets package defaults that do not change what is built here.
    ['repo', new Builtin('repo', () => null)],
    [
      'ignore_directories',
      new Builtin('ignore_directories', (call) => {
        if (called) throw new BuiltinError('ignore_directories() may be called only once');
        called = true;
        const list = call.args[0] ?? call.kwargs.get('dirs');
        if (!(list instanceof StarList || list instanceof StarTuple)) throw new BuiltinError('ignore_directories() takes a list of glob patterns');
        for (const e of list.elems) {
          if (typeof e !== 'string') throw new BuiltinError('ignore_directories(): every pattern must be a string');
          const bad = validateGlobPattern(e);
          if (bad) throw new BuiltinError(`ignore_directories(): ${bad}`);
          patterns.push(e);
        }
        return null;
      }),
    ],
  ]);
  execFile({ file: 'REPO.bazel', source: readFileSync(path, 'utf8'), predeclared });
  return patterns;
}

/** Reads `.bazelignore` and REPO.bazel of the workspace at `root`. */
export function readIgnoredDirectories(root: string): IgnoredDirectories {
  const paths = readBazelignore(root);
  let patterns: string[];
  try {
    patterns = readRepoFile(root);
  } catch (err) {
    // A StarlarkError is a BuildError already, with its position as data.
    throw err instanceof BuildError ? err : new BuildError((err as Error).message, { cause: err });
  }
  const exact = new Set(paths);
  const res = patterns.map(globToRegExp);
  return {
    paths,
    patterns,
    has: (rel) => exact.has(rel) || res.some((r) => r.test(rel)),
  };
}
