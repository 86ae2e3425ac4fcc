// A small client for GitHub's REST API: JSON in and out, `Link: rel="next"` pagination, one
// retry on 5xx and rate limits, and errors of one line —
// `GitHub API PATCH /repos/o/r/issues/comments/1: 403 Resource not accessible by integration` —
// that never carry the token. Speaks to `GITHUB_API_URL` (GitHub Enterprise Server included).

import { STATUS_CODES } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { oneLine } from '../util/format.ts';
import { backoffDelay, parseRetryAfter } from '../util/retry.ts';

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
export const GITHUB_API_VERSION = '2022-11-28';

export interface GitHubApiOptions {
  token: string;
  /** Default `$GITHUB_API_URL`, else `https://api.github.com`. */
  apiUrl?: string;
  /** Default `oci-build-action`. */
  userAgent?: string;
  /** Default: a shared agent honouring HTTP(S)_PROXY / NO_PROXY. */
  dispatcher?: Dispatcher;
  /** Longest Retry-After (or rate-limit reset) waited for before the one retry. Default 60 s. */
  maxRetryAfterMs?: number;
  /** Wait before retrying a 5xx or a connection error the server gave no Retry-After for. Default 1 s. */
  retryDelayMs?: number;
  /** Deadline for response headers, and between body chunks. Default 30 s. */
  timeoutMs?: number;
  log?: (message: string) => void;
}

export type QueryValue = string | number | boolean | undefined;
export type Query = Record<string, QueryValue>;

export interface GitHubResponse<T> {
  status: number;
  data: T;
  headers: Record<string, string | string[] | undefined>;
}

export interface PageOptions {
  query?: Query;
  /** `per_page`. Default 100 (GitHub's largest). */
  perPage?: number;
  /** Stop after this many pages. Default 100. */
  maxPages?: number;
}

/** A failed call. `status` is 0 when no response came (connection error, timeout). */
export class GitHubApiError extends Error {
  readonly method: string;
  /** Path under the API URL, without query. */
  readonly path: string;
  readonly status: number;
  /** GitHub's `message`, or the status text. */
  readonly apiMessage: string;
  readonly documentationUrl: string | undefined;
  constructor(opts: { method: string; path: string; status: number; apiMessage: string; documentationUrl?: string; cause?: unknown }) {
    super(`GitHub API ${opts.method} ${opts.path}: ${opts.status > 0 ? `${opts.status} ` : ''}${opts.apiMessage}`, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'GitHubApiError';
    this.method = opts.method;
    this.path = opts.path;
    this.status = opts.status;
    this.apiMessage = opts.apiMessage;
    this.documentationUrl = opts.documentationUrl;
  }
}

/**
 * Builds an API path, percent-encoding each substituted value as one path segment:
 * apiPath`/orgs/${owner}/packages/container/${name}/versions` with name `a/b` gives `.../a%2Fb/...`.
 */
export function apiPath(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += encodeURIComponent(String(v)) + strings[i + 1]!;
  });
  return out;
}

/** The `rel="next"` URL of a Link header, if any. */
export function nextLink(link: string | string[] | undefined): string | undefined {
  const value = Array.isArray(link) ? link.join(', ') : link;
  if (!value) return undefined;
  for (const part of value.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m && /;\s*rel="?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(m[2]!)) return m[1]!;
  }
  return undefined;
}

/** Longest error text kept from a body, in characters. */
const MESSAGE_MAX = 300;

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** What a GitHub error body says, on one line: `message (field: code; ...)`. */
function describeBody(text: string): { message: string; documentationUrl?: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Skip HTML error pages: they say nothing a status does not.
    return { message: /^\s*</.test(text) ? '' : oneLine(text, MESSAGE_MAX) };
  }
  if (typeof json !== 'object' || json === null) return { message: '' };
  const o = json as { message?: unknown; errors?: unknown; documentation_url?: unknown };
  let message = typeof o.message === 'string' ? o.message : '';
  if (Array.isArray(o.errors) && o.errors.length > 0) {
    const details = o.errors.map((e: unknown) => {
      if (typeof e === 'string') return e;
      const x = (e ?? {}) as { message?: unknown; field?: unknown; code?: unknown; resource?: unknown };
      if (typeof x.message === 'string') return x.message;
      return [x.resource, x.field, x.code].filter((p) => typeof p === 'string').join(' ');
    });
    message += ` (${details.filter(Boolean).join('; ')})`;
  }
  return {
    message: oneLine(message, MESSAGE_MAX),
    ...(typeof o.documentation_url === 'string' ? { documentationUrl: o.documentation_url } : {}),
  };
}

