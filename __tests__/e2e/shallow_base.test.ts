// Shallow bases: pushing or loading a based image needs the base's index, manifest and config,
// not its layers. The base registry sits behind a proxy that logs every request, so the tests
// can count which base layers were downloaded: none for a push to the base's own registry
// (mounted) or to one that already has them; each once, registry to registry, for another
// registry; and only for a Docker that lacks them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type PipelineOptions, type PipelineResult, type TargetReport } from '../../src/pipeline.ts';
import { parsePlatform } from '../../src/oci/platform.ts';
import { startFaultProxy, startRegistry, type FaultProxy, type TestRegistry } from '../helpers/registry.ts';
import { seedBaseImages, type SeededBase } from '../helpers/seed.ts';
import { basedWorkspace } from '../helpers/based_workspace.ts';
import { docker, requireDocker } from '../helpers/docker.ts';
import { runCommand } from '../helpers/run.ts';

const PLATFORMS = [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')];
const EXPECTED = /^Hello, World!\([0-9a-f-]{36}\)\nReversed: !dlroW ,olleH\nOsName: linux\n$/;

function report(result: PipelineResult, label: string): TargetReport {
  const r = result.reports.find((x) => x.label === label);
  assert.ok(r, `no report for ${label}`);
  return r;
}

describe('shallow bases', () => {
  let baseRegistry: TestRegistry;
  let target: TestRegistry;
  let proxy: FaultProxy;
  let seed: SeededBase;
  let baseLayers: string[];
  const logs: string[] = [];

  before(async () => {
    baseRegistry = await startRegistry({ mode: 'anonymous' });
    target = await startRegistry({ mode: 'anonymous' });
    seed = await seedBaseImages(baseRegistry.host);
    proxy = await startFaultProxy(baseRegistry.port);
    baseLayers = Object.values(seed.oci.platforms).flatMap((p) => p.layerDigests);
    assert.equal(baseLayers.length, 2);
  });
  after(async () => {
    await proxy?.stop();
    await baseRegistry?.stop();
    await target?.stop();
  });

  /** GETs of base layer blobs through the proxy since the last clear. */
  const layerGets = (): string[] => proxy.log.filter((e) => e.method === 'GET' && baseLayers.some((d) => e.path.endsWith(`/blobs/${d}`))).map((e) => e.path);

  function workspace(pushTo: string): string {
    return basedWorkspace(seed, 'oci', pushTo, `${proxy.host}/${seed.oci.repository}`);
  }

  function options(root: string, extra: Partial<PipelineOptions> = {}): PipelineOptions {
    return {
      cwd: root,
      targets: ['//apps/hello_world:push'],
      outputDir: mkdtempSync(join(tmpdir(), 'shallow-out-')),
      load: false,
      push: true,
      platforms: PLATFORMS,
      log: { info: (m) => logs.push(m), warning: (m) => logs.push(`warning: ${m}`) },
      env: { ...process.env, DOCKER_CONFIG: mkdtempSync(join(tmpdir(), 'docker-config-')) },
      ...extra,
    };
  }

  const stored = (outputDir: string, digest: string): boolean => existsSync(join(outputDir, 'store', 'blobs', 'sha256', digest.slice('sha256:'.length)));

  test('a push to the base registry mounts the base layers and downloads none of them', async () => {
    proxy.clear();
    const root = workspace(`${proxy.host}/app`);
    const opts = options(root);
    const r = report(await runPipeline(opts), '//apps/hello_world:push');
    assert.equal(r.action, 'pushed');
    assert.equal(r.blobs?.mounted, 2, JSON.stringify(r.blobs));
    assert.deepEqual(layerGets(), [], 'no base layer was downloaded');
    for (const d of baseLayers) assert.ok(!stored(opts.outputDir!, d), `${d} is not in the local store`);
    // The pushed index is complete: skopeo copies every platform out of the registry.
    const dir = mkdtempSync(join(tmpdir(), 'shallow-copy-'));
    const copy = await runCommand('skopeo', ['copy', '--all', '--src-tls-verify=false', `docker://${baseRegistry.host}/app@${r.digest}`, `oci:${dir}:x`]);
    assert.equal(copy.code, 0, copy.stderr);
  });

  test('a push to another registry copies each base layer once, registry to registry; a second push downloads nothing', async () => {
    proxy.clear();
    const root = workspace(`${target.host}/app`);
    const opts = options(root);
    const first = report(await runPipeline(opts), '//apps/hello_world:push');
    assert.equal(first.action, 'pushed');
    assert.deepEqual(layerGets().sort(), baseLayers.map((d) => `/v2/${seed.oci.repository}/blobs/${d}`).sort());
    assert.ok(logs.some((l) => /copied from the base's registry/.test(l)), logs.join('\n'));
    for (const d of baseLayers) assert.ok(!stored(opts.outputDir!, d), `${d} went to the registry without touching the store`);
    const check = await runCommand('skopeo', ['copy', '--all', '--src-tls-verify=false', `docker://${target.host}/app@${first.digest}`, `oci:${mkdtempSync(join(tmpdir(), 'shallow-copy-'))}:x`]);
    assert.equal(check.code, 0, check.stderr);

    // A fresh runner (empty store, edited program): the target has the base layers, so HEADs
    // find them and nothing of the base is downloaded.
    proxy.clear();
    const second = report(await runPipeline(options(root, { outputDir: mkdtempSync(join(tmpdir(), 'shallow-out-')) })), '//apps/hello_world:push');
    assert.equal(second.digest, first.digest);
    assert.deepEqual(layerGets(), []);
  });

  test('building the image itself (its layout is the output) downloads the base layers into a complete layout', async () => {
    proxy.clear();
    const root = workspace(`${target.host}/unused`);
    const opts = options(root, { targets: ['//apps/hello_world:image_based'], push: false, platforms: [] });
    const r = report(await runPipeline(opts), '//apps/hello_world:image_based');
    assert.ok(r.layout);
    assert.equal(layerGets().length, 1, 'the host platform base layer, once');
    const copy = await runCommand('skopeo', ['copy', `oci:${r.layout}`, `oci:${mkdtempSync(join(tmpdir(), 'shallow-copy-'))}:x`]);
    assert.equal(copy.code, 0, copy.stderr);
  });

  test('a load downloads the base layers only when the Docker daemon lacks them', async () => {
    await requireDocker();
    proxy.clear();
    const root = workspace(`${target.host}/unused`);
    const opts = options(root, { targets: ['//apps/hello_world:load_based'], push: false, load: true, platforms: [] });
    await docker('rmi', '-f', 'hello-based:latest').catch(() => '');
    const r = report(await runPipeline(opts), '//apps/hello_world:load_based');
    assert.equal(r.action, 'loaded');
    assert.ok(layerGets().length <= 1, 'at most the host platform base layer');
    assert.match(await docker('run', '--rm', '--network=none', 'hello-based:latest'), EXPECTED);

    // A fresh runner with an edited program: Docker holds the base layer, so it is neither
    // downloaded nor sent.
    proxy.clear();
    logs.length = 0;
    const main = join(root, 'apps', 'hello_world', 'main.go');
    writeFileSync(main, readFileSync(main, 'utf8').replace('Hello, World!', 'Hello, Shallow!'));
    const again = report(await runPipeline({ ...opts, outputDir: mkdtempSync(join(tmpdir(), 'shallow-out-')) }), '//apps/hello_world:load_based');
    assert.notEqual(again.digest, r.digest);
    assert.deepEqual(layerGets(), []);
    assert.ok(logs.some((l) => /Docker already has 1 of 2 layers/.test(l)), logs.join('\n'));
    assert.match(await docker('run', '--rm', '--network=none', 'hello-based:latest'), /^Hello, Shallow!/);
    await docker('rmi', '-f', 'hello-based:latest').catch(() => '');
  });
});
