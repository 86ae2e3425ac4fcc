// An artifact made anew in this run (PublishRequest.fresh) pushes in slots of its own: after a
// small change, its push never waits behind the many pushes of unchanged images (a real registry
// behind a proxy that holds those back).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BlobStore } from '../../src/oci/blobstore.ts';
import type { BuiltImage } from '../../src/oci/artifact.ts';
import { RegistryPool } from '../../src/registry/pool.ts';
import { RegistryPublisher } from '../../src/publish/registry_sink.ts';
import { builtImage, makeImage, removeDir, startFaultProxy, startRegistry, tempDir, type FaultProxy, type TestRegistry } from '../helpers/registry.ts';

let work: string;
let reg: TestRegistry;
let proxy: FaultProxy;
let registries: RegistryPool;

before(async () => {
  work = await tempDir('fresh-push-');
  reg = await startRegistry({ mode: 'anonymous' });
  proxy = await startFaultProxy(reg.port);
  registries = new RegistryPool({ explicit: [], insecureRegistries: [], log: () => {}, maskSecret: () => {}, env: {} });
});

after(async () => {
  await registries.close();
  await proxy.stop();
  await reg.stop();
  await removeDir(work);
});

test('a fresh artifact is pushed at once, not after the unchanged ones queued before it', async () => {
  const store = new BlobStore(join(work, 'store'));
  const publisher = new RegistryPublisher({
    registries,
    store,
    log: () => {},
    group: (_name, fn) => fn(),
    overrides: { tags: [] },
    byDigest: false,
    enabled: true,
    concurrency: 1,
  });
  const push = (img: BuiltImage, repository: string, fresh: boolean) =>
    publisher.publish({ label: `//${repository}:push`, artifact: img, run: { kind: 'push', repository: `${proxy.host}/${repository}`, remoteTags: ['latest'] }, referrers: [], fresh });
  // Every request about the unchanged images' repositories takes 150 ms: their pushes fill the
  // one slot for about a second each.
  proxy.add({ path: /^\/v2\/unchanged-/, fault: { kind: 'delay', ms: 150 }, times: Infinity });
  const finished: string[] = [];
  const track = (name: string, p: Promise<unknown>) => p.then(() => finished.push(name));
  const unchanged = [1, 2, 3].map(async (i) => builtImage(await makeImage(store, { layers: [{ 'bin/app': `unchanged ${i}\n` }] }), work));
  const fresh = builtImage(await makeImage(store, { layers: [{ 'bin/app': 'new\n' }] }), work);
  const pushes = (await Promise.all(unchanged)).map((img, i) => track(`unchanged-${i + 1}`, push(img, `unchanged-${i + 1}`, false)));
  pushes.push(track('fresh', push(fresh, 'fresh', true)));
  await Promise.all(pushes);
  assert.equal(finished[0], 'fresh', `order of completion: ${finished.join(', ')}`);
  const head = await registries.client(proxy.host).headManifest('fresh', 'latest');
  assert.equal(head?.digest, fresh.descriptor.digest, 'the fresh image is pushed whole, under its tag');
});
