// src/rules/tar.ts: the aspect_bazel_lib / tar.bzl `tar` rule, built with a hand-made context
// and read back with Python's tarfile (and compared with real bsdtar where installed).
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { zstdDecompressSync } from 'node:zlib';
import { PlainDict } from '../../src/rules/attrs.ts';
import { execPath } from '../../src/rules/make_vars.ts';
import { mtreeSpecRule, repoMappingExecPath } from '../../src/rules/mtree_spec.ts';
import { parseTarArgs, pathmatchRegex, tarRule } from '../../src/rules/tar.ts';
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

interface Inputs {
  a: FileRef;
  gen: FileRef;
  app: FileRef;
  deps: Record<string, Provider>;
}

function inputs(fx: Fixture): Inputs {
  const a = sourceFile(fx, 'pkg/a.txt', 'source a\n');
  const gen = generatedFile(fx, 'pkg/gen.txt', 'generated\n');
  const app = generatedFile(fx, 'pkg/app_/app', '#!/bin/sh\necho app\n', 0o755);
  return { a, gen, app, deps: { ':a.txt': files(a), ':gen': files(gen), ':app': executable(app) } };
}

const T = 1672560000;
function m(name: string, type: string, extra: Partial<FullMember> = {}): FullMember {
  return { name, type, mode: 0o755, uid: 0, gid: 0, uname: '', gname: '', mtime: T, linkname: '', devmajor: 0, devminor: 0, ...extra };
}

async function build(fx: Fixture, attrs: Record<string, unknown>, deps: Record<string, Provider>, name = 'layer') {
  return runRule(tarRule, fx, { name, attrs: attrs as never, deps });
}

async function buildError(fx: Fixture, attrs: Record<string, unknown>, deps: Record<string, Provider> = {}): Promise<string> {
  try {
    await build(fx, attrs, deps);
  } catch (err) {
    const msg = (err as Error).message;
    assert.ok(!msg.includes('\n'), `one-line error: ${msg}`);
    return msg;
  }
  assert.fail('expected the build to fail');
}

/** Copies files to where an exec root would have them, for real bsdtar. */
function execRoot(dir: string, refs: FileRef[], emptyFiles: string[] = []): string {
  for (const f of refs) {
    const dest = join(dir, execPath(f));
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(f.path, dest);
    writeFileSync(dest, readFileSync(f.path));
    statSync(dest);
  }
  for (const p of emptyFiles) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), '');
  }
  return dir;
}

test('default (mtree "auto"): every src at its short path, parents, runfiles of executables', async () => {
  const fx = fixture(await tempDir('tar-auto'));
  const { deps } = inputs(fx);
  const { provider } = await build(fx, { srcs: [':a.txt', ':gen', ':app'] }, deps);
  const out = provider.files[0] as FileRef;
  assert.equal(out.shortPath, 'pkg/layer.tar');
  const exe = { data: '#!/bin/sh\necho app\n' };
  assert.deepEqual(pyMembers(out.path), [
    m('pkg', 'dir'),
    m('pkg/a.txt', 'file', { data: 'source a\n' }),
    m('pkg/gen.txt', 'file', { data: 'generated\n' }),
    m('pkg/app_', 'dir'),
    m('pkg/app_/app', 'file', exe),
    m('pkg/app_/app.runfiles', 'dir'),
    m('pkg/app_/app.runfiles/_main', 'dir'),
    m('pkg/app_/app.runfiles/_main/pkg', 'dir'),
    m('pkg/app_/app.runfiles/_main/pkg/app_', 'dir'),
    m('pkg/app_/app.runfiles/_main/pkg/app_/app', 'file', exe),
    m('pkg/app_/app.runfiles/_repo_mapping', 'file', { data: '' }),
  ]);
});

