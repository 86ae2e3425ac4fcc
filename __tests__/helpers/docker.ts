import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dockerEndpointFromEnv, describeDockerEndpoint, pingDocker } from '../../src/publish/docker.ts';

const run = promisify(execFile);

/** Fails (never skips) when no daemon answers: scripts/test starts one and sets DOCKER_HOST. */
export async function requireDocker(): Promise<void> {
  const endpoint = dockerEndpointFromEnv();
  const ping = await pingDocker(endpoint);
  if (!ping?.ok) {
    throw new Error(`no Docker daemon answers at ${describeDockerEndpoint(endpoint)}: run the tests through scripts/test, which starts one`);
  }
}

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}
