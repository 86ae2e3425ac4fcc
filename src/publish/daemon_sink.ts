import type { BlobStore } from '../oci/blobstore.ts';
import { formatPlatform, hostPlatform, platformSatisfies } from '../oci/platform.ts';
import type { Digest } from '../oci/types.ts';
import { Semaphore } from '../util/semaphore.ts';
import { BuildError } from '../errors.ts';
import type { BuiltArtifact, BuiltImage } from '../oci/artifact.ts';
import { dockerEndpointFromEnv, describeDockerEndpoint, formatLoadSummary, loadImage } from './docker.ts';
import type { Group, Published, Publisher, PublishRequest } from './publisher.ts';

/** The image Docker's classic store can hold: the artifact itself, or the host's platform of an index. */
export function imageForHost(artifact: BuiltArtifact, label: string): BuiltImage {
  if (artifact.kind === 'image') return artifact;
  const host = hostPlatform();
  const match = artifact.images.find((img) => platformSatisfies(host, img.platform));
  if (!match) {
    const have = artifact.images.map((i) => formatPlatform(i.platform)).join(', ');
    throw new BuildError(`the index has no image for this host (${formatPlatform(host)}); it has ${have}`, { label });
  }
  return match;
}

interface DaemonOptions {
  store: BlobStore;
  env: NodeJS.ProcessEnv;
  log: (message: string) => void;
  group: Group;
  /** false: build only, say so, and leave the daemon alone (the load input off). */
  enabled: boolean;
}

/** Loads images into the Docker daemon at DOCKER_HOST under the oci_load's repo_tags, one at a time. */
export class DaemonPublisher implements Publisher {
  // One load at a time: the daemon serialises them anyway, and their progress lines stay readable.
  readonly #slot = new Semaphore(1);
  readonly o: DaemonOptions;
  constructor(o: DaemonOptions) {
    this.o = o;
  }

  async publish({ label, artifact, run }: PublishRequest): Promise<Published> {
    const repoTags = run?.kind === 'load' ? run.repoTags : [];
    if (!this.o.enabled) {
      this.o.log(`${label}: built; not loaded (load disabled)`);
      return { action: 'built', tags: repoTags, references: [] };
    }
    const image = imageForHost(artifact, label);
    const endpoint = dockerEndpointFromEnv(this.o.env);
    const store = this.o.store;
    const result = await this.#slot.run(() =>
      this.o.group(`Loading ${label} into Docker at ${describeDockerEndpoint(endpoint)}`, () =>
        loadImage(
          endpoint,
          {
            blobPath: (d) => store.path(d as Digest),
            manifest: image.descriptor,
            manifestJson: image.manifest,
            repoTags,
            fetchBlob: (d) => store.ensure(d as Digest),
          },
          (line) => this.o.log(line),
        ),
      ),
    );
    this.o.log(`${label}: loaded ${result.loaded.join(', ')}: ${formatLoadSummary(result)}`);
    return { action: 'loaded', tags: result.loaded, references: [], image };
  }
}
