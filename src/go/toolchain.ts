import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface GoToolchain {
  /** Path of the `go` binary used for every build. */
  go: string;
  /**
   * GOHOSTOS and GOHOSTARCH. Asked of `go env` (about 40 ms) only when a build needs them: a
   * target without a platform, or a cgo decision. Cross-builds for a set platform never ask.
   */
  host(): Promise<{ os: string; arch: string }>;
}

/** The one message for a `go` that cannot be started, from whichever call finds out first. */
export function goToolchainError(go: string, err: unknown): Error {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
    return new Error(`Go toolchain not found: "${go}" is not on PATH (install Go or set $GO)`);
  }
  return new Error(`Go toolchain "${go}" does not work: ${(err as Error).message.split('\n')[0]}`);
}

/** The `go` on PATH (or $GO); nothing is run until a build needs it. */
export function findGoToolchain(env: NodeJS.ProcessEnv = process.env): GoToolchain {
  const go = env.GO && env.GO !== '' ? env.GO : 'go';
  let host: Promise<{ os: string; arch: string }> | undefined;
  const ask = async (): Promise<{ os: string; arch: string }> => {
    try {
      const { stdout } = await run(go, ['env', '-json', 'GOHOSTOS', 'GOHOSTARCH'], { env: { ...env, GOTOOLCHAIN: 'local' } });
      const parsed = JSON.parse(stdout) as Record<string, string>;
      return { os: parsed.GOHOSTOS ?? 'linux', arch: parsed.GOHOSTARCH ?? 'amd64' };
    } catch (err) {
      throw goToolchainError(go, err);
    }
  };
  return { go, host: () => (host ??= ask()) };
}

/** GOVERSION of the `go` on PATH (or $GO), e.g. "go1.26.8"; the action's cache keys use it. */
export async function goVersion(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const go = env.GO && env.GO !== '' ? env.GO : 'go';
  try {
    const { stdout } = await run(go, ['env', 'GOVERSION'], { env: { ...env, GOTOOLCHAIN: 'local' } });
    return stdout.trim() || 'unknown';
  } catch (err) {
    throw goToolchainError(go, err);
  }
}
