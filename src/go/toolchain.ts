import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface GoToolchain {
  /** Path of the `go` binary used for every build. */
  go: string;
  version: string;
  goroot: string;
  hostOs: string;
  hostArch: string;
}

/** Finds `go` on PATH (or $GO) and asks it for its version and host platform. */
export async function findGoToolchain(env: NodeJS.ProcessEnv = process.env): Promise<GoToolchain> {
  const go = env.GO && env.GO !== '' ? env.GO : 'go';
  try {
    const { stdout } = await run(go, ['env', '-json', 'GOVERSION', 'GOROOT', 'GOHOSTOS', 'GOHOSTARCH'], {
      env: { ...env, GOTOOLCHAIN: 'local' },
    });
    const parsed = JSON.parse(stdout) as Record<string, string>;
    return {
      go,
      version: parsed.GOVERSION ?? 'unknown',
      goroot: parsed.GOROOT ?? '',
      hostOs: parsed.GOHOSTOS ?? 'linux',
      hostArch: parsed.GOHOSTARCH ?? 'amd64',
    };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(`Go toolchain not found: "${go}" is not on PATH (install Go or set $GO)`);
    }
    throw new Error(`Go toolchain "${go}" does not work: ${(err as Error).message.split('\n')[0]}`);
  }
}