test('"auto" with include_runfiles = False, and an explicit "auto"', async () => {
  const fx = fixture(await tempDir('tar-norunfiles'));
  const { deps } = inputs(fx);
  const { provider } = await build(fx, { srcs: [':app'], mtree: 'auto', include_runfiles: false }, deps);
  assert.deepEqual(
    pyMembers((provider.files[0] as FileRef).path).map((x) => x.name),
    ['pkg', 'pkg/app_', 'pkg/app_/app'],
  );
});

test('"auto" equals what bsdtar builds from the mtree_spec in an exec root', async () => {
  // scripts/test installs libarchive-tools; a missing checker is a failure, not a skip.
  assert.ok(hasBsdtar(), 'bsdtar (Debian libarchive-tools) is required: run the tests through scripts/test');
  const fx = fixture(await tempDir('tar-vs-bsdtar'));
  const { a, gen, app, deps } = inputs(fx);
  const spaced = sourceFile(fx, 'pkg/with space.txt', 'spaced\n');
  const allDeps = { ...deps, ':with space.txt': files(spaced) };
  const srcs = [':a.txt', ':gen', ':app', ':with space.txt'];
  const ours = (await build(fx, { srcs }, allDeps)).provider.files[0] as FileRef;
  const spec = (await runRule(mtreeSpecRule, fx, { name: 'spec', attrs: { srcs }, deps: allDeps })).provider.files[0] as FileRef;
  const root = execRoot(join(fx.outRoot, 'execroot'), [a, gen, app, spaced], [repoMappingExecPath(app)]);
  const theirs = join(fx.outRoot, 'bsdtar.tar');
  bsdtarCreate(root, spec.path, theirs);
  const strip = (ms: FullMember[]) => ms.map((x) => ({ ...x, name: x.name.replace(/\/+$/, '') }));
  assert.deepEqual(strip(pyMembers(ours.path)), strip(pyMembers(theirs)));
});

test('mtree as a list of lines: $(execpath) against srcs, a non-root owner, links and dirs', async () => {
  const fx = fixture(await tempDir('tar-lines'));
  const { deps } = inputs(fx);
  const { provider } = await build(
    fx,
    {
      srcs: [':app', ':a.txt'],
      mtree: [
        'app type=dir uid=65532 gid=65532 uname=nonroot gname=nonroot mode=0750 time=1700000000',
        'app/server type=file uid=65532 gid=65532 uname=nonroot mode=0555 time=1700000000 content=$(execpath :app)',
        'app/README type=file uid=65532 gid=65532 mode=0444 time=1700000000 content=$(location a.txt)',
        'app/current type=link link=server uid=65532 gid=65532 mode=0777 time=1700000000',
      ],
    },
    deps,
  );
  const common = { uid: 65532, gid: 65532, mtime: 1700000000 };
  assert.deepEqual(pyMembers((provider.files[0] as FileRef).path), [
    m('app', 'dir', { ...common, mode: 0o750, uname: 'nonroot', gname: 'nonroot' }),
    m('app/server', 'file', { ...common, mode: 0o555, uname: 'nonroot', data: '#!/bin/sh\necho app\n' }),
    m('app/README', 'file', { ...common, mode: 0o444, data: 'source a\n' }),
    m('app/current', 'symlink', { ...common, mode: 0o777, linkname: 'server' }),
  ]);
});

test('mtree lines: content by exec path of any configuration, by source path, or the entry path itself', async () => {
  const fx = fixture(await tempDir('tar-content'));
  const { deps } = inputs(fx);
  const { provider } = await build(
    fx,
    {
      srcs: [':gen', ':a.txt'],
      mtree: [
        'x type=file mode=0644 time=0 content=bazel-out/darwin_arm64-opt/bin/pkg/gen.txt',
        'y type=file mode=0644 time=0 content=./pkg/a.txt',
        'pkg/a.txt type=file mode=0600 time=0',
        'z type=file mode=0600 time=0',
      ],
    },
    deps,
  );
  assert.deepEqual(
    pyMembers((provider.files[0] as FileRef).path).map((x) => [x.name, x.data]),
    [
      ['x', 'generated\n'],
      ['y', 'source a\n'],
      ['pkg/a.txt', 'source a\n'],
      ['z', ''],
    ],
  );
});

