// rules_oci attributes given as labels of files: labels/annotations/env as key=value lines,
// entrypoint/cmd/remote_tags one per line, created, repository_file — from write_file,
// expand_template or checked-in files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../../src/pipeline.ts';

test('oci_image and oci_load read file-valued attributes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'filevals-'));
  writeFileSync(join(root, 'MODULE.bazel'), '');
  mkdirSync(join(root, 'app'));
  writeFileSync(join(root, 'app', 'labels.txt'), 'org.opencontainers.image.version=1.2.3\nteam=infra\n');
  writeFileSync(
    join(root, 'app', 'BUILD.bazel'),
    `load("@rules_oci//oci:defs.bzl", "oci_image", "oci_load")
load("@bazel_skylib//rules:write_file.bzl", "write_file")
load("@aspect_bazel_lib//lib:expand_template.bzl", "expand_template")

write_file(name = "env", out = "env.txt", content = ["A=1", "B=two words"])
write_file(name = "created", out = "created.txt", content = ["2024-05-06T07:08:09Z"])
write_file(name = "entry", out = "entry.txt", content = ["/bin/app", "--flag"])
expand_template(
    name = "annotations",
    out = "annotations.txt",
    template = ["org.opencontainers.image.revision=REV"],
    substitutions = {"REV": "abc123"},
)

oci_image(
    name = "image",
    os = "linux",
    architecture = "arm64",
    variant = "v8",
    labels = "labels.txt",
    env = ":env",
    annotations = ":annotations",
    created = ":created",
    entrypoint = ":entry",
    exposed_ports = ["8080", "53/udp"],
    volumes = ["/data"],
    workdir = "/srv",
    user = "1000",
)
`,
  );
  const out = join(root, 'out');
  const result = await runPipeline({ cwd: root, targets: ['//app:image'], outputDir: out, load: false, log: { info: () => {}, warning: () => {} } });
  const r = result.reports[0];
  assert.ok(r?.layout);
  const index = JSON.parse(readFileSync(join(r.layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const blob = (d: string) => JSON.parse(readFileSync(join(r.layout ?? '', 'blobs', 'sha256', d.slice(7)), 'utf8'));
  const manifest = blob(index.manifests[0]?.digest ?? '') as { annotations: Record<string, string>; config: { digest: string } };
  assert.deepEqual(manifest.annotations, { 'org.opencontainers.image.revision': 'abc123' });
  const config = blob(manifest.config.digest) as {
    created: string;
    architecture: string;
    variant: string;
    config: Record<string, unknown>;
  };
  assert.equal(config.created, '2024-05-06T07:08:09Z');
  assert.equal(config.architecture, 'arm64');
  assert.equal(config.variant, 'v8');
  assert.deepEqual(config.config, {
    User: '1000',
    ExposedPorts: { '8080': {}, '53/udp': {} },
    Env: ['A=1', 'B=two words'],
    Entrypoint: ['/bin/app', '--flag'],
    Volumes: { '/data': {} },
    WorkingDir: '/srv',
    Labels: { 'org.opencontainers.image.version': '1.2.3', team: 'infra' },
  });
});

test('labels and annotations from the action inputs reach every image and index', async () => {
  const root = mkdtempSync(join(tmpdir(), 'metadata-'));
  writeFileSync(join(root, 'MODULE.bazel'), '');
  mkdirSync(join(root, 'app'));
  writeFileSync(
    join(root, 'app', 'BUILD.bazel'),
    `load("@rules_oci//oci:defs.bzl", "oci_image", "oci_image_index")
[oci_image(name = "i_" + a, os = "linux", architecture = a, labels = {"rule": "yes", "title": "rule"}) for a in ["amd64", "arm64"]]
oci_image_index(name = "index", images = [":i_amd64", ":i_arm64"])
`,
  );
  const out = join(root, 'out');
  const result = await runPipeline({
    cwd: root,
    targets: ['//app:index'],
    outputDir: out,
    load: false,
    metadata: { labels: { title: 'input' }, manifestAnnotations: { 'org.opencontainers.image.source': 'https://x' }, indexAnnotations: { level: 'index' } },
    log: { info: () => {}, warning: () => {} },
  });
  const layout = result.reports[0]?.layout ?? '';
  const blob = (d: string) => JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', d.slice(7)), 'utf8'));
  const top = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const index = blob(top.manifests[0]?.digest ?? '') as { annotations: Record<string, string>; manifests: Array<{ digest: string }> };
  assert.deepEqual(index.annotations, { level: 'index' });
  for (const m of index.manifests) {
    const manifest = blob(m.digest) as { annotations: Record<string, string>; config: { digest: string } };
    assert.deepEqual(manifest.annotations, { 'org.opencontainers.image.source': 'https://x' });
    assert.deepEqual((blob(manifest.config.digest) as { config: { Labels: Record<string, string> } }).config.Labels, { rule: 'yes', title: 'input' });
  }
});
