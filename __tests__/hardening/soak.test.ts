// Fault soak: the multi-arch example (built once by the pipeline) pushed N times through a
// FaultProxy in front of a real token-auth `docker-registry`, with faults injected at seeded
// random points: connection resets, 5xx (some with truncated bodies), 429 + Retry-After, stalls
// beyond the client's idle timeout, uploads cut mid-body, responses dropped after the registry
// acted, and expired tokens. Every push must end either with an image whose every blob
// `skopeo copy --all` copies and verifies, or with a clear one-line error and no tag set or moved.
//
// N = 20 by default, OCI_BUILD_SOAK=N for more; OCI_BUILD_SOAK_SEED picks the seed. Prints
//   soak: pushes=N successes=S clean-failures=F (expected=E) retries=R faults-fired=X seed=…
//
// The pushes use the registry client with short retry delays and a 1 s idle timeout
// (RegistryClient's `retry` option): the pipeline (src/pipeline.ts → RegistryPool) does not
// expose retry options, so its pushes would take minutes under the same faults.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runPipeline } from '../../src/pipeline.ts';
import { BlobStore } from '../../src/oci/blobstore.ts';
import type { Descriptor, ImageIndex } from '../../src/oci/types.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { pushImage } from '../../src/registry/push.ts';
import { USERS, removeDir, skopeo, startFaultProxy, startRegistry, tempDir, type FaultProxy, type FaultRule, type TestRegistry } from '../helpers/registry.ts';
import { exampleWorkspace, layoutRoot, quietLog, reportOf } from './example.ts';
import { prng, type Rand } from './fuzz_gen.ts';

const N = Number(process.env.OCI_BUILD_SOAK ?? 0) || 20;
const SEED = Number(process.env.OCI_BUILD_SOAK_SEED ?? 0x50a4);
const pusher = { username: 'pusher', password: USERS.pusher ?? '' };

let registry: TestRegistry;
let proxy: FaultProxy;
let work: string;
let store: BlobStore;
let index: { descriptor: Descriptor; doc: ImageIndex };

before(async () => {
  registry = await startRegistry({ mode: 'token' });
  proxy = await startFaultProxy(registry.port);
  work = await tempDir('soak-');
  const root = exampleWorkspace(`${registry.host}/unused`);
  const out = join(work, 'out');
  const result = await runPipeline({ cwd: root, targets: ['//apps/hello_world:image'], outputDir: out, load: false, push: false, log: quietLog });
  const r = reportOf(result, '//apps/hello_world:image');
  assert.deepEqual(r.platforms, ['linux/amd64', 'linux/arm64']);
  store = new BlobStore(join(out, 'store'));
  const descriptor = layoutRoot(r.layout ?? '');
  const chunks: Buffer[] = [];
  for await (const c of store.open(descriptor.digest)) chunks.push(c as Buffer);
  index = { descriptor, doc: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ImageIndex };
});

after(async () => {
  await proxy?.stop();
  await registry?.stop();
  if (work) await removeDir(work);
});

const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)] as T;

