// Loading images into a Docker daemon through the Engine API (no docker CLI needed).

import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { coerce, compare } from 'semver';
import { isDigest, quoteUntrusted } from '../oci/digest.ts';
import { dispatcherFor, proxyFor } from '../net/proxy.ts';
import { logRequests } from '../util/debug.ts';
import { undici } from '../util/undici.ts';
import { formatBytes, oneLine } from '../util/format.ts';
import { forEachLimit } from '../util/limit.ts';
import {
  chainIds,
  dockerArchiveStream,
  planDockerArchive,
  skipLeadingLayers,
  type DockerArchivePlan,
  type LoadImageInput,
} from './docker_archive.ts';
import { JsonMessageParser, MessageTooLongError, jsonMessageError, type JsonMessage } from './jsonstream.ts';

export type { BlobDescriptor, LoadImageInput } from './docker_archive.ts';

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

async function newClient(endpoint: DockerEndpoint, timeouts: ClientTimeouts): Promise<Dispatcher> {
  const { Client } = await undici();
  if (endpoint.url !== undefined && endpoint.socketPath === undefined) {
    // tcp:// goes through HTTP(S)_PROXY as the docker CLI's does (NO_PROXY, loopback direct).
    if (proxyFor(new URL(endpoint.url))) return logRequests(await dispatcherFor(new URL(endpoint.url), { ...timeouts, connections: 1 }), 'docker');
    return logRequests(new Client(new URL(endpoint.url).origin, timeouts), 'docker');
  }
  return logRequests(new Client('http://localhost', { ...timeouts, socketPath: endpoint.socketPath ?? DEFAULT_DOCKER_SOCKET }), 'docker');
}

/** Several connections, for requests that should run side by side (a Client has one). */
async function newPool(endpoint: DockerEndpoint, connections: number, timeouts: ClientTimeouts): Promise<Dispatcher> {
  const { Pool } = await undici();
  if (endpoint.url !== undefined && endpoint.socketPath === undefined) {
    return logRequests(await dispatcherFor(new URL(endpoint.url), { ...timeouts, connections }), 'docker');
  }
  return logRequests(new Pool('http://localhost', { ...timeouts, connections, socketPath: endpoint.socketPath ?? DEFAULT_DOCKER_SOCKET }), 'docker');
}

/** What requests go through: a Client or a Pool. */
type Requester = Pick<Dispatcher, 'request'>;

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

/**
 * `docker load` did not do what was asked. `code` says how, for decisions (never the wording):
 * `failed`, the daemon refused the archive or its answer broke off; `mismatch`, it reported
 * success but holds another image than the one sent. `daemonMessage` is the daemon's own words,
 * when it gave a reason.
 */
