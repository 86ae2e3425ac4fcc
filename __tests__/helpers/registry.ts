// Test fixtures for the registry client: a real `docker-registry` (distribution) on a free
// loopback port — anonymous, htpasswd, or token auth backed by an in-process token server
// signing ES256 JWTs — plus a scriptable fault proxy, a recording "blob storage" server,
// hand-made images and a skopeo runner.
//
// Needs on PATH: docker-registry (Debian package docker-registry), htpasswd (apache2-utils),
// openssl, skopeo.

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { mkdtemp, rm, writeFile, readFile, chmod, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobStore } from '../../src/oci/blobstore.ts';
import type { BuiltImage } from '../../src/oci/artifact.ts';
import { sha256 } from '../../src/oci/digest.ts';
import { OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST } from '../../src/oci/mediatypes.ts';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest } from '../../src/oci/types.ts';

const execFileP = promisify(execFile);

export const USERS: Readonly<Record<string, string>> = {
  pusher: 'pusher-S3cret!pw',
  reader: 'reader-S3cret!pw',
};

/** Actions the token server grants per user (anonymous gets none). */
export const GRANTS: Readonly<Record<string, string[]>> = {
  pusher: ['pull', 'push', 'delete'],
  reader: ['pull'],
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------------------------
// Token server

export interface TokenRequestRecord {
  method: 'GET' | 'POST';
  user: string | undefined;
  scopes: string[];
  grantType?: string;
}

export interface TokenServerOptions {
  service?: string;
  issuer?: string;
  /** `expires_in` to announce, in seconds. Default 300. */
  expiresIn?: number;
  /** Refresh tokens (identity tokens) accepted on POST, mapped to their user. */
  refreshTokens?: Record<string, string>;
  /** Answer POST with 404, as token servers without OAuth2 do. */
  noOAuth?: boolean;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export class TokenServer {
  readonly service: string;
  readonly issuer: string;
  readonly requests: TokenRequestRecord[] = [];
  expiresIn: number;
  /** For the next N tokens, set a JWT `exp` already past the registry's 60 s leeway (while announcing `expiresIn`). */
  issueExpired = 0;
  refreshTokens: Record<string, string>;
  noOAuth: boolean;
  url = '';
  certPath = '';
  #server: Server | undefined;
  #key: KeyObject | undefined;
  #x5c = '';

  constructor(options: TokenServerOptions = {}) {
    this.service = options.service ?? 'test-registry';
    this.issuer = options.issuer ?? 'test-issuer';
    this.expiresIn = options.expiresIn ?? 300;
    this.refreshTokens = options.refreshTokens ?? {};
    this.noOAuth = options.noOAuth ?? false;
  }

  async start(dir: string): Promise<void> {
    const keyPath = join(dir, 'token.key');
    this.certPath = join(dir, 'token.crt');
    await execFileP('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', this.certPath, '-days', '2', '-subj', '/CN=test-token-issuer',
    ]);
    this.#key = createPrivateKey(await readFile(keyPath));
    this.#x5c = new X509Certificate(await readFile(this.certPath)).raw.toString('base64');
    this.#server = createHttpServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        res.writeHead(500).end(String(err));
      });
    });
    const port = await listen(this.#server);
    this.url = `http://127.0.0.1:${port}/token`;
  }

  async stop(): Promise<void> {
    if (this.#server) await closeServer(this.#server);
  }

  sign(user: string | undefined, scopes: string[], expired: boolean): string {
    const allowed = user ? (GRANTS[user] ?? []) : [];
    const access: Array<{ type: string; name: string; actions: string[] }> = [];
    for (const scope of scopes) {
      const first = scope.indexOf(':');
      const last = scope.lastIndexOf(':');
      if (first <= 0 || last === first) continue;
      const type = scope.slice(0, first);
      const name = scope.slice(first + 1, last);
      const actions = scope.slice(last + 1).split(',').filter((a) => allowed.includes(a) || (a === '*' && allowed.length === 3));
      if (actions.length > 0) access.push({ type, name, actions });
    }
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [this.#x5c] };
    const claims = {
      iss: this.issuer,
      sub: user ?? '',
      aud: this.service,
      exp: expired ? now - 600 : now + Math.max(this.expiresIn, 1),
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key: this.#key!, dsaEncoding: 'ieee-p1363' });
    return `${input}.${b64url(sig)}`;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const deny = (status: number, message: string) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message }] }));
    };
    let user: string | undefined;
    let scopes: string[];
    let grantType: string | undefined;
    if (req.method === 'POST') {
      if (this.noOAuth) {
        await readBody(req);
        res.writeHead(404).end('not found');
        return;
      }
      const form = new URLSearchParams((await readBody(req)).toString('utf8'));
      grantType = form.get('grant_type') ?? undefined;
      scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      if (grantType === 'refresh_token') {
        user = this.refreshTokens[form.get('refresh_token') ?? ''];
        this.requests.push({ method: 'POST', user, scopes, grantType });
        if (!user) return deny(401, 'invalid refresh token');
      } else if (grantType === 'password') {
        user = form.get('username') ?? undefined;
        this.requests.push({ method: 'POST', user, scopes, grantType });
        if (!user || USERS[user] !== form.get('password')) return deny(401, 'invalid username or password');
      } else {
        return deny(400, 'unsupported grant_type');
      }
    } else {
      scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
      const auth = req.headers.authorization;
      if (auth?.startsWith('Basic ')) {
        const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        const name = decoded.slice(0, colon);
        this.requests.push({ method: 'GET', user: name, scopes });
        if (USERS[name] === undefined || USERS[name] !== decoded.slice(colon + 1)) return deny(401, 'invalid username or password');
        user = name;
      } else {
        this.requests.push({ method: 'GET', user: undefined, scopes });
      }
    }
    const expired = this.issueExpired > 0;
    if (expired) this.issueExpired--;
    const token = this.sign(user, scopes, expired);
    const body: Record<string, unknown> = { expires_in: this.expiresIn, issued_at: new Date().toISOString() };
    // GET answers "token" (distribution's spec), POST "access_token" (OAuth2).
    if (req.method === 'POST') body.access_token = token;
    else body.token = token;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

