// HTTP(S)_PROXY / NO_PROXY for registry and Docker (tcp) traffic, with the rules of Go's
// golang.org/x/net/http/httpproxy, which go-containerregistry and the docker CLI use: the
// upper-case variable wins over the lower-case one; HTTPS_PROXY for https URLs, HTTP_PROXY for
// http; localhost and loopback addresses never go through a proxy; NO_PROXY holds `*`, IPs,
// CIDRs, and domains (`example.com` also matches its subdomains, `.example.com` only them),
// each optionally with a `:port`. https goes through a CONNECT tunnel, http as a forwarded
// absolute-URI request (undici's ProxyAgent does both).
import { BlockList, isIP } from 'node:net';
import type * as Undici from 'undici';
import type { Dispatcher, Pool } from 'undici';
import { undici } from '../util/undici.ts';

function getEnvAny(env: NodeJS.ProcessEnv, ...names: string[]): string {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v !== '') return v;
  }
  return '';
}

/** A proxy variable's value as a URL: a bare `host:port` means http://. */
export function parseProxyUrl(name: string, value: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
    // "proxy.corp:3128" parses with scheme "proxy.corp:": Go retries with http:// then too.
    if (!['http:', 'https:', 'socks5:', 'socks5h:'].includes(url.protocol) || url.host === '') url = undefined;
  } catch {
    url = undefined;
  }
  if (!url && !value.includes('://')) {
    try {
      url = new URL(`http://${value}`);
    } catch {
      url = undefined;
    }
  }
  if (!url) throw new Error(`${name}: invalid proxy address "${redactProxy(value)}"`);
  if (url.protocol === 'socks5h:') url = new URL(`socks5:${url.href.slice('socks5h:'.length)}`);
  if (url.hostname === '') throw new Error(`${name}: invalid proxy address "${redactProxy(value)}"`);
  return url;
}

/** A proxy URL for messages: no user or password. */
export function redactProxy(value: string): string {
  return value.replace(/\/\/[^/@]*@/, '//***@').replace(/^[^/@]*@/, '***@');
}

interface Matcher {
  match(host: string, port: string, ip: boolean): boolean;
}

function noProxyMatchers(noProxy: string): Matcher[] {
  const matchers: Matcher[] = [];
  for (const raw of noProxy.split(',')) {
    const p = raw.trim().toLowerCase();
    if (p === '') continue;
    if (p === '*') return [{ match: () => true }];
    const slash = p.indexOf('/');
    if (slash > 0) {
      const addr = p.slice(0, slash);
      const bits = Number(p.slice(slash + 1));
      const family = isIP(addr);
      if (family !== 0 && Number.isInteger(bits)) {
        const list = new BlockList();
        try {
          list.addSubnet(addr, bits, family === 6 ? 'ipv6' : 'ipv4');
        } catch {
          continue;
        }
        matchers.push({ match: (host, _port, ip) => ip && list.check(host, isIP(host) === 6 ? 'ipv6' : 'ipv4') });
        continue;
      }
    }
    // host:port, [v6]:port, or a bare host / IP.
    let host = p;
    let port = '';
    const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(p);
    if (bracket) {
      host = bracket[1] ?? '';
      port = bracket[2] ?? '';
    } else if (isIP(p) === 0) {
      const colon = p.lastIndexOf(':');
      if (colon >= 0 && /^\d+$/.test(p.slice(colon + 1))) {
        host = p.slice(0, colon);
        port = p.slice(colon + 1);
      }
    }
    if (host === '') continue;
    if (isIP(host) !== 0) {
      const want = host;
      matchers.push({ match: (h, pt, ip) => ip && sameIp(h, want) && (port === '' || port === pt) });
      continue;
    }
    if (host.startsWith('*.')) host = host.slice(1);
    const matchHost = !host.startsWith('.');
    const suffix = matchHost ? `.${host}` : host;
    matchers.push({
      match: (h, pt, ip) => !ip && (h.endsWith(suffix) || (matchHost && h === suffix.slice(1))) && (port === '' || port === pt),
    });
  }
  return matchers;
}

function sameIp(a: string, b: string): boolean {
  if (a === b) return true;
  const list = new BlockList();
  const family = isIP(b) === 6 ? 'ipv6' : 'ipv4';
  list.addAddress(b, family);
  return list.check(a, isIP(a) === 6 ? 'ipv6' : 'ipv4');
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const family = isIP(host);
  if (family === 0) return false;
  const list = new BlockList();
  list.addSubnet('127.0.0.0', 8, 'ipv4');
  list.addAddress('::1', 'ipv6');
  return list.check(host, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The proxy for a request to `url` according to `env`, or undefined to connect directly.
 * Throws on a proxy variable that is not a URL (rather than silently going direct).
 */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  const name = url.protocol === 'https:' ? 'HTTPS_PROXY' : url.protocol === 'http:' ? 'HTTP_PROXY' : undefined;
  if (!name) return undefined;
  const value = getEnvAny(env, name, name.toLowerCase());
  if (value === '') return undefined;
  const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (isLoopback(host)) return undefined;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const ip = isIP(host) !== 0;
  for (const m of noProxyMatchers(getEnvAny(env, 'NO_PROXY', 'no_proxy'))) if (m.match(host, port, ip)) return undefined;
  return parseProxyUrl(getEnvAny(env, name) === '' ? name.toLowerCase() : name, value);
}

export interface DispatcherOptions {
  connections?: number;
  keepAliveTimeout?: number;
  connectTimeout?: number;
  headersTimeout?: number;
  bodyTimeout?: number;
  /** Verify the server's TLS certificate (default true). */
  rejectUnauthorized?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * What requests to `origin` go through: a Pool of direct connections, or — when the proxy
 * variables say so — a proxy agent bound to `origin`. Requests need only a path either way.
 */
export async function dispatcherFor(origin: URL, options: DispatcherOptions = {}): Promise<Dispatcher> {
  return createDispatcher(await undici(), origin, options);
}

/** dispatcherFor with undici already loaded (no await: callers that cache per origin stay race-free). */
export function createDispatcher(u: typeof Undici, origin: URL, options: DispatcherOptions = {}): Dispatcher {
  const { Pool, ProxyAgent } = u;
  const proxy = proxyFor(origin, options.env);
  const timeouts = {
    ...(options.connections !== undefined ? { connections: options.connections } : {}),
    ...(options.keepAliveTimeout !== undefined ? { keepAliveTimeout: options.keepAliveTimeout } : {}),
    ...(options.headersTimeout !== undefined ? { headersTimeout: options.headersTimeout } : {}),
    ...(options.bodyTimeout !== undefined ? { bodyTimeout: options.bodyTimeout } : {}),
  };
  const tls = { rejectUnauthorized: options.rejectUnauthorized ?? true };
  if (!proxy) {
    const connect = { ...(origin.protocol === 'https:' ? tls : {}), ...(options.connectTimeout !== undefined ? { timeout: options.connectTimeout } : {}) };
    return new Pool(origin.origin, { ...timeouts, connect }) as Pool;
  }
  const agent = new ProxyAgent({
    uri: proxy.href,
    ...timeouts,
    ...(options.connectTimeout !== undefined ? { connectTimeout: options.connectTimeout } : {}),
    requestTls: tls,
  });
  const target = origin.origin;
  // A Pool answers for its one origin; the agent needs to be told which.
  return agent.compose((dispatch) => (opts, handler) => dispatch({ ...opts, origin: target }, handler));
}