test('mtree lines: errors for unknown dependencies, ambiguous labels, missing content, escapes, bad lines', async () => {
  const fx = fixture(await tempDir('tar-line-errors'));
  const { deps, a } = inputs(fx);
  const two = files(a, sourceFile(fx, 'pkg/b.txt', 'b'));
  const cases: Array<[string[], string]> = [
    [['x type=file content=$(execpath //x:y)'], 'attribute "mtree": line 1: $(execpath //x:y): //x:y is not a dependency of this rule (add it to srcs)'],
    [['ok type=dir', 'x type=file content=$(execpath :two)'], 'attribute "mtree": line 2: $(execpath :two) expands to 2 files; use $(execpaths)'],
    [['x type=file content=pkg/nope.txt'], 'attribute "mtree": mtree line 1: content "pkg/nope.txt" is not a file of srcs (add the target that provides it to srcs)'],
    [['x type=file content=pkg/gen.txt'], 'attribute "mtree": mtree line 1: content "pkg/gen.txt" is a generated file\'s short path; its exec path is bazel-out/k8-fastbuild/bin/pkg/gen.txt (write content=$(execpath ...))'],
    [['ok type=dir', '../etc/passwd type=file'], 'attribute "mtree": mtree line 2: path "../etc/passwd" escapes the archive root ("..")'],
    [['/etc/passwd type=file'], 'attribute "mtree": mtree line 1: unknown command "/etc/passwd"'],
    [['a type=file', 'b type=socket'], 'attribute "mtree": mtree line 2: unknown type "socket"'],
  ];
  for (const [mtree, expected] of cases) {
    const msg = await buildError(fx, { srcs: [':a.txt', ':gen', ':two'], mtree }, { ...deps, ':two': two });
    assert.ok(msg.startsWith(expected), `got      ${msg}\nexpected ${expected}`);
  }
});

test('mtree as a label of a spec file; errors name the file and line', async () => {
  const fx = fixture(await tempDir('tar-label'));
  const { deps } = inputs(fx);
  const spec = sourceFile(fx, 'pkg/layer.mtree', '#mtree\n/set uid=0 gid=0 mode=0644 time=5\netc type=dir mode=0755\netc/a.txt content=pkg/a.txt\n');
  const { provider } = await build(fx, { srcs: [':a.txt'], mtree: ':layer.mtree' }, { ...deps, ':layer.mtree': files(spec) });
  assert.deepEqual(pyMembers((provider.files[0] as FileRef).path), [
    m('etc', 'dir', { mtime: 5 }),
    m('etc/a.txt', 'file', { mode: 0o644, mtime: 5, data: 'source a\n' }),
  ]);
  const bad = sourceFile(fx, 'pkg/bad.mtree', 'a type=file\nb type=file mode=abc\n');
  assert.equal(
    await buildError(fx, { mtree: ':bad.mtree' }, { ':bad.mtree': files(bad) }),
    'pkg/bad.mtree: mtree line 2: mode=abc: expected an octal mode such as 0644 (symbolic modes are not supported)',
  );
  const missing = sourceFile(fx, 'pkg/missing.mtree', 'a type=file content=pkg/a.txt\n');
  assert.equal(
    await buildError(fx, { mtree: ':missing.mtree' }, { ':missing.mtree': files(missing) }),
    'pkg/missing.mtree: mtree line 1: content "pkg/a.txt" is not a file of srcs (add the target that provides it to srcs)',
  );
});

