// Issue 15, point 2: credentials are bound to the registry host they were configured for.
// Registry A (Basic auth) redirects a blob GET to storage host B; B answers 401 with a Bearer
// realm on host C. The pull fails naming B; C receives nothing; B never sees an Authorization
// header; A's credentials never leave A. Also: a realm the registry itself names is still used
// (Docker Hub's auth service lives elsewhere), and no credentials go over plain HTTP to a token
// service when the registry was reached over HTTPS, nor to a host reached over HTTPS before.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { Transport } from '../../src/registry/transport.ts';
import type { CredentialsProvider } from '../../src/registry/credentials.ts';
import { digestOf, startHostile, type HostileServer, type SeenRequest } from './hostile.ts';

const USER = 'alice';
const PASSWORD = 'pw-A-0nly-s3cret';
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const creds: CredentialsProvider = async () => ({ username: USER, password: PASSWORD });
const BLOB = Buffer.from('layer bytes kept on storage host B');
const BLOB_DIGEST = digestOf(BLOB);

let work: string;
const servers: HostileServer[] = [];

before(() => {
  work = mkdtempSync(join(tmpdir(), 'redirect-auth-'));
});
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  if (work) rmSync(work, { recursive: true, force: true });
});

async function server(): Promise<HostileServer> {
  const s = await startHostile();
  servers.push(s);
  return s;
}

function leaked(requests: SeenRequest[]): SeenRequest[] {
  const b64 = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  return requests.filter((r) => r.authorization !== undefined || r.raw.includes(PASSWORD) || r.raw.includes(b64) || r.path.includes(PASSWORD));
}

/** Registry A: Basic auth on everything; blob GETs go to B by 307. */
function basicRegistry(a: HostileServer, b: HostileServer, redirectPing = false): void {
  a.routes.set('/v2/', (req, res) => {
    if (redirectPing) return void res.writeHead(307, { location: `${b.url}/v2/` }).end();
    if (req.headers.authorization !== BASIC) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="A"' }).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  a.routes.set(`/v2/app/blobs/${BLOB_DIGEST}`, (req, res) => {
    if (req.headers.authorization !== BASIC) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="A"' }).end();
    res.writeHead(307, { location: `${b.url}/storage/blob?X-Signature=abc` }).end();
  });
}

/** Storage host B: a 401 naming a token realm on C. */
function challengingStorage(b: HostileServer, c: HostileServer): void {
  const challenge = (_req: unknown, res: import('node:http').ServerResponse) =>
    void res.writeHead(401, { 'www-authenticate': `Bearer realm="${c.url}/token",service="evil",scope="repository:app:pull"`, 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"give me a token"}]}');
  b.routes.set('/storage/blob', challenge);
  b.routes.set('/v2/', challenge);
  c.routes.set('/token', (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"token-from-C"}'));
}

