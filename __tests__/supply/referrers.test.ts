// The two ways a referrer is attached, against a small in-process registry: the referrers API
// (the PUT answers OCI-Subject: no fallback tag is written) and the tag-schema fallback, whose
// index is read, extended and written back (read-modify-write) without dropping other referrers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { attachReferrer, fallbackTag } from '../../src/sbom/referrers.ts';
import { buildSbom } from '../../src/sbom/artifact.ts';
import { buildImage } from '../../src/oci/image.ts';
import type { BuiltImage } from '../../src/oci/artifact.ts';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function fakeRegistry(opts: { referrersApi: boolean; existing?: Record<string, Buffer> }) {
  const manifests = new Map<string, { type: string; body: Buffer }>();
  for (const [k, v] of Object.entries(opts.existing ?? {})) manifests.set(k, { type: 'application/vnd.oci.image.index.v1+json', body: v });
  const puts: string[] = [];
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/v2\/(.+)\/(manifests|blobs\/uploads|blobs)\/(.*)$/.exec(url.pathname);
    if (url.pathname === '/v2/') return res.writeHead(200).end('{}');
    if (m?.[2] === 'blobs' && req.method === 'HEAD') return res.writeHead(404).end();
    if (m?.[2] === 'blobs/uploads' && req.method === 'POST') return res.writeHead(202, { location: `/v2/${m[1]}/blobs/uploads/u1` }).end();
    if (m?.[2] === 'blobs/uploads' && req.method === 'PUT') return res.writeHead(201, { 'docker-content-digest': url.searchParams.get('digest') ?? '' }).end();
    if (m?.[2] === 'manifests' && req.method === 'PUT') {
      puts.push(m[3]!);
      manifests.set(m[3]!, { type: req.headers['content-type'] ?? '', body });
      const doc = JSON.parse(body.toString()) as { subject?: { digest: string } };
      const headers: Record<string, string> = { 'docker-content-digest': sha(body) };
      if (opts.referrersApi && doc.subject) headers['oci-subject'] = doc.subject.digest;
      return res.writeHead(201, headers).end();
    }
    if (m?.[2] === 'manifests' && (req.method === 'GET' || req.method === 'HEAD')) {
      const have = manifests.get(m[3]!);
      if (!have) return res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}');
      return res.writeHead(200, { 'content-type': have.type, 'docker-content-digest': sha(have.body), 'content-length': have.body.length }).end(req.method === 'GET' ? have.body : undefined);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { host: `127.0.0.1:${port}`, puts, manifests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function sbomFixture() {
  const store = new BlobStore(mkdtempSync(join(tmpdir(), 'referrers-store-')));
  const built = await buildImage(store, { os: 'linux', architecture: 'amd64', layers: [] });
  const image: BuiltImage = {
    kind: 'image',
    descriptor: built.manifest,
    manifest: built.manifestJson,
    config: built.configJson,
    platform: { os: 'linux', architecture: 'amd64' },
    family: 'oci',
    layoutDir: '',
    layerSources: new Map(),
  };
  return { store, image, sbom: await buildSbom(store, '//x:image', image, undefined) };
}

test('a registry with the referrers API (OCI-Subject) gets no fallback tag', async () => {
  const reg = await fakeRegistry({ referrersApi: true });
  const { store, image, sbom } = await sbomFixture();
  const client = new RegistryClient(reg.host);
  try {
    const r = await attachReferrer(client, store, 'app', sbom.descriptor, image.descriptor.digest, () => {});
    assert.deepEqual(r, { via: 'referrers' });
    assert.ok(reg.puts.includes(sbom.descriptor.digest));
    assert.ok(!reg.puts.includes(fallbackTag(image.descriptor.digest)));
  } finally {
    await client.close();
    await reg.close();
  }
});

test('without the referrers API the fallback index is read, extended and written back', async () => {
  const { store, image, sbom } = await sbomFixture();
  const tag = fallbackTag(image.descriptor.digest);
  const other = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha('signature'), size: 9, artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' };
  const existing = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [other] }));
  const reg = await fakeRegistry({ referrersApi: false, existing: { [tag]: existing } });
  const client = new RegistryClient(reg.host);
  try {
    const r = await attachReferrer(client, store, 'app', sbom.descriptor, image.descriptor.digest, () => {});
    assert.deepEqual(r, { via: 'tag', tag });
    const index = JSON.parse(reg.manifests.get(tag)!.body.toString()) as { manifests: Array<{ digest: string; artifactType: string }> };
    assert.deepEqual(index.manifests.map((m) => m.digest), [other.digest, sbom.descriptor.digest]);
    assert.equal(index.manifests[1]?.artifactType, 'application/spdx+json');
    // Again: already listed, left alone.
    const before = reg.puts.filter((p) => p === tag).length;
    await attachReferrer(client, store, 'app', sbom.descriptor, image.descriptor.digest, () => {});
    assert.equal(reg.puts.filter((p) => p === tag).length, before);
  } finally {
    await client.close();
    await reg.close();
  }
});

test('the SBOM artifact is deterministic and follows OCI 1.1', async () => {
  const a = await sbomFixture();
  const b = await sbomFixture();
  assert.equal(a.sbom.descriptor.digest, b.sbom.descriptor.digest);
  const m = JSON.parse((await import('node:fs')).readFileSync(a.store.path(a.sbom.descriptor.digest), 'utf8'));
  assert.equal(m.artifactType, 'application/spdx+json');
  assert.deepEqual(m.config, { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha('{}'), size: 2 });
  assert.deepEqual(m.subject, { mediaType: a.image.descriptor.mediaType, digest: a.image.descriptor.digest, size: a.image.descriptor.size });
});
