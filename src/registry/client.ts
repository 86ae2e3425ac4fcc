// A client for one registry host speaking the OCI distribution API: blobs (HEAD, GET into
// the blob store with verification, cross-repository mount, monolithic or chunked upload) and
// manifests (GET/HEAD/PUT/DELETE), tags.

import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { BlobContentError, type BlobStore, type StoredBlob } from '../oci/blobstore.ts';
import { digestAlgorithm, digestBytes, isDigest, sha256 } from '../oci/digest.ts';
import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  OCI_INDEX,
  OCI_MANIFEST,
} from '../oci/mediatypes.ts';
import type { Digest } from '../oci/types.ts';
import { Authenticator } from './auth.ts';
import type { CredentialsProvider } from './credentials.ts';
import {
  RegistryAuthError,
  RegistryError,
  TransportError,
  describeErrorBody,
  parseErrorBody,
  redactUrl,
} from './errors.ts';
import { normalizeRegistry, registryApiHost } from './reference.ts';
import { MAX_ERROR_BODY_BYTES, MAX_MANIFEST_BYTES, MAX_TAG_LIST_BYTES } from './limits.ts';
import { backoffDelay, parseRetryAfter } from '../util/retry.ts';
import {
  RETRYABLE_STATUS,
  Transport,
  isRetryableError,
  retryDelay,
  type HttpResponse,
  type RequestBody,
  type RetryOptions,
} from './transport.ts';

/** Every manifest type we read, most specific first. */
export const MANIFEST_ACCEPT: readonly string[] = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST];


export interface RegistryClientOptions {
  credentials?: CredentialsProvider;
  /** Allow plain HTTP / unverified TLS for this registry (loopback registries always are). */
  insecure?: boolean;
  /** Further hosts treated as insecure (redirect targets, token services). */
  insecureRegistries?: string[];
  retry?: RetryOptions;
  /** Parallel blob transfers in a push. Default 4. */
  concurrency?: number;
  /** Upload blobs in PATCH chunks of this many bytes instead of one PUT. */
  chunkSize?: number;
  log?: (message: string) => void;
  /** Called with every token or credential the client derives (wire to core.setSecret). */
  maskSecret?: (secret: string) => void;
  /** Share connection pools with other clients; it is then not closed by `close()`. */
  transport?: Transport;
  userAgent?: string;
}

export interface ManifestResponse {
  mediaType: string;
  digest: Digest;
  bytes: Uint8Array;
}

export interface ManifestHead {
  mediaType: string;
  digest: Digest;
  size: number;
}

export type MountResult = { mounted: true } | { mounted: false; location: string };

type Access = 'pull' | 'push' | 'delete';

interface Call {
  method: string;
  /** Path under the registry (`/v2/...`) or an absolute URL (upload locations). */
  url: string;
  repo: string;
  access: Access;
  extraScopes?: string[];
  headers?: Record<string, string | undefined>;
  body?: RequestBody;
  contentLength?: number;
  retry?: boolean;
  /** Statuses returned to the caller; any other is thrown as a RegistryError. */
  ok: number[];
}

const VERB: Record<Access, string> = { pull: 'pull from', push: 'push to', delete: 'delete from' };

function baseMediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function appendQuery(url: URL, name: string, value: string): URL {
  const u = new URL(url);
  const pair = `${name}=${encodeURIComponent(value)}`;
  u.search = u.search.length > 1 ? `${u.search}&${pair}` : `?${pair}`;
  return u;
}

async function* chunksOf(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream) {
    let b = chunk as Buffer;
    while (b.length > 0) {
      const take = Math.min(size - n, b.length);
      parts.push(b.subarray(0, take));
      n += take;
      b = b.subarray(take);
      if (n === size) {
        yield Buffer.concat(parts);
        parts = [];
        n = 0;
      }
    }
  }
  if (n > 0) yield Buffer.concat(parts);
}

/** A body that went silent reads as what it is; other connection failures keep their message. */
function describeStall(err: unknown, idleMs: number): string {
  for (let e: unknown = err; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') return `the registry sent nothing for ${idleMs / 1000}s`;
    if (code === 'OCI_IDLE_TIMEOUT') return (e as Error).message;
  }
  return (err as Error).message;
}

