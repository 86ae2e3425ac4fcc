// HTTPS_PROXY / HTTP_PROXY / NO_PROXY for registry and Docker (tcp) traffic, as Go's httpproxy
// reads them, through a counting proxy on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { proxyFor } from '../../src/net/proxy.ts';
import { RegistryPool } from '../../src/registry/pool.ts';
import { pingDocker, dockerEndpointFromEnv } from '../../src/publish/docker.ts';
import { ForwardProxy } from '../helpers/forward_proxy.ts';
import { startRegistry } from '../helpers/registry.ts';

const P = 'http://proxy.corp:3128/';

function via(url: string, env: NodeJS.ProcessEnv): string | undefined {
  return proxyFor(new URL(url), env)?.href;
}

test('proxyFor: the variable for the scheme, upper case first, bare host:port is http', () => {
  assert.equal(via('https://ghcr.io/v2/', { HTTPS_PROXY: P }), P);
  assert.equal(via('https://ghcr.io/v2/', { https_proxy: P }), P);
  assert.equal(via('https://ghcr.io/v2/', { HTTPS_PROXY: 'http://upper:1/', https_proxy: 'http://lower:2/' }), 'http://upper:1/');
  assert.equal(via('https://ghcr.io/v2/', { HTTP_PROXY: P }), undefined, 'HTTP_PROXY is for http URLs only');
  assert.equal(via('http://registry.corp:5000/v2/', { HTTP_PROXY: P }), P);
  assert.equal(via('https://ghcr.io/v2/', { HTTPS_PROXY: 'proxy.corp:3128' }), P);
  assert.equal(via('https://ghcr.io/v2/', { HTTPS_PROXY: 'https://u:p@proxy.corp/' }), 'https://u:p@proxy.corp/');
  assert.equal(via('https://ghcr.io/v2/', {}), undefined);
  assert.throws(() => via('https://ghcr.io/v2/', { HTTPS_PROXY: 'http://u:secret@[bad' }), (err: Error) => {
    assert.match(err.message, /^HTTPS_PROXY: invalid proxy address/);
    assert.doesNotMatch(err.message, /secret/);
    return true;
  });
});

test('proxyFor: loopback and NO_PROXY entries go direct', () => {
  const env = { HTTPS_PROXY: P, HTTP_PROXY: P };
  for (const url of ['http://localhost:5000/v2/', 'http://127.0.0.1:5000/v2/', 'http://127.8.9.1/', 'http://[::1]:5000/v2/']) {
    assert.equal(via(url, env), undefined, url);
  }
  const cases: [string, string, boolean][] = [
    // [NO_PROXY, URL, goes direct]
    ['*', 'https://ghcr.io/', true],
    ['ghcr.io', 'https://ghcr.io/', true],
    ['ghcr.io', 'https://pkg.ghcr.io/', true],
    ['ghcr.io', 'https://notghcr.io/', false],
    ['.ghcr.io', 'https://ghcr.io/', false],
    ['.ghcr.io', 'https://pkg.ghcr.io/', true],
    ['*.ghcr.io', 'https://pkg.ghcr.io/', true],
    ['GHCR.IO', 'https://ghcr.io/', true],
    [' a.com , ghcr.io ', 'https://ghcr.io/', true],
    ['ghcr.io:443', 'https://ghcr.io/', true],
    ['ghcr.io:8443', 'https://ghcr.io/', false],
    ['registry.corp:5000', 'http://registry.corp:5000/', true],
    ['10.0.0.0/8', 'https://10.1.2.3/', true],
    ['10.0.0.0/8', 'https://11.1.2.3/', false],
    ['10.1.2.3', 'https://10.1.2.3/', true],
    ['10.1.2.3:5000', 'http://10.1.2.3:5000/', true],
    ['10.1.2.3:5000', 'http://10.1.2.3:6000/', false],
    ['[2001:db8::1]:443', 'https://[2001:db8::1]/', true],
    ['2001:db8::/32', 'https://[2001:db8::5]/', true],
  ];
  for (const [noProxy, url, direct] of cases) {
    assert.equal(via(url, { ...env, NO_PROXY: noProxy }) === undefined, direct, `NO_PROXY=${noProxy} ${url}`);
    assert.equal(via(url, { ...env, no_proxy: noProxy }) === undefined, direct, `no_proxy=${noProxy} ${url}`);
  }
});

