// Writes one single-platform image as a `docker save` archive (the Docker 25+ layout: an
// OCI image layout plus the legacy manifest.json), which `docker load` accepts on the
// classic image store (which reads manifest.json, back to Docker 1.10) and on the
// containerd image store (which reads index.json).
//
// Entries are streamed from the blob files, never held whole in memory; order and headers
// are deterministic (sorted names, mtime 0, uid/gid 0, modes 0644/0755).
//
// An archive can leave out the blobs of leading layers the daemon already has
// (`skipLeadingLayers`): the classic image store's loader looks each layer up by chain ID
// and only opens manifest.json's layer file when the chain is missing, so the path may
// name nothing in the archive. (The containerd store reads index.json and needs every blob.)

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { isDigest, quoteUntrusted } from '../oci/digest.ts';
import { parseRepoTag, type DockerImageName } from '../registry/reference.ts';

export interface BlobDescriptor {
  digest: string;
  size: number;
  mediaType: string;
}

export interface LoadImageInput {
  /** Where each blob lives on disk (content-addressed store). */
  blobPath: (digest: string) => string;
  /** The image manifest's descriptor. */
  manifest: BlobDescriptor;
  /** The parsed image manifest (must agree with the manifest blob). */
  manifestJson: { config: BlobDescriptor; layers: BlobDescriptor[] };
  /** Tags to give the image, e.g. ["hello_world:latest"]; a missing tag means ":latest". */
  repoTags: string[];
  /**
   * Downloads a layer blob that is not on disk (a base layer left in its registry) to its
   * `blobPath`. Called only for layers the archive really contains, just before it is sent.
   */
  fetchBlob?: (digest: string) => Promise<void>;
}

const MANIFEST_TYPES = new Set([
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
]);
const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);
const CONFIG_TYPES = new Set([
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
]);
/** Layer media types `docker load` can apply (it sniffs gzip/zstd by magic bytes). */
const LAYER_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
]);

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const ANNOTATION_IMAGE_NAME = 'io.containerd.image.name';
const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
const EPOCH = new Date(0);

interface PlannedBlob {
  /** Path inside the archive, "blobs/sha256/<hex>". */
  name: string;
  digest: string;
  size: number;
  /** File to stream from. */
  file: string;
  /** Not on disk yet: `fetchBlob` downloads it before the archive is sent. */
  remote?: boolean;
}

export interface DockerArchivePlan {
  /** Tags as written to manifest.json (familiar form, ":latest" added when missing). */
  repoTags: string[];
  /** Parsed tags, same order. */
  refs: DockerImageName[];
  /** Config digest, which is the image ID the daemon will report. */
  imageId: string;
  /** Manifest digest (the image ID on the containerd image store). */
  manifestDigest: string;
  blobs: PlannedBlob[];
  /** Small generated files: index.json, manifest.json, oci-layout. */
  files: Array<{ name: string; data: Buffer }>;
  /** Exact size of the tar stream in bytes. */
  size: number;
  /** The config's rootfs.diff_ids, one per layer. */
  diffIds: string[];
  /** Layer blob digests in manifest order. */
  layerDigests: string[];
  /** Leading layers whose blobs are left out of this archive (0: a complete archive). */
  layersSkipped: number;
  /** Size of the complete archive, every layer included. */
  fullSize: number;
}

/**
 * Chain IDs of a layer stack, as the daemon's layer store keys layers:
 * chain(0) = diffId(0); chain(i) = sha256 of the text "<chain(i-1)> <diffId(i)>".
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out.at(-1);
    out.push(prev === undefined ? d : `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}`);
  }
  return out;
}

/** Archive path of a blob: "blobs/<algorithm>/<encoded>". */
export function blobArchivePath(digest: string): string {
  if (!isDigest(digest)) throw new Error(`invalid digest ${quoteUntrusted(digest)}`);
  const colon = digest.indexOf(':');
  return `blobs/${digest.slice(0, colon)}/${digest.slice(colon + 1)}`;
}

