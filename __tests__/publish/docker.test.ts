// loadImage against the real Docker daemon named by DOCKER_HOST (the test command runs
// `scripts/services start` and sources its env file first), plus fake-daemon tests for the
// HTTP edge cases. Without a reachable daemon the daemon tests FAIL, they never skip.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  DockerUnreachableError,
  describeDockerEndpoint,
  dockerEndpointFromEnv,
  inspectImage,
  loadImage,
  pingDocker,
  removeImage,
  type DockerEndpoint,
  type LoadImageInput,
} from '../../src/publish/docker.ts';
import { HELLO_TEXT, buildTestImage, execFileP, sha256, type TestImage } from './fixtures.ts';

const run = `${process.pid}-${Date.now().toString(36)}`;
let tmp: string;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'publish-docker-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The inspect answer of a daemon that does not have the image. */
function notLoadedYet(res: ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'application/json' });
  res.end('{"message":"No such image"}\n');
}

function inputFor(img: TestImage, repoTags: string[]): LoadImageInput {
  return { blobPath: img.blobPath, manifest: img.manifest, manifestJson: img.manifestJson, repoTags };
}

describe('dockerEndpointFromEnv', () => {
  it('defaults to /var/run/docker.sock', () => {
    assert.deepEqual(dockerEndpointFromEnv({}), { socketPath: '/var/run/docker.sock' });
    assert.deepEqual(dockerEndpointFromEnv({ DOCKER_HOST: '' }), { socketPath: '/var/run/docker.sock' });
  });
  it('reads unix://, tcp://, http(s)://', () => {
    assert.deepEqual(dockerEndpointFromEnv({ DOCKER_HOST: 'unix:///tmp/d.sock' }), { socketPath: '/tmp/d.sock' });
    assert.deepEqual(dockerEndpointFromEnv({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }), { url: 'http://127.0.0.1:2375' });
    assert.deepEqual(dockerEndpointFromEnv({ DOCKER_HOST: 'tcp://docker' }), { url: 'http://docker:2375' });
    assert.deepEqual(dockerEndpointFromEnv({ DOCKER_HOST: 'tcp://docker:2376', DOCKER_TLS_VERIFY: '1' }), {
      url: 'https://docker:2376',
    });
    assert.deepEqual(dockerEndpointFromEnv({ DOCKER_HOST: 'http://localhost:8080/' }), { url: 'http://localhost:8080' });
  });
  it('rejects unsupported schemes with one line', () => {
    assert.throws(() => dockerEndpointFromEnv({ DOCKER_HOST: 'ssh://me@host' }), /DOCKER_HOST=ssh:\/\/me@host: unsupported scheme ssh:/);
    assert.throws(() => dockerEndpointFromEnv({ DOCKER_HOST: 'unix://' }), /missing socket path/);
  });
  it('describes endpoints', () => {
    assert.equal(describeDockerEndpoint({ socketPath: '/x.sock' }), 'unix:///x.sock');
    assert.equal(describeDockerEndpoint({ url: 'http://h:1' }), 'http://h:1');
  });
});

