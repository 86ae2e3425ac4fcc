import { createHash, type Hash } from 'node:crypto';
import { forEachFileChunk } from '../file_chunks.ts';
import type { Digest } from './types.ts';

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(value: string): value is Digest {
  return DIGEST_RE.test(value);
}

export function parseDigest(value: string, what = 'digest'): Digest {
  if (!isDigest(value)) throw new Error(`invalid ${what} "${value}": expected sha256:<64 lowercase hex>`);
  return value;
}

export function digestHex(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

export function sha256(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** sha256 of a file's bytes, read in 1 MiB pieces into reused buffers. */
export async function fileDigest(path: string): Promise<Digest> {
  const hash = createHash('sha256');
  await forEachFileChunk(path, (chunk) => void hash.update(chunk));
  return `sha256:${hash.digest('hex')}`;
}

/** Counts bytes and hashes them as they pass; read `digest()` once at the end. */
export class DigestCounter {
  readonly #hash: Hash = createHash('sha256');
  size = 0;
  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.size += chunk.length;
  }
  digest(): Digest {
    return `sha256:${this.#hash.digest('hex')}`;
  }
}
