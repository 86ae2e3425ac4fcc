import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile, readdir, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { writeTar, TarWriter } from '../../src/tar/writer.ts';
import { normalizeArchivePath, posixNormpath } from '../../src/tar/path.ts';
import type { TarEntry } from '../../src/tar/entry.ts';
import { readTarMembers, type ArchiveMember } from '../../src/tar/reader.ts';
import { gnuTarList, pyList, python, sha256sum, tempDir } from './helpers.ts';

const dir = await tempDir('tar-writer');
const f1 = join(dir, 'f1');
const f2 = join(dir, 'f2');
await writeFile(f1, 'hello\n');
await writeFile(f2, Buffer.alloc(3000, 7));

const LONG_DIR = 'd/' + 'x'.repeat(120);
const LONG = `${LONG_DIR}/file_with_a_ridiculously_long_name_consectetur_adipiscing_elit_fusce_laoreet.txt`;
const LONG_TARGET = '/path/' + 'y'.repeat(150);

function sample(): TarEntry[] {
  return [
    { path: 'etc/a.txt', type: 'file', mode: 0o644, uid: 24, gid: 42, uname: 'tata', gname: 'titi', source: { file: f1 } },
    { path: './bin/b', type: 'file', mode: 0o755, source: { file: f2 } },
    { path: LONG, type: 'file', mode: 0o555, source: { content: 'long' } },
    { path: 'usr/bin/java', type: 'symlink', mode: 0o777, linkname: LONG_TARGET },
    { path: 'empty/', type: 'dir', mode: 0o700 },
    { path: 'bin/c', type: 'hardlink', mode: 0o755, linkname: 'bin/b' },
    { path: 'big-uid', type: 'file', mode: 0o600, uid: 3_000_000, source: { content: new Uint8Array([1, 2, 3]) } },
  ];
}

test('members, metadata and contents as read back by Python tarfile', async () => {
  const out = join(dir, 'sample.tar');
  const res = await writeTar(sample(), out, { mtime: 946684800 });
  const got = pyList(out);
  assert.deepEqual(
    got.map((m) => [m.name, m.type, m.mode.toString(8), m.uid, m.gid, m.uname, m.gname, m.mtime, m.size, m.linkname]),
    [
      ['etc', 'dir', '755', 24, 42, 'tata', 'titi', 946684800, 0, ''],
      ['etc/a.txt', 'file', '644', 24, 42, 'tata', 'titi', 946684800, 6, ''],
      ['bin', 'dir', '755', 0, 0, '', '', 946684800, 0, ''],
      ['bin/b', 'file', '755', 0, 0, '', '', 946684800, 3000, ''],
      ['d', 'dir', '755', 0, 0, '', '', 946684800, 0, ''],
      [LONG_DIR, 'dir', '755', 0, 0, '', '', 946684800, 0, ''],
      [LONG, 'file', '555', 0, 0, '', '', 946684800, 4, ''],
      ['usr', 'dir', '755', 0, 0, '', '', 946684800, 0, ''],
      ['usr/bin', 'dir', '755', 0, 0, '', '', 946684800, 0, ''],
      ['usr/bin/java', 'symlink', '777', 0, 0, '', '', 946684800, 0, LONG_TARGET],
      ['empty', 'dir', '700', 0, 0, '', '', 946684800, 0, ''],
      ['bin/c', 'hardlink', '755', 0, 0, '', '', 946684800, 0, 'bin/b'],
      ['big-uid', 'file', '600', 3_000_000, 0, '', '', 946684800, 3, ''],
    ],
  );
  assert.equal(got[1].data, 'hello\n');
  assert.equal(got[6].data, 'long');
  assert.equal(res.members, 13);
  assert.equal(res.tarSize, (await readFile(out)).length);
  // Directories carry a trailing "/" in the archive, as GNU tar and rules_pkg write them.
  assert.ok(gnuTarList(out).includes('etc/'));
});

