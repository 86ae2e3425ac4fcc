// Pushing and pulling against a real docker-registry in each auth mode, read back with skopeo.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from '../../src/oci/blobstore.ts';
import type { Digest } from '../../src/oci/types.ts';
import { RegistryClient, type RegistryClientOptions } from '../../src/registry/client.ts';
import { dockerCredentials, type AuthConfig } from '../../src/registry/credentials.ts';
import { RegistryAuthError } from '../../src/registry/errors.ts';
import { pushImage } from '../../src/registry/push.ts';
import { resolveImage } from '../../src/registry/pull.ts';
import {
  USERS,
  makeImage,
  makeIndex,
  removeDir,
  skopeo,
  startFaultProxy,
  startRegistry,
  tempDir,
  type AuthMode,
  type FaultProxy,
  type TestRegistry,
} from '../helpers/registry.ts';

let work: string;
let store: BlobStore;
const regs = {} as Record<AuthMode, TestRegistry>;
const clients: RegistryClient[] = [];
const proxies: FaultProxy[] = [];

before(async () => {
  work = await tempDir('registry-push-');
  store = new BlobStore(join(work, 'store'));
  const [a, h, t] = await Promise.all([
    startRegistry({ mode: 'anonymous' }),
    startRegistry({ mode: 'htpasswd' }),
    startRegistry({ mode: 'token' }),
  ]);
  regs.anonymous = a;
  regs.htpasswd = h;
  regs.token = t;
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(proxies.map((p) => p.stop()));
  await Promise.all(Object.values(regs).map((r) => r.stop()));
  await removeDir(work);
});

/** assert.rejects matcher on the message alone (not `Name: message`). */
function msg(re: RegExp): (err: Error) => true {
  return (err: Error) => {
    assert.match(err.message, re);
    return true;
  };
}

function user(name: 'pusher' | 'reader', password = USERS[name]!): { username: string; password: string } {
  return { username: name, password };
}

function client(host: string, auth?: AuthConfig, opts: RegistryClientOptions = {}): RegistryClient {
  const c = new RegistryClient(host, {
    retry: { minDelayMs: 20, maxDelayMs: 200 },
    ...(auth ? { credentials: async (r: string) => (r === host ? auth : undefined) } : {}),
    ...opts,
  });
  clients.push(c);
  return c;
}

function credsFor(mode: AuthMode): AuthConfig | undefined {
  return mode === 'anonymous' ? undefined : user('pusher');
}

function skopeoCreds(mode: AuthMode): string[] {
  return mode === 'anonymous' ? [] : ['--creds', `pusher:${USERS.pusher}`];
}

async function inspectRaw(reg: TestRegistry, ref: string, mode: AuthMode): Promise<string> {
  const r = await skopeo(['inspect', '--raw', '--tls-verify=false', ...skopeoCreds(mode), `docker://${reg.host}/${ref}`], work);
  assert.equal(r.code, 0, `skopeo inspect failed: ${r.stderr}\n${reg.logs()}`);
  return r.stdout;
}

for (const mode of ['anonymous', 'htpasswd', 'token'] as const) {
  describe(`${mode} registry`, () => {
    it('pushes an image that skopeo reads back, and a second push uploads nothing', async () => {
      const reg = regs[mode];
      const img = await makeImage(store, {
        architecture: 'amd64',
        layers: [{ 'app/hello.txt': `hello ${mode}\n` }, { 'etc/motd': `second layer ${mode}\n` }],
      });
      const c = client(reg.host, credsFor(mode));
      const r = await pushImage(c, store, 'team/app', img.descriptor, ['latest', 'v1']);
      assert.equal(r.digest, img.descriptor.digest);
      assert.deepEqual({ uploaded: r.uploaded, skipped: r.skipped, mounted: r.mounted }, { uploaded: 3, skipped: 0, mounted: 0 });
      assert.equal(r.bytesUploaded, img.layers.reduce((n, l) => n + l.size, 0) + img.config.size);

      assert.equal(await inspectRaw(reg, 'team/app:latest', mode), img.manifestBytes.toString('utf8'));
      assert.equal(await inspectRaw(reg, `team/app@${img.descriptor.digest}`, mode), img.manifestBytes.toString('utf8'));

      const layout = join(work, `oci-${mode}`);
      const cp = await skopeo(
        ['copy', '--dest-oci-accept-uncompressed-layers', '--src-tls-verify=false', ...(mode === 'anonymous' ? [] : ['--src-creds', `pusher:${USERS.pusher}`]), `docker://${reg.host}/team/app:v1`, `oci:${layout}:v1`],
        work,
      );
      assert.equal(cp.code, 0, cp.stderr);
      const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
      assert.equal(index.manifests[0]!.digest, img.descriptor.digest);
      for (const l of img.layers) {
        assert.deepEqual(await readFile(join(layout, 'blobs', 'sha256', l.digest.slice(7))), img.layerBytes[img.layers.indexOf(l)]);
      }

      const again = await pushImage(client(reg.host, credsFor(mode)), store, 'team/app', img.descriptor, ['latest']);
      assert.deepEqual({ uploaded: again.uploaded, skipped: again.skipped, bytes: again.bytesUploaded }, { uploaded: 0, skipped: 3, bytes: 0 });
      assert.deepEqual((await c.listTags('team/app')).sort(), ['latest', 'v1']);
    });
  });
}

