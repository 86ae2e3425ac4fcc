import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { GoSetupOptions } from '../../src/go/install.ts';
import { setupGo } from '../../src/go/install.ts';
import type { DistServer, GoDist } from '../helpers/go_dist.ts';
import { goDistTarball, serveGoDist } from '../helpers/go_dist.ts';

const run = promisify(execFile);

// @actions/tool-cache v4 reads RUNNER_TOOL_CACHE and RUNNER_TEMP from process.env on every call
// (not at import), so setting them in before() is enough.
const root = mkdtempSync(join(tmpdir(), 'setup-go-test-'));
const toolCache = join(root, 'tool-cache');
const runnerTemp = join(root, 'runner-temp');
const saved = { RUNNER_TOOL_CACHE: process.env.RUNNER_TOOL_CACHE, RUNNER_TEMP: process.env.RUNNER_TEMP };

let dist: GoDist;
let server: DistServer;
/** The tool cache names architectures the way Node (and setup-go) do. */
let cacheArch: string;
/** The Go on this machine, for the "already on PATH" cases. */
let localGoroot: string;

const NO_GO_ENV: NodeJS.ProcessEnv = { PATH: '/nonexistent' };

function archive(version: string, sha256: string, goos = dist.goos, goarch = dist.goarch) {
  return {
    filename: `go${version}.${goos}-${goarch}.tar.gz`,
    os: goos,
    arch: goarch,
    version: `go${version}`,
    sha256,
    size: dist.size,
    kind: 'archive',
  };
}

function options(extra: Partial<GoSetupOptions>): GoSetupOptions & { logs: string[]; warnings: string[] } {
  const logs: string[] = [];
  const warnings: string[] = [];
  return {
    baseUrl: server.baseUrl,
    env: NO_GO_ENV,
    arch: dist.goarch,
    platform: dist.goos,
    log: (m) => logs.push(m),
    warn: (m) => warnings.push(m),
    logs,
    warnings,
    ...extra,
  };
}

function cachedVersions(): string[] {
  const dir = join(toolCache, 'go');
  return existsSync(dir) ? readdirSync(dir).filter((n) => !n.endsWith('.complete')).sort() : [];
}

