// Errors from registry calls, each one clear line: `METHOD URL: STATUS CODE: message`.
// URLs are shown without their query (upload locations carry opaque state) and without any
// userinfo; credentials and tokens never appear.

import { oneLine } from '../util/format.ts';

export interface RegistryErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/** `scheme://host/path` of a URL: no userinfo, no query, no fragment. */
export function redactUrl(url: URL | string): string {
  try {
    const u = typeof url === 'string' ? new URL(url) : url;
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return String(url).replace(/\/\/[^/@]*@/, '//').replace(/[?#].*$/, '');
  }
}

/** Parses a registry error body `{errors:[{code,message,detail}]}`; [] when it is not one. */
export function parseErrorBody(text: string): RegistryErrorEntry[] {
  if (!text) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return [];
  }
  if (typeof json !== 'object' || json === null) return [];
  const errors = (json as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) {
    // Some token servers answer {"error": "...", "error_description": "..."} (OAuth2) or {"details": "..."}.
    const o = json as { error?: unknown; error_description?: unknown; details?: unknown; message?: unknown };
    const msg = [o.error_description, o.details, o.message].find((v) => typeof v === 'string');
    if (typeof o.error === 'string' || typeof msg === 'string') {
      return [{ code: typeof o.error === 'string' ? o.error.toUpperCase() : 'ERROR', message: typeof msg === 'string' ? msg : '' }];
    }
    return [];
  }
  const out: RegistryErrorEntry[] = [];
  for (const e of errors) {
    if (typeof e !== 'object' || e === null) continue;
    const { code, message, detail } = e as { code?: unknown; message?: unknown; detail?: unknown };
    const entry: RegistryErrorEntry = {
      code: typeof code === 'string' ? code : 'UNKNOWN',
      message: typeof message === 'string' ? message : '',
    };
    if (detail !== undefined) entry.detail = detail;
    out.push(entry);
  }
  return out;
}

/** Longest error text kept from a body, in characters. */
const MESSAGE_MAX = 300;

/** `CODE: message; CODE2: message2`, or a trimmed plain-text body, or ''. */
export function describeErrorBody(errors: RegistryErrorEntry[], text: string): string {
  if (errors.length > 0) {
    return errors.map((e) => (e.message ? `${e.code}: ${oneLine(e.message, MESSAGE_MAX)}` : e.code)).join('; ');
  }
  const t = oneLine(text, MESSAGE_MAX);
  // Skip HTML error pages: they say nothing a status does not.
  return /^<(!doctype|html)/i.test(t) ? '' : t;
}

export class RegistryError extends Error {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly errors: RegistryErrorEntry[];
  /** Delay the server asked for (Retry-After), in ms, when it did. */
  readonly retryAfterMs: number | undefined;
  /** Attempts the transport made before giving up (1 when it did not retry). */
  readonly attempts: number;
  constructor(opts: {
    method: string;
    url: URL | string;
    status: number;
    errors?: RegistryErrorEntry[];
    body?: string;
    retryAfterMs?: number;
    message?: string;
    attempts?: number;
  }) {
    const url = redactUrl(opts.url);
    const errors = opts.errors ?? [];
    const described = opts.message ?? describeErrorBody(errors, opts.body ?? '');
    super(`${opts.method} ${url}: ${opts.status}${described ? ` ${described}` : ''}`);
    this.name = 'RegistryError';
    this.method = opts.method;
    this.url = url;
    this.status = opts.status;
    this.errors = errors;
    this.retryAfterMs = opts.retryAfterMs;
    this.attempts = opts.attempts ?? 1;
  }

  hasCode(code: string): boolean {
    return this.errors.some((e) => e.code === code);
  }
}

/** Authentication or authorisation failed after fresh credentials were tried. */
export class RegistryAuthError extends Error {
  readonly registry: string;
  readonly status: number;
  readonly errors: RegistryErrorEntry[];
  constructor(message: string, opts: { registry: string; status: number; errors?: RegistryErrorEntry[] }) {
    super(message);
    this.name = 'RegistryAuthError';
    this.registry = opts.registry;
    this.status = opts.status;
    this.errors = opts.errors ?? [];
  }
}

/** A connection-level failure (reset, timeout, refused) after retries. */
export class TransportError extends Error {
  readonly method: string;
  readonly url: string;
  readonly code: string | undefined;
  readonly attempts: number;
  constructor(method: string, url: URL | string, cause: unknown, attempts: number) {
    const c = cause as { code?: unknown; message?: unknown } | undefined;
    const code = typeof c?.code === 'string' ? c.code : undefined;
    const msg = typeof c?.message === 'string' ? oneLine(c.message, 200) : String(cause);
    const suffix = attempts > 1 ? ` (after ${attempts} attempts)` : '';
    super(`${method} ${redactUrl(url)}: ${code && !msg.includes(code) ? `${code}: ` : ''}${msg}${suffix}`, { cause });
    this.name = 'TransportError';
    this.method = method;
    this.url = redactUrl(url);
    this.code = code;
    this.attempts = attempts;
  }
}
