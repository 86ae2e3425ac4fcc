// A Go compile error is annotated on the .go line Go reports (not only on the go_binary's BUILD
// line), with the target as context.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../helpers/run.ts';
import { parseGoDiagnostics } from '../../src/go/diagnostics.ts';
import { errorAnnotation, goAnnotations } from '../../src/action/annotations.ts';
import { failureRows } from '../../src/action/summary.ts';
import { StarlarkError } from '../../src/starlark/errors.ts';
import { GoBuildError } from '../../src/go/build.ts';
import { BuildError } from '../../src/errors.ts';

const repo = join(import.meta.dirname, '..', '..');

test('parseGoDiagnostics reads file:line:col lines relative to the go directory, with continuation lines', () => {
  const output = [
    '# example.com/t/app',
    'app/main.go:4:2: declared and not used: x',
    './app/util.go:9:14: cannot use "s" (untyped string constant) as int value in argument to f',
    '\thave (string)',
    '\twant (int)',
    '/abs/dir/x.go:3: syntax error: unexpected newline',
    'app/main.go:5:2: too many errors',
    'go: downloading example.com/dep v1.0.0',
  ].join('\n');
  assert.deepEqual(parseGoDiagnostics(output, '/mod'), [
    { file: '/mod/app/main.go', line: 4, column: 2, message: 'declared and not used: x' },
    { file: '/mod/app/util.go', line: 9, column: 14, message: 'cannot use "s" (untyped string constant) as int value in argument to f\nhave (string)\nwant (int)' },
    { file: '/abs/dir/x.go', line: 3, message: 'syntax error: unexpected newline' },
    { file: '/mod/app/main.go', line: 5, column: 2, message: 'too many errors' },
  ]);
});

test('goAnnotations finds the Go errors through the BUILD-line wrapper and keeps it as context', () => {
  const go = new GoBuildError('//app:bin', 'go build failed (GOOS=linux GOARCH=amd64)', 'app/main.go:4:2: undefined: y', '/ws');
  assert.equal(go.message, '//app:bin: go build failed (GOOS=linux GOARCH=amd64):\napp/main.go:4:2: undefined: y');
  const wrapped = go.at({ file: 'app/BUILD.bazel', line: 3, column: 10 });
  assert.equal(wrapped.message, `app/BUILD.bazel:3:10: ${go.message}`);
  assert.deepEqual(goAnnotations(wrapped, '/ws'), [
    { message: 'undefined: y\n(app/BUILD.bazel:3:10: //app:bin: go build failed (GOOS=linux GOARCH=amd64))', file: 'app/main.go', line: 4, column: 2 },
  ]);
  assert.deepEqual(goAnnotations(new BuildError('other', { pos: { file: 'app/BUILD.bazel', line: 1, column: 1 } }), '/ws'), []);
});

test('annotations read the position from the error, not its text', () => {
  // A reworded message (here: no position in the text at all) is placed all the same…
  const err = new BuildError('reworded', { pos: { file: 'app/BUILD.bazel', line: 7, column: 3 }, label: '//app:img' });
  assert.deepEqual(errorAnnotation(err, 'anything the user sees', '/ws', '/ws'), { message: 'anything the user sees', file: 'app/BUILD.bazel', line: 7, column: 3 });
  // …and a message that only looks positioned is not.
  assert.deepEqual(errorAnnotation(new Error('app/BUILD.bazel:1:1: looks placed'), 'm', '/ws', '/ws'), { message: 'm' });
  // A Starlark error keeps its pos up to the annotation; a workspace below the checkout is followed.
  const star = new StarlarkError('name "x" is not defined', { file: 'BUILD.bazel', line: 2, column: 5 });
  assert.deepEqual(errorAnnotation(star, star.message, '/co/ws', '/co'), { message: 'BUILD.bazel:2:5: name "x" is not defined', file: 'ws/BUILD.bazel', line: 2, column: 5 });
  // .bazelrc positions have no column.
  assert.deepEqual(errorAnnotation(new BuildError('bad', { pos: { file: '.bazelrc', line: 4 } }), 'm', '/ws', '/ws'), { message: 'm', file: '.bazelrc', line: 4 });
});

