// Reading the workspace's own Starlark files (BUILD, .bzl, include()d MODULE files, WORKSPACE).
// A pull request controls these files, symlinks included: one that is (or sits below) a symlink
// leading out of the workspace could read /etc/… or a token file into an image label, and the
// evaluator's errors would quote it (`name "ghp_…" is not defined`). Such a file is refused
// before a byte of it is read, naming the link, never what it points to.

import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** A Starlark file the workspace may not read; the message names the file and the link. */
export class StarlarkFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StarlarkFileError';
  }
}

function inside(real: string, rootReal: string): boolean {
  return real === rootReal || real.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep);
}

function slashed(p: string): string {
  return p.split(sep).join('/');
}

/**
 * The text of the workspace file `rel` (slash-separated, relative to `root`), or undefined when
 * there is no such file. Throws a StarlarkFileError when the file or a directory on its path is a
 * symlink that resolves outside the workspace, or when it is not a regular file (a FIFO or a
 * device would block or never end).
 */
export function readStarlarkFile(root: string, rel: string): string | undefined {
  const rootReal = realpathSync(root);
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  let cur = root;
  for (const part of parts) {
    cur = join(cur, part);
    let isLink: boolean;
    try {
      isLink = lstatSync(cur).isSymbolicLink();
    } catch {
      return undefined; // missing: the caller says so in its own words
    }
    if (!isLink) continue;
    let real: string;
    try {
      real = realpathSync(cur);
    } catch {
      return undefined; // a dangling link is a missing file
    }
    if (!inside(real, rootReal)) {
      const link = slashed(relative(root, cur));
      throw new StarlarkFileError(
        link === rel
          ? `${rel} is a symlink that resolves outside the workspace; Starlark files are only read from inside it`
          : `${rel}: ${link} is a symlink that resolves outside the workspace; Starlark files are only read from inside it`,
      );
    }
  }
  const abs = join(root, ...parts);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    return undefined;
  }
  // `..` segments (labels have none) or a root that moved: the final answer is the real path.
  if (!inside(real, rootReal)) throw new StarlarkFileError(`${rel} resolves outside the workspace; Starlark files are only read from inside it`);
  if (!statSync(real).isFile()) throw new StarlarkFileError(`${rel} is not a regular file`);
  return readFileSync(real, 'utf8');
}
