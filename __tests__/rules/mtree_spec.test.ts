// src/rules/mtree_spec.ts: mtree_spec and mtree_mutate, alone and feeding the tar rule.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { execPath } from '../../src/rules/make_vars.ts';
import { mtreeMutateRule, mtreeSpecRule, pkgTarRunfiles, repoMappingExecPath } from '../../src/rules/mtree_spec.ts';
import { tarRule } from '../../src/rules/tar.ts';
import type { FileRef, Provider } from '../../src/rules/provider.ts';
import {
  bsdtarCreate,
  executable,
  files,
  fixture,
  generatedFile,
  hasBsdtar,
  pyMembers,
  runRule,
  sha256sum,
  sourceFile,
  tempDir,
  type Fixture,
  type FullMember,
} from './tar_harness.test.ts';

const L = 'uid=0 gid=0 time=1672560000 mode=0755';

interface World {
  a: FileRef;
  gen: FileRef;
  app: FileRef;
  top: FileRef;
  spaced: FileRef;
  deps: Record<string, Provider>;
  srcs: string[];
}

function world(fx: Fixture): World {
  const a = sourceFile(fx, 'pkg/a.txt', 'source a\n');
  const gen = generatedFile(fx, 'pkg/gen.txt', 'generated\n');
  const app = generatedFile(fx, 'pkg/app_/app', '#!/bin/sh\necho app\n', 0o755);
  const top = sourceFile(fx, 'top.txt', 'top\n');
  const spaced = sourceFile(fx, 'pkg/with space.txt', 'spaced\n');
  const deps = { ':a.txt': files(a), ':gen': files(gen), ':app': executable(app), '//:top.txt': files(top), ':with space.txt': files(spaced) };
  return { a, gen, app, top, spaced, deps, srcs: Object.keys(deps) };
}

async function text(p: Provider): Promise<string> {
  return readFileSync((p.files[0] as FileRef).path, 'utf8');
}

test('mtree_spec writes what tar.bzl writes: parents, short paths, exec paths, runfiles', async () => {
  const fx = fixture(await tempDir('mtree-spec'));
  const w = world(fx);
  const { provider } = await runRule(mtreeSpecRule, fx, { name: 'spec', attrs: { srcs: w.srcs }, deps: w.deps });
  assert.equal((provider.files[0] as FileRef).shortPath, 'pkg/spec.spec');
  const bin = 'bazel-out/k8-fastbuild/bin';
  assert.equal(
    await text(provider),
    [
      `pkg/ ${L} type=dir nlink=1`,
      `pkg/a.txt ${L} type=file nlink=1 content=pkg/a.txt`,
      `pkg/gen.txt ${L} type=file nlink=1 content=${bin}/pkg/gen.txt`,
      `pkg/app_/ ${L} type=dir nlink=1`,
      `pkg/app_/app ${L} type=file nlink=1 content=${bin}/pkg/app_/app`,
      `top.txt ${L} type=file nlink=1 content=top.txt`,
      `pkg/with\\040space.txt ${L} type=file nlink=1 content=pkg/with\\040space.txt`,
      `pkg/app_/app.runfiles/ ${L} type=dir nlink=1`,
      `pkg/app_/app.runfiles/_main/ ${L} type=dir nlink=1`,
      `pkg/app_/app.runfiles/_main/pkg/ ${L} type=dir nlink=1`,
      `pkg/app_/app.runfiles/_main/pkg/app_/ ${L} type=dir nlink=1`,
      `pkg/app_/app.runfiles/_main/pkg/app_/app ${L} type=file nlink=1 content=${bin}/pkg/app_/app`,
      `pkg/app_/app.runfiles/_repo_mapping ${L} type=file nlink=1 content=${bin}/pkg/app_/app.repo_mapping`,
      '',
    ].join('\n'),
  );
  const noRunfiles = await runRule(mtreeSpecRule, fx, { name: 'spec2', attrs: { srcs: [':app'], include_runfiles: false, out: 'custom.txt' }, deps: w.deps });
  assert.equal((noRunfiles.provider.files[0] as FileRef).shortPath, 'pkg/custom.txt');
  assert.equal(await text(noRunfiles.provider), `pkg/ ${L} type=dir nlink=1\npkg/app_/ ${L} type=dir nlink=1\npkg/app_/app ${L} type=file nlink=1 content=${bin}/pkg/app_/app\n`);
});