test('bytes are identical to Python tarfile GNU_FORMAT (what rules_pkg build_tar.py writes)', async () => {
  const out = join(dir, 'compat.tar');
  await writeTar(sample(), out, { mtime: 946684800 });
  const py = join(dir, 'compat-py.tar');
  python(
    `
import io, sys, tarfile
f1, f2, long, target, out = sys.argv[1:]
t = tarfile.open(out, 'w', format=tarfile.GNU_FORMAT)
def add(name, kind=tarfile.REGTYPE, data=None, mode=0o644, uid=0, gid=0, uname='', gname='', link=None):
    i = tarfile.TarInfo(name); i.type = kind; i.mode = mode; i.uid = uid; i.gid = gid
    i.uname = uname; i.gname = gname; i.mtime = 946684800
    if link: i.linkname = link
    if data is not None:
        i.size = len(data); t.addfile(i, io.BytesIO(data))
    else:
        t.addfile(i)
def d(n, uid=0, gid=0, uname='', gname=''): add(n + '/', tarfile.DIRTYPE, mode=0o755, uid=uid, gid=gid, uname=uname, gname=gname)
d('etc', 24, 42, 'tata', 'titi')
add('etc/a.txt', data=open(f1, 'rb').read(), uid=24, gid=42, uname='tata', gname='titi')
d('bin'); add('bin/b', data=open(f2, 'rb').read(), mode=0o755)
d('d'); d(long.rsplit('/', 1)[0]); add(long, data=b'long', mode=0o555)
d('usr'); d('usr/bin'); add('usr/bin/java', tarfile.SYMTYPE, mode=0o777, link=target)
add('empty/', tarfile.DIRTYPE, mode=0o700)
add('bin/c', tarfile.LNKTYPE, mode=0o755, link='bin/b')
add('big-uid', data=bytes([1, 2, 3]), mode=0o600, uid=3000000)
t.close()
`,
    f1,
    f2,
    LONG,
    LONG_TARGET,
    py,
  );
  assert.deepEqual(await readFile(out), await readFile(py));
});

test('two writes give identical bytes, plain and gzip', async () => {
  for (const compression of ['none', 'gzip'] as const) {
    const a = join(dir, `det-a-${compression}`);
    const b = join(dir, `det-b-${compression}`);
    await writeTar(sample(), a, { compression, mtime: 5 });
    await writeTar(sample(), b, { compression, mtime: 5 });
    assert.equal(sha256sum(a), sha256sum(b));
  }
});

test('gzip output: fixed header, readable by GNU tar and gunzip', async () => {
  const out = join(dir, 'sample.tar.gz');
  await writeTar(sample(), out, { compression: 'gzip', gzipLevel: 9 });
  const head = (await readFile(out)).subarray(0, 10);
  assert.equal(head[0], 0x1f);
  assert.equal(head[1], 0x8b);
  assert.equal(head[3] & 0x08, 0, 'no file name');
  assert.equal(head.readUInt32LE(4), 0, 'mtime 0');
  assert.equal(head[9], 0xff, 'OS unknown');
  const names = gnuTarList(out, true);
  assert.ok(names.includes(LONG));
  assert.ok(names.includes('usr/bin/java'));
  const plain = join(dir, 'plain-of-gz.tar');
  await writeTar(sample(), plain, {});
  const gunzipped = execFileSync('sh', ['-c', `gunzip -c '${out}' | sha256sum`], { encoding: 'utf8' }).split(' ')[0];
  assert.equal(gunzipped, sha256sum(plain));
});

test('rejects absolute paths and paths escaping the root, naming the path', async () => {
  const bad: Array<[string, RegExp]> = [
    ['/etc/passwd', /absolute path "\/etc\/passwd"/],
    ['../x', /path "\.\.\/x" escapes the archive root/],
    ['a/../../x', /path "a\/\.\.\/\.\.\/x" escapes/],
    ['a/../b', /escapes/],
    ['./', /names the archive root/],
  ];
  for (const [path, re] of bad) {
    await assert.rejects(writeTar([{ path, type: 'file', mode: 0o644 }], join(dir, 'bad.tar')), re);
  }
  // Nothing is left behind on failure.
  assert.deepEqual((await readdir(dir)).filter((n) => n.includes('bad.tar')), []);
  assert.equal(normalizeArchivePath('./a//b/./c/'), 'a/b/c');
  assert.equal(posixNormpath('a/./b/../c'), 'a/c');
  assert.equal(posixNormpath('../a'), '../a');
});

