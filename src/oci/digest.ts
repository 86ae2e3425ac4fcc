// Digests: the one validator every digest from outside passes through (registries, indexes,
// manifests, referrers, merge inputs, pinned digests, cache entries, layouts read back), and
// hashing. A digest becomes a file name in the blob store (`blobs/<algorithm>/<hex>`), so only
// the two forms the image-spec registers are accepted, exactly: `sha256:` + 64 lowercase hex
// and `sha512:` + 128 lowercase hex. Anything else (`..`, `/`, NUL, uppercase, other
// algorithms, whitespace) is refused before it can name a path.
import { createHash, type Hash } from 'node:crypto';
import { sha256File } from '../util/file_chunks.ts';
import type { Digest, DigestAlgorithm } from './types.ts';

const DIGEST_RE = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** What the validator accepts, for messages. */
export const DIGEST_RULE = 'expected sha256:<64 lowercase hex> or sha512:<128 lowercase hex>';

export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST_RE.test(value);
}

/**
 * A value from outside, quoted for a one-line message: JSON-escaped (no newline, NUL or escape
 * sequence reaches a log) and cut to `max` characters.
 */
export function quoteUntrusted(value: unknown, max = 100): string {
  if (typeof value !== 'string') return value === undefined ? 'missing' : `a ${value === null ? 'null' : typeof value}, not a string`;
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut);
}

/** Returns `value` as a Digest, or throws `invalid <what> "<value>": expected …` on one line. */
export function parseDigest(value: unknown, what = 'digest'): Digest {
  if (!isDigest(value)) throw new Error(`invalid ${what} ${quoteUntrusted(value)}: ${DIGEST_RULE}`);
  return value;
}

export function digestAlgorithm(digest: Digest): DigestAlgorithm {
  return digest.startsWith('sha512:') ? 'sha512' : 'sha256';
}

/** The hex part. Refuses an invalid digest: callers build file names from it. */
export function digestHex(digest: Digest): string {
  return parseDigest(digest).slice(digest.indexOf(':') + 1);
}

export function sha256(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The digest of `data` with `algorithm`. */
export function digestBytes(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}` as Digest;
}

/** sha256 of a file's bytes, read in 1 MiB pieces into reused buffers. */
export async function fileDigest(path: string): Promise<Digest> {
  return `sha256:${await sha256File(path)}`;
}

/** Counts bytes and hashes them as they pass; read `digest()` once at the end. */
export class DigestCounter {
  readonly #algorithm: DigestAlgorithm;
  readonly #hash: Hash;
  size = 0;
  constructor(algorithm: DigestAlgorithm = 'sha256') {
    this.#algorithm = algorithm;
    this.#hash = createHash(algorithm);
  }
  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.size += chunk.length;
  }
  digest(): Digest {
    return `${this.#algorithm}:${this.#hash.digest('hex')}` as Digest;
  }
}
