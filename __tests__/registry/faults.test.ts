// Faults between the client and a real registry, injected by a proxy: each ends in a complete
// image or a clear error with no tag.

import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { RegistryClient, type RegistryClientOptions } from '../../src/registry/client.ts';
import type { AuthConfig } from '../../src/registry/credentials.ts';
import { RegistryError, TransportError } from '../../src/registry/errors.ts';
import { pushImage } from '../../src/registry/push.ts';
import {
  USERS,
  makeImage,
  removeDir,
  skopeo,
  startFaultProxy,
  startRecordingServer,
  startRegistry,
  tempDir,
  type FaultProxy,
  type RecordingServer,
  type TestImage,
  type TestRegistry,
} from '../helpers/registry.ts';

let work: string;
let store: BlobStore;
let anon: TestRegistry;
let basic: TestRegistry;
let proxy: FaultProxy;
let basicProxy: FaultProxy;
let storage: RecordingServer;
const clients: RegistryClient[] = [];
const pusher: AuthConfig = { username: 'pusher', password: USERS.pusher! };

before(async () => {
  work = await tempDir('registry-faults-');
  store = new BlobStore(join(work, 'store'));
  [anon, basic] = await Promise.all([startRegistry({ mode: 'anonymous' }), startRegistry({ mode: 'htpasswd' })]);
  [proxy, basicProxy, storage] = await Promise.all([startFaultProxy(anon.port), startFaultProxy(basic.port), startRecordingServer()]);
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all([proxy.stop(), basicProxy.stop(), storage.stop()]);
  await Promise.all([anon.stop(), basic.stop()]);
  await removeDir(work);
});

beforeEach(() => {
  proxy.clear();
  basicProxy.clear();
});

function client(host: string, opts: RegistryClientOptions = {}, auth?: AuthConfig): RegistryClient {
  const c = new RegistryClient(host, {
    retry: { attempts: 5, minDelayMs: 20, maxDelayMs: 100 },
    ...(auth ? { credentials: async () => auth } : {}),
    ...opts,
  });
  clients.push(c);
  return c;
}

function msg(re: RegExp): (err: Error) => true {
  return (err: Error) => {
    assert.match(err.message, re);
    assert.ok(!err.message.includes('\n'), 'one line');
    return true;
  };
}

let counter = 0;
async function image(layerSize = 64 * 1024): Promise<TestImage> {
  counter++;
  return makeImage(store, {
    layers: [{ [`data-${counter}.bin`]: randomBytes(layerSize) }, { [`small-${counter}.txt`]: `small ${counter}\n` }],
  });
}

/** skopeo copies the image out (verifying every digest) and sees the manifest we pushed. */
async function assertComplete(reg: TestRegistry, ref: string, img: TestImage, creds?: AuthConfig): Promise<void> {
  const credArgs = creds ? ['--src-creds', `${creds.username}:${creds.password}`] : [];
  const dir = join(work, `check-${counter}-${Math.random().toString(36).slice(2)}`);
  const cp = await skopeo(['copy', '--dest-oci-accept-uncompressed-layers', '--src-tls-verify=false', ...credArgs, `docker://${reg.host}/${ref}`, `oci:${dir}:x`], work);
  assert.equal(cp.code, 0, `skopeo copy ${ref}: ${cp.stderr}`);
  const inspect = await skopeo(['inspect', '--raw', '--tls-verify=false', ...(creds ? ['--creds', `${creds.username}:${creds.password}`] : []), `docker://${reg.host}/${ref}`], work);
  assert.equal(inspect.stdout, img.manifestBytes.toString('utf8'));
}

async function assertNoTag(c: RegistryClient, repo: string, tag: string): Promise<void> {
  proxy.clear();
  assert.ok(!(await c.listTags(repo)).includes(tag), `tag ${tag} must not exist`);
  assert.equal(await c.headManifest(repo, tag), undefined);
}