// ---------------------------------------------------------------------------------------------
// Registry

export type AuthMode = 'anonymous' | 'htpasswd' | 'token';

export interface TestRegistry {
  mode: AuthMode;
  /** `127.0.0.1:PORT` */
  host: string;
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  dir: string;
  tokenServer?: TokenServer;
  /** Recent registry log lines, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

export interface StartRegistryOptions {
  mode: AuthMode;
  token?: TokenServerOptions;
}

async function waitReady(url: string, child: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}:\n${logs()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const r = httpRequest(url, { method: 'GET', agent: false, timeout: 1000 }, (res) => {
        res.resume();
        resolve(true);
      });
      r.on('error', () => resolve(false));
      r.on('timeout', () => r.destroy());
      r.end();
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`docker-registry did not become ready at ${url}:\n${logs()}`);
}

export async function startRegistry(options: StartRegistryOptions): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), `registry-${options.mode}-`));
  const port = await freePort();
  const config: Record<string, unknown> = {
    version: '0.1',
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: join(dir, 'data') },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: `127.0.0.1:${port}`, secret: 'test-http-secret' },
  };
  let tokenServer: TokenServer | undefined;
  if (options.mode === 'htpasswd') {
    const lines: string[] = [];
    for (const [user, pass] of Object.entries(USERS)) {
      const { stdout } = await execFileP('htpasswd', ['-Bbn', user, pass]);
      lines.push(stdout.trim());
    }
    await writeFile(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
    config.auth = { htpasswd: { realm: 'test-realm', path: join(dir, 'htpasswd') } };
  } else if (options.mode === 'token') {
    tokenServer = new TokenServer(options.token);
    await tokenServer.start(dir);
    config.auth = {
      token: {
        realm: tokenServer.url,
        service: tokenServer.service,
        issuer: tokenServer.issuer,
        rootcertbundle: tokenServer.certPath,
      },
    };
  }
  // JSON is YAML.
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const lines: string[] = [];
  const child = spawn('docker-registry', ['serve', configPath], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (b: Buffer) => {
    for (const l of b.toString('utf8').split('\n')) if (l) lines.push(l);
    if (lines.length > 300) lines.splice(0, lines.length - 300);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const logs = () => lines.join('\n');
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(`${url}/v2/`, child, logs);
  } catch (err) {
    child.kill('SIGKILL');
    await tokenServer?.stop();
    throw err;
  }
  const reg: TestRegistry = {
    mode: options.mode,
    host: `127.0.0.1:${port}`,
    port,
    url,
    dir,
    logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      await tokenServer?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  if (tokenServer) reg.tokenServer = tokenServer;
  return reg;
}

// ---------------------------------------------------------------------------------------------
// Fault proxy

export type Fault =
  /** Answer with this status without forwarding. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Close the connection without answering, before forwarding. */
  | { kind: 'reset' }
  /** Forward part of the request body (default: half), then cut both connections. */
  | { kind: 'reset-mid-upload'; afterBytes?: number }
  /** Forward; once the registry has answered, close the client's connection instead of answering. */
  | { kind: 'drop-response' }
  /** Redirect to this URL without forwarding. */
  | { kind: 'redirect'; location: string; status?: number }
  /** Wait, then forward. */
  | { kind: 'delay'; ms: number };

export interface FaultRule {
  method?: string;
  /** Tested against the request path with its query. */
  path: RegExp;
  fault: Fault;
  /** How many matching requests get the fault. Default 1; Infinity for all. */
  times?: number;
}

export interface ProxyLogEntry {
  method: string;
  path: string;
  fault?: Fault['kind'];
  status?: number;
  authorization: boolean;
}

export class FaultProxy {
  readonly target: number;
  readonly log: ProxyLogEntry[] = [];
  rules: Array<FaultRule & { left: number }> = [];
  host = '';
  url = '';
  #server: Server | undefined;