async function rejectsOneLine(p: Promise<unknown>, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (err: Error) => {
    assert.ok(!err.message.includes('\n'), `one line: ${err.message}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

describe('setupGo', { timeout: 180_000 }, () => {
  before(async () => {
    process.env.RUNNER_TOOL_CACHE = toolCache;
    process.env.RUNNER_TEMP = runnerTemp;
    dist = await goDistTarball();
    cacheArch = dist.goarch === 'amd64' ? 'x64' : dist.goarch;
    localGoroot = (await run('go', ['env', 'GOROOT'], { env: { ...process.env, GOTOOLCHAIN: 'local' } })).stdout.trim();
    const [major, minor] = dist.version.split('.');
    assert.equal(`${major}.${minor}`, '1.26', 'the fixture versions below assume the local Go is 1.26.x');
    const bad = '0'.repeat(64);
    const manifest = [
      { version: 'go1.27rc1', stable: false, files: [archive('1.27rc1', dist.sha256)] },
      {
        version: 'go1.26.8',
        stable: true,
        files: [
          { ...archive('1.26.8', dist.sha256), filename: 'go1.26.8.src.tar.gz', os: '', arch: '', kind: 'source' },
          archive('1.26.8', bad, 'darwin', 'arm64'),
          archive('1.26.8', dist.sha256),
        ],
      },
      { version: 'go1.26.7', stable: true, files: [archive('1.26.7', dist.sha256)] },
      { version: 'go1.25.9', stable: true, files: [archive('1.25.9', bad)] },
      { version: 'go1.25.8', stable: true, files: [archive('1.25.8', dist.sha256)] },
      { version: 'go1.24.5', stable: true, files: [archive('1.24.5', dist.sha256, 'darwin', 'arm64')] },
    ];
    const suffix = `${dist.goos}-${dist.goarch}.tar.gz`;
    // go1.25.8 is listed but not served: a 404.
    server = await serveGoDist(manifest, {
      [`go1.27rc1.${suffix}`]: dist.path,
      [`go1.26.8.${suffix}`]: dist.path,
      [`go1.26.7.${suffix}`]: dist.path,
      [`go1.25.9.${suffix}`]: dist.path,
    });
  });

  after(async () => {
    await server?.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('does nothing without a version or version file', async () => {
    assert.equal(await setupGo(options({})), undefined);
    assert.deepEqual(server.requests, []);
  });

  it('"1.26" downloads the newest 1.26.x from the release list, verifies and caches it', async () => {
    const t0 = Date.now();
    const opts = options({ version: '1.26' });
    const got = await setupGo(opts);
    const goroot = join(toolCache, 'go', '1.26.8', cacheArch);
    assert.deepEqual(got, { goroot, goBinary: join(goroot, 'bin', 'go'), version: '1.26.8', source: 'download' });
    assert.deepEqual(server.archiveRequests(), [`/dl/go1.26.8.${dist.goos}-${dist.goarch}.tar.gz`]);
    assert.ok(existsSync(`${goroot}.complete`));
    const { stdout } = await run(got!.goBinary, ['version'], { env: { PATH: '/usr/bin:/bin', GOTOOLCHAIN: 'local' } });
    assert.match(stdout, new RegExp(`^go version go${dist.version.replaceAll('.', '\\.')} ${dist.goos}/${dist.goarch}`));
    assert.deepEqual(readdirSync(runnerTemp), [], 'the download and extraction are cleaned up');
    console.log(`# download + verify + extract + cache: ${Date.now() - t0} ms`);
  });

  it('a second call finds it in the tool cache without any request', async () => {
    const before = server.requests.length;
    const got = await setupGo(options({ version: '1.26.x' }));
    assert.equal(got?.source, 'tool-cache');
    assert.equal(got?.version, '1.26.8');
    assert.equal(got?.goroot, join(toolCache, 'go', '1.26.8', cacheArch));
    assert.equal(server.requests.length, before);
  });

  it('go-version-file: go.mod\'s toolchain line wins; a PATH go of another version is not used', async () => {
    const dir = mkdtempSync(join(root, 'mod-'));
    const gomod = join(dir, 'go.mod');
    writeFileSync(gomod, 'module example.com/app\n\ngo 1.25\n\ntoolchain go1.26.7\n');
    const opts = options({ versionFile: gomod, env: { ...process.env, GO: '' } });
    const got = await setupGo(opts);
    const goroot = join(toolCache, 'go', '1.26.7', cacheArch);
    assert.deepEqual(got, { goroot, goBinary: join(goroot, 'bin', 'go'), version: '1.26.7', source: 'download' });
    assert.ok(
      opts.logs.some((l) => l.includes(`Go ${dist.version} on PATH does not satisfy go-version "1.26.7" (from ${gomod})`)),
      opts.logs.join('\n'),
    );
    assert.deepEqual(server.archiveRequests().at(-1), `/dl/go1.26.7.${dist.goos}-${dist.goarch}.tar.gz`);
    assert.deepEqual(cachedVersions(), ['1.26.7', '1.26.8']);
  });

  it('a go on PATH that satisfies the spec is used without any request', async () => {
    const before = server.requests.length;
    const opts = options({ version: '^1.26', versionFile: join(root, 'ignored', 'go.mod'), env: { ...process.env, GO: '' } });
    const got = await setupGo(opts);
    assert.deepEqual(got, {
      goroot: localGoroot,
      goBinary: join(localGoroot, 'bin', 'go'),
      version: dist.version,
      source: 'path',
    });
    assert.deepEqual(opts.warnings, ['Both go-version and go-version-file are set; using go-version']);
    assert.equal(server.requests.length, before);
  });

  it('check-latest and stable resolve against the release list, then use the tool cache', async () => {
    for (const extra of [{ version: '>=1.26.0 <1.27', checkLatest: true }, { version: 'stable' }]) {
      const archives = server.archiveRequests().length;
      const lists = server.requests.length - archives;
      const opts = options(extra);
      const got = await setupGo(opts);
      assert.equal(got?.source, 'tool-cache');
      assert.equal(got?.version, '1.26.8');
      assert.equal(server.requests.length - server.archiveRequests().length, lists + 1, 'one release-list request');
      assert.equal(server.archiveRequests().length, archives, 'no archive request');
    }
    // check-latest is best effort (as in setup-go): without the release list, the tool cache still serves.
    const manifestUrl = `${server.baseUrl}/missing.json`;
    const opts = options({ version: '1.26.x', checkLatest: true, manifestUrl });
    const got = await setupGo(opts);
    assert.equal(got?.source, 'tool-cache');
    assert.deepEqual(opts.warnings, [
      `check-latest: cannot fetch the Go release list ${manifestUrl}: 404; looking for go-version "1.26.x" on PATH and in the tool cache`,
    ]);
    await rejectsOneLine(setupGo(options({ version: 'oldstable', manifestUrl })), `cannot fetch the Go release list ${manifestUrl}: 404`);
  });

  it('a checksum mismatch is an error and nothing is cached', async () => {
    const url = `${server.baseUrl}/go1.25.9.${dist.goos}-${dist.goarch}.tar.gz`;
    await rejectsOneLine(
      setupGo(options({ version: '1.25.9' })),
      `checksum mismatch for ${url}: the release list says sha256 ${'0'.repeat(64)}, the download is ${dist.sha256}`,
    );
    assert.equal(server.archiveRequests().at(-1), new URL(url).pathname);
    assert.deepEqual(cachedVersions(), ['1.26.7', '1.26.8']);
    assert.deepEqual(readdirSync(runnerTemp), []);
  });

  it('a 404 is an error', async () => {
    const url = `${server.baseUrl}/go1.25.8.${dist.goos}-${dist.goarch}.tar.gz`;
    await rejectsOneLine(setupGo(options({ version: '1.25.8' })), `cannot download ${url}: 404`);
    assert.deepEqual(cachedVersions(), ['1.26.7', '1.26.8']);
  });

  it('no matching release is an error naming the newest', async () => {
    await rejectsOneLine(setupGo(options({ version: '1.99' })), 'go-version "1.99": no Go release matches (newest is 1.26.8)');
    // Prereleases only when asked for.
    await rejectsOneLine(setupGo(options({ version: '1.27' })), 'go-version "1.27": no Go release matches (newest is 1.26.8)');
    await rejectsOneLine(
      setupGo(options({ version: '1.24' })),
      `go-version "1.24": Go 1.24.5 has no ${dist.goos}-${dist.goarch}.tar.gz archive`,
    );
  });

  it('bad specs, an unreachable release list and a missing tool cache are one-line errors', async () => {
    await rejectsOneLine(setupGo(options({ version: 'banana' })), /^go-version "banana": "banana" is not a Go version or range/);
    const manifestUrl = `${server.baseUrl}/missing.json`;
    await rejectsOneLine(setupGo(options({ version: '1.23', manifestUrl })), `cannot fetch the Go release list ${manifestUrl}: 404`);
    delete process.env.RUNNER_TOOL_CACHE;
    try {
      await rejectsOneLine(
        setupGo(options({ version: '1.26.7' })),
        'cannot install Go 1.26.7: RUNNER_TOOL_CACHE is not set (it names the tool cache directory)',
      );
    } finally {
      process.env.RUNNER_TOOL_CACHE = toolCache;
    }
  });
});