test('mtree_spec expands directories; tar reads their files', async () => {
  const fx = fixture(await tempDir('mtree-spec-dir'));
  sourceFile(fx, 'pkg/tree/b', 'b');
  sourceFile(fx, 'pkg/tree/sub/c', 'c');
  const dir: FileRef = { path: join(fx.root, 'pkg/tree'), shortPath: 'pkg/tree', generated: false };
  const deps = { ':tree': files(dir) };
  const spec = await runRule(mtreeSpecRule, fx, { name: 'spec', attrs: { srcs: [':tree'] }, deps });
  assert.equal(
    await text(spec.provider),
    [
      `pkg/ ${L} type=dir nlink=1`,
      `pkg/tree/ ${L} type=dir nlink=1`,
      `pkg/tree/b ${L} type=file nlink=1 content=pkg/tree/b`,
      `pkg/tree/sub/ ${L} type=dir nlink=1`,
      `pkg/tree/sub/c ${L} type=file nlink=1 content=pkg/tree/sub/c`,
      '',
    ].join('\n'),
  );
  const tar = await runRule(tarRule, fx, { name: 't', attrs: { srcs: [':tree'] }, deps });
  assert.deepEqual(
    pyMembers((tar.provider.files[0] as FileRef).path).map((m) => [m.name, m.data]),
    [
      ['pkg', undefined],
      ['pkg/tree', undefined],
      ['pkg/tree/b', 'b'],
      ['pkg/tree/sub', undefined],
      ['pkg/tree/sub/c', 'c'],
    ],
  );
});

async function mutate(fx: Fixture, w: World, attrs: Record<string, unknown>, name = 'mutated') {
  const spec = await runRule(mtreeSpecRule, fx, { name: 'spec', attrs: { srcs: w.srcs }, deps: w.deps });
  return runRule(mtreeMutateRule, fx, { name, attrs: { mtree: ':spec', ...attrs } as never, deps: { ':spec': spec.provider, ...w.deps } });
}

test('mtree_mutate: strip_prefix, package_dir, owner, group, mtime; ownername without uname= warns', async () => {
  const fx = fixture(await tempDir('mtree-mutate'));
  const w = world(fx);
  const { provider, warnings } = await mutate(fx, w, {
    strip_prefix: 'pkg',
    package_dir: '/srv/app',
    owner: '1000',
    group: '1001',
    mtime: 1700000000,
    ownername: 'svc',
  });
  assert.equal((provider.files[0] as FileRef).shortPath, 'pkg/mutated.mtree');
  const bin = 'bazel-out/k8-fastbuild/bin';
  const M = 'uid=1000 gid=1001 time=1700000000 mode=0755';
  assert.equal(
    await text(provider),
    [
      'srv/ type=dir mode=0755 time=1700000000 uid=1000 gid=1001 uname=svc',
      'srv/app/ type=dir mode=0755 time=1700000000 uid=1000 gid=1001 uname=svc',
      `srv/app/a.txt ${M} type=file nlink=1 content=pkg/a.txt`,
      `srv/app/gen.txt ${M} type=file nlink=1 content=${bin}/pkg/gen.txt`,
      `srv/app/app_/ ${M} type=dir nlink=1`,
      `srv/app/app_/app ${M} type=file nlink=1 content=${bin}/pkg/app_/app`,
      `srv/app/with\\040space.txt ${M} type=file nlink=1 content=pkg/with\\040space.txt`,
      `srv/app/app_/app.runfiles/ ${M} type=dir nlink=1`,
      `srv/app/app_/app.runfiles/_main/ ${M} type=dir nlink=1`,
      `srv/app/app_/app.runfiles/_main/pkg/ ${M} type=dir nlink=1`,
      `srv/app/app_/app.runfiles/_main/pkg/app_/ ${M} type=dir nlink=1`,
      `srv/app/app_/app.runfiles/_main/pkg/app_/app ${M} type=file nlink=1 content=${bin}/pkg/app_/app`,
      `srv/app/app_/app.runfiles/_repo_mapping ${M} type=file nlink=1 content=${bin}/pkg/app_/app.repo_mapping`,
      '',
    ].join('\n'),
  );
  assert.deepEqual(warnings, [
    '//pkg:mutated: ownername has no effect: no entry has uname= (mtree_mutate only replaces existing uname= values, as tar.bzl does)',
  ]);
});

