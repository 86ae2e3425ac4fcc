// Reading JSON documents (manifests, indexes, configs) back out of the store, checking that
// the bytes still hash to the digest they are filed under.
import { readFile } from 'node:fs/promises';
import type { BlobStore } from './blobstore.ts';
import { digestAlgorithm, digestBytes } from './digest.ts';
import { parseUntrustedJson } from './descriptor.ts';
import type { Digest } from './types.ts';

// Documents already read and verified in this process, per store. Safe to reuse: a blob's file
// is named by the hash of its content and was checked against it on the first read, so the same
// digest can only mean the same bytes; whatever needs the file itself (links into a layout,
// uploads of layers) still goes to the disk and fails there if it was lost. A no-op run of many
// images reads each manifest and index five or six times (layouts, push walk, tags): once now.
const verified = new WeakMap<BlobStore, Map<Digest, Buffer>>();
/** Larger blobs (layers read as bytes) are not kept: the cache is for JSON documents. */
const CACHE_MAX_BYTES = 256 * 1024;

export async function readBlobBytes(store: BlobStore, digest: Digest, what: string): Promise<Buffer> {
  let known = verified.get(store);
  const hit = known?.get(digest);
  // A copy: no caller can change what the next one reads.
  if (hit) return Buffer.from(hit);
  let bytes: Buffer;
  try {
    bytes = await readFile(store.path(digest));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new Error(`${what} ${digest} is not in the blob store (${store.root})`);
    throw new Error(`reading ${what} ${digest}: ${e.message}`);
  }
  const actual = digestBytes(bytes, digestAlgorithm(digest));
  if (actual !== digest) throw new Error(`${what} ${digest} in the blob store is corrupt: its content hashes to ${actual}`);
  if (bytes.length <= CACHE_MAX_BYTES) {
    if (!known) verified.set(store, (known = new Map()));
    known.set(digest, Buffer.from(bytes));
  }
  return bytes;
}

export async function readBlobJson(store: BlobStore, digest: Digest, what: string): Promise<unknown> {
  const bytes = await readBlobBytes(store, digest, what);
  return parseUntrustedJson(bytes.toString('utf8'), `${what} ${digest}`);
}