  constructor(targetPort: number) {
    this.target = targetPort;
  }

  async start(): Promise<void> {
    this.#server = createHttpServer((req, res) => this.#handle(req, res));
    const port = await listen(this.#server);
    this.host = `127.0.0.1:${port}`;
    this.url = `http://${this.host}`;
  }

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, left: rule.times ?? 1 });
  }

  clear(): void {
    this.rules = [];
    this.log.length = 0;
  }

  /** Faults that fired, as `METHOD kind`. */
  fired(): string[] {
    return this.log.filter((e) => e.fault).map((e) => `${e.method} ${e.fault}`);
  }

  async stop(): Promise<void> {
    if (this.#server) await closeServer(this.#server);
  }

  #match(req: IncomingMessage): Fault | undefined {
    for (const r of this.rules) {
      if (r.left <= 0) continue;
      if (r.method && r.method !== req.method) continue;
      if (!r.path.test(req.url ?? '')) continue;
      r.left--;
      return r.fault;
    }
    return undefined;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const fault = this.#match(req);
    const entry: ProxyLogEntry = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      authorization: req.headers.authorization !== undefined,
    };
    if (fault) entry.fault = fault.kind;
    this.log.push(entry);
    const socket = req.socket as Socket;
    switch (fault?.kind) {
      case 'status':
        req.resume();
        req.on('end', () => {
          res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
          res.end(fault.body ?? JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: `injected ${fault.status}` }] }));
        });
        entry.status = fault.status;
        return;
      case 'reset':
        req.resume();
        socket.destroy();
        return;
      case 'redirect':
        req.resume();
        req.on('end', () => {
          res.writeHead(fault.status ?? 307, { location: fault.location, 'content-length': '0' });
          res.end();
        });
        entry.status = fault.status ?? 307;
        return;
      case 'delay':
        setTimeout(() => this.#forward(req, res, entry, undefined), fault.ms);
        return;
      default:
        this.#forward(req, res, entry, fault);
    }
  }

  #forward(req: IncomingMessage, res: ServerResponse, entry: ProxyLogEntry, fault: Fault | undefined): void {
    const up = httpRequest({
      host: '127.0.0.1',
      port: this.target,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent: false,
    });
    const socket = req.socket as Socket;
    up.on('error', () => socket.destroy());
    if (fault?.kind === 'reset-mid-upload') {
      const total = Number(req.headers['content-length'] ?? 0);
      // A body shorter than afterBytes is cut just before its end.
      const cut = Math.min(fault.afterBytes ?? Math.max(1, Math.floor(total / 2)), Math.max(0, total - 1));
      let sent = 0;
      if (cut === 0) {
        setTimeout(() => {
          up.destroy();
          socket.destroy();
        }, 20);
        return;
      }
      req.on('data', (chunk: Buffer) => {
        if (sent >= cut) return;
        const part = chunk.subarray(0, cut - sent);
        sent += part.length;
        up.write(part);
        if (sent >= cut) {
          setTimeout(() => {
            up.destroy();
            socket.destroy();
          }, 20);
        }
      });
      return;
    }
    up.on('response', (ures) => {
      entry.status = ures.statusCode;
      if (fault?.kind === 'drop-response') {
        ures.resume();
        ures.on('end', () => socket.destroy());
        return;
      }
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      ures.pipe(res);
    });
    req.pipe(up);
  }
}

