// One `go build FLAGS -o DIR/ PKG…` process and its DIR (previous outputs linked in, new ones
// moved out), shared by the queue's batches and its predicted builds (batch.ts). Go links each
// binary in its own work directory and renames it into DIR when that link is done; a watch on DIR
// reports each name as it lands, so a caller can hand binaries on while the other links still run.
import { spawn } from 'node:child_process';
import { linkSync, statSync, watch, type FSWatcher } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { goToolchainError } from './toolchain.ts';

export interface GoBatchProcess {
  go: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** `go build` flags without -o and the packages. */
  flags: string[];
  packages: string[];
  dir: string;
  /** Executable names Go writes into dir (load.DefaultExecName of each package). */
  names: ReadonlySet<string>;
  /** Inode of an output placed in dir beforehand, by name: Go may keep it when it is current. */
  previous?: ReadonlyMap<string, bigint>;
  /** Called (possibly more than once per name) when Go has renamed a finished link into dir. */
  written: (name: string) => void;
  /**
   * Given a function that stops the build: the process then runs in its own process group, so
   * that Go's compilers and linkers stop with it.
   */
  stoppable?: (stop: () => void) => void;
}

/** Runs the process to its end: its exit code (non-zero when stopped) and what it printed. */
export async function runGoBatch(o: GoBatchProcess): Promise<{ code: number; output: string }> {
  let watcher: FSWatcher | undefined;
  try {
    try {
      watcher = watch(o.dir, (_event, name) => {
        if (typeof name !== 'string' || !o.names.has(name)) return;
        let ino: bigint;
        try {
          ino = statSync(join(o.dir, name), { bigint: true }).ino;
        } catch {
          return;
        }
        // A new inode under the name: Go's rename of a finished link (whole, as renames are).
        if (o.previous?.get(name) !== ino) o.written(name);
      });
    } catch {
      // no watch here: every output is reported when go build exits
    }
    const output: Buffer[] = [];
    const code = await new Promise<number>((done, fail) => {
      const child = spawn(o.go, ['build', ...o.flags, '-o', `${o.dir}/`, ...o.packages], {
        cwd: o.cwd,
        env: o.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: o.stoppable !== undefined,
      });
      child.stdout.on('data', (c: Buffer) => output.push(c));
      child.stderr.on('data', (c: Buffer) => output.push(c));
      child.on('error', (err) => fail(goToolchainError(o.go, err)));
      child.on('close', (c) => done(c ?? 1));
      o.stoppable?.(() => {
        try {
          if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      });
    });
    return { code, output: Buffer.concat(output).toString('utf8').trim() };
  } finally {
    watcher?.close();
  }
}

/**
 * Hard-links an existing output into dir under Go's name for it, and records its inode in
 * `previous`: when it is still current, Go keeps it instead of linking again. No output yet, or
 * another file system: nothing is linked and Go links anew.
 */
export function linkPrevious(dir: string, name: string, out: string, previous: Map<string, bigint>): void {
  try {
    linkSync(out, join(dir, name));
    previous.set(name, statSync(join(dir, name), { bigint: true }).ino);
  } catch {
    // none yet, or another file system
  }
}

/** Moves the binary Go wrote into dir under `name` to `out` (replacing it whole). */
export async function moveOut(dir: string, name: string, out: string): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  await rename(join(dir, name), out);
  // When Go kept the previous output, both names are one file and rename leaves both: drop dir's
  // name now, since a link count change moves the output's ctime, part of its remembered identity.
  await rm(join(dir, name), { force: true });
}
