// Deterministic tar writer. The bytes depend only on the entries given, in the order given:
// no atime/ctime, no PAX records, no host user names (see header.ts); .tar.gz goes through the
// same deterministic, parallel gzip as image layers (src/oci/compress.ts). File contents are streamed from disk. Behaviour around parents and duplicates
// follows rules_pkg's pkg/private/tar/tar_writer.py (TarFileWriter):
//  - missing parent directories are added before a member (create_parents), mode 0755 and the
//    member's own owner, names and mtime (conditionally_add_parents);
//  - a second member with an already written path is dropped with a warning and the first one
//    kept ("Duplicate file in archive: %s, picking first occurrence"); repeated directories are
//    dropped silently. Unlike tar_writer.py, a file and a directory of the same name also count
//    as duplicates (Python tracks "a" and "a/" separately and would write both).
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { dirname, basename, join } from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { forEachFileChunk } from '../util/file_chunks.ts';
import type { TarEntry, TarEntryType, TarMergeSource } from './entry.ts';
import { archiveTrailer, dataPadding, encodeHeader } from './header.ts';
import { compressStream, validateLevel } from '../oci/compress.ts';
import { normalizeArchivePath, parentDirs } from './path.ts';
import { readTarMembers, type ArchiveMember } from './reader.ts';

export type TarCompression = 'none' | 'gzip';

export interface WriteTarOptions {
  compression?: TarCompression;
  /** 0-9; default 6 (rules_pkg's default for compression_level -1). */
  gzipLevel?: number;
  /** mtime (seconds) for entries that carry none. Default 0. */
  mtime?: number;
  /** Add missing parent directories before each member. Default true (pkg_tar create_parents). */
  createParents?: boolean;
  /** Write every member even if its path was already written (pkg_tar allow_duplicates_from_deps). */
  allowDuplicates?: boolean;
  /** Archives whose members are appended after `entries`, in order (pkg_tar `deps`). */
  merge?: TarMergeSource[];
  /** Receives duplicate-path warnings. Default: printed to stderr. */
  onWarning?: (message: string) => void;
}

export interface WriteTarResult {
  /** Members written, including added parent directories. */
  members: number;
  /** Size of the uncompressed archive in bytes. */
  tarSize: number;
  /** sha256 (hex) of the file written, when it is the uncompressed archive (hashed on the way out). */
  sha256?: string;
}

/** A member as written: the reader's fields, keyed by its normalised path. */
type Member = Omit<ArchiveMember, 'name' | 'size'> & { path: string };

function checkInt(value: number, what: string, path: string): number {
  if (!Number.isSafeInteger(value)) throw new Error(`tar: ${what} of "${path}" must be an integer, got ${value}`);
  return value;
}

export class TarWriter {
  readonly dest: string;
  readonly #tmp: string;
  readonly #head: Writable;
  readonly #done: Promise<void>;
  readonly #opts: WriteTarOptions;
  readonly #seen = new Map<string, TarEntryType>();
  #offset = 0;
  #members = 0;
  /** The archive's bytes as they go out, when they go to the file as they are. */
  readonly #hash: Hash | undefined;
  /** Whether the archive goes through gzip on its way to the file. */
  readonly #gzip: boolean;
  #closed = false;