test('mtree_mutate: excludes, and owner names replaced where the spec has them', async () => {
  const fx = fixture(await tempDir('mtree-mutate-names'));
  const spec = sourceFile(
    fx,
    'pkg/in.mtree',
    '#mtree\n/set uid=0 gid=0 uname=root gname=root mode=0644 time=1 type=file\netc type=dir mode=0755\n..\netc/a content=pkg/a\netc/skip content=pkg/a\n',
  );
  const { provider, warnings } = await runRule(mtreeMutateRule, fx, {
    name: 'm',
    attrs: { mtree: ':in.mtree', ownername: 'nonroot', groupname: 'nonroot', owner: '65532', group: '65532', excludes: ['etc/skip'] },
    deps: { ':in.mtree': files(spec) },
  });
  assert.deepEqual(warnings, []);
  assert.equal(
    await text(provider),
    [
      'etc/ uid=65532 gid=65532 uname=nonroot gname=nonroot mode=0755 time=1 type=dir',
      'etc/a uid=65532 gid=65532 uname=nonroot gname=nonroot mode=0644 time=1 type=file content=pkg/a',
      '',
    ].join('\n'),
  );
});

test('mtree_spec → mtree_mutate → tar: the layer, and the same layer from bsdtar', async () => {
  const fx = fixture(await tempDir('mtree-pipeline'));
  const w = world(fx);
  const mutated = await mutate(fx, w, { strip_prefix: 'pkg', package_dir: 'app', owner: '65532', mtime: '1700000000' });
  const deps = { ...w.deps, ':mutated': mutated.provider };
  const layer = await runRule(tarRule, fx, { name: 'layer', attrs: { srcs: w.srcs, mtree: ':mutated' }, deps });
  const out = (layer.provider.files[0] as FileRef).path;
  const row = (m: FullMember) => [m.name, m.type, m.mode.toString(8), m.uid, m.gid, m.mtime, m.data ?? null];
  const members = pyMembers(out);
  assert.deepEqual(members.map(row), [
    // package_dir directories get the new owner too (tar.bzl issue #91).
    ['app', 'dir', '755', 65532, 0, 1700000000, null],
    ['app/a.txt', 'file', '755', 65532, 0, 1700000000, 'source a\n'],
    ['app/gen.txt', 'file', '755', 65532, 0, 1700000000, 'generated\n'],
    ['app/app_', 'dir', '755', 65532, 0, 1700000000, null],
    ['app/app_/app', 'file', '755', 65532, 0, 1700000000, '#!/bin/sh\necho app\n'],
    ['app/with space.txt', 'file', '755', 65532, 0, 1700000000, 'spaced\n'],
    ['app/app_/app.runfiles', 'dir', '755', 65532, 0, 1700000000, null],
    ['app/app_/app.runfiles/_main', 'dir', '755', 65532, 0, 1700000000, null],
    ['app/app_/app.runfiles/_main/pkg', 'dir', '755', 65532, 0, 1700000000, null],
    ['app/app_/app.runfiles/_main/pkg/app_', 'dir', '755', 65532, 0, 1700000000, null],
    ['app/app_/app.runfiles/_main/pkg/app_/app', 'file', '755', 65532, 0, 1700000000, '#!/bin/sh\necho app\n'],
    ['app/app_/app.runfiles/_repo_mapping', 'file', '755', 65532, 0, 1700000000, ''],
  ]);
  // Determinism: the whole pipeline again, elsewhere, gives the same bytes.
  const fx2 = fixture(await tempDir('mtree-pipeline-again'));
  const w2 = world(fx2);
  const mutated2 = await mutate(fx2, w2, { strip_prefix: 'pkg', package_dir: 'app', owner: '65532', mtime: '1700000000' });
  const layer2 = await runRule(tarRule, fx2, { name: 'layer', attrs: { srcs: w2.srcs, mtree: ':mutated' }, deps: { ...w2.deps, ':mutated': mutated2.provider } });
  assert.equal(sha256sum((layer2.provider.files[0] as FileRef).path), sha256sum(out));

  // scripts/test installs libarchive-tools; a missing checker is a failure, not a skip.
  assert.ok(hasBsdtar(), 'bsdtar (Debian libarchive-tools) is required: run the tests through scripts/test');
  const root = join(fx.outRoot, 'execroot');
  for (const f of [w.a, w.gen, w.app, w.top, w.spaced]) {
    mkdirSync(dirname(join(root, execPath(f))), { recursive: true });
    copyFileSync(f.path, join(root, execPath(f)));
  }
  writeFileSync(join(root, repoMappingExecPath(w.app)), '');
  const theirs = join(fx.outRoot, 'bsdtar.tar');
  bsdtarCreate(root, (mutated.provider.files[0] as FileRef).path, theirs);
  const strip = (ms: FullMember[]) => ms.map((m) => ({ ...m, name: m.name.replace(/\/+$/, '') }));
  assert.deepEqual(strip(members), strip(pyMembers(theirs)));
});

