// Issue 15, point 4 (registry side): sizes are bounded where a registry decides them. A config
// claimed at 1.5 GB is refused before a byte is fetched; a body longer than its descriptor is cut
// off as it streams to disk (bounded RSS, no temporary file left); a manifest whose layer count
// differs from its config's diff_ids is refused; token responses and error bodies are capped; a
// registry that goes silent on an open response is a retryable failure after the idle timeout.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { resolveImage } from '../../src/registry/pull.ts';
import { Transport, isRetryableError } from '../../src/registry/transport.ts';
import { Readable } from 'node:stream';
import { MAX_CONFIG_BYTES, MAX_TOKEN_RESPONSE_BYTES } from '../../src/registry/limits.ts';
import { digestOf, endless, fakeImage, hostImage, serve, stall, startHostile, type HostileServer } from './hostile.ts';

const GB_1_5 = 1_500_000_000;
const FAST = { attempts: 2, minDelayMs: 1, maxDelayMs: 5, idleTimeoutMs: 1000 };

let work: string;
const servers: HostileServer[] = [];
before(() => {
  work = mkdtempSync(join(tmpdir(), 'registry-caps-'));
});
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  if (work) rmSync(work, { recursive: true, force: true });
});

async function registry(): Promise<HostileServer> {
  const s = await startHostile();
  servers.push(s);
  return s;
}

function leftovers(store: BlobStore): string[] {
  const out: string[] = [];
  for (const dir of ['tmp', 'blobs']) {
    const d = join(store.root, dir);
    if (existsSync(d)) out.push(...readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)));
  }
  return out;
}

