import type { BlobStore } from '../oci/blobstore.ts';
import { Semaphore } from '../util/semaphore.ts';
import type { RegistryPool } from '../registry/pool.ts';
import type { Group, Published, Publisher, PublishRequest } from './publisher.ts';
import { planDestinations, pushArtifact } from './registry.ts';

interface RegistryOptions {
  registries: RegistryPool;
  store: BlobStore;
  log: (message: string) => void;
  group: Group;
  /** The repository and tags inputs, which override the rule's. */
  overrides: { repository?: string; tags: string[] };
  /** Push by digest only, setting no tag. */
  byDigest: boolean;
  /** false: plan (so bad tags still fail), build only, and push nothing (the push input off). */
  enabled: boolean;
  /** Targets pushed at once (each pushes its blobs several at a time). */
  concurrency: number;
}

/** Pushes images and indexes (and their SBOMs as referrers) to the oci_push's repository, or the inputs'. */
export class RegistryPublisher implements Publisher {
  readonly #slots: Semaphore;
  /** Artifacts made anew in this run push in slots of their own, never behind unchanged ones. */
  readonly #freshSlots: Semaphore;
  readonly o: RegistryOptions;
  constructor(o: RegistryOptions) {
    this.o = o;
    this.#slots = new Semaphore(o.concurrency);
    this.#freshSlots = new Semaphore(o.concurrency);
  }

  async publish({ label, artifact, run, referrers, fresh }: PublishRequest): Promise<Published> {
    const rule = run?.kind === 'push' ? run : { remoteTags: [] };
    const planned = planDestinations(label, rule, this.o.overrides);
    const destinations = this.o.byDigest ? planned.map((d) => ({ ...d, tags: [] })) : planned;
    if (!this.o.enabled) {
      this.o.log(`${label}: built; not pushed (push disabled)`);
      return { action: 'built', tags: [], references: [] };
    }
    const pushed = await (fresh ? this.#freshSlots : this.#slots).run(() =>
      this.o.group(`Pushing ${label}`, () => pushArtifact(this.o.registries, this.o.store, artifact, destinations, (m) => this.o.log(m), { referrers })),
    );
    return { action: 'pushed', references: pushed.references, tags: pushed.tagged, blobs: pushed.stats, referrers: pushed.referrers };
  }
}