test('compress: gzip and zstd outputs, names and determinism', async () => {
  const fx = fixture(await tempDir('tar-compress'));
  const { deps } = inputs(fx);
  const gz = (await build(fx, { srcs: [':a.txt'], compress: 'gzip' }, deps, 'gz')).provider.files[0] as FileRef;
  assert.equal(gz.shortPath, 'pkg/gz.tar.gz');
  assert.deepEqual([...readFileSync(gz.path).subarray(0, 2)], [0x1f, 0x8b]);
  assert.deepEqual(
    pyMembers(gz.path).map((x) => x.name),
    ['pkg', 'pkg/a.txt'],
  );
  const zst = (await build(fx, { srcs: [':a.txt'], compress: 'zstd' }, deps, 'zst')).provider.files[0] as FileRef;
  assert.equal(zst.shortPath, 'pkg/zst.tar.zst');
  const bytes = readFileSync(zst.path);
  assert.deepEqual([...bytes.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd]);
  const plain = join(fx.outRoot, 'unzstd.tar');
  writeFileSync(plain, zstdDecompressSync(bytes));
  assert.deepEqual(
    pyMembers(plain).map((x) => [x.name, x.data]),
    [
      ['pkg', undefined],
      ['pkg/a.txt', 'source a\n'],
    ],
  );
  const again = (await build(fx, { srcs: [':a.txt'], compress: 'zstd' }, deps, 'zst')).provider.files[0] as FileRef;
  assert.equal(sha256sum(again.path), sha256sum(zst.path));
  const none = (await build(fx, { srcs: [':a.txt'], compress: '', out: 'sub/custom.tar' }, deps)).provider.files[0] as FileRef;
  assert.equal(none.shortPath, 'pkg/sub/custom.tar');
  assert.deepEqual([...readFileSync(none.path).subarray(257, 262)], [...Buffer.from('ustar')]);
});

test('same inputs in different directories give the same bytes', async () => {
  const digests: string[] = [];
  for (const dir of ['one', 'two-with-a-longer-name']) {
    const fx = fixture(join(await tempDir(`tar-determinism-${dir}`), dir));
    const { deps } = inputs(fx);
    for (const compress of ['', 'gzip']) {
      const { provider } = await build(fx, { srcs: [':a.txt', ':gen', ':app'], compress }, deps);
      digests.push(`${compress}:${sha256sum((provider.files[0] as FileRef).path)}`);
    }
  }
  assert.equal(digests[0], digests[2]);
  assert.equal(digests[1], digests[3]);
  assert.notEqual(digests[0], digests[1]);
});

test('mutate (a tar.bzl mutate(...) partial, as a dict) applies to the auto mtree', async () => {
  const fx = fixture(await tempDir('tar-mutate'));
  const { deps } = inputs(fx);
  const mutate = new PlainDict([
    ['strip_prefix', 'pkg'],
    ['package_dir', '/opt'],
    ['owner', '1000'],
    ['mtime', 42],
    ['excludes', ['pkg/app_/app.runfiles/_main/pkg/app_/app']],
  ]);
  const { provider } = await build(fx, { srcs: [':a.txt', ':app'], mutate }, deps);
  assert.deepEqual(
    pyMembers((provider.files[0] as FileRef).path).map((x) => [x.name, x.type, x.uid, x.mtime]),
    [
      ['opt', 'dir', 1000, 42],
      ['opt/a.txt', 'file', 1000, 42],
      ['opt/app_', 'dir', 1000, 42],
      ['opt/app_/app', 'file', 1000, 42],
      ['opt/app_/app.runfiles', 'dir', 1000, 42],
      ['opt/app_/app.runfiles/_main', 'dir', 1000, 42],
      ['opt/app_/app.runfiles/_main/pkg', 'dir', 1000, 42],
      ['opt/app_/app.runfiles/_main/pkg/app_', 'dir', 1000, 42],
      ['opt/app_/app.runfiles/_repo_mapping', 'file', 1000, 42],
    ],
  );
});