describe('credentials stay with the registry they were configured for', () => {
  test('A (Basic) → 307 to storage B → 401 Bearer realm on C: fails naming B; C gets nothing; B gets no credentials', async () => {
    const [a, b, c] = [await server(), await server(), await server()];
    basicRegistry(a, b);
    challengingStorage(b, c);
    const client = new RegistryClient(a.host, { credentials: creds, retry: { attempts: 2, minDelayMs: 1, maxDelayMs: 5 } });
    const store = new BlobStore(join(work, 'store-1'));
    try {
      await assert.rejects(client.getBlob('app', BLOB_DIGEST, store, BLOB.length), (err: Error) => {
        assert.ok(!err.message.includes('\n'), err.message);
        assert.ok(err.message.includes(b.host), `names B (${b.host}): ${err.message}`);
        assert.match(err.message, /answered 401 \(UNAUTHORIZED: give me a token\); it is not 127\.0\.0\.1:\d+ \(a redirect or upload location led there\)/);
        assert.ok(!err.message.includes(PASSWORD));
        return true;
      });
      assert.deepEqual(c.requests, [], 'the realm C named by B was never asked');
      assert.ok(b.requests.length > 0, 'the redirect was followed');
      assert.deepEqual(leaked(b.requests), [], 'B saw no credentials');
      const blobGets = a.requests.filter((r) => r.path.includes('/blobs/'));
      assert.ok(blobGets.some((r) => r.authorization === BASIC), 'A got its Basic credentials');
      // A's challenge was not replaced by B's: the next call to A still sends Basic, not a token from C.
      a.routes.set('/v2/app/manifests/v1', (req, res) => {
        if (req.headers.authorization !== BASIC) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="A"' }).end();
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }).end('{"schemaVersion":2,"config":{},"layers":[]}');
      });
      await client.getManifest('app', 'v1');
      assert.equal(a.requests.at(-1)?.authorization, BASIC);
      assert.ok(a.requests.every((r) => r.authorization === undefined || r.authorization === BASIC), 'only A\'s own credentials ever went to A');
      assert.equal(client.auth.tokenRequests, 0);
    } finally {
      await client.close();
    }
  });

  test('a ping redirected to B, which challenges: fails naming B; C gets nothing', async () => {
    const [a, b, c] = [await server(), await server(), await server()];
    basicRegistry(a, b, true);
    challengingStorage(b, c);
    const client = new RegistryClient(a.host, { credentials: creds, retry: { attempts: 1 } });
    try {
      await assert.rejects(client.ping(), (err: Error) => err.message.includes(b.host) && !err.message.includes('\n'));
      assert.deepEqual(c.requests, []);
      assert.deepEqual(leaked(b.requests), []);
      assert.equal(client.auth.scheme, undefined, 'B\'s challenge was not taken as A\'s');
    } finally {
      await client.close();
    }
  });

  test('a token realm the registry itself names (on another host) is still used', async () => {
    const [a, c] = [await server(), await server()];
    a.routes.set(`/v2/app/blobs/${BLOB_DIGEST}`, (req, res) => {
      if (req.headers.authorization !== 'Bearer token-from-C') {
        return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${c.url}/token",service="a"` }).end();
      }
      res.writeHead(200, { 'content-length': String(BLOB.length) }).end(BLOB);
    });
    c.routes.set('/token', (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"token-from-C"}'));
    const client = new RegistryClient(a.host, { credentials: creds });
    try {
      const got = await client.getBlob('app', BLOB_DIGEST, new BlobStore(join(work, 'store-3')), BLOB.length);
      assert.equal(got.digest, BLOB_DIGEST);
      assert.equal(c.requests.length, 1);
      assert.equal(c.requests[0]?.authorization, BASIC, 'the registry\'s own realm gets the registry\'s credentials');
    } finally {
      await client.close();
    }
  });
});

