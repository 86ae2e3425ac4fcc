// Untrusted input: each bad BUILD file or argument gets one clear line (file:line:column where
// there is a file), exit code 1, no stack trace, and no half-written image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCommand } from '../helpers/run.ts';
import { tempDirSync } from '../helpers/tmp.ts';

const cli = join(import.meta.dirname, '..', '..', 'src', 'cli.ts');

function workspace(files: Record<string, string>): string {
  const root = tempDirSync('bad-');
  writeFileSync(join(root, 'MODULE.bazel'), 'module(name = "t")\n');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const LOADS = `load("@rules_oci//oci:defs.bzl", "oci_image", "oci_load")
load("@rules_pkg//:pkg.bzl", "pkg_tar")
load("@rules_go//go:def.bzl", "go_binary", "go_library", "go_test")
`;

async function fails(root: string, target: string, expected: string | RegExp): Promise<void> {
  const res = await runCommand(process.execPath, [cli, 'build', '-C', root, target]);
  assert.equal(res.code, 1, `expected exit 1, got ${res.code}\n${res.stdout}${res.stderr}`);
  const lines = res.stderr.trim().split('\n');
  const errLine = lines.find((l) => l.startsWith('oci-build: error: ')) ?? '';
  const message = errLine.slice('oci-build: error: '.length);
  if (typeof expected === 'string') assert.equal(message, expected);
  else assert.match(message, expected);
  assert.ok(!/\n\s+at /.test(res.stderr), `stack trace printed:\n${res.stderr}`);
  assert.ok(!existsSync(join(root, '.oci-build', 'store', 'blobs')), 'no blob may be written when analysis fails');
}

test('a syntax error names file:line:column', async () => {
  const root = workspace({ 'app/BUILD.bazel': `${LOADS}pkg_tar(\n    name = "x",\n    srcs = ["a" "b",\n` });
  await fails(root, '//app:x', /^app\/BUILD\.bazel:6:12: '\[' is never closed /);
});

test('an unknown target in a dependency names the chain', async () => {
  const root = workspace({
    'app/BUILD.bazel': `${LOADS}pkg_tar(name = "layer", srcs = [":missing"])\noci_image(name = "img", os = "linux", architecture = "amd64", tars = [":layer"])\n`,
  });
  await fails(root, '//app:img', "app/BUILD.bazel:4:8: no such target '//app:missing': target 'missing' not declared in package 'app' defined by app/BUILD.bazel (required by //app:img -> //app:layer)");
});

test('an unknown requested target', async () => {
  const root = workspace({ 'app/BUILD.bazel': LOADS });
  await fails(root, '//app:nope', "no such target '//app:nope': target 'nope' not declared in package 'app' defined by app/BUILD.bazel");
});

test('a missing package', async () => {
  const root = workspace({ 'app/BUILD.bazel': LOADS });
  await fails(root, '//nothere:x', "no such package 'nothere': BUILD file not found in nothere");
});

test('a dependency cycle is reported with the whole loop', async () => {
  const root = workspace({ 'app/BUILD.bazel': 'filegroup(name = "a", srcs = [":b"])\nfilegroup(name = "b", srcs = [":c"])\nfilegroup(name = "c", srcs = [":a"])\n' });
  await fails(root, '//app:a', 'app/BUILD.bazel:3:10: dependency cycle: //app:a -> //app:b -> //app:c -> //app:a');
});

test('an unknown attribute is reported where the rule is called', async () => {
  const root = workspace({ 'app/BUILD.bazel': `${LOADS}oci_image(name = "img", os = "linux", architecture = "amd64", entrypiont = ["/x"])\n` });
  await fails(root, '//app:img', 'app/BUILD.bazel:4:10: oci_image() got unexpected attribute "entrypiont"');
});

test('a wrong attribute type is reported with the target', async () => {
  const root = workspace({ 'app/BUILD.bazel': `${LOADS}oci_image(name = "img", os = "linux", architecture = "amd64", entrypoint = "/x")\n` });
  await fails(root, '//app:img', /^app\/BUILD\.bazel:4:10: \/\/app:img: attribute "entrypoint": /);
});

test('a scratch image without os/architecture', async () => {
  const root = workspace({ 'app/BUILD.bazel': `${LOADS}oci_image(name = "img", entrypoint = ["/x"])\n` });
  await fails(root, '//app:img', 'app/BUILD.bazel:4:10: //app:img: "os" and "architecture" are required when "base" is not set (rules_oci)');
});

test('a bad GOARCH', async () => {
  const root = workspace({ 'app/BUILD.bazel': `${LOADS}go_binary(name = "b", srcs = ["main.go"], goarch = "sparc")\n` });
  await fails(root, '//app:b', 'app/BUILD.bazel:4:10: //app:b: attribute "goarch": unknown GOARCH "sparc"');
});

test('a bad repo tag', async () => {
  const root = workspace({
    'app/BUILD.bazel': `${LOADS}oci_image(name = "img", os = "linux", architecture = "amd64")\noci_load(name = "load", image = ":img", repo_tags = ["Hello:latest"])\n`,
  });
  await fails(root, '//app:load', /^app\/BUILD\.bazel:5:9: \/\/app:load: attribute "repo_tags": invalid image tag "Hello:latest": /);
});

test('a duplicate target name', async () => {
  const root = workspace({ 'app/BUILD.bazel': 'filegroup(name = "a")\nfilegroup(name = "a")\n' });
  await fails(root, '//app:a', 'app/BUILD.bazel:2:10: target "a" is already defined at app/BUILD.bazel:1:10');
});

test('depending on a rule oci-build does not build', async () => {
  const root = workspace({ 'app/BUILD.bazel': `${LOADS}go_test(name = "t", srcs = ["t.go"])\npkg_tar(name = "x", srcs = [":t"])\n` });
  await fails(root, '//app:x', 'app/BUILD.bazel:4:8: //app:t is a go_test (from @rules_go//go:def.bzl), which oci-build does not build (required by //app:x)');
});

test('a source symlink pointing out of the workspace', async () => {
  const root = workspace({ 'app/BUILD.bazel': `${LOADS}pkg_tar(name = "x", srcs = ["passwd"])\n` });
  symlinkSync('/etc/passwd', join(root, 'app', 'passwd'));
  await fails(root, '//app:x', 'app/BUILD.bazel:4:8: //app:passwd: source file app/passwd resolves outside the workspace (/etc/passwd)');
});

test('a Go compile error shows the go command\'s own message', async () => {
  const root = workspace({
    'go.mod': 'module t\n\ngo 1.22\n',
    'app/main.go': 'package main\n\nfunc main() { undefinedThing() }\n',
    'app/BUILD.bazel': `${LOADS}go_binary(name = "b", srcs = ["main.go"], goos = "linux", goarch = "amd64")\n`,
  });
  const res = await runCommand(process.execPath, [cli, 'build', '-C', root, '//app:b']);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /oci-build: error: app\/BUILD\.bazel:4:10: \/\/app:b: go build failed \(GOOS=linux GOARCH=amd64\):\n[\s\S]*main\.go:3:15: undefined: undefinedThing/);
});

test('outside any workspace', async () => {
  const dir = tempDirSync('nows-');
  const res = await runCommand(process.execPath, [cli, 'build', '-C', dir, '//x:y']);
  assert.equal(res.code, 1);
  assert.equal(res.stderr.trim(), `oci-build: error: no workspace found at or above ${dir}: expected one of MODULE.bazel, REPO.bazel, WORKSPACE.bazel, WORKSPACE`);
});
