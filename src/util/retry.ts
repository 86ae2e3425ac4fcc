// The retry timing every HTTP client here shares (registry transport, blob and manifest loops,
// GitHub API): how a server's Retry-After is read, and exponential backoff. Each loop still
// decides for itself what is worth retrying and how often.

/** A Retry-After header (seconds, or an HTTP date) in milliseconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export interface BackoffOptions {
  /** Delay before the first retry; doubles per attempt. */
  minDelayMs: number;
  /** Largest delay. */
  maxDelayMs: number;
  /**
   * Spread the delay over its upper half at random (default true), so clients that failed
   * together do not retry together.
   */
  jitter?: boolean;
}

/** Delay before retry number `attempt` (1-based): `minDelayMs` doubled per attempt, capped at `maxDelayMs`. */
export function backoffDelay(attempt: number, o: BackoffOptions): number {
  const ceiling = Math.min(o.maxDelayMs, o.minDelayMs * 2 ** Math.max(0, attempt - 1));
  return o.jitter === false ? ceiling : ceiling / 2 + Math.random() * (ceiling / 2);
}