  private constructor(dest: string, opts: WriteTarOptions) {
    this.dest = dest;
    this.#opts = opts;
    // Written next to the destination and renamed on close: the output is complete or absent.
    this.#tmp = join(dirname(dest), `.${basename(dest)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
    const file = createWriteStream(this.#tmp);
    let done: Promise<void>;
    this.#gzip = (opts.compression ?? 'none') === 'gzip';
    if (this.#gzip) {
      const level = opts.gzipLevel ?? 6;
      const tar = new PassThrough();
      this.#head = tar;
      done = pipeline(tar, (source: AsyncIterable<Uint8Array>) => compressStream(source, { format: 'gzip', level }), file);
    } else {
      this.#head = file;
      this.#hash = createHash('sha256');
      done = finished(file);
    }
    this.#done = done.catch((err: NodeJS.ErrnoException) => {
      throw new Error(`tar: cannot write ${dest}: ${err.code ?? err.message}`);
    });
    this.#done.catch(() => {}); // observed in close()/abort(); avoid an unhandled rejection meanwhile
  }

  static create(dest: string, opts: WriteTarOptions = {}): TarWriter {
    const c = opts.compression ?? 'none';
    if (c !== 'none' && c !== 'gzip') throw new Error(`tar: unsupported compression "${String(c)}" (none or gzip)`);
    if (c === 'gzip') validateLevel('gzip', opts.gzipLevel ?? 6);
    return new TarWriter(dest, opts);
  }

  async #write(buf: Uint8Array): Promise<void> {
    if (buf.length === 0) return;
    this.#offset += buf.length;
    this.#hash?.update(buf);
    if (!this.#head.write(buf)) await Promise.race([once(this.#head, 'drain'), this.#done]);
  }

  #warn(message: string): void {
    if (this.#opts.onWarning) this.#opts.onWarning(message);
    else process.stderr.write(`warning: ${message}\n`);
  }

  /** Decides whether `m` is written; adds its parents. False means "skip (duplicate)". */
  async #admit(m: Member): Promise<boolean> {
    const existing = this.#seen.get(m.path);
    if (existing !== undefined && !this.#opts.allowDuplicates) {
      if (!(existing === 'dir' && m.type === 'dir')) {
        this.#warn(`duplicate path "${m.path}" in archive ${this.dest}: keeping the first occurrence`);
      }
      return false;
    }
    for (const parent of parentDirs(m.path)) {
      const kind = this.#seen.get(parent);
      if (kind === undefined) {
        if (this.#opts.createParents ?? true) {
          await this.#emit({ ...m, path: parent, type: 'dir', mode: 0o755, linkname: '', devmajor: 0, devminor: 0 }, 0);
        }
      } else if (kind !== 'dir') {
        throw new Error(`tar: "${m.path}" needs "${parent}" to be a directory, but it was written as a ${kind}`);
      }
    }
    return true;
  }

  async #emit(m: Member, size: number): Promise<void> {
    await this.#write(
      encodeHeader({
        name: m.path,
        type: m.type,
        mode: m.mode,
        uid: m.uid,
        gid: m.gid,
        size,
        mtime: m.mtime,
        linkname: m.linkname,
        uname: m.uname,
        gname: m.gname,
        devmajor: m.devmajor,
        devminor: m.devminor,
      }),
    );
    if (!this.#seen.has(m.path)) this.#seen.set(m.path, m.type);
    this.#members++;
  }

  async #body(source: AsyncIterable<Uint8Array>, size: number, path: string, what: string): Promise<void> {
    let n = 0;
    for await (const chunk of source) {
      n += chunk.length;
      if (n > size) throw new Error(`tar: ${what} for "${path}" is longer than its size ${size} (changed while archiving?)`);
      await this.#write(chunk);
    }
    if (n !== size) throw new Error(`tar: ${what} for "${path}" has ${n} bytes, expected ${size} (changed while archiving?)`);
    await this.#write(dataPadding(size));
  }

  /**
   * A file's bytes, read into two reused buffers: a buffer is read into again once its write has
   * been taken (written to the file; into gzip, a copy is written). A file whose size changed
   * since its stat fails the archive, whether it grew or shrank.
   */
  async #fileBody(file: string, size: number, path: string): Promise<void> {
    // Into gzip, a piece is still referenced after its write is taken (the pass-through's buffer,
    // then a compression job): it goes as a copy, or the next read would overwrite it in flight.
    const n = await forEachFileChunk(file, (chunk) => this.#writeTaken(this.#gzip ? Buffer.from(chunk) : chunk), { length: size + 1 });
    if (n > size) throw new Error(`tar: ${file} for "${path}" is longer than its size ${size} (changed while archiving?)`);
    if (n !== size) throw new Error(`tar: ${file} for "${path}" has ${n} bytes, expected ${size} (changed while archiving?)`);
    await this.#write(dataPadding(size));
  }

  /** Writes `buf` and resolves once the stream no longer holds it (its write callback). */
  #writeTaken(buf: Uint8Array): Promise<void> {
    this.#offset += buf.length;
    this.#hash?.update(buf);
    return new Promise<void>((resolve, reject) => {
      // A stream destroyed by an error calls every pending write back with an error.
      this.#head.write(buf, (err) => (err ? reject(err) : resolve()));
    });
  }

  #member(entry: TarEntry, path: string): Member {
    const mtime = entry.mtime ?? this.#opts.mtime ?? 0;
    const m: Member = {
      path,
      type: entry.type,
      mode: checkInt(entry.mode, 'mode', path) & 0o7777,
      uid: checkInt(entry.uid ?? 0, 'uid', path),
      gid: checkInt(entry.gid ?? 0, 'gid', path),
      uname: entry.uname ?? '',
      gname: entry.gname ?? '',
      mtime: checkInt(mtime, 'mtime', path),
      linkname: '',
      devmajor: entry.devmajor ?? 0,
      devminor: entry.devminor ?? 0,
    };
    if (m.uid < 0 || m.gid < 0) throw new Error(`tar: uid/gid of "${path}" must not be negative`);
    if (entry.type === 'symlink' || entry.type === 'hardlink') {
      if (!entry.linkname) throw new Error(`tar: ${entry.type} "${path}" needs a linkname`);
      m.linkname = entry.type === 'hardlink' ? this.#hardlinkTarget(path, entry.linkname) : entry.linkname;
    } else if (entry.linkname) {
      throw new Error(`tar: linkname is only valid for links, but "${path}" is a ${entry.type}`);
    }
    if (entry.source && entry.type !== 'file') throw new Error(`tar: only files have contents, but "${path}" is a ${entry.type}`);
    return m;
  }

  #hardlinkTarget(path: string, linkname: string): string {
    const target = normalizeArchivePath(linkname);
    const kind = this.#seen.get(target);
    if (kind === undefined || kind === 'dir') {
      throw new Error(`tar: hardlink "${path}" points to "${target}", which is not a file written earlier in the archive`);
    }
    return target;
  }

  /** Appends one entry (and any missing parents). */
  async add(entry: TarEntry): Promise<void> {
    if (this.#closed) throw new Error('tar: writer is closed');
    const path = normalizeArchivePath(entry.path);
    const m = this.#member(entry, path);
    if (entry.type !== 'file') {
      if (await this.#admit(m)) await this.#emit(m, 0);
      return;
    }
    const src = entry.source;
    if (src && 'file' in src) {
      let size: number;
      try {
        const s = await stat(src.file);
        if (!s.isFile()) throw new Error('not a regular file');
        size = s.size;
      } catch (err) {
        throw new Error(`tar: cannot add "${path}" from ${src.file}: ${(err as Error).message}`);
      }
      if (!(await this.#admit(m))) return;
      await this.#emit(m, size);
      await this.#fileBody(src.file, size, path);
      return;
    }
    const data = !src ? new Uint8Array(0) : typeof src.content === 'string' ? Buffer.from(src.content, 'utf8') : src.content;
    if (!(await this.#admit(m))) return;
    await this.#emit(m, data.length);
    await this.#write(data);
    await this.#write(dataPadding(data.length));
  }

  /**
   * Re-emits every member of another archive, in order, like tar_writer.py add_tar(numeric=True):
   * owner names are cleared, numeric ids, modes and mtimes kept; names are placed under `prefix`.
   * Leading "/" of member names is dropped; a member naming the root ("./") is skipped.
   */
  async addTar(source: TarMergeSource): Promise<void> {
    if (this.#closed) throw new Error('tar: writer is closed');
    const place = (name: string): string | undefined => {
      const rel = name.replace(/^\/+/, '');
      const full = source.prefix ? `${source.prefix.replace(/^\/+|\/+$/g, '')}/${rel}` : rel;
      if (full.split('/').every((s) => s === '' || s === '.')) return undefined;
      return normalizeArchivePath(full);
    };
    for await (const { member, body } of readTarMembers(source.path)) {
      let path: string | undefined;
      try {
        path = place(member.name);
      } catch (err) {
        throw new Error(`${(err as Error).message} (member of ${source.path})`);
      }
      if (path === undefined) {
        await drain(body);
        continue;
      }
      const linkname =
        member.type === 'hardlink' ? place(member.linkname) ?? member.linkname : member.linkname;
      const m = this.#member(
        {
          path,
          type: member.type,
          mode: member.mode,
          uid: member.uid,
          gid: member.gid,
          uname: '',
          gname: '',
          mtime: member.mtime,
          linkname: linkname || undefined,
          devmajor: member.devmajor,
          devminor: member.devminor,
        },
        path,
      );
      if (!(await this.#admit(m))) {
        await drain(body);
        continue;
      }
      await this.#emit(m, member.size);
      await this.#body(body, member.size, path, `member of ${source.path}`);
    }
  }

  /** Finishes the archive and moves it into place. */
  async close(): Promise<WriteTarResult> {
    if (this.#closed) throw new Error('tar: writer is closed');
    this.#closed = true;
    const tarSize = this.#offset + archiveTrailer(this.#offset).length;
    try {
      await this.#write(archiveTrailer(this.#offset));
      this.#head.end();
      await this.#done;
      await rename(this.#tmp, this.dest);
    } catch (err) {
      await rm(this.#tmp, { force: true });
      throw err;
    }
    return { members: this.#members, tarSize, ...(this.#hash ? { sha256: this.#hash.digest('hex') } : {}) };
  }

  /** Discards the partial output. */
  async abort(): Promise<void> {
    this.#closed = true;
    this.#head.destroy();
    await this.#done.catch(() => {});
    await rm(this.#tmp, { force: true });
  }
}

async function drain(body: Readable): Promise<void> {
  for await (const chunk of body) void chunk;
}

/** Writes `entries` (then `options.merge` archives) to `destPath`. */
export async function writeTar(
  entries: Iterable<TarEntry> | AsyncIterable<TarEntry>,
  destPath: string,
  options: WriteTarOptions = {},
): Promise<WriteTarResult> {
  const w = TarWriter.create(destPath, options);
  try {
    for await (const e of entries) await w.add(e);
    for (const m of options.merge ?? []) await w.addTar(m);
  } catch (err) {
    await w.abort();
    throw err;
  }
  return w.close();
}

