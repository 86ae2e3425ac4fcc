// pkg_tar semantics, mostly mirroring rules_pkg's tests/tar/BUILD + pkg_tar_test.py cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  PORTABLE_MTIME,
  compressionForExtension,
  computeDataPath,
  destPath,
  planPkgTar,
  writePkgTar,
  type PkgTarAttrs,
  type PkgTarInputFile,
} from '../../src/tar/pkg_tar.ts';
import { gnuTarList, pyList, type PyMember } from './helpers.ts';
import { tempDir } from './helpers.ts';

const dir = await tempDir('pkg-tar');

async function input(shortPath: string, content = '1\n', executable?: boolean): Promise<PkgTarInputFile> {
  const path = join(dir, 'ws', shortPath);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  return executable === undefined ? { path, shortPath } : { path, shortPath, executable };
}

// Generated files of package tests/tar, as in rules_pkg's tests.
const nsswitch = await input('tests/tar/etc/nsswitch.conf');
const titi = await input('tests/tar/usr/titi');

let n = 0;
async function build(attrs: Partial<PkgTarAttrs>): Promise<{ members: PyMember[]; out: string; warnings: string[] }> {
  const plan = planPkgTar({ package: 'tests/tar', ...attrs });
  const out = join(dir, `out-${n++}.tar${plan.compression === 'gzip' ? '.gz' : ''}`);
  const warnings: string[] = [];
  await writePkgTar(plan, out, (w) => warnings.push(w));
  return { members: pyList(out), out, warnings };
}

const pick = (ms: PyMember[], ...keys: Array<keyof PyMember>) =>
  ms.map((m) => Object.fromEntries(keys.map((k) => [k, k === 'mode' ? m.mode.toString(8) : m[k]])));

test('test-tar-basic: mode, modes, owner(s), ownername(s), strip_prefix ".", symlinks, tar and tar.gz', async () => {
  for (const extension of ['tar', 'tar.gz']) {
    const { members, out } = await build({
      srcs: [nsswitch, titi],
      extension,
      mode: '0644',
      modes: { 'usr/titi': '0755' },
      owner: '42.24',
      ownername: 'titi.tata',
      ownernames: { 'etc/nsswitch.conf': 'tata.titi' },
      owners: { 'etc/nsswitch.conf': '24.42' },
      package_dir: '/',
      strip_prefix: '.',
      symlinks: { 'usr/bin/java': '/path/to/bin/java' },
    });
    assert.deepEqual(pick(members, 'name', 'type', 'mode', 'uid', 'gid', 'uname', 'gname', 'mtime', 'linkname'), [
      { name: 'etc', type: 'dir', mode: '755', uid: 24, gid: 42, uname: 'tata', gname: 'titi', mtime: PORTABLE_MTIME, linkname: '' },
      { name: 'etc/nsswitch.conf', type: 'file', mode: '644', uid: 24, gid: 42, uname: 'tata', gname: 'titi', mtime: PORTABLE_MTIME, linkname: '' },
      { name: 'usr', type: 'dir', mode: '755', uid: 42, gid: 24, uname: 'titi', gname: 'tata', mtime: PORTABLE_MTIME, linkname: '' },
      { name: 'usr/bin', type: 'dir', mode: '755', uid: 42, gid: 24, uname: 'titi', gname: 'tata', mtime: PORTABLE_MTIME, linkname: '' },
      { name: 'usr/bin/java', type: 'symlink', mode: '644', uid: 42, gid: 24, uname: 'titi', gname: 'tata', mtime: PORTABLE_MTIME, linkname: '/path/to/bin/java' },
      { name: 'usr/titi', type: 'file', mode: '755', uid: 42, gid: 24, uname: 'titi', gname: 'tata', mtime: PORTABLE_MTIME, linkname: '' },
    ]);
    if (extension === 'tar.gz') assert.equal(gnuTarList(out, true).length, 6);
  }
});

test('defaults: mode 0555, owner 0.0, no names, portable mtime, flattened to basenames', async () => {
  const { members } = await build({ srcs: [nsswitch, titi] });
  assert.deepEqual(pick(members, 'name', 'mode', 'uid', 'gid', 'uname', 'gname', 'mtime', 'data'), [
    { name: 'nsswitch.conf', mode: '555', uid: 0, gid: 0, uname: '', gname: '', mtime: PORTABLE_MTIME, data: '1\n' },
    { name: 'titi', mode: '555', uid: 0, gid: 0, uname: '', gname: '', mtime: PORTABLE_MTIME, data: '1\n' },
  ]);
});

