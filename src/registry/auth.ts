// Registry authentication from `WWW-Authenticate` challenges (distribution's token spec):
//
// - Basic: the credentials go in an Authorization header to the registry.
// - Bearer: a token is fetched from the challenge's realm for a set of scopes — GET
//   `realm?service=…&scope=…` with Basic credentials (or anonymously), or, holding an identity
//   token, POST `grant_type=refresh_token` (OAuth2), falling back to GET on 404/405 as
//   go-containerregistry does. Tokens are cached per scope set until a little before
//   `expires_in` runs out.
//
// The registry client sends what `authorization()` gives, and on a 401 calls `unauthorized()`
// for fresh credentials and retries once.

import { Buffer } from 'node:buffer';
import type { AuthConfig, CredentialsProvider } from './credentials.ts';
import type { Transport } from './transport.ts';
import { MAX_ERROR_BODY_BYTES, MAX_TOKEN_RESPONSE_BYTES } from './limits.ts';
import { registryApiHost, splitHostPort } from './reference.ts';
import { RegistryAuthError, RegistryError, describeErrorBody, parseErrorBody, redactUrl } from './errors.ts';

export interface Challenge {
  /** Lowercased: `basic`, `bearer`, … */
  scheme: string;
  /** Parameter names lowercased; values unquoted. */
  params: Record<string, string>;
}

/**
 * Parses `WWW-Authenticate` (RFC 7235): several challenges, each a scheme followed by
 * comma-separated `name=value` parameters whose values may be quoted strings holding commas
 * and backslash escapes. Several headers may be given.
 */
export function parseWwwAuthenticate(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const text = Array.isArray(header) ? header.join(', ') : header;
  const out: Challenge[] = [];
  let current: Challenge | undefined;
  let i = 0;
  const n = text.length;
  const isSep = (c: string | undefined) => c === undefined || c === ' ' || c === '\t' || c === ',' || c === '=';
  const skipWs = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  while (i < n) {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === ',')) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isSep(text[i])) i++;
    const token = text.slice(start, i);
    skipWs();
    if (text[i] === '=' && current && token.length > 0) {
      i++;
      skipWs();
      let value = '';
      if (text[i] === '"') {
        i++;
        while (i < n && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < n) i++;
          value += text[i];
          i++;
        }
        i++; // closing quote
      } else {
        const vs = i;
        while (i < n && text[i] !== ',' && text[i] !== ' ' && text[i] !== '\t') i++;
        value = text.slice(vs, i);
      }
      current.params[token.toLowerCase()] = value;
    } else if (text[i] === '=') {
      // token68 (e.g. `Negotiate abc==`): skip it.
      while (i < n && text[i] === '=') i++;
    } else if (token.length > 0) {
      current = { scheme: token.toLowerCase(), params: {} };
      out.push(current);
    } else {
      i++;
    }
  }
  return out;
}

export interface Scope {
  type: string;
  name: string;
  actions: string[];
}

/** Parses `type:name:actions` (the name may itself hold colons). */
export function parseScope(scope: string): Scope | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter((a) => a.length > 0),
  };
}

const ACTION_ORDER = ['pull', 'push', 'delete'];
function actionRank(a: string): number {
  const i = ACTION_ORDER.indexOf(a);
  return i === -1 ? ACTION_ORDER.length : i;
}

/**
 * Merges scopes on the same resource: `repository:a:pull` + `repository:a:push` →
 * `repository:a:pull,push`. Sorted, so equal sets give equal lists.
 */
export function mergeScopes(scopes: Iterable<string>): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const s of scopes) {
    for (const part of s.split(' ')) {
      const p = parseScope(part);
      if (!p) continue;
      const key = `${p.type}:${p.name}`;
      let set = byResource.get(key);
      if (!set) byResource.set(key, (set = new Set()));
      for (const a of p.actions) set.add(a);
    }
  }
  return [...byResource.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([res, actions]) => {
      const list = actions.has('*')
        ? ['*']
        : [...actions].sort((a, b) => actionRank(a) - actionRank(b) || (a < b ? -1 : a > b ? 1 : 0));
      return `${res}:${list.join(',')}`;
    });
}

