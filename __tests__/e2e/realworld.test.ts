// examples/realworld: a .bzl macro producing an mtree layer owned by a non-root user, an image on
// a base from an include()d MODULE file, platform transitions into a multi-arch index, and tags
// from expand_template with stamping — loaded into Docker and pushed to a real registry.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type PipelineResult, type TargetReport } from '../../src/pipeline.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { seedBaseImages, type SeededBase } from '../helpers/seed.ts';
import { docker, requireDocker } from '../helpers/docker.ts';
import { runCommand } from '../helpers/run.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
const SHA = '0123456789abcdef0123456789abcdef01234567';

let registry: TestRegistry;
let seed: SeededBase;
let root: string;
let result: PipelineResult;

function report(label: string): TargetReport {
  const r = result.reports.find((x) => x.label === label);
  assert.ok(r, `no report for ${label}`);
  return r;
}

function rewrite(path: string, from: RegExp, to: string): void {
  const text = readFileSync(path, 'utf8');
  assert.match(text, from);
  writeFileSync(path, text.replace(from, to));
}

before(async () => {
  await requireDocker();
  registry = await startRegistry({ mode: 'anonymous' });
  seed = await seedBaseImages(registry.host, { repository: 'distroless/static' });
  root = mkdtempSync(join(tmpdir(), 'realworld-'));
  cpSync(join(repoRoot, 'examples', 'realworld'), root, { recursive: true, filter: (src) => !src.includes('.oci-build') });
  rewrite(join(root, 'tools', 'oci.MODULE.bazel'), /digest = "sha256:0{64}"/, `digest = "${seed.oci.indexDigest}"`);
  rewrite(join(root, 'tools', 'oci.MODULE.bazel'), /image = "localhost:5000\/distroless\/static"/, `image = "${seed.oci.image}"`);
  rewrite(join(root, 'cmd', 'server', 'BUILD.bazel'), /localhost:5000/, registry.host);
  await docker('rmi', '-f', 'image:latest').catch(() => '');
  result = await runPipeline({
    cwd: root,
    targets: ['//cmd/server:image_load', '//cmd/server:image_push'],
    outputDir: join(root, 'out'),
    load: true,
    push: true,
    stamp: true,
    log: { info: () => {}, warning: (m) => process.stderr.write(`warning: ${m}\n`) },
    env: { ...process.env, GITHUB_SHA: SHA, GITHUB_REF: 'refs/heads/main' },
  });
});

after(async () => {
  await registry?.stop();
});

test('the host image loads into Docker and runs as the non-root user on the base', async () => {
  const r = report('//cmd/server:image_load');
  assert.equal(r.action, 'loaded');
  const out = await docker('run', '--rm', '--network=none', 'image:latest');
  assert.equal(out.trim(), 'realworld linux/amd64 uid=65532 base="base amd64"');
  const cfg = JSON.parse(await docker('image', 'inspect', 'image:latest')) as Array<{ Config: { User: string; WorkingDir: string; Env: string[]; Labels: Record<string, string> } }>;
  assert.equal(cfg[0]?.Config.User, '65532:65532');
  assert.equal(cfg[0]?.Config.WorkingDir, '/app');
  assert.ok(cfg[0]?.Config.Env.includes('APP_ENV=production'));
  assert.ok(cfg[0]?.Config.Env.some((e) => e.startsWith('PATH=')), 'the base env is kept');
  assert.equal(cfg[0]?.Config.Labels['org.opencontainers.image.source'], 'https://example.com/realworld');
  assert.equal(cfg[0]?.Config.Labels['org.opencontainers.image.title'], 'seed-base');
});

test('the index is pushed with stamped tags from expand_template', async () => {
  const r = report('//cmd/server:image_push');
  assert.equal(r.action, 'pushed');
  assert.deepEqual(r.platforms, ['linux/amd64', 'linux/arm64']);
  assert.deepEqual(r.tags, [`${registry.host}/realworld/server:latest`, `${registry.host}/realworld/server:${SHA}`]);
  const tags = await runCommand('skopeo', ['list-tags', '--tls-verify=false', `docker://${registry.host}/realworld/server`]);
  // Besides the SBOM referrers' tag-schema fallback indexes (sha256-<image digest hex>, one per platform).
  const all = (JSON.parse(tags.stdout) as { Tags: string[] }).Tags;
  assert.deepEqual(all.filter((t) => !/^sha256-[0-9a-f]{64}$/.test(t)).sort(), [SHA, 'latest']);
  assert.equal(all.filter((t) => /^sha256-[0-9a-f]{64}$/.test(t)).length, 2);
});

test('the arm64 layer is owned by nonroot as the mtree says, and its binary runs under qemu', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-arm64-'));
  const copy = await runCommand('skopeo', ['copy', '--src-tls-verify=false', '--override-arch', 'arm64', `docker://${registry.host}/realworld/server:latest`, `oci:${dir}/layout:latest`]);
  assert.equal(copy.code, 0, copy.stderr);
  const index = JSON.parse(readFileSync(join(dir, 'layout', 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const manifest = JSON.parse(readFileSync(join(dir, 'layout', 'blobs', 'sha256', (index.manifests[0]?.digest ?? '').slice(7)), 'utf8')) as { layers: Array<{ digest: string }> };
  const top = join(dir, 'layout', 'blobs', 'sha256', (manifest.layers.at(-1)?.digest ?? '').slice(7));
  const listing = await runCommand('python3', ['-c', `
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        print(m.name, m.type.decode(), oct(m.mode), m.uid, m.gid, m.uname, m.gname, m.mtime, m.linkname)
`, top]);
  assert.equal(listing.code, 0, listing.stderr);
  const lines = listing.stdout.trim().split('\n');
  assert.deepEqual(lines, [
    'app 5 0o755 65532 65532 nonroot nonroot 946684800 ',
    'app/server 0 0o755 65532 65532 nonroot nonroot 946684800 ',
    'app/data 5 0o700 65532 65532 nonroot nonroot 946684800 ',
    'app/current 2 0o777 65532 65532 nonroot nonroot 946684800 server',
  ]);
  const unpack = await runCommand('umoci', ['unpack', '--rootless', '--image', `${dir}/layout:latest`, `${dir}/bundle`]);
  assert.equal(unpack.code, 0, unpack.stderr);
  const ran = await runCommand('qemu-aarch64-static', [join(dir, 'bundle', 'rootfs', 'app', 'server')]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /^realworld linux\/arm64 uid=\d+ base="none"\n$/);
});