test('the action annotates each Go compile error on its .go line and the failure on the go_binary line', async (t) => {
  const ws = mkdtempSync(join(tmpdir(), 'go-annotations-'));
  t.after(() => rmSync(ws, { recursive: true, force: true }));
  writeFileSync(join(ws, 'MODULE.bazel'), 'module(name = "t")\n');
  writeFileSync(join(ws, 'summary.md'), '');
  writeFileSync(join(ws, 'go.mod'), 'module example.com/t\n\ngo 1.22\n');
  mkdirSync(join(ws, 'app'));
  writeFileSync(join(ws, 'app', 'main.go'), 'package main\n\nfunc main() {\n\tx := 1\n\tundefinedThing()\n}\n');
  writeFileSync(join(ws, 'app', 'BUILD.bazel'), 'load("@rules_go//go:def.bzl", "go_binary")\n\ngo_binary(\n    name = "bin",\n    srcs = ["main.go"],\n)\n');
  const res = await runCommand(process.execPath, [join(repo, 'src', 'index.ts')], {
    env: {
      ...process.env,
      INPUT_TARGETS: '//app:bin',
      'INPUT_WORKING-DIRECTORY': ws,
      INPUT_CACHE: 'false',
      GITHUB_WORKSPACE: ws,
      GITHUB_OUTPUT: '',
      GITHUB_STEP_SUMMARY: join(ws, 'summary.md'),
    },
  });
  assert.equal(res.code, 1, res.stdout + res.stderr);
  const errors = res.stdout.split('\n').filter((l) => l.startsWith('::error'));
  assert.equal(errors.length, 3, errors.join('\n'));
  assert.match(errors[0] ?? '', /^::error title=go build,file=app\/main\.go,line=4,col=2::declared and not used: x%0A\(app\/BUILD\.bazel:3:10: \/\/app:bin: go build failed/);
  assert.match(errors[1] ?? '', /^::error title=go build,file=app\/main\.go,line=5,col=2::undefined: undefinedThing%0A/);
  assert.match(errors[2] ?? '', /^::error title=oci-build,file=app\/BUILD\.bazel,line=3,col=10::app\/BUILD\.bazel:3:10: \/\/app:bin: go build failed/);
  // The job summary says where and why from the same fields: the BUILD line, then each .go line.
  const summary = readFileSync(join(ws, 'summary.md'), 'utf8');
  assert.match(summary, /oci-build failed/);
  assert.match(summary, /<td><code>app\/BUILD\.bazel:3:10<\/code><\/td><td><code>\/\/app:bin<\/code><\/td><td>go build failed \(GOOS=\w+ GOARCH=\w+\)<\/td>/);
  assert.match(summary, /<td><code>app\/main\.go:4:2<\/code><\/td><td><code>\/\/app:bin<\/code><\/td><td>declared and not used: x<\/td>/);
});

test('the failure summary reads position, label and reason from the error and escapes the text', () => {
  const err = new BuildError('attribute "tars": <b>not</b> a tar', { pos: { file: 'app/BUILD.bazel', line: 9, column: 1 }, label: '//app:img' });
  assert.deepEqual(failureRows(err, '/ws', '/ws').slice(1), [['<code>app/BUILD.bazel:9:1</code>', '<code>//app:img</code>', 'attribute "tars": &lt;b&gt;not&lt;/b&gt; a tar']]);
  // Text that only looks positioned places nothing.
  assert.deepEqual(failureRows(new Error('app/BUILD.bazel:9:1: x'), '/ws', '/ws').slice(1), [['—', '—', 'app/BUILD.bazel:9:1: x']]);
});

test("a rule's warning is annotated on its target's BUILD line (the engine passes the position as data)", async (t) => {
  const ws = mkdtempSync(join(tmpdir(), 'warning-annotations-'));
  t.after(() => rmSync(ws, { recursive: true, force: true }));
  writeFileSync(join(ws, 'MODULE.bazel'), 'module(name = "t")\n');
  mkdirSync(join(ws, 'a'));
  mkdirSync(join(ws, 'b'));
  writeFileSync(join(ws, 'a', 'x.txt'), 'a\n');
  writeFileSync(join(ws, 'b', 'x.txt'), 'b\n');
  writeFileSync(join(ws, 'BUILD.bazel'), 'load("@rules_pkg//pkg:tar.bzl", "pkg_tar")\n\npkg_tar(\n    name = "t",\n    srcs = ["a/x.txt", "b/x.txt"],\n)\n');
  const res = await runCommand(process.execPath, [join(repo, 'src', 'index.ts')], {
    env: { ...process.env, INPUT_TARGETS: '//:t', 'INPUT_WORKING-DIRECTORY': ws, INPUT_CACHE: 'false', GITHUB_WORKSPACE: ws, GITHUB_OUTPUT: '', GITHUB_STEP_SUMMARY: '' },
  });
  assert.equal(res.code, 0, res.stdout + res.stderr);
  const warnings = res.stdout.split('\n').filter((l) => l.startsWith('::warning'));
  assert.equal(warnings.length, 1, res.stdout);
  assert.match(warnings[0] ?? '', /^::warning file=BUILD\.bazel,line=3,col=8::\/\/:t: pkg_tar: duplicate output path <x\.txt>/);
});

test('Starlark, .bazelrc and missing-dependency errors are annotated from their positions', async (t) => {
  const run = async (files: Record<string, string>, target: string): Promise<string[]> => {
    const ws = mkdtempSync(join(tmpdir(), 'error-annotations-'));
    t.after(() => rmSync(ws, { recursive: true, force: true }));
    writeFileSync(join(ws, 'MODULE.bazel'), 'module(name = "t")\n');
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(ws, name, '..'), { recursive: true });
      writeFileSync(join(ws, name), text);
    }
    const res = await runCommand(process.execPath, [join(repo, 'src', 'index.ts')], {
      env: { ...process.env, INPUT_TARGETS: target, 'INPUT_WORKING-DIRECTORY': ws, INPUT_CACHE: 'false', GITHUB_WORKSPACE: ws, GITHUB_OUTPUT: '', GITHUB_STEP_SUMMARY: '' },
    });
    assert.equal(res.code, 1, res.stdout + res.stderr);
    return res.stdout.split('\n').filter((l) => l.startsWith('::error'));
  };
  const tar = 'load("@rules_pkg//pkg:tar.bzl", "pkg_tar")\n\n';
  assert.deepEqual(await run({ 'app/BUILD.bazel': `${tar}pkg_tar(\n    name = "t",\n    srcs = [undefined_name],\n)\n` }, '//app:t'), [
    '::error title=oci-build,file=app/BUILD.bazel,line=5,col=13::app/BUILD.bazel:5:13: name "undefined_name" is not defined',
  ]);
  assert.deepEqual(await run({ 'BUILD.bazel': `${tar}pkg_tar(name = "t")\n`, '.bazelrc': 'build -c fast\n' }, '//:t'), [
    '::error title=oci-build,file=.bazelrc,line=1::.bazelrc:1: --compilation_mode: expected fastbuild, opt or dbg, got "fast"',
  ]);
  const [missing] = await run({ 'BUILD.bazel': `${tar}pkg_tar(\n    name = "t",\n    srcs = ["//nope:x"],\n)\n` }, '//:t');
  assert.match(missing ?? '', /^::error title=oci-build,file=BUILD\.bazel,line=3,col=8::BUILD\.bazel:3:8: no such package 'nope'/);
});
