// What a new user trips over first: a misspelled target, a rule used without its load(), a
// bracket left open. Each message says where and what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Workspace } from '../../src/workspace/workspace.ts';
import { parseLabel } from '../../src/workspace/label.ts';
import { closest, editDistance } from '../../src/workspace/spelling.ts';
import { ruleFor } from '../../src/rules/index.ts';

const quiet = { info: () => {}, warning: () => {} };

function workspace(t: { after: (fn: () => void) => void }, files: Record<string, string>): Workspace {
  const root = mkdtempSync(join(tmpdir(), 'messages-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, 'MODULE.bazel'), 'module(name = "t")\n');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return new Workspace(root, { rules: ruleFor, log: quiet });
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail('expected an error');
}

const BUILD = `load("@rules_oci//oci:defs.bzl", "oci_image", "oci_load")
oci_image(name = "image_amd64", os = "linux", architecture = "amd64")
oci_image(name = "image_arm64", os = "linux", architecture = "arm64")
oci_load(name = "image_amd64_load", image = ":image_amd64", repo_tags = ["a:b"])
`;

test('a misspelled target gets the closest names in its package', (t) => {
  const ws = workspace(t, { 'apps/hello/BUILD.bazel': BUILD, 'BUILD.bazel': BUILD });
  assert.equal(
    errorOf(() => ws.resolve(parseLabel('//apps/hello:image_amd64_laod'))),
    "no such target '//apps/hello:image_amd64_laod': target 'image_amd64_laod' not declared in package 'apps/hello' defined by apps/hello/BUILD.bazel (did you mean '//apps/hello:image_amd64_load'?)",
  );
  assert.match(errorOf(() => ws.resolve(parseLabel('//apps/hello:image_a64'))), /\(did you mean '\/\/apps\/hello:image_amd64' or '\/\/apps\/hello:image_arm64'\?\)$/);
  assert.match(errorOf(() => ws.resolve(parseLabel('//:Image_amd64'))), /\(did you mean '\/\/:image_amd64'\?\)$/);
  // Nothing close: no suggestion.
  assert.match(errorOf(() => ws.resolve(parseLabel('//apps/hello:push'))), /defined by apps\/hello\/BUILD\.bazel$/);
});

test('a rule used without its load() names the load() line', (t) => {
  const ws = workspace(t, {
    'a/BUILD.bazel': 'oci_load(name = "x", image = ":i", repo_tags = ["a:b"])\n',
    'b/BUILD.bazel': 'load("@rules_go//go:def.bzl", "go_binary")\ngo_binary(name = "x")\npkg_tar(name = "t")\n',
    'c/BUILD.bazel': 'my_macro(name = "x")\n',
  });
  assert.equal(
    errorOf(() => ws.loadPackage('a')),
    'a/BUILD.bazel:1:1: name "oci_load" is not defined: missing load("@rules_oci//oci:defs.bzl", "oci_load") at the top of the file (rules come from load(), as in Bazel)',
  );
  assert.match(errorOf(() => ws.loadPackage('b')), /^b\/BUILD\.bazel:3:1: name "pkg_tar" is not defined: missing load\("@rules_pkg\/\/pkg:tar\.bzl", "pkg_tar"\)/);
  assert.equal(errorOf(() => ws.loadPackage('c')), 'c/BUILD.bazel:1:1: name "my_macro" is not defined');
});

test('an unclosed bracket is reported where it opened, not at the next rule', (t) => {
  const ws = workspace(t, {
    'a/BUILD.bazel': `load("@rules_pkg//pkg:tar.bzl", "pkg_tar")
pkg_tar(
    name = "one",
    srcs = [":a"],

pkg_tar(
    name = "two",
)
`,
    'b/BUILD.bazel': 'load("@rules_pkg//pkg:tar.bzl", "pkg_tar")\npkg_tar(name = "x", srcs = [":a", ":b")\n',
  });
  assert.equal(
    errorOf(() => ws.loadPackage('a')),
    "a/BUILD.bazel:2:8: '(' is never closed (the parser gave up at 6:1: positional argument may not follow keyword arguments)",
  );
  // A mismatched closing bracket is its own error, at its own place.
  assert.equal(errorOf(() => ws.loadPackage('b')), "b/BUILD.bazel:2:39: expected ']' but found ')'");
});

test('editDistance counts a swap of neighbours as one edit; closest keeps a third of the length', () => {
  assert.equal(editDistance('load', 'laod'), 1);
  assert.equal(editDistance('image', 'imgae'), 1);
  assert.equal(editDistance('abc', 'xyz'), 3);
  assert.equal(editDistance('', 'ab'), 2);
  assert.deepEqual(closest('img', ['image', 'im', 'img2', 'bin', 'imgs']), ['im', 'img2', 'imgs']);
  assert.deepEqual(closest('imag', ['image', 'im']), ['image']);
  assert.deepEqual(closest('server_image', ['server_image', 'server_imgae', 'server']), ['server_imgae']);
});
