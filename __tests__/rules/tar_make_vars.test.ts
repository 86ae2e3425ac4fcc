// src/rules/make_vars.ts: $(execpath)-style expansion against a rule's dependencies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MakeVarError,
  execPath,
  expandMakeVars,
  rlocationPath,
  rootPath,
  type MakeVarDep,
  type MakeVarOptions,
} from '../../src/rules/make_vars.ts';
import { vis } from '../../src/tar/mtree.ts';
import { parseLabel } from '../../src/workspace/label.ts';
import type { FileRef, Provider } from '../../src/rules/provider.ts';

const src: FileRef = { path: '/ws/pkg/a.txt', shortPath: 'pkg/a.txt', generated: false };
const gen: FileRef = { path: '/out/bin/host/pkg/gen.txt', shortPath: 'pkg/gen.txt', generated: true };
const exe: FileRef = { path: '/out/bin/host/pkg/app_/app', shortPath: 'pkg/app_/app', generated: true };
const spaced: FileRef = { path: '/ws/pkg/a b.txt', shortPath: 'pkg/a b.txt', generated: false };
const ext: FileRef = { path: '/cache/ext/repo/lib/x.txt', shortPath: '../repo/lib/x.txt', generated: false };
const many: Provider = {
  files: [
    { path: '/ws/pkg/m1', shortPath: 'pkg/m1', generated: false },
    { path: '/ws/pkg/m2', shortPath: 'pkg/m2', generated: false },
    { path: '/out/bin/host/pkg/m3', shortPath: 'pkg/m3', generated: true },
  ],
};

function dep(label: string, provider: Provider): MakeVarDep {
  return { label: parseLabel(label, '', 'pkg'), provider };
}

const deps: MakeVarDep[] = [
  dep('//pkg:a.txt', { files: [src] }),
  dep('//pkg:gen', { files: [gen] }),
  // An executable target: $(location) means its executable, not its other files.
  dep('//pkg:app', { files: [exe, { path: '/out/bin/host/pkg/app.extra', shortPath: 'pkg/app.extra', generated: true }], executable: exe }),
  dep('//pkg:many', many),
  dep('//pkg:empty', { files: [] }),
  dep('//pkg:a b.txt', { files: [spaced] }),
  dep('@repo//lib:x.txt', { files: [ext] }),
];

function expand(text: string, extra: Partial<MakeVarOptions> = {}): string {
  return expandMakeVars(text, { deps, repo: '', pkg: 'pkg', ...extra });
}

function error(text: string, extra: Partial<MakeVarOptions> = {}): string {
  try {
    expand(text, extra);
  } catch (err) {
    assert.ok(err instanceof MakeVarError, String(err));
    return err.message;
  }
  assert.fail(`expected ${text} to fail`);
}

test('path forms of source, generated and external files', () => {
  assert.equal(execPath(src), 'pkg/a.txt');
  assert.equal(execPath(gen), 'bazel-out/k8-fastbuild/bin/pkg/gen.txt');
  assert.equal(execPath(ext), 'external/repo/lib/x.txt');
  assert.equal(rootPath(gen), 'pkg/gen.txt');
  assert.equal(rootPath(ext), '../repo/lib/x.txt');
  assert.equal(rlocationPath(src), '_main/pkg/a.txt');
  assert.equal(rlocationPath(ext), 'repo/lib/x.txt');
});

test('$(execpath) / $(location) / $(rootpath) / $(rlocationpath) and plural forms', () => {
  assert.equal(expand('content=$(execpath :a.txt)'), 'content=pkg/a.txt');
  assert.equal(expand('$(execpath :gen)'), 'bazel-out/k8-fastbuild/bin/pkg/gen.txt');
  assert.equal(expand('$(location //pkg:gen)'), 'bazel-out/k8-fastbuild/bin/pkg/gen.txt');
  assert.equal(expand('$(rootpath gen)'), 'pkg/gen.txt');
  assert.equal(expand('$(rlocationpath :gen)'), '_main/pkg/gen.txt');
  assert.equal(expand('$(execpath :app)'), 'bazel-out/k8-fastbuild/bin/pkg/app_/app', 'an executable target stands for its executable');
  assert.equal(expand('$(execpaths :many)'), 'pkg/m1 pkg/m2 bazel-out/k8-fastbuild/bin/pkg/m3');
  assert.equal(expand('$(locations :many)'), 'pkg/m1 pkg/m2 bazel-out/k8-fastbuild/bin/pkg/m3');
  assert.equal(expand('$(rootpaths :many)'), 'pkg/m1 pkg/m2 pkg/m3');
  assert.equal(expand('$(rlocationpaths :many)'), '_main/pkg/m1 _main/pkg/m2 _main/pkg/m3');
  assert.equal(expand('$(execpath @repo//lib:x.txt)'), 'external/repo/lib/x.txt');
  assert.equal(expand('a=$(execpath :a.txt) b=$(rootpath :gen)'), 'a=pkg/a.txt b=pkg/gen.txt');
  assert.equal(expand('$( execpath   :a.txt )'), 'pkg/a.txt');
});

