// Issue 15 point 5: BUILD files, .bzl files, include()d MODULE files and WORKSPACE files that are
// (or sit below) a symlink leading out of the workspace are refused, naming the link and the
// file:line of the load/include, never reading the target. The target is a canary holding
// token-like text that, evaluated as Starlark, would be quoted by the evaluator's error
// (`name "ghp_…" is not defined`): it must appear in no output, error or file written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCommand } from '../helpers/run.ts';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli.ts');
const CANARY = 'ghp_C4n4ryT0kenN0tToBeR3ad0123456789abcd';

let base: string;
let outside: string;

before(() => {
  base = mkdtempSync(join(tmpdir(), 'starlark-links-'));
  outside = join(base, 'outside');
  mkdirSync(join(outside, 'pkg'), { recursive: true });
  // Valid Starlark that fails naming the canary, if it is ever evaluated.
  writeFileSync(join(outside, 'secret'), `${CANARY}\n`);
  writeFileSync(join(outside, 'pkg', 'BUILD.bazel'), `${CANARY}\n`);
  writeFileSync(join(outside, 'pkg', 'defs.bzl'), `${CANARY}\n`);
});
after(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
function workspace(files: Record<string, string>, links: Record<string, string>): string {
  const root = join(base, `ws${n++}`);
  mkdirSync(root);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  for (const [p, target] of Object.entries(links)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    symlinkSync(target, join(root, p));
  }
  return root;
}

/** Files written under the workspace's output directory whose bytes contain the canary. */
function filesWithCanary(root: string): string[] {
  const out = join(root, '.oci-build');
  if (!existsSync(out)) return [];
  const hits: string[] = [];
  for (const rel of readdirSync(out, { recursive: true }) as string[]) {
    const p = join(out, rel);
    if (lstatSync(p).isFile() && readFileSync(p).includes(CANARY)) hits.push(rel);
  }
  return hits;
}

const PKG_TAR = 'load("@rules_pkg//pkg:tar.bzl", "pkg_tar")\n';
const OUT = 'Starlark files are only read from inside it';

interface Case {
  name: string;
  files: Record<string, string>;
  /** Link → target; `@` stands for the outside directory. */
  links: Record<string, string>;
  target: string;
  message: string;
}

const CASES: Case[] = [
  {
    name: 'a BUILD file that is a symlink',
    files: { 'MODULE.bazel': '' },
    links: { 'app/BUILD.bazel': '@/secret' },
    target: '//app:t',
    message: `no such package 'app': app/BUILD.bazel is a symlink that resolves outside the workspace; ${OUT}`,
  },
  {
    name: 'a package directory that is a symlink',
    files: { 'MODULE.bazel': '' },
    links: { ext: '@/pkg' },
    target: '//ext:t',
    message: `no such package 'ext': ext/BUILD.bazel: ext is a symlink that resolves outside the workspace; ${OUT}`,
  },
  {
    name: 'a loaded .bzl file that is a symlink',
    files: { 'MODULE.bazel': '', 'app/BUILD.bazel': `${PKG_TAR}load("//lib:defs.bzl", "x")\n`, 'lib/BUILD.bazel': '' },
    links: { 'lib/defs.bzl': '@/secret' },
    target: '//app:t',
    message: `app/BUILD.bazel:2:6: load: lib/defs.bzl is a symlink that resolves outside the workspace; ${OUT}`,
  },
  {
    name: 'a loaded .bzl file below a directory symlink, reached through an inside link',
    files: { 'MODULE.bazel': '', 'app/BUILD.bazel': 'load("//hop:defs.bzl", "x")\n' },
    // pkg/defs.bzl exists outside: only the link rule stops it.
    links: { hop: 'lib', lib: '@/pkg' },
    target: '//app:t',
    message: `app/BUILD.bazel:1:6: load: hop/defs.bzl: hop is a symlink that resolves outside the workspace; ${OUT}`,
  },
  {
    name: 'a .bzl file loaded by a .bzl file',
    files: { 'MODULE.bazel': '', 'app/BUILD.bazel': 'load("//lib:a.bzl", "x")\n', 'lib/BUILD.bazel': '', 'lib/a.bzl': '\nload(":b.bzl", "y")\nx = y\n' },
    links: { 'lib/b.bzl': '@/secret' },
    target: '//app:t',
    message: `lib/a.bzl:2:6: load: lib/b.bzl is a symlink that resolves outside the workspace; ${OUT}`,
  },
  {
    name: 'an include()d MODULE file',
    files: { 'MODULE.bazel': 'module(name = "t")\ninclude("//:more.MODULE.bazel")\n', 'app/BUILD.bazel': `${PKG_TAR}pkg_tar(name = "t")\n` },
    links: { 'more.MODULE.bazel': '@/secret' },
    target: '//app:t',
    message: `MODULE.bazel:2:8: include(): more.MODULE.bazel is a symlink that resolves outside the workspace; ${OUT}`,
  },
  {
    name: 'MODULE.bazel itself',
    files: { WORKSPACE: '', 'app/BUILD.bazel': `${PKG_TAR}pkg_tar(name = "t")\n` },
    links: { 'MODULE.bazel': '@/secret' },
    target: '//app:t',
    message: `MODULE.bazel is a symlink that resolves outside the workspace; ${OUT}`,
  },
  {
    name: 'a WORKSPACE file',
    files: { 'MODULE.bazel': '', 'app/BUILD.bazel': `${PKG_TAR}pkg_tar(name = "t")\n` },
    links: { 'WORKSPACE.bazel': '@/secret' },
    target: '//app:t',
    message: `WORKSPACE.bazel is a symlink that resolves outside the workspace; ${OUT}`,
  },
  {
    name: 'a .bzl file loaded by WORKSPACE',
    files: { 'MODULE.bazel': '', WORKSPACE: 'load("//tools:deps.bzl", "deps")\ndeps()\n', 'app/BUILD.bazel': `${PKG_TAR}pkg_tar(name = "t")\n` },
    links: { tools: '@/pkg' },
    target: '//app:t',
    message: `WORKSPACE:1:6: load: tools/deps.bzl: tools is a symlink that resolves outside the workspace; ${OUT}`,
  },
];

describe('Starlark files behind symlinks out of the workspace', { concurrency: 4 }, () => {
  for (const c of CASES) {
    test(`refuses ${c.name}, without reading it`, async () => {
      const links = Object.fromEntries(Object.entries(c.links).map(([k, v]) => [k, v.replace(/^@/, outside)]));
      const root = workspace(c.files, links);
      const r = await runCommand(process.execPath, [cli, 'build', '-C', root, c.target]);
      const detail = `\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout}`;
      assert.equal(r.code, 1, `exit code${detail}`);
      assert.equal(r.stderr.split('\n').find((l) => l.startsWith('oci-build: error: ')), `oci-build: error: ${c.message}`, detail);
      assert.ok(!/\n\s+at /.test(r.stderr), `no stack trace${detail}`);
      assert.ok(!r.stdout.includes(CANARY) && !r.stderr.includes(CANARY), 'the canary is in no output');
      assert.ok(!r.stderr.includes(outside), 'the link target is not named');
      assert.deepEqual(filesWithCanary(root), [], 'the canary is in no file written');
    });
  }

  test('beyond the issue: a .bzl file that is a FIFO or a directory is refused instead of hanging the build', async () => {
    for (const kind of ['fifo', 'dir'] as const) {
      const root = workspace({ 'MODULE.bazel': '', 'app/BUILD.bazel': 'load("//lib:defs.bzl", "x")\n', 'lib/BUILD.bazel': '' }, {});
      if (kind === 'fifo') execFileSync('mkfifo', [join(root, 'lib', 'defs.bzl')]);
      else mkdirSync(join(root, 'lib', 'defs.bzl'));
      const r = await runCommand(process.execPath, [cli, 'build', '-C', root, '//app:t']);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr.split('\n').find((l) => l.startsWith('oci-build: error: ')), 'oci-build: error: app/BUILD.bazel:1:6: load: lib/defs.bzl is not a regular file');
    }
  });

  test('symlinks that stay inside the workspace still work, and the image holds no canary', async () => {
    const root = workspace(
      {
        'MODULE.bazel': '',
        'real/BUILD.bazel': '',
        'real/defs.bzl': 'def label():\n    return "inside"\n',
        'app/data.txt': 'data\n',
        'app/BUILD.bazel': `${PKG_TAR}load("//lib:defs.bzl", "label")\npkg_tar(name = "t", srcs = ["data.txt"], package_dir = label())\n`,
      },
      { lib: 'real' },
    );
    const r = await runCommand(process.execPath, [cli, 'build', '-C', root, '//app:t']);
    assert.equal(r.code, 0, r.stderr);
    const tar = readFileSync(join(root, '.oci-build', 'bin', 'host', 'app', 't.tar'));
    assert.ok(tar.includes('inside/data.txt'));
    assert.ok(filesWithCanary(root).length === 0 && existsSync(join(root, '.oci-build')));
  });
});
