// Deleting preview tags on an OCI registry (a real docker-registry), read back with skopeo.

import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { deletePreviewTags, type DeletePreviewTagsOptions } from '../../src/github/cleanup.ts';
import { BlobStore } from '../../src/oci/blobstore.ts';
import type { Descriptor } from '../../src/oci/types.ts';
import { RegistryPool } from '../../src/registry/pool.ts';
import { pushImage } from '../../src/registry/push.ts';
import { attachReferrer } from '../../src/sbom/referrers.ts';
import { OCI_MANIFEST } from '../../src/oci/mediatypes.ts';
import type { Digest } from '../../src/oci/types.ts';
import { startRegistryWithoutDeletes, type NoDeleteRegistry } from '../helpers/fake_github.ts';
import { USERS, makeImage, makeIndex, removeDir, skopeo, startRegistry, tempDir, type TestRegistry } from '../helpers/registry.ts';

let work: string;
let store: BlobStore;
let anon: TestRegistry;
let token: TestRegistry;
let noDelete: NoDeleteRegistry;
let pool: RegistryPool;
let logs: string[];
let warnings: string[];
let n = 0;

before(async () => {
  work = await tempDir('cleanup-registry-');
  store = new BlobStore(join(work, 'store'));
  [anon, token, noDelete] = await Promise.all([startRegistry({ mode: 'anonymous' }), startRegistry({ mode: 'token' }), startRegistryWithoutDeletes()]);
  pool = new RegistryPool({
    explicit: [{ registry: token.host, username: 'pusher', password: USERS.pusher! }],
    insecureRegistries: [],
    log: () => {},
    maskSecret: () => {},
    env: { HOME: work, DOCKER_CONFIG: join(work, 'docker') },
  });
});
after(async () => {
  await pool.close();
  await Promise.all([anon.stop(), token.stop(), noDelete.stop()]);
  await removeDir(work);
});
beforeEach(() => {
  logs = [];
  warnings = [];
});

/** A small image of its own content (so its own digest). */
async function image(arch = 'amd64') {
  return makeImage(store, { architecture: arch, layers: [{ 'hello.txt': `image ${++n} for ${arch}\n` }] });
}

async function push(host: string, repo: string, root: Descriptor, tags: string[]): Promise<void> {
  await pushImage(pool.client(host), store, repo, root, tags);
}

function run(references: string[], extra: Partial<DeletePreviewTagsOptions> = {}) {
  return deletePreviewTags({ pool, references, log: (m) => logs.push(m), warn: (m) => warnings.push(m), ...extra });
}

async function exists(host: string, ref: string): Promise<boolean> {
  const r = await skopeo(['inspect', '--raw', '--tls-verify=false', ...(host === token.host ? ['--creds', `reader:${USERS.reader}`] : []), `docker://${host}/${ref}`], work);
  return r.code === 0;
}

async function tags(host: string, repo: string): Promise<string[]> {
  return (await pool.client(host).listTags(repo)).sort();
}

/** An SPDX referrer of `subject`, attached by the tag-schema fallback (docker-registry 2.8 has no referrers API). */
async function attachSbom(host: string, repo: string, subject: Descriptor): Promise<Digest> {
  const layer = await store.writeBytes(Buffer.from(`{"spdxVersion":"SPDX-2.3","name":"${subject.digest}"}`));
  const config = await store.writeBytes(Buffer.from('{}'));
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: 'application/spdx+json',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: config.digest, size: config.size },
    layers: [{ mediaType: 'application/spdx+json', digest: layer.digest, size: layer.size }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  };
  const m = await store.writeBytes(Buffer.from(JSON.stringify(manifest)));
  const res = await attachReferrer(pool.client(host), store, repo, { mediaType: OCI_MANIFEST, digest: m.digest, size: m.size, artifactType: 'application/spdx+json' }, subject.digest, () => {});
  assert.equal(res.via, 'tag');
  return m.digest;
}

