// A Go module as the module proxy protocol serves it: `<version>.zip` (files under
// `<path>@<version>/`, stored uncompressed with fixed timestamps, so the same tree gives the same
// bytes), `<version>.mod` and `<version>.info`, in a `file://` GOPROXY directory, with the `h1:`
// hashes go.sum holds for them (golang.org/x/mod/sumdb/dirhash Hash1: the SHA-256 of the sorted
// "<sha256 hex>  <name>\n" lines of every file).
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { writeFileAtomic } from '../util/write_atomic.ts';

/** module.EscapePath: an upper-case letter becomes "!" and the lower-case letter. */
export function escapeModulePath(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
}

interface ZipFile {
  name: string;
  data: Buffer;
}

/** Regular files under `dir`, by path relative to it ("/"-separated), sorted bytewise. */
export async function moduleFiles(dir: string): Promise<ZipFile[]> {
  const out: ZipFile[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) out.push({ name: r, data: await readFile(join(dir, r)) });
    }
  };
  await walk('');
  return out.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
}

/** dirhash.Hash1 over named contents. */
export function hash1(files: ReadonlyArray<{ name: string; data: Buffer }>): string {
  const sorted = [...files].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const h = createHash('sha256');
  for (const f of sorted) {
    if (f.name.includes('\n')) throw new Error(`file name ${JSON.stringify(f.name)} contains a newline`);
    h.update(`${createHash('sha256').update(f.data).digest('hex')}  ${f.name}\n`);
  }
  return `h1:${h.digest('base64')}`;
}

/** A zip archive of `files`, stored (no compression), DOS time 1980-01-01 00:00, UTF-8 names. */
export function storedZip(files: readonly ZipFile[]): Buffer {
  if (files.length > 0xffff) throw new Error(`${files.length} files are more than a zip without zip64 holds`);
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const crc = crc32(f.data);
    if (f.data.length > 0xfffffffe || offset > 0xfffffffe) throw new Error('module zip larger than 4 GiB');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(0, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(f.data.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(0, 10);
    cd.writeUInt16LE(0, 12);
    cd.writeUInt16LE(0x21, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(f.data.length, 20);
    cd.writeUInt32LE(f.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    parts.push(local, name, f.data);
    central.push(cd, name);
    offset += local.length + name.length + f.data.length;
  }
  const cdBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cdBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBytes, end]);
}

export interface ProxyModule {
  /** go.sum's hash of the module zip. */
  sum: string;
  /** go.sum's hash of its go.mod (the `/go.mod` line). */
  goModSum: string;
}

/**
 * Writes module `path` at `version` from the tree `dir` (which holds its go.mod) into the
 * `file://` proxy at `proxyRoot`, and returns its go.sum hashes.
 */
export async function writeProxyModule(proxyRoot: string, path: string, version: string, dir: string): Promise<ProxyModule> {
  const files = await moduleFiles(dir);
  const goMod = files.find((f) => f.name === 'go.mod');
  if (!goMod) throw new Error(`${dir}: no go.mod`);
  const zipped = files.map((f) => ({ name: `${path}@${version}/${f.name}`, data: f.data }));
  const at = join(proxyRoot, escapeModulePath(path), '@v');
  await writeFileAtomic(join(at, `${version}.mod`), goMod.data);
  await writeFileAtomic(join(at, `${version}.info`), `${JSON.stringify({ Version: version, Time: '1980-01-01T00:00:00Z' })}\n`);
  await writeFileAtomic(join(at, `${version}.zip`), storedZip(zipped));
  return { sum: hash1(zipped), goModSum: hash1([{ name: 'go.mod', data: goMod.data }]) };
}