/** A failure worth a whole new upload session (once the transport has not retried it already). */
function uploadRetryable(err: unknown): boolean {
  if (err instanceof TransportError) return err.attempts <= 1 && isRetryableError(err);
  if (err instanceof RegistryError) {
    if (err.attempts > 1) return false;
    return (
      RETRYABLE_STATUS.has(err.status) ||
      err.hasCode('BLOB_UPLOAD_UNKNOWN') ||
      err.hasCode('BLOB_UPLOAD_INVALID') ||
      (err.status === 404 && err.url.includes('/blobs/uploads/'))
    );
  }
  return isRetryableError(err);
}

export class RegistryClient {
  /** Registry name as in references (`127.0.0.1:5000`, `index.docker.io`). */
  readonly registry: string;
  /** Host the API is served from. */
  readonly apiHost: string;
  readonly transport: Transport;
  readonly auth: Authenticator;
  readonly concurrency: number;
  readonly chunkSize: number | undefined;
  readonly #ownsTransport: boolean;
  readonly #retry: RetryOptions;
  readonly #log: (message: string) => void;
  #base: Promise<string> | undefined;
  /**
   * Blobs this client saw present (HEAD) or uploaded in this run, by
   * `repo@digest` → size: a blob several images share is asked about once.
   */
  readonly #present = new Map<string, number>();

  constructor(registry: string, options: RegistryClientOptions = {}) {
    this.registry = normalizeRegistry(registry);
    this.apiHost = registryApiHost(this.registry);
    this.#log = options.log ?? (() => {});
    this.#retry = options.retry ?? {};
    const insecure = [...(options.insecureRegistries ?? []), ...(options.insecure ? [this.apiHost] : [])];
    this.#ownsTransport = options.transport === undefined;
    this.transport =
      options.transport ??
      new Transport({
        insecureRegistries: insecure,
        retry: this.#retry,
        log: this.#log,
        ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
      });
    this.auth = new Authenticator({
      registry: this.registry,
      transport: this.transport,
      log: this.#log,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.maskSecret ? { maskSecret: options.maskSecret } : {}),
    });
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    if (options.chunkSize !== undefined && options.chunkSize > 0) this.chunkSize = options.chunkSize;
  }

  /** `scheme://host` of the API. */
  baseUrl(): Promise<string> {
    this.#base ??= this.transport.baseUrl(this.apiHost);
    return this.#base;
  }

  async close(): Promise<void> {
    if (this.#ownsTransport) await this.transport.close();
  }

  async #authError(res: HttpResponse, text: string, call: Call, status: number): Promise<RegistryAuthError> {
    const errors = parseErrorBody(text);
    const said = describeErrorBody(errors, text);
    const what = `${this.registry}/${call.repo}`;
    // A HEAD during a push fails for want of push rights as much as pull rights: name the intent.
    const verb = call.access === 'pull' && this.auth.wants(`repository:${call.repo}:push`) ? VERB.push : VERB[call.access];
    const head =
      status === 403 ? `denied: not allowed to ${verb} ${what}` : `unauthorized: authentication required to ${verb} ${what}`;
    return new RegistryAuthError(
      `${head} (${await this.auth.describeCredentials()}); ${call.method} ${redactUrl(res.url)} replied ${status}${said ? ` ${said}` : ''}`,
      { registry: this.registry, status, errors },
    );
  }

