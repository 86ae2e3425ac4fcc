// The README's snippets run as written: each BUILD snippet, copied into the example file its first
// line names, builds; every target the README's workflows name exists in an example; and the push
// example (examples/push, what scripts/example-push runs) pushes against a loopback registry,
// its base's pinned digest being the one //base:push produces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type TargetReport } from '../../src/pipeline.ts';
import { Workspace } from '../../src/workspace/workspace.ts';
import { parseLabel } from '../../src/workspace/label.ts';
import { startRegistry } from '../helpers/registry.ts';
import { ruleFor } from '../../src/rules/index.ts';

const repo = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const quiet = { info: () => {}, warning: () => {} };

function copyExample(t: { after: (fn: () => void) => void }, name: string): string {
  const root = mkdtempSync(join(tmpdir(), `readme-${name}-`));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  cpSync(join(repo, 'examples', name), root, { recursive: true, filter: (src) => !src.includes('.oci-build') });
  return root;
}

function snippets(lang: string): string[] {
  return [...readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] ?? '');
}

test('each BUILD snippet in the README builds in the example file it names', async (t) => {
  const blocks = snippets('python');
  assert.ok(blocks.length >= 2, 'the README has BUILD snippets');
  for (const block of blocks) {
    const m = /^# examples\/([^/]+)\/(\S+\/)?BUILD\.bazel\n/.exec(block);
    assert.ok(m, `a BUILD snippet must start with "# examples/<example>/<package>/BUILD.bazel":\n${block}`);
    const [, example = '', pkgDir = ''] = m;
    const root = copyExample(t, example);
    const pkg = pkgDir.replace(/\/$/, '');
    writeFileSync(join(root, pkg, 'BUILD.bazel'), block);
    // Targets on a base need the base in a registry: analysing them is what the snippet decides;
    // building the rest proves the Go and tar parts.
    const ws = new Workspace(root, { rules: ruleFor, log: quiet });
    const names = [...ws.loadPackage(pkg).targets.keys()];
    assert.ok(names.length > 0);
    const onBase = /base = "@/.test(block);
    const result = await runPipeline({
      cwd: root,
      targets: onBase ? names.filter((n) => !['image', 'push'].includes(n)).map((n) => `//${pkg}:${n}`) : [`//${pkg}:all`],
      load: false,
      push: false,
      sbom: false,
      log: quiet,
    });
    assert.ok(result.reports.length > 0, example);
    assert.ok(result.reports.every((r) => r.action === 'built'), JSON.stringify(result.reports.map((r) => [r.label, r.action])));
  }
});

test('every target the README names exists in an example', () => {
  const labels = new Set([...readme.matchAll(/(?<![\w@:])\/\/[\w/.-]*:[\w.-]+/g)].map((m) => m[0]));
  assert.ok(labels.has('//app:push') && labels.has('//apps/hello_world:image_amd64_load'), [...labels].join(' '));
  const workspaces = ['monorepo', 'push', 'realworld'].map((name) => new Workspace(join(repo, 'examples', name), { rules: ruleFor, log: quiet }));
  const missing = [...labels].filter((text) => {
    // Placeholders in prose (//pkg:image, //app:image in generic error examples) are not targets.
    if (/^\/\/(pkg|app):(image|name|server|nope|img)$/.test(text) || text.startsWith('//pkg')) return false;
    // Go directives (`//go:embed`) are not labels.
    if (text.startsWith('//go:')) return false;
    return !workspaces.some((ws) => {
      try {
        ws.resolve(parseLabel(text));
        return true;
      } catch {
        return false;
      }
    });
  });
  assert.deepEqual(missing, []);
});

test('the push example pushes as written (registry on loopback, its base seeded from //base:push)', async (t) => {
  const registry = await startRegistry({ mode: 'anonymous' });
  t.after(() => registry.stop());
  const root = copyExample(t, 'push');
  // The example's files name localhost:5000 (what scripts/example-push starts); here the port is free.
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
  for (const f of walk(root).filter((p) => /(BUILD|MODULE)\.bazel$/.test(p))) {
    writeFileSync(f, readFileSync(f, 'utf8').replaceAll('localhost:5000', registry.host));
  }
  const env = { ...process.env };
  delete env.SOURCE_DATE_EPOCH;
  const run = async (targets: string[], platforms: string[] = []): Promise<TargetReport> => {
    const result = await runPipeline({
      cwd: root,
      targets,
      load: false,
      push: true,
      log: quiet,
      env,
      platforms: platforms.map((p) => ({ os: 'linux', architecture: p.split('/')[1] ?? '' })),
    });
    return result.reports.at(-1) as TargetReport;
  };
  const base = await run(['//base:push']);
  const pinned = /digest = "(sha256:[0-9a-f]{64})"/.exec(readFileSync(join(repo, 'examples', 'push', 'MODULE.bazel'), 'utf8'))?.[1];
  assert.equal(base.digest, pinned, `examples/push/MODULE.bazel pins ${pinned}, but //base:push builds ${base.digest}: update the pin`);
  const app = await run(['//app:push'], ['linux/amd64', 'linux/arm64']);
  assert.equal(app.action, 'pushed');
  assert.deepEqual(app.platforms, ['linux/amd64', 'linux/arm64']);
  assert.deepEqual(app.tags, [`${registry.host}/example/app:latest`]);
  // The base layer was mounted from the base's repository, not uploaded again.
  assert.ok((app.blobs?.mounted ?? 0) >= 1, JSON.stringify(app.blobs));
});
