import type { Published, Publisher, PublishRequest } from './publisher.ts';

/**
 * The OCI image layout directory is the build's own output (rules_oci's): the rules wrote it,
 * so this sink only names it. Targets that are not run, and runs switched off, end here.
 */
export class LayoutPublisher implements Publisher {
  async publish(_request: PublishRequest): Promise<Published> {
    return { action: 'built', tags: [], references: [] };
  }
}
