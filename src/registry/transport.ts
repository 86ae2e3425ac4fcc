// HTTP for registry calls, on undici connection pools (one per origin, keep-alive).
//
// - HTTPS with certificate verification by default; plain HTTP for loopback registries and,
//   after HTTPS fails, for hosts listed as insecure (whose certificates are then not checked).
// - Redirects are followed by hand (so that a 307/308 re-sends the body from its factory and
//   an Authorization header never follows a redirect to another host).
// - Retries with exponential backoff and jitter on 408/429/5xx and on connection errors,
//   honouring Retry-After, within a bounded number of attempts and an overall deadline.
//
// `fetch` is not used: it buffers streamed uploads and cannot replay a body on 307/308.

import type { Dispatcher } from 'undici';
import { undici } from '../util/undici.ts';
import { Readable, Transform } from 'node:stream';
import { createDispatcher } from '../net/proxy.ts';
import { debug } from '../util/debug.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { isLoopbackHost, splitHostPort } from './reference.ts';
import { TransportError, redactUrl } from './errors.ts';
import { IDLE_TIMEOUT_MS } from './limits.ts';
import { backoffDelay, parseRetryAfter } from '../util/retry.ts';

export interface RetryOptions {
  /** Total attempts per request, first included. Default 5. */
  attempts?: number;
  /** First backoff delay; doubles per attempt. Default 250 ms. */
  minDelayMs?: number;
  /** Largest backoff delay. Default 8 s. */
  maxDelayMs?: number;
  /** Cap on a server's Retry-After. Default 30 s. */
  maxRetryAfterMs?: number;
  /** Deadline for one request, retries and body included. Default 30 min. */
  requestTimeoutMs?: number;
  /**
   * Longest wait for response headers, and between body chunks; past it the request fails as
   * retryable. Default 60 s (IDLE_TIMEOUT_MS); tests set ~1 s.
   */
  idleTimeoutMs?: number;
  /**
   * After an upload's last byte was handed to the connection, the longest wait for the response
   * headers: megabytes may still sit in socket buffers, and a registry may take its time to
   * verify a large blob. Default 5 min.
   */
  uploadResponseTimeoutMs?: number;
}

type ResolvedRetryOptions = Required<RetryOptions>;

export const DEFAULT_RETRY: ResolvedRetryOptions = {
  attempts: 5,
  minDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
  requestTimeoutMs: 30 * 60_000,
  idleTimeoutMs: IDLE_TIMEOUT_MS,
  uploadResponseTimeoutMs: 5 * 60_000,
};

export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);
const REDIRECT_STATUS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'OCI_IDLE_TIMEOUT',
]);

/** A request body: bytes, or a factory opening a fresh stream for each attempt. */
export type RequestBody = Uint8Array | string | (() => Readable);

export interface HttpRequest {
  method: string;
  url: URL | string;
  /** Header names in any case; undefined values are dropped. */
  headers?: Record<string, string | undefined>;
  body?: RequestBody;
  /** Required with a stream body. */
  contentLength?: number;
  /** Retry on retryable statuses and connection errors. Default true. */
  retry?: boolean;
  /** Follow redirects. Default true. */
  followRedirects?: boolean;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** Final URL, after redirects. */
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  /** How many attempts it took. */
  attempts: number;
  header(name: string): string | undefined;
  /** The body as text, at most `limit` bytes (default 1 MiB); the rest is discarded. */
  text(limit?: number): Promise<string>;
  /** The body as bytes; fails past `limit` bytes (default 16 MiB). */
  bytes(limit?: number): Promise<Uint8Array>;
  /** Discards the body. */
  dump(): Promise<void>;
}

export interface TransportOptions {
  /** Hosts (`host` or `host:port`) where HTTP, or HTTPS without verification, is allowed. */
  insecureRegistries?: string[];
  retry?: RetryOptions;
  log?: (message: string) => void;
  userAgent?: string;
  /** Connections per origin. Default 8. */
  connectionsPerOrigin?: number;
  /**
   * Treat loopback registries as insecure (plain HTTP, no certificate check), as Docker does.
   * Default true; false makes loopback hosts follow the same rules as any other host.
   */
  loopbackIsInsecure?: boolean;
}

/** Delay before retry number `attempt` (1-based): Retry-After when given (capped), else backoff with jitter. */
export function retryDelay(attempt: number, options: RetryOptions = {}, retryAfter?: string): number {
  const o = { ...DEFAULT_RETRY, ...options };
  const asked = parseRetryAfter(retryAfter);
  if (asked !== undefined) return Math.min(asked, o.maxRetryAfterMs);
  return backoffDelay(attempt, o);
}

