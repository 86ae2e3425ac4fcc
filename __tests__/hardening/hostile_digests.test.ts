// Issue 15, point 1: a base image whose documents name a "digest" that is a path
// (`sha256:../../…/canary`). A plain `build` of an image on that base, pinned by digest, must fail
// with one line naming the registry/ref and the field, and leave every file outside the output
// directory as it was: the canary is neither deleted (writeLayout's link step removed the
// destination before) nor read into anything the build wrote.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../helpers/run.ts';
import { makeWorkspace, type CaseResult } from './run_case.ts';
import { LOADS } from './corpus.ts';
import { createHash } from 'node:crypto';
import { digestOf, fakeImage, hostImage, hostIndex, OCI_MANIFEST, serve, startHostile, type HostileServer } from './hostile.ts';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli.ts');
const CANARY_TEXT = 'canary: this file lives outside the output directory';

let server: HostileServer;
let canaryDir: string;
const roots: string[] = [];

before(async () => {
  server = await startHostile();
  canaryDir = mkdtempSync(join(tmpdir(), 'sec-canary-'));
});

after(async () => {
  await server?.stop();
  for (const r of roots) rmSync(r, { recursive: true, force: true });
  if (canaryDir) rmSync(canaryDir, { recursive: true, force: true });
});

/** A fresh canary file and the hostile "digest" that walks from the blob store to it. */
function canary(name: string): { path: string; digest: string } {
  const path = join(canaryDir, name);
  writeFileSync(path, CANARY_TEXT);
  return { path, digest: `sha256:${'../'.repeat(24)}${path.slice(1)}` };
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

async function buildOn(repo: string, pinned: string): Promise<Pick<CaseResult, 'code' | 'message' | 'stderr' | 'stdout' | 'root'>> {
  const root = makeWorkspace({
    'MODULE.bazel': `module(name = "t")
oci = use_extension("@rules_oci//oci:extensions.bzl", "oci")
oci.pull(name = "base", image = "${server.host}/${repo}", digest = "${pinned}", platform = "linux/amd64")
use_repo(oci, "base")
`,
    'app/BUILD.bazel': `${LOADS}oci_image(name = "img", base = "@base")\n`,
  });
  roots.push(root);
  const env = { ...process.env };
  delete env.OCI_BUILD_DEBUG;
  const res = await runCommand(process.execPath, [cli, 'build', '-C', root, '//app:img'], { env });
  const at = res.stderr.indexOf('oci-build: error: ');
  const message = at < 0 ? '' : res.stderr.slice(at + 'oci-build: error: '.length).trimEnd();
  return { code: res.code, message, stderr: res.stderr, stdout: res.stdout, root };
}

function assertRefused(r: Awaited<ReturnType<typeof buildOn>>, ref: string, field: string, c: { path: string }): void {
  const detail = `\n--- stderr ---\n${r.stderr}`;
  assert.equal(r.code, 1, `exit code${detail}`);
  assert.ok(!r.message.includes('\n'), `one line${detail}`);
  assert.ok(r.message.includes(ref), `names ${ref}${detail}`);
  assert.ok(r.message.includes(field), `names the field ${field}${detail}`);
  assert.match(r.message, /is not a valid digest \(expected sha256:<64 lowercase hex> or sha512:<128 lowercase hex>\)/, detail);
  assert.ok(!/\n\s+at /.test(r.stderr), `no stack trace${detail}`);
  // The canary is untouched, and nothing the build wrote holds its bytes.
  assert.equal(readFileSync(c.path, 'utf8'), CANARY_TEXT, 'canary still there, unchanged');
  for (const f of listFiles(join(r.root, '.oci-build'))) {
    assert.ok(!readFileSync(f).includes(CANARY_TEXT), `${f} holds the canary's content`);
  }
}

describe('a base image naming path-like digests', { concurrency: 2 }, () => {
  test('in a layer: layers[0].digest', async () => {
    const c = canary('layer');
    const img = fakeImage();
    (img.manifest.layers as Array<{ digest: string }>)[0]!.digest = c.digest;
    const d = hostImage(server, 'evil-layer', img);
    const r = await buildOn('evil-layer', d);
    assertRefused(r, `${server.host}/evil-layer@${d}`, `layers[0].digest "sha256:../../`, c);
  });

  test('in the config: config.digest', async () => {
    const c = canary('config');
    const img = fakeImage();
    (img.manifest.config as { digest: string }).digest = c.digest;
    const d = hostImage(server, 'evil-config', img);
    const r = await buildOn('evil-config', d);
    assertRefused(r, `${server.host}/evil-config@${d}`, `config.digest "sha256:../../`, c);
  });

  test('in an index entry: manifests[0].digest', async () => {
    const c = canary('index');
    const d = hostIndex(server, 'evil-index', [
      { mediaType: OCI_MANIFEST, digest: c.digest, size: 100, platform: { os: 'linux', architecture: 'amd64' } },
    ]);
    const r = await buildOn('evil-index', d);
    assertRefused(r, `${server.host}/evil-index@${d}`, `manifests[0].digest "sha256:../../`, c);
  });

  test('in the config: rootfs.diff_ids[0]', async () => {
    const c = canary('diffid');
    const img = fakeImage();
    (img.config.rootfs as { diff_ids: string[] }).diff_ids = [c.digest];
    img.configBytes = Buffer.from(JSON.stringify(img.config));
    (img.manifest.config as { digest: string; size: number }).digest = digestOf(img.configBytes);
    (img.manifest.config as { digest: string; size: number }).size = img.configBytes.length;
    const d = hostImage(server, 'evil-diffid', img);
    const r = await buildOn('evil-diffid', d);
    assertRefused(r, `${server.host}/evil-diffid@${d}`, `rootfs.diff_ids[0] "sha256:../../`, c);
  });

  test('a base config whose variant is a path (it names the SBOM file beside the layout): refused, canary untouched', async () => {
    const c = canary('variant.spdx.json');
    const img = fakeImage();
    img.config.variant = `${'../'.repeat(24)}${c.path.slice(1, -'.spdx.json'.length)}`;
    img.configBytes = Buffer.from(JSON.stringify(img.config));
    (img.manifest.config as { digest: string; size: number }).digest = digestOf(img.configBytes);
    (img.manifest.config as { digest: string; size: number }).size = img.configBytes.length;
    const d = hostImage(server, 'evil-variant', img);
    const r = await buildOn('evil-variant', d);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(!r.message.includes('\n'));
    assert.match(r.message, new RegExp(`${server.host}/evil-variant@${d}: config sha256:[0-9a-f]{64}: variant "\\.\\./\\.\\./.*" is not a platform word`));
    assert.equal(readFileSync(c.path, 'utf8'), CANARY_TEXT, 'canary still there, unchanged');
  });

  test('a base whose layer is named by sha512 builds; the layer is verified with sha512 and kept under blobs/sha512', async () => {
    const img = fakeImage();
    const d512 = `sha512:${createHash('sha512').update(img.layer).digest('hex')}`;
    (img.manifest.layers as Array<{ digest: string }>)[0]!.digest = d512;
    const d = hostImage(server, 'five12', img);
    server.routes.set(`/v2/five12/blobs/${d512}`, serve(img.layer));
    const r = await buildOn('five12', d);
    assert.equal(r.code, 0, r.stderr);
    const layout = join(r.root, '.oci-build', 'bin', 'host', 'app', 'img');
    assert.deepEqual(readFileSync(join(layout, 'blobs', 'sha512', d512.slice(7))), img.layer);
    // The same digest with other bytes behind it is refused.
    const lying = fakeImage();
    (lying.manifest.layers as Array<{ digest: string }>)[0]!.digest = d512;
    lying.layer = Buffer.alloc(1024, 1);
    const d2 = hostImage(server, 'five12-lie', lying);
    server.routes.set(`/v2/five12-lie/blobs/${d512}`, serve(lying.layer));
    const r2 = await buildOn('five12-lie', d2);
    assert.equal(r2.code, 1);
    assert.match(r2.message, new RegExp(`content mismatch: expected ${d512} \\(1024 bytes\\), got sha512:`));
  });

  test('the same base with honest digests builds (the refusals above are about the digests)', async () => {
    const img = fakeImage();
    const d = hostImage(server, 'honest', img);
    const r = await buildOn('honest', d);
    assert.equal(r.code, 0, r.stderr);
  });
});