test('mtree_mutate preserve_symlinks: a src that links to another src becomes a symlink', async () => {
  const fx = fixture(await tempDir('mtree-symlinks'));
  const real = sourceFile(fx, 'pkg/real.txt', 'real\n');
  symlinkSync('real.txt', join(fx.root, 'pkg/link.txt'));
  const link: FileRef = { path: join(fx.root, 'pkg/link.txt'), shortPath: 'pkg/link.txt', generated: false };
  const deps = { ':real.txt': files(real), ':link.txt': files(link) };
  const spec = await runRule(mtreeSpecRule, fx, { name: 'spec', attrs: { srcs: [':real.txt', ':link.txt'] }, deps });
  const all = { ...deps, ':spec': spec.provider };
  const m = await runRule(mtreeMutateRule, fx, { name: 'm', attrs: { mtree: ':spec', srcs: [':real.txt', ':link.txt'], preserve_symlinks: true, strip_prefix: 'pkg' }, deps: all });
  assert.equal(
    await text(m.provider),
    [`real.txt ${L} type=file nlink=1 content=pkg/real.txt`, `link.txt ${L} type=link nlink=1 link=real.txt`, ''].join('\n'),
  );
  const layer = await runRule(tarRule, fx, { name: 'l', attrs: { srcs: [':real.txt', ':link.txt'], mtree: ':m' }, deps: { ...all, ':m': m.provider } });
  assert.deepEqual(
    pyMembers((layer.provider.files[0] as FileRef).path).map((x) => [x.name, x.type, x.linkname, x.data ?? null]),
    [
      ['real.txt', 'file', '', 'real\n'],
      ['link.txt', 'symlink', 'real.txt', null],
    ],
  );
  // Without preserve_symlinks the link is followed, as bsdtar does.
  const followed = await runRule(tarRule, fx, { name: 'f', attrs: { srcs: [':real.txt', ':link.txt'] }, deps });
  assert.deepEqual(
    pyMembers((followed.provider.files[0] as FileRef).path).map((x) => [x.name, x.type, x.data ?? null]),
    [
      ['pkg', 'dir', null],
      ['pkg/real.txt', 'file', 'real\n'],
      ['pkg/link.txt', 'file', 'real\n'],
    ],
  );
});

