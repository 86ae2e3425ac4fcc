// Several oci_push targets in one run: each is pushed once it is built (not grouped, since their
// logs interleave), every image lands whole; when one build fails, the run fails with that
// build's error and names exactly the targets already pushed (each of them whole in the registry).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../../src/pipeline.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';

let registry: TestRegistry;
before(async () => {
  registry = await startRegistry({ mode: 'anonymous' });
});
after(async () => {
  await registry?.stop();
});

function workspace(services: Record<string, string>, binAttrs: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'publish-overlap-'));
  writeFileSync(join(root, 'MODULE.bazel'), 'module(name = "overlap")\n');
  writeFileSync(join(root, 'BUILD.bazel'), '');
  writeFileSync(join(root, 'go.mod'), 'module example.com/overlap\n\ngo 1.23\n');
  for (const [name, body] of Object.entries(services)) {
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, 'main.go'), `package main\n\nimport "fmt"\n\nfunc main() { ${body} }\n`);
    writeFileSync(
      join(root, name, 'BUILD.bazel'),
      `load("@rules_go//go:def.bzl", "go_binary")
load("@rules_pkg//:pkg.bzl", "pkg_tar")
load("@rules_oci//oci:defs.bzl", "oci_image", "oci_push")
go_binary(name = "bin", srcs = ["main.go"], goos = "linux", goarch = "amd64", pure = "on"${binAttrs[name] ?? ''})
pkg_tar(name = "layer", srcs = [":bin"])
oci_image(name = "image", os = "linux", architecture = "amd64", entrypoint = ["/bin"], tars = [":layer"])
oci_push(name = "push", image = ":image", repository = "${registry.host}/overlap/${name}", remote_tags = ["latest"])
`,
    );
  }
  return root;
}

async function tagged(name: string): Promise<string | undefined> {
  const res = await fetch(`${registry.url}/v2/overlap/${name}/manifests/latest`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
  return res.status === 200 ? (res.headers.get('docker-content-digest') ?? '') : undefined;
}

test('several pushes: each pushed once built, reports in the order asked, one group for the phase', async (t) => {
  const root = workspace({ a: 'fmt.Println("a")', b: 'fmt.Println("b")', c: 'fmt.Println("c")' });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const groups: string[] = [];
  const result = await runPipeline({
    cwd: root,
    targets: ['//c:push', '//a:push', '//b:push'],
    load: false,
    push: true,
    sbom: false,
    log: { info: () => {}, warning: () => {} },
    group: async (name, fn) => {
      groups.push(name);
      return fn();
    },
  });
  assert.deepEqual(result.reports.map((r) => r.label), ['//c:push', '//a:push', '//b:push']);
  for (const r of result.reports) {
    assert.equal(r.action, 'pushed');
    const name = r.label.slice(2, 3);
    assert.equal(await tagged(name), r.digest, `${r.label} is tagged with the digest it reports`);
  }
  assert.deepEqual(groups, ['Analysing BUILD targets', 'Building and publishing'], 'no per-push groups while pushes interleave');
});

test('one build fails: the run fails with its error and names exactly what was pushed', async (t) => {
  // Other tags: the failing binary is built by its own go build, so the others can be pushed.
  const root = workspace({ d: 'fmt.Println("d")', e: 'fmt.Println("e")', bad: 'fmt.Println(undefinedName)' }, { bad: ', gotags = ["bad"]' });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const warnings: string[] = [];
  await assert.rejects(
    runPipeline({
      cwd: root,
      targets: ['//d:push', '//bad:push', '//e:push'],
      load: false,
      push: true,
      sbom: false,
      log: { info: () => {}, warning: (m) => warnings.push(m) },
    }),
    /bad:bin: go build failed[\s\S]*undefinedName/,
  );
  const named = new Set((warnings.find((w) => w.startsWith('published before the failure: ')) ?? '').replace('published before the failure: ', '').split(' ').filter(Boolean));
  for (const name of ['d', 'e']) {
    const digest = await tagged(name);
    assert.equal(digest !== undefined, named.has(`//${name}:push`), `//${name}:push is tagged exactly when the failure names it as pushed (${[...named].join(' ')})`);
  }
  assert.equal(await tagged('bad'), undefined);
});
