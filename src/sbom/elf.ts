// ELF headers of the files in an image layer, read while the tar streams past: only regular
// files starting with \x7fELF are looked at, and only their first 20 bytes are kept (plus the Go
// build info blob, which BuildInfoFinder picks out of the stream for the SBOM). Nothing is
// extracted and no file is buffered whole.
import type { Readable } from 'node:stream';
import { readTarMembers, readTarStream, type ArchiveMember } from '../tar/reader.ts';
import { BuildInfoFinder, type GoBuildInfo } from './buildinfo.ts';
import type { Digest, Platform } from '../oci/types.ts';
import type { BlobStore } from '../oci/blobstore.ts';
import { digestHex } from '../oci/digest.ts';
import { readSmallFile } from '../util/small_file.ts';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/write_atomic.ts';
import { BuildError } from '../errors.ts';

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

export interface ElfHeader {
  /** 1 = 32-bit, 2 = 64-bit (EI_CLASS). */
  class: 1 | 2;
  /** e_machine. */
  machine: number;
}

/** Go architectures by ELF machine and class. */
const MACHINES: Array<{ arch: string; machine: number; class: 1 | 2; name: string }> = [
  { arch: 'amd64', machine: 62, class: 2, name: 'x86-64' },
  { arch: 'arm64', machine: 183, class: 2, name: 'aarch64' },
  { arch: 'arm', machine: 40, class: 1, name: 'arm' },
  { arch: '386', machine: 3, class: 1, name: 'i386' },
  { arch: 'ppc64le', machine: 21, class: 2, name: 'ppc64' },
  { arch: 's390x', machine: 22, class: 2, name: 's390x' },
  { arch: 'riscv64', machine: 243, class: 2, name: 'riscv' },
];

/** e_machine / EI_CLASS from the first 20 bytes of a file; undefined if it is not ELF. */
export function parseElfHeader(head: Buffer): ElfHeader | undefined {
  if (head.length < 20 || !head.subarray(0, 4).equals(ELF_MAGIC)) return undefined;
  const cls = head[4];
  if (cls !== 1 && cls !== 2) return undefined;
  const little = head[5] !== 2;
  const machine = little ? head.readUInt16LE(18) : head.readUInt16BE(18);
  return { class: cls, machine };
}

/** "arm64 (aarch64)", or the raw machine number for architectures we do not know. */
export function describeElf(h: ElfHeader): string {
  const m = MACHINES.find((x) => x.machine === h.machine && x.class === h.class);
  if (m) return `${m.arch} (${m.name})`;
  return `ELF machine ${h.machine} (${h.class === 2 ? '64' : '32'}-bit)`;
}

/** Whether an ELF header fits an image platform; undefined when we have no rule for the arch. */
export function elfMatchesPlatform(h: ElfHeader, platform: Platform): boolean | undefined {
  const want = MACHINES.find((x) => x.arch === platform.architecture);
  if (!want) return undefined;
  return want.machine === h.machine && want.class === h.class;
}

export interface LayerFile {
  /** Absolute path in the image: `/app/server`. */
  path: string;
  member: ArchiveMember;
  elf?: ElfHeader;
  /** Go build info, for Go binaries. */
  go?: GoBuildInfo;
}

export function imagePath(name: string): string {
  let p = name.replace(/^(\.\/)+/, '').replace(/^\/+/, '').replace(/\/+$/, '');
  p = p.replace(/\/\.\//g, '/');
  return `/${p}`;
}

/** Every member of a layer (headers only), with ELF headers and Go build info for binaries. */
export function scanLayer(tarPath: string): Promise<LayerFile[]> {
  return scanMembers(readTarMembers(tarPath));
}

/** scanLayer over an uncompressed tar stream (the bytes of a layer as it is being compressed). */
export function scanLayerStream(source: Readable, what: string): Promise<LayerFile[]> {
  return scanMembers(readTarStream(source, what));
}

async function scanMembers(members: AsyncIterable<{ member: ArchiveMember; body: Readable }>): Promise<LayerFile[]> {
  const out: LayerFile[] = [];
  for await (const { member, body } of members) {
    const file: LayerFile = { path: imagePath(member.name), member };
    out.push(file);
    if (member.type !== 'file' || member.size < 20) {
      for await (const _ of body) void _;
      continue;
    }
    let head = Buffer.alloc(0);
    let finder: BuildInfoFinder | undefined;
    let notElf = false;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (notElf) continue;
      if (head.length < 20) {
        head = Buffer.concat([head, chunk.subarray(0, 20 - head.length)]);
        if (head.length < 20) continue;
        file.elf = parseElfHeader(head);
        if (!file.elf) {
          notElf = true;
          continue;
        }
        finder = new BuildInfoFinder();
      }
      finder?.update(chunk);
    }
    if (finder?.result) file.go = finder.result;
  }
  return out;
}

/**
 * Layer scans by layer digest: the image rule's checks and the SBOM share one read, and a later
 * run (a `run` after a `build`, a warm push) reads the result from the store's cache instead of
 * the layer. `tarPath` may be the blob or the tar it was made from (the same uncompressed bytes).
 */
const scans = new Map<string, Promise<LayerFile[]>>();

function scanFile(store: BlobStore, digest: Digest): string {
  return join(store.root, 'cache', 'layer-scans', `${digestHex(digest)}.json`);
}

export function scanLayerCached(store: BlobStore, digest: Digest, tarPath: string): Promise<LayerFile[]> {
  let p = scans.get(digest);
  if (!p) {
    p = (async () => {
      try {
        const text = readSmallFile(scanFile(store, digest));
        if (text === undefined) throw new Error('no scan yet');
        return JSON.parse(text) as LayerFile[];
      } catch {
        const files = await scanLayer(tarPath);
        await saveScan(store, digest, files);
        return files;
      }
    })();
    scans.set(digest, p);
    p.catch(() => scans.delete(digest));
  }
  return p;
}

function saveScan(store: BlobStore, digest: Digest, files: LayerFile[]): Promise<void> {
  return writeFileAtomic(scanFile(store, digest), JSON.stringify(files));
}

/** Records a scan made before the layer's digest was known (while it was being compressed). */
export async function rememberScan(store: BlobStore, digest: Digest, files: LayerFile[]): Promise<void> {
  if (scans.has(digest)) return;
  scans.set(digest, Promise.resolve(files));
  await saveScan(store, digest, files);
}

/**
 * Fails with one line naming the target, the file and both platforms when an ELF file in the
 * layers is built for another architecture than the image's.
 */
export function checkElfPlatform(label: string, platform: Platform, files: LayerFile[]): void {
  for (const f of files) {
    if (!f.elf) continue;
    if (elfMatchesPlatform(f.elf, platform) === false) {
      const plat = `${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''}`;
      throw new BuildError(`${f.path} is an ${describeElf(f.elf)} binary, but the image is ${plat}`, { label });
    }
  }
}