test('mtree_mutate attribute errors', async () => {
  const fx = fixture(await tempDir('mtree-mutate-errors'));
  const spec = sourceFile(fx, 'pkg/in.mtree', 'a type=dir\n');
  const deps = { ':in.mtree': files(spec), ':x.awk': files(sourceFile(fx, 'pkg/x.awk', '')) };
  const err = async (attrs: Record<string, unknown>): Promise<string> => {
    try {
      await runRule(mtreeMutateRule, fx, { name: 'm', attrs: { mtree: ':in.mtree', ...attrs } as never, deps });
    } catch (e) {
      return (e as Error).message;
    }
    assert.fail('expected an error');
  };
  assert.match(await err({ awk_script: ':x.awk' }), /^attribute "awk_script": custom awk scripts are not supported/);
  assert.match(await err({ includes: [':x.awk'] }), /^attribute "includes": custom awk scripts are not supported/);
  assert.match(await err({ script_args: new (await import('../../src/rules/attrs.ts')).PlainDict([['k', 'v']]) }), /^attribute "script_args": custom awk scripts/);
  assert.equal(await err({ owner: 'nonroot' }), 'attribute "owner": expected a numeric id such as "1000", got "nonroot"');
  assert.equal(await err({ mtime: 'yesterday' }), 'attribute "mtime": expected seconds since the epoch (an integer), got "yesterday"');
  assert.equal(await err({ preserve_symlinks: true }), 'attribute "preserve_symlinks": requires srcs to be set in order to resolve symlinks');
  const errWith = async (attrs: Record<string, unknown>, d: Record<string, Provider>): Promise<string> => {
    try {
      await runRule(mtreeMutateRule, fx, { name: 'm', attrs: attrs as never, deps: d });
    } catch (e) {
      return (e as Error).message;
    }
    assert.fail('expected an error');
  };
  assert.equal(await errWith({ mtree: ':two' }, { ':two': files(spec, spec) }), 'attribute "mtree": //pkg:two provides 2 files; expected exactly one mtree file');
  const bad = sourceFile(fx, 'pkg/bad.mtree', 'ok type=dir\nx type=nope\n');
  assert.equal(
    await errWith({ mtree: ':bad.mtree' }, { ':bad.mtree': files(bad) }),
    'pkg/bad.mtree: mtree line 2: unknown type "nope" (expected file, dir, link, fifo, char or block)',
  );
});

test('pkgTarRunfiles: rules_pkg include_runfiles destinations', async () => {
  const fx = fixture(await tempDir('pkg-tar-runfiles'));
  const app = generatedFile(fx, 'pkg/app_/app', 'x', 0o755);
  const lib = generatedFile(fx, 'pkg/lib.txt', 'y');
  const provs = [executable(app), files(lib)];
  assert.deepEqual(pkgTarRunfiles(provs, 'pkg', undefined), [
    { dest: 'app.runfiles/_main/pkg/app_/app', file: { path: app.path, shortPath: 'pkg/app_/app', executable: true } },
    { dest: 'app.repo_mapping', empty: true },
    { dest: 'app.runfiles/_repo_mapping', empty: true },
  ]);
  assert.deepEqual(
    pkgTarRunfiles(provs, 'pkg', '.').map((x) => x.dest),
    ['app_/app.runfiles/_main/pkg/app_/app', 'app_/app.repo_mapping', 'app_/app.runfiles/_repo_mapping'],
  );
});
