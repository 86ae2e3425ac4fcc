// Push the example multi-arch image twice to a loopback htpasswd registry and print times and blob
// counts. Run with a Docker daemon up (scripts/services start; source /tmp/oci-build-services/env):
//   node_modules/.bin/node bench/push-twice.ts
import { cpSync, mkdtempSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../src/pipeline.ts';
import { parsePlatform } from '../src/oci/platform.ts';
import { startRegistry, USERS } from '../__tests__/helpers/registry.ts';
import { seedBaseImages } from '../__tests__/helpers/seed.ts';

const registry = await startRegistry({ mode: 'htpasswd' });
const seed = await seedBaseImages(registry.host, { creds: { username: 'pusher', password: USERS.pusher ?? '' } });
const root = mkdtempSync(join(tmpdir(), 'measure-'));
cpSync(join(import.meta.dirname, '..', 'examples', 'monorepo'), root, { recursive: true, filter: (s) => !s.includes('.oci-build') });
appendFileSync(join(root, 'MODULE.bazel'), `\noci = use_extension("@rules_oci//oci:extensions.bzl", "oci")\noci.pull(name = "base", digest = "${seed.oci.indexDigest}", image = "${seed.oci.image}")\nuse_repo(oci, "base")\n`);
appendFileSync(join(root, 'apps/hello_world/BUILD.bazel'), `\nload("@rules_oci//oci:defs.bzl", "oci_push")\ngo_binary(name = "auto", embed = [":hello_world_lib"], pure = "on")\npkg_tar(name = "pkg_auto", srcs = [":auto"])\noci_image(name = "based", base = "@base", entrypoint = ["/auto"], tars = [":pkg_auto"])\noci_push(name = "push", image = ":based", repository = "${registry.host}/hello", remote_tags = ["latest"])\n`);
const opts = (out: string) => ({ cwd: root, targets: ['//apps/hello_world:push'], outputDir: join(root, out), load: false, platforms: [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')], credentials: [{ registry: registry.host, username: 'pusher', password: USERS.pusher ?? '' }], log: { info: () => {}, warning: () => {} } });
for (const [i, out] of ['out1', 'out1', 'out2'].entries()) {
  const t = performance.now();
  const r = await runPipeline(opts(out));
  const rep = r.reports[0];
  console.log(`run ${i + 1} (${out}): ${((performance.now() - t) / 1000).toFixed(2)} s, digest ${rep?.digest?.slice(0, 19)}, blobs ${JSON.stringify(rep?.blobs)}`);
}
await registry.stop();
