// Runs one bad-input case through the CLI (`node src/cli.ts build|run -C <root> ...`).
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { runCommand } from '../helpers/run.ts';
import type { BadCase } from './corpus.ts';
import { tempDirSync } from '../helpers/tmp.ts';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli.ts');

export interface CaseResult {
  code: number;
  /** The text after `oci-build: error: ` (to the end of stderr for a multi-line message). */
  message: string;
  stdout: string;
  stderr: string;
  root: string;
  registry?: string;
  /** Requests the garbage registry saw, as `METHOD path`. */
  requests: string[];
  /** Files under the output directory's blob store. */
  blobs: string[];
}

export function makeWorkspace(files: Record<string, string>, symlinks: Record<string, string> = {}): string {
  const root = tempDirSync('hardening-');
  writeFileSync(join(root, 'MODULE.bazel'), 'module(name = "t")\n');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  for (const [path, target] of Object.entries(symlinks)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    symlinkSync(target, join(root, path));
  }
  return root;
}

/** A loopback "registry" answering nonsense to everything; records what it was asked. */
export async function startGarbageRegistry(mode: NonNullable<BadCase['garbage']>): Promise<{ host: string; requests: string[]; stop(): Promise<void> }> {
  const requests: string[] = [];
  let host = '';
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      switch (mode) {
        case 'json':
          res.writeHead(200, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' });
          res.end('{"repositories": [1, 2, {"oops": ');
          return;
        case 'html':
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end('<!doctype html><html><body><h1>Welcome to nginx!</h1></body></html>');
          return;
        case 'token-json':
          if ((req.url ?? '').startsWith('/token')) {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"token": 42, "expires_in": "soon"}');
            return;
          }
          res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Bearer realm="http://${host}/token",service="garbage"` });
          res.end('{"errors": "not a list"}');
          return;
        case 'empty-200':
          res.writeHead(200, { 'content-length': '0' });
          res.end();
          return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

export async function runCase(c: BadCase): Promise<CaseResult> {
  const garbage = c.garbage ? await startGarbageRegistry(c.garbage) : undefined;
  try {
    const sub = (s: string) => s.replaceAll('{registry}', garbage?.host ?? '{registry}');
    const files = Object.fromEntries(Object.entries(c.files).map(([k, v]) => [k, sub(v)]));
    const root = makeWorkspace(files, c.symlinks);
    const args = c.args.map((a) => sub(a).replaceAll('{root}', root));
    const env = { ...process.env, ...Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, sub(v)])) };
    delete env.OCI_BUILD_DEBUG;
    const res = await runCommand(process.execPath, [cli, c.command ?? 'build', '-C', root, ...args], { env });
    const at = res.stderr.indexOf('oci-build: error: ');
    let message = at < 0 ? '' : res.stderr.slice(at + 'oci-build: error: '.length);
    if (!c.multiline) message = message.split('\n')[0] ?? '';
    else message = message.trimEnd();
    const result: CaseResult = {
      code: res.code,
      message,
      stdout: res.stdout,
      stderr: res.stderr,
      root,
      requests: garbage?.requests ?? [],
      blobs: listFiles(join(root, '.oci-build', 'store', 'blobs')),
    };
    if (garbage) result.registry = garbage.host;
    return result;
  } finally {
    await garbage?.stop();
  }
}
