// Loading images into a Docker daemon through the Engine API (no docker CLI needed).

import { Readable } from 'node:stream';
import { Client } from 'undici';
import { dockerArchiveStream, planDockerArchive, type LoadImageInput } from './docker-archive.ts';
import { JsonMessageParser, jsonMessageError, type JsonMessage } from './jsonstream.ts';

export type { BlobDescriptor, LoadImageInput } from './docker-archive.ts';
export { InvalidReferenceError, parseImageReference, parseRepoTag } from './reference.ts';

/** Where the Engine API listens: a unix socket, or an http(s) URL (from tcp://). */
export interface DockerEndpoint {
  socketPath?: string;
  url?: string;
}

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
/** API version used when the daemon does not say (every daemon since 20.10 speaks it). */
export const FALLBACK_API_VERSION = '1.41';

/** Logs one line of progress. */
export type LogLine = (line: string) => void;

/**
 * The endpoint DOCKER_HOST names (unix://, tcp://, http://, https://), or the default socket.
 * tcp:// becomes https:// when DOCKER_TLS_VERIFY is set (client certificates are not supported).
 */
export function dockerEndpointFromEnv(env: NodeJS.ProcessEnv = process.env): DockerEndpoint {
  const host = (env.DOCKER_HOST ?? '').trim();
  if (host === '') return { socketPath: DEFAULT_DOCKER_SOCKET };
  if (host.startsWith('unix://')) {
    const path = host.slice('unix://'.length);
    if (path === '') throw new Error(`DOCKER_HOST=${host}: missing socket path`);
    return { socketPath: path };
  }
  if (host.startsWith('/')) return { socketPath: host };
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new Error(`DOCKER_HOST=${host}: not a unix://, tcp://, http:// or https:// address`);
  }
  const tls = env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0';
  switch (url.protocol) {
    case 'tcp:':
      if (url.hostname === '') throw new Error(`DOCKER_HOST=${host}: missing host`);
      return { url: `${tls ? 'https' : 'http'}://${url.host}${url.port === '' ? (tls ? ':2376' : ':2375') : ''}` };
    case 'http:':
    case 'https:':
      return { url: `${url.protocol}//${url.host}` };
    default:
      throw new Error(`DOCKER_HOST=${host}: unsupported scheme ${url.protocol} (use unix://, tcp://, http:// or https://)`);
  }
}

/** "unix:///var/run/docker.sock" or the URL, for messages. */
export function describeDockerEndpoint(endpoint: DockerEndpoint): string {
  if (endpoint.socketPath !== undefined) return `unix://${endpoint.socketPath}`;
  if (endpoint.url !== undefined) return endpoint.url;
  return `unix://${DEFAULT_DOCKER_SOCKET}`;
}

interface ClientTimeouts {
  connectTimeout?: number;
  headersTimeout?: number;
  bodyTimeout?: number;
}

function newClient(endpoint: DockerEndpoint, timeouts: ClientTimeouts): Client {
  if (endpoint.url !== undefined && endpoint.socketPath === undefined) {
    return new Client(new URL(endpoint.url).origin, timeouts);
  }
  return new Client('http://localhost', { ...timeouts, socketPath: endpoint.socketPath ?? DEFAULT_DOCKER_SOCKET });
}

const CONNECT_ERROR_CODES = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'EACCES',
  'EPERM',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'ENOTSOCK',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Whether an error means the daemon could not be reached at all. */
export function isDockerUnreachable(err: unknown): boolean {
  return err instanceof DockerUnreachableError;
}

export class DockerUnreachableError extends Error {
  readonly endpoint: string;
  readonly code: string | undefined;
  constructor(endpoint: DockerEndpoint, cause: unknown) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    super(`cannot reach Docker at ${describeDockerEndpoint(endpoint)}: ${oneLine(msg)}`, { cause });
    this.name = 'DockerUnreachableError';
    this.endpoint = describeDockerEndpoint(endpoint);
    this.code = errorCode(cause);
  }
}

function wrapRequestError(endpoint: DockerEndpoint, what: string, err: unknown): Error {
  if (err instanceof DockerUnreachableError) return err;
  const code = errorCode(err);
  if (code !== undefined && CONNECT_ERROR_CODES.has(code)) return new DockerUnreachableError(endpoint, err);
  const msg = err instanceof Error ? err.message : String(err);
  return new Error(`Docker ${what} at ${describeDockerEndpoint(endpoint)} failed: ${oneLine(msg)}`, { cause: err });
}

/** The `message` of a Docker API error body, else the body text. */
function apiErrorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON
  }
  return oneLine(body).slice(0, 500) || '(empty body)';
}

async function rawPing(endpoint: DockerEndpoint, client: Client): Promise<{ apiVersion: string; ok: boolean }> {
  let res;
  try {
    res = await client.request({ path: '/_ping', method: 'GET' });
  } catch (err) {
    throw wrapRequestError(endpoint, 'GET /_ping', err);
  }
  const body = await res.body.text();
  const header = res.headers['api-version'];
  const apiVersion = (Array.isArray(header) ? header[0] : header) ?? '';
  return { apiVersion, ok: res.statusCode === 200 && body.trim() === 'OK' };
}

