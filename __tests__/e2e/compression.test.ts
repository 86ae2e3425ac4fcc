// The compression inputs end to end through the bundled CLI: skopeo verifies a zstd layout
// (every digest and size), and a load into a Docker that cannot read zstd fails with one line
// before anything is sent — or, on Docker 23+, loads and runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerEndpointFromEnv, pingDocker } from '../../src/publish/docker.ts';
import { docker, requireDocker } from '../helpers/docker.ts';
import { runCommand } from '../helpers/run.ts';

const repo = join(import.meta.dirname, '..', '..');
const example = join(repo, 'examples', 'monorepo');
const cli = (...args: string[]) => runCommand(process.execPath, [join(repo, 'dist', 'cli.js'), ...args]);

function layerTypes(layout: string): string[] {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const manifest = JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', index.manifests[0]!.digest.slice(7)), 'utf8')) as { layers: Array<{ mediaType: string }> };
  return manifest.layers.map((l) => l.mediaType);
}

test('--compression zstd / none / default gzip give the layer types, and skopeo verifies the zstd layout', async () => {
  const layouts: Record<string, string> = {};
  for (const c of ['zstd', 'none', '']) {
    const r = await cli('build', '--no-sbom', ...(c ? ['--compression', c] : []), '-o', mkdtempSync(join(tmpdir(), 'comp-')), '-C', example, '//apps/hello_world:image_amd64');
    assert.equal(r.code, 0, r.stderr);
    layouts[c || 'gzip'] = r.stdout.trim().split('  ').at(-1)!;
  }
  assert.deepEqual(layerTypes(layouts.zstd!), ['application/vnd.oci.image.layer.v1.tar+zstd']);
  assert.deepEqual(layerTypes(layouts.none!), ['application/vnd.oci.image.layer.v1.tar']);
  assert.deepEqual(layerTypes(layouts.gzip!), ['application/vnd.oci.image.layer.v1.tar+gzip']);
  const copy = await runCommand('skopeo', ['copy', `oci:${layouts.zstd}`, `oci:${mkdtempSync(join(tmpdir(), 'comp-copy-'))}:x`]);
  assert.equal(copy.code, 0, copy.stderr);

  const bad = await cli('build', '--compression', 'brotli', '-C', example, '//apps/hello_world:image_amd64');
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'oci-build: error: --compression: expected gzip, zstd or none, got "brotli"\n');
});

test('loading a zstd image: one clear line on Docker before 23, a running image after', async () => {
  await requireDocker();
  const ping = await pingDocker(dockerEndpointFromEnv());
  await docker('rmi', '-f', 'comp-zstd:latest').catch(() => '');
  const ws = mkdtempSync(join(tmpdir(), 'comp-ws-'));
  await runCommand('cp', ['-r', `${example}/.`, ws]);
  // A tag of its own, so the image is not already in Docker under hello_world.
  const build = join(ws, 'apps', 'hello_world', 'BUILD.bazel');
  const text = readFileSync(build, 'utf8');
  writeFileSync(build, `${text}\noci_load(name = "zload", image = ":image_amd64", repo_tags = ["comp-zstd:latest"])\n`);
  const main = join(ws, 'apps', 'hello_world', 'main.go');
  writeFileSync(main, readFileSync(main, 'utf8').replace('Hello, World!', 'Hello, zstd!'));
  const r = await cli('run', '--no-sbom', '--compression', 'zstd', '-o', join(ws, 'out'), '-C', ws, '//apps/hello_world:zload');
  const [major, minor] = (ping?.apiVersion ?? '1.41').split('.').map(Number) as [number, number];
  if (major === 1 && minor < 42) {
    assert.equal(r.code, 1);
    const last = r.stderr.trim().split('\n').at(-1)!;
    assert.match(last, /^oci-build: error: Docker at \S+ speaks API 1\.\d+ \(before Docker 23\), which cannot load zstd layers \(sha256:[0-9a-f]{64}\); use compression gzip for images you load$/);
    assert.equal(await docker('images', '-q', 'comp-zstd:latest'), '', 'nothing was loaded');
  } else {
    assert.equal(r.code, 0, r.stderr);
    assert.match(await docker('run', '--rm', '--network=none', 'comp-zstd:latest'), /^Hello, zstd!/);
    await docker('rmi', '-f', 'comp-zstd:latest');
  }
});
