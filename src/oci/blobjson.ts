// Reading JSON documents (manifests, indexes, configs) back out of the store, checking that
// the bytes still hash to the digest they are filed under.
import { readFile } from 'node:fs/promises';
import type { BlobStore } from './blobstore.ts';
import { digestAlgorithm, digestBytes } from './digest.ts';
import { parseUntrustedJson } from './descriptor.ts';
import type { Digest } from './types.ts';

export async function readBlobBytes(store: BlobStore, digest: Digest, what: string): Promise<Buffer> {
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
  return bytes;
}

export async function readBlobJson(store: BlobStore, digest: Digest, what: string): Promise<unknown> {
  const bytes = await readBlobBytes(store, digest, what);
  return parseUntrustedJson(bytes.toString('utf8'), `${what} ${digest}`);
}