function atoms(scopes: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const s of mergeScopes(scopes)) {
    const p = parseScope(s)!;
    for (const a of p.actions) out.add(`${p.type}:${p.name}:${a}`);
  }
  return out;
}

function covers(have: Set<string>, need: Set<string>): boolean {
  for (const a of need) {
    if (have.has(a)) continue;
    const wildcard = `${a.slice(0, a.lastIndexOf(':'))}:*`;
    if (!have.has(wildcard)) return false;
  }
  return true;
}

interface CachedToken {
  header: string;
  expiresAt: number;
  scopes: Set<string>;
}

export interface AuthenticatorOptions {
  /** Registry name credentials are looked up by and errors name (e.g. `127.0.0.1:5000`). */
  registry: string;
  credentials?: CredentialsProvider;
  transport: Transport;
  maskSecret?: (secret: string) => void;
  log?: (message: string) => void;
  /** Sent as client_id in OAuth2 requests. */
  clientId?: string;
  /** Clock, for tests. */
  now?: () => number;
}

/** The lifetime the token spec assumes when a token server gives none. */
const DEFAULT_EXPIRES_IN = 60;

export class Authenticator {
  readonly registry: string;
  readonly #credentials: CredentialsProvider | undefined;
  readonly #transport: Transport;
  readonly #mask: (secret: string) => void;
  readonly #log: (message: string) => void;
  readonly #clientId: string;
  readonly #now: () => number;
  #challenge: Challenge | undefined;
  #auth: Promise<AuthConfig | undefined> | undefined;
  /** Where the credentials in use came from ('' when the provider does not say); undefined when there are none. */
  #source: string | undefined;
  #refreshToken: string | undefined;
  #tokens: CachedToken[] = [];
  readonly #inflight = new Map<string, Promise<CachedToken>>();
  readonly #wanted = new Set<string>();
  /** Token requests made, for diagnostics and tests. */
  tokenRequests = 0;

  constructor(options: AuthenticatorOptions) {
    this.registry = options.registry;
    this.#credentials = options.credentials;
    this.#transport = options.transport;
    this.#mask = options.maskSecret ?? (() => {});
    this.#log = options.log ?? (() => {});
    this.#clientId = options.clientId ?? 'oci-build-action';
    this.#now = options.now ?? Date.now;
  }

  /** The scheme the registry challenged with, once it has. */
  get scheme(): string | undefined {
    return this.#challenge?.scheme;
  }

  /** Remembers the registry's challenge (from a ping's 401) without fetching anything yet. */
  observe(wwwAuthenticate: string | undefined): void {
    const challenges = parseWwwAuthenticate(wwwAuthenticate);
    const c = challenges.find((x) => x.scheme === 'bearer') ?? challenges.find((x) => x.scheme === 'basic');
    if (c) this.#challenge = c;
  }

  /** Whether `want()` was given a scope covering this one. */
  wants(scope: string): boolean {
    return covers(atoms(this.#wanted), atoms([scope]));
  }

  /** Scopes every token fetched from now on should also cover (push access, mount sources). */
  want(scopes: Iterable<string>): void {
    for (const s of mergeScopes(scopes)) this.#wanted.add(s);
  }

  async #loadAuth(): Promise<AuthConfig | undefined> {
    if (!this.#credentials) return undefined;
    this.#auth ??= this.#credentials(this.registry).then((a) => {
      if (a?.identityToken) this.#refreshToken = a.identityToken;
      this.#source = a ? (a.source ?? '') : undefined;
      return a;
    });
    return this.#auth;
  }

