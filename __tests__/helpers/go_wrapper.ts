// A `go` that logs the first argument of each call (build, list, env, …) before running the real
// one: tests count go processes through it, as the bench does.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './run.ts';

export interface CountingGo {
  /** Path of the wrapper, for $GO. */
  go: string;
  /** First arguments of the calls since the last clear, in order. */
  calls: () => string[];
  clear: () => void;
}

/** Writes the wrapper and its log into `dir`. */
export async function countingGo(dir: string): Promise<CountingGo> {
  const real = (await runCommand('sh', ['-c', 'command -v go'])).stdout.trim();
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  const go = join(dir, 'go-wrapper');
  writeFileSync(go, `#!/bin/sh\necho "$1" >> '${log}'\nexec '${real}' "$@"\n`);
  chmodSync(go, 0o755);
  return {
    go,
    calls: () => readFileSync(log, 'utf8').split('\n').filter((l) => l !== ''),
    clear: () => writeFileSync(log, ''),
  };
}