function errorChain(err: unknown): Array<{ code?: unknown; message?: unknown; name?: unknown }> {
  const out: Array<{ code?: unknown; message?: unknown; name?: unknown }> = [];
  let e: unknown = err;
  for (let i = 0; i < 5 && typeof e === 'object' && e !== null; i++) {
    out.push(e as { code?: unknown; message?: unknown });
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

/** Connection-level failures worth another attempt: resets, broken pipes, timeouts, refused connections. */
export function isRetryableError(err: unknown): boolean {
  for (const e of errorChain(err)) {
    if (typeof e.code === 'string' && RETRYABLE_CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && /socket hang up|other side closed|ECONNRESET|EPIPE|premature close/i.test(e.message)) {
      return true;
    }
  }
  return false;
}

function hostMatches(list: Iterable<string>, hostPort: string): boolean {
  const hp = hostPort.toLowerCase();
  const { host } = splitHostPort(hp);
  for (const raw of list) {
    const entry = raw.trim().toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
    if (entry === hp || entry === host) return true;
  }
  return false;
}

function lowerHeaders(h: Record<string, string | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

function wrapResponse(data: Dispatcher.ResponseData, url: URL): HttpResponse {
  const headers = data.headers as Record<string, string | string[] | undefined>;
  const body = data.body;
  return {
    status: data.statusCode,
    url,
    headers,
    body,
    attempts: 1,
    header(name: string): string | undefined {
      const v = headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(', ') : v;
    },
    async text(limit = 1 << 20): Promise<string> {
      const chunks: Buffer[] = [];
      let n = 0;
      try {
        for await (const chunk of body) {
          const b = chunk as Buffer;
          if (n + b.length > limit) {
            chunks.push(b.subarray(0, limit - n));
            body.destroy();
            break;
          }
          chunks.push(b);
          n += b.length;
        }
      } catch {
        // A body cut short still says what it said so far.
      }
      return Buffer.concat(chunks).toString('utf8');
    },
    async bytes(limit = 16 << 20): Promise<Uint8Array> {
      const chunks: Buffer[] = [];
      let n = 0;
      for await (const chunk of body) {
        const b = chunk as Buffer;
        n += b.length;
        if (n > limit) {
          body.destroy();
          throw new Error(`response from ${redactUrl(url)} is larger than ${limit} bytes`);
        }
        chunks.push(b);
      }
      return new Uint8Array(Buffer.concat(chunks));
    },
    async dump(): Promise<void> {
      try {
        await body.dump({ limit: 1 << 20 });
      } catch {
        body.destroy();
      }
    },
  };
}

export class Transport {
  readonly #pools = new Map<string, Dispatcher>();
  readonly #schemes = new Map<string, Promise<'http' | 'https'>>();
  readonly #insecure: string[];
  readonly #loopbackIsInsecure: boolean;
  readonly #retry: ResolvedRetryOptions;
  readonly #log: (message: string) => void;
  readonly #userAgent: string;
  readonly #connections: number;
  /** Host names (no port) this transport has spoken HTTPS to: credentials never go to them over HTTP. */
  readonly #httpsHosts = new Set<string>();
  #closed = false;

  constructor(options: TransportOptions = {}) {
    this.#insecure = options.insecureRegistries ?? [];
    this.#loopbackIsInsecure = options.loopbackIsInsecure ?? true;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#log = options.log ?? (() => {});
    this.#userAgent = options.userAgent ?? 'oci-build-action';
    this.#connections = options.connectionsPerOrigin ?? 8;
  }

  get retryOptions(): Readonly<ResolvedRetryOptions> {
    return this.#retry;
  }

  /** Whether this transport has spoken HTTPS to `hostname` (no port). */
  hasSpokenHttps(hostname: string): boolean {
    return this.#httpsHosts.has(hostname.toLowerCase());
  }

  /** Listed as insecure (exact `host:port`, or the host for any port). */
  isInsecure(hostPort: string): boolean {
    return hostMatches(this.#insecure, hostPort);
  }

  /** Loopback or listed insecure: TLS certificates are not verified there. */
  #skipTlsVerify(hostPort: string): boolean {
    return this.#isLoopback(hostPort) || this.isInsecure(hostPort);
  }

  #isLoopback(hostPort: string): boolean {
    return this.#loopbackIsInsecure && isLoopbackHost(hostPort);
  }

  /**
   * `scheme://host` to reach a registry at: HTTP for loopback; for insecure hosts HTTPS when
   * it answers (certificate unchecked), else HTTP; HTTPS otherwise.
   */
  async baseUrl(hostPort: string): Promise<string> {
    let scheme = this.#schemes.get(hostPort);
    if (!scheme) {
      scheme = this.#probeScheme(hostPort);
      this.#schemes.set(hostPort, scheme);
    }
    return `${await scheme}://${hostPort}`;
  }

  async #probeScheme(hostPort: string): Promise<'http' | 'https'> {
    if (this.#isLoopback(hostPort)) return 'http';
    if (!this.isInsecure(hostPort)) return 'https';
    try {
      const res = await this.request({
        method: 'GET',
        url: `https://${hostPort}/v2/`,
        retry: false,
        followRedirects: false,
        signal: AbortSignal.timeout(15_000),
      });
      await res.dump();
      return 'https';
    } catch (err) {
      this.#log(`${hostPort}: HTTPS failed (${(err as Error).message}); using plain HTTP for this insecure registry`);
      return 'http';
    }
  }

  async #pool(url: URL): Promise<Dispatcher> {
    const key = url.origin;
    let pool = this.#pools.get(key);
    if (!pool) {
      if (this.#closed) throw new Error('transport is closed');
      const u = await undici();
      // Another request may have made it while undici loaded.
      pool = this.#pools.get(key);
      if (pool) return pool;
      if (this.#closed) throw new Error('transport is closed');
      const tlsVerify = !(url.protocol === 'https:' && this.#skipTlsVerify(url.host));
      // Direct, or through HTTPS_PROXY / HTTP_PROXY unless NO_PROXY or loopback says otherwise.
      pool = createDispatcher(u, url, { connections: this.#connections, keepAliveTimeout: 30_000, rejectUnauthorized: tlsVerify });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /**
   * Sends a request, following redirects and retrying as configured. Resolves with any HTTP
   * status (the caller judges it); rejects with a `TransportError` on connection failure.
   * The caller must consume or `dump()` the response body.
   */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const o = this.#retry;
    const max = req.retry === false ? 1 : Math.max(1, o.attempts);
    const started = Date.now();
    const deadline = AbortSignal.timeout(o.requestTimeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, deadline]) : deadline;
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.#follow(req, signal);
        res.attempts = attempt;
        if (RETRYABLE_STATUS.has(res.status) && attempt < max) {
          const delay = retryDelay(attempt, o, res.header('retry-after'));
          if (Date.now() - started + delay < o.requestTimeoutMs) {
            await res.dump();
            this.#log(
              `${req.method} ${redactUrl(res.url)}: ${res.status}, retrying in ${(delay / 1000).toFixed(1)}s (attempt ${attempt + 1}/${max})`,
            );
            await sleep(delay, undefined, { signal });
            continue;
          }
        }
        return res;
      } catch (err) {
        if (signal.aborted) {
          const secs = o.requestTimeoutMs / 1000;
          const why = req.signal?.aborted ? 'aborted' : `timed out after ${Number.isInteger(secs) ? secs : secs.toFixed(1)}s`;
          throw new TransportError(req.method, req.url, new Error(`request ${why}`), attempt);
        }
        if (err instanceof RedirectError || err instanceof CredentialsRefusedError) throw err;
        if (!isRetryableError(err) || attempt >= max) throw new TransportError(req.method, req.url, err, attempt);
        const delay = retryDelay(attempt, o);
        this.#log(
          `${req.method} ${redactUrl(req.url)}: ${(err as Error).message}, retrying in ${(delay / 1000).toFixed(1)}s (attempt ${attempt + 1}/${max})`,
        );
        try {
          await sleep(delay, undefined, { signal });
        } catch {
          throw new TransportError(req.method, req.url, err, attempt);
        }
      }
    }
  }

  async #follow(req: HttpRequest, signal: AbortSignal): Promise<HttpResponse> {
    let url = new URL(req.url);
    const originalHost = url.host;
    const originalProtocol = url.protocol;
    let method = req.method.toUpperCase();
    let body = req.body;
    const headers = lowerHeaders(req.headers);
    headers['user-agent'] ??= this.#userAgent;
    for (let hop = 0; ; hop++) {
      const res = await this.#send(method, url, headers, body, req.contentLength, signal);
      const location = res.header('location');
      if (req.followRedirects === false || !REDIRECT_STATUS.has(res.status) || !location) return res;
      await res.dump();
      if (hop >= MAX_REDIRECTS) throw new RedirectError(`${method} ${redactUrl(req.url)}: too many redirects`);
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new RedirectError(`${method} ${redactUrl(url)}: redirect to unsupported URL scheme ${next.protocol}`);
      }
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        if (method !== 'HEAD') method = 'GET';
        body = undefined;
        delete headers['content-type'];
      }
      // Credentials are for the registry only: blob storage behind a redirect gets none.
      if (next.host !== originalHost || (originalProtocol === 'https:' && next.protocol === 'http:')) {
        delete headers['authorization'];
      }
      url = next;
    }
  }

  async #send(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: RequestBody | undefined,
    contentLength: number | undefined,
    signal: AbortSignal,
  ): Promise<HttpResponse> {
    const h = { ...headers };
    if (url.protocol === 'http:' && h['authorization'] !== undefined && this.#httpsHosts.has(url.hostname.toLowerCase())) {
      throw new CredentialsRefusedError(
        `${method} ${redactUrl(url)}: refusing to send credentials over plain HTTP to ${url.hostname}, which was reached over HTTPS before`,
      );
    }
    let payload: Dispatcher.DispatchOptions['body'] = null;
    let stream: Readable | undefined;
    if (body !== undefined) {
      if (typeof body === 'function') {
        if (contentLength === undefined) throw new Error(`${method} ${redactUrl(url)}: a stream body needs a content length`);
        stream = body();
        payload = stream;
        h['content-length'] = String(contentLength);
      } else {
        const bytes = typeof body === 'string' ? Buffer.from(body) : body;
        payload = bytes;
        h['content-length'] = String(bytes.length);
        // A large upload is streamed in slices so that its progress is seen (below).
        if (bytes.length > UPLOAD_WATCH_BYTES) stream = Readable.from(slices(bytes));
      }
    } else if (method === 'PUT' || method === 'POST' || method === 'PATCH') {
      h['content-length'] = '0';
    }
    // undici's headersTimeout runs while the body uploads: a large blob on a slow link would time
    // out though bytes flow. For uploads the idle timeout is ours instead: no byte taken by the
    // connection for idleTimeoutMs, or no response headers uploadResponseTimeoutMs after the last one.
    let watchdog: UploadWatchdog | undefined;
    if (stream) {
      watchdog = new UploadWatchdog(this.#retry.idleTimeoutMs, this.#retry.uploadResponseTimeoutMs);
      payload = watchdog.watch(stream);
      signal = AbortSignal.any([signal, watchdog.signal]);
    }
    const sent = performance.now();
    try {
      const data = await (await this.#pool(url)).request({
        path: `${url.pathname}${url.search}`,
        method: method as Dispatcher.HttpMethod,
        headers: h,
        body: payload,
        signal,
        headersTimeout: watchdog ? 0 : this.#retry.idleTimeoutMs,
        bodyTimeout: this.#retry.idleTimeoutMs,
      });
      watchdog?.stop();
      debug(() => `${method} ${redactUrl(url)} ${data.statusCode} ${Math.round(performance.now() - sent)}ms`);
      // Reached over HTTPS (a TLS handshake that failed does not count: insecure hosts fall back).
      if (url.protocol === 'https:') this.#httpsHosts.add(url.hostname.toLowerCase());
      return wrapResponse(data, url);
    } catch (err) {
      watchdog?.stop();
      debug(() => `${method} ${redactUrl(url)} failed after ${Math.round(performance.now() - sent)}ms: ${(err as Error).message}`);
      stream?.destroy();
      throw watchdog?.signal.aborted ? watchdog.signal.reason : err;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => p.destroy())));
  }
}

