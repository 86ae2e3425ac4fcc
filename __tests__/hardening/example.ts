// The multi-arch example (examples/monorepo's //apps/hello_world:image, an index of linux/amd64
// and linux/arm64 images from scratch) in a temporary copy, with an oci_push target added.
import { appendFileSync, cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Descriptor } from '../../src/oci/types.ts';
import type { PipelineResult, TargetReport } from '../../src/pipeline.ts';
import { tempDirSync } from '../helpers/tmp.ts';

export const repoRoot = join(import.meta.dirname, '..', '..');

export function exampleWorkspace(pushTo: string, tags: string[] = ['latest']): string {
  const root = tempDirSync('hardening-ex-');
  cpSync(join(repoRoot, 'examples', 'monorepo'), root, { recursive: true, filter: (src) => !src.includes('.oci-build') });
  appendFileSync(
    join(root, 'apps', 'hello_world', 'BUILD.bazel'),
    `
load("@rules_oci//oci:defs.bzl", "oci_push")

oci_push(
    name = "push",
    image = ":image",
    remote_tags = ${JSON.stringify(tags)},
    repository = "${pushTo}",
)
`,
  );
  return root;
}

export function reportOf(result: PipelineResult, label: string): TargetReport {
  const r = result.reports.find((x) => x.label === label);
  if (!r) throw new Error(`no report for ${label}`);
  return r;
}

/** The root descriptor of an OCI image layout written by the pipeline. */
export function layoutRoot(layout: string): Descriptor {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const d = index.manifests[0];
  if (!d) throw new Error(`${layout}: empty index.json`);
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

export const quietLog = { info: () => {}, warning: () => {} };
