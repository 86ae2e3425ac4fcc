// HTTP mechanics of the transport against small local servers: redirects with bodies,
// retries that re-open the body, deadlines, TLS verification and the insecure-registry probe.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { AddressInfo, Socket } from 'node:net';
import { Transport } from '../../src/registry/transport.ts';
import { TransportError } from '../../src/registry/errors.ts';
import { removeDir, run, tempDir } from '../helpers/registry.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

const servers: Server[] = [];
let work: string;

async function serve(handler: Handler, host = '127.0.0.1', tls?: { key: Buffer; cert: Buffer }): Promise<string> {
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks)));
  };
  const server: Server = tls ? (createHttpsServer(tls, onRequest) as unknown as Server) : createServer(onRequest);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  const { port } = server.address() as AddressInfo;
  return `${host}:${port}`;
}

before(async () => {
  work = await tempDir('registry-transport-');
});

after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  await removeDir(work);
});

function fast(extra: ConstructorParameters<typeof Transport>[0] = {}): Transport {
  return new Transport({ retry: { attempts: 3, minDelayMs: 10, maxDelayMs: 20 }, ...extra });
}

describe('transport', () => {
  it('replays the body on a 307 to another host, without Authorization', async () => {
    const seen: Array<{ host: string; auth: string | undefined; body: string }> = [];
    const storage = await serve((req, res, body) => {
      seen.push({ host: 'storage', auth: req.headers.authorization, body: body.toString() });
      res.writeHead(201).end();
    });
    const registry = await serve((req, res, body) => {
      seen.push({ host: 'registry', auth: req.headers.authorization, body: body.toString() });
      res.writeHead(307, { location: `http://${storage}/bucket/object?sig=1` }).end();
    });
    let opened = 0;
    const t = fast();
    const res = await t.request({
      method: 'PUT',
      url: `http://${registry}/v2/app/blobs/uploads/1`,
      headers: { Authorization: 'Bearer secret-token' },
      body: () => {
        opened++;
        return Readable.from([Buffer.from('hello '), Buffer.from('world')]);
      },
      contentLength: 11,
    });
    await res.dump();
    await t.close();
    assert.equal(res.status, 201);
    assert.equal(res.url.host, storage);
    assert.equal(opened, 2);
    assert.deepEqual(seen, [
      { host: 'registry', auth: 'Bearer secret-token', body: 'hello world' },
      { host: 'storage', auth: undefined, body: 'hello world' },
    ]);
  });

  it('retries a reset connection, re-opening the body', async () => {
    let n = 0;
    const host = await serve((req, res, body) => {
      if (n++ === 0) {
        (req.socket as Socket).destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`got ${body.length}`);
    });
    let opened = 0;
    const logs: string[] = [];
    const t = fast({ log: (m) => logs.push(m) });
    const res = await t.request({
      method: 'POST',
      url: `http://${host}/x`,
      body: () => {
        opened++;
        return Readable.from([Buffer.alloc(1000)]);
      },
      contentLength: 1000,
    });
    assert.equal(await res.text(), 'got 1000');
    await t.close();
    assert.equal(opened, 2);
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /^POST http:\/\/127\.0\.0\.1:\d+\/x: .*retrying in \d+\.\ds \(attempt 2\/3\)$/);
  });

  it('honours Retry-After and returns the last answer when attempts run out', async () => {
    let n = 0;
    const host = await serve((_req, res) => {
      n++;
      res.writeHead(503, { 'retry-after': '1' }).end();
    });
    const t = fast();
    const started = Date.now();
    const res = await t.request({ method: 'GET', url: `http://${host}/` });
    await res.dump();
    await t.close();
    assert.equal(res.status, 503);
    assert.equal(res.attempts, 3);
    assert.equal(n, 3);
    assert.ok(Date.now() - started >= 1900, `waited ${Date.now() - started} ms`);
  });

  it('enforces the overall deadline', async () => {
    const host = await serve(() => {
      /* never answers */
    });
    const t = new Transport({ retry: { attempts: 3, requestTimeoutMs: 300 } });
    await assert.rejects(t.request({ method: 'GET', url: `http://${host}/slow` }), (err: Error) => {
      assert.ok(err instanceof TransportError);
      assert.match(err.message, /^GET http:\/\/127\.0\.0\.1:\d+\/slow: request timed out after 0\.3s$/);
      return true;
    });
    await t.close();
  });

  it('verifies TLS certificates unless the host is listed insecure, and probes insecure hosts', async () => {
    // Loopback only; loopbackIsInsecure: false makes 127.0.0.1 behave like any remote host.
    const ip = '127.0.0.1';
    const keyPath = join(work, 'tls.key');
    const certPath = join(work, 'tls.crt');
    const gen = await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyPath, '-out', certPath,
      '-days', '1', '-subj', `/CN=${ip}`, '-addext', `subjectAltName=IP:${ip}`,
    ]);
    assert.equal(gen.code, 0, gen.stderr);
    const tls = { key: await readFile(keyPath), cert: await readFile(certPath) };
    const httpsHost = await serve((_req, res) => res.writeHead(200).end('{}'), ip, tls);
    const httpHost = await serve((_req, res) => res.writeHead(401, { 'www-authenticate': 'Basic realm="x"' }).end(), ip);

    const strict = fast({ loopbackIsInsecure: false });
    assert.equal(await strict.baseUrl(httpsHost), `https://${httpsHost}`);
    await assert.rejects(strict.request({ method: 'GET', url: `https://${httpsHost}/v2/` }), (err: Error) => {
      assert.ok(err instanceof TransportError);
      assert.match(err.message, new RegExp(`^GET https://${httpsHost.replace(/\./g, '\\.')}/v2/: .*(self[- ]signed|certificate)`, 'i'));
      return true;
    });
    await strict.close();

    const lax = fast({ insecureRegistries: [httpsHost, ip], loopbackIsInsecure: false });
    assert.equal(await lax.baseUrl(httpsHost), `https://${httpsHost}`);
    const res = await lax.request({ method: 'GET', url: `https://${httpsHost}/v2/` });
    await res.dump();
    assert.equal(res.status, 200);
    // Listed by IP alone (any port), speaking plain HTTP: HTTPS fails, HTTP is used.
    assert.equal(await lax.baseUrl(httpHost), `http://${httpHost}`);
    await lax.close();

    // Loopback is plain HTTP without asking.
    const loop = fast();
    assert.equal(await loop.baseUrl('127.0.0.1:5000'), 'http://127.0.0.1:5000');
    assert.equal(await loop.baseUrl('localhost:5000'), 'http://localhost:5000');
    assert.equal(await loop.baseUrl('[::1]:5000'), 'http://[::1]:5000');
    await loop.close();
  });
});
