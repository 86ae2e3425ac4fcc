// Issue 16 points 6 and 7: `@<root module name>//`, `@@//`, `@//` name the main repository (in
// attributes, target patterns and Label()), and `//...` skips .bazelignore and REPO.bazel
// ignore_directories.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Workspace } from '../../src/workspace/workspace.ts';
import { parseLabel } from '../../src/workspace/label.ts';
import { HOST_CONFIG } from '../../src/engine/config.ts';
import { ruleFor } from '../../src/rules/index.ts';
import { testEngine as engineFor, workspaceFrom } from '../helpers/test_engine.ts';

const quiet = { info: () => {}, warning: () => {} };

const LAYER = `load("@rules_pkg//pkg:tar.bzl", "pkg_tar")
pkg_tar(name = "layer", srcs = ["f.txt"])
`;

test('@<module name>//, @@// and @// resolve to the main repository, also in Label() and target patterns', () => {
  const root = workspaceFrom({
    'MODULE.bazel': 'module(name = "my_app", version = "1.0")\nbazel_dep(name = "rules_oci", version = "2.2.0")\n',
    'lib/BUILD.bazel': LAYER,
    'lib/f.txt': 'x',
    'defs.bzl': 'LAYER = Label("@my_app//lib:layer")\n',
    'app/BUILD.bazel': `load("@rules_oci//oci:defs.bzl", "oci_image")
load("//:defs.bzl", "LAYER")
oci_image(name = "a", os = "linux", architecture = "amd64", tars = ["@my_app//lib:layer"])
oci_image(name = "b", os = "linux", architecture = "amd64", tars = ["@@//lib:layer"])
oci_image(name = "c", os = "linux", architecture = "amd64", tars = ["@//lib:layer"])
oci_image(name = "d", os = "linux", architecture = "amd64", tars = [LAYER])
print(Label("@my_app//lib:layer").repo_name == "")
`,
    'BUILD.bazel': '',
  });
  const printed: string[] = [];
  const ws = new Workspace(root, { rules: ruleFor, log: { info: (m) => printed.push(m), warning: () => {} } });
  const engine = engineFor(ws);
  const layers = ['a', 'b', 'c', 'd'].map((n) => {
    const node = engine.analyze(parseLabel(`//app:${n}`), HOST_CONFIG);
    const dep = node.deps.find((d) => d.attr === 'tars');
    assert.ok(dep, n);
    return dep.node;
  });
  // One node for the layer, whichever way it was written: built once.
  for (const l of layers) {
    assert.equal(l.label.toString(), '//lib:layer');
    assert.equal(l.target?.kind, 'pkg_tar');
    assert.equal(l, layers[0]);
  }
  assert.ok(printed.some((m) => m.endsWith(': True')), printed.join('\n'));

  for (const pattern of ['@my_app//app:a', '@@//app:a', '@//app:a']) {
    assert.deepEqual(ws.expandPattern(pattern, '').map((r) => r.label.toString()), ['//app:a'], pattern);
  }
  assert.deepEqual(ws.expandPattern('@my_app//lib/...', '').map((r) => r.label.toString()), ['//lib:layer']);
  // Another repository's name is not the main repository.
  assert.throws(() => engine.analyze(parseLabel('@other//lib:layer'), HOST_CONFIG), /other/);
});

test('//... skips .bazelignore paths and REPO.bazel ignore_directories patterns', () => {
  const pkg = (name: string) => `load("@rules_pkg//pkg:tar.bzl", "pkg_tar")\npkg_tar(name = "${name}", srcs = [])\n`;
  const root = workspaceFrom({
    'MODULE.bazel': 'module(name = "ws")\n',
    'BUILD.bazel': '',
    '.bazelignore': '# generated trees\nvendor/\n\nthird_party/broken\n',
    'REPO.bazel': 'repo(default_visibility = ["//visibility:public"])\nignore_directories(["**/node_modules_copy", "tmp*"])\n',
    'app/BUILD.bazel': pkg('app'),
    'vendor/x/BUILD.bazel': 'this is not starlark (',
    'third_party/ok/BUILD.bazel': pkg('ok'),
    'third_party/broken/BUILD.bazel': 'nor this (',
    'web/node_modules_copy/BUILD.bazel': 'nor this (',
    'tmp_build/BUILD.bazel': 'nor this (',
  });
  const ws = new Workspace(root, { rules: ruleFor, log: quiet });
  assert.deepEqual(ws.expandPattern('//...', '').map((r) => r.label.toString()), ['//app:app', '//third_party/ok:ok']);
  assert.deepEqual(ws.ignored.paths, ['vendor', 'third_party/broken']);
  assert.deepEqual(ws.ignored.patterns, ['**/node_modules_copy', 'tmp*']);
});

test('a bad REPO.bazel is an error naming the file and line', () => {
  const root = workspaceFrom({ 'BUILD.bazel': '', 'app/BUILD.bazel': '', 'REPO.bazel': 'repo()\nignore_directories("x")\n' });
  const ws = new Workspace(root, { rules: ruleFor, log: quiet });
  assert.throws(() => ws.expandPattern('//...', ''), /REPO\.bazel:2:\d+: .*ignore_directories\(\) takes a list of glob patterns/);
});
