// One interface for every sink a built image or index goes to (as ko's publish.Interface): the
// Docker daemon, a registry, the OCI layout directory the build wrote. A new sink (an OCI or
// Docker tarball) is a new file implementing Publisher, with an entry in sinks.ts; the pipeline
// itself does not change.
import type { Descriptor, Digest } from '../oci/types.ts';
import type { BuiltArtifact, BuiltImage, RunAction } from '../oci/artifact.ts';

export interface PublishRequest {
  label: string;
  artifact: BuiltArtifact;
  /** What running the target asks for: the oci_load's repo_tags, the oci_push's repository and tags. */
  run?: RunAction;
  /** Artifacts that refer to the image (its SBOMs), attached where the sink can hold them. */
  referrers: Array<{ descriptor: Descriptor; subject: Digest }>;
  /** Made anew in this run (see Provider.fresh): a sink that queues pushes keeps it out of the queue of unchanged ones. */
  fresh?: boolean;
}

export interface Published {
  /** `built` when the sink only names the build output (or publishing is switched off). */
  action: 'built' | 'loaded' | 'pushed';
  /** Tags loaded into Docker, or full `registry/repo:tag` references pushed. */
  tags: string[];
  /** `registry/repo@sha256:…` for each repository pushed to. */
  references: string[];
  blobs?: { uploaded: number; skipped: number; mounted: number; bytesUploaded: number };
  /** The image published when it is not the artifact itself (Docker takes the host's image of an index). */
  image?: BuiltImage;
  /** For each referrer, how the sink attached it (`referrers` or `tag:sha256-…`). */
  referrers?: string[];
}

export interface Publisher {
  publish(request: PublishRequest): Promise<Published>;
}

/** Wraps a phase for grouped logs (core.group in the action); identity when logs interleave. */
export type Group = <T>(name: string, fn: () => Promise<T>) => Promise<T>;
