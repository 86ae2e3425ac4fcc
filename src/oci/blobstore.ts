import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile, link, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { DigestCounter, digestHex, sha256 } from './digest.ts';
import type { Digest } from './types.ts';

export interface StoredBlob {
  digest: Digest;
  size: number;
}

/**
 * Content-addressed blobs on disk, laid out as an OCI layout's `blobs/` directory so that any
 * image in the store can be exposed as a layout by linking. Each write hashes while it streams
 * to a temporary file and renames into place: a blob is either complete or absent.
 */
export class BlobStore {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }

  path(digest: Digest): string {
    return join(this.root, 'blobs', 'sha256', digestHex(digest));
  }

  async has(digest: Digest): Promise<StoredBlob | undefined> {
    try {
      const s = await stat(this.path(digest));
      return s.isFile() ? { digest, size: s.size } : undefined;
    } catch {
      return undefined;
    }
  }

  open(digest: Digest): ReadStream {
    return createReadStream(this.path(digest));
  }

  async #tmp(): Promise<string> {
    const dir = join(this.root, 'tmp');
    await mkdir(dir, { recursive: true });
    return join(dir, `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  async #commit(tmp: string, digest: Digest): Promise<void> {
    const dest = this.path(digest);
    await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
    await rename(tmp, dest);
  }

  async writeBytes(data: Uint8Array | string): Promise<StoredBlob> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const digest = sha256(bytes);
    const existing = await this.has(digest);
    if (existing) return existing;
    const tmp = await this.#tmp();
    await writeFile(tmp, bytes);
    await this.#commit(tmp, digest);
    return { digest, size: bytes.length };
  }

  /**
   * Streams `source` into the store. When `expected` is given the bytes must match it
   * (digest and size) or nothing is stored.
   */
  async writeStream(source: Readable | AsyncIterable<Uint8Array>, expected?: StoredBlob): Promise<StoredBlob> {
    const tmp = await this.#tmp();
    const counter = new DigestCounter();
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        counter.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(source, tap, createWriteStream(tmp));
      const digest = counter.digest();
      if (expected && (expected.digest !== digest || expected.size !== counter.size)) {
        throw new Error(
          `content mismatch: expected ${expected.digest} (${expected.size} bytes), got ${digest} (${counter.size} bytes)`,
        );
      }
      await this.#commit(tmp, digest);
      return { digest, size: counter.size };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** Stores a file already on disk (hashing it once while copying). */
  async writeFile(path: string): Promise<StoredBlob> {
    return this.writeStream(createReadStream(path));
  }

  /** Hard-links (or copies, across devices) a stored blob to `dest`. */
  async linkTo(digest: Digest, dest: string): Promise<void> {
    await rm(dest, { force: true });
    try {
      await link(this.path(digest), dest);
    } catch {
      await copyFile(this.path(digest), dest);
    }
  }
}
