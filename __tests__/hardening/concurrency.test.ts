// Two pipelines pushing at once to the same repository of a real registry (htpasswd), each with
// its own output directory: the same image twice, and two different images. Both succeed and
// what each tag names is a complete image (skopeo copy --all verifies every blob).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runPipeline, type PipelineOptions } from '../../src/pipeline.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { USERS, removeDir, skopeo, startRegistry, tempDir, type TestRegistry } from '../helpers/registry.ts';
import { exampleWorkspace, quietLog, reportOf } from './example.ts';

const pusher = { username: 'pusher', password: USERS.pusher ?? '' };
let registry: TestRegistry;
let work: string;
let direct: RegistryClient;

before(async () => {
  registry = await startRegistry({ mode: 'htpasswd' });
  work = await tempDir('concurrency-');
  direct = new RegistryClient(registry.host, { credentials: async () => pusher });
});

after(async () => {
  await direct?.close();
  await registry?.stop();
  if (work) await removeDir(work);
});

function options(root: string, out: string, extra: Partial<PipelineOptions>): PipelineOptions {
  return {
    cwd: root,
    targets: ['//apps/hello_world:push'],
    outputDir: join(work, out),
    load: false,
    push: true,
    credentials: [{ registry: registry.host, ...pusher }],
    log: quietLog,
    env: { ...process.env, DOCKER_CONFIG: work },
    ...extra,
  };
}

async function verify(ref: string, dir: string): Promise<void> {
  const copy = await skopeo(['copy', '--all', '--src-tls-verify=false', `--src-creds=pusher:${pusher.password}`, `docker://${ref}`, `oci:${join(work, dir)}:x`], work);
  assert.equal(copy.code, 0, copy.stderr);
}

describe('concurrent pushes to one repository', () => {
  test('the same image, twice at once, to the same tag', { timeout: 300_000 }, async () => {
    const root = exampleWorkspace(`${registry.host}/conc/same`, ['latest']);
    const [a, b] = await Promise.all([runPipeline(options(root, 'same-a', {})), runPipeline(options(root, 'same-b', {}))]);
    const ra = reportOf(a, '//apps/hello_world:push');
    const rb = reportOf(b, '//apps/hello_world:push');
    assert.equal(ra.action, 'pushed');
    assert.equal(rb.action, 'pushed');
    assert.equal(ra.digest, rb.digest, 'reproducible: the same digest from both output directories');
    assert.equal((await direct.headManifest('conc/same', 'latest'))?.digest, ra.digest);
    await verify(`${registry.host}/conc/same:latest`, 'same');
  });

  test('two different images at once, with their own tags and one shared tag', { timeout: 300_000 }, async () => {
    const root = exampleWorkspace(`${registry.host}/conc/diff`, ['latest']);
    const run = (v: string) => runPipeline(options(root, `diff-${v}`, { tags: ['latest', `v-${v}`], metadata: { labels: { 'test.variant': v }, manifestAnnotations: {}, indexAnnotations: {} } }));
    const [a, b] = await Promise.all([run('a'), run('b')]);
    const ra = reportOf(a, '//apps/hello_world:push');
    const rb = reportOf(b, '//apps/hello_world:push');
    assert.notEqual(ra.digest, rb.digest, 'different labels, different images');
    assert.equal((await direct.headManifest('conc/diff', 'v-a'))?.digest, ra.digest);
    assert.equal((await direct.headManifest('conc/diff', 'v-b'))?.digest, rb.digest);
    const latest = (await direct.headManifest('conc/diff', 'latest'))?.digest;
    assert.ok(latest === ra.digest || latest === rb.digest, `latest names one of the two pushes: ${latest}`);
    await verify(`${registry.host}/conc/diff:v-a`, 'diff-a');
    await verify(`${registry.host}/conc/diff:v-b`, 'diff-b');
    await verify(`${registry.host}/conc/diff:latest`, 'diff-latest');
  });
});