function checkDescriptor(what: string, d: BlobDescriptor | undefined): BlobDescriptor {
  if (d === null || typeof d !== 'object') throw new Error(`${what}: missing descriptor`);
  if (!isDigest(d.digest)) {
    throw new Error(`${what}: invalid digest ${quoteUntrusted(d.digest)} (want sha256:<64 hex> or sha512:<128 hex>)`);
  }
  if (!Number.isSafeInteger(d.size) || d.size < 0) throw new Error(`${what} ${d.digest}: invalid size ${String(d.size)}`);
  if (typeof d.mediaType !== 'string' || d.mediaType === '') throw new Error(`${what} ${d.digest}: missing mediaType`);
  return d;
}

async function readVerified(what: string, d: BlobDescriptor, file: string): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (err) {
    throw new Error(`${what} ${d.digest}: cannot read blob ${file}: ${(err as Error).message}`);
  }
  if (data.length !== d.size) {
    throw new Error(`${what} ${d.digest}: blob ${file} has ${data.length} bytes, descriptor says ${d.size}`);
  }
  const [alg, encoded] = d.digest.split(':') as [string, string];
  let actual: string;
  try {
    actual = createHash(alg).update(data).digest('hex');
  } catch {
    throw new Error(`${what} ${d.digest}: unsupported digest algorithm ${alg}`);
  }
  if (actual !== encoded) throw new Error(`${what} ${d.digest}: blob ${file} has digest ${alg}:${actual}`);
  return data;
}

/**
 * Checks the input and lays out the archive: validates every tag (before anything is sent),
 * verifies the manifest and config blobs by digest, checks that every layer blob exists with
 * the size its descriptor gives, and renders the small metadata files.
 */
