// The seed walkthrough end to end on the example monorepo, checked by independent tools:
// skopeo and umoci read our layouts, the binaries run (arm64 under qemu), Docker loads and runs
// the image, and the bundled action does the same when run the way the runner runs it.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type PipelineResult, type TargetReport } from '../../src/pipeline.ts';
import { docker, requireDocker } from '../helpers/docker.ts';
import { runCommand } from '../helpers/run.ts';

const repo = join(import.meta.dirname, '..', '..');
const example = join(repo, 'examples', 'monorepo');
const quiet = { info: () => {}, warning: () => {} };
const EXPECTED = /^Hello, World!\([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\)\nReversed: !dlroW ,olleH\nOsName: linux\n$/;

function report(result: PipelineResult, label: string): TargetReport {
  const r = result.reports.find((x) => x.label === label);
  assert.ok(r, `no report for ${label}`);
  return r;
}

let first: PipelineResult;

before(async () => {
  first = await runPipeline({
    cwd: example,
    targets: ['//apps/hello_world:image', '//apps/hello_world:image_amd64', '//apps/hello_world:image_arm64'],
    outputDir: mkdtempSync(join(tmpdir(), 'e2e-a-')),
    load: false,
    log: quiet,
  });
});

test('the multi-arch index is reproducible across output directories', async () => {
  const second = await runPipeline({
    cwd: join(example, 'apps', 'hello_world'),
    targets: [':image'],
    outputDir: mkdtempSync(join(tmpdir(), 'e2e-b-')),
    load: false,
    log: quiet,
  });
  const a = report(first, '//apps/hello_world:image');
  const b = report(second, '//apps/hello_world:image');
  assert.match(a.digest ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.equal(b.digest, a.digest);
  assert.deepEqual(a.platforms, ['linux/amd64', 'linux/arm64']);
});

test('skopeo reads the index layout and copies every blob with verification', async () => {
  const layout = report(first, '//apps/hello_world:image').layout ?? '';
  const raw = await runCommand('skopeo', ['inspect', '--raw', `oci:${layout}`]);
  assert.equal(raw.code, 0, raw.stderr);
  const index = JSON.parse(raw.stdout) as { mediaType: string; manifests: Array<{ platform: { architecture: string; os: string } }> };
  assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.deepEqual(index.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`), ['linux/amd64', 'linux/arm64']);
  const copy = await runCommand('skopeo', ['copy', '--all', `oci:${layout}`, `oci:${mkdtempSync(join(tmpdir(), 'copy-'))}:x`]);
  assert.equal(copy.code, 0, copy.stderr);
});

test('umoci unpacks each image; the binaries run and report their platform', async () => {
  for (const arch of ['amd64', 'arm64']) {
    const layout = report(first, `//apps/hello_world:image_${arch}`).layout ?? '';
    const bundle = mkdtempSync(join(tmpdir(), `bundle-${arch}-`));
    // umoci wants a tagged layout; skopeo's copy tags it (and verifies every blob on the way).
    const copied = await runCommand('skopeo', ['copy', `oci:${layout}`, `oci:${join(bundle, 'layout')}:latest`]);
    assert.equal(copied.code, 0, copied.stderr);
    const unpack = await runCommand('umoci', ['unpack', '--rootless', '--image', `${join(bundle, 'layout')}:latest`, join(bundle, 'b')]);
    assert.equal(unpack.code, 0, unpack.stderr);
    const bin = join(bundle, 'b', 'rootfs', `hello_world_linux_${arch}`);
    assert.equal(statSync(bin).mode & 0o777, 0o755, 'an executable keeps rules_pkg 0755');
    const config = JSON.parse(readFileSync(join(bundle, 'b', 'config.json'), 'utf8')) as { process: { args: string[] } };
    assert.deepEqual(config.process.args, [`/hello_world_linux_${arch}`]);
    const ran = arch === 'amd64' && process.arch === 'x64' ? await runCommand(bin, []) : await runCommand('qemu-aarch64-static', [bin]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, EXPECTED);
  }
});

test('oci_load loads hello_world:latest into Docker and it runs', async () => {
  await requireDocker();
  await docker('rmi', '-f', 'hello_world:latest').catch(() => '');
  const result = await runPipeline({
    cwd: example,
    targets: ['//apps/hello_world:image_amd64_load'],
    outputDir: mkdtempSync(join(tmpdir(), 'e2e-load-')),
    load: true,
    log: quiet,
  });
  const r = report(result, '//apps/hello_world:image_amd64_load');
  assert.equal(r.action, 'loaded');
  assert.deepEqual(r.tags, ['hello_world:latest']);
  const id = (await docker('image', 'inspect', '--format', '{{.Id}}', 'hello_world:latest')).trim();
  assert.equal(id, r.imageId);
  const out = await docker('run', '--rm', '--network=none', 'hello_world:latest');
  assert.match(out, EXPECTED);
});

test('the bundled action, run as the runner runs it, loads the image and sets outputs', async () => {
  await requireDocker();
  await docker('rmi', '-f', 'hello_world:latest').catch(() => '');
  const dir = mkdtempSync(join(tmpdir(), 'action-'));
  const outputFile = join(dir, 'output');
  writeFileSync(outputFile, '');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    INPUT_TARGETS: '//apps/hello_world:image_amd64_load\n',
    'INPUT_WORKING-DIRECTORY': example,
    'INPUT_OUTPUT-DIR': join(dir, 'out'),
    INPUT_LOAD: 'true',
    'INPUT_GO-VERSION': '>=1.22',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
    RUNNER_TEMP: dir,
  };
  writeFileSync(join(dir, 'summary.md'), '');
  const res = await runCommand(process.execPath, [join(repo, 'dist', 'index.js')], { env });
  assert.equal(res.code, 0, res.stdout + res.stderr);
  // The go on PATH satisfies >=1.22, so nothing is downloaded.
  assert.match(res.stdout, /Go \d+\.\d+(\.\d+)? from path/);
  // No cache service here: restoring warns and the build goes on.
  assert.match(res.stdout, /::warning::.*cache service is not available/);
  const outputs = readFileSync(outputFile, 'utf8');
  const digest = /digest<<(\S+)\n(.*)\n\1/.exec(outputs)?.[2];
  const metadata = JSON.parse(/metadata<<(\S+)\n(.*)\n\1/.exec(outputs)?.[2] ?? '{}') as { targets: TargetReport[] };
  const loaded = metadata.targets.find((t) => t.label === '//apps/hello_world:image_amd64_load');
  assert.ok(loaded);
  assert.equal(digest, loaded.digest);
  // The digest output is the manifest digest of the image that was loaded.
  const layoutIndex = JSON.parse(readFileSync(join(loaded.layout ?? '', 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  assert.equal(layoutIndex.manifests[0]?.digest, digest);
  const out = await docker('run', '--rm', '--network=none', 'hello_world:latest');
  assert.match(out, EXPECTED);
  const images = /images<<(\S+)\n([\s\S]*?)\n\1/.exec(outputs)?.[2];
  assert.equal(images, 'hello_world:latest');
  const summary = readFileSync(join(dir, 'summary.md'), 'utf8');
  assert.match(summary, /<table>/);
  assert.match(summary, /<code>\/\/apps\/hello_world:image_amd64_load<\/code> \(oci_load\)/);
  assert.match(summary, /loaded/);
  assert.match(summary, /<th>Layers<\/th>/);
  assert.match(summary, /<td>1 \(\d+\.\d (KiB|MiB)\)<\/td>/, 'layer count and size');
  assert.match(summary, /<td>\d+\.\d s<\/td>/, 'time taken');
});

test('the action puts a BUILD error on its line as an annotation and fails the step', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'action-bad-'));
  writeFileSync(join(ws, 'MODULE.bazel'), '');
  mkdirSync(join(ws, 'app'));
  writeFileSync(join(ws, 'app', 'BUILD.bazel'), 'load("@rules_oci//oci:defs.bzl", "oci_image")\n\noci_image(name = "x", os = "linux")\n');
  const res = await runCommand(process.execPath, [join(repo, 'dist', 'index.js')], {
    env: { ...process.env, INPUT_TARGETS: '//app:x', 'INPUT_WORKING-DIRECTORY': ws, GITHUB_WORKSPACE: ws, GITHUB_OUTPUT: '', GITHUB_STEP_SUMMARY: '' },
  });
  assert.equal(res.code, 1);
  assert.equal(
    res.stdout.trim().split('\n').filter((l) => l.startsWith('::error')).join('\n'),
    '::error title=oci-build,file=app/BUILD.bazel,line=3,col=10::app/BUILD.bazel:3:10: //app:x: "os" and "architecture" are required when "base" is not set (rules_oci)',
  );
});