test('"disk" mode gives the real file for execpath and location (rootpath is unchanged)', () => {
  assert.equal(expand('$(execpath :gen)', { mode: 'disk' }), '/out/bin/host/pkg/gen.txt');
  assert.equal(expand('$(location :a.txt)', { mode: 'disk' }), '/ws/pkg/a.txt');
  assert.equal(expand('$(execpaths :many)', { mode: 'disk' }), '/ws/pkg/m1 /ws/pkg/m2 /out/bin/host/pkg/m3');
  assert.equal(expand('$(rootpath :gen)', { mode: 'disk' }), 'pkg/gen.txt');
});

test('labels resolve relative to the target package', () => {
  for (const l of [':a.txt', 'a.txt', '//pkg:a.txt']) assert.equal(expand(`$(execpath ${l})`), 'pkg/a.txt', l);
  assert.equal(expandMakeVars('$(execpath //pkg:a.txt)', { deps, repo: '', pkg: 'other' }), 'pkg/a.txt');
  assert.match(
    (() => {
      try {
        return expandMakeVars('$(execpath :a.txt)', { deps, repo: '', pkg: 'other' });
      } catch (err) {
        return (err as Error).message;
      }
    })(),
    /^\$\(execpath :a\.txt\): :a\.txt is not a dependency of this rule \(add it to srcs\)$/,
  );
});

test('$$, predefined variables and quoting', () => {
  assert.equal(expand('cost=$$5 $$(x)'), 'cost=$5 $(x)');
  assert.equal(expand('$(BINDIR)/pkg/gen.txt'), 'bazel-out/k8-fastbuild/bin/pkg/gen.txt');
  assert.equal(expand('$(TARGET_CPU)-$(COMPILATION_MODE)'), 'k8-fastbuild');
  assert.equal(expand('$(WHO)', { vars: { WHO: 'me' } }), 'me');
  assert.equal(expand('content=$(execpath :a b.txt)', { quote: vis }), 'content=pkg/a\\040b.txt');
});

test('errors name the expression', () => {
  assert.equal(error('$(execpath //x:y)'), '$(execpath //x:y): //x:y is not a dependency of this rule (add it to srcs)');
  assert.equal(error('$(execpath //x:y)', { depsAttr: 'data' }), '$(execpath //x:y): //x:y is not a dependency of this rule (add it to data)');
  assert.equal(error('$(execpath :many)'), '$(execpath :many) expands to 3 files; use $(execpaths)');
  assert.equal(error('$(location :many)'), '$(location :many) expands to 3 files; use $(locations)');
  assert.equal(error('$(rootpath :many)'), '$(rootpath :many) expands to 3 files; use $(rootpaths)');
  assert.equal(error('$(execpath :empty)'), '$(execpath :empty): :empty expands to no files');
  assert.equal(error('$(UNKNOWN)'), '$(UNKNOWN): unknown make variable "UNKNOWN"');
  assert.equal(error('$(execpath)'), '$(execpath) needs a label: $(execpath //pkg:target)');
  assert.match(error('$(abspath :a.txt)'), /^\$\(abspath :a\.txt\): unknown function "abspath"/);
  assert.match(error('x $(execpath :a.txt'), /^unterminated "\$\(" in/);
  assert.match(error('price $5'), /^"\$" must be followed by "\(" or "\$"/);
  assert.match(error('$(execpath //bad::label)'), /^\$\(execpath \/\/bad::label\): invalid label/);
  for (const e of ['$(execpath //x:y)', '$(execpath :many)']) assert.ok(!error(e).includes('\n'));
});
