// Attaching a referrer (the SBOM artifact) to an image in a registry, as the OCI distribution
// spec 1.1 describes: push the artifact's blobs and PUT its manifest by digest; a registry with
// the referrers API answers with an OCI-Subject header and indexes it itself. Without that header
// the client keeps the tag-schema fallback: an image index at tag `sha256-<hex of the subject>`
// listing the referrers, updated read-modify-write.
import { readFile } from 'node:fs/promises';
import type { BlobStore } from '../oci/blobstore.ts';
import { OCI_INDEX } from '../oci/mediatypes.ts';
import { digestAlgorithm, digestHex } from '../oci/digest.ts';
import { checkIndex } from '../oci/descriptor.ts';
import type { Descriptor, Digest, ImageIndex } from '../oci/types.ts';
import type { RegistryClient } from '../registry/client.ts';
import { pushImage } from '../registry/push.ts';
import { RegistryError } from '../registry/errors.ts';

export interface AttachResult {
  /** 'referrers': the registry's referrers API took it; 'tag': the fallback index was updated. */
  via: 'referrers' | 'tag';
  /** The fallback tag (`sha256-<hex>`), when used. */
  tag?: string;
}

/** `<algorithm>-<hex>` of the subject (the distribution spec's referrers tag schema). */
export function fallbackTag(subject: Digest): string {
  return `${digestAlgorithm(subject)}-${digestHex(subject)}`;
}

/** PUT a manifest, returning the OCI-Subject response header (the referrers API's signal). */
async function putWithSubject(client: RegistryClient, repo: string, digest: Digest, bytes: Uint8Array, mediaType: string): Promise<string | undefined> {
  const scopes = [`repository:${repo}:pull,push`];
  const authorization = await client.auth.authorization(scopes);
  const url = new URL(`/v2/${repo}/manifests/${digest}`, await client.baseUrl());
  const res = await client.transport.request({ method: 'PUT', url, headers: { 'content-type': mediaType, authorization }, body: bytes });
  await res.dump();
  if (res.status >= 200 && res.status < 300) return res.header('oci-subject');
  // Anything unusual (an expired token, an error): the client's own PUT handles and reports it.
  await client.putManifest(repo, digest, bytes, mediaType);
  return undefined;
}

export async function attachReferrer(
  client: RegistryClient,
  store: BlobStore,
  repo: string,
  artifact: Descriptor,
  subject: Digest,
  log: (m: string) => void,
): Promise<AttachResult> {
  // The blobs (empty config, SPDX layer); pushImage also PUTs the manifest, which we redo below
  // to see the response header — a PUT of identical bytes is idempotent.
  await pushImage(client, store, repo, { mediaType: artifact.mediaType, digest: artifact.digest, size: artifact.size }, [], { log });
  const bytes = new Uint8Array(await readFile(store.path(artifact.digest)));
  const said = await putWithSubject(client, repo, artifact.digest, bytes, artifact.mediaType);
  if (said !== undefined && said === subject) return { via: 'referrers' };

  const tag = fallbackTag(subject);
  let index: ImageIndex = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
  try {
    const current = await client.getManifest(repo, tag, [OCI_INDEX]);
    const parsed = JSON.parse(Buffer.from(current.bytes).toString('utf8')) as ImageIndex;
    // Its entries go back into the index we put: each one's digest is checked first.
    if (Array.isArray(parsed.manifests)) checkIndex(parsed, `${client.registry}/${repo}:${tag}`);
    if (Array.isArray(parsed.manifests)) index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: parsed.manifests, ...(parsed.annotations ? { annotations: parsed.annotations } : {}) };
  } catch (err) {
    if (!(err instanceof RegistryError && err.status === 404)) throw err;
  }
  if (!index.manifests.some((m) => m.digest === artifact.digest)) {
    index.manifests.push(artifact);
    const out = Buffer.from(JSON.stringify(index));
    await client.putManifest(repo, tag, out, OCI_INDEX);
  }
  return { via: 'tag', tag };
}
