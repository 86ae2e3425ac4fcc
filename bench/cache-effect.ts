// What the action's caches save: the example's multi-arch push with empty caches (a fresh runner:
// empty Go build cache, empty blob store) and then with them warm (what the cache step restores).
// Needs a Docker daemon for seeding the base (scripts/services start; source its env), then:
//   node_modules/.bin/node bench/cache-effect.ts
import { cpSync, mkdtempSync, appendFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../src/pipeline.ts';
import { parsePlatform } from '../src/oci/platform.ts';
import { startRegistry } from '../__tests__/helpers/registry.ts';
import { seedBaseImages } from '../__tests__/helpers/seed.ts';

const registry = await startRegistry({ mode: 'anonymous' });
const seed = await seedBaseImages(registry.host);
const root = mkdtempSync(join(tmpdir(), 'cache-effect-'));
cpSync(join(import.meta.dirname, '..', 'examples', 'monorepo'), root, { recursive: true, filter: (s) => !s.includes('.oci-build') });
appendFileSync(join(root, 'MODULE.bazel'), `\noci = use_extension("@rules_oci//oci:extensions.bzl", "oci")\noci.pull(name = "base", digest = "${seed.oci.indexDigest}", image = "${seed.oci.image}")\nuse_repo(oci, "base")\n`);
appendFileSync(join(root, 'apps/hello_world/BUILD.bazel'), `\nload("@rules_oci//oci:defs.bzl", "oci_push")\ngo_binary(name = "auto", embed = [":hello_world_lib"], pure = "on")\npkg_tar(name = "pkg_auto", srcs = [":auto"])\noci_image(name = "based", base = "@base", entrypoint = ["/auto"], tars = [":pkg_auto"])\noci_push(name = "push", image = ":based", repository = "${registry.host}/hello", remote_tags = ["latest"])\n`);
const gocache = mkdtempSync(join(tmpdir(), 'gocache-'));
const out = join(root, 'out');
const env = { ...process.env, GOCACHE: gocache };
const platforms = [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')];
const quiet = { info: () => {}, warning: () => {} };
for (const label of ['cold (empty Go build cache and blob store)', 'warm (caches restored)', 'warm, source changed']) {
  if (label.startsWith('warm, source')) appendFileSync(join(root, 'apps/hello_world/main.go'), `\nfunc init() {\n\tif runtime.NumCPU() > 1<<20 {\n\t\tprintln("${Date.now()}")\n\t}\n}\n`);
  const t = performance.now();
  const r = await runPipeline({ cwd: root, targets: ['//apps/hello_world:push'], outputDir: out, load: false, platforms, env, log: quiet });
  console.log(`${label}: ${((performance.now() - t) / 1000).toFixed(2)} s, blobs ${JSON.stringify(r.reports[0]?.blobs)}`);
}
rmSync(gocache, { recursive: true, force: true });
await registry.stop();