describe('deletePreviewTags on an OCI registry', () => {
  it('deletes an image only preview tags point at; keeps one also tagged edge', async () => {
    const shared = await image();
    const unique = await image();
    const other = await image();
    await push(anon.host, 'acme/app', shared.descriptor, ['pr-7', 'edge']);
    await push(anon.host, 'acme/app', unique.descriptor, ['pr-8', 'sha-abc1234']);
    await push(anon.host, 'acme/app', other.descriptor, ['latest']);

    const h = anon.host;
    const results = await run([`${h}/acme/app:pr-7`, `${h}/acme/app:pr-8`, `${h}/acme/app:sha-abc1234`]);
    assert.deepEqual(
      results.map((r) => [r.reference, r.outcome, r.digest]),
      [
        [`${h}/acme/app:pr-7`, 'kept', shared.descriptor.digest],
        [`${h}/acme/app:pr-8`, 'deleted', unique.descriptor.digest],
        [`${h}/acme/app:sha-abc1234`, 'deleted', unique.descriptor.digest],
      ],
    );
    assert.equal(results[0]!.message, `kept: ${shared.descriptor.digest} is also tagged edge, and deleting it would remove that tag`);
    assert.ok(logs.includes(`${h}/acme/app:pr-7: ${results[0]!.message}`));
    assert.deepEqual(warnings, []);

    assert.equal(await exists(h, 'acme/app:pr-8'), false);
    assert.equal(await exists(h, 'acme/app:sha-abc1234'), false);
    assert.equal(await exists(h, `acme/app@${unique.descriptor.digest}`), false);
    assert.equal(await exists(h, 'acme/app:pr-7'), true);
    assert.equal(await exists(h, 'acme/app:edge'), true);
    assert.deepEqual(await tags(h, 'acme/app'), ['edge', 'latest', 'pr-7']);
  });

  it('keeps a manifest that another tag’s index lists', async () => {
    const amd = await image('amd64');
    const arm = await image('arm64');
    const index = await makeIndex(store, [amd, arm]);
    await push(anon.host, 'acme/multi', index.descriptor, ['edge']);
    await push(anon.host, 'acme/multi', amd.descriptor, ['pr-9']);
    const [r] = await run([`${anon.host}/acme/multi:pr-9`]);
    assert.equal(r!.outcome, 'kept');
    assert.match(r!.message, /is also tagged edge \(in its index\)/);
    assert.equal(await exists(anon.host, 'acme/multi:pr-9'), true);
    assert.equal(await exists(anon.host, 'acme/multi:edge'), true);
  });

  it('deletes a preview index, leaving the other tags alone', async () => {
    const amd = await image('amd64');
    const arm = await image('arm64');
    const index = await makeIndex(store, [amd, arm]);
    await push(anon.host, 'acme/idx', index.descriptor, ['pr-10']);
    await push(anon.host, 'acme/idx', (await image()).descriptor, ['edge']);
    const [r] = await run([`${anon.host}/acme/idx:pr-10`]);
    assert.equal(r!.outcome, 'deleted');
    assert.equal(await exists(anon.host, 'acme/idx:pr-10'), false);
    assert.deepEqual(await tags(anon.host, 'acme/idx'), ['edge']);
  });

  it('deletes the SBOM referrer tags of a deleted preview, keeping those of an image another tag uses', async () => {
    const amd = await image('amd64');
    const arm = await image('arm64');
    const preview = await makeIndex(store, [amd, arm]);
    const edge = await makeIndex(store, [amd]);
    const h = anon.host;
    await push(h, 'acme/sbom', preview.descriptor, ['pr-11', 'sha-1234567']);
    await push(h, 'acme/sbom', edge.descriptor, ['edge']);
    const amdSbom = await attachSbom(h, 'acme/sbom', amd.descriptor);
    const armSbom = await attachSbom(h, 'acme/sbom', arm.descriptor);
    const amdTag = `sha256-${amd.descriptor.digest.slice(7)}`;
    const armTag = `sha256-${arm.descriptor.digest.slice(7)}`;
    assert.deepEqual(await tags(h, 'acme/sbom'), [amdTag, armTag, 'edge', 'pr-11', 'sha-1234567'].sort());

    const results = await run([`${h}/acme/sbom:pr-11`, `${h}/acme/sbom:sha-1234567`]);
    assert.deepEqual(results.map((r) => r.outcome), ['deleted', 'deleted']);
    assert.deepEqual(results[0]!.referrerTags, [armTag]);
    assert.match(results[0]!.message, new RegExp(`and its SBOM referrer tag ${armTag}$`));
    // arm64's SBOM went with it; amd64's stays, since edge still lists that image.
    assert.deepEqual(await tags(h, 'acme/sbom'), [amdTag, 'edge'].sort());
    assert.equal(await exists(h, `acme/sbom@${armSbom}`), false);
    assert.equal(await exists(h, `acme/sbom@${amdSbom}`), true);
    assert.deepEqual(warnings, []);
  });

  it('treats missing tags and repositories as already gone', async () => {
    await push(anon.host, 'acme/gone', (await image()).descriptor, ['edge']);
    const results = await run([`${anon.host}/acme/gone:pr-404`, `${anon.host}/acme/never:pr-1`]);
    assert.deepEqual(results.map((r) => r.outcome), ['absent', 'absent']);
    assert.deepEqual(warnings, []);
  });

  it('keeps, with a warning, when the repository has more tags than it checks', async () => {
    const img = await image();
    await push(anon.host, 'acme/many', img.descriptor, ['pr-11']);
    await push(anon.host, 'acme/many', (await image()).descriptor, ['a', 'b', 'c']);
    const [r] = await run([`${anon.host}/acme/many:pr-11`], { maxTagsToCheck: 2 });
    assert.equal(r!.outcome, 'kept');
    assert.match(warnings[0]!, /has 3 other tags, more than the 2 checked/);
    assert.equal(await exists(anon.host, 'acme/many:pr-11'), true);
  });

  it('deletes with credentials on a token-auth registry', async () => {
    const img = await image();
    await push(token.host, 'acme/secure', img.descriptor, ['pr-12']);
    await push(token.host, 'acme/secure', (await image()).descriptor, ['edge']);
    const [r] = await run([`${token.host}/acme/secure:pr-12`]);
    assert.equal(r!.outcome, 'deleted', r!.message);
    assert.equal(await exists(token.host, 'acme/secure:pr-12'), false);
    assert.ok(
      token.tokenServer!.requests.some((q) => q.user === 'pusher' && q.scopes.some((s) => /^repository:acme\/secure:(?:.*,)?delete(?:,|$)/.test(s))),
      'a token with delete rights was asked for',
    );
  });

  it('only warns when the registry refuses deletes', async () => {
    const a = await image();
    const b = await image();
    await push(noDelete.host, 'acme/app', a.descriptor, ['pr-13']);
    await push(noDelete.host, 'acme/app2', b.descriptor, ['pr-13']);
    const results = await run([`${noDelete.host}/acme/app:pr-13`, `${noDelete.host}/acme/app2:pr-13`]);
    assert.deepEqual(results.map((r) => r.outcome), ['unsupported', 'unsupported']);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, new RegExp(`^${noDelete.host}/acme/app:pr-13: not deleted: ${noDelete.host} does not allow deleting manifests \\(DELETE .*: 405 UNSUPPORTED`));
    assert.equal(await exists(noDelete.host, 'acme/app:pr-13'), true);
    assert.equal(await exists(noDelete.host, 'acme/app2:pr-13'), true);
  });
});