test('entry validation errors', async () => {
  const out = join(dir, 'v.tar');
  await assert.rejects(writeTar([{ path: 'l', type: 'symlink', mode: 0o777 }], out), /symlink "l" needs a linkname/);
  await assert.rejects(
    writeTar([{ path: 'h', type: 'hardlink', mode: 0o644, linkname: 'missing' }], out),
    /hardlink "h" points to "missing", which is not a file written earlier/,
  );
  await assert.rejects(
    writeTar([{ path: 'd', type: 'dir', mode: 0o755, source: { content: 'x' } }], out),
    /only files have contents/,
  );
  await assert.rejects(
    writeTar([{ path: 'f', type: 'file', mode: 0o644, source: { file: join(dir, 'nope') } }], out),
    /cannot add "f" from .*nope/,
  );
  await assert.rejects(
    writeTar(
      [
        { path: 'a', type: 'file', mode: 0o644 },
        { path: 'a/b', type: 'file', mode: 0o644 },
      ],
      out,
    ),
    /"a\/b" needs "a" to be a directory/,
  );
});

test('duplicates: first one kept with a warning; repeated directories silently merged', async () => {
  const out = join(dir, 'dups.tar');
  const warnings: string[] = [];
  await writeTar(
    [
      { path: 'x/f', type: 'file', mode: 0o644, source: { content: 'first' } },
      { path: 'x', type: 'dir', mode: 0o700 },
      { path: 'x/f', type: 'file', mode: 0o600, source: { content: 'second' } },
    ],
    out,
    { onWarning: (w) => warnings.push(w) },
  );
  const got = pyList(out);
  assert.deepEqual(
    got.map((m) => [m.name, m.mode.toString(8), m.data]),
    [
      ['x', '755', undefined],
      ['x/f', '644', 'first'],
    ],
  );
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /duplicate path "x\/f".*keeping the first/);

  const all = join(dir, 'dups-allowed.tar');
  await writeTar(
    [
      { path: 'f', type: 'file', mode: 0o644, source: { content: '1' } },
      { path: 'f', type: 'file', mode: 0o644, source: { content: '2' } },
    ],
    all,
    { allowDuplicates: true },
  );
  assert.deepEqual(pyList(all).map((m) => m.data), ['1', '2']);
});

test('parent directories: explicit ones first win, createParents false adds none', async () => {
  const out = join(dir, 'parents.tar');
  await writeTar(
    [
      { path: 'a', type: 'dir', mode: 0o711, uid: 5 },
      { path: 'a/b/c', type: 'file', mode: 0o644, uid: 7, gid: 8, uname: 'u', gname: 'g', mtime: 99 },
    ],
    out,
  );
  assert.deepEqual(
    pyList(out).map((m) => [m.name, m.mode.toString(8), m.uid, m.gid, m.uname, m.mtime]),
    [
      ['a', '711', 5, 0, '', 0],
      ['a/b', '755', 7, 8, 'u', 99],
      ['a/b/c', '644', 7, 8, 'u', 99],
    ],
  );
  const flat = join(dir, 'noparents.tar');
  await writeTar([{ path: 'a/b/c', type: 'file', mode: 0o644 }], flat, { createParents: false });
  assert.deepEqual(pyList(flat).map((m) => m.name), ['a/b/c']);
});

test('large files are streamed and sizes checked', async () => {
  const big = join(dir, 'big.bin');
  await writeFile(big, '');
  await truncate(big, 24 * 1024 * 1024 + 3); // sparse: cheap on disk
  const out = join(dir, 'big.tar');
  await writeTar([{ path: 'big.bin', type: 'file', mode: 0o644, source: { file: big } }], out);
  const listed = python(
    `import sys, tarfile, hashlib
t = tarfile.open(sys.argv[1])
m = t.next()
print(m.size, hashlib.sha256(t.extractfile(m).read()).hexdigest())`,
    out,
  ).trim();
  assert.equal(listed, `${24 * 1024 * 1024 + 3} ${sha256sum(big)}`);
});