export async function planDockerArchive(input: LoadImageInput): Promise<DockerArchivePlan> {
  if (!Array.isArray(input.repoTags)) throw new Error('repoTags must be an array of image tags');
  const refs = input.repoTags.map((t) => parseRepoTag(t));
  const repoTags: string[] = [];
  const seenTags = new Set<string>();
  const uniqueRefs: DockerImageName[] = [];
  for (const r of refs) {
    if (seenTags.has(r.full)) continue;
    seenTags.add(r.full);
    repoTags.push(r.familiar);
    uniqueRefs.push(r);
  }

  const manifest = checkDescriptor('manifest', input.manifest);
  if (INDEX_TYPES.has(manifest.mediaType)) {
    throw new Error(`manifest ${manifest.digest} is an image index (${manifest.mediaType}); load one platform's image manifest`);
  }
  if (!MANIFEST_TYPES.has(manifest.mediaType)) {
    throw new Error(`manifest ${manifest.digest}: unsupported media type ${manifest.mediaType}`);
  }
  const mj = input.manifestJson;
  if (mj === null || typeof mj !== 'object' || !Array.isArray(mj.layers)) throw new Error('manifestJson: not an image manifest');
  const config = checkDescriptor('config', mj.config);
  if (!CONFIG_TYPES.has(config.mediaType)) {
    throw new Error(`config ${config.digest}: media type ${config.mediaType} is not an image config`);
  }
  const layers = mj.layers.map((l, i) => {
    const d = checkDescriptor(`layer ${i}`, l);
    if (!LAYER_TYPES.has(d.mediaType)) throw new Error(`layer ${i} ${d.digest}: unsupported media type ${d.mediaType}`);
    return d;
  });

  const manifestFile = input.blobPath(manifest.digest);
  const manifestBytes = await readVerified('manifest', manifest, manifestFile);
  let onDisk: { config?: { digest?: unknown }; layers?: Array<{ digest?: unknown }> };
  try {
    onDisk = JSON.parse(manifestBytes.toString('utf8')) as typeof onDisk;
  } catch (err) {
    throw new Error(`manifest ${manifest.digest}: not JSON: ${(err as Error).message}`);
  }
  const diskLayers = Array.isArray(onDisk.layers) ? onDisk.layers.map((l) => l.digest) : [];
  if (onDisk.config?.digest !== config.digest || diskLayers.join(',') !== layers.map((l) => l.digest).join(',')) {
    throw new Error(`manifest ${manifest.digest}: manifestJson does not match the manifest blob (config or layers differ)`);
  }

  const configFile = input.blobPath(config.digest);
  const configBytes = await readVerified('config', config, configFile);
  let configJson: { architecture?: unknown; os?: unknown; variant?: unknown; rootfs?: { diff_ids?: unknown } };
  try {
    configJson = JSON.parse(configBytes.toString('utf8')) as typeof configJson;
  } catch (err) {
    throw new Error(`config ${config.digest}: not JSON: ${(err as Error).message}`);
  }
  const diffIdsRaw = configJson.rootfs?.diff_ids;
  if (!Array.isArray(diffIdsRaw)) throw new Error(`config ${config.digest}: missing rootfs.diff_ids`);
  const diffIds = diffIdsRaw.map((d: unknown, i) => {
    if (typeof d !== 'string') throw new Error(`config ${config.digest}: diff_ids[${i}] is not a string`);
    if (!isDigest(d)) throw new Error(`config ${config.digest}: diff_ids[${i}] ${quoteUntrusted(d)} is not a digest`);
    return d;
  });
  if (diffIds.length !== layers.length) {
    throw new Error(`config ${config.digest} lists ${diffIds.length} diff_ids but the manifest has ${layers.length} layers`);
  }

  const blobs = new Map<string, PlannedBlob>();
  blobs.set(manifest.digest, { name: blobArchivePath(manifest.digest), digest: manifest.digest, size: manifest.size, file: manifestFile });
  blobs.set(config.digest, { name: blobArchivePath(config.digest), digest: config.digest, size: config.size, file: configFile });
  for (const [i, l] of layers.entries()) {
    if (blobs.has(l.digest)) continue;
    const file = input.blobPath(l.digest);
    let st;
    try {
      st = await stat(file);
    } catch (err) {
      if (input.fetchBlob && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        blobs.set(l.digest, { name: blobArchivePath(l.digest), digest: l.digest, size: l.size, file, remote: true });
        continue;
      }
      throw new Error(`layer ${i} ${l.digest}: cannot read blob ${file}: ${(err as Error).message}`);
    }
    if (!st.isFile()) throw new Error(`layer ${i} ${l.digest}: ${file} is not a file`);
    if (st.size !== l.size) throw new Error(`layer ${i} ${l.digest}: blob ${file} has ${st.size} bytes, descriptor says ${l.size}`);
    blobs.set(l.digest, { name: blobArchivePath(l.digest), digest: l.digest, size: l.size, file });
  }

  const platform: Record<string, string> = {};
  if (typeof configJson.architecture === 'string') platform.architecture = configJson.architecture;
  if (typeof configJson.os === 'string') platform.os = configJson.os;
  if (typeof configJson.variant === 'string' && configJson.variant !== '') platform.variant = configJson.variant;
  const baseDescriptor = {
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.size,
    ...(platform.architecture !== undefined && platform.os !== undefined ? { platform } : {}),
  };
  // Like `docker save`: one index entry per tag, each naming it for the containerd store.
  const indexManifests =
    uniqueRefs.length === 0
      ? [baseDescriptor]
      : uniqueRefs.map((r) => ({
          ...baseDescriptor,
          annotations: { [ANNOTATION_IMAGE_NAME]: r.full, [ANNOTATION_REF_NAME]: r.tag ?? 'latest' },
        }));
  const index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: indexManifests };
  const legacyManifest = [
    {
      Config: blobArchivePath(config.digest),
      RepoTags: repoTags,
      Layers: layers.map((l) => blobArchivePath(l.digest)),
    },
  ];
  const files = [
    { name: 'index.json', data: Buffer.from(`${JSON.stringify(index)}\n`) },
    { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(legacyManifest)}\n`) },
    { name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
  ];

  const sortedBlobs = [...blobs.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const size = archiveSize(sortedBlobs, files);
  return {
    repoTags,
    refs: uniqueRefs,
    imageId: config.digest,
    manifestDigest: manifest.digest,
    blobs: sortedBlobs,
    files,
    size,
    diffIds,
    layerDigests: layers.map((l) => l.digest),
    layersSkipped: 0,
    fullSize: size,
  };
}

/**
 * The complete archive `plan` without the blobs of its first `count` layers (a blob a later
 * layer also uses stays). Only for the classic image store, and only for layers whose chain the
 * daemon holds: it would fail to open a missing layer it needs.
 */
export function skipLeadingLayers(plan: DockerArchivePlan, count: number): DockerArchivePlan {
  // Working from a trimmed plan could not bring left-out blobs back.
  if (plan.layersSkipped !== 0) throw new Error('skipLeadingLayers needs the complete archive plan');
  const n = Math.max(0, Math.min(Math.floor(count), plan.layerDigests.length));
  if (n === 0) return plan;
  const needed = new Set(plan.layerDigests.slice(n));
  const skipped = new Set(plan.layerDigests.slice(0, n).filter((d) => !needed.has(d)));
  // A layer blob that is also the manifest or config (never in practice) must stay.
  skipped.delete(plan.imageId);
  skipped.delete(plan.manifestDigest);
  const blobs = plan.blobs.filter((b) => !skipped.has(b.digest));
  return { ...plan, blobs, size: archiveSize(blobs, plan.files), layersSkipped: n };
}

function archiveSize(blobs: PlannedBlob[], files: Array<{ name: string; data: Buffer }>): number {
  let size = 1024; // end-of-archive marker
  for (const dir of blobDirs(blobs)) size += headerSize(dir);
  for (const b of blobs) size += headerSize(b.name) + pad512(b.size);
  for (const f of files) size += headerSize(f.name) + pad512(f.data.length);
  return size;
}

function pad512(n: number): number {
  return Math.ceil(n / 512) * 512;
}

/** Bytes tar-stream spends on a header: 512, plus a PAX record for names over 100 bytes. */
function headerSize(name: string): number {
  // Our names ("blobs/sha256/<64 hex>" = 77 bytes) always fit the ustar name field.
  if (Buffer.byteLength(name) <= 100) return 512;
  const rec = (body: string): string => {
    // "<len> path=<name>\n" where <len> counts itself.
    let len = body.length + 3;
    while (`${len} ${body}\n`.length !== len) len = `${len} ${body}\n`.length;
    return `${len} ${body}\n`;
  };
  return 512 + 512 + pad512(Buffer.byteLength(rec(`path=${name}`)));
}

function blobDirs(blobs: PlannedBlob[]): string[] {
  const dirs = new Set<string>();
  for (const b of blobs) {
    const parts = b.name.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(`${parts.slice(0, i).join('/')}/`);
  }
  return [...dirs].sort();
}

/**
 * Streams the planned archive as a Node Readable. Blob files are read as the consumer pulls;
 * a blob that changed size since planning fails the stream.
 */
export function dockerArchiveStream(plan: DockerArchivePlan): Readable {
  const pack = tar.pack();
  const header = (name: string, size: number, type: 'file' | 'directory') => ({
    name,
    size,
    type,
    mode: type === 'directory' ? 0o755 : 0o644,
    mtime: EPOCH,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
  });

  const writeEntry = (name: string, data: Buffer | null, type: 'file' | 'directory'): Promise<void> =>
    new Promise((resolve, reject) => {
      pack.entry(header(name, data?.length ?? 0, type), data ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve(undefined)));
    });

  const writeFileEntry = async (b: PlannedBlob): Promise<void> => {
    const { promise: entryDone, resolve, reject } = Promise.withResolvers<void>();
    entryDone.catch(() => undefined); // awaited below; failures are reported through the throw
    const entry = pack.entry(header(b.name, b.size, 'file'), (err) => (err ? reject(err) : resolve(undefined)));
    entry.on('error', () => undefined); // surfaced through pack.destroy() by the caller
    let written = 0;
    try {
      for await (const chunk of createReadStream(b.file, { highWaterMark: 1 << 20 })) {
        const buf = chunk as Buffer;
        written += buf.length;
        if (written > b.size) throw new Error(`blob ${b.digest} (${b.file}) grew beyond ${b.size} bytes while being sent`);
        if (!entry.write(buf)) await new Promise<void>((resolve) => entry.once('drain', () => resolve()));
      }
      if (written !== b.size) throw new Error(`blob ${b.digest} (${b.file}) has ${written} bytes, expected ${b.size}`);
    } catch (err) {
      entry.destroy(err as Error);
      throw err;
    }
    entry.end(undefined);
    await entryDone;
  };

  const produce = async (): Promise<void> => {
    for (const dir of blobDirs(plan.blobs)) await writeEntry(dir, null, 'directory');
    for (const b of plan.blobs) await writeFileEntry(b);
    for (const f of plan.files) await writeEntry(f.name, f.data, 'file');
    pack.finalize();
  };
  produce().catch((err: unknown) => {
    pack.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  return Readable.from(pack as AsyncIterable<Buffer>, { objectMode: false });
}