let sharedDispatcher: Dispatcher | undefined;

export class GitHubApi {
  readonly apiUrl: string;
  readonly userAgent: string;
  readonly #token: string;
  readonly #base: URL;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #maxRetryAfterMs: number;
  readonly #retryDelayMs: number;
  readonly #timeoutMs: number;
  readonly #log: (message: string) => void;

  constructor(options: GitHubApiOptions) {
    if (!options.token) throw new Error('GitHub API: no token given');
    this.#token = options.token;
    this.apiUrl = (options.apiUrl ?? (process.env.GITHUB_API_URL || DEFAULT_GITHUB_API_URL)).replace(/\/+$/, '');
    this.#base = new URL(`${this.apiUrl}/`);
    this.userAgent = options.userAgent ?? 'oci-build-action';
    this.#dispatcher = options.dispatcher;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#log = options.log ?? (() => {});
  }

  async get<T>(path: string, query?: Query): Promise<T> {
    return (await this.request<T>('GET', path, { ...(query ? { query } : {}) })).data;
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    return (await this.request<T>('POST', path, { body })).data;
  }

  async patch<T>(path: string, body: unknown): Promise<T> {
    return (await this.request<T>('PATCH', path, { body })).data;
  }

  async delete(path: string): Promise<void> {
    await this.request<unknown>('DELETE', path);
  }