test('merging tars: plain and gzip, prefix, names cleared, mtimes kept, first wins', async () => {
  // A dependency tar made by Python (as pkg_tar would), with "./" names, a long name and a hardlink.
  const dep = join(dir, 'dep.tar');
  const depGz = join(dir, 'dep2.tar.gz');
  python(
    `
import io, sys, tarfile
def mk(path, mode):
    t = tarfile.open(path, mode, format=tarfile.GNU_FORMAT)
    def add(name, kind=tarfile.REGTYPE, data=None, link=None, mtime=12345):
        i = tarfile.TarInfo(name); i.type = kind; i.mode = 0o640; i.uid = 3; i.gid = 4
        i.uname = 'user'; i.gname = 'group'; i.mtime = mtime
        if link: i.linkname = link
        if data is not None:
            i.size = len(data); t.addfile(i, io.BytesIO(data))
        else:
            t.addfile(i)
    add('./', tarfile.DIRTYPE)
    add('./etc/', tarfile.DIRTYPE)
    add('./etc/motd', data=b'from dep')
    add('./etc/motd2', tarfile.LNKTYPE, link='./etc/motd')
    add('lib/' + 'z' * 110, data=b'long')
    add('lnk', tarfile.SYMTYPE, link='../outside/ok')
    t.close()
mk(sys.argv[1], 'w')
mk(sys.argv[2], 'w:gz')
`,
    dep,
    depGz,
  );
  const out = join(dir, 'merged.tar');
  const warnings: string[] = [];
  await writeTar([{ path: 'app/etc/motd', type: 'file', mode: 0o644, source: { content: 'mine' }, mtime: 1 }], out, {
    merge: [{ path: dep, prefix: 'app' }, { path: depGz }],
    onWarning: (w) => warnings.push(w),
  });
  const got = pyList(out);
  assert.deepEqual(
    got.map((m) => [m.name, m.type, m.mode.toString(8), m.uid, m.gid, m.uname, m.gname, m.mtime, m.linkname, m.data]),
    [
      ['app', 'dir', '755', 0, 0, '', '', 1, '', undefined],
      ['app/etc', 'dir', '755', 0, 0, '', '', 1, '', undefined],
      ['app/etc/motd', 'file', '644', 0, 0, '', '', 1, '', 'mine'],
      ['app/etc/motd2', 'hardlink', '640', 3, 4, '', '', 12345, 'app/etc/motd', undefined],
      ['app/lib', 'dir', '755', 3, 4, '', '', 12345, '', undefined],
      ['app/lib/' + 'z'.repeat(110), 'file', '640', 3, 4, '', '', 12345, '', 'long'],
      ['app/lnk', 'symlink', '640', 3, 4, '', '', 12345, '../outside/ok', undefined],
      ['etc', 'dir', '640', 3, 4, '', '', 12345, '', undefined],
      ['etc/motd', 'file', '640', 3, 4, '', '', 12345, '', 'from dep'],
      ['etc/motd2', 'hardlink', '640', 3, 4, '', '', 12345, 'etc/motd', undefined],
      ['lib', 'dir', '755', 3, 4, '', '', 12345, '', undefined],
      ['lib/' + 'z'.repeat(110), 'file', '640', 3, 4, '', '', 12345, '', 'long'],
      ['lnk', 'symlink', '640', 3, 4, '', '', 12345, '../outside/ok', undefined],
    ],
  );
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /duplicate path "app\/etc\/motd"/);
  // GNU tar agrees.
  assert.equal(gnuTarList(out).length, got.length);
});

test('merging a tar whose member escapes the root fails clearly', async () => {
  const evil = join(dir, 'evil.tar');
  python(
    `import io, sys, tarfile
t = tarfile.open(sys.argv[1], 'w', format=tarfile.GNU_FORMAT)
i = tarfile.TarInfo('../../etc/passwd'); i.size = 1
t.addfile(i, io.BytesIO(b'x')); t.close()`,
    evil,
  );
  await assert.rejects(writeTar([], join(dir, 'e.tar'), { merge: [{ path: evil }] }), /escapes the archive root.*member of .*evil\.tar/);
});