/** Sets proxy variables for this process (the transport reads process.env) until the test ends. */
function withEnv(t: { after: (fn: () => void) => void }, vars: Record<string, string>): void {
  const names = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];
  const saved = new Map(names.map((n) => [n, process.env[n]]));
  for (const n of names) delete process.env[n];
  Object.assign(process.env, vars);
  t.after(() => {
    for (const [n, v] of saved) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
  });
}

test('registry traffic goes through the proxy: CONNECT for https, forwarded requests for http; loopback direct', async (t) => {
  const registry = await startRegistry({ mode: 'anonymous' });
  t.after(() => registry.stop());
  const proxy = new ForwardProxy();
  const proxyUrl = await proxy.listen();
  t.after(() => proxy.close());
  withEnv(t, { HTTPS_PROXY: proxyUrl, http_proxy: proxyUrl });

  // A name that is not loopback (so it is proxied); the proxy reaches it on 127.0.0.1.
  const host = `registry.test:${registry.port}`;
  const logs: string[] = [];
  const pool = new RegistryPool({ explicit: [], insecureRegistries: [host], log: (m) => logs.push(m), maskSecret: () => {} });
  t.after(() => pool.close());
  await pool.client(host).ping();
  assert.deepEqual(await pool.client(host).listTags('nothing/here'), []);
  // The insecure host is tried over HTTPS first (a tunnel), then over plain HTTP (forwarded).
  assert.equal(proxy.requests[0]?.method, 'CONNECT');
  assert.equal(proxy.requests[0]?.target, host);
  const forwarded = proxy.requests.filter((r) => r.method !== 'CONNECT').map((r) => `${r.method} ${r.target}`);
  assert.ok(forwarded.includes(`GET http://${host}/v2/`), forwarded.join('\n'));
  assert.ok(forwarded.some((r) => r.startsWith(`GET http://${host}/v2/nothing/here/tags/list`)), forwarded.join('\n'));

  // The same registry by its loopback address: never through the proxy.
  const before = proxy.requests.length;
  await pool.client(registry.host).ping();
  assert.equal(proxy.requests.length, before);
});

test('a proxy URL with credentials sends Proxy-Authorization and never logs the password', async (t) => {
  const registry = await startRegistry({ mode: 'anonymous' });
  t.after(() => registry.stop());
  const proxy = new ForwardProxy();
  const proxyUrl = new URL(await proxy.listen());
  t.after(() => proxy.close());
  proxyUrl.username = 'me';
  proxyUrl.password = 'pr0xy-secret';
  withEnv(t, { HTTP_PROXY: proxyUrl.href, HTTPS_PROXY: proxyUrl.href });
  const host = `registry.test:${registry.port}`;
  const logs: string[] = [];
  const pool = new RegistryPool({ explicit: [], insecureRegistries: [host], log: (m) => logs.push(m), maskSecret: () => {} });
  t.after(() => pool.close());
  await pool.client(host).ping();
  const sent = proxy.requests.filter((r) => r.method === 'GET');
  assert.ok(sent.length > 0);
  assert.equal(sent[0]?.proxyAuthorization, `Basic ${Buffer.from('me:pr0xy-secret').toString('base64')}`);
  assert.doesNotMatch(logs.join('\n'), /pr0xy-secret/);
});

test('Docker over tcp:// goes through HTTP_PROXY; over a unix socket or loopback it never does', async (t) => {
  const daemon = createServer((req, res) => {
    res.setHeader('api-version', '1.47');
    res.end(req.url === '/_ping' ? 'OK' : '{}');
  });
  await new Promise<void>((resolve) => daemon.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => daemon.close(() => resolve())));
  const port = (daemon.address() as AddressInfo).port;
  const proxy = new ForwardProxy();
  const proxyUrl = await proxy.listen();
  t.after(() => proxy.close());
  withEnv(t, { HTTP_PROXY: proxyUrl });

  const remote = await pingDocker(dockerEndpointFromEnv({ DOCKER_HOST: `tcp://docker.test:${port}` }));
  assert.deepEqual(remote, { apiVersion: '1.47', ok: true });
  assert.deepEqual(proxy.requests.map((r) => `${r.method} ${r.target}`), [`GET http://docker.test:${port}/_ping`]);

  const local = await pingDocker(dockerEndpointFromEnv({ DOCKER_HOST: `tcp://127.0.0.1:${port}` }));
  assert.deepEqual(local, { apiVersion: '1.47', ok: true });
  assert.equal(proxy.requests.length, 1, 'loopback is not proxied');
});