  /** Each page of a list endpoint, following `Link: rel="next"`. */
  async *pages<T>(path: string, opts: PageOptions = {}): AsyncGenerator<T[], void, undefined> {
    const maxPages = opts.maxPages ?? 100;
    let next: string | undefined = path;
    let query: Query | undefined = { per_page: opts.perPage ?? 100, ...opts.query };
    for (let page = 0; next !== undefined && page < maxPages; page++) {
      const res: GitHubResponse<unknown> = await this.request<unknown>('GET', next, query ? { query } : {});
      if (!Array.isArray(res.data)) {
        throw new GitHubApiError({ method: 'GET', path: this.#displayPath(this.#url(next)), status: res.status, apiMessage: 'expected a JSON array' });
      }
      yield res.data as T[];
      next = nextLink(res.headers.link);
      query = undefined; // The next link carries the query.
    }
  }

  /** Every item of a list endpoint (all pages). */
  async paginate<T>(path: string, opts: PageOptions = {}): Promise<T[]> {
    const all: T[] = [];
    for await (const page of this.pages<T>(path, opts)) all.push(...page);
    return all;
  }

  /**
   * One call, retried once on 5xx, on a rate limit whose wait is short enough, and (GET,
   * PATCH, DELETE) on a connection error. Throws a GitHubApiError on any other non-2xx.
   */
  async request<T>(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<GitHubResponse<T>> {
    const url = this.#url(path, opts.query);
    const shown = this.#displayPath(url);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#token}`,
      accept: 'application/vnd.github+json',
      'x-github-api-version': GITHUB_API_VERSION,
      'user-agent': this.userAgent,
    };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json; charset=utf-8';
    }
    for (let attempt = 1; ; attempt++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method: method as Dispatcher.HttpMethod,
          headers,
          ...(body !== undefined ? { body } : {}),
          dispatcher: this.#dispatcher ?? (sharedDispatcher ??= new EnvHttpProxyAgent()),
          headersTimeout: this.#timeoutMs,
          bodyTimeout: this.#timeoutMs,
        });
      } catch (err) {
        const e = err as { code?: unknown; message?: unknown };
        const what = this.#redact(oneLine([typeof e.code === 'string' ? e.code : '', typeof e.message === 'string' ? e.message : String(err)].filter(Boolean).join(' '), MESSAGE_MAX));
        if (attempt === 1 && method !== 'POST') {
          const wait = this.#backoff(attempt);
          this.#log(`GitHub API ${method} ${shown}: ${what}; retrying in ${(wait / 1000).toFixed(1)}s`);
          await sleep(wait);
          continue;
        }
        throw new GitHubApiError({ method, path: shown, status: 0, apiMessage: what });
      }
      const status = res.statusCode;
      if (status >= 200 && status < 300) {
        const text = await res.body.text();
        let data: unknown;
        if (text.trim() !== '') {
          try {
            data = JSON.parse(text);
          } catch {
            throw new GitHubApiError({ method, path: shown, status, apiMessage: 'response is not JSON' });
          }
        }
        return { status, data: data as T, headers: res.headers };
      }
      const text = await res.body.text().catch(() => '');
      const described = describeBody(this.#redact(text));
      const apiMessage = described.message || STATUS_CODES[status] || 'request failed';
      const wait = attempt === 1 ? this.#retryWait(attempt, status, res.headers, apiMessage) : undefined;
      if (wait !== undefined) {
        this.#log(`GitHub API ${method} ${shown}: ${status} ${apiMessage}; retrying in ${(wait / 1000).toFixed(1)}s`);
        await sleep(wait);
        continue;
      }
      throw new GitHubApiError({
        method,
        path: shown,
        status,
        apiMessage,
        ...(described.documentationUrl ? { documentationUrl: described.documentationUrl } : {}),
      });
    }
  }

  /** Backoff before retry number `attempt` when the server names no wait (one retry today: `retryDelayMs`). */
  #backoff(attempt: number): number {
    return backoffDelay(attempt, { minDelayMs: this.#retryDelayMs, maxDelayMs: 8 * this.#retryDelayMs, jitter: false });
  }

  /** How long to wait before the one retry, or undefined for none. */
  #retryWait(attempt: number, status: number, headers: Record<string, string | string[] | undefined>, message: string): number | undefined {
    const retryAfter = parseRetryAfter(header(headers, 'retry-after'));
    const capped = (ms: number) => (ms <= this.#maxRetryAfterMs ? ms : undefined);
    if (status >= 500) return capped(retryAfter ?? this.#backoff(attempt));
    if (status !== 403 && status !== 429) return undefined;
    // Secondary rate limit: Retry-After, else GitHub asks for at least a minute.
    if (retryAfter !== undefined) return capped(retryAfter);
    if (/secondary rate limit|abuse detection/i.test(message)) return capped(60_000);
    // Primary rate limit: wait for the reset when it is near.
    if (header(headers, 'x-ratelimit-remaining') === '0') {
      const reset = Number(header(headers, 'x-ratelimit-reset'));
      if (Number.isFinite(reset) && reset > 0) return capped(Math.max(0, reset * 1000 - Date.now()) + 1000);
    }
    return undefined;
  }

  /** An absolute URL under the API URL; refuses other origins (the token goes only there). */
  #url(path: string, query?: Query): URL {
    const url = /^https?:\/\//i.test(path) ? new URL(path) : new URL(path.replace(/^\/+/, ''), this.#base);
    if (url.origin !== this.#base.origin) {
      throw new Error(`GitHub API: refusing to send the token to ${url.origin} (API is ${this.#base.origin})`);
    }
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  /** The path under the API URL, without query: `/repos/o/r/issues/1/comments`. */
  #displayPath(url: URL): string {
    const basePath = this.#base.pathname.replace(/\/$/, '');
    const p = basePath && url.pathname.startsWith(`${basePath}/`) ? url.pathname.slice(basePath.length) : url.pathname;
    return this.#redact(p);
  }

  #redact(s: string): string {
    return this.#token.length >= 4 ? s.split(this.#token).join('***') : s;
  }
}
