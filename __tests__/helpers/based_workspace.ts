// The example monorepo plus a based image (`//apps/hello_world:image_based`, pushed by
// `:push`, loaded by `:load_based`), with the seeded base pinned by digest in MODULE.bazel.
import { appendFileSync, cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SeededBase } from './seed.ts';

const repoRoot = join(import.meta.dirname, '..', '..');

/** The example monorepo plus a based image, with the seeded base pinned by digest in MODULE.bazel. */
export function basedWorkspace(seed: SeededBase, family: 'oci' | 'docker', pushTo: string, baseImage?: string): string {
  const root = mkdtempSync(join(tmpdir(), 'push-ws-'));
  cpSync(join(repoRoot, 'examples', 'monorepo'), root, { recursive: true, filter: (src) => !src.includes('.oci-build') });
  const base = seed[family];
  addBasedImage(root, { indexDigest: base.indexDigest, image: baseImage ?? base.image }, pushTo, { name: 'load_based', image: ':image_based', tag: 'hello-based:latest' });
  return root;
}

/**
 * Adds to a copy of the example monorepo at `root`: the base pulled by digest in MODULE.bazel, and in
 * apps/hello_world an image on it whose binary follows the configuration (`:image_based`), pushed to
 * `pushTo` by `:push`, and an oci_load `load` of the image it names.
 */
export function addBasedImage(root: string, base: { indexDigest: string; image: string }, pushTo: string, load: { name: string; image: string; tag: string }): void {
  appendFileSync(
    join(root, 'MODULE.bazel'),
    `
oci = use_extension("@rules_oci//oci:extensions.bzl", "oci")
oci.pull(
    name = "base",
    digest = "${base.indexDigest}",
    image = "${base.image}",
    platforms = ["linux/amd64", "linux/arm64"],
)
use_repo(oci, "base", "base_linux_amd64", "base_linux_arm64")
`,
  );
  appendFileSync(
    join(root, 'apps', 'hello_world', 'BUILD.bazel'),
    `
load("@rules_oci//oci:defs.bzl", "oci_load", "oci_push")

# goos/goarch "auto": the binary follows the configuration's platform.
go_binary(
    name = "hello_world_auto",
    embed = [":hello_world_lib"],
    pure = "on",
)

pkg_tar(
    name = "pkg_auto",
    srcs = [":hello_world_auto"],
    package_dir = "/app",
)

oci_image(
    name = "image_based",
    base = "@base",
    entrypoint = ["/app/hello_world_auto"],
    tars = [":pkg_auto"],
    user = "65532",
)

oci_push(
    name = "push",
    image = ":image_based",
    remote_tags = ["latest"],
    repository = "${pushTo}",
)

oci_load(
    name = "${load.name}",
    image = "${load.image}",
    repo_tags = ["${load.tag}"],
)
`,
  );
}