export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  const p = new FaultProxy(targetPort);
  await p.start();
  return p;
}

// ---------------------------------------------------------------------------------------------
// Recording server (stands in for blob storage behind a redirect)

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

export class RecordingServer {
  readonly requests: RecordedRequest[] = [];
  /** Bodies served by path. */
  readonly files = new Map<string, Buffer>();
  url = '';
  #server: Server | undefined;

  async start(): Promise<void> {
    this.#server = createHttpServer((req, res) => {
      this.requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', authorization: req.headers.authorization });
      req.resume();
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const body = this.files.get(path);
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    const port = await listen(this.#server);
    this.url = `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    if (this.#server) await closeServer(this.#server);
  }
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const s = new RecordingServer();
  await s.start();
  return s;
}

// ---------------------------------------------------------------------------------------------
// Images made by hand

/** An uncompressed ustar archive of regular files. */
export function tarLayer(files: Record<string, string | Buffer>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    const h = Buffer.alloc(512);
    h.write(name, 0, 100, 'utf8');
    h.write('0000644\0', 100, 'ascii');
    h.write('0000000\0', 108, 'ascii');
    h.write('0000000\0', 116, 'ascii');
    h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
    h.write(`${(0).toString(8).padStart(11, '0')}\0`, 136, 'ascii');
    h.write('        ', 148, 'ascii');
    h.write('0', 156, 'ascii');
    h.write('ustar\0', 257, 'ascii');
    h.write('00', 263, 'ascii');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export interface TestImage {
  /** The manifest's descriptor, with platform. */
  descriptor: Descriptor;
  manifest: ImageManifest;
  manifestBytes: Buffer;
  config: Descriptor;
  layers: Descriptor[];
  layerBytes: Buffer[];
}

export interface MakeImageOptions {
  architecture?: string;
  os?: string;
  variant?: string;
  family?: 'oci' | 'docker';
  /** One layer per entry. */
  layers?: Array<Record<string, string | Buffer>>;
}

/** Writes layers, config and manifest into the store. */
export async function makeImage(store: BlobStore, opts: MakeImageOptions = {}): Promise<TestImage> {
  const family = opts.family ?? 'oci';
  const architecture = opts.architecture ?? 'amd64';
  const os = opts.os ?? 'linux';
  const layerFiles = opts.layers ?? [{ 'hello.txt': `hello from ${architecture}\n` }];
  const layers: Descriptor[] = [];
  const layerBytes: Buffer[] = [];
  for (const files of layerFiles) {
    const tar = tarLayer(files);
    const stored = await store.writeBytes(tar);
    layers.push({ mediaType: family === 'docker' ? DOCKER_LAYER : OCI_LAYER, digest: stored.digest, size: stored.size });
    layerBytes.push(tar);
  }
  const config: ImageConfig = {
    architecture,
    os,
    ...(opts.variant ? { variant: opts.variant } : {}),
    config: { Cmd: ['/hello'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configStored = await store.writeBytes(configBytes);
  const configDesc: Descriptor = { mediaType: family === 'docker' ? DOCKER_CONFIG : OCI_CONFIG, digest: configStored.digest, size: configStored.size };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: family === 'docker' ? DOCKER_MANIFEST : OCI_MANIFEST,
    config: configDesc,
    layers,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const m = await store.writeBytes(manifestBytes);
  const descriptor: Descriptor = {
    mediaType: manifest.mediaType,
    digest: m.digest,
    size: m.size,
    platform: { architecture, os, ...(opts.variant ? { variant: opts.variant } : {}) },
  };
  return { descriptor, manifest, manifestBytes, config: configDesc, layers, layerBytes };
}

export async function makeIndex(store: BlobStore, images: TestImage[], family: 'oci' | 'docker' = 'oci'): Promise<{ descriptor: Descriptor; bytes: Buffer }> {
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: family === 'docker' ? DOCKER_MANIFEST_LIST : OCI_INDEX,
    manifests: images.map((i) => i.descriptor),
  };
  const bytes = Buffer.from(JSON.stringify(index));
  const stored = await store.writeBytes(bytes);
  return { descriptor: { mediaType: index.mediaType, digest: stored.digest, size: stored.size }, bytes };
}

/** A test image as the build describes it (what publishers take), its layout at `layoutDir`. */
export function builtImage(img: TestImage, layoutDir: string): BuiltImage {
  return {
    kind: 'image',
    descriptor: img.descriptor,
    manifest: img.manifest,
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: img.layers.map((l) => l.digest) } },
    platform: { architecture: 'amd64', os: 'linux' },
    family: 'oci',
    layoutDir,
    layerSources: new Map(),
  };
}

export function digestOf(bytes: Uint8Array): string {
  return sha256(bytes);
}

// ---------------------------------------------------------------------------------------------
// Tools

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  try {
    const { stdout, stderr } = await execFileP(cmd, args, { env: env ?? process.env, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

/** Runs skopeo with a private policy (accept anything) and no ambient auth file. */
export async function skopeo(args: string[], workDir: string): Promise<RunResult> {
  const policy = join(workDir, 'policy.json');
  await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  const [verb, ...rest] = args;
  return run('skopeo', ['--policy', policy, verb!, ...rest], {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: workDir,
    XDG_RUNTIME_DIR: workDir,
  });
}

/**
 * Writes `docker-credential-<name>` into `binDir`: answers `get` for the listed servers, says
 * "credentials not found" otherwise, and appends each server asked for to `binDir/calls.log`.
 */
export async function writeCredentialHelper(
  binDir: string,
  name: string,
  entries: Record<string, { Username: string; Secret: string }>,
): Promise<string> {
  await mkdir(binDir, { recursive: true });
  const cases = Object.entries(entries)
    .map(([server, c]) => `  ${JSON.stringify(server)}) printf '%s' ${shellQuote(JSON.stringify({ ServerURL: server, ...c }))} ;;`)
    .join('\n');
  const script = `#!/bin/sh
[ "$1" = get ] || { echo "unsupported: $1" >&2; exit 2; }
server=$(cat)
printf '%s\\n' "$server" >> ${shellQuote(join(binDir, 'calls.log'))}
case "$server" in
${cases}
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;
  const path = join(binDir, `docker-credential-${name}`);
  await writeFile(path, script);
  await chmod(path, 0o755);
  return path;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
