// Issue 16 points 5 and 9, with a seeded base in a real registry and the real dockerd:
// - an oci.pull of one platform's manifest, without `platforms`, gives the image its platform
//   (a per-arch base), and the ELF check still stops a binary of another architecture;
// - a layer holding opt/app/app with no opt/ entry, in an image run as 65532, warns with the fix,
//   and Docker really refuses to run it (`permission denied`), while the fixed layer runs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type PipelineOptions } from '../../src/pipeline.ts';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { seedBaseImages, type SeededBase } from '../helpers/seed.ts';
import { docker, requireDocker } from '../helpers/docker.ts';

const example = join(import.meta.dirname, '..', '..', 'examples', 'stamping');
const NOPARENTS_TAG = 'oci-build-test/noparents:latest';
const WITHPARENTS_TAG = 'oci-build-test/withparents:latest';

function workspace(seed: SeededBase): string {
  const root = mkdtempSync(join(tmpdir(), 'base-platform-'));
  cpSync(example, root, { recursive: true });
  const img = seed.oci;
  appendFileSync(
    join(root, 'MODULE.bazel'),
    `
oci = use_extension("@rules_oci//oci:extensions.bzl", "oci")
# One platform's manifest each, no platforms attribute: the per-arch base pattern.
oci.pull(name = "base_arm64", digest = "${img.platforms['linux/arm64'].manifestDigest}", image = "${img.image}")
oci.pull(name = "base_amd64", digest = "${img.platforms['linux/amd64'].manifestDigest}", image = "${img.image}")
# A moving tag on purpose: no reproducibility warning.
oci.pull(name = "quiet", image = "${seed.docker.image}", platforms = ["linux/amd64", "linux/arm64"], reproducible = False, tag = "latest")
use_repo(oci, "base_arm64", "base_amd64", "quiet")
`,
  );
  appendFileSync(
    join(root, 'app', 'BUILD.bazel'),
    `
load("@aspect_bazel_lib//lib:tar.bzl", "tar")
load("@rules_oci//oci:defs.bzl", "oci_load")

go_binary(name = "app_arm64", srcs = ["main.go"], goarch = "arm64", goos = "linux", pure = "on")

pkg_tar(name = "layer_arm64", srcs = [":app_arm64"], package_dir = "/app")

oci_image(name = "on_arm64_base", base = "@base_arm64", entrypoint = ["/app/app_arm64"], tars = [":layer_arm64"])

# A host binary on the arm64 base.
oci_image(name = "mismatch", base = "@base_arm64", entrypoint = ["/app/app"], tars = [":layer"])

tar(
    name = "noparents",
    srcs = [":app"],
    mtree = ["opt/app/app uid=0 gid=0 mode=0755 time=0 type=file content=$(execpath :app)"],
)

tar(
    name = "withparents",
    srcs = [":app"],
    mtree = [
        "opt uid=0 gid=0 mode=0755 time=0 type=dir",
        "opt/app uid=0 gid=0 mode=0755 time=0 type=dir",
        "opt/app/app uid=0 gid=0 mode=0755 time=0 type=file content=$(execpath :app)",
    ],
)

oci_image(name = "on_quiet", base = "@quiet", entrypoint = ["/app/app"], tars = [":layer"])

# /tmp is in the base's layer: no warning for tmp/app without tmp/.
tar(
    name = "inbase",
    srcs = [":app"],
    mtree = ["tmp/app uid=0 gid=0 mode=0755 time=0 type=file content=$(execpath :app)"],
)

oci_image(name = "inbase_image", base = "@base_amd64", entrypoint = ["/tmp/app"], tars = [":inbase"], user = "65532")

oci_image(name = "noparents_image", base = "@base_amd64", entrypoint = ["/opt/app/app"], tars = [":noparents"], user = "65532")

oci_image(name = "withparents_image", base = "@base_amd64", entrypoint = ["/opt/app/app"], tars = [":withparents"], user = "65532")

oci_load(name = "noparents_load", image = ":noparents_image", repo_tags = ["${NOPARENTS_TAG}"])

oci_load(name = "withparents_load", image = ":withparents_image", repo_tags = ["${WITHPARENTS_TAG}"])
`,
  );
  return root;
}

describe('per-arch bases and missing parent directories', () => {
  let registry: TestRegistry;
  let seed: SeededBase;
  let root: string;
  const logs: string[] = [];

  before(async () => {
    await requireDocker();
    registry = await startRegistry({ mode: 'anonymous' });
    seed = await seedBaseImages(registry.host);
    root = workspace(seed);
  });
  after(async () => {
    await registry?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
    await docker('rmi', '-f', NOPARENTS_TAG, WITHPARENTS_TAG).catch(() => '');
  });

  function options(targets: string[], extra: Partial<PipelineOptions> = {}): PipelineOptions {
    return {
      cwd: root,
      targets,
      outputDir: join(root, 'out'),
      load: false,
      log: { info: (m) => logs.push(m), warning: (m) => logs.push(`warning: ${m}`) },
      env: { ...process.env, SOURCE_DATE_EPOCH: '0' },
      sbom: false,
      ...extra,
    };
  }

  test('a base pulled without platforms keeps its platform (linux/arm64 on this host), and the ELF check still holds', async () => {
    const result = await runPipeline(options(['//app:on_arm64_base']));
    assert.deepEqual(result.reports[0]?.platforms, ['linux/arm64']);
    await assert.rejects(runPipeline(options(['//app:mismatch'])), /\/\/app:mismatch: \/app\/app is an? .*x86-64.* binary, but the image is linux\/arm64/);
  });

  test('reproducible = False: a base by tag builds without the reproducibility warning', async () => {
    logs.length = 0;
    const result = await runPipeline(options(['//app:on_quiet']));
    assert.equal(result.reports[0]?.action, 'built');
    assert.deepEqual(logs.filter((l) => l.startsWith('warning:')), []);
  });

  test('opt/app/app without opt/ under user 65532: a warning with the fix, and Docker denies it; the fixed layer runs', async () => {
    logs.length = 0;
    await runPipeline(options(['//app:noparents_load', '//app:withparents_load', '//app:inbase_image'], { load: true }));
    const warnings = logs.filter((l) => l.startsWith('warning: //app:'));
    assert.deepEqual(warnings, [
      'warning: //app:noparents_image: /opt has no directory entry in any layer (a layer holds opt/app/app) and no lower layer has it: ' +
        `Docker's classic image store creates it as mode 0600 owned by root, so user 65532 gets "permission denied" on /opt/app/app. ` +
        'Add the directories: mtree lines "opt type=dir mode=0755", "opt/app type=dir mode=0755" (tar), or empty_dirs = ["opt", "opt/app"] (pkg_tar)',
    ]);
    assert.equal((await docker('run', '--rm', '--network=none', WITHPARENTS_TAG)).trim(), 'version=dev commit=none name=unset flavor=plain');
    await assert.rejects(docker('run', '--rm', '--network=none', NOPARENTS_TAG), (err: Error & { stderr?: string }) => {
      assert.match(`${err.message}\n${err.stderr ?? ''}`, /\/opt\/app\/app[^\n]*permission denied/);
      return true;
    });
  });
});
