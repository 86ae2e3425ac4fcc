import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, rename, rm, writeFile, link, copyFile } from 'node:fs/promises';
import { statIfExists } from '../util/small_file.ts';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { DigestCounter, digestAlgorithm, digestHex, isDigest, quoteUntrusted, sha256, DIGEST_RULE } from './digest.ts';
import type { Digest } from './types.ts';
import { forEachLimit } from '../util/limit.ts';

export interface StoredBlob {
  digest: Digest;
  size: number;
}

/** A blob known to exist elsewhere (a pulled base's layer) and how to download it when needed. */
export interface RemoteBlob {
  size: number;
  /** "registry/repository", for messages. */
  from: string;
  /** Downloads the blob into the store. */
  fetch: () => Promise<void>;
}

/**
 * Bytes that are not the blob asked for: `CONTENT_MISMATCH`, another digest or size than
 * expected; `TOO_LARGE`, more bytes than allowed. Callers decide by class and code.
 */
export class BlobContentError extends Error {
  override name = 'BlobContentError';
  readonly code: 'CONTENT_MISMATCH' | 'TOO_LARGE';
  constructor(code: 'CONTENT_MISMATCH' | 'TOO_LARGE', message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Content-addressed blobs on disk, laid out as an OCI layout's `blobs/` directory so that any
 * image in the store can be exposed as a layout by linking. Each write hashes while it streams
 * to a temporary file and renames into place: a blob is either complete or absent.
 */
export class BlobStore {
  readonly root: string;
  /**
   * Shallow mode: blobs known remotely (base layers) are not downloaded just to complete an
   * OCI layout; only a consumer that needs their bytes (a Docker load, a push to another
   * registry that lacks them) calls `ensure`. The pipeline sets it when every requested
   * target is a push or a load.
   */
  shallow = false;
  /** Bytes downloaded by `ensure`. */
  bytesFetched = 0;
  readonly #remote = new Map<Digest, RemoteBlob>();
  readonly #fetching = new Map<Digest, Promise<void>>();

  constructor(root: string) {
    this.root = root;
  }

  /** Records where a blob that may be absent locally can be downloaded from. */
  addRemote(digest: Digest, blob: RemoteBlob): void {
    if (!this.#remote.has(digest)) this.#remote.set(digest, blob);
  }

  remote(digest: Digest): RemoteBlob | undefined {
    return this.#remote.get(digest);
  }

  /** Makes sure the blob is in the store, downloading a remote one once (concurrent callers share it). */
  async ensure(digest: Digest): Promise<void> {
    if (await this.has(digest)) return;
    const remote = this.#remote.get(digest);
    if (!remote) throw new Error(`blob ${digest} is missing from the blob store`);
    let p = this.#fetching.get(digest);
    if (!p) {
      p = remote.fetch().then(
        () => {
          this.bytesFetched += remote.size;
        },
        (err: unknown) => {
          this.#fetching.delete(digest);
          throw new Error(`downloading ${digest} from ${remote.from}: ${(err as Error).message}`);
        },
      );
      this.#fetching.set(digest, p);
    }
    await p;
  }

  /** `ensure` for each digest, a few downloads at a time. */
  async ensureAll(digests: Digest[], concurrency = 4): Promise<void> {
    await forEachLimit([...new Set(digests)], concurrency, (d) => this.ensure(d));
  }

  /**
   * `blobs/<algorithm>/<hex>` under the root. The second line of defence: a digest that is not
   * exactly sha256/sha512 + lowercase hex is refused here, before it can form a path.
   */
  path(digest: Digest): string {
    if (!isDigest(digest)) throw new Error(`blob store: refusing invalid digest ${quoteUntrusted(digest)} (${DIGEST_RULE})`);
    return join(this.root, 'blobs', digestAlgorithm(digest), digestHex(digest));
  }

  // Blobs found present in this process, for seen(). The store only ever adds blobs (commits are
  // renames of finished, hashed files; nothing here deletes one).
  readonly #present = new Map<Digest, StoredBlob>();
  // Blobs found absent in this process and not written since (a base layer left in its
  // registry is asked about once per image that has it).
  readonly #absent = new Set<Digest>();

  /**
   * has(), answered from memory for a blob this process already found, or found absent and has
   * not written since (what another process writes meanwhile, has() sees): for walks that only ask
   * "local or remote?" (a no-op run of many images asked the disk three or four times per blob,
   * once per layout). Whatever then needs the file opens or links it and fails loudly if it was
   * removed from outside since; checks that must notice a lost blob (the layer cache) use has().
   */
  async seen(digest: Digest): Promise<StoredBlob | undefined> {
    const known = this.#present.get(digest);
    if (known || this.#absent.has(digest)) return known;
    const found = await this.has(digest);
    if (!found) this.#absent.add(digest);
    return found;
  }

  async has(digest: Digest): Promise<StoredBlob | undefined> {
    const s = statIfExists(this.path(digest));
    if (s?.isFile()) {
      const found = { digest, size: s.size };
      this.#present.set(digest, found);
      this.#absent.delete(digest);
      return found;
    }
    this.#present.delete(digest);
    return undefined;
  }

  /** Reads in 1 MiB pieces: a large upload then takes a sixteenth of the event-loop turns. */
  /**
   * Reads a stored blob in pieces of up to 1 MiB; given the blob's size, no bigger than it and no
   * further than it (each piece is a fresh buffer: a 1 KiB config read with a 1 MiB buffer costs
   * a MiB of garbage).
   */
  open(digest: Digest, size?: number): ReadStream {
    const piece = size === undefined ? 1024 * 1024 : Math.min(1024 * 1024, Math.max(16 * 1024, size));
    // Knowing where it ends, the stream sizes its last read to what is left and reads no more
    // (without `end`, each read takes a full piece, and one more finds the end of the file).
    return createReadStream(this.path(digest), { highWaterMark: piece, ...(size !== undefined && size > 0 ? { end: size - 1 } : {}) });
  }

  async #tmp(): Promise<string> {
    const dir = join(this.root, 'tmp');
    await mkdir(dir, { recursive: true });
    return join(dir, `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  async #commit(tmp: string, digest: Digest): Promise<void> {
    const dest = this.path(digest);
    await mkdir(join(this.root, 'blobs', digestAlgorithm(digest)), { recursive: true });
    await rename(tmp, dest);
    this.#absent.delete(digest);
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
   * Streams `source` into the store. When `expected` is given the bytes must match it (its
   * digest, hashed with the digest's algorithm, and its size when given) or nothing is stored;
   * a source that runs past the expected size (or `maxSize`) is cut off there, so a hostile
   * server cannot fill the disk. The temporary file is removed on any failure.
   */
  async writeStream(
    source: Readable | AsyncIterable<Uint8Array>,
    expected?: { digest: Digest; size?: number | undefined },
    opts: { maxSize?: number } = {},
  ): Promise<StoredBlob> {
    if (expected) this.path(expected.digest);
    const tmp = await this.#tmp();
    const counter = new DigestCounter(expected ? digestAlgorithm(expected.digest) : 'sha256');
    const limit = Math.min(expected?.size ?? Infinity, opts.maxSize ?? Infinity);
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        counter.update(chunk);
        if (counter.size > limit) {
          cb(expected?.size !== undefined && expected.size <= (opts.maxSize ?? Infinity)
            ? new BlobContentError('CONTENT_MISMATCH', `content mismatch: expected ${expected.digest} (${expected.size} bytes), got more than ${expected.size} bytes`)
            : new BlobContentError('TOO_LARGE', `content is larger than the ${limit} bytes allowed`));
          return;
        }
        cb(null, chunk);
      },
    });
    try {
      await pipeline(source, tap, createWriteStream(tmp));
      const digest = counter.digest();
      if (expected && (expected.digest !== digest || (expected.size !== undefined && expected.size !== counter.size))) {
        throw new BlobContentError(
          'CONTENT_MISMATCH',
          `content mismatch: expected ${expected.digest} (${expected.size ?? 'unknown'} bytes), got ${digest} (${counter.size} bytes)`,
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
    // The digest is checked (by path) before anything at `dest` is removed.
    const src = this.path(digest);
    await rm(dest, { force: true });
    try {
      await link(src, dest);
    } catch {
      await copyFile(src, dest);
    }
  }
}