/**
 * Pings the daemon. Resolves undefined when nothing answers (never throws for an absent
 * daemon); `ok` is false when something answered but not with Docker's "OK".
 */
export async function pingDocker(endpoint: DockerEndpoint): Promise<{ apiVersion: string; ok: boolean } | undefined> {
  let client: Client;
  try {
    client = newClient(endpoint, { connectTimeout: 5_000, headersTimeout: 10_000, bodyTimeout: 10_000 });
  } catch {
    return undefined;
  }
  try {
    return await rawPing(endpoint, client);
  } catch {
    return undefined;
  } finally {
    await client.destroy().catch(() => undefined);
  }
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Picks the API version to speak: the daemon's own (what unversioned paths mean), else 1.41. */
function chooseApiVersion(daemonVersion: string): string {
  if (!/^\d+\.\d+$/.test(daemonVersion)) return FALLBACK_API_VERSION;
  if (compareVersions(daemonVersion, '1.24') < 0) {
    throw new Error(`Docker API ${daemonVersion} is too old: need 1.24 or newer (Docker 1.12+)`);
  }
  return daemonVersion;
}

async function negotiate(endpoint: DockerEndpoint, client: Client): Promise<string> {
  const ping = await rawPing(endpoint, client);
  if (!ping.ok) {
    throw new Error(`${describeDockerEndpoint(endpoint)} answered /_ping but is not a working Docker daemon`);
  }
  return chooseApiVersion(ping.apiVersion);
}

function refPath(ref: string): string {
  // Reference characters ([a-z0-9._/:@-]) are all path-safe; anything else gets escaped.
  return ref
    .split('/')
    .map((p) => encodeURIComponent(p).replace(/%3A/gi, ':').replace(/%40/g, '@'))
    .join('/');
}

export interface InspectedImage {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Architecture?: string;
  Os?: string;
  Size?: number;
}

async function inspectWith(
  endpoint: DockerEndpoint,
  client: Client,
  api: string,
  ref: string,
): Promise<InspectedImage | undefined> {
  const path = `/v${api}/images/${refPath(ref)}/json`;
  let res;
  try {
    res = await client.request({ path, method: 'GET' });
  } catch (err) {
    throw wrapRequestError(endpoint, `GET ${path}`, err);
  }
  const text = await res.body.text();
  if (res.statusCode === 404) return undefined;
  if (res.statusCode !== 200) {
    throw new Error(`Docker GET ${path} failed: HTTP ${res.statusCode}: ${apiErrorMessage(text)}`);
  }
  const j = JSON.parse(text) as Partial<InspectedImage> & Record<string, unknown>;
  const out: InspectedImage = {
    Id: String(j.Id ?? ''),
    RepoTags: Array.isArray(j.RepoTags) ? j.RepoTags.map(String) : [],
    RepoDigests: Array.isArray(j.RepoDigests) ? j.RepoDigests.map(String) : [],
  };
  if (typeof j.Architecture === 'string') out.Architecture = j.Architecture;
  if (typeof j.Os === 'string') out.Os = j.Os;
  if (typeof j.Size === 'number') out.Size = j.Size;
  return out;
}

/** Image ID and tags for a reference or ID; undefined when the daemon has no such image. */
export async function inspectImage(endpoint: DockerEndpoint, ref: string): Promise<InspectedImage | undefined> {
  const client = newClient(endpoint, { connectTimeout: 10_000, headersTimeout: 60_000, bodyTimeout: 60_000 });
  try {
    const api = await negotiate(endpoint, client);
    return await inspectWith(endpoint, client, api, ref);
  } finally {
    await client.destroy().catch(() => undefined);
  }
}

/**
 * Removes an image reference (a tag, or an image ID) like `docker rmi`. Returns false when
 * there was no such image.
 */
export async function removeImage(
  endpoint: DockerEndpoint,
  ref: string,
  options: { force?: boolean; noprune?: boolean } = {},
): Promise<boolean> {
  const client = newClient(endpoint, { connectTimeout: 10_000, headersTimeout: 120_000, bodyTimeout: 120_000 });
  try {
    const api = await negotiate(endpoint, client);
    const q = new URLSearchParams();
    if (options.force === true) q.set('force', '1');
    if (options.noprune === true) q.set('noprune', '1');
    const qs = q.toString();
    const path = `/v${api}/images/${refPath(ref)}${qs === '' ? '' : `?${qs}`}`;
    let res;
    try {
      res = await client.request({ path, method: 'DELETE' });
    } catch (err) {
      throw wrapRequestError(endpoint, `DELETE ${path}`, err);
    }
    const text = await res.body.text();
    if (res.statusCode === 404) return false;
    if (res.statusCode !== 200) {
      throw new Error(`Docker DELETE ${path} failed: HTTP ${res.statusCode}: ${apiErrorMessage(text)}`);
    }
    return true;
  } finally {
    await client.destroy().catch(() => undefined);
  }
}

export interface LoadImageResult {
  /** The tags, as verified on the daemon after loading (familiar form, e.g. "hello_world:latest"). */
  loaded: string[];
  /** Bytes of the archive sent. */
  bytesSent: number;
  /** The image ID (config digest) the daemon reports for the tags. */
  imageId: string;
}

/** How long the daemon may take to answer a load (it unpacks all layers first): 30 min. */
const LOAD_TIMEOUT_MS = 30 * 60 * 1000;

/**
 * Loads one single-platform image into the daemon as a `docker save` archive streamed to
 * POST /images/load, then checks that every tag now exists. Tags are validated before any
 * byte is sent. Errors the daemon reports in-band (HTTP 200 with an `error` message) are
 * thrown, as are HTTP errors; an unreachable daemon gives one line: "cannot reach Docker at …".
 */
export async function loadImage(
  endpoint: DockerEndpoint,
  input: LoadImageInput,
  log?: LogLine,
): Promise<LoadImageResult> {
  const plan = await planDockerArchive(input);
  const client = newClient(endpoint, {
    connectTimeout: 10_000,
    headersTimeout: LOAD_TIMEOUT_MS,
    bodyTimeout: LOAD_TIMEOUT_MS,
  });
  try {
    const api = await negotiate(endpoint, client);
    // The daemon already has this exact image (its ID is our config digest): tagging is all
    // that is needed, and no layer is sent again.
    const existing = await inspectWith(endpoint, client, api, plan.imageId);
    if (existing?.Id === plan.imageId) {
      for (const ref of plan.refs) {
        const repo = ref.familiar.slice(0, ref.familiar.length - `:${ref.tag}`.length);
        const tagPath = `/v${api}/images/${encodeURIComponent(plan.imageId)}/tag?repo=${encodeURIComponent(repo)}&tag=${encodeURIComponent(ref.tag ?? 'latest')}`;
        const res = await client.request({ path: tagPath, method: 'POST' }).catch((err: unknown) => {
          throw wrapRequestError(endpoint, `POST ${tagPath}`, err);
        });
        const text = await res.body.text().catch(() => '');
        if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`docker tag failed: HTTP ${res.statusCode}: ${apiErrorMessage(text)}`);
      }
      log?.(`image ${plan.imageId} already loaded: tagged ${plan.repoTags.join(', ')} (0 bytes sent)`);
      return { loaded: [...plan.repoTags], bytesSent: 0, imageId: plan.imageId };
    }
    const path = `/v${api}/images/load?quiet=1`;

    let bytesSent = 0;
    let archiveError: Error | undefined;
    const archive = dockerArchiveStream(plan);
    archive.on('error', (err) => {
      archiveError ??= err;
    });
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of archive) {
        bytesSent += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    }
    const body = Readable.from(counted(), { objectMode: false });

    let res;
    try {
      res = await client.request({
        path,
        method: 'POST',
        headers: { 'content-type': 'application/x-tar', 'content-length': String(plan.size) },
        body,
      });
    } catch (err) {
      if (archiveError !== undefined) throw archiveError;
      throw wrapRequestError(endpoint, `POST ${path}`, err);
    }

    if (res.statusCode !== 200) {
      const text = await res.body.text().catch(() => '');
      throw new Error(`docker load failed: HTTP ${res.statusCode}: ${apiErrorMessage(text)}`);
    }

    const lines: string[] = [];
    const handle = (msgs: JsonMessage[]): void => {
      for (const msg of msgs) {
        const err = jsonMessageError(msg);
        if (err !== undefined) throw new Error(`docker load failed: ${oneLine(err)}`);
        const text = typeof msg.stream === 'string' ? msg.stream : typeof msg.status === 'string' ? msg.status : '';
        for (const line of text.split('\n')) {
          const t = line.trim();
          if (t === '') continue;
          lines.push(t);
          log?.(t);
        }
      }
    };
    const parser = new JsonMessageParser();
    try {
      for await (const chunk of res.body) handle(parser.push(chunk as Buffer));
      handle(parser.end());
    } catch (err) {
      res.body.destroy();
      if (err instanceof Error && err.message.startsWith('docker load failed')) throw err;
      if (archiveError !== undefined) throw archiveError;
      throw wrapRequestError(endpoint, `POST ${path} (reading response)`, err);
    }
    if (archiveError !== undefined) throw archiveError;

    // Verify: every tag must now name the image we sent.
    const loaded: string[] = [];
    let imageId = lines.map((l) => /^Loaded image ID: (\S+)/.exec(l)?.[1]).find((x) => x !== undefined) ?? '';
    for (const tag of plan.repoTags) {
      const info = await inspectWith(endpoint, client, api, tag);
      if (info === undefined) {
        throw new Error(`docker load reported success but ${tag} is not in the image store (daemon said: ${lines.join(' | ') || 'nothing'})`);
      }
      if (imageId === '') imageId = info.Id;
      loaded.push(tag);
    }
    if (imageId === '') imageId = plan.imageId;
    return { loaded, bytesSent, imageId };
  } finally {
    await client.destroy().catch(() => undefined);
  }
}