describe('what a challenge or an upload location may name', () => {
  for (const [what, realm, message] of [
    ['a file: realm', 'file:///etc/passwd', /realm with scheme file:; only http\(s\) token services are used/],
    ['a realm with credentials in it', 'http://user:pw@127.0.0.1:9/token', /realm with credentials in its URL \(http:\/\/127\.0\.0\.1:9\/token\)/],
    ['a realm that is no URL', 'not a url', /realm that is not a URL \("not a url"\)/],
  ] as const) {
    test(`${what} is refused; nothing is sent`, async () => {
      const a = await server();
      a.routes.set('/v2/app/manifests/v1', (_q, res) => void res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="s"` }).end());
      const client = new RegistryClient(a.host, { credentials: creds, retry: { attempts: 1 } });
      try {
        await assert.rejects(client.getManifest('app', 'v1'), (err: Error) => message.test(err.message) && !err.message.includes(PASSWORD));
        assert.equal(client.auth.tokenRequests, 0);
      } finally {
        await client.close();
      }
    });
  }

  test('an upload location with a scheme other than http(s) is refused', async () => {
    const a = await server();
    a.routes.set('/v2/app/blobs/uploads/', (_q, res) => void res.writeHead(202, { location: 'file:///etc/passwd' }).end());
    const client = new RegistryClient(a.host, { retry: { attempts: 1 } });
    try {
      await assert.rejects(client.startUpload('app'), { message: `/v2/app/blobs/uploads/: registry ${a.host} sent an upload Location with scheme file:` });
    } finally {
      await client.close();
    }
  });

  test('an upload location on another host gets the blob but no credentials; its 401 fails naming it', async () => {
    const [a, b] = [await server(), await server()];
    a.routes.set('/v2/', (req, res) => {
      if (req.headers.authorization !== BASIC) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="A"' }).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    a.routes.set('/v2/app/blobs/uploads/', (req, res) => {
      if (req.headers.authorization !== BASIC) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="A"' }).end();
      res.writeHead(202, { location: `${b.url}/upload/session-1?state=x` }).end();
    });
    a.routes.set(`/v2/app/blobs/${BLOB_DIGEST}`, (_q, res) => void res.writeHead(404).end());
    b.routes.set('/upload/session-1', (_q, res) => void res.writeHead(401, { 'www-authenticate': `Basic realm="B"` }).end());
    const client = new RegistryClient(a.host, { credentials: creds, retry: { attempts: 1 } });
    try {
      await client.ping();
      await assert.rejects(client.uploadBlob('app', BLOB_DIGEST, BLOB.length, () => Readable.from([BLOB])), (err: Error) => err.message.includes(`${b.host} answered 401`));
      assert.ok(b.requests.length > 0);
      assert.deepEqual(leaked(b.requests), [], 'B saw no credentials');
    } finally {
      await client.close();
    }
  });
});

describe('no credentials over plain HTTP after HTTPS', () => {
  let https: HttpsServer;
  let httpsHost = '';
  let token: HostileServer;

  before(async () => {
    const key = join(work, 'key.pem');
    const cert = join(work, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    token = await server();
    token.routes.set('/token', (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"t"}'));
    https = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      req.resume();
      if (req.url === '/v2/') return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${token.url}/token",service="s"` }).end();
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${token.url}/token",service="s"` }).end();
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', () => resolve()));
    httpsHost = `127.0.0.1:${(https.address() as AddressInfo).port}`;
  });
  after(async () => {
    https?.closeAllConnections();
    if (https) await new Promise<void>((resolve) => https.close(() => resolve()));
  });

  test('an HTTPS registry whose token realm is plain HTTP: refused before any credential is sent', async () => {
    const transport = new Transport({ insecureRegistries: [httpsHost], loopbackIsInsecure: false, retry: { attempts: 1 } });
    const client = new RegistryClient(httpsHost, { credentials: creds, transport });
    try {
      assert.equal(await client.baseUrl(), `https://${httpsHost}`);
      await assert.rejects(client.getManifest('app', 'v1'), (err: Error) => {
        assert.match(err.message, /refusing to send credentials to token service http:\/\/127\.0\.0\.1:\d+\/token over plain HTTP; 127\.0\.0\.1:\d+ was reached over HTTPS/);
        return true;
      });
      assert.deepEqual(token.requests, [], 'the plain-HTTP realm got nothing');
    } finally {
      await transport.close();
    }
  });

  test('the transport refuses an Authorization header over HTTP to a host it reached over HTTPS', async () => {
    const transport = new Transport({ insecureRegistries: [httpsHost], loopbackIsInsecure: false, retry: { attempts: 1 } });
    const plain = await server();
    plain.routes.set('/anything', (_req, res) => void res.writeHead(200).end('ok'));
    try {
      const first = await transport.request({ method: 'GET', url: `https://${httpsHost}/v2/` });
      await first.dump();
      await assert.rejects(
        transport.request({ method: 'GET', url: `${plain.url}/anything`, headers: { authorization: BASIC } }),
        /refusing to send credentials over plain HTTP to 127\.0\.0\.1, which was reached over HTTPS before/,
      );
      assert.deepEqual(plain.requests, []);
      // Without credentials the same request is fine.
      const ok = await transport.request({ method: 'GET', url: `${plain.url}/anything` });
      assert.equal(ok.status, 200);
      await ok.dump();
    } finally {
      await transport.close();
    }
  });
});