export class DockerLoadError extends Error {
  readonly code: 'failed' | 'mismatch';
  readonly daemonMessage: string | undefined;
  constructor(code: 'failed' | 'mismatch', message: string, daemonMessage?: string) {
    super(message);
    this.name = 'DockerLoadError';
    this.code = code;
    this.daemonMessage = daemonMessage;
  }
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

/**
 * Caps on what the daemon may send back, so a broken or hostile daemon cannot exhaust memory:
 * any one Engine API reply (inspect, image list, info, errors), the whole output of a load, and
 * one message (or text line) in that output.
 */
export const MAX_API_REPLY_BYTES = 32 * 1024 * 1024;
export const MAX_LOAD_OUTPUT_BYTES = 16 * 1024 * 1024;
export const MAX_LOAD_MESSAGE_CHARS = 1024 * 1024;
/** Lines of the load's output kept for messages (all are logged). */
const MAX_LOAD_LINES_KEPT = 200;

/** A response body as text, refused (and the connection dropped) past `max` bytes. */
async function readCapped(body: Dispatcher.ResponseData['body'], headers: Dispatcher.ResponseData['headers'], max: number, what: string): Promise<string> {
  const tooBig = (): Error => new Error(`${what}: the daemon's reply is larger than ${formatBytes(max)}; stopped reading`);
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    body.destroy();
    throw tooBig();
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    n += (chunk as Buffer).length;
    if (n > max) {
      body.destroy();
      throw tooBig();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A line of the daemon's output made safe to log: control characters (terminal escapes) are
 * dropped, and a line the Actions runner would take as a workflow command (`::add-mask::`,
 * `::stop-commands::`, `##[error]`) is shown behind a prefix instead of being obeyed.
 */
export function daemonLogLine(text: string): string {
  const clean = text
    .replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '') // CSI: colours, cursor moves, erase line
    .replace(/\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g, '') // OSC: window titles, links
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '')
    .trim();
  return clean.startsWith('::') || clean.startsWith('##[') ? `(docker said) ${clean}` : clean;
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

/** GET `path` from the daemon, its body read as text; a failure to connect names the endpoint. */
async function dockerGet(endpoint: DockerEndpoint, client: Requester, path: string): Promise<{ status: number; text: string; headers: Dispatcher.ResponseData['headers'] }> {
  let res;
  try {
    res = await client.request({ path, method: 'GET' });
  } catch (err) {
    throw wrapRequestError(endpoint, `GET ${path}`, err);
  }
  return { status: res.statusCode, text: await readCapped(res.body, res.headers, MAX_API_REPLY_BYTES, `Docker GET ${path}`), headers: res.headers };
}

async function rawPing(endpoint: DockerEndpoint, client: Requester): Promise<{ apiVersion: string; ok: boolean }> {
  const { status, text: body, headers } = await dockerGet(endpoint, client, '/_ping');
  const header = headers['api-version'];
  const apiVersion = (Array.isArray(header) ? header[0] : header) ?? '';
  return { apiVersion, ok: status === 200 && body.trim() === 'OK' };
}

/**
 * Pings the daemon. Resolves undefined when nothing answers (never throws for an absent
 * daemon); `ok` is false when something answered but not with Docker's "OK".
 */
export async function pingDocker(endpoint: DockerEndpoint): Promise<{ apiVersion: string; ok: boolean } | undefined> {
  let client: Dispatcher;
  try {
    client = await newClient(endpoint, { connectTimeout: 5_000, headersTimeout: 10_000, bodyTimeout: 10_000 });
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

/** Orders Engine API versions ("1.41"); anything unreadable counts as 0.0. */
function compareVersions(a: string, b: string): number {
  return compare(coerce(a) ?? '0.0.0', coerce(b) ?? '0.0.0');
}

/** Picks the API version to speak: the daemon's own (what unversioned paths mean), else 1.41. */
function chooseApiVersion(daemonVersion: string): string {
  if (!/^\d+\.\d+$/.test(daemonVersion)) return FALLBACK_API_VERSION;
  if (compareVersions(daemonVersion, '1.24') < 0) {
    throw new Error(`Docker API ${daemonVersion} is too old: need 1.24 or newer (Docker 1.12+)`);
  }
  return daemonVersion;
}

async function negotiate(endpoint: DockerEndpoint, client: Requester): Promise<string> {
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
  /** The image's layers as diff IDs (uncompressed digests), bottom first. */
  RootFS?: { Type: string; Layers: string[] };
}

async function inspectWith(
  endpoint: DockerEndpoint,
  client: Requester,
  api: string,
  ref: string,
): Promise<InspectedImage | undefined> {
  const path = `/v${api}/images/${refPath(ref)}/json`;
  const { status, text } = await dockerGet(endpoint, client, path);
  if (status === 404) return undefined;
  if (status !== 200) {
    throw new Error(`Docker GET ${path} failed: HTTP ${status}: ${apiErrorMessage(text)}`);
  }
  let j: Partial<InspectedImage> & Record<string, unknown>;
  try {
    j = JSON.parse(text) as typeof j;
  } catch {
    throw new Error(`Docker GET ${path}: the reply is not JSON`);
  }
  if (j === null || typeof j !== 'object') throw new Error(`Docker GET ${path}: the reply is not a JSON object`);
  // The ID is compared with the image we sent and used in request paths: a digest or nothing.
  if (!isDigest(j.Id)) throw new Error(`Docker GET ${path}: the image ID is not a digest (${quoteUntrusted(j.Id)})`);
  const out: InspectedImage = {
    Id: j.Id,
    RepoTags: Array.isArray(j.RepoTags) ? j.RepoTags.map(String) : [],
    RepoDigests: Array.isArray(j.RepoDigests) ? j.RepoDigests.map(String) : [],
  };
  if (typeof j.Architecture === 'string') out.Architecture = j.Architecture;
  if (typeof j.Os === 'string') out.Os = j.Os;
  if (typeof j.Size === 'number') out.Size = j.Size;
  const rootfs = j.RootFS as { Type?: unknown; Layers?: unknown } | null | undefined;
  if (rootfs !== null && typeof rootfs === 'object') {
    out.RootFS = {
      Type: typeof rootfs.Type === 'string' ? rootfs.Type : '',
      Layers: Array.isArray(rootfs.Layers) ? rootfs.Layers.filter((l): l is string => isDigest(l)) : [],
    };
  }
  return out;
}

/** Image ID and tags for a reference or ID; undefined when the daemon has no such image. */
export async function inspectImage(endpoint: DockerEndpoint, ref: string): Promise<InspectedImage | undefined> {
  const client = await newClient(endpoint, { connectTimeout: 10_000, headersTimeout: 60_000, bodyTimeout: 60_000 });
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
  const client = await newClient(endpoint, { connectTimeout: 10_000, headersTimeout: 120_000, bodyTimeout: 120_000 });
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
    const text = await readCapped(res.body, res.headers, MAX_API_REPLY_BYTES, `Docker DELETE ${path}`);
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
  /** Bytes of archive sent (0 when the image was only tagged; both attempts when a trimmed archive had to be resent whole). */
  bytesSent: number;
  /** Size of the complete archive, every layer included. */
  imageBytes: number;
  /** Layers in the image. */
  layers: number;
  /** Layers the daemon already had, so their blobs were not sent (all of them when only tagged). */
  layersSkipped: number;
  /** True when the trimmed archive failed because the daemon no longer had a layer left out, and the full one was sent. */
  resentFull: boolean;
  /** The image ID (config digest) the daemon reports for the tags. */
  imageId: string;
}

/** How long the daemon may take to answer a load (it unpacks all layers first): 30 min. */
const LOAD_TIMEOUT_MS = 30 * 60 * 1000;

/**
 * Images whose layers total less than this are sent whole without asking which layers the
 * daemon has. Asking costs an image list plus up to MAX_IMAGES_INSPECTED inspects (20-60 ms
 * for ~65 images on a local dockerd, more with more images); a whole load of a 1.5 MB image
 * takes ~200 ms there, so for small images the saving is small and uncertain, while for big
 * ones it is most of the load.
 */
const ASK_FOR_LAYERS_FROM_BYTES = 4 * 1024 * 1024;
/** At most this many of the daemon's images are inspected for layers (most likely first). */
const MAX_IMAGES_INSPECTED = 256;
/** Inspect requests in flight at once. */
const INSPECT_CONCURRENCY = 8;
/** Docker loads zstd layers from Docker 23 (API 1.42) on. */
const ZSTD_MIN_API = '1.42';
/** The containerd image store exists from Docker 23 (API 1.42) on; older daemons are classic. */
const CONTAINERD_STORE_MIN_API = '1.42';


/** One line on the traffic of a load, e.g. "sent 1.2 MiB of 31.4 MiB to Docker (3 of 4 layers already there)". */
export function formatLoadSummary(r: LoadImageResult): string {
  if (r.bytesSent === 0) return `sent 0 bytes of ${formatBytes(r.imageBytes)} to Docker (image already there: only tagged)`;
  const sent = `sent ${formatBytes(r.bytesSent)} of ${formatBytes(r.imageBytes)} to Docker`;
  if (r.resentFull) return `${sent} (resent in full: Docker no longer had a layer that was left out)`;
  return `${sent} (${r.layersSkipped} of ${r.layers} layer${r.layers === 1 ? '' : 's'} already there)`;
}

type ImageStore = 'classic' | 'containerd' | 'unknown';

/** Which image store the daemon runs: containerd shows in /info as DriverStatus ["driver-type", "io.containerd.snapshotter.v1"]. */
async function imageStoreOf(client: Requester, api: string): Promise<ImageStore> {
  if (compareVersions(api, CONTAINERD_STORE_MIN_API) < 0) return 'classic';
  try {
    const res = await client.request({ path: `/v${api}/info`, method: 'GET' });
    const text = await readCapped(res.body, res.headers, MAX_API_REPLY_BYTES, `Docker GET /v${api}/info`);
    if (res.statusCode !== 200) return 'unknown';
    const info = JSON.parse(text) as { DriverStatus?: unknown };
    if (!Array.isArray(info.DriverStatus)) return 'classic';
    const c8d = info.DriverStatus.some(
      (e: unknown) => Array.isArray(e) && e[0] === 'driver-type' && e[1] === 'io.containerd.snapshotter.v1',
    );
    return c8d ? 'containerd' : 'classic';
  } catch {
    return 'unknown'; // then nothing is left out, which is always safe
  }
}

/** "acme/app" of "acme/app:1" (the tag follows the last colon after the last slash). */
function repositoryOf(repoTag: string): string {
  const colon = repoTag.lastIndexOf(':');
  return colon > repoTag.lastIndexOf('/') ? repoTag.slice(0, colon) : repoTag;
}

/**
 * How many of the image's leading layers the daemon holds, by chain ID: every prefix of an
 * image's RootFS layers is a chain in its layer store. Looks at the daemon's images, those
 * of our repositories first (earlier builds share the most), then newest first; at most
 * MAX_IMAGES_INSPECTED of them, INSPECT_CONCURRENCY at a time, stopping once all layers are
 * found. A failed request ends the search with what was found so far (a lower bound).
 */
async function layersOnDaemon(
  endpoint: DockerEndpoint,
  api: string,
  plan: DockerArchivePlan,
): Promise<{ count: number; listed: number; inspected: number }> {
  const wanted = chainIds(plan.diffIds);
  const pool = await newPool(endpoint, INSPECT_CONCURRENCY, { connectTimeout: 10_000, headersTimeout: 60_000, bodyTimeout: 60_000 });
  try {
    const path = `/v${api}/images/json`;
    const { status, text } = await dockerGet(endpoint, pool, path);
    if (status !== 200) throw new Error(`Docker GET ${path} failed: HTTP ${status}: ${apiErrorMessage(text)}`);
    const parsed = JSON.parse(text) as unknown;
    const list = (Array.isArray(parsed) ? parsed : []).flatMap((e: unknown) => {
      const o = e as { Id?: unknown; RepoTags?: unknown; Created?: unknown } | null;
      if (o === null || typeof o !== 'object' || !isDigest(o.Id)) return [];
      const tags = Array.isArray(o.RepoTags) ? o.RepoTags.filter((t): t is string => typeof t === 'string') : [];
      return [{ id: o.Id, tags, created: typeof o.Created === 'number' ? o.Created : 0 }];
    });
    const ours = new Set(plan.repoTags.map(repositoryOf));
    const rank = (x: { tags: string[] }): number => (x.tags.some((t) => ours.has(repositoryOf(t))) ? 0 : 1);
    const ordered = list
      .sort((a, b) => rank(a) - rank(b) || b.created - a.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, MAX_IMAGES_INSPECTED);

    const have = new Set<string>();
    const leading = (): number => {
      let k = 0;
      while (k < wanted.length && have.has(wanted[k] ?? '')) k++;
      return k;
    };
    let inspected = 0;
    await forEachLimit(ordered, INSPECT_CONCURRENCY, async (img) => {
      if (leading() >= wanted.length) return; // every layer found: the rest need no inspecting
      const info = await inspectWith(endpoint, pool, api, img.id);
      inspected++;
      for (const c of chainIds(info?.RootFS?.Layers ?? [])) have.add(c);
    }).catch(() => undefined); // a failed inspect ends the search; what was found so far stands
    return { count: leading(), listed: list.length, inspected };
  } finally {
    await pool.destroy().catch(() => undefined);
  }
}

async function tagImage(endpoint: DockerEndpoint, client: Requester, api: string, id: string, plan: DockerArchivePlan): Promise<void> {
  for (const ref of plan.refs) {
    const repo = ref.familiar.slice(0, ref.familiar.length - `:${ref.tag}`.length);
    const tagPath = `/v${api}/images/${encodeURIComponent(id)}/tag?repo=${encodeURIComponent(repo)}&tag=${encodeURIComponent(ref.tag ?? 'latest')}`;
    const res = await client.request({ path: tagPath, method: 'POST' }).catch((err: unknown) => {
      throw wrapRequestError(endpoint, `POST ${tagPath}`, err);
    });
    const text = await readCapped(res.body, res.headers, MAX_API_REPLY_BYTES, `Docker POST ${tagPath}`).catch(() => '');
    if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`docker tag failed: HTTP ${res.statusCode}: ${apiErrorMessage(text)}`);
  }
}

/**
 * Checks that every tag of `plan` names the image that was sent: its ID is one of `ids` (the
 * config digest, which is the ID on the classic store, or the manifest digest, the ID on the
 * containerd store). A daemon that answered 200 may still have put the tag elsewhere (another
 * client racing us, or a daemon that lies): then fail naming each tag and where it points.
 * Returns the ID the tags name.
 */
async function verifyTags(
  endpoint: DockerEndpoint,
  client: Requester,
  api: string,
  plan: DockerArchivePlan,
  ids: ReadonlySet<string>,
  daemonSaid: string[],
): Promise<string> {
  const wrong: string[] = [];
  let elsewhere = false;
  let found = '';
  for (const tag of plan.repoTags) {
    const info = await inspectWith(endpoint, client, api, tag);
    if (info === undefined) {
      wrong.push(`${tag} is not in the image store`);
    } else if (!ids.has(info.Id)) {
      wrong.push(`${tag} points to ${info.Id}`);
      elsewhere = true;
    } else {
      found ||= info.Id;
    }
  }
  if (wrong.length === 0) return found;
  const said = oneLine(daemonSaid.join(' | ')).slice(0, 300) || 'nothing';
  const sent = elsewhere ? ` instead of the image sent (${plan.imageId})` : '';
  throw new DockerLoadError('mismatch', `docker load reported success but ${wrong.join('; ')}${sent} (daemon said: ${said})`);
}

/**
 * A failed load whose daemon message names a blob the trimmed archive left out (the daemon lost
 * the layer since we asked): then the full archive is sent. Decided by class and code, and by
 * the daemon's own words only for the digest.
 */
export function isMissingLayerError(err: unknown, omitted: readonly string[]): boolean {
  if (!(err instanceof DockerLoadError) || err.code !== 'failed' || err.daemonMessage === undefined) return false;
  const said = err.daemonMessage;
  return omitted.some((digest) => said.includes(digest.slice(digest.indexOf(':') + 1)));
}

/**
 * Streams one archive to POST /images/load and returns the daemon's output lines; adds the
 * bytes that went out to `sent` even when the load fails.
 */
async function postArchive(
  endpoint: DockerEndpoint,
  client: Requester,
  api: string,
  plan: DockerArchivePlan,
  sent: { bytes: number },
  log: LogLine | undefined,
): Promise<string[]> {
  const path = `/v${api}/images/load?quiet=1`;
  let archiveError: Error | undefined;
  const archive = dockerArchiveStream(plan);
  archive.on('error', (err) => {
    archiveError ??= err;
  });
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of archive) {
      sent.bytes += (chunk as Buffer).length;
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
    const text = await readCapped(res.body, res.headers, MAX_API_REPLY_BYTES, `Docker POST ${path}`).catch(() => '');
    const said = apiErrorMessage(text);
    throw new DockerLoadError('failed', `docker load failed: HTTP ${res.statusCode}: ${said}`, said);
  }

  // Only the first lines are kept (for messages); an image ID the daemon reports is checked
  // as it arrives, so a flood of lines costs no memory beyond the stream caps.
  const lines: string[] = [];
  const sentIds = new Set([plan.imageId, plan.manifestDigest]);
  const handle = (msgs: JsonMessage[]): void => {
    for (const msg of msgs) {
      const err = jsonMessageError(msg);
      if (err !== undefined) {
        const said = oneLine(err).replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
        throw new DockerLoadError('failed', `docker load failed: ${said}`, said);
      }
      const text = typeof msg.stream === 'string' ? msg.stream : typeof msg.status === 'string' ? msg.status : '';
      for (const line of text.split('\n')) {
        const t = daemonLogLine(line);
        if (t === '') continue;
        const id = /^Loaded image ID: (\S+)/.exec(t)?.[1];
        if (id !== undefined && !sentIds.has(id)) {
          throw new DockerLoadError('mismatch', `docker load reported loading image ${quoteUntrusted(id)}, not the image sent (${plan.imageId})`);
        }
        if (lines.length < MAX_LOAD_LINES_KEPT) lines.push(t);
        log?.(t);
      }
    }
  };
  const parser = new JsonMessageParser({ maxMessageChars: MAX_LOAD_MESSAGE_CHARS });
  let received = 0;
  try {
    for await (const chunk of res.body) {
      received += (chunk as Buffer).length;
      if (received > MAX_LOAD_OUTPUT_BYTES) {
        throw new DockerLoadError('failed', `docker load failed: the daemon's output is larger than ${formatBytes(MAX_LOAD_OUTPUT_BYTES)}; stopped reading`);
      }
      handle(parser.push(chunk as Buffer));
    }
    handle(parser.end());
  } catch (err) {
    res.body.destroy();
    if (err instanceof DockerLoadError) throw err;
    if (err instanceof MessageTooLongError) throw new DockerLoadError('failed', `docker load failed: ${err.message}`);
    if (archiveError !== undefined) throw archiveError;
    throw wrapRequestError(endpoint, `POST ${path} (reading response)`, err);
  }
  if (archiveError !== undefined) throw archiveError;
  return lines;
}

/** Downloads the layers the archive contains that are not on disk yet, and checks their size. */
async function fetchRemoteBlobs(input: LoadImageInput, plan: DockerArchivePlan): Promise<void> {
  const remote = plan.blobs.filter((b) => b.remote);
  if (remote.length === 0) return;
  if (!input.fetchBlob) throw new Error(`layer ${remote[0]!.digest} is not on disk`);
  const fetch = input.fetchBlob;
  await Promise.all(
    remote.map(async (b) => {
      await fetch(b.digest);
      const st = await stat(b.file).catch((err: unknown) => {
        throw new Error(`layer ${b.digest}: cannot read blob ${b.file}: ${(err as Error).message}`);
      });
      if (st.size !== b.size) throw new Error(`layer ${b.digest}: blob ${b.file} has ${st.size} bytes, descriptor says ${b.size}`);
    }),
  );
}

/**
 * Loads one single-platform image into the daemon as a `docker save` archive streamed to
 * POST /images/load, then checks that every tag now exists. Tags are validated before any
 * byte is sent. Errors the daemon reports in-band (HTTP 200 with an `error` message) are
 * thrown, as are HTTP errors; an unreachable daemon gives one line: "cannot reach Docker at …".
 *
 * Sends as little as it can: an image the daemon already has is only tagged; on the classic
 * image store the blobs of leading layers the daemon already holds (by chain ID) are left
 * out, and should the daemon lose one of them before it reads the archive, the full archive
 * is sent once more. The containerd image store gets the full archive (it imports from
 * index.json and wants every blob), unless it has the manifest already.
 */
export async function loadImage(
  endpoint: DockerEndpoint,
  input: LoadImageInput,
  log?: LogLine,
): Promise<LoadImageResult> {
  const full = await planDockerArchive(input);
  const layers = full.layerDigests.length;
  const client = await newClient(endpoint, {
    connectTimeout: 10_000,
    headersTimeout: LOAD_TIMEOUT_MS,
    bodyTimeout: LOAD_TIMEOUT_MS,
  });
  try {
    const api = await negotiate(endpoint, client);
    const onlyTag = async (id: string): Promise<LoadImageResult> => {
      await tagImage(endpoint, client, api, id, full);
      await verifyTags(endpoint, client, api, full, new Set([id]), []);
      log?.(`image ${id} already loaded: tagged ${full.repoTags.join(', ')} (0 bytes sent)`);
      return {
        loaded: [...full.repoTags],
        bytesSent: 0,
        imageBytes: full.size,
        layers,
        layersSkipped: layers,
        resentFull: false,
        imageId: full.imageId,
      };
    };
    // The daemon already has this exact image (its ID is our config digest): tagging is all
    // that is needed, and no layer is sent again.
    const existing = await inspectWith(endpoint, client, api, full.imageId);
    if (existing?.Id === full.imageId) return await onlyTag(full.imageId);

    let plan = full;
    const layerSet = new Set(full.layerDigests);
    const layerBytes = full.blobs.filter((b) => layerSet.has(b.digest)).reduce((n, b) => n + b.size, 0);
    // Layers still in their registry are worth a question: each one the daemon has is a
    // download saved.
    const remote = full.blobs.some((b) => b.remote);
    if (layers > 0 && (remote || layerBytes >= ASK_FOR_LAYERS_FROM_BYTES)) {
      const store = await imageStoreOf(client, api);
      if (store === 'containerd') {
        // There the image ID is the manifest digest; with the manifest present, tag it.
        const byManifest = await inspectWith(endpoint, client, api, full.manifestDigest);
        if (byManifest?.Id === full.manifestDigest) return await onlyTag(full.manifestDigest);
        log?.(`containerd image store: sending the full archive (${formatBytes(full.size)}), it imports every blob from it`);
      } else if (store === 'classic') {
        const found = await layersOnDaemon(endpoint, api, full).catch(() => ({ count: 0, listed: 0, inspected: 0 }));
        plan = skipLeadingLayers(full, found.count);
        if (plan.layersSkipped > 0) {
          const partial = found.listed > found.inspected && found.count < layers ? ` (looked at ${found.inspected} of ${found.listed} images)` : '';
          log?.(
            `Docker already has ${plan.layersSkipped} of ${layers} layers: sending ${formatBytes(plan.size)} of ${formatBytes(full.size)}${partial}`,
          );
        }
      }
    }

    // Docker 20.10's loader sniffs gzip, bzip2 and xz only; zstd came with Docker 23 (API 1.42).
    const zstd = input.manifestJson.layers.find((l) => l.mediaType.endsWith('+zstd') && plan.blobs.some((b) => b.digest === l.digest));
    if (zstd && compareVersions(api, ZSTD_MIN_API) < 0) {
      throw new Error(
        `Docker at ${describeDockerEndpoint(endpoint)} speaks API ${api} (before Docker 23), which cannot load zstd layers (${zstd.digest}); use compression gzip for images you load`,
      );
    }

    const sent = { bytes: 0 };
    let resentFull = false;
    let lines: string[];
    try {
      await fetchRemoteBlobs(input, plan);
      lines = await postArchive(endpoint, client, api, plan, sent, log);
    } catch (err) {
      const kept = new Set(plan.blobs.map((b) => b.digest));
      if (plan === full || !isMissingLayerError(err, full.blobs.filter((b) => !kept.has(b.digest)).map((b) => b.digest))) throw err;
      // Another client removed an image (and so a layer we left out) after we asked.
      log?.(`${(err as Error).message}: sending the full archive (${formatBytes(full.size)})`);
      plan = full;
      resentFull = true;
      await fetchRemoteBlobs(input, full);
      lines = await postArchive(endpoint, client, api, full, sent, log);
    }

    // Verify: every tag must now name the image we sent (by config digest on the classic
    // store, by manifest digest on the containerd store), and so must an ID the daemon reports.
    // (postArchive has checked every "Loaded image ID" line against them.)
    const ids = new Set([full.imageId, full.manifestDigest]);
    const reported = lines.map((l) => /^Loaded image ID: (\S+)/.exec(l)?.[1]).filter((x) => x !== undefined);
    const imageId = (await verifyTags(endpoint, client, api, full, ids, lines)) || (reported[0] ?? full.imageId);
    const loaded = [...full.repoTags];
    return {
      loaded,
      bytesSent: sent.bytes,
      imageBytes: full.size,
      layers,
      layersSkipped: plan.layersSkipped,
      resentFull,
      imageId,
    };
  } finally {
    await client.destroy().catch(() => undefined);
  }
}