describe('authentication failures', () => {
  it('pull-only credentials cannot push, and no tag is created', async () => {
    const reg = regs.token;
    const img = await makeImage(store, { layers: [{ 'reader.txt': 'reader attempt\n' }] });
    const reader = client(reg.host, user('reader'));
    await assert.rejects(pushImage(reader, store, 'locked', img.descriptor, ['latest']), (err: Error) => {
      assert.ok(err instanceof RegistryAuthError, String(err));
      const host = reg.host.replace(/\./g, '\\.');
      assert.match(err.message, new RegExp(`^unauthorized: authentication required to push to ${host}/locked \\(${host} rejected the credentials, or they do not allow this; check them, or give others with "docker login ${host}" \\(or docker/login-action\\), DOCKER_CONFIG .*, or the action's registry, username and password inputs\\); `));
      assert.match(err.message, /UNAUTHORIZED/);
      assert.ok(!err.message.includes(USERS.reader!));
      assert.ok(!err.message.includes('\n'));
      return true;
    });
    const pusher = client(reg.host, user('pusher'));
    assert.deepEqual(await pusher.listTags('locked'), []);
    assert.equal(await pusher.headManifest('locked', 'latest'), undefined);
    assert.equal(await pusher.headManifest('locked', img.descriptor.digest), undefined);
  });

  for (const mode of ['htpasswd', 'token'] as const) {
    it(`a wrong password is a clear error without the password (${mode})`, async () => {
      const reg = regs[mode];
      const img = await makeImage(store, { layers: [{ 'wrong.txt': `wrong ${mode}\n` }] });
      const badPassword = 'not-the-Right-pw-1234';
      const c = client(reg.host, user('pusher', badPassword));
      await assert.rejects(pushImage(c, store, 'wrongpw', img.descriptor, ['latest']), (err: Error) => {
        assert.ok(err instanceof RegistryAuthError, String(err));
        assert.match(err.message, /^unauthorized: /);
        assert.match(err.message, new RegExp(`\\(${reg.host.replace(/\./g, '\\.')} rejected the credentials, or they do not allow this; `));
        assert.ok(!err.message.includes(badPassword), err.message);
        assert.ok(!err.message.includes(Buffer.from(`pusher:${badPassword}`).toString('base64')));
        assert.ok(!err.message.includes('\n'));
        return true;
      });
      assert.deepEqual(await client(reg.host, user('pusher')).listTags('wrongpw'), []);
    });
  }

  it('deleting needs the delete action', async () => {
    const reg = regs.token;
    const img = await makeImage(store, { layers: [{ 'del.txt': 'delete me\n' }] });
    await pushImage(client(reg.host, user('pusher')), store, 'deletable', img.descriptor, ['latest']);
    await assert.rejects(
      client(reg.host, user('reader')).deleteManifest('deletable', img.descriptor.digest),
      msg(/^unauthorized: authentication required to delete from 127\.0\.0\.1:\d+\/deletable \(127\.0\.0\.1:\d+ rejected the credentials, or they do not allow this; /),
    );
    const pusher = client(reg.host, user('pusher'));
    assert.equal(await pusher.deleteManifest('deletable', img.descriptor.digest), true);
    assert.equal(await pusher.deleteManifest('deletable', img.descriptor.digest), false);
    assert.equal(await pusher.headManifest('deletable', 'latest'), undefined);
  });

  it('anonymous push to a token registry is refused', async () => {
    const img = await makeImage(store, { layers: [{ 'anon.txt': 'anon\n' }] });
    await assert.rejects(
      pushImage(client(regs.token.host), store, 'anon', img.descriptor, ['x']),
      msg(/^unauthorized: authentication required to push to 127\.0\.0\.1:\d+\/anon \(no credentials found for 127\.0\.0\.1:\d+; give them with "docker login 127\.0\.0\.1:\d+" \(or docker\/login-action\), DOCKER_CONFIG/),
    );
  });
});

describe('images and indexes', () => {
  it('asks about a blob shared by two images once per run: the second push HEADs only what is new', async () => {
    const proxy = await startFaultProxy(regs.anonymous.port);
    proxies.push(proxy);
    const shared = { 'lib/shared.so': 'shared bytes\n' };
    const a = await makeImage(store, { layers: [shared, { 'bin/a': 'a\n' }] });
    const b = await makeImage(store, { layers: [shared, { 'bin/b': 'b\n' }] });
    const c = client(proxy.host);
    await pushImage(c, store, 'shared', a.descriptor, ['a']);
    proxy.clear();
    const r = await pushImage(c, store, 'shared', b.descriptor, ['b']);
    assert.equal(r.skipped, 1, 'the shared layer is known to be there');
    const heads = proxy.log.filter((e) => e.method === 'HEAD' && e.path.includes('/blobs/')).map((e) => e.path);
    assert.ok(!heads.some((p) => p.endsWith(a.layers[0]!.digest)), `no HEAD for the shared layer: ${heads.join(', ')}`);
    assert.ok(heads.some((p) => p.endsWith(b.layers[1]!.digest)), 'the new layer is asked about');
    // A new client (another run) asks again.
    proxy.clear();
    await pushImage(client(proxy.host), store, 'shared', b.descriptor, ['b2']);
    assert.ok(proxy.log.some((e) => e.method === 'HEAD'), 'a fresh client checks the registry');
  });

  it('one ping per registry, however many repositories a run pushes to', async () => {
    const proxy = await startFaultProxy(regs.anonymous.port);
    proxies.push(proxy);
    const img = await makeImage(store, { layers: [{ 'bin/app': 'ping\n' }] });
    const c = client(proxy.host);
    for (const repo of ['p1', 'p2', 'p3']) await pushImage(c, store, repo, img.descriptor, ['latest']);
    assert.equal(proxy.log.filter((e) => e.method === 'GET' && e.path === '/v2/').length, 1);
  });

  it('pushes an index of two platforms and resolves each', async () => {
    const reg = regs.token;
    const amd = await makeImage(store, { architecture: 'amd64', layers: [{ 'bin/app': 'amd64 binary\n' }] });
    const arm = await makeImage(store, { architecture: 'arm64', variant: 'v8', layers: [{ 'bin/app': 'arm64 binary\n' }] });
    const index = await makeIndex(store, [amd, arm]);
    const c = client(reg.host, user('pusher'));
    const r = await pushImage(c, store, 'multi', index.descriptor, ['latest']);
    assert.equal(r.digest, index.descriptor.digest);
    assert.equal(r.uploaded, 4);
    assert.equal(await inspectRaw(reg, 'multi:latest', 'token'), index.bytes.toString('utf8'));
    assert.equal(await inspectRaw(reg, `multi@${arm.descriptor.digest}`, 'token'), arm.manifestBytes.toString('utf8'));

    const pullStore = new BlobStore(join(work, 'pull-store'));
    const reader = client(reg.host, user('reader'));
    const resolved = await resolveImage(reader, 'multi', 'latest', 'linux/aarch64', { store: pullStore });
    assert.equal(resolved.manifestDescriptor.digest, arm.descriptor.digest);
    assert.equal(resolved.root.digest, index.descriptor.digest);
    assert.equal(resolved.config.architecture, 'arm64');
    assert.ok(resolved.index);
    assert.ok(await pullStore.has(index.descriptor.digest));
    assert.ok(await pullStore.has(arm.descriptor.digest));
    assert.ok(await pullStore.has(arm.config.digest));
    assert.equal(await pullStore.has(arm.layers[0]!.digest), undefined, 'layers are not fetched unless asked');

    const withLayers = await resolveImage(reader, 'multi', index.descriptor.digest, { os: 'linux', architecture: 'x86_64' }, { store: pullStore, fetchLayers: true });
    assert.equal(withLayers.manifestDescriptor.digest, amd.descriptor.digest);
    assert.deepEqual(await pullStore.has(amd.layers[0]!.digest), { digest: amd.layers[0]!.digest, size: amd.layers[0]!.size });

    await assert.rejects(resolveImage(reader, 'multi', 'latest', 'linux/s390x', { store: pullStore }), /has no image for platform linux\/s390x \(it has: linux\/amd64, linux\/arm64\/v8\)/);
    await assert.rejects(resolveImage(reader, 'multi', 'latest', undefined, { store: pullStore }), /is a multi-platform index/);
    await assert.rejects(resolveImage(reader, 'multi', 'nope', 'linux/amd64', { store: pullStore }), /GET http:\/\/127\.0\.0\.1:\d+\/v2\/multi\/manifests\/nope: 404 MANIFEST_UNKNOWN/);
  });

  it('resolves a single-platform image and checks its platform', async () => {
    const reg = regs.anonymous;
    const img = await makeImage(store, { family: 'docker', architecture: 'arm', variant: 'v7', layers: [{ 'x': 'docker family\n' }] });
    const c = client(reg.host);
    await pushImage(c, store, 'single', img.descriptor, ['v1']);
    const pullStore = new BlobStore(join(work, 'pull-single'));
    const r = await resolveImage(c, 'single', 'v1', 'linux/arm', { store: pullStore });
    assert.equal(r.manifestDescriptor.digest, img.descriptor.digest);
    assert.equal(r.root.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    await assert.rejects(resolveImage(c, 'single', 'v1', 'linux/amd64', { store: pullStore }), /is a linux\/arm\/v7 image, not linux\/amd64/);
  });

  it('mounts blobs across repositories (201)', async () => {
    const reg = regs.token;
    const shared = { 'base/os-release': 'ID=testos\n' };
    const base = await makeImage(store, { layers: [shared] });
    const c = client(reg.host, user('pusher'));
    await pushImage(c, store, 'base', base.descriptor, ['latest']);
    const app = await makeImage(store, { layers: [shared, { 'app/bin': 'the app\n' }] });
    const mountFrom = new Map<Digest, string>([[base.layers[0]!.digest, 'base']]);
    const c2 = client(reg.host, user('pusher'));
    const r = await pushImage(c2, store, 'derived', app.descriptor, ['latest'], { mountFrom });
    assert.deepEqual({ mounted: r.mounted, uploaded: r.uploaded, skipped: r.skipped }, { mounted: 1, uploaded: 2, skipped: 0 });
    assert.equal(await c2.headBlob('derived', base.layers[0]!.digest), base.layers[0]!.size);
    assert.equal(await inspectRaw(reg, 'derived:latest', 'token'), app.manifestBytes.toString('utf8'));

    // A mount the registry declines (the source repository lacks the blob) answers 202 with an
    // upload session, which the upload continues in.
    const proxy = await startFaultProxy(reg.port);
    proxies.push(proxy);
    const other = await makeImage(store, { layers: [{ 'declined/mount': 'not in base\n' }] });
    const declined = new Map<Digest, string>([[other.layers[0]!.digest, 'base']]);
    const r2 = await pushImage(client(proxy.host, user('pusher')), store, 'derived2', other.descriptor, ['latest'], { mountFrom: declined });
    assert.deepEqual({ mounted: r2.mounted, uploaded: r2.uploaded }, { mounted: 0, uploaded: 2 });
    const posts = proxy.log.filter((e) => e.method === 'POST');
    assert.equal(posts.filter((e) => e.path.includes('mount=')).length, 1);
    assert.equal(posts.length, 2, 'the declined mount\'s session was used, the config got its own');
    assert.equal(await inspectRaw(reg, 'derived2:latest', 'token'), other.manifestBytes.toString('utf8'));
  });

  it('copies base layers registry to registry when they are not in the local store', async () => {
    const src = regs.anonymous;
    const srcStore = new BlobStore(join(work, 'src-store'));
    const base = await makeImage(srcStore, { layers: [{ 'big/base': 'B'.repeat(20_000) }, { 'small': 's' }] });
    const srcClient = client(src.host);
    await pushImage(srcClient, srcStore, 'library/base', base.descriptor, ['1']);

    // A local store with only the manifest and config: what a build that never pulled layers has.
    const thin = new BlobStore(join(work, 'thin-store'));
    await thin.writeBytes(base.manifestBytes);
    await thin.writeBytes(await readFile(srcStore.path(base.config.digest)));
    const remoteSource = new Map(base.layers.map((l) => [l.digest, { client: srcClient, repository: 'library/base' }] as const));
    const dst = client(regs.token.host, user('pusher'));
    const r = await pushImage(dst, thin, 'copied', base.descriptor, ['latest'], { remoteSource });
    assert.deepEqual({ uploaded: r.uploaded, copied: r.copied }, { uploaded: 3, copied: 2 });
    assert.equal(r.bytesUploaded, base.layers[0]!.size + base.layers[1]!.size + base.config.size);
    const cp = await skopeo(['copy', '--src-tls-verify=false', '--src-creds', `reader:${USERS.reader}`, `docker://${regs.token.host}/copied:latest`, `oci:${join(work, 'oci-copied')}:x`], work);
    assert.equal(cp.code, 0, cp.stderr);
    // A second push finds everything and copies nothing.
    const again = await pushImage(client(regs.token.host, user('pusher')), thin, 'copied', base.descriptor, ['latest'], { remoteSource });
    assert.deepEqual({ uploaded: again.uploaded, skipped: again.skipped }, { uploaded: 0, skipped: 3 });
  });

  it('refuses a blob that is neither local nor given a source, leaving no tag', async () => {
    const thin = new BlobStore(join(work, 'thin2'));
    const full = new BlobStore(join(work, 'full2'));
    const img = await makeImage(full, { layers: [{ lost: 'lost layer\n' }] });
    await thin.writeBytes(img.manifestBytes);
    await thin.writeBytes(await readFile(full.path(img.config.digest)));
    const c = client(regs.anonymous.host);
    await assert.rejects(pushImage(c, thin, 'incomplete', img.descriptor, ['latest']), /layer of manifest sha256:[0-9a-f]{64} sha256:[0-9a-f]{64} is neither in the local blob store nor given a remote source/);
    assert.deepEqual(await c.listTags('incomplete'), []);
  });

  it('manifest operations: get by digest, put, delete tolerant of 404', async () => {
    const c = client(regs.anonymous.host);
    const img = await makeImage(store, { layers: [{ m: 'manifest ops\n' }] });
    await pushImage(c, store, 'ops', img.descriptor, ['t1']);
    const m = await c.getManifest('ops', img.descriptor.digest);
    assert.equal(m.digest, img.descriptor.digest);
    assert.equal(m.mediaType, img.descriptor.mediaType);
    assert.deepEqual(Buffer.from(m.bytes), img.manifestBytes);
    const head = await c.headManifest('ops', 't1');
    assert.deepEqual(head, { mediaType: img.descriptor.mediaType, digest: img.descriptor.digest, size: img.descriptor.size });
    assert.equal(await c.putManifest('ops', 't2', img.manifestBytes, img.descriptor.mediaType), img.descriptor.digest);
    await assert.rejects(c.putManifest('ops', `sha256:${'0'.repeat(64)}`, img.manifestBytes, img.descriptor.mediaType), /has digest/);
    // The registry refuses a manifest whose blobs it does not have.
    const bogus = Buffer.from(JSON.stringify({ ...img.manifest, layers: [{ ...img.layers[0]!, digest: `sha256:${'1'.repeat(64)}` }] }));
    await assert.rejects(c.putManifest('ops', 'bogus', bogus, img.descriptor.mediaType), msg(/^PUT http:\/\/127\.0\.0\.1:\d+\/v2\/ops\/manifests\/bogus: 400 MANIFEST_BLOB_UNKNOWN: blob unknown to registry$/));
    await assert.rejects(c.deleteTag('ops', 't2'), msg(/^cannot delete tag 127\.0\.0\.1:\d+\/ops:t2: the registry does not support deleting tags \(DELETE http:\/\/127\.0\.0\.1:\d+\/v2\/ops\/manifests\/t2: 400 DIGEST_INVALID/));
    assert.equal(await c.deleteManifest('ops', img.descriptor.digest), true);
    assert.equal(await c.deleteManifest('ops', img.descriptor.digest), false);
    assert.equal(await c.headManifest('ops', 't1'), undefined);
    assert.deepEqual(await c.listTags('never-pushed'), []);
  });
});

describe('token lifetime', () => {
  it('refreshes short-lived tokens during a push', async () => {
    const reg = regs.token;
    const ts = reg.tokenServer!;
    const proxy = await startFaultProxy(reg.port);
    proxies.push(proxy);
    // Slow every blob HEAD so the push outlives the 1 s tokens.
    proxy.add({ method: 'HEAD', path: /\/blobs\/sha256:/, fault: { kind: 'delay', ms: 450 }, times: Infinity });
    ts.expiresIn = 1;
    try {
      const img = await makeImage(store, { layers: [{ a: 'expiry a\n' }, { b: 'expiry b\n' }, { c: 'expiry c\n' }] });
      const c = client(proxy.host, user('pusher'));
      const before = ts.requests.length;
      const r = await pushImage(c, store, 'expiry', img.descriptor, ['latest'], { concurrency: 1 });
      assert.equal(r.uploaded, 4);
      const fetched = ts.requests.slice(before).filter((q) => q.user === 'pusher');
      assert.ok(fetched.length >= 2, `expected the token to be refreshed, got ${fetched.length} token requests`);
      assert.ok(fetched.every((q) => q.scopes.includes('repository:expiry:pull,push')));
      assert.equal(await inspectRaw(reg, 'expiry:latest', 'token'), img.manifestBytes.toString('utf8'));
    } finally {
      ts.expiresIn = 300;
    }
  });

  it('gets a fresh token when the registry rejects a cached one', async () => {
    const reg = regs.token;
    const ts = reg.tokenServer!;
    const img = await makeImage(store, { layers: [{ e: 'expired jwt\n' }] });
    const c = client(reg.host, user('pusher'));
    const before = ts.requests.length;
    ts.issueExpired = 1; // the first token's JWT is already past its exp, though expires_in says 300 s
    const r = await pushImage(c, store, 'rejected', img.descriptor, ['latest']);
    assert.equal(r.uploaded, 2);
    assert.equal(ts.requests.length - before, 2);
    assert.equal(ts.issueExpired, 0);
  });

  it('exchanges an identity token with OAuth2 and falls back to GET where POST is not served', async () => {
    const reg = regs.token;
    const ts = reg.tokenServer!;
    ts.refreshTokens['identity-abc'] = 'pusher';
    const img = await makeImage(store, { layers: [{ i: 'identity\n' }] });
    const before = ts.requests.length;
    await pushImage(client(reg.host, { identityToken: 'identity-abc' }), store, 'oauth', img.descriptor, ['latest']);
    const posted = ts.requests.slice(before);
    assert.ok(posted.length >= 1 && posted.every((q) => q.method === 'POST' && q.grantType === 'refresh_token' && q.user === 'pusher'));

    ts.noOAuth = true;
    try {
      const before2 = ts.requests.length;
      const c = client(reg.host, { username: 'pusher', password: USERS.pusher!, identityToken: 'unknown-to-server' });
      await pushImage(c, store, 'oauth-fallback', img.descriptor, ['latest']);
      assert.ok(ts.requests.slice(before2).some((q) => q.method === 'GET' && q.user === 'pusher'));
    } finally {
      ts.noOAuth = false;
    }
  });

  it('masks every token it obtains', async () => {
    const masked: string[] = [];
    const img = await makeImage(store, { layers: [{ k: 'mask\n' }] });
    const c = new RegistryClient(regs.token.host, {
      credentials: dockerCredentials({ explicit: [{ registry: regs.token.host, ...user('pusher') }], maskSecret: (s) => masked.push(s), env: {}, configDir: '/nonexistent/oci-build-no-docker-config' }),
      maskSecret: (s) => masked.push(s),
    });
    clients.push(c);
    await pushImage(c, store, 'masked', img.descriptor, ['latest']);
    assert.ok(masked.includes(USERS.pusher!));
    assert.ok(masked.some((s) => s.split('.').length === 3), 'the JWT is masked');
  });
});