const WHERE: ReadonlyArray<{ method?: string; path: RegExp }> = [
  { method: 'GET', path: /^\/v2\/$/ },
  { method: 'HEAD', path: /\/blobs\/sha256:/ },
  { method: 'POST', path: /\/blobs\/uploads\/$/ },
  { method: 'PUT', path: /\/blobs\/uploads\// },
  { method: 'PUT', path: /\/manifests\/sha256:/ },
  { method: 'PUT', path: /\/manifests\/[^s]/ },
  { method: 'HEAD', path: /\/manifests\// },
];

/** One to three transient faults, and sometimes one that never stops (the push may then fail, cleanly). */
function faultsFor(r: Rand): { rules: FaultRule[]; expired: boolean; persistent: boolean } {
  const rules: FaultRule[] = [];
  for (let k = 1 + int(r, 3); k > 0; k--) {
    const where = pick(r, WHERE);
    const times = 1 + int(r, 2);
    switch (int(r, 7)) {
      case 0: rules.push({ ...where, fault: { kind: 'reset' }, times }); break;
      case 1: rules.push({ ...where, fault: { kind: 'status', status: pick(r, [500, 502, 503, 504]) }, times }); break;
      case 2: rules.push({ ...where, fault: { kind: 'status', status: 500, body: '{"errors": [{"code": "UNKN' }, times }); break;
      case 3: rules.push({ ...where, fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } }, times: 1 }); break;
      case 4: rules.push({ ...where, fault: { kind: 'delay', ms: 1600 }, times: 1 }); break;
      case 5: rules.push({ method: 'PUT', path: /\/blobs\/uploads\//, fault: { kind: 'reset-mid-upload' }, times }); break;
      default: rules.push({ ...where, fault: { kind: 'drop-response' }, times: 1 }); break;
    }
  }
  let persistent = r() < 0.15;
  if (persistent) {
    const fault = pick(r, [{ kind: 'status', status: 503 }, { kind: 'reset' }] as const);
    rules.unshift({ method: 'PUT', path: pick(r, [/\/manifests\/sha256:/, /\/blobs\/uploads\//]), fault, times: Infinity });
  }
  // More faults on one kind of request than the client has retries (4 attempts): failing is fair.
  const perPlace = new Map<string, number>();
  for (const rule of rules) {
    const k = `${rule.method} ${rule.path.source}`;
    perPlace.set(k, (perPlace.get(k) ?? 0) + (rule.times ?? 1));
  }
  if ([...perPlace.values()].some((n) => n >= 4)) persistent = true;
  return { rules, expired: r() < 0.3, persistent };
}

describe(`fault soak: ${N} pushes of the multi-arch example through a fault proxy`, () => {
  test('every push ends with a verified image or a clean error and no tag moved', { timeout: 30 * 60_000 }, async () => {
    const rand = prng(SEED);
    const direct = new RegistryClient(registry.host, { credentials: async () => pusher });
    const stats = { pushes: 0, successes: 0, cleanFailures: 0, expectedFailures: 0, retries: 0, faults: 0, expiredTokens: 0 };
    const lastGood = new Map<string, string>();
    const failures: string[] = [];
    try {
      for (let i = 0; i < N; i++) {
        // A new index digest each time (same images), to a fresh repository or a shared one.
        const doc: ImageIndex = { ...index.doc, annotations: { ...index.doc.annotations, 'test.soak.iteration': String(i) } };
        const stored = await store.writeBytes(Buffer.from(JSON.stringify(doc)));
        const root: Descriptor = { mediaType: index.descriptor.mediaType, digest: stored.digest, size: stored.size };
        const repo = i % 2 === 0 ? `soak/fresh-${i}` : 'soak/shared';
        const tags = ['latest', `i${i}`];
        const plan = faultsFor(rand);
        proxy.clear();
        for (const rule of plan.rules) proxy.add(rule);
        registry.tokenServer!.issueExpired = plan.expired ? 1 : 0;
        const logs: string[] = [];
        const client = new RegistryClient(proxy.host, {
          credentials: async () => pusher,
          retry: { attempts: 4, minDelayMs: 20, maxDelayMs: 200, maxRetryAfterMs: 1500, idleTimeoutMs: 1000 },
          log: (m) => logs.push(m),
        });
        stats.pushes++;
        let error: Error | undefined;
        try {
          await pushImage(client, store, repo, root, tags, { log: (m) => logs.push(m) });
        } catch (err) {
          error = err as Error;
        } finally {
          await client.close();
        }
        stats.faults += proxy.fired().length;
        if (plan.expired && registry.tokenServer!.issueExpired === 0) stats.expiredTokens++;
        stats.retries += logs.filter((l) => /retrying/.test(l)).length;
        proxy.clear();
        registry.tokenServer!.issueExpired = 0;
        const what = `push ${i} (${repo}, faults ${JSON.stringify(plan.rules.map((r) => `${r.method ?? '*'} ${r.path.source} ${r.fault.kind}${'status' in r.fault ? r.fault.status : ''}x${r.times}`))}, expired token ${plan.expired})`;
        if (!error) {
          stats.successes++;
          for (const t of tags) assert.equal((await direct.headManifest(repo, t))?.digest, root.digest, `${what}: tag ${t}`);
          const copy = await skopeo(['copy', '--all', '--src-tls-verify=false', `--src-creds=pusher:${pusher.password}`, `docker://${registry.host}/${repo}:i${i}`, `oci:${join(work, `copy-${i}`)}:x`], work);
          assert.equal(copy.code, 0, `${what}: skopeo copy --all\n${copy.stderr}`);
          lastGood.set(repo, root.digest);
        } else {
          stats.cleanFailures++;
          if (plan.persistent) stats.expectedFailures++;
          else failures.push(`${what}: ${error.message}`);
          assert.ok(!error.message.includes('\n'), `${what}: one line: ${error.message}`);
          assert.ok(!/\bat .*\.ts:\d+/.test(error.message), `${what}: no stack`);
          assert.ok(!error.message.includes(pusher.password), `${what}: no secret`);
          assert.match(error.message, new RegExp(`${registry.host.replace(/\./g, '\\.')}|${proxy.host.replace(/\./g, '\\.')}|sha256:`), `${what}: says where: ${error.message}`);
          // No tag set or moved: the iteration's own tag is absent, latest still the last good push.
          assert.equal(await direct.headManifest(repo, `i${i}`), undefined, `${what}: tag i${i} set by a failed push`);
          assert.equal((await direct.headManifest(repo, 'latest'))?.digest, lastGood.get(repo), `${what}: latest moved by a failed push`);
        }
      }
    } finally {
      await direct.close();
    }
    process.stdout.write(
      `soak: pushes=${stats.pushes} successes=${stats.successes} clean-failures=${stats.cleanFailures} (of which with >=4 faults on one request kind: ${stats.expectedFailures}) retries=${stats.retries} faults-fired=${stats.faults} expired-tokens=${stats.expiredTokens} seed=${SEED}\n`,
    );
    for (const f of failures) process.stdout.write(`soak: failed under transient faults only: ${f}\n`);
    assert.equal(stats.successes + stats.cleanFailures, N);
    // Transient faults alone (at most two of each kind) must not defeat a client that retries 4 times.
    assert.deepEqual(failures, [], 'transient faults only: the push succeeds');
    assert.ok(stats.retries > 0 && stats.faults > 0);
  });

  test('the pipeline itself (default retry delays) pushes through a reset, a 503, a 429 and an expired token', { timeout: 300_000 }, async () => {
    const root = exampleWorkspace(`${proxy.host}/soak/pipeline`, ['latest']);
    proxy.clear();
    proxy.add({ method: 'PUT', path: /\/blobs\/uploads\//, fault: { kind: 'reset' } });
    proxy.add({ method: 'HEAD', path: /\/blobs\/sha256:/, fault: { kind: 'status', status: 503 } });
    proxy.add({ method: 'PUT', path: /\/manifests\/sha256:/, fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } } });
    registry.tokenServer!.issueExpired = 1;
    const logs: string[] = [];
    const result = await runPipeline({
      cwd: root,
      targets: ['//apps/hello_world:push'],
      outputDir: join(work, 'pipeline-out'),
      load: false,
      push: true,
      credentials: [{ registry: proxy.host, ...pusher }],
      log: { info: (m) => logs.push(m), warning: (m) => logs.push(m) },
      env: { ...process.env, DOCKER_CONFIG: work },
    });
    const r = reportOf(result, '//apps/hello_world:push');
    assert.equal(r.action, 'pushed');
    assert.equal(registry.tokenServer!.issueExpired, 0, 'the expired token was issued and the client got a fresh one');
    assert.deepEqual(proxy.fired().sort(), ['HEAD status', 'PUT reset', 'PUT status']);
    const direct = new RegistryClient(registry.host, { credentials: async () => pusher });
    try {
      assert.equal((await direct.headManifest('soak/pipeline', 'latest'))?.digest, r.digest);
    } finally {
      await direct.close();
    }
    const copy = await skopeo(['copy', '--all', '--src-tls-verify=false', `--src-creds=pusher:${pusher.password}`, `docker://${registry.host}/soak/pipeline:latest`, `oci:${join(work, 'copy-pipeline')}:x`], work);
    assert.equal(copy.code, 0, copy.stderr);
    proxy.clear();
  });
});