test('args: --exclude and --exclude-vcs apply; no-op flags are accepted; others are rejected', async () => {
  const fx = fixture(await tempDir('tar-args'));
  const { deps } = inputs(fx);
  const log = sourceFile(fx, 'pkg/debug.log', 'log');
  const git = sourceFile(fx, 'pkg/.git/HEAD', 'ref');
  const all = { ...deps, ':debug.log': files(log), ':.git/HEAD': files(git) };
  const srcs = [':a.txt', ':debug.log', ':.git/HEAD'];
  const { provider } = await build(
    fx,
    { srcs, args: ['--exclude-vcs', '--exclude', '*.log', '--numeric-owner', '-v', '--format=gnutar', '--uid', '7', '--no-xattrs'] },
    all,
  );
  assert.deepEqual(
    pyMembers((provider.files[0] as FileRef).path).map((x) => x.name),
    ['pkg', 'pkg/a.txt'],
  );
  const gz = (await build(fx, { srcs: [':a.txt'], args: ['--gzip', '--options=gzip:!timestamp'] }, deps)).provider.files[0] as FileRef;
  assert.deepEqual([...readFileSync(gz.path).subarray(0, 2)], [0x1f, 0x8b]);
  assert.match(await buildError(fx, { srcs: [':a.txt'], args: ['--files-from', 'list'] }, deps), /^attribute "args": "--files-from" is not supported \(it changes the archive/);
  assert.match(await buildError(fx, { srcs: [':a.txt'], args: ['extra/file'] }, deps), /^attribute "args": "extra\/file" is not supported \(file operands/);
  assert.match(await buildError(fx, { srcs: [':a.txt'], args: ['--xz'] }, deps), /^attribute "args": "--xz" is not supported \(only gzip and zstd/);
  assert.match(await buildError(fx, { srcs: [':a.txt'], args: ['--format=zip'] }, deps), /^attribute "args": "--format=zip" is not supported/);
  assert.match(await buildError(fx, { srcs: [':a.txt'], args: ['--exclude'] }, deps), /^attribute "args": "--exclude" needs a value$/);
  assert.match(await buildError(fx, { srcs: [':a.txt'], args: ['--zstd'], compress: 'gzip' }, deps), /asks for zstd compression, but compress = "gzip"/);
});

test('pathmatch: bsdtar --exclude semantics (answers checked with bsdtar 3.6)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['*.log', 'a/b/c.log', true],
    ['*.log', 'a/b/c.txt', false],
    ['b', 'a/b/c.txt', true],
    ['b', 'a/bb/c.txt', false],
    ['a/b', 'a/b/c.txt', true],
    ['a/b', 'x/a/b', true],
    ['^a/b', 'x/a/b', false],
    ['/a', 'a/x', false],
    ['[!a]', 'a/b/c.txt', true],
    ['*/b', 'a/b/c.txt', true],
    ['a/b/c.tx?', 'a/b/c.txt', true],
    ['c.tx?', 'a/c.txt', true],
    ['[ab].txt', 'dir/b.txt', true],
    ['[!ab].txt', 'dir/b.txt', false],
    ['dir$', 'x/dir/file', false],
    ['dir$', 'x/dir', true],
    ['.git', 'x/.git/HEAD', true],
    ['.git', 'x/.github/ci', false],
  ];
  for (const [pattern, path, expected] of cases) assert.equal(pathmatchRegex(pattern).test(path), expected, `${pattern} vs ${path}`);
  assert.deepEqual(parseTarArgs(['-vh']).excludes, []);
  assert.equal(parseTarArgs(['-z']).compress, 'gzip');
});

test('attribute errors: mode, compress, compressor, include_runfiles / mutate without "auto"', async () => {
  const fx = fixture(await tempDir('tar-attr-errors'));
  const { deps } = inputs(fx);
  const spec = sourceFile(fx, 'pkg/x.mtree', 'a type=dir\n');
  const withSpec = { ...deps, ':x.mtree': files(spec) };
  assert.equal(await buildError(fx, { mode: 'append' }), 'attribute "mode": "append" is not supported (only "create")');
  assert.equal(await buildError(fx, { compress: 'xz' }), 'attribute "compress": "xz" is not supported (use "gzip" or "zstd", or leave it unset)');
  assert.equal(await buildError(fx, { compress: 'brotli' }), 'attribute "compress": expected "gzip" or "zstd" (or "" for none), got "brotli"');
  assert.match(await buildError(fx, { compressor: '@pigz' }), /^attribute "compressor": external compressors are not supported/);
  assert.match(await buildError(fx, { mtree: ':x.mtree', include_runfiles: true }, withSpec), /^attribute "include_runfiles": only supported when mtree is "auto"/);
  assert.match(await buildError(fx, { mtree: ['a type=dir'], mutate: new PlainDict([['owner', '1']]) }), /^attribute "mutate": only supported when mtree is "auto"/);
  assert.match(await buildError(fx, { mutate: new PlainDict([['awk_script', ':x.awk']]) }), /^attribute "mutate": attribute "awk_script": custom awk scripts are not supported/);
  assert.match(await buildError(fx, { mtree: ':x.mtree' }, { ':x.mtree': files(spec, spec) }), /^attribute "mtree": \/\/pkg:x\.mtree provides 2 files; expected exactly one mtree file$/);
  // compute_unused_inputs and stamp are accepted and ignored.
  const { provider } = await build(fx, { srcs: [':a.txt'], compute_unused_inputs: 1, stamp: 0 }, deps);
  assert.equal(pyMembers((provider.files[0] as FileRef).path).length, 2);
});

test('mtree lines that leave out mode get what bsdtar gives them in an exec root (outputs read-only, nothing on disk: 0)', async () => {
  assert.ok(hasBsdtar(), 'bsdtar (Debian libarchive-tools) is required: run the tests through scripts/test');
  const fx = fixture(await tempDir('tar-bsdtar-defaults'));
  const { a, gen, app, deps } = inputs(fx);
  const lines = (p: (f: FileRef) => string) => [
    './opt type=dir',
    `./opt/app type=file content=${p(app)}`,
    `./opt/gen type=file content=${p(gen)}`,
    `./opt/a type=file content=${p(a)}`,
    './opt/empty type=file',
    './opt/link type=link link=app',
    './pkg type=dir',
  ];
  const ours = (await build(fx, { srcs: [':app', ':gen', ':a.txt'], mtree: lines((f) => (f === a ? '$(location :a.txt)' : `$(execpath ${f === app ? ':app' : ':gen'})`)) }, deps))
    .provider.files[0] as FileRef;
  // The exec root as Bazel lays it out: outputs read-only (0555 executable, 0444 otherwise).
  const root = execRoot(join(fx.outRoot, 'execroot'), [a, gen, app]);
  chmodSync(join(root, execPath(app)), 0o555);
  chmodSync(join(root, execPath(gen)), 0o444);
  const spec = join(fx.outRoot, 'lines.mtree');
  writeFileSync(spec, `#mtree\n${lines((f) => execPath(f)).join('\n')}\n`);
  const theirs = join(fx.outRoot, 'bsdtar-lines.tar');
  bsdtarCreate(root, spec, theirs);
  // uid/gid and mtime come from the building user and the files' mtimes in bsdtar: not compared
  // (we write 0 for reproducible layers); names, types and modes must agree.
  const view = (ms: FullMember[]) => ms.map((x) => [x.name.replace(/^\.\//, '').replace(/\/+$/, ''), x.type, `0${x.mode.toString(8)}`]);
  assert.deepEqual(view(pyMembers(ours.path)), view(pyMembers(theirs)));
  assert.deepEqual(view(pyMembers(ours.path)), [
    ['opt', 'dir', '00'],
    ['opt/app', 'file', '0555'],
    ['opt/gen', 'file', '0444'],
    ['opt/a', 'file', `0${(statSync(a.path).mode & 0o7777).toString(8)}`],
    ['opt/empty', 'file', '00'],
    ['opt/link', 'symlink', '00'],
    ['pkg', 'dir', '0755'],
  ]);
});
