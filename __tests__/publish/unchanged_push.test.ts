// An image already under every tag this store left there costs one HEAD per tag and nothing else;
// the registry's answer decides, never the store's memo: a tag moved by someone else is put back,
// and a store that never pushed there checks by digest and tags as before.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { RegistryPool } from '../../src/registry/pool.ts';
import { pushArtifact } from '../../src/publish/registry.ts';
import { builtImage, makeImage, removeDir, startFaultProxy, startRegistry, tempDir, type FaultProxy, type TestRegistry } from '../helpers/registry.ts';

let work: string;
let reg: TestRegistry;
let proxy: FaultProxy;
const pools: RegistryPool[] = [];

before(async () => {
  work = await tempDir('unchanged-push-');
  reg = await startRegistry({ mode: 'anonymous' });
  proxy = await startFaultProxy(reg.port);
});

after(async () => {
  for (const p of pools) await p.close();
  await proxy.stop();
  await reg.stop();
  await removeDir(work);
});

function pool(): RegistryPool {
  const p = new RegistryPool({ explicit: [], insecureRegistries: [], log: () => {}, maskSecret: () => {}, env: {}, retry: { minDelayMs: 20, maxDelayMs: 100 } });
  pools.push(p);
  return p;
}

const calls = () => proxy.log.map((e) => `${e.method} ${e.path.replace(/sha256:[0-9a-f]{64}/, 'DIGEST')}`).filter((l) => l !== 'GET /v2/');

test('an unchanged push is one HEAD per tag; a moved tag is put back; a fresh store checks by digest', async () => {
  const store = new BlobStore(join(work, 'store'));
  const img = builtImage(await makeImage(store, { layers: [{ 'bin/app': 'v1\n' }] }), work);
  const other = builtImage(await makeImage(store, { layers: [{ 'bin/app': 'other\n' }] }), work);
  const dest = [{ registry: proxy.host, repository: 'svc', tags: ['latest', 'v1'] }];
  const first = await pushArtifact(pool(), store, img, dest, () => {});
  assert.ok(first.stats.uploaded > 0);

  proxy.clear();
  const again = await pushArtifact(pool(), store, img, dest, () => {});
  assert.deepEqual(calls().sort(), ['HEAD /v2/svc/manifests/latest', 'HEAD /v2/svc/manifests/v1']);
  assert.equal(again.stats.uploaded, 0);
  assert.deepEqual(again.tagged, [`${proxy.host}/svc:latest`, `${proxy.host}/svc:v1`]);

  // Someone else points v1 elsewhere (through another store): the next push puts it back.
  const elsewhere = new BlobStore(join(work, 'store-else'));
  const moved = builtImage(await makeImage(elsewhere, { layers: [{ 'bin/app': 'other\n' }] }), work);
  assert.equal(moved.descriptor.digest, other.descriptor.digest);
  await pushArtifact(pool(), elsewhere, moved, [{ registry: proxy.host, repository: 'svc', tags: ['v1'] }], () => {});
  proxy.clear();
  await pushArtifact(pool(), store, img, dest, () => {});
  assert.ok(calls().includes('PUT /v2/svc/manifests/v1'), calls().join(', '));
  const head = await pool().client(proxy.host).headManifest('svc', 'v1');
  assert.equal(head?.digest, img.descriptor.digest);

  // A store with no memory of these tags: by digest, then the tags.
  const fresh = new BlobStore(join(work, 'store-fresh'));
  const copy = builtImage(await makeImage(fresh, { layers: [{ 'bin/app': 'v1\n' }] }), work);
  proxy.clear();
  await pushArtifact(pool(), fresh, copy, dest, () => {});
  assert.deepEqual(calls(), ['HEAD /v2/svc/manifests/DIGEST', 'PUT /v2/svc/manifests/latest', 'PUT /v2/svc/manifests/v1']);
});
