// Times analysis alone, in a fresh process as the CLI does it: loading the BUILD/.bzl/MODULE
// files, expanding the targets and analysing each (per platform when platforms are given, as
// the pipeline's platforms option fans an oci_push's image out). Prints JSON on stdout.
//
//   node bench/lib/analyze.ts DIR PLATFORMS(comma-separated or "-") TARGET…
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine.ts';
import { HOST_CONFIG, withPlatform } from '../../src/engine/config.ts';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { parsePlatform } from '../../src/oci/platform.ts';
import { Workspace } from '../../src/workspace/workspace.ts';
import { ruleFor } from '../../src/rules/index.ts';

const [dir, platformsArg, ...targets] = process.argv.slice(2);
if (!dir || !platformsArg || targets.length === 0) throw new Error('usage: analyze.ts DIR PLATFORMS TARGET…');
const platforms = platformsArg === '-' ? [] : platformsArg.split(',').map(parsePlatform);
const scratch = mkdtempSync(join(tmpdir(), 'oci-build-analyze-'));
try {
  const log = { info: () => {}, warning: (m: string) => process.stderr.write(`${m}\n`) };
  const t0 = performance.now();
  const ws = new Workspace(dir, { rules: ruleFor, log, flags: { compilation_mode: 'fastbuild' } });
  const engine = new Engine({
    workspace: ws,
    outRoot: scratch,
    store: new BlobStore(join(scratch, 'store')),
    log,
    env: process.env,
    goToolchain: async () => {
      throw new Error('analysis only');
    },
    registries: undefined as never,
  });
  let configured = 0;
  for (const r of targets.flatMap((t) => ws.expandPattern(t, ''))) {
    const node = engine.analyze(r.label, HOST_CONFIG);
    configured++;
    const image = node.target?.kind === 'oci_push' ? node.attrs?.label('image') : undefined;
    if (image) for (const p of platforms) (engine.analyze(image, withPlatform(p)), configured++);
  }
  const ms = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ ms, targets: targets.length, configured })}\n`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