test('strip_prefix: unset, empty, "etc", substring "et", absolute "/tests", "." (pkg_tar_test.py)', async () => {
  const names = async (strip_prefix: string | undefined) =>
    (await build(strip_prefix === undefined ? { srcs: [nsswitch] } : { srcs: [nsswitch], strip_prefix })).members.map((m) => m.name);
  assert.deepEqual(await names(undefined), ['nsswitch.conf']);
  assert.deepEqual(await names(''), ['nsswitch.conf']);
  assert.deepEqual(await names('etc'), ['nsswitch.conf']);
  assert.deepEqual(await names('et'), ['etc', 'etc/nsswitch.conf']);
  assert.deepEqual(await names('.'), ['etc', 'etc/nsswitch.conf']);
  assert.deepEqual(await names('./etc'), ['nsswitch.conf']);
  assert.deepEqual(await names('/tests'), ['tar', 'tar/etc', 'tar/etc/nsswitch.conf']);
  assert.deepEqual(await names('/'), ['tests', 'tests/tar', 'tests/tar/etc', 'tests/tar/etc/nsswitch.conf']);
  // A file of another package keeps its full path when strip_prefix does not prefix it.
  const other = await input('other/pkg/data.txt');
  assert.deepEqual((await build({ srcs: [other], strip_prefix: '.' })).members.map((m) => m.name), [
    'other',
    'other/pkg',
    'other/pkg/data.txt',
  ]);
});

test('path.bzl helpers', () => {
  assert.equal(computeDataPath('apps/hello', undefined), undefined);
  assert.equal(computeDataPath('apps/hello', '.'), 'apps/hello');
  assert.equal(computeDataPath('apps/hello', './'), 'apps/hello');
  assert.equal(computeDataPath('apps/hello', 'config'), 'apps/hello/config');
  assert.equal(computeDataPath('', 'config'), 'config');
  assert.equal(computeDataPath('apps/hello', '/srv'), 'srv');
  assert.equal(destPath('apps/hello/hello_linux_amd64', undefined, 'apps/hello'), '/hello_linux_amd64');
  assert.equal(destPath('apps/hello/config/a.yaml', 'apps/hello', 'apps/hello'), '/config/a.yaml');
  assert.equal(destPath('top.txt', undefined, ''), 'top.txt');
});

test('files dict (test-tar-files_dict)', async () => {
  const { members } = await build({ files: [{ file: nsswitch, dest: 'not-etc/mapped-filename.conf' }] });
  assert.deepEqual(pick(members, 'name', 'type', 'mode'), [
    { name: 'not-etc', type: 'dir', mode: '755' },
    { name: 'not-etc/mapped-filename.conf', type: 'file', mode: '555' },
  ]);
});

test('empty_files and empty_dirs take mode/owner like other entries (test-tar-empty_files, _dirs)', async () => {
  const files = await build({ empty_files: ['/a', '/b'], mode: '0o777' });
  assert.deepEqual(pick(files.members, 'name', 'type', 'size', 'uid', 'mtime', 'mode'), [
    { name: 'a', type: 'file', size: 0, uid: 0, mtime: PORTABLE_MTIME, mode: '777' },
    { name: 'b', type: 'file', size: 0, uid: 0, mtime: PORTABLE_MTIME, mode: '777' },
  ]);
  const dirs = await build({ empty_dirs: ['/tmp', '/pmt'], mode: '0o777' });
  assert.deepEqual(pick(dirs.members, 'name', 'type', 'size', 'uid', 'mtime', 'mode'), [
    { name: 'pmt', type: 'dir', size: 0, uid: 0, mtime: PORTABLE_MTIME, mode: '777' },
    { name: 'tmp', type: 'dir', size: 0, uid: 0, mtime: PORTABLE_MTIME, mode: '777' },
  ]);
  // Without `mode`, the rule's default 0555 applies to them too; `modes` picks one out.
  const dflt = await build({ empty_dirs: ['var/run'], empty_files: ['etc/x'], modes: { 'var/run': '1777' }, owners: { '/etc/x': '7.8' } });
  assert.deepEqual(pick(dflt.members, 'name', 'mode', 'uid', 'gid'), [
    { name: 'etc', mode: '755', uid: 7, gid: 8 },
    { name: 'etc/x', mode: '555', uid: 7, gid: 8 },
    { name: 'var', mode: '755', uid: 0, gid: 0 },
    { name: 'var/run', mode: '1777', uid: 0, gid: 0 },
  ]);
});

