// Bundles the action, its post step and the CLI into dist/ as ESM. Deterministic: same sources, same bytes.
import { build } from 'esbuild';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launcher } from './lib/launcher.mjs';
import { licenseNotices } from './lib/licenses.mjs';

const outDir = process.argv[2] ?? 'dist';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  legalComments: 'none',
  logLevel: 'warning',
  // Which node_modules files went in: dist/licenses.txt names their packages.
  metafile: true,
  // Libraries compare error class names (@actions/cache's ReserveCacheError): keep them.
  keepNames: true,
  // Some CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __ociCreateRequire } from 'node:module';\nconst require = __ociCreateRequire(import.meta.url);" },
};

const results = [
  await build({ ...common, entryPoints: ['src/index.ts'], outfile: join(outDir, 'index-main.js') }),
  // The post step (action.yml runs.post): saves the caches the main step restored.
  await build({ ...common, entryPoints: ['src/action/post.ts'], outfile: join(outDir, 'post.js') }),
  await build({ ...common, entryPoints: ['src/cli.ts'], outfile: join(outDir, 'cli-main.js') }),
];
// The entry points are small launchers written for any Node: on a Node older than 24 the bundles
// fail late (undici 8 on the first registry or Docker request) with a stack trace; the launcher
// says what to do instead before loading them.
writeFileSync(join(outDir, 'index.js'), launcher('action', './index-main.js'));
writeFileSync(join(outDir, 'cli.js'), launcher('cli', './cli-main.js'));
chmodSync(join(outDir, 'cli.js'), 0o755);
writeFileSync(join(outDir, 'licenses.txt'), licenseNotices(results.flatMap((r) => Object.keys(r.metafile.inputs))));