describe('recoverable faults', () => {
  it('a connection reset in the middle of a blob upload starts a new upload', async () => {
    const img = await image(256 * 1024);
    proxy.add({ method: 'PUT', path: /\/blobs\/uploads\//, fault: { kind: 'reset-mid-upload' } });
    const r = await pushImage(client(proxy.host), store, 'reset', img.descriptor, ['latest']);
    assert.deepEqual(proxy.fired(), ['PUT reset-mid-upload']);
    assert.equal(r.uploaded, 3);
    assert.equal(proxy.log.filter((e) => e.method === 'POST').length, 4, 'one extra upload session');
    await assertComplete(anon, 'reset:latest', img);
  });

  it('500 and 503 on a manifest PUT are retried', async () => {
    const img = await image();
    // The image goes in under its tag in one PUT (the registry checks its blobs are there).
    proxy.add({ method: 'PUT', path: /\/manifests\/latest$/, fault: { kind: 'status', status: 500 } });
    proxy.add({ method: 'PUT', path: /\/manifests\/latest$/, fault: { kind: 'status', status: 503 } });
    proxy.add({ method: 'GET', path: /^\/v2\/$/, fault: { kind: 'reset' } });
    await pushImage(client(proxy.host), store, 'status', img.descriptor, ['latest']);
    assert.deepEqual(proxy.fired().sort(), ['GET reset', 'PUT status', 'PUT status']);
    await assertComplete(anon, 'status:latest', img);
  });

  it('429 with Retry-After is waited out', async () => {
    const img = await image();
    proxy.add({ method: 'POST', path: /\/blobs\/uploads\//, fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}' } });
    const started = Date.now();
    await pushImage(client(proxy.host, { concurrency: 1 }), store, 'ratelimit', img.descriptor, ['latest'], { concurrency: 1 });
    assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
    assert.deepEqual(proxy.fired(), ['POST status']);
    await assertComplete(anon, 'ratelimit:latest', img);
  });

  it('a response lost after a successful blob PUT is recognised by HEAD, not re-uploaded', async () => {
    const img = await image();
    proxy.add({ method: 'PUT', path: /\/blobs\/uploads\//, fault: { kind: 'drop-response' } });
    const r = await pushImage(client(proxy.host), store, 'dropped', img.descriptor, ['latest']);
    assert.deepEqual(proxy.fired(), ['PUT drop-response']);
    assert.equal(r.uploaded, 3);
    assert.equal(proxy.log.filter((e) => e.method === 'PUT' && e.path.includes('/blobs/uploads/')).length, 3, 'no blob sent twice');
    await assertComplete(anon, 'dropped:latest', img);
  });

  it('a response lost after a manifest PUT is retried', async () => {
    const img = await image();
    proxy.add({ method: 'PUT', path: /\/manifests\/latest$/, fault: { kind: 'drop-response' } });
    await pushImage(client(proxy.host), store, 'dropmanifest', img.descriptor, ['latest']);
    assert.deepEqual(proxy.fired(), ['PUT drop-response']);
    await assertComplete(anon, 'dropmanifest:latest', img);
  });

  it('uploads in PATCH chunks, and restarts a chunked upload cut mid-way', async () => {
    const img = await image(40 * 1024);
    const c = client(proxy.host, { chunkSize: 8 * 1024 });
    proxy.add({ method: 'PATCH', path: /\/blobs\/uploads\//, fault: { kind: 'reset-mid-upload', afterBytes: 1000 } });
    const r = await pushImage(c, store, 'chunked', img.descriptor, ['latest'], { concurrency: 1 });
    assert.equal(r.uploaded, 3);
    const patches = proxy.log.filter((e) => e.method === 'PATCH');
    assert.ok(patches.length >= 6, `expected several PATCH requests, saw ${patches.length}`);
    const puts = proxy.log.filter((e) => e.method === 'PUT' && e.path.includes('/blobs/uploads/'));
    assert.equal(puts.length, 3, 'one closing PUT per blob');
    await assertComplete(anon, 'chunked:latest', img);
  });
});

describe('unrecoverable faults', () => {
  it('a registry answering 503 on every manifest PUT is a clear error, and no tag is created', async () => {
    const img = await image();
    proxy.add({ method: 'PUT', path: /\/manifests\//, fault: { kind: 'status', status: 503 }, times: Infinity });
    const c = client(proxy.host, { retry: { attempts: 3, minDelayMs: 10, maxDelayMs: 20 } });
    await assert.rejects(pushImage(c, store, 'down', img.descriptor, ['latest']), (err: Error) => {
      assert.ok(err instanceof RegistryError);
      return msg(new RegExp(`^PUT http://${proxy.host}/v2/down/manifests/latest: 503 UNAVAILABLE: injected 503$`))(err);
    });
    assert.equal(proxy.fired().length, 3);
    await assertNoTag(c, 'down', 'latest');
  });

  it('connection resets on every blob upload are a clear error, and no tag is created', async () => {
    const img = await image();
    proxy.add({ method: 'PUT', path: /\/blobs\/uploads\//, fault: { kind: 'reset-mid-upload' }, times: Infinity });
    const c = client(proxy.host, { retry: { attempts: 2, minDelayMs: 10, maxDelayMs: 20 } });
    await assert.rejects(pushImage(c, store, 'resets', img.descriptor, ['latest']), (err: Error) => {
      assert.ok(err instanceof TransportError, String(err));
      return msg(new RegExp(`^PUT http://${proxy.host}/v2/resets/blobs/uploads/[^ ?]+: .*(ECONNRESET|EPIPE|other side closed|socket)`, 'i'))(err);
    });
    await assertNoTag(c, 'resets', 'latest');
  });

  it('a registry that is not there is a clear connection error', async () => {
    const c = client('127.0.0.1:1', { retry: { attempts: 2, minDelayMs: 5, maxDelayMs: 10 } });
    await assert.rejects(c.ping(), msg(/^GET http:\/\/127\.0\.0\.1:1\/v2\/: .*ECONNREFUSED.*\(after 2 attempts\)$/));
  });
});

describe('redirects', () => {
  it('blob GETs redirected to storage get no Authorization; same-host redirects keep it', async () => {
    const img = await image(8 * 1024);
    const c = client(basicProxy.host, {}, pusher);
    await pushImage(c, store, 'redir', img.descriptor, ['latest']);
    const layer = img.layers[0]!;
    storage.files.set(`/storage/${layer.digest}`, img.layerBytes[0]!);
    basicProxy.clear();
    basicProxy.add({ method: 'GET', path: new RegExp(`/blobs/${layer.digest}$`), fault: { kind: 'redirect', location: `${storage.url}/storage/${layer.digest}?sig=abc` } });
    const pulled = new BlobStore(join(work, 'redirect-pull'));
    const got = await c.getBlob('redir', layer.digest, pulled, layer.size);
    assert.deepEqual(got, { digest: layer.digest, size: layer.size });
    assert.ok(basicProxy.log[0]!.authorization, 'the registry itself got credentials');
    const hit = storage.requests.find((r) => r.path.startsWith(`/storage/${layer.digest}`));
    assert.ok(hit, 'storage was asked');
    assert.equal(hit.authorization, undefined, 'no Authorization to another host');

    // A relative Location on the same host keeps the Authorization header.
    const small = img.layers[1]!;
    basicProxy.clear();
    basicProxy.add({ method: 'GET', path: new RegExp(`/blobs/${small.digest}$`), fault: { kind: 'redirect', location: `/v2/redir/blobs/${small.digest}?again=1`, status: 302 } });
    await c.getBlob('redir', small.digest, pulled, small.size);
    assert.deepEqual(basicProxy.log.map((e) => [e.status, e.authorization]), [[302, true], [200, true]]);
  });

  it('a redirect to the wrong bytes fails verification and stores nothing', async () => {
    const img = await image(4 * 1024);
    const c = client(basicProxy.host, {}, pusher);
    await pushImage(c, store, 'redir-bad', img.descriptor, ['latest']);
    const layer = img.layers[0]!;
    const wrong = Buffer.from(img.layerBytes[0]!);
    wrong[600] = wrong[600]! ^ 0xff;
    storage.files.set(`/bad/${layer.digest}`, wrong);
    basicProxy.clear();
    basicProxy.add({ method: 'GET', path: new RegExp(`/blobs/${layer.digest}$`), fault: { kind: 'redirect', location: `${storage.url}/bad/${layer.digest}` } });
    const pulled = new BlobStore(join(work, 'redirect-bad'));
    await assert.rejects(c.getBlob('redir-bad', layer.digest, pulled, layer.size), msg(/content mismatch: expected sha256:[0-9a-f]{64} \(\d+ bytes\), got sha256:/));
    assert.equal(await pulled.has(layer.digest), undefined);
  });

  it('gives up after 5 redirects', async () => {
    const c = client(proxy.host);
    const d = `sha256:${'5'.repeat(64)}` as const;
    proxy.add({ method: 'GET', path: /\/blobs\/sha256:5+/, fault: { kind: 'redirect', location: `/v2/loop/blobs/${d}` }, times: Infinity });
    await assert.rejects(c.getBlob('loop', d, new BlobStore(join(work, 'loop'))), msg(/too many redirects/));
    assert.equal(proxy.log.length, 6);
  });
});