test('TarWriter: incremental use and no reuse after close', async () => {
  const out = join(dir, 'inc.tar');
  const w = TarWriter.create(out);
  await w.add({ path: 'a', type: 'file', mode: 0o644, source: { content: 'A' } });
  const res = await w.close();
  assert.equal(res.members, 1);
  await assert.rejects(w.add({ path: 'b', type: 'file', mode: 0o644 }), /closed/);
  assert.deepEqual(pyList(out).map((m) => m.data), ['A']);
});

test('I/O errors name the archive or input involved', async () => {
  await assert.rejects(
    writeTar([{ path: 'a', type: 'file', mode: 0o644, source: { content: 'x' } }], join(dir, 'no-such-dir', 'x.tar')),
    /^Error: tar: cannot write .*no-such-dir\/x\.tar: ENOENT$/,
  );
  await assert.rejects(writeTar([], join(dir, 'm.tar'), { merge: [{ path: join(dir, 'missing.tar') }] }), /^Error: tar: cannot read .*missing\.tar: ENOENT$/);
  const garbage = join(dir, 'garbage.tar');
  await writeFile(garbage, Buffer.alloc(1024, 0x41));
  await assert.rejects(writeTar([], join(dir, 'm.tar'), { merge: [{ path: garbage }] }), /tar: reading .*garbage\.tar: Invalid tar header/);
  assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.tmp')), []);
});

test('the reader reads the written headers back', async () => {
  const out = join(dir, 'list.tar.gz');
  await writeTar([{ path: 'a/b', type: 'symlink', mode: 0o777, linkname: '../c', mtime: 3 }], out, { compression: 'gzip' });
  const members: ArchiveMember[] = [];
  for await (const { member, body } of readTarMembers(out)) {
    body.resume();
    members.push(member);
  }
  assert.deepEqual(
    members.map((m) => [m.name, m.type, m.mode, m.mtime, m.linkname]),
    [
      ['a/', 'dir', 0o755, 3, ''],
      ['a/b', 'symlink', 0o777, 3, '../c'],
    ],
  );
});

test('the result names the sha256 of an uncompressed archive (hashed on the way out), none for gzip', async () => {
  const out = join(dir, 'hashed.tar');
  const res = await writeTar(sample(), out, { mtime: 1 });
  assert.equal(res.sha256, sha256sum(out));
  const gz = await writeTar(sample(), join(dir, 'hashed.tar.gz'), { compression: 'gzip', mtime: 1 });
  assert.equal(gz.sha256, undefined);
});

test('gzip: a file whose bytes start at a 1 MiB boundary of the archive is compressed as read (no buffer reused in flight)', async () => {
  // 512-byte header + (1 MiB - 1024) bytes of data + the next header: the second file's data
  // begins exactly at 1 MiB, so its 1 MiB pieces reach the compressor whole.
  const a = join(dir, 'align-a');
  const b = join(dir, 'align-b');
  await writeFile(a, Buffer.from(Array.from({ length: 1024 * 1024 - 1024 }, (_, i) => (i * 31) % 251)));
  await writeFile(b, Buffer.from(Array.from({ length: 6 * 1024 * 1024 + 7 }, (_, i) => (i * 131 + (i >> 12)) % 253)));
  const entries = (): TarEntry[] => [
    { path: 'a', type: 'file', mode: 0o644, source: { file: a } },
    { path: 'b', type: 'file', mode: 0o644, source: { file: b } },
  ];
  for (let round = 0; round < 5; round++) {
    await writeTar(entries(), join(dir, 'align.tar'));
    await writeTar(entries(), join(dir, 'align.tar.gz'), { compression: 'gzip', gzipLevel: 1 });
    assert.deepEqual(gunzipSync(await readFile(join(dir, 'align.tar.gz'))), await readFile(join(dir, 'align.tar')), `round ${round}`);
  }
});
