// verify-reproducible: the example builds to the same digests twice (separate blob stores, the
// second with an empty Go build cache); a layer stamped with the build time does not, and the
// failure names the target and the blob.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { verifyReproducible } from '../../src/verify.ts';
import { runCommand } from '../helpers/run.ts';
import { collectLog, exampleWorkspace, repoRoot } from './workspace.ts';

const BUILD = `
load("@aspect_bazel_lib//lib:expand_template.bzl", "expand_template")

# Stamped with BUILD_TIMESTAMP (the current time without SOURCE_DATE_EPOCH): not reproducible.
expand_template(
    name = "built_at",
    out = "built_at.txt",
    template = "built_at.tmpl",
    stamp = 1,
    stamp_substitutions = {"@TIME@": "{{BUILD_TIMESTAMP}}"},
)

pkg_tar(
    name = "pkg_built_at",
    srcs = [":built_at"],
)

oci_image(
    name = "stamped",
    base = ":image_amd64",
    tars = [":pkg_built_at"],
)
`;

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  delete e.SOURCE_DATE_EPOCH;
  return e;
}

test('the example is reproducible', async () => {
  const root = exampleWorkspace('supply-repro', BUILD);
  const log = collectLog();
  const r = await verifyReproducible({ cwd: root, targets: ['//apps/hello_world:image_amd64'], load: false, log, env: env() });
  assert.equal(r.targets, 1);
  assert.ok(log.infos.some((m) => /^reproducible: 1 target\(s\) built twice/.test(m)), log.infos.join('\n'));
});

test('a build-time stamp is caught, naming the target and the layer', async () => {
  const root = exampleWorkspace('supply-repro-bad', BUILD);
  writeFileSync(join(root, 'apps', 'hello_world', 'built_at.tmpl'), 'built at @TIME@\n');
  await assert.rejects(
    verifyReproducible(
      // No delay of our own: verify must start the second build in a later second than the first
      // one ended (BUILD_TIMESTAMP has a resolution of one second, and is read when needed).
      { cwd: root, targets: ['//apps/hello_world:stamped', '//apps/hello_world:image_amd64'], load: false, log: collectLog(), env: env() },
    ),
    (err: Error) => {
      assert.match(err.message, /^not reproducible: 1 of 2 target\(s\) built twice gave different digests\n/);
      assert.match(err.message, /\n {2}\/\/apps\/hello_world:stamped: layer 2 differs \(sha256:[0-9a-f]{12}… vs sha256:[0-9a-f]{12}…\)/);
      assert.ok(!err.message.includes('image_amd64'), err.message);
      return true;
    },
  );
});

test('CLI --verify-reproducible fails with the summary', async () => {
  const root = exampleWorkspace('supply-repro-cli', BUILD);
  writeFileSync(join(root, 'apps', 'hello_world', 'built_at.tmpl'), 'built at @TIME@\n');
  const res = await runCommand(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'build', '--verify-reproducible', '-C', root, '-o', mkdtempSync(join(tmpdir(), 'cli-out-')), '//apps/hello_world:stamped'], { env: env() });
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stderr, /oci-build: error: not reproducible: 1 of 1 target\(s\) built twice gave different digests\n/);
  // The config differs through the layer's diff_id; the layer is the cause.
  assert.match(res.stderr, /\n {2}\/\/apps\/hello_world:stamped: config differs \(/);
  assert.match(res.stderr, /\n {2}\/\/apps\/hello_world:stamped: layer 2 differs \(/);
});

test('action input verify-reproducible fails the step with the summary', async () => {
  const root = exampleWorkspace('supply-repro-action', BUILD);
  writeFileSync(join(root, 'apps', 'hello_world', 'built_at.tmpl'), 'built at @TIME@\n');
  const res = await runCommand(process.execPath, [join(repoRoot, 'dist', 'index.js')], {
    env: {
      ...env(),
      INPUT_TARGETS: '//apps/hello_world:stamped',
      'INPUT_WORKING-DIRECTORY': root,
      'INPUT_VERIFY-REPRODUCIBLE': 'true',
      INPUT_CACHE: 'false',
      GITHUB_OUTPUT: join(mkdtempSync(join(tmpdir(), 'gh-out-')), 'out'),
    },
  });
  assert.equal(res.code, 1, res.stdout + res.stderr);
  // Workflow commands escape newlines as %0A.
  assert.match(res.stdout, /::error[^\n]*not reproducible: 1 of 1 target\(s\)[^\n]*%0A {2}\/\/apps\/hello_world:stamped: config differs[^\n]*%0A {2}\/\/apps\/hello_world:stamped: layer 2 differs/);
});
