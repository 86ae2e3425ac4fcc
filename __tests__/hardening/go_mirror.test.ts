// Issue 15 point 7: a hostile Go download mirror on loopback. Its release list names archives
// whose file names would reach the file system (`../`, absolute paths, a version that is a path);
// each is refused with a one-line error before any archive is requested, and nothing is written
// outside RUNNER_TEMP (nor left in it, nor put in the tool cache).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setupGo } from '../../src/go/install.ts';

const OS = 'linux';
const ARCH = 'amd64';

const root = mkdtempSync(join(tmpdir(), 'go-mirror-'));
const toolCache = join(root, 'tool-cache');
const runnerTemp = join(root, 'runner-temp');
const saved = { RUNNER_TOOL_CACHE: process.env.RUNNER_TOOL_CACHE, RUNNER_TEMP: process.env.RUNNER_TEMP };

/** Every path under `dir`, relative to it. */
function listing(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((p) => relative(dir, join(dir, p))).sort();
}

interface Mirror {
  baseUrl: string;
  requests: string[];
  close(): Promise<void>;
}

/** Answers the release list with `manifest`, and 200 with a few bytes for ANY other path. */
async function hostileMirror(manifest: unknown): Promise<Mirror> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if ((req.url ?? '').includes('mode=json')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(manifest));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '9' });
    res.end('not a go\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dl`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function release(version: string, filename: string, extra: Record<string, unknown> = {}) {
  return {
    version,
    stable: true,
    files: [{ filename, os: OS, arch: ARCH, version, sha256: 'ab'.repeat(32), size: 9, kind: 'archive', ...extra }],
  };
}

const HOSTILE: Array<{ name: string; manifest: unknown; message: RegExp }> = [
  {
    name: 'parent directories in the file name',
    manifest: [release('go1.99.1', '../../escape/go1.99.1.linux-amd64.tar.gz')],
    message: /^the Go release list names the linux-amd64 archive of go1\.99\.1 "\.\.\/\.\.\/escape\/go1\.99\.1\.linux-amd64\.tar\.gz", expected "go1\.99\.1\.linux-amd64\.tar\.gz"$/,
  },
  {
    name: 'an absolute file name',
    manifest: [release('go1.99.1', `${root}/escape/go1.99.1.linux-amd64.tar.gz`)],
    message: /^the Go release list names the linux-amd64 archive of go1\.99\.1 ".*", expected "go1\.99\.1\.linux-amd64\.tar\.gz"$/,
  },
  {
    name: 'the right name followed by ../',
    manifest: [release('go1.99.1', 'go1.99.1.linux-amd64.tar.gz/../../../escape/x.tar.gz')],
    message: /^the Go release list names the linux-amd64 archive of go1\.99\.1 ".*", expected "go1\.99\.1\.linux-amd64\.tar\.gz"$/,
  },
  {
    name: 'another archive name',
    manifest: [release('go1.99.1', 'evil.tar.gz')],
    message: /^the Go release list names the linux-amd64 archive of go1\.99\.1 "evil\.tar\.gz", expected "go1\.99\.1\.linux-amd64\.tar\.gz"$/,
  },
  {
    name: 'a newline and a backslash in the name',
    manifest: [release('go1.99.1', '..\\..\\x\n.tar.gz')],
    message: /^the Go release list names the linux-amd64 archive of go1\.99\.1 "\.\.\\\\\.\.\\\\x\\n\.tar\.gz", expected/,
  },
  {
    name: 'a version that is a path (the file name matches it)',
    manifest: [release('go1.99.1/../../../escape/x', 'go1.99.1/../../../escape/x.linux-amd64.tar.gz')],
    // matchGoVersion does not take "go1.99.1/../…" as a version, so nothing matches at all.
    message: /^go-version "1\.99": no Go release matches/,
  },
  {
    name: 'a checksum that is not hex',
    manifest: [release('go1.99.1', 'go1.99.1.linux-amd64.tar.gz', { sha256: '../../x' })],
    message: /^the Go release list gives go1\.99\.1\.linux-amd64\.tar\.gz the checksum "\.\.\/\.\.\/x", which is not sha256 hex$/,
  },
];

describe('a hostile Go download mirror', { timeout: 60_000 }, () => {
  before(() => {
    mkdirSync(runnerTemp, { recursive: true });
    mkdirSync(toolCache, { recursive: true });
    process.env.RUNNER_TOOL_CACHE = toolCache;
    process.env.RUNNER_TEMP = runnerTemp;
  });
  after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('beyond the issue: an endless release list is cut at 64 MiB', async () => {
    let written = 0;
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const piece = Buffer.from(`${JSON.stringify(release('go1.1', 'go1.1.linux-amd64.tar.gz'))},`.repeat(512));
      let closed = false;
      res.on('close', () => (closed = true));
      res.write('[');
      const pump = (): void => {
        while (!closed && written < 512 * 1024 * 1024) {
          written += piece.length;
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      req.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dl`;
    try {
      await assert.rejects(
        setupGo({ version: 'stable', baseUrl, env: { PATH: '/nonexistent' }, arch: ARCH, platform: OS, log: () => {}, warn: () => {} }),
        { message: `cannot fetch the Go release list ${baseUrl}/?mode=json&include=all: the answer is larger than 64 MiB` },
      );
      assert.ok(written < 128 * 1024 * 1024, `the mirror got to send ${written} bytes`);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  for (const c of HOSTILE) {
    it(`refuses ${c.name}, requests no archive and writes nothing`, async () => {
      const mirror = await hostileMirror(c.manifest);
      try {
        await assert.rejects(
          setupGo({ version: '1.99', baseUrl: mirror.baseUrl, env: { PATH: '/nonexistent' }, arch: ARCH, platform: OS, log: () => {}, warn: () => {} }),
          (err: Error) => {
            assert.ok(!err.message.includes('\n'), `one line: ${JSON.stringify(err.message)}`);
            assert.match(err.message, c.message);
            return true;
          },
        );
        assert.deepEqual(mirror.requests.filter((r) => !r.includes('mode=json')), [], 'no archive requested');
        assert.deepEqual(listing(root), ['runner-temp', 'tool-cache'], 'nothing written beside RUNNER_TEMP');
        assert.deepEqual(listing(runnerTemp), [], 'nothing left in RUNNER_TEMP');
        assert.deepEqual(listing(toolCache), [], 'nothing in the tool cache');
        assert.ok(!existsSync(join(root, 'escape')));
      } finally {
        await mirror.close();
      }
    });
  }
});