test('mtime needs portable_mtime = False (test-tar-mtime)', async () => {
  const { members } = await build({ srcs: [nsswitch], mtime: 946684740, portable_mtime: false });
  assert.deepEqual(pick(members, 'name', 'mtime'), [{ name: 'nsswitch.conf', mtime: 946684740 }]);
  assert.throws(() => planPkgTar({ package: 'p', mtime: 5 }), /may not set both mtime and portable_mtime/);
  const zero = await build({ srcs: [nsswitch], portable_mtime: false });
  assert.equal(zero.members[0].mtime, 0);
});

test('package_dir prefixes everything, including symlinks and deps; modes keys exclude it', async () => {
  const { members } = await build({
    srcs: [titi],
    package_dir: '/my/package',
    modes: { titi: '0700' },
    symlinks: { mylink: 'dangling', 'my/package/already': 'x' },
    empty_dirs: ['data'],
  });
  assert.deepEqual(pick(members, 'name', 'type', 'mode', 'linkname'), [
    { name: 'my', type: 'dir', mode: '755', linkname: '' },
    { name: 'my/package', type: 'dir', mode: '755', linkname: '' },
    { name: 'my/package/data', type: 'dir', mode: '555', linkname: '' },
    // build_tar.py does not prefix a path that already starts with package_dir (#749).
    { name: 'my/package/already', type: 'symlink', mode: '555', linkname: 'x' },
    { name: 'my/package/mylink', type: 'symlink', mode: '555', linkname: 'dangling' },
    { name: 'my/package/titi', type: 'file', mode: '700', linkname: '' },
  ]);
  // package_dir "." would give "./name" in rules_pkg; we write "name".
  const dot = await build({ srcs: [titi], package_dir: '.' });
  assert.deepEqual(dot.members.map((m) => m.name), ['titi']);
});

test('remap_paths rewrites the first matching prefix of srcs destinations', async () => {
  const bin = await input('apps/hello/hello_linux_amd64', 'ELF', true);
  const cfg = await input('apps/hello/config/app.yaml', 'k: v');
  const { members } = await build({
    package: 'apps/hello',
    srcs: [bin, cfg],
    strip_prefix: '.',
    remap_paths: { '/hello_linux_amd64': '/usr/bin/hello', '/config': '/etc/hello', '/config/app': '/never' },
  });
  assert.deepEqual(pick(members, 'name', 'mode'), [
    { name: 'etc', mode: '755' },
    { name: 'etc/hello', mode: '755' },
    { name: 'etc/hello/app.yaml', mode: '555' },
    { name: 'usr', mode: '755' },
    { name: 'usr/bin', mode: '755' },
    { name: 'usr/bin/hello', mode: '755' },
  ]);
});

test("a target's executable gets 0755 even over mode and modes (rules_pkg #822)", async () => {
  const bin = await input('apps/hello/hello', 'ELF', true);
  const { members } = await build({ package: 'apps/hello', srcs: [bin], mode: '0500', modes: { hello: '0511' } });
  assert.deepEqual(pick(members, 'name', 'mode'), [{ name: 'hello', mode: '755' }]);
});

test('empty mode falls back to the file executable bit (build_tar.py add_file)', async () => {
  const script = await input('tests/tar/run.sh', '#!/bin/sh\n');
  await chmod(script.path, 0o755);
  const { members } = await build({ srcs: [script, nsswitch], mode: '' });
  assert.deepEqual(pick(members, 'name', 'mode'), [
    { name: 'nsswitch.conf', mode: '644' },
    { name: 'run.sh', mode: '755' },
  ]);
});

