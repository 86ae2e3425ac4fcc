// The SBOM as an OCI 1.1 artifact: an image manifest with artifactType application/spdx+json,
// the empty config, one layer (the SPDX JSON) and `subject` = the image it describes.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../oci/blobstore.ts';
import { digestHex } from '../oci/digest.ts';
import { OCI_EMPTY, OCI_MANIFEST } from '../oci/mediatypes.ts';
import type { Descriptor, Digest, ImageManifest } from '../oci/types.ts';
import type { BuiltArtifact, BuiltImage } from '../oci/artifact.ts';
import { scanLayerCached } from './elf.ts';
import { generateSpdx, createdTimestamp, SPDX_MEDIA_TYPE, type SbomBinary } from './spdx.ts';

export const EMPTY_CONFIG: Descriptor = {
  mediaType: OCI_EMPTY,
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
};

export interface SbomArtifact {
  /** The artifact manifest's descriptor (with artifactType, as a referrer descriptor has it). */
  descriptor: Descriptor;
  subject: Descriptor;
  /** Number of Go binaries described. */
  binaries: number;
  document: Record<string, unknown>;
}

/**
 * Go binaries in the layers `image` adds to its base. A pulled base's layers are the base's
 * business, and they are often never downloaded: scanning them only when present would make
 * the SBOM depend on the cache.
 */
export async function goBinaries(store: BlobStore, image: BuiltImage): Promise<SbomBinary[]> {
  const byPath = new Map<string, SbomBinary | undefined>();
  for (const l of image.manifest.layers) {
    if (image.layerSources.has(l.digest)) continue;
    for (const f of await scanLayerCached(store, l.digest, store.path(l.digest))) {
      // A later layer's file replaces an earlier one at the same path; a whiteout removes it.
      const slash = f.path.lastIndexOf('/');
      const base = f.path.slice(slash + 1);
      if (base === '.wh..wh..opq') {
        const dir = `${f.path.slice(0, slash)}/`;
        for (const p of byPath.keys()) if (p.startsWith(dir)) byPath.delete(p);
      } else if (base.startsWith('.wh.')) {
        const gone = `${f.path.slice(0, slash)}/${base.slice(4)}`;
        for (const p of byPath.keys()) if (p === gone || p.startsWith(`${gone}/`)) byPath.delete(p);
      } else {
        byPath.set(f.path, f.go ? { path: f.path, go: f.go } : undefined);
      }
    }
  }
  return [...byPath.values()].filter((b): b is SbomBinary => b !== undefined);
}

/** Generates, stores and returns the SBOM artifact for one platform image. */
export async function buildSbom(store: BlobStore, name: string, image: BuiltImage, sourceDateEpoch: number | undefined): Promise<SbomArtifact> {
  const subject: Descriptor = { mediaType: image.descriptor.mediaType, digest: image.descriptor.digest, size: image.descriptor.size };
  const binaries = await goBinaries(store, image);
  const document = generateSpdx({ name, digest: subject.digest, platform: image.platform, binaries, created: sourceDateEpoch });
  const doc = await store.writeBytes(`${JSON.stringify(document, null, 2)}\n`);
  await store.writeBytes('{}');
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: SPDX_MEDIA_TYPE,
    config: EMPTY_CONFIG,
    layers: [{ mediaType: SPDX_MEDIA_TYPE, digest: doc.digest, size: doc.size }],
    subject,
    annotations: { 'org.opencontainers.image.created': createdTimestamp(sourceDateEpoch) },
  };
  const stored = await store.writeBytes(JSON.stringify(manifest));
  return {
    descriptor: {
      mediaType: OCI_MANIFEST,
      digest: stored.digest,
      size: stored.size,
      artifactType: SPDX_MEDIA_TYPE,
      annotations: manifest.annotations ?? {},
    },
    subject,
    binaries: binaries.length,
    document,
  };
}

/**
 * Puts the SBOM artifacts into an OCI layout: their blobs under blobs/, and each SPDX document
 * as `sbom-<os>-<arch>.spdx.json` beside index.json. index.json keeps naming only the image, so
 * tools that open the layout without a reference (skopeo `oci:DIR`) still find exactly one.
 */
export async function writeSbomToLayout(store: BlobStore, layoutDir: string, sboms: Array<{ sbom: SbomArtifact; image: BuiltImage }>): Promise<void> {
  const blobDir = join(layoutDir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  for (const { sbom, image } of sboms) {
    const manifest = JSON.parse(await readFile(store.path(sbom.descriptor.digest), 'utf8')) as ImageManifest;
    for (const d of [sbom.descriptor, manifest.config, ...manifest.layers]) await store.linkTo(d.digest, join(blobDir, digestHex(d.digest)));
    const p = image.platform;
    const file = `sbom-${p.os}-${p.architecture}${p.variant ? `-${p.variant}` : ''}.spdx.json`;
    await store.linkTo(manifest.layers[0]!.digest, join(layoutDir, file));
  }
}

/** One SBOM per platform image, shared by the targets that name the same image, written into each target's layout. */
export class SbomCache {
  readonly #built = new Map<Digest, Promise<SbomArtifact>>();
  readonly store: BlobStore;
  readonly sourceDateEpoch: number | undefined;
  constructor(store: BlobStore, sourceDateEpoch: number | undefined) {
    this.store = store;
    this.sourceDateEpoch = sourceDateEpoch;
  }

  async forArtifact(label: string, a: BuiltArtifact): Promise<Array<{ sbom: SbomArtifact; image: BuiltImage }>> {
    const out = [];
    for (const image of a.kind === 'image' ? [a] : a.images) {
      let p = this.#built.get(image.descriptor.digest);
      if (!p) {
        p = buildSbom(this.store, label, image, this.sourceDateEpoch);
        this.#built.set(image.descriptor.digest, p);
      }
      out.push({ sbom: await p, image });
    }
    await writeSbomToLayout(this.store, a.layoutDir, out);
    return out;
  }
}
