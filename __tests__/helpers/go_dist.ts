import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface GoDist {
  /** The tarball: a trimmed copy of the local GOROOT, `go/` at its top like the official ones. */
  path: string;
  sha256: string;
  size: number;
  /** The local toolchain's version without "go", e.g. "1.26.8". */
  version: string;
  goos: string;
  goarch: string;
}

/** Where the tarball is kept between runs. */
export const GO_DIST_DIR = join(process.env.OCI_BUILD_TEST_CACHE ?? join(tmpdir(), 'oci-build-test-cache'), 'go-dist');

/**
 * A Go release tarball built from the Go installed on this machine, made once and reused.
 * Left out (a build needs none of it): go/test, go/doc, go/api, go/misc and every testdata
 * directory. Compressed with gzip -1.
 */
export async function goDistTarball(): Promise<GoDist> {
  const env = { ...process.env, GOTOOLCHAIN: 'local' };
  const { stdout } = await run('go', ['env', 'GOVERSION', 'GOROOT', 'GOHOSTOS', 'GOHOSTARCH'], { env });
  const [goversion, goroot, goos, goarch] = stdout.trim().split('\n').map((l) => l.trim()) as [string, string, string, string];
  const version = goversion.replace(/^go/, '').split(/\s+/)[0]!;
  const path = join(GO_DIST_DIR, `go${version}.${goos}-${goarch}.tar.gz`);
  const meta = `${path}.json`;
  if (existsSync(path) && existsSync(meta)) {
    const saved = JSON.parse(await readFile(meta, 'utf8')) as { sha256: string; size: number };
    if ((await stat(path)).size === saved.size) return { path, ...saved, version, goos, goarch };
  }
  await mkdir(GO_DIST_DIR, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const script =
      'set -o pipefail; tar -C "$1" -cf - --anchored --exclude=go/test --exclude=go/doc --exclude=go/api --exclude=go/misc ' +
      '--no-anchored --exclude=testdata go | gzip -1 > "$2"';
    await run('bash', ['-c', script, 'bash', dirname(goroot), tmp], { maxBuffer: 1 << 20 });
    const sha256 = await sha256File(tmp);
    const size = (await stat(tmp)).size;
    await rename(tmp, path);
    await writeFile(meta, JSON.stringify({ sha256, size }));
    return { path, sha256, size, version, goos, goarch };
  } finally {
    await rm(tmp, { force: true });
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface DistServer {
  /** http://127.0.0.1:PORT/dl */
  baseUrl: string;
  /** Paths (with query) requested so far. */
  requests: string[];
  /** Requests for archives (anything but the release list). */
  archiveRequests(): string[];
  close(): Promise<void>;
}

/**
 * Serves a Go download site on 127.0.0.1: `/dl/?mode=json&include=all` answers `manifest`,
 * `/dl/<filename>` streams `files[filename]`, anything else is a 404.
 */
export async function serveGoDist(manifest: unknown, files: Record<string, string>): Promise<DistServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push(url);
    const { pathname, searchParams } = new URL(url, 'http://x');
    if (pathname.replace(/\/$/, '') === '/dl' && searchParams.get('mode') === 'json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(manifest));
      return;
    }
    const file = pathname.startsWith('/dl/') ? files[pathname.slice(4)] : undefined;
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    stat(file).then(
      (st) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': st.size });
        createReadStream(file).pipe(res);
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/dl`,
    requests,
    archiveRequests: () => requests.filter((r) => !r.includes('mode=json')),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