describe('unreachable daemon', () => {
  it('gives one clear line for a missing socket', async () => {
    const sock = join(tmp, 'nothing-here.sock');
    const endpoint: DockerEndpoint = { socketPath: sock };
    assert.equal(await pingDocker(endpoint), undefined);
    const img = await buildTestImage(join(tmp, 'unreachable'));
    await assert.rejects(loadImage(endpoint, inputFor(img, ['unreachable:test'])), (err: unknown) => {
      assert.ok(err instanceof DockerUnreachableError);
      assert.equal(err.message, `cannot reach Docker at unix://${sock}: connect ENOENT ${sock}`);
      return true;
    });
    await assert.rejects(inspectImage(endpoint, 'x'), { message: `cannot reach Docker at unix://${sock}: connect ENOENT ${sock}` });
  });

  it('gives one clear line for a refused TCP connection', async () => {
    // Find a free port, then close it so nothing listens there.
    const srv = createNetServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const port = (srv.address() as AddressInfo).port;
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    const endpoint = dockerEndpointFromEnv({ DOCKER_HOST: `tcp://127.0.0.1:${port}` });
    assert.equal(await pingDocker(endpoint), undefined);
    await assert.rejects(inspectImage(endpoint, 'x'), {
      message: `cannot reach Docker at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
  });
});

/** A fake daemon on a unix socket: answers /_ping, hands other requests to `handler`. */
async function fakeDaemon(
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
): Promise<{ endpoint: DockerEndpoint; requests: string[]; close: () => Promise<void> }> {
  const sock = join(tmp, `fake-${Math.random().toString(36).slice(2)}.sock`);
  const requests: string[] = [];
  const server = createHttpServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/_ping') {
        res.writeHead(200, { 'API-Version': '1.43', 'Content-Type': 'text/plain' });
        res.end('OK');
        return;
      }
      handler(req, res, Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  return {
    endpoint: { socketPath: sock },
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('loadImage against a fake daemon', () => {
  it('validates tags before connecting at all', async () => {
    let connections = 0;
    const sock = join(tmp, 'count.sock');
    const srv = createNetServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((resolve) => srv.listen(sock, resolve));
    try {
      const img = await buildTestImage(join(tmp, 'badtag'));
      await assert.rejects(loadImage({ socketPath: sock }, inputFor(img, ['good:1', 'Not_Valid:tag'])), {
        message: 'invalid image tag "Not_Valid:tag": repository name must be lowercase',
      });
      await assert.rejects(loadImage({ socketPath: sock }, inputFor(img, ['ok', 'bad tag'])), {
        message: 'invalid image tag "bad tag": must not contain whitespace',
      });
      assert.equal(connections, 0);
    } finally {
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    }
  });

  it('streams the archive, negotiates the API version, and reads split in-band errors', async () => {
    let received = 0;
    const fake = await fakeDaemon((req, res, body) => {
      if (req.method === 'GET') return notLoadedYet(res);
      received = body.length;
      assert.equal(req.headers['content-type'], 'application/x-tar');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      // One progress message, then an error split across writes.
      res.write('{"stream":"Loading layer"}\r\n{"errorDe');
      setTimeout(() => {
        res.write('tail":{"message":"invalid diffID for layer 0: expected \\"sha256:a\\", got \\"sha256:b\\""},');
        res.end('"error":"invalid diffID for layer 0"}\r\n');
      }, 10);
    });
    try {
      const img = await buildTestImage(join(tmp, 'fake1'));
      const lines: string[] = [];
      await assert.rejects(loadImage(fake.endpoint, inputFor(img, ['fake:1']), (l) => lines.push(l)), {
        message: 'docker load failed: invalid diffID for layer 0: expected "sha256:a", got "sha256:b"',
      });
      assert.deepEqual(lines, ['Loading layer']);
      // The daemon is asked first whether it holds the image already (it does not).
      assert.deepEqual(fake.requests, ['GET /_ping', `GET /v1.43/images/${img.manifestJson.config.digest}/json`, 'POST /v1.43/images/load?quiet=1']);
      assert.ok(received > img.layerBytes.length, `archive of ${received} bytes received`);
    } finally {
      await fake.close();
    }
  });

  it('reports a non-200 answer with its status and message', async () => {
    const fake = await fakeDaemon((req, res) => {
      if (req.method === 'GET') return notLoadedYet(res);
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end('{"message":"write /var/lib/docker/tmp: no space left on device"}\n');
    });
    try {
      const img = await buildTestImage(join(tmp, 'fake2'));
      await assert.rejects(loadImage(fake.endpoint, inputFor(img, ['fake:2'])), {
        message: 'docker load failed: HTTP 500: write /var/lib/docker/tmp: no space left on device',
      });
    } finally {
      await fake.close();
    }
  });

  it('fails when the daemon says it loaded but the tag is missing', async () => {
    const fake = await fakeDaemon((req, res) => {
      if (req.method === 'POST') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"stream":"Loaded image: fake:3\\n"}\n');
      } else {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end('{"message":"No such image: fake:3"}\n');
      }
    });
    try {
      const img = await buildTestImage(join(tmp, 'fake3'));
      await assert.rejects(loadImage(fake.endpoint, inputFor(img, ['fake:3'])), /reported success but fake:3 is not in the image store/);
      assert.deepEqual(fake.requests.slice(-1), ['GET /v1.43/images/fake:3/json']);
    } finally {
      await fake.close();
    }
  });
});

describe('loadImage against the real daemon', () => {
  const endpoint = dockerEndpointFromEnv();
  const where = describeDockerEndpoint(endpoint);
  const toRemove: string[] = [];
  let apiVersion = '';
  let daemonCheck: Promise<void> | undefined;

  /** Every test here needs the daemon: without one, each FAILS with this message (never skips). */
  function requireDaemon(): Promise<void> {
    daemonCheck ??= (async () => {
      const ping = await pingDocker(endpoint);
      if (ping === undefined || !ping.ok) {
        throw new Error(
          `no Docker daemon answers at ${where} (DOCKER_HOST=${process.env.DOCKER_HOST ?? 'unset'}): ` +
            'run `scripts/services start` and `source ${OCI_BUILD_STATE:-/tmp/oci-build-services}/env` first',
        );
      }
      apiVersion = ping.apiVersion;
    })();
    return daemonCheck;
  }
  beforeEach(() => requireDaemon());

  after(async () => {
    for (const ref of toRemove) await removeImage(endpoint, ref, { force: true }).catch(() => false);
  });

  async function dockerRun(tag: string, ...args: string[]): Promise<string> {
    const { stdout } = await execFileP('docker', ['run', '--rm', '--network=none', tag, ...args], {
      env: { ...process.env, DOCKER_HOST: where },
      timeout: 120_000,
    });
    return stdout;
  }

  it('answers /_ping with an API version', () => {
    assert.match(apiVersion, /^1\.\d+$/);
  });

  for (const [flavor, gzip] of [
    ['oci', true],
    ['docker', false],
    ['oci', false],
    ['docker', true],
  ] as const) {
    it(`loads a ${flavor} image with a ${gzip ? 'gzip' : 'plain tar'} layer, and it runs`, async () => {
      const name = `oci-build-test/hello-${flavor}-${gzip ? 'gz' : 'tar'}`;
      const tags = [`${name}:${run}`, `localhost:5000/${name}:${run}`];
      toRemove.push(...tags);
      const img = await buildTestImage(join(tmp, `real-${flavor}-${gzip}`), { flavor, gzip, label: `${run}-${flavor}-${gzip}` });
      const lines: string[] = [];
      const result = await loadImage(endpoint, inputFor(img, tags), (l) => lines.push(l));
      assert.deepEqual(result.loaded, tags);
      assert.equal(result.imageId, img.manifestJson.config.digest);
      assert.ok(result.bytesSent > img.layerBytes.length);
      assert.ok(lines.some((l) => l === `Loaded image: ${tags[0]}`), lines.join('\n'));

      const info = await inspectImage(endpoint, tags[0]!);
      assert.ok(info !== undefined);
      assert.equal(info.Id, img.manifestJson.config.digest);
      assert.deepEqual([...info.RepoTags].sort(), [...tags].sort());

      assert.equal(await dockerRun(tags[0]!), `${HELLO_TEXT}\n`);
      assert.equal(await dockerRun(tags[1]!, 'x y'), `${HELLO_TEXT}\narg: x y\n`);
    });
  }

  it('loads again idempotently and retags', async () => {
    const tag = `oci-build-test/hello-again:${run}`;
    toRemove.push(tag);
    const img = await buildTestImage(join(tmp, 'again'), { label: `${run}-again` });
    const first = await loadImage(endpoint, inputFor(img, [tag]));
    const second = await loadImage(endpoint, inputFor(img, [tag]));
    assert.deepEqual(second.loaded, [tag]);
    assert.equal(first.imageId, second.imageId);
  });

  it('surfaces an error the daemon reports in-band (layer does not match diff_ids)', async () => {
    const tag = `oci-build-test/hello-corrupt:${run}`;
    toRemove.push(tag);
    const img = await buildTestImage(join(tmp, 'corrupt'), {
      label: `${run}-corrupt`,
      diffIds: [sha256(`not the layer ${run}`)],
    });
    await assert.rejects(loadImage(endpoint, inputFor(img, [tag])), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.match(err.message, /^docker load failed: .*(diffID|digest|mismatch)/i);
      assert.ok(!err.message.includes('\n'), err.message);
      return true;
    });
    assert.equal(await inspectImage(endpoint, tag), undefined);
  });

  it('inspectImage returns undefined for an unknown image', async () => {
    assert.equal(await inspectImage(endpoint, `oci-build-test/no-such-image:${run}`), undefined);
  });

  it('removeImage deletes tags and reports missing ones', async () => {
    const tag = `oci-build-test/hello-remove:${run}`;
    toRemove.push(tag);
    const img = await buildTestImage(join(tmp, 'remove'), { label: `${run}-remove` });
    await loadImage(endpoint, inputFor(img, [tag]));
    assert.equal(await removeImage(endpoint, tag), true);
    assert.equal(await inspectImage(endpoint, tag), undefined);
    assert.equal(await removeImage(endpoint, tag), false);
  });
});
