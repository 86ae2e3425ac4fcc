// What a build hands to publishers: an image or index in the blob store, and what running its
// target asks for. Below both the rules (which produce it) and the publishers (which take it).
import type { Descriptor, Digest, ImageConfig, ImageIndex, ImageManifest, Platform } from './types.ts';
import type { MediaTypeFamily } from './mediatypes.ts';

export interface BuiltImage {
  kind: 'image';
  /** Manifest descriptor, with the image's platform. */
  descriptor: Descriptor;
  manifest: ImageManifest;
  config: ImageConfig;
  platform: Platform;
  family: MediaTypeFamily;
  /** OCI image layout directory holding just this image (rules_oci's output). */
  layoutDir: string;
  /** Where layers from a pulled base live remotely (for cross-repository mounts on push). */
  layerSources: ReadonlyMap<Digest, BlobSource>;
  /** For a pulled image: the reference it came from (`registry/repo:tag` or `@digest`). */
  reference?: string;
}

export interface BlobSource {
  registry: string;
  repository: string;
}

export interface BuiltIndex {
  kind: 'index';
  descriptor: Descriptor;
  index: ImageIndex;
  images: BuiltImage[];
  family: MediaTypeFamily;
  layoutDir: string;
}

export type BuiltArtifact = BuiltImage | BuiltIndex;

/** What running an oci_load does; the image is the provider's `artifact`. */
export interface LoadAction {
  kind: 'load';
  repoTags: string[];
  format: 'docker' | 'oci';
}

/** What running an oci_push does; the image is the provider's `artifact`. */
export interface PushAction {
  kind: 'push';
  /** `registry/repository` from the rule; the action's `repository` input overrides it. */
  repository?: string;
  remoteTags: string[];
}

export type RunAction = LoadAction | PushAction;