test('entries are sorted by destination; deps come last, under package_dir, long names kept', async () => {
  const longName = 'file_with_a_ridiculously_long_name_consectetur_adipiscing_elit_fusce_laoreet_lorem_neque_sed_pharetra_erat.txt';
  const longFile = await input(`tests/testdata/${longName}`, 'lorem');
  const inner = await build({ srcs: [longFile] });
  assert.deepEqual(inner.members.map((m) => m.name), [longName]);
  const outer = await build({
    package_dir: 'can_i_repackage_a_file_with_a_long_name',
    deps: [inner.out],
    srcs: [titi, nsswitch],
  });
  assert.deepEqual(pick(outer.members, 'name', 'data'), [
    { name: 'can_i_repackage_a_file_with_a_long_name', data: undefined },
    { name: 'can_i_repackage_a_file_with_a_long_name/nsswitch.conf', data: '1\n' },
    { name: 'can_i_repackage_a_file_with_a_long_name/titi', data: '1\n' },
    { name: `can_i_repackage_a_file_with_a_long_name/${longName}`, data: 'lorem' },
  ]);
});

test('duplicate destinations: later srcs win in the content map, with a warning', async () => {
  const a = await input('tests/tar/a/same.txt', 'A');
  const b = await input('tests/tar/b/same.txt', 'B');
  const { members, warnings } = await build({ srcs: [a, b] });
  assert.deepEqual(pick(members, 'name', 'data'), [{ name: 'same.txt', data: 'B' }]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /duplicate output path <same.txt>/);
  // A dep member colliding with a manifest entry: the first written (the manifest's) is kept.
  const dep = await build({ srcs: [a] });
  const merged = await build({ srcs: [b], deps: [dep.out] });
  assert.deepEqual(pick(merged.members, 'name', 'data'), [{ name: 'same.txt', data: 'B' }]);
  assert.match(merged.warnings.join('\n'), /duplicate path "same.txt"/);
});

test('extension → compression, and unsupported ones fail clearly', () => {
  assert.equal(compressionForExtension(undefined), 'none');
  assert.equal(compressionForExtension('tar'), 'none');
  assert.equal(compressionForExtension('.tar.gz'), 'gzip');
  assert.equal(compressionForExtension('tgz'), 'gzip');
  assert.equal(compressionForExtension('gz'), 'gzip');
  assert.throws(() => compressionForExtension('tar.bz2'), /bz2 compression, which is not supported/);
  assert.throws(() => compressionForExtension('tar.xz'), /xz compression/);
  assert.throws(() => compressionForExtension('zip'), /unsupported compression 'zip' from extension "zip"/);
  assert.equal(planPkgTar({ package: 'p', extension: 'tar.gz', compression_level: 12 }).gzipLevel, 9);
  assert.equal(planPkgTar({ package: 'p', extension: 'tar.gz' }).gzipLevel, 6);
});

test('bad attribute values and escaping destinations are rejected naming the value', () => {
  assert.throws(() => planPkgTar({ package: 'p', mode: '0999' }), /invalid mode "0999"/);
  assert.throws(() => planPkgTar({ package: 'p', owner: 'root.root' }), /invalid owner "root.root": expected numeric "uid.gid"/);
  assert.throws(() => planPkgTar({ package: 'p', ownername: 'root' }), /invalid ownername "root": expected "user.group"/);
  assert.throws(() => planPkgTar({ package: 'p', modes: { x: 'rw' } }), /invalid modes\["x"\] "rw"/);
  assert.throws(
    () => planPkgTar({ package: 'p', symlinks: { '../../etc/evil': '/x' } }),
    /destination "\.\.\/\.\.\/etc\/evil" \(from symlinks\) escapes the archive root/,
  );
  assert.throws(
    () => planPkgTar({ package: 'p', files: [{ file: nsswitch, dest: 'a/../../b' }] }),
    /destination "a\/\.\.\/\.\.\/b" \(from files\) escapes/,
  );
  // normpath inside the archive is fine (rules_pkg normalises the same way).
  assert.equal(planPkgTar({ package: 'p', empty_files: ['a/../b'] }).entries[0].path, 'b');
});

test('deterministic: same attributes give the same bytes', async () => {
  const attrs = { srcs: [nsswitch, titi], extension: 'tar.gz', symlinks: { l: 't' } };
  const a = await build(attrs);
  const b = await build(attrs);
  const { readFile } = await import('node:fs/promises');
  assert.deepEqual(await readFile(a.out), await readFile(b.out));
});