/** Bodies larger than this are watched for progress while they upload. */
const UPLOAD_WATCH_BYTES = 1 << 20;

function* slices(bytes: Uint8Array): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += 64 * 1024) yield bytes.subarray(i, i + 64 * 1024);
}

/** An idle timeout (ours): retryable, like undici's own timeouts. */
export class IdleTimeoutError extends Error {
  override name = 'IdleTimeoutError';
  readonly code = 'OCI_IDLE_TIMEOUT';
}

/**
 * Aborts an upload when the connection takes no byte of it for `idleMs`, or when no response
 * headers come within `responseMs` after the last byte was handed to the connection.
 */
class UploadWatchdog {
  readonly #ac = new AbortController();
  readonly #idleMs: number;
  readonly #responseMs: number;
  #timer: NodeJS.Timeout | undefined;
  constructor(idleMs: number, responseMs: number) {
    this.#idleMs = idleMs;
    this.#responseMs = responseMs;
  }
  get signal(): AbortSignal {
    return this.#ac.signal;
  }
  #arm(what: string, ms = this.#idleMs): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#ac.abort(new IdleTimeoutError(`${what} for ${ms / 1000}s`)), ms);
  }
  watch(source: Readable): Readable {
    this.#arm('the registry took no upload bytes');
    const arm = (what: string, ms?: number) => this.#arm(what, ms);
    const responseMs = this.#responseMs;
    const out = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        arm('the registry took no upload bytes');
        cb(null, chunk);
      },
      flush(cb) {
        arm('the registry sent no response after the upload', responseMs);
        cb();
      },
    });
    source.on('error', (e) => out.destroy(e));
    out.on('close', () => source.destroy());
    return source.pipe(out);
  }
  stop(): void {
    clearTimeout(this.#timer);
  }
}

class RedirectError extends Error {
  override name = 'RedirectError';
}

/** A request that would have sent credentials where they must not go; never retried. */
export class CredentialsRefusedError extends Error {
  override name = 'CredentialsRefusedError';
}
