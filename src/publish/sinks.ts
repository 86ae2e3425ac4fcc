// Which sink a target goes to: the table the pipeline asks. A new sink (an OCI or Docker tarball)
// is its own file implementing Publisher plus an entry here; the pipeline does not change.
import type { BlobStore } from '../oci/blobstore.ts';
import type { RegistryPool } from '../registry/pool.ts';
import type { RunAction } from '../oci/artifact.ts';
import { DaemonPublisher } from './daemon_sink.ts';
import { LayoutPublisher } from './layout_sink.ts';
import type { Group, Publisher } from './publisher.ts';
import { RegistryPublisher } from './registry_sink.ts';

export interface SinkOptions {
  store: BlobStore;
  registries: RegistryPool;
  env: NodeJS.ProcessEnv;
  log: (message: string) => void;
  group: Group;
  /** Whether oci_load targets load into Docker, and oci_push targets push (else: built only). */
  load: boolean;
  push: boolean;
  /** The repository and tags inputs, which override an oci_push's own. */
  overrides: { repository?: string; tags: string[] };
  pushByDigest: boolean;
  /** Targets pushed at once. */
  pushConcurrency: number;
}

/** The publisher for what a target's run asks for; no run (not named, or not a load/push): the build's layout. */
export type PublisherFor = (run: RunAction | undefined) => Publisher;

export function createSinks(o: SinkOptions): PublisherFor {
  const layout = new LayoutPublisher();
  const byKind: Record<RunAction['kind'], Publisher> = {
    load: new DaemonPublisher({ store: o.store, env: o.env, log: o.log, group: o.group, enabled: o.load }),
    push: new RegistryPublisher({
      registries: o.registries,
      store: o.store,
      log: o.log,
      group: o.group,
      overrides: o.overrides,
      byDigest: o.pushByDigest,
      enabled: o.push,
      concurrency: o.pushConcurrency,
    }),
  };
  return (run) => (run ? byKind[run.kind] : layout);
}