  /**
   * For an authentication error: which credentials were used (or that none were found), and
   * where to set them. Loads the credentials if nothing has yet.
   */
  async describeCredentials(): Promise<string> {
    await this.#loadAuth().catch(() => undefined);
    const advice = `"docker login ${this.registry}" (or docker/login-action), DOCKER_CONFIG (the directory of the config.json to use), or the action's registry, username and password inputs`;
    if (this.#source === undefined) return `no credentials found for ${this.registry}; give them with ${advice}`;
    return `${this.registry} rejected the credentials${this.#source ? ` from ${this.#source}` : ''}, or they do not allow this; check them, or give others with ${advice}`;
  }

  async #basicHeader(): Promise<string | undefined> {
    const a = await this.#loadAuth();
    if (a?.username === undefined || a.password === undefined) return undefined;
    const header = `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
    this.#mask(header.slice('Basic '.length));
    return header;
  }

  #cached(need: Set<string>, not?: string): CachedToken | undefined {
    const now = this.#now();
    this.#tokens = this.#tokens.filter((t) => t.expiresAt > now);
    return this.#tokens.find((t) => t.header !== not && covers(t.scopes, need));
  }

  /** Authorization for a request needing `scopes`, from what the registry has asked for so far. */
  async authorization(scopes: string[]): Promise<string | undefined> {
    const c = this.#challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') return this.#basicHeader();
    const a = await this.#loadAuth();
    if (a?.registryToken) return `Bearer ${a.registryToken}`;
    const need = atoms(scopes);
    const hit = this.#cached(need);
    if (hit) return hit.header;
    return (await this.#fetch([...scopes, ...this.#wanted])).header;
  }

  /**
   * A request sent with `sent` (or nothing) got 401 with this `WWW-Authenticate`. Returns
   * fresh credentials to retry with, or undefined when there is nothing new to try.
   */
  async unauthorized(wwwAuthenticate: string | undefined, scopes: string[], sent: string | undefined): Promise<string | undefined> {
    const challenges = parseWwwAuthenticate(wwwAuthenticate);
    const c = challenges.find((x) => x.scheme === 'bearer') ?? challenges.find((x) => x.scheme === 'basic');
    if (!c) return undefined;
    this.#challenge = c;
    if (c.scheme === 'basic') {
      const h = await this.#basicHeader();
      return h !== undefined && h !== sent ? h : undefined;
    }
    if (!c.params.realm) throw new RegistryAuthError(`${this.registry}: bearer challenge without a realm`, { registry: this.registry, status: 401 });
    const a = await this.#loadAuth();
    if (a?.registryToken) {
      const h = `Bearer ${a.registryToken}`;
      return h !== sent ? h : undefined;
    }
    // The token we sent is not good (expired or too narrow): forget it.
    if (sent) this.#tokens = this.#tokens.filter((t) => t.header !== sent);
    const wanted = [...scopes, ...this.#wanted, ...(c.params.scope ? c.params.scope.split(' ') : [])];
    // Another request may have refreshed already.
    const other = this.#cached(atoms(wanted), sent);
    if (other) return other.header;
    return (await this.#fetch(wanted, true)).header;
  }

  #fetch(scopes: string[], fresh = false): Promise<CachedToken> {
    const merged = mergeScopes(scopes);
    const key = merged.join(' ');
    const running = this.#inflight.get(key);
    if (running) return running;
    const p = this.#requestToken(merged, fresh).finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, p);
    return p;
  }

  async #requestToken(scopes: string[], fresh: boolean): Promise<CachedToken> {
    const c = this.#challenge!;
    const service = c.params.service;
    const auth = await this.#loadAuth();
    const realm = this.#realmUrl(c.params.realm, auth !== undefined && (auth.password !== undefined || this.#refreshToken !== undefined));
    this.tokenRequests++;
    this.#log(`${this.registry}: requesting ${fresh ? 'a fresh' : 'a'} token for ${scopes.join(' ') || '(no scope)'}`);
    let json: unknown;
    if (this.#refreshToken) {
      const r = await this.#oauth(realm, service, scopes, this.#refreshToken);
      json = r === 'fallback' ? await this.#basicToken(realm, service, scopes, auth) : r;
    } else {
      json = await this.#basicToken(realm, service, scopes, auth);
    }
    const body = (json ?? {}) as { token?: unknown; access_token?: unknown; expires_in?: unknown; refresh_token?: unknown };
    const token =
      typeof body.token === 'string' && body.token ? body.token : typeof body.access_token === 'string' ? body.access_token : '';
    if (!token) {
      throw new RegistryAuthError(`${this.registry}: token service ${redactUrl(realm)} returned no token`, {
        registry: this.registry,
        status: 200,
      });
    }
    this.#mask(token);
    if (typeof body.refresh_token === 'string' && body.refresh_token) {
      this.#mask(body.refresh_token);
      this.#refreshToken = body.refresh_token;
    }
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_EXPIRES_IN;
    const lifetime = expiresIn * 1000;
    const cached: CachedToken = {
      header: `Bearer ${token}`,
      expiresAt: this.#now() + lifetime - Math.min(30_000, lifetime * 0.1),
      scopes: atoms(scopes),
    };
    this.#tokens.push(cached);
    return cached;
  }

  /**
   * The token service named by the registry's own challenge (only the registry host's 401s reach
   * here: the client refuses challenges from any other host). It must be an http(s) URL, and
   * credentials never go to it over plain HTTP when the registry itself was reached over HTTPS.
   */
  #realmUrl(realm: string | undefined, withCredentials: boolean): URL {
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw new RegistryAuthError(`${this.registry}: bearer challenge names a realm that is not a URL (${JSON.stringify((realm ?? '').slice(0, 100))})`, {
        registry: this.registry,
        status: 401,
      });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new RegistryAuthError(`${this.registry}: bearer challenge names a realm with scheme ${url.protocol}; only http(s) token services are used`, {
        registry: this.registry,
        status: 401,
      });
    }
    if (url.username !== '' || url.password !== '') {
      throw new RegistryAuthError(`${this.registry}: bearer challenge names a realm with credentials in its URL (${redactUrl(url)})`, {
        registry: this.registry,
        status: 401,
      });
    }
    const registryHost = splitHostPort(registryApiHost(this.registry)).host.replace(/^\[|\]$/g, '');
    if (withCredentials && url.protocol === 'http:' && this.#transport.hasSpokenHttps(registryHost) && !this.#transport.isInsecure(url.host)) {
      throw new RegistryAuthError(
        `${this.registry}: refusing to send credentials to token service ${redactUrl(url)} over plain HTTP; ${this.registry} was reached over HTTPS`,
        { registry: this.registry, status: 401 },
      );
    }
    return url;
  }

  async #oauth(realm: URL, service: string | undefined, scopes: string[], refreshToken: string): Promise<unknown | 'fallback'> {
    const form = new URLSearchParams();
    form.set('grant_type', 'refresh_token');
    form.set('refresh_token', refreshToken);
    if (service !== undefined) form.set('service', service);
    if (scopes.length > 0) form.set('scope', scopes.join(' '));
    form.set('client_id', this.#clientId);
    const res = await this.#transport.request({
      method: 'POST',
      url: realm,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    if (res.status === 404 || res.status === 405) {
      await res.dump();
      return 'fallback';
    }
    return this.#tokenBody(res, realm, 'POST');
  }

  async #basicToken(realm: URL, service: string | undefined, scopes: string[], auth: AuthConfig | undefined): Promise<unknown> {
    const url = new URL(realm);
    if (service !== undefined) url.searchParams.set('service', service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    if (auth?.username !== undefined && auth.password !== undefined) {
      url.searchParams.set('account', auth.username);
      const b = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
      this.#mask(b);
      headers.authorization = `Basic ${b}`;
    }
    const res = await this.#transport.request({ method: 'GET', url, headers });
    return this.#tokenBody(res, realm, 'GET');
  }

  async #tokenBody(res: Awaited<ReturnType<Transport['request']>>, realm: URL, method: string): Promise<unknown> {
    if (res.status === 200) {
      let text: string;
      try {
        text = Buffer.from(await res.bytes(MAX_TOKEN_RESPONSE_BYTES)).toString('utf8');
      } catch (err) {
        throw new RegistryAuthError(`${this.registry}: token service ${redactUrl(realm)}: ${(err as Error).message}`, {
          registry: this.registry,
          status: res.status,
        });
      }
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new RegistryAuthError(`${this.registry}: token service ${redactUrl(realm)} returned invalid JSON`, {
          registry: this.registry,
          status: res.status,
        });
      }
    }
    const text = await res.text(MAX_ERROR_BODY_BYTES);
    const errors = parseErrorBody(text);
    if (res.status === 401 || res.status === 403) {
      const said = describeErrorBody(errors, text);
      throw new RegistryAuthError(
        `unauthorized: token service ${redactUrl(realm)} refused a token for ${this.registry} ` +
          `(${await this.describeCredentials()}); it replied ${res.status}${said ? ` ${said}` : ''}`,
        { registry: this.registry, status: res.status, errors },
      );
    }
    throw new RegistryError({ method, url: realm, status: res.status, errors, body: text });
  }
}
