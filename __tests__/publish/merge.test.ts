// Merge mode against a real registry (htpasswd): tags read as build mode reads them (full
// references to other repositories included), and every requested platform required.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { RegistryPool } from '../../src/registry/pool.ts';
import { pushImage } from '../../src/registry/push.ts';
import { mergeIndex } from '../../src/publish/merge.ts';
import { parsePlatform } from '../../src/oci/platform.ts';
import { makeImage, removeDir, skopeo, startRegistry, tempDir, USERS, type TestImage, type TestRegistry } from '../helpers/registry.ts';

describe('mergeIndex', () => {
  let registry: TestRegistry;
  let work: string;
  let pool: RegistryPool;
  const images: TestImage[] = [];
  const sources: string[] = [];

  before(async () => {
    registry = await startRegistry({ mode: 'htpasswd' });
    work = await tempDir('merge-');
    const store = new BlobStore(join(work, 'store'));
    const client = new RegistryClient(registry.host, { credentials: async () => ({ username: 'pusher', password: USERS.pusher ?? '' }) });
    try {
      for (const architecture of ['amd64', 'arm64']) {
        const img = await makeImage(store, { architecture, layers: [{ 'app.txt': `app for ${architecture}\n` }] });
        await pushImage(client, store, 'acme/app', img.descriptor, []);
        images.push(img);
        sources.push(`${registry.host}/acme/app@${img.descriptor.digest}`);
      }
    } finally {
      await client.close();
    }
    pool = new RegistryPool({
      explicit: [{ registry: registry.host, username: 'pusher', password: USERS.pusher ?? '' }],
      insecureRegistries: [],
      log: () => {},
      maskSecret: () => {},
      env: { HOME: work, DOCKER_CONFIG: join(work, 'no-docker-config') },
    });
  });
  after(async () => {
    await pool?.close();
    await registry?.stop();
    if (work) await removeDir(work);
  });

  const inspect = async (ref: string) => {
    const r = await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', `pusher:${USERS.pusher}`, `docker://${ref}`], work);
    return { code: r.code, doc: r.code === 0 ? (JSON.parse(r.stdout) as { manifests?: Array<{ digest: string }> }) : undefined, stderr: r.stderr };
  };

  test('bare tags go to the repository, full references to theirs, with the platform images copied', async () => {
    const logs: string[] = [];
    const result = await mergeIndex(
      pool,
      {
        sources,
        tags: ['1.2.3', `${registry.host}/acme/app:1.2`, `${registry.host}/acme/mirror:1.2.3`, `${registry.host}/other/place:latest`],
        platforms: [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')],
      },
      (m) => logs.push(m),
    );
    assert.deepEqual(result.tagged, [
      `${registry.host}/acme/app:1.2.3`,
      `${registry.host}/acme/app:1.2`,
      `${registry.host}/acme/mirror:1.2.3`,
      `${registry.host}/other/place:latest`,
    ]);
    assert.deepEqual(result.references, [`${registry.host}/acme/app@${result.digest}`, `${registry.host}/acme/mirror@${result.digest}`, `${registry.host}/other/place@${result.digest}`]);
    // Never retagged into the sources' repository: the text after the last colon is not a tag of acme/app.
    assert.notEqual((await inspect(`${registry.host}/acme/app:latest`)).code, 0, 'no acme/app:latest');
    for (const ref of result.tagged) {
      const got = await inspect(ref);
      assert.equal(got.code, 0, `${ref}: ${got.stderr}`);
      assert.deepEqual(got.doc?.manifests?.map((m) => m.digest), images.map((i) => i.descriptor.digest), ref);
    }
    // The platform images are there in the other repositories too (mounted on the same registry).
    for (const img of images) {
      assert.equal((await inspect(`${registry.host}/other/place@${img.descriptor.digest}`)).code, 0);
    }
    assert.ok(logs.some((l) => /other\/place: 2 platform image\(s\) from .*acme\/app \(\d+ blob\(s\) mounted, 0 copied\)/.test(l)), logs.join('\n'));
  });

  test('tags that all name other repositories decide alone, unless the repository is named', async () => {
    const sources2 = sources.slice().reverse();
    const alone = await mergeIndex(pool, { sources: sources2, tags: [`${registry.host}/acme/solo:1`] }, () => {});
    assert.deepEqual(alone.references, [`${registry.host}/acme/solo@${alone.digest}`]);
    assert.notEqual((await inspect(`${registry.host}/acme/app@${alone.digest}`)).code, 0, 'no untagged index in the sources\' repository');
    const named = await mergeIndex(pool, { sources: sources2, repository: `${registry.host}/acme/app`, tags: [`${registry.host}/acme/solo:1`] }, () => {});
    assert.deepEqual(named.references, [`${registry.host}/acme/app@${named.digest}`, `${registry.host}/acme/solo@${named.digest}`]);
    assert.equal((await inspect(`${registry.host}/acme/app@${named.digest}`)).code, 0);
  });

  test('a requested platform without an image fails before anything is pushed', async () => {
    await assert.rejects(
      mergeIndex(
        pool,
        { sources: sources.slice(0, 1), tags: ['partial'], platforms: [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')] },
        () => {},
      ),
      /^Error: merge: no image for linux\/arm64 among the 1 given \(they cover linux\/amd64\)/,
    );
    assert.notEqual((await inspect(`${registry.host}/acme/app:partial`)).code, 0, 'no partial index tagged');
  });

  test('a bad tag line fails naming the input', async () => {
    await assert.rejects(mergeIndex(pool, { sources, tags: ['bad tag'] }, () => {}), /input "tags"/);
  });
});
