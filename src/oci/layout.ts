// OCI image layout directories (image-spec image-layout.md): `oci-layout`, `index.json` naming
// the roots, and every blob reachable from them, hard-linked from the store.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { readSmallFile, statIfExists } from '../util/small_file.ts';
import { dirname, join } from 'node:path';
import type { BlobStore } from './blobstore.ts';
import { digestAlgorithm, digestHex } from './digest.ts';
import { readIndex } from './imageindex.ts';
import { readManifest } from './image.ts';
import { serializeIndex } from './json.ts';
import { isIndexMediaType, isManifestMediaType, OCI_INDEX } from './mediatypes.ts';
import type { Descriptor, Digest, ImageIndex } from './types.ts';

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

export interface LayoutRoot {
  descriptor: Descriptor;
  /** Becomes the org.opencontainers.image.ref.name annotation (`oci:DIR:REF` in skopeo). */
  refName?: string;
}

/** Layers a registry may refuse to serve and a layout may leave out. */
function isForeignLayer(mediaType: string): boolean {
  return mediaType.includes('.foreign.') || mediaType.includes('.nondistributable.');
}

/**
 * Digests of every blob reachable from `roots` (indexes and manifests are read from the store).
 * A blob that is only known remotely (a base layer) is downloaded first, unless the store is
 * shallow, where it is left out.
 */
export async function reachableBlobs(store: BlobStore, roots: Descriptor[]): Promise<Digest[]> {
  const seen = new Set<Digest>();
  const out: Digest[] = [];
  const remote: Digest[] = [];
  const visit = async (d: Descriptor, from: string): Promise<void> => {
    if (seen.has(d.digest)) return;
    seen.add(d.digest);
    if (!(await store.seen(d.digest))) {
      if (store.remote(d.digest)) {
        if (!store.shallow) remote.push(d.digest);
        return;
      }
      if (isForeignLayer(d.mediaType)) return;
      throw new Error(`blob ${d.digest} (${d.mediaType}, ${from}) is missing from the blob store`);
    }
    out.push(d.digest);
    if (isIndexMediaType(d.mediaType)) {
      const index = await readIndex(store, d.digest);
      for (const m of index.manifests) await visit(m, `entry of index ${d.digest}`);
    } else if (isManifestMediaType(d.mediaType)) {
      const manifest = await readManifest(store, d.digest);
      await visit(manifest.config, `config of manifest ${d.digest}`);
      for (const l of manifest.layers) await visit(l, `layer of manifest ${d.digest}`);
    }
  };
  for (const r of roots) await visit(r, 'layout root');
  // Remote blobs are layers (leaves): download them a few at a time.
  await store.ensureAll(remote);
  return [...out, ...remote];
}

/**
 * A blob's file in the layout at `dir`: `blobs/<alg>/<hex>`. digestHex refuses anything but
 * sha256/sha512 + lowercase hex, so the name never leaves that directory.
 */
function blobPath(dir: string, digest: Digest): string {
  return join(dir, 'blobs', digestAlgorithm(digest), digestHex(digest));
}

/** Whether every blob is a file in the layout at `dir`. */
function allFiles(dir: string, blobs: Digest[]): boolean {
  return blobs.every((d) => statIfExists(blobPath(dir, d))?.isFile() === true);
}

/**
 * Writes (or refreshes) a layout at `dir`. Blobs already in `dir` are replaced by links to the
 * store; other files there are left alone. index.json is replaced atomically.
 */
export async function writeLayout(store: BlobStore, dir: string, roots: LayoutRoot[]): Promise<void> {
  const names = new Set<string>();
  for (const r of roots) {
    if (r.refName === undefined) continue;
    if (r.refName === '' || names.has(r.refName)) throw new Error(`OCI layout: ref name "${r.refName}" is empty or used twice`);
    names.add(r.refName);
  }
  const blobs = await reachableBlobs(
    store,
    roots.map((r) => r.descriptor),
  );
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: roots.map((r) => {
      const d: Descriptor = { ...r.descriptor };
      if (r.refName !== undefined) d.annotations = { ...(d.annotations ?? {}), [REF_NAME_ANNOTATION]: r.refName };
      return d;
    }),
  };
  const serialized = serializeIndex(index);
  // A re-run that changed nothing finds this very layout in place: leave it as it is.
  if (readSmallFile(join(dir, 'index.json')) === serialized && allFiles(dir, blobs)) return;
  for (const digest of blobs) {
    await mkdir(dirname(blobPath(dir, digest)), { recursive: true });
    await store.linkTo(digest, blobPath(dir, digest));
  }
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const tmp = join(dir, `.index.json.${process.pid}.tmp`);
  await writeFile(tmp, serialized);
  await rename(tmp, join(dir, 'index.json'));
}
