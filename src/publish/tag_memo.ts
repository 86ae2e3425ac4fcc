// What this blob store last left under each registry/repository:tag. Only a hint for the next
// push: when every tag of a destination is remembered as the artifact being pushed, the push
// asks the registry about the tags first (one HEAD each) and, when they all still point at it,
// does nothing more there — the registry's answer decides, never the memo. A lost or stale memo
// costs a push the longer check, no more.
import { createHash } from 'node:crypto';
import { readSmallFile } from '../util/small_file.ts';
import { join } from 'node:path';
import type { BlobStore } from '../oci/blobstore.ts';
import type { Digest } from '../oci/types.ts';
import { writeFileAtomic } from '../util/write_atomic.ts';

function memoPath(store: BlobStore, registry: string, repository: string, tag: string): string {
  return join(store.root, 'cache', 'pushed-tags', createHash('sha256').update(`${registry}/${repository}:${tag}`).digest('hex'));
}

export async function rememberedTag(store: BlobStore, registry: string, repository: string, tag: string): Promise<string | undefined> {
  return readSmallFile(memoPath(store, registry, repository, tag));
}

export async function rememberTag(store: BlobStore, registry: string, repository: string, tag: string, digest: Digest): Promise<void> {
  await writeFileAtomic(memoPath(store, registry, repository, tag), digest).catch(() => undefined);
}
