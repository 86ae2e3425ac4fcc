import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const MARKERS = ['MODULE.bazel', 'REPO.bazel', 'WORKSPACE.bazel', 'WORKSPACE'];

/** Walks up from `start` to the first directory holding a Bazel workspace marker file. */
export function findWorkspaceRoot(start: string): string {
  let dir = resolve(start);
  for (;;) {
    for (const marker of MARKERS) {
      const p = join(dir, marker);
      if (existsSync(p) && statSync(p).isFile()) return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `no workspace found at or above ${resolve(start)}: expected one of ${MARKERS.join(', ')}`,
      );
    }
    dir = parent;
  }
}
