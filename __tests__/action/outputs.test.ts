// Outputs that tell the truth: imageid for an index, push options that would push nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionOutputs } from '../../src/action/outputs.ts';
import { runPipeline, type TargetReport } from '../../src/pipeline.ts';

const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function report(over: Partial<TargetReport>): TargetReport {
  return { label: '//a:x', kind: 'oci_image', action: 'built', platforms: [], tags: [], references: [], ...over };
}

test('imageid is the config digest of an image and the digest of an index (as buildx writes its iidfile)', () => {
  const image = report({ digest: 'sha256:aaa', mediaType: MANIFEST, imageId: 'sha256:cfg' });
  const index = report({ kind: 'oci_image_index', digest: 'sha256:idx', mediaType: INDEX });
  const result = (reports: TargetReport[]) => actionOutputs({ workspaceRoot: '/w', outputDir: '/w/.oci-build', reports });
  assert.equal(result([image]).imageid, 'sha256:cfg');
  assert.equal(result([image, index]).imageid, 'sha256:idx');
  assert.equal(result([index, image]).imageid, 'sha256:cfg');
  assert.equal(result([report({})]).imageid, '');
  const pushed = report({ kind: 'oci_push', action: 'pushed', digest: 'sha256:idx', mediaType: INDEX, references: ['ghcr.io/o/app@sha256:idx'], tags: ['ghcr.io/o/app:v1'] });
  const out = result([pushed]);
  assert.deepEqual(
    { imageid: out.imageid, digest: out.digest, name: out['subject-name'], subject: out['subject-digest'], tags: out.tags, images: out.images },
    { imageid: 'sha256:idx', digest: 'sha256:idx', name: 'ghcr.io/o/app', subject: 'sha256:idx', tags: 'ghcr.io/o/app:v1', images: 'ghcr.io/o/app:v1\nghcr.io/o/app@sha256:idx' },
  );
});

test('repository or tags with no oci_push named is an error naming the targets, before anything is built', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'outputs-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, 'MODULE.bazel'), 'module(name = "t")\n');
  mkdirSync(join(root, 'app'));
  writeFileSync(join(root, 'app', 'f.txt'), 'x\n');
  writeFileSync(
    join(root, 'app', 'BUILD.bazel'),
    `load("@rules_oci//oci:defs.bzl", "oci_image", "oci_load", "oci_push")
load("@rules_pkg//pkg:tar.bzl", "pkg_tar")
pkg_tar(name = "layer", srcs = ["f.txt"])
oci_image(name = "image", os = "linux", architecture = "amd64", tars = [":layer"])
oci_load(name = "load", image = ":image", repo_tags = ["a:b"])
oci_push(name = "push", image = ":image", repository = "localhost:1/x")
`,
  );
  const quiet = { info: () => {}, warning: () => {} };
  const base = { cwd: root, load: false, push: false, log: quiet, outputDir: join(root, 'out') };
  await assert.rejects(runPipeline({ ...base, targets: ['//app:image', '//app:load'], repository: 'localhost:1/y', pushOptionNames: '--repository and -t' }), {
    message:
      '--repository and -t apply to oci_push targets, but //app:image is an oci_image, //app:load is an oci_load: name the oci_push target that pushes the image (its "image" attribute), or drop them',
  });
  await assert.rejects(runPipeline({ ...base, targets: ['//app/...'], tags: ['v1'] }), {
    message: /^repository and tags apply to oci_push targets, but only patterns were given, and patterns only build: /,
  });
  // With the oci_push named, the same options are fine (built only here: push is off).
  const ok = await runPipeline({ ...base, targets: ['//app:image', '//app:push'], tags: ['v1'] });
  assert.deepEqual(ok.reports.map((r) => `${r.label} ${r.action}`), ['//app:image built', '//app:push built']);
});
