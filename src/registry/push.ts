// Pushing an image graph from the blob store: blobs, then child manifests by digest, then the
// root under its tags (by digest when it has none) — a failure never leaves a tag on a
// half-pushed image, since a registry takes a manifest only when all it references is there.

import { PassThrough, type Readable } from 'node:stream';
import type { BlobStore } from '../oci/blobstore.ts';
import { isIndexMediaType, isManifestMediaType } from '../oci/mediatypes.ts';
import type { Descriptor, Digest, ImageIndex, ImageManifest } from '../oci/types.ts';
import type { RegistryClient } from './client.ts';
import { validateTag } from './reference.ts';
import { withByteProgress } from '../util/progress.ts';
import { forEachLimit } from '../util/limit.ts';
import { debug } from '../util/debug.ts';
import { readBlobBytes } from '../oci/blobjson.ts';

/** Where a blob missing from the local store can be read from (a base layer never downloaded). */
export interface RemoteSource {
  client: RegistryClient;
  repository: string;
}

export interface PushOptions {
  /** Blobs known to exist in another repository of the target registry: mount, don't upload. */
  mountFrom?: Map<Digest, string>;
  /** Blobs absent locally and where to copy them from, registry to registry. */
  remoteSource?: Map<Digest, RemoteSource>;
  /** Parallel blob transfers. Default: the client's concurrency (4). */
  concurrency?: number;
  log?: (message: string) => void;
}

export interface PushResult {
  digest: Digest;
  /** Blobs sent (from the store or copied from a remote source). */
  uploaded: number;
  /** Blobs the registry already had. */
  skipped: number;
  /** Blobs mounted from another repository. */
  mounted: number;
  bytesUploaded: number;
  /** Of `uploaded`, those copied from a remote source. */
  copied: number;
}

interface BlobTask {
  descriptor: Descriptor;
  /** What refers to it, for messages. */
  owner: string;
}

