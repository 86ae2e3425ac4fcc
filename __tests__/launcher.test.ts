import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: a plain .mjs module of the bundler, without types
import { licenseNotices } from '../scripts/lib/licenses.mjs';

const root = join(import.meta.dirname, '..');
// The distribution's Node (Debian's nodejs package): older than the 24 the bundles need.
const OLD_NODE = '/usr/bin/node';

function bundle(t: { after: (fn: () => void) => void }): string {
  const out = mkdtempSync(join(tmpdir(), 'launcher-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  execFileSync(process.execPath, [join(root, 'scripts/bundle.mjs'), out], { cwd: root, stdio: 'pipe' });
  return out;
}

test('the bundled CLI and action say which Node they need on an older Node, and run on Node 24', (t) => {
  const oldMajor = Number(execFileSync(OLD_NODE, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }));
  assert.ok(oldMajor < 24, `${OLD_NODE} must be an older Node for this test (it is ${oldMajor})`);
  const out = bundle(t);

  const cli = spawnSync(OLD_NODE, [join(out, 'cli.js'), 'run', '//apps/hello_world:image_amd64_load'], { encoding: 'utf8' });
  assert.equal(cli.status, 1);
  assert.match(cli.stderr, /^oci-build: Node 20\.\d+\.\d+ is too old: oci-build needs Node 24 or newer\. Install Node 24 .*"npx oci-build \.\.\."/);
  assert.doesNotMatch(cli.stderr, /at .*\.js:\d+/, 'no stack trace');

  const action = spawnSync(OLD_NODE, [join(out, 'index.js')], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  assert.equal(action.status, 1);
  assert.match(action.stdout, /^::error title=oci-build-action::This action needs Node 24 \(runs.using: node24\), but it runs on Node 20\./);
  assert.equal(action.stderr, '', 'no stack trace');

  // On Node 24 the launcher hands over to the bundle.
  const ok = spawnSync(process.execPath, [join(out, 'cli.js'), '--help'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^usage: oci-build <command>/);
  // The action's launcher runs the action: an error in a BUILD file comes back as its annotation.
  const ws = mkdtempSync(join(tmpdir(), 'launcher-ws-'));
  t.after(() => rmSync(ws, { recursive: true, force: true }));
  writeFileSync(join(ws, 'MODULE.bazel'), '');
  const ran = spawnSync(process.execPath, [join(out, 'index.js')], {
    encoding: 'utf8',
    env: { ...process.env, INPUT_TARGETS: '//:nope', 'INPUT_WORKING-DIRECTORY': ws, INPUT_CACHE: 'false', GITHUB_WORKSPACE: ws, GITHUB_OUTPUT: '', GITHUB_STEP_SUMMARY: '' },
  });
  assert.equal(ran.status, 1);
  assert.match(ran.stdout, /^::error::no such package '': BUILD file not found in the workspace root/m);
});

test('dist/licenses.txt names every bundled package with its licence text', (t) => {
  const out = bundle(t);
  const text = readFileSync(join(out, 'licenses.txt'), 'utf8');
  const undiciVersion = JSON.parse(readFileSync(join(root, 'node_modules/undici/package.json'), 'utf8')).version;
  assert.match(text, new RegExp(`^undici ${undiciVersion.replaceAll('.', '\\.')}\\nMIT\\nMIT License\\n`, 'm'));
  for (const name of ['@actions/core', '@actions/cache', 'tar-stream']) assert.match(text, new RegExp(`^${name} \\S+\\n`, 'm'), name);
  // Dev dependencies are not in any bundle.
  assert.doesNotMatch(text, /^(typescript|esbuild|yaml) /m);
  assert.ok(!existsSync(join(out, 'node_modules')));
});

test('licenseNotices lists each package once, sorted by name, and only packages', () => {
  const text: string = licenseNotices(
    ['node_modules/undici/index.js', 'node_modules/tar-stream/pack.js', 'node_modules/undici/lib/core/util.js', 'src/action/main.ts'],
    root,
  );
  const heads = [...text.matchAll(/^(\S+) \d+\.\d+\.\d+\n/gm)].map((m) => m[1]);
  assert.deepEqual(heads, ['tar-stream', 'undici']);
});