  /**
   * Credentials are bound to the registry host. A 401 or 403 from any other host (a storage host
   * a redirect led to, an upload location elsewhere) is a failure naming that host: never a
   * challenge to answer, so no realm it names is ever asked and nothing of ours goes there.
   */
  async #refuseForeignChallenge(res: HttpResponse, method: string, base: string): Promise<void> {
    if ((res.status !== 401 && res.status !== 403) || res.url.host === new URL(base).host) return;
    const text = await res.text(4096);
    // Storage hosts say why in XML (S3: "Request has expired"): keep the gist, on one line.
    const code = /<Code>([^<]{1,80})<\/Code>/.exec(text)?.[1] ?? describeErrorBody(parseErrorBody(text), text).slice(0, 120);
    throw new RegistryAuthError(
      `${method} ${redactUrl(res.url)}: ${res.url.host} answered ${res.status}${code ? ` (${code.replace(/[^\x20-\x7e]/g, '?')})` : ''}; ` +
        `it is not ${this.registry} (a redirect or upload location led there), so no credentials for ${this.registry} go to it and no challenge of its is answered`,
      { registry: this.registry, status: res.status },
    );
  }

  async #call(call: Call): Promise<HttpResponse> {
    const base = await this.baseUrl();
    const url = new URL(call.url, base);
    const actions = call.access === 'push' ? 'pull,push' : call.access;
    const scopes = [`repository:${call.repo}:${actions}`, ...(call.extraScopes ?? [])];
    const ours = url.host === new URL(base).host;
    const send = async (authorization: string | undefined) =>
      this.transport.request({
        method: call.method,
        url,
        headers: { ...call.headers, authorization },
        ...(call.body !== undefined ? { body: call.body } : {}),
        ...(call.contentLength !== undefined ? { contentLength: call.contentLength } : {}),
        ...(call.retry !== undefined ? { retry: call.retry } : {}),
      });
    let authorization = ours ? await this.auth.authorization(scopes) : undefined;
    let res = await send(authorization);
    await this.#refuseForeignChallenge(res, call.method, base);
    if (res.status === 401 && ours) {
      const text = await res.text(MAX_ERROR_BODY_BYTES);
      const fresh = await this.auth.unauthorized(res.header('www-authenticate'), scopes, authorization);
      if (fresh === undefined) throw await this.#authError(res, text, call, 401);
      authorization = fresh;
      res = await send(authorization);
      await this.#refuseForeignChallenge(res, call.method, base);
      if (res.status === 401) throw await this.#authError(res, await res.text(MAX_ERROR_BODY_BYTES), call, 401);
    }
    if (res.status === 403 && !call.ok.includes(403)) throw await this.#authError(res, await res.text(MAX_ERROR_BODY_BYTES), call, 403);
    if (!call.ok.includes(res.status) && res.status < 300) {
      await res.dump();
      throw new Error(`${call.method} ${redactUrl(res.url)}: unexpected ${res.status} (expected ${call.ok.join(' or ')}); is ${this.registry} an OCI registry?`);
    }
    if (!call.ok.includes(res.status)) {
      const text = call.method === 'HEAD' ? '' : await res.text(MAX_ERROR_BODY_BYTES);
      if (call.method === 'HEAD') await res.dump();
      const retryAfter = parseRetryAfter(res.header('retry-after'));
      throw new RegistryError({
        method: call.method,
        url: res.url,
        status: res.status,
        errors: parseErrorBody(text),
        body: text,
        attempts: res.attempts,
        ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
      });
    }
    return res;
  }

  #pinged: Promise<void> | undefined;

  /**
   * Checks the registry speaks the v2 API, and learns how it wants to be authenticated: once per
   * client (one registry host), since the answer does not depend on the repository; a failed
   * ping is tried again by the next caller.
   */
  ping(): Promise<void> {
    if (!this.#pinged) {
      this.#pinged = this.#ping();
      this.#pinged.catch(() => (this.#pinged = undefined));
    }
    return this.#pinged;
  }

  async #ping(): Promise<void> {
    const base = await this.baseUrl();
    const res = await this.transport.request({ method: 'GET', url: `${base}/v2/` });
    await this.#refuseForeignChallenge(res, 'GET', base);
    const text = await res.text(MAX_ERROR_BODY_BYTES);
    if (res.status === 401) {
      this.auth.observe(res.header('www-authenticate'));
      return;
    }
    if (res.status !== 200) {
      throw new RegistryError({ method: 'GET', url: res.url, status: res.status, errors: parseErrorBody(text), body: text });
    }
    // A web server answering 200 to everything is not a registry: without this check its 200s
    // would pass for blobs it has and manifests it took. The API answers JSON (`{}`) or nothing.
    const type = baseMediaType(res.header('content-type'));
    let json = text.trim() === '';
    if (!json) {
      try {
        JSON.parse(text);
        json = true;
      } catch {
        json = false;
      }
    }
    if (!json) {
      const said = text.replace(/\s+/g, ' ').trim().slice(0, 80);
      throw new Error(`${this.registry} does not look like an OCI registry: GET ${redactUrl(res.url)} answered 200 with ${type || 'no content type'}${said ? ` (${JSON.stringify(said)})` : ''}`);
    }
  }

  /** Size of a blob in the repository, or undefined when it is not there (-1: size not given). */
  async headBlob(repo: string, digest: Digest): Promise<number | undefined> {
    const known = this.#present.get(`${repo}@${digest}`);
    if (known !== undefined) return known;
    const res = await this.#call({ method: 'HEAD', url: `/v2/${repo}/blobs/${digest}`, repo, access: 'pull', ok: [200, 404] });
    await res.dump();
    if (res.status === 404) return undefined;
    const len = res.header('content-length');
    const size = len !== undefined && /^\d+$/.test(len) ? Number(len) : -1;
    this.#present.set(`${repo}@${digest}`, size);
    return size;
  }

  /** Opens a blob for reading; the caller must consume or destroy the stream. */
  async openBlob(repo: string, digest: Digest): Promise<{ size: number | undefined; stream: Readable }> {
    const res = await this.#call({ method: 'GET', url: `/v2/${repo}/blobs/${digest}`, repo, access: 'pull', ok: [200] });
    const len = res.header('content-length');
    return { size: len !== undefined && /^\d+$/.test(len) ? Number(len) : undefined, stream: res.body };
  }

  /**
   * Downloads a blob into the store, verifying digest and size (`size` when known, else the
   * response's Content-Length). On a mismatch nothing is stored under the expected digest. The
   * bytes stream to disk and are cut off at the expected size (or `maxSize`): a registry that
   * sends more never gets more than that onto the disk. A body that stalls past the idle
   * timeout, or breaks off, is fetched again.
   */
  async getBlob(repo: string, digest: Digest, store: BlobStore, size?: number, opts: { maxSize?: number } = {}): Promise<StoredBlob> {
    const where = `blob ${digest} from ${this.registry}/${repo}`;
    if (size !== undefined && opts.maxSize !== undefined && size > opts.maxSize) {
      throw new Error(`${where}: ${size} bytes, more than the ${opts.maxSize} allowed`);
    }
    const have = await store.has(digest);
    if (have && (size === undefined || have.size === size)) return have;
    const attempts = Math.max(1, this.#retry.attempts ?? 5);
    for (let attempt = 1; ; attempt++) {
      const { size: given, stream } = await this.openBlob(repo, digest);
      const expected = size ?? given;
      if (size !== undefined && given !== undefined && given !== size) {
        stream.destroy();
        throw new Error(
          `blob ${digest} in ${this.registry}/${repo}: registry reports ${given} bytes, expected ${size}`,
        );
      }
      if (opts.maxSize !== undefined && given !== undefined && given > opts.maxSize) {
        stream.destroy();
        throw new Error(`${where}: registry reports ${given} bytes, more than the ${opts.maxSize} allowed`);
      }
      try {
        return await store.writeStream(stream, { digest, size: expected }, opts.maxSize !== undefined ? { maxSize: opts.maxSize } : {});
      } catch (err) {
        stream.destroy();
        if (!isRetryableError(err) || attempt >= attempts) {
          if (err instanceof BlobContentError) {
            throw new Error(`${where}: ${err.message}`, { cause: err });
          }
          if (isRetryableError(err)) throw new Error(`${where}: ${describeStall(err, this.transport.retryOptions.idleTimeoutMs)} (after ${attempt} attempt(s))`, { cause: err });
          throw err;
        }
        const delay = retryDelay(attempt, this.#retry);
        this.#log(`GET blob ${digest}: ${describeStall(err, this.transport.retryOptions.idleTimeoutMs)}, retrying in ${(delay / 1000).toFixed(1)}s`);
        await sleep(delay);
      }
    }
  }

  /** Starts an upload session; resolves with its Location. */
  async startUpload(repo: string): Promise<string> {
    const res = await this.#call({ method: 'POST', url: `/v2/${repo}/blobs/uploads/`, repo, access: 'push', ok: [202] });
    await res.dump();
    return this.#location(res);
  }

  #location(res: HttpResponse): string {
    const loc = res.header('location');
    if (!loc) throw new Error(`${res.url.pathname}: registry ${this.registry} sent no upload Location`);
    let url: URL;
    try {
      url = new URL(loc, res.url);
    } catch {
      throw new Error(`${res.url.pathname}: registry ${this.registry} sent an upload Location that is not a URL (${JSON.stringify(loc.slice(0, 100))})`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`${res.url.pathname}: registry ${this.registry} sent an upload Location with scheme ${url.protocol}`);
    }
    return url.toString();
  }

  /**
   * Mounts a blob from another repository of this registry. 201: mounted. 202: the registry
   * did not mount it and opened an upload session instead, to continue with.
   */
  async mountBlob(repo: string, digest: Digest, fromRepo: string): Promise<MountResult> {
    const url = `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepo)}`;
    const res = await this.#call({
      method: 'POST',
      url,
      repo,
      access: 'push',
      extraScopes: [`repository:${fromRepo}:pull`],
      ok: [201, 202],
    });
    await res.dump();
    if (res.status === 201) return { mounted: true };
    return { mounted: false, location: this.#location(res) };
  }

  /**
   * Uploads a blob: POST (or the given session `location`), then one PUT with the content —
   * or PATCH chunks and a closing PUT when `chunkSize` is set. A failed attempt starts a new
   * session, re-opening the content; one whose blob landed anyway is recognised by HEAD.
   */
  async uploadBlob(repo: string, digest: Digest, size: number, open: () => Readable, opts: { location?: string } = {}): Promise<void> {
    const attempts = Math.max(1, this.#retry.attempts ?? 5);
    let location = opts.location;
    for (let attempt = 1; ; attempt++) {
      try {
        if (attempt > 1) {
          const have = await this.headBlob(repo, digest);
          if (have !== undefined && (have === size || have === -1)) return;
        }
        location ??= await this.startUpload(repo);
        await this.#upload(repo, digest, size, open, location);
        this.#present.set(`${repo}@${digest}`, size);
        return;
      } catch (err) {
        location = undefined;
        if (!uploadRetryable(err) || attempt >= attempts) throw err;
        const delay =
          err instanceof RegistryError && err.retryAfterMs !== undefined
            ? Math.min(err.retryAfterMs, this.#retry.maxRetryAfterMs ?? 30_000)
            : retryDelay(attempt, this.#retry);
        this.#log(`upload of ${digest} to ${this.registry}/${repo} failed (${(err as Error).message}); retrying in ${(delay / 1000).toFixed(1)}s`);
        await sleep(delay);
      }
    }
  }

  async #upload(repo: string, digest: Digest, size: number, open: () => Readable, location: string): Promise<void> {
    let loc = new URL(location);
    let body: RequestBody | undefined = open;
    let length = size;
    if (this.chunkSize !== undefined && size > 0) {
      loc = await this.#patchChunks(repo, loc, size, open(), this.chunkSize);
      body = undefined;
      length = 0;
    }
    const res = await this.#call({
      method: 'PUT',
      url: appendQuery(loc, 'digest', digest).toString(),
      repo,
      access: 'push',
      headers: body !== undefined ? { 'content-type': 'application/octet-stream' } : {},
      ...(body !== undefined ? { body, contentLength: length } : {}),
      retry: false,
      ok: [201, 204],
    });
    await res.dump();
    const theirs = res.header('docker-content-digest');
    if (theirs !== undefined && theirs !== digest) {
      throw new Error(`upload of ${digest} to ${this.registry}/${repo}: registry stored it as ${theirs}`);
    }
  }

  async #patchChunks(repo: string, location: URL, size: number, stream: Readable, chunkSize: number): Promise<URL> {
    let loc = location;
    let offset = 0;
    try {
      for await (const chunk of chunksOf(stream, chunkSize)) {
        const end = offset + chunk.length - 1;
        const res = await this.#call({
          method: 'PATCH',
          url: loc.toString(),
          repo,
          access: 'push',
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${end}` },
          body: chunk,
          retry: false,
          ok: [202, 204],
        });
        await res.dump();
        const range = res.header('range');
        const m = range ? /^(?:bytes=)?(\d+)-(\d+)$/.exec(range.trim()) : null;
        if (m && Number(m[2]) !== end) {
          throw new Error(`chunked upload to ${this.registry}/${repo}: registry has bytes ${m[1]}-${m[2]}, expected 0-${end}`);
        }
        offset = end + 1;
        const next = res.header('location');
        if (next) loc = new URL(next, res.url);
      }
    } finally {
      stream.destroy();
    }
    if (offset !== size) throw new Error(`chunked upload to ${this.registry}/${repo}: content was ${offset} bytes, expected ${size}`);
    return loc;
  }

  /**
   * Fetches a manifest. Its digest is checked: against `ref` when that is a digest, else
   * against Docker-Content-Digest when the registry sends one.
   */
  async getManifest(repo: string, ref: string, accept: readonly string[] = MANIFEST_ACCEPT): Promise<ManifestResponse> {
    const where = `${this.registry}/${repo}${isDigest(ref) ? '@' : ':'}${ref}`;
    const attempts = Math.max(1, this.#retry.attempts ?? 5);
    let res: HttpResponse;
    let bytes: Uint8Array;
    for (let attempt = 1; ; attempt++) {
      res = await this.#call({
        method: 'GET',
        url: `/v2/${repo}/manifests/${ref}`,
        repo,
        access: 'pull',
        headers: { accept: accept.join(', ') },
        ok: [200],
      });
      try {
        bytes = await res.bytes(MAX_MANIFEST_BYTES);
        break;
      } catch (err) {
        // A body that stalls (idle timeout) or breaks off is asked for again; one past the cap is not.
        if (!isRetryableError(err)) throw new Error(`manifest ${where}: ${(err as Error).message}`, { cause: err });
        const why = describeStall(err, this.transport.retryOptions.idleTimeoutMs);
        if (attempt >= attempts) throw new Error(`manifest ${where}: ${why} (after ${attempt} attempt(s))`, { cause: err });
        const delay = retryDelay(attempt, this.#retry);
        this.#log(`GET manifest ${where}: ${why}, retrying in ${(delay / 1000).toFixed(1)}s`);
        await sleep(delay);
      }
    }
    const digest = isDigest(ref) ? digestBytes(bytes, digestAlgorithm(ref)) : sha256(bytes);
    if (isDigest(ref) && ref !== digest) throw new Error(`manifest ${where}: content has digest ${digest}`);
    const header = res.header('docker-content-digest');
    if (!isDigest(ref) && header !== undefined && header.startsWith('sha256:') && header !== digest) {
      throw new Error(`manifest ${where}: registry says digest ${header}, content has ${digest}`);
    }
    let mediaType = baseMediaType(res.header('content-type'));
    if (!MANIFEST_ACCEPT.includes(mediaType)) {
      // A generic Content-Type: trust the document's own field, or its shape (OCI allows
      // manifests without mediaType).
      let doc: { mediaType?: unknown; manifests?: unknown; config?: unknown; schemaVersion?: unknown };
      try {
        doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as typeof doc;
      } catch {
        throw new Error(`manifest ${where}: not JSON (Content-Type ${mediaType || 'none'})`);
      }
      if (typeof doc.mediaType === 'string') mediaType = doc.mediaType;
      else if (doc.schemaVersion === 2 && Array.isArray(doc.manifests)) mediaType = OCI_INDEX;
      else if (doc.schemaVersion === 2 && typeof doc.config === 'object' && doc.config !== null) mediaType = OCI_MANIFEST;
    }
    return { mediaType, digest, bytes };
  }

  /** Media type, digest and size of a manifest, or undefined when it is not there. */
  async headManifest(repo: string, ref: string, accept: readonly string[] = MANIFEST_ACCEPT): Promise<ManifestHead | undefined> {
    const res = await this.#call({
      method: 'HEAD',
      url: `/v2/${repo}/manifests/${ref}`,
      repo,
      access: 'pull',
      headers: { accept: accept.join(', ') },
      ok: [200, 404],
    });
    await res.dump();
    if (res.status === 404) return undefined;
    const digest = res.header('docker-content-digest');
    const len = res.header('content-length');
    if (digest === undefined || !isDigest(digest) || len === undefined) {
      const m = await this.getManifest(repo, ref, accept);
      return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
    }
    if (!/^\d+$/.test(len)) throw new Error(`HEAD manifest ${this.registry}/${repo}:${ref}: Content-Length ${JSON.stringify(len.slice(0, 40))} is not a number`);
    return { mediaType: baseMediaType(res.header('content-type')), digest, size: Number(len) };
  }

  /**
   * Puts a manifest under a tag or its digest; checks the registry agrees on the digest. We only
   * put a manifest after what it references is pushed, so MANIFEST_BLOB_UNKNOWN means a registry
   * that is not yet consistent (another client pushing the same content at the same moment, an
   * eventually consistent storage backend): it is tried again a few times, briefly.
   */
  async putManifest(repo: string, ref: string, bytes: Uint8Array, mediaType: string): Promise<Digest> {
    const digest = sha256(bytes);
    if (isDigest(ref) && ref !== digest) throw new Error(`manifest put as ${ref} has digest ${digest}`);
    const put = () =>
      this.#call({
        method: 'PUT',
        url: `/v2/${repo}/manifests/${ref}`,
        repo,
        access: 'push',
        headers: { 'content-type': mediaType },
        body: bytes,
        ok: [200, 201, 202, 204],
      });
    let res: HttpResponse;
    for (let attempt = 1; ; attempt++) {
      try {
        res = await put();
        break;
      } catch (err) {
        const unknown = err instanceof RegistryError && err.status === 400 && err.errors.some((e) => e.code === 'MANIFEST_BLOB_UNKNOWN');
        if (!unknown || attempt >= 4) throw err;
        await sleep(backoffDelay(attempt, { minDelayMs: 200, maxDelayMs: 800, jitter: false }));
      }
    }
    await res.dump();
    const theirs = res.header('docker-content-digest');
    if (theirs !== undefined && theirs !== digest) {
      throw new Error(`PUT manifest ${this.registry}/${repo}:${ref}: registry computed digest ${theirs}, expected ${digest}`);
    }
    return digest;
  }

  /** Deletes a manifest by digest; false when it was not there. */
  async deleteManifest(repo: string, digest: Digest): Promise<boolean> {
    const res = await this.#call({ method: 'DELETE', url: `/v2/${repo}/manifests/${digest}`, repo, access: 'delete', ok: [200, 202, 204, 404] });
    await res.dump();
    return res.status !== 404;
  }

  /** Deletes a tag (registries that support it: OCI distribution 1.1); false when it was not there. */
  async deleteTag(repo: string, tag: string): Promise<boolean> {
    let res: HttpResponse;
    try {
      res = await this.#call({ method: 'DELETE', url: `/v2/${repo}/manifests/${tag}`, repo, access: 'delete', ok: [200, 202, 204, 404] });
    } catch (err) {
      // distribution 2.x answers 400 DIGEST_INVALID, others 405 or UNSUPPORTED.
      if (err instanceof RegistryError && (err.status === 400 || err.status === 405 || err.hasCode('UNSUPPORTED'))) {
        throw new Error(`cannot delete tag ${this.registry}/${repo}:${tag}: the registry does not support deleting tags (${err.message})`, {
          cause: err,
        });
      }
      throw err;
    }
    await res.dump();
    return res.status !== 404;
  }

  /** All tags of a repository (following pagination); [] when the repository does not exist. */
  async listTags(repo: string): Promise<string[]> {
    const tags: string[] = [];
    let url = `/v2/${repo}/tags/list?n=1000`;
    for (let page = 0; page < 1000; page++) {
      const res = await this.#call({ method: 'GET', url, repo, access: 'pull', ok: [200, 404] });
      if (res.status === 404) {
        await res.dump();
        return tags;
      }
      let body: { tags?: unknown };
      try {
        body = JSON.parse(Buffer.from(await res.bytes(MAX_TAG_LIST_BYTES)).toString('utf8')) as { tags?: unknown };
      } catch (err) {
        throw new Error(`tag list of ${this.registry}/${repo}: ${(err as Error).message}`, { cause: err });
      }
      if (typeof body !== 'object' || body === null) throw new Error(`tag list of ${this.registry}/${repo}: not a JSON object`);
      if (Array.isArray(body.tags)) for (const t of body.tags) if (typeof t === 'string') tags.push(t);
      const link = res.header('link');
      const next = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
      if (!next) break;
      url = new URL(next[1]!, res.url).toString();
    }
    return tags;
  }
}