interface ManifestNode {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

const NON_DISTRIBUTABLE = /(\.foreign\.|\.nondistributable\.)/;

async function readBytes(store: BlobStore, d: Descriptor, what: string): Promise<Uint8Array> {
  // Through the verified-document cache (a no-op push re-reads what the layouts just read), and
  // whole: a 1 MiB read-stream buffer per small manifest was most of a no-op run's GC.
  const bytes = await readBlobBytes(store, d.digest, what);
  if (bytes.length !== d.size) throw new Error(`${what} ${d.digest}: stored size ${bytes.length} differs from descriptor size ${d.size}`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

function parseJson<T>(bytes: Uint8Array, what: string): T {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as T;
  } catch (err) {
    throw new Error(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/** A stream that GETs the blob from its source when read (so each upload attempt re-opens it). */
export function remoteOpener(source: RemoteSource, digest: Digest): () => Readable {
  return () => {
    const out = new PassThrough();
    source.client.openBlob(source.repository, digest).then(
      ({ stream }) => {
        stream.on('error', (e) => out.destroy(e));
        out.on('close', () => stream.destroy());
        stream.pipe(out);
      },
      (err: unknown) => out.destroy(err as Error),
    );
    return out;
  };
}

/**
 * Pushes the image or index `root` (which must be in `store`, with everything it refers to,
 * or listed in `opts.remoteSource`) to `repo`, then points each of `tags` at it.
 */
export async function pushImage(
  client: RegistryClient,
  store: BlobStore,
  repo: string,
  root: Descriptor,
  tags: string[],
  opts: PushOptions = {},
): Promise<PushResult> {
  for (const t of tags) validateTag(t);
  const log = opts.log ?? (() => {});
  const where = `${client.registry}/${repo}`;

  // Walk the graph: manifests (children before parents) and the blobs they use.
  const manifests: ManifestNode[] = [];
  const seenManifests = new Set<Digest>();
  const layers = new Map<Digest, BlobTask>();
  const configs = new Map<Digest, BlobTask>();
  const visit = async (d: Descriptor, depth: number): Promise<void> => {
    if (seenManifests.has(d.digest)) return;
    if (depth > 4) throw new Error(`image graph under ${root.digest} is nested too deeply`);
    seenManifests.add(d.digest);
    const bytes = await readBytes(store, d, 'manifest');
    const parsed = parseJson<{ mediaType?: string; manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] }>(
      bytes,
      `manifest ${d.digest}`,
    );
    const mediaType = d.mediaType || parsed.mediaType || '';
    if (isIndexMediaType(mediaType) || (Array.isArray(parsed.manifests) && !parsed.config)) {
      const index = parsed as unknown as ImageIndex;
      for (const child of index.manifests ?? []) await visit(child, depth + 1);
    } else if (isManifestMediaType(mediaType) || parsed.config) {
      const m = parsed as unknown as ImageManifest;
      if (!m.config) throw new Error(`manifest ${d.digest} has no config`);
      if (!layers.has(m.config.digest) && !configs.has(m.config.digest)) {
        configs.set(m.config.digest, { descriptor: m.config, owner: `config of manifest ${d.digest}` });
      }
      for (const l of m.layers ?? []) {
        configs.delete(l.digest);
        if (!layers.has(l.digest)) layers.set(l.digest, { descriptor: l, owner: `layer of manifest ${d.digest}` });
      }
    } else {
      throw new Error(`${d.digest}: unsupported manifest media type "${mediaType}"`);
    }
    manifests.push({ descriptor: { ...d, mediaType }, bytes });
  };
  await visit(root, 0);

  const result: PushResult = { digest: root.digest, uploaded: 0, skipped: 0, mounted: 0, bytesUploaded: 0, copied: 0 };

  // Ask for push access (and pull on mount sources) in one token, and learn the auth scheme first.
  const mountRepos = new Set<string>();
  for (const r of opts.mountFrom?.values() ?? []) if (r !== repo) mountRepos.add(r);
  for (const s of opts.remoteSource?.values() ?? []) if (s.client.registry === client.registry && s.repository !== repo) mountRepos.add(s.repository);
  client.auth.want([`repository:${repo}:pull,push`, ...[...mountRepos].map((r) => `repository:${r}:pull`)]);
  await client.ping();

  // The registry already has the root by digest: registries accept a manifest only when what it
  // references is present, so everything below it is there too. One HEAD, then only the tags
  // (as crane and ko do for an unchanged image).
  const present = await client.headManifest(repo, root.digest).catch(() => undefined);
  if (present?.digest === root.digest) {
    result.skipped = layers.size + configs.size;
    log(`${where}@${root.digest}: already present; ${result.skipped} blob(s) and ${manifests.length} manifest(s) skipped`);
    const rootBytes = manifests[manifests.length - 1]!.bytes;
    for (const tag of tags) {
      await client.putManifest(repo, tag, rootBytes, root.mediaType);
      log(`tagged ${where}:${tag} → ${root.digest}`);
    }
    return result;
  }

  const pushBlob = async ({ descriptor: d, owner }: BlobTask): Promise<void> => {
    if (NON_DISTRIBUTABLE.test(d.mediaType) && !(await store.has(d.digest))) {
      log(`${d.digest}: non-distributable layer, not pushed`);
      return;
    }
    const existing = await client.headBlob(repo, d.digest);
    if (existing !== undefined && (existing === d.size || existing === -1)) {
      result.skipped++;
      debug(`${where}: ${d.digest} skipped (the registry has it)`);
      return;
    }
    const source = opts.remoteSource?.get(d.digest);
    const mountRepo =
      opts.mountFrom?.get(d.digest) ??
      (source && source.client.registry === client.registry ? source.repository : undefined);
    let location: string | undefined;
    if (mountRepo !== undefined && mountRepo !== repo) {
      const m = await client.mountBlob(repo, d.digest, mountRepo);
      if (m.mounted) {
        result.mounted++;
        log(`${d.digest}: mounted from ${client.registry}/${mountRepo}`);
        return;
      }
      location = m.location;
    }
    const local = await store.has(d.digest);
    let open: () => Readable;
    if (local) {
      if (local.size !== d.size) throw new Error(`${owner} ${d.digest}: stored size ${local.size} differs from descriptor size ${d.size}`);
      // Large blobs report progress at a steady pace while they upload.
      open = () => (d.size >= 16 * 1024 * 1024 ? withByteProgress(store.open(d.digest, d.size), d.size, `uploading ${d.digest.slice(0, 19)}`, log) : store.open(d.digest, d.size));
    } else if (source) {
      open = remoteOpener(source, d.digest);
    } else {
      throw new Error(`cannot push ${where}: ${owner} ${d.digest} is neither in the local blob store nor given a remote source`);
    }
    await client.uploadBlob(repo, d.digest, d.size, open, location !== undefined ? { location } : {});
    result.uploaded++;
    if (!local) result.copied++;
    result.bytesUploaded += d.size;
    log(`${d.digest}: uploaded ${d.size} bytes${local ? '' : ` (copied from ${source!.client.registry}/${source!.repository})`}`);
  };

  // Blobs in any order (configs, being small, first): only manifests must wait for them.
  const limit = Math.max(1, opts.concurrency ?? client.concurrency);
  await forEachLimit([...configs.values(), ...layers.values()], limit, pushBlob);

  // Manifests by digest, children first (the walk pushed them in that order), root last. Image
  // manifests refer only to blobs, all there now: they go at once; indexes follow in order. The
  // root goes straight in under its first tag: a registry accepts a manifest only once everything
  // it references is there, so that one PUT is as safe as by digest and then tag, one round trip
  // fewer. Further tags follow.
  const rootNode = manifests[manifests.length - 1]!;
  const children = manifests.slice(0, -1);
  const images = children.filter((m) => !isIndexMediaType(m.descriptor.mediaType));
  await forEachLimit(images, limit, (m) => client.putManifest(repo, m.descriptor.digest, m.bytes, m.descriptor.mediaType));
  for (const m of children) {
    if (isIndexMediaType(m.descriptor.mediaType)) await client.putManifest(repo, m.descriptor.digest, m.bytes, m.descriptor.mediaType);
  }
  if (tags.length === 0) await client.putManifest(repo, rootNode.descriptor.digest, rootNode.bytes, rootNode.descriptor.mediaType);
  for (const tag of tags) {
    await client.putManifest(repo, tag, rootNode.bytes, rootNode.descriptor.mediaType);
    log(`tagged ${where}:${tag} → ${root.digest}`);
  }
  return result;
}
