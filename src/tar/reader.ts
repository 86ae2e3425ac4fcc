// Streams the members of an existing tar (plain, gzip or zstd, sniffed from the first bytes) so
// they can be re-emitted into another archive (pkg_tar `deps`). Only headers are held in memory.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { extract } from 'tar-stream';
import { sniffCompression, type LayerCompression } from '../oci/mediatypes.ts';
import type { TarEntryType } from './entry.ts';

export interface ArchiveMember {
  /** Name as stored (GNU long names and PAX paths applied), not normalised. */
  name: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  size: number;
  linkname: string;
  devmajor: number;
  devminor: number;
}

const TYPES: Record<string, TarEntryType | undefined> = {
  file: 'file',
  'contiguous-file': 'file',
  link: 'hardlink',
  symlink: 'symlink',
  directory: 'dir',
  'character-device': 'chardev',
  'block-device': 'blockdev',
  fifo: 'fifo',
};

/** Compression of a file from its first bytes; errors name the file. */
export async function sniffFileCompression(path: string): Promise<LayerCompression> {
  let fh;
  try {
    fh = await open(path, 'r');
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return sniffCompression(head.subarray(0, bytesRead));
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  } finally {
    await fh?.close();
  }
}

/** A decompressing stream for `compression`, or undefined for plain data. */
export function decompressor(compression: LayerCompression, what: string): zlib.Gunzip | zlib.ZstdDecompress | undefined {
  if (compression === 'gzip') return zlib.createGunzip();
  if (compression === 'zstd') {
    if (typeof zlib.createZstdDecompress !== 'function') {
      throw new Error(`${what} is zstd-compressed, but this Node.js has no zstd support (needs Node >= 22.15)`);
    }
    return zlib.createZstdDecompress();
  }
  return undefined;
}

/**
 * Yields each member with its body. The body must be consumed (or drained) before asking for
 * the next member; bodies of non-file members are empty.
 */
export async function* readTarMembers(path: string): AsyncGenerator<{ member: ArchiveMember; body: Readable }> {
  let compression: LayerCompression;
  try {
    compression = await sniffFileCompression(path);
  } catch (err) {
    throw new Error(`tar: ${(err as Error).message}`);
  }
  const file = createReadStream(path);
  const decomp = decompressor(compression, path);
  try {
    yield* readTarStream(decomp ? file.pipe(decomp) : file, path, [file, ...(decomp ? [decomp] : [])]);
  } finally {
    file.destroy();
    decomp?.destroy();
  }
}

/**
 * readTarMembers over an uncompressed tar stream (`what` names it in errors); the streams in
 * `upstream` have their errors reported too.
 */
export async function* readTarStream(source: Readable, what: string, upstream: Readable[] = [source]): AsyncGenerator<{ member: ArchiveMember; body: Readable }> {
  const path = what;
  const ex = extract();
  const fail = (err: Error) => ex.destroy(new Error(`tar: reading ${path}: ${err.message}`));
  for (const s of new Set([source, ...upstream])) s.on('error', fail);
  source.pipe(ex as unknown as NodeJS.WritableStream);
  try {
    for await (const entry of ex) {
      const h = entry.header;
      const type = TYPES[h.type];
      if (!type) throw new Error(`tar: ${path}: member "${h.name}" has unsupported type "${h.type}"`);
      const member: ArchiveMember = {
        name: h.name,
        type,
        mode: (h.mode ?? 0) & 0o7777,
        uid: h.uid ?? 0,
        gid: h.gid ?? 0,
        uname: h.uname ?? '',
        gname: h.gname ?? '',
        mtime: Math.floor((h.mtime?.getTime() ?? 0) / 1000),
        size: type === 'file' ? h.size ?? 0 : 0,
        linkname: h.linkname ?? '',
        devmajor: h.devmajor ?? 0,
        devminor: h.devminor ?? 0,
      };
      yield { member, body: entry as unknown as Readable };
    }
  } catch (err) {
    const msg = (err as Error).message;
    throw new Error(msg.startsWith('tar: ') ? msg : `tar: reading ${path}: ${msg}`);
  } finally {
    source.unpipe(ex as unknown as NodeJS.WritableStream);
    ex.destroy();
  }
}