describe('caps on what a registry sends', () => {
  test('a config claimed at 1.5 GB (descriptor and Content-Length) is refused before it is fetched', async () => {
    const reg = await registry();
    const img = fakeImage();
    const fake = digestOf('a 1.5 GB config we never read');
    (img.manifest.config as { digest: string; size: number }).digest = fake;
    (img.manifest.config as { digest: string; size: number }).size = GB_1_5;
    const d = hostImage(reg, 'big', img);
    reg.routes.set(`/v2/big/blobs/${fake}`, endless(reg, GB_1_5));
    const client = new RegistryClient(reg.host, { retry: FAST });
    const store = new BlobStore(join(work, 'store-big'));
    try {
      await assert.rejects(resolveImage(client, 'big', d, 'linux/amd64', { store }), (err: Error) => {
        assert.equal(
          err.message,
          `${reg.host}/big@${d}: config ${fake} is ${GB_1_5} bytes, more than the 8 MiB allowed for an image config`,
        );
        return true;
      });
      assert.equal(reg.requests.filter((r) => r.path.includes('/blobs/')).length, 0, 'the config was never asked for');
      assert.equal(reg.bytesSent, 0);
      // Only the manifest (which we asked for by digest) is in the store.
      assert.deepEqual(leftovers(store).map((f) => f.slice(store.root.length)), [`/blobs/sha256/${d.slice(7)}`]);
    } finally {
      await client.close();
    }
  });

  test('a config that streams past its descriptor is cut off there: bounded RSS, nothing left on disk', async () => {
    const reg = await registry();
    const img = fakeImage();
    const claimed = 4 << 20; // under the cap; the server then streams without end (chunked)
    const fake = digestOf('never matches');
    (img.manifest.config as { digest: string; size: number }).digest = fake;
    (img.manifest.config as { digest: string; size: number }).size = claimed;
    const d = hostImage(reg, 'liar', img);
    reg.routes.set(`/v2/liar/blobs/${fake}`, endless(reg));
    const client = new RegistryClient(reg.host, { retry: FAST });
    const store = new BlobStore(join(work, 'store-liar'));
    const rssBefore = process.memoryUsage().rss;
    try {
      await assert.rejects(resolveImage(client, 'liar', d, 'linux/amd64', { store }), (err: Error) => {
        assert.equal(err.message, `blob ${fake} from ${reg.host}/liar: content mismatch: expected ${fake} (${claimed} bytes), got more than ${claimed} bytes`);
        return true;
      });
      const grew = process.memoryUsage().rss - rssBefore;
      assert.ok(grew < 200 << 20, `RSS grew by ${grew} bytes`);
      assert.ok(reg.bytesSent < 64 << 20, `the client stopped reading (server sent ${reg.bytesSent} bytes)`);
      assert.deepEqual(leftovers(store).filter((f) => !f.endsWith(d.slice(7))), [], 'no temporary file, no config blob');
    } finally {
      await client.close();
    }
  });

  test('a blob whose Content-Length disagrees with its descriptor is refused without reading it', async () => {
    const reg = await registry();
    const blob = digestOf('x');
    reg.routes.set('/v2/', (_q, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    reg.routes.set(`/v2/app/blobs/${blob}`, endless(reg, GB_1_5));
    const client = new RegistryClient(reg.host, { retry: FAST });
    const store = new BlobStore(join(work, 'store-cl'));
    try {
      await assert.rejects(client.getBlob('app', blob, store, 1), { message: `blob ${blob} in ${reg.host}/app: registry reports ${GB_1_5} bytes, expected 1` });
      assert.deepEqual(leftovers(store), []);
    } finally {
      await client.close();
    }
  });

  test('a manifest whose layer count differs from its config\'s diff_ids is refused', async () => {
    const reg = await registry();
    const img = fakeImage();
    const layers = img.manifest.layers as unknown[];
    layers.push({ ...(layers[0] as object) });
    const d = hostImage(reg, 'mismatch', img);
    const client = new RegistryClient(reg.host, { retry: FAST });
    try {
      await assert.rejects(resolveImage(client, 'mismatch', d, 'linux/amd64', { store: new BlobStore(join(work, 'store-mm')) }), {
        message: `${reg.host}/mismatch@${d}: config ${(img.manifest.config as { digest: string }).digest}: the manifest has 2 layer(s) but its config lists 1 diff_id(s)`,
      });
    } finally {
      await client.close();
    }
  });

  test('a manifest body that stalls is fetched again after the idle timeout', async () => {
    const reg = await registry();
    const img = fakeImage();
    const d = hostImage(reg, 'stall', img);
    const bytes = Buffer.from(JSON.stringify(img.manifest));
    const honest = serve(bytes, String(img.manifest.mediaType));
    const stalled = stall(bytes, 10, String(img.manifest.mediaType));
    reg.routes.set(`/v2/stall/manifests/v1`, (req, res, hit) => (hit === 1 ? stalled(req, res, hit) : honest(req, res, hit)));
    const logs: string[] = [];
    const client = new RegistryClient(reg.host, { retry: FAST, log: (m) => logs.push(m) });
    const started = Date.now();
    try {
      const got = await client.getManifest('stall', 'v1');
      assert.equal(got.digest, d);
      assert.equal(reg.requests.filter((r) => r.path === '/v2/stall/manifests/v1').length, 2);
      const took = Date.now() - started;
      assert.ok(took >= 900 && took < 10_000, `took ${took} ms`);
      assert.ok(logs.some((l) => /the registry sent nothing for 1s, retrying/.test(l)), logs.join('\n'));
    } finally {
      await client.close();
    }
  });

  test('a blob body that always stalls fails as retryable after its attempts, naming the silence; nothing left on disk', async () => {
    const reg = await registry();
    const blob = Buffer.alloc(4096, 7);
    const d = digestOf(blob);
    reg.routes.set('/v2/', (_q, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    reg.routes.set(`/v2/app/blobs/${d}`, stall(blob, 100));
    const client = new RegistryClient(reg.host, { retry: FAST });
    const store = new BlobStore(join(work, 'store-stall'));
    try {
      await assert.rejects(client.getBlob('app', d, store, blob.length), {
        message: `blob ${d} from ${reg.host}/app: the registry sent nothing for 1s (after 2 attempt(s))`,
      });
      assert.equal(reg.requests.filter((r) => r.path.includes('/blobs/')).length, 2);
      assert.deepEqual(leftovers(store), []);
    } finally {
      await client.close();
    }
  });

  test('a token response past the cap is refused; an endless error body is read only up to its cap', async () => {
    const reg = await registry();
    const tokens = await registry();
    reg.routes.set('/v2/app/manifests/v1', (_q, res) => void res.writeHead(401, { 'www-authenticate': `Bearer realm="${tokens.url}/token",service="s"` }).end());
    tokens.routes.set('/token', endless(tokens));
    const client = new RegistryClient(reg.host, { retry: FAST });
    try {
      await assert.rejects(client.getManifest('app', 'v1'), (err: Error) => {
        assert.equal(err.message, `${reg.host}: token service ${tokens.url}/token: response from ${tokens.url}/token is larger than ${MAX_TOKEN_RESPONSE_BYTES} bytes`);
        return true;
      });
      assert.ok(tokens.bytesSent < 64 << 20, `token server sent ${tokens.bytesSent}`);

    } finally {
      await client.close();
    }
    const plain = await registry();
    plain.routes.set('/v2/app/manifests/v2', endlessError(plain));
    const other = new RegistryClient(plain.host, { retry: FAST });
    try {
      await assert.rejects(other.getManifest('app', 'v2'), (err: Error) => err.message.startsWith(`GET ${plain.url}/v2/app/manifests/v2: 400 `) && err.message.length < 400);
      assert.ok(plain.bytesSent < 64 << 20, `error body read: server sent ${plain.bytesSent}`);
    } finally {
      await other.close();
    }
  });

  test('an upload that keeps moving outlasts the idle timeout; one the registry never answers fails after it', async () => {
    const reg = await registry();
    // Reads 128 KiB every 50 ms: about 3 s for 8 MiB, well past a 2 s idle timeout.
    reg.routes.set('/slow', (req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
        req.pause();
        setTimeout(() => req.resume(), 50);
      });
      req.on('end', () => void res.writeHead(201).end(String(n)));
    });
    reg.routes.set('/deaf', () => {
      // Takes the bytes (kernel buffers), never answers.
    });
    const transport = new Transport({ retry: { attempts: 1, idleTimeoutMs: 2000, uploadResponseTimeoutMs: 20_000 } });
    const impatient = new Transport({ retry: { attempts: 1, idleTimeoutMs: 2000, uploadResponseTimeoutMs: 1500 } });
    const size = 8 << 20;
    const body = () => Readable.from((function* () {
      for (let i = 0; i < size / (128 << 10); i++) yield Buffer.alloc(128 << 10);
    })());
    try {
      const started = Date.now();
      const res = await transport.request({ method: 'PUT', url: `${reg.url}/slow`, body, contentLength: size, retry: false });
      assert.equal(res.status, 201);
      assert.equal(await res.text(), String(size));
      assert.ok(Date.now() - started > 2000, 'the upload took longer than the idle timeout');

      const small = 2 << 20;
      await assert.rejects(
        impatient.request({ method: 'PUT', url: `${reg.url}/deaf`, body: new Uint8Array(small), retry: false }),
        (err: Error) => /OCI_IDLE_TIMEOUT: the registry sent no response after the upload for 1\.5s$/.test(err.message) && isRetryableError(err),
      );
    } finally {
      await transport.close();
      await impatient.close();
    }
  });

  test('manifest and config copies in the store (a restored cache) that do not hash to their names are fetched again', async () => {
    const reg = await registry();
    const img = fakeImage();
    const d = hostImage(reg, 'poisoned', img);
    const configDigest = digestOf(img.configBytes);
    const store = new BlobStore(join(work, 'store-poisoned'));
    const evilConfig = Buffer.from(JSON.stringify({ ...img.config, config: { Env: ['LD_PRELOAD=/evil.so'] } }).padEnd(img.configBytes.length, ' ').slice(0, img.configBytes.length));
    const evilManifest = Buffer.from('{"schemaVersion":2,"config":{},"layers":[]}');
    mkdirSync(join(store.root, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(store.path(configDigest), evilConfig);
    writeFileSync(store.path(d), evilManifest);
    const client = new RegistryClient(reg.host, { retry: FAST });
    try {
      const got = await resolveImage(client, 'poisoned', d, 'linux/amd64', { store });
      assert.deepEqual(got.config.config?.Env, ['PATH=/usr/bin']);
      assert.deepEqual(readFileSync(store.path(configDigest)), img.configBytes);
      assert.equal(readFileSync(store.path(d), 'utf8'), JSON.stringify(img.manifest));
    } finally {
      await client.close();
    }
  });

  test('the caps are what README states', () => {
    assert.equal(MAX_CONFIG_BYTES, 8 << 20);
    assert.equal(MAX_TOKEN_RESPONSE_BYTES, 1 << 20);
  });
});

/** A 400 whose body never ends. */
function endlessError(server: HostileServer) {
  const chunk = Buffer.alloc(64 * 1024, 'e'.charCodeAt(0));
  return (_req: unknown, res: import('node:http').ServerResponse) => {
    res.writeHead(400, { 'content-type': 'text/plain' });
    let stopped = false;
    res.on('close', () => {
      stopped = true;
    });
    const pump = (): void => {
      while (!stopped) {
        server.bytesSent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  };
}
