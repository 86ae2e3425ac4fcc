// Hostile servers on loopback for the security tests: a registry serving whatever documents
// and blobs a test hands it (digests it names need not be real), with per-path overrides
// (stall, endless body, redirect, 401), recording every request it gets.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  /** Every header line as received, for "did the secret leave" checks. */
  raw: string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, hit: number) => void | Promise<void>;

export interface HostileServer {
  host: string;
  url: string;
  requests: SeenRequest[];
  /** Exact path (no query) → handler; `hit` counts requests to that path from 1. */
  routes: Map<string, Handler>;
  /** Bytes written by endless bodies, so a test can see the client stopped reading. */
  bytesSent: number;
  stop(): Promise<void>;
}

export async function startHostile(fallback?: Handler): Promise<HostileServer> {
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    s.requests.push({
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      authorization: req.headers.authorization,
      raw: req.rawHeaders.join('\n'),
    });
    const hit = (hits.get(path) ?? 0) + 1;
    hits.set(path, hit);
    req.resume();
    const handler = s.routes.get(path) ?? fallback;
    if (!handler) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NOT_FOUND","message":"nothing here"}]}');
      return;
    }
    Promise.resolve(handler(req, res, hit)).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const s: HostileServer = {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests: [],
    routes: new Map(),
    bytesSent: 0,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return s;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function digestOf(data: string | Uint8Array): `sha256:${string}` {
  return `sha256:${sha256Hex(data)}`;
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';

/** Serves `body` with its Content-Type (GET and HEAD). */
export function serve(body: string | Buffer, contentType = 'application/octet-stream'): Handler {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return (req, res) => {
    res.writeHead(200, { 'content-type': contentType, 'content-length': String(bytes.length), 'docker-content-digest': digestOf(bytes) });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  };
}

/**
 * An endless body of zeros (one reused 64 KiB buffer: the server allocates nothing as it goes),
 * with Content-Length `claimed` when given, else chunked. Stops when the client goes away.
 */
export function endless(server: HostileServer, claimed?: number): Handler {
  const chunk = Buffer.alloc(64 * 1024);
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', ...(claimed !== undefined ? { 'content-length': String(claimed) } : {}) });
    let stopped = false;
    res.on('close', () => {
      stopped = true;
    });
    const pump = (): void => {
      while (!stopped) {
        server.bytesSent += chunk.length;
        if (claimed !== undefined && server.bytesSent >= claimed) {
          res.end();
          return;
        }
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  };
}

/** Headers and the first `sendBytes` bytes of `body`, then nothing (the connection stays open). */
export function stall(body: Buffer, sendBytes: number, contentType = 'application/octet-stream'): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': contentType, 'content-length': String(body.length) });
    res.write(body.subarray(0, sendBytes));
  };
}

/** A small OCI image whose documents a test may corrupt before serving. */
export interface FakeImage {
  config: Record<string, unknown>;
  configBytes: Buffer;
  layer: Buffer;
  manifest: Record<string, unknown>;
}

export function fakeImage(): FakeImage {
  const layer = Buffer.alloc(1024); // two zero blocks: an empty tar
  const config = {
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/bin'] },
    rootfs: { type: 'layers', diff_ids: [digestOf(layer)] },
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: digestOf(configBytes), size: configBytes.length },
    layers: [{ mediaType: OCI_LAYER, digest: digestOf(layer), size: layer.length }],
  };
  return { config, configBytes, layer, manifest };
}

/**
 * Puts `image` on `server` under `repo`: config and layer blobs at their real digests, the
 * manifest (as given, possibly naming digests that are not real) under `tag` and its digest.
 * Returns the manifest's digest.
 */
export function hostImage(server: HostileServer, repo: string, image: FakeImage, tag = 'v1'): `sha256:${string}` {
  server.routes.set('/v2/', (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  server.routes.set(`/v2/${repo}/blobs/${digestOf(image.configBytes)}`, serve(image.configBytes));
  server.routes.set(`/v2/${repo}/blobs/${digestOf(image.layer)}`, serve(image.layer));
  const manifestBytes = Buffer.from(JSON.stringify(image.manifest));
  const d = digestOf(manifestBytes);
  server.routes.set(`/v2/${repo}/manifests/${tag}`, serve(manifestBytes, String(image.manifest.mediaType ?? OCI_MANIFEST)));
  server.routes.set(`/v2/${repo}/manifests/${d}`, serve(manifestBytes, String(image.manifest.mediaType ?? OCI_MANIFEST)));
  return d;
}

/** Puts an index over `entries` on `server` under `tag` and its digest; returns its digest. */
export function hostIndex(server: HostileServer, repo: string, entries: unknown[], tag = 'multi'): `sha256:${string}` {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }));
  const d = digestOf(bytes);
  server.routes.set(`/v2/${repo}/manifests/${tag}`, serve(bytes, OCI_INDEX));
  server.routes.set(`/v2/${repo}/manifests/${d}`, serve(bytes, OCI_INDEX));
  return d;
}
