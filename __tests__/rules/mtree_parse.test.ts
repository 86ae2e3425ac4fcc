// src/tar/mtree.ts: the mtree format as bsdtar reads it, checked against real bsdtar where it is
// installed (libarchive-tools) and against Python's tarfile always.
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { MtreeError, mtreeToTarEntries, parseMtree, unvis, vis, type MtreeContentResolver } from '../../src/tar/mtree.ts';
import { writeTar } from '../../src/tar/writer.ts';
import { bsdtarCreate, fixture, hasBsdtar, pyMembers, sourceFile, tempDir, type FullMember } from './tar_harness.test.ts';

/** Contents relative to `cwd`, as bsdtar resolves them from its working directory. */
function cwdResolver(cwd: string): MtreeContentResolver {
  return (content, name) => {
    const p = join(cwd, content ?? name);
    if (existsSync(p) && statSync(p).isFile()) return { file: p };
    if (content !== undefined) throw new Error(`no such file ${content}`);
    return undefined;
  };
}

async function ourTar(spec: string, cwd: string, out: string): Promise<void> {
  await writeTar(mtreeToTarEntries(parseMtree(spec), cwdResolver(cwd)), out, { createParents: false });
}

/** Members keyed the way both writers agree on: names without "./" and trailing "/". */
function normalized(members: FullMember[]): FullMember[] {
  return members.map((m) => ({ ...m, name: m.name.replace(/^(\.\/)+/, '').replace(/\/+$/, '') }));
}

// Every keyword explicit, so bsdtar never falls back to the host's metadata.
const RICH_SPEC = String.raw`#mtree
# comment lines and blank lines are skipped

/set uid=5 gid=6 uname=builder gname=staff mode=0640 time=100 type=file
bin type=dir mode=0755
tool content=data/tool.sh mode=0755
..
top content=data/a.txt
etc/conf content=data/a.txt time=200.75
etc/conf uid=7
/unset uname gname
etc/plain content=data/a.txt
/unset all
etc/link type=link link=conf uid=0 gid=0 mode=0777 time=3
dir\040with\040space/caf\303\251 type=file contents=data/a.txt uid=1 gid=1 mode=0644 time=4 uname=a\040b gname=g
cont type=file \
    content=data/a.txt uid=2 gid=2 \
    mo\
de=0600 time=5
./dot/q type=file uid=0 gid=0 mode=0600 time=1 nlink=1 sha256digest=abc cksum=1 flags=none optional
pipe type=fifo uid=0 gid=0 mode=0644 time=6
null type=char device=native,1,3 uid=0 gid=0 mode=0666 time=7
disk type=block device=linux,8,1 uid=0 gid=0 mode=0660 time=8
empty type=file uid=0 gid=0 mode=0644 time=9
sp\
lit type=file uid=0 gid=0 mode=0644 time=11
data/a.txt type=file uid=0 gid=0 mode=0644 time=10
`;

test('parseMtree: /set, /unset, relative directories, "..", repeated lines, escapes, continuations', () => {
  const entries = parseMtree(RICH_SPEC);
  const byName = new Map(entries.map((e) => [e.name, e]));
  assert.deepEqual(
    entries.map((e) => e.name),
    ['bin', 'bin/tool', 'top', 'etc/conf', 'etc/plain', 'etc/link', 'dir with space/café', 'cont', './dot/q', 'pipe', 'null', 'disk', 'empty', 'split', 'data/a.txt'],
  );
  const conf = byName.get('etc/conf');
  assert.equal(conf?.line, 9, 'a repeated path stays at its first line');
  assert.equal(conf?.keywords.get('uid'), '7', 'later lines override');
  assert.equal(conf?.keywords.get('time'), '100', 'the later line carries the /set defaults of its own line');
  assert.equal(byName.get('etc/plain')?.keywords.get('uname'), undefined);
  assert.equal(byName.get('etc/plain')?.keywords.get('uid'), '5');
  assert.equal(byName.get('cont')?.line, 16);
  assert.equal(byName.get('cont')?.keywords.get('mode'), '0600');
  assert.equal(byName.get('dir with space/café')?.keywords.get('uname'), 'a\\040b', 'bsdtar does not unescape names of owners');
  assert.equal(byName.get('dir with space/café')?.keywords.get('content'), 'data/a.txt', 'contents= is content=');
});

test('mtree → tar matches bsdtar member for member (names, types, modes, owners, times, links, devices, contents)', async () => {
  // scripts/test installs libarchive-tools; a missing checker is a failure, not a skip.
  assert.ok(hasBsdtar(), 'bsdtar (Debian libarchive-tools) is required: run the tests through scripts/test');
  const fx = fixture(await tempDir('mtree-bsdtar'));
  sourceFile(fx, 'data/a.txt', 'hello\n');
  sourceFile(fx, 'data/tool.sh', '#!/bin/sh\necho hi\n', 0o755);
  const spec = join(fx.root, 'spec.mtree');
  writeFileSync(spec, RICH_SPEC);
  const theirs = join(fx.outRoot, 'bsdtar.tar');
  const ours = join(fx.outRoot, 'ours.tar');
  bsdtarCreate(fx.root, spec, theirs);
  await ourTar(RICH_SPEC, fx.root, ours);
  assert.deepEqual(normalized(pyMembers(ours)), normalized(pyMembers(theirs)));
});

test('a non-root layer: uid=65532 gid=65532 uname=nonroot with a file, a dir and a symlink', async () => {
  const fx = fixture(await tempDir('mtree-nonroot'));
  sourceFile(fx, 'app/server', 'binary', 0o755);
  const spec = [
    '#mtree',
    '/set uid=65532 gid=65532 uname=nonroot gname=nonroot time=1700000000',
    'home/nonroot type=dir mode=0750',
    'home/nonroot/server type=file mode=0555 content=app/server',
    'home/nonroot/current type=link link=server mode=0777',
    '',
  ].join('\n');
  const out = join(fx.outRoot, 'nonroot.tar');
  await ourTar(spec, fx.root, out);
  const common = { uid: 65532, gid: 65532, uname: 'nonroot', gname: 'nonroot', mtime: 1700000000, devmajor: 0, devminor: 0 };
  assert.deepEqual(pyMembers(out), [
    { name: 'home/nonroot', type: 'dir', mode: 0o750, linkname: '', ...common },
    { name: 'home/nonroot/server', type: 'file', mode: 0o555, linkname: '', data: 'binary', ...common },
    { name: 'home/nonroot/current', type: 'symlink', mode: 0o777, linkname: 'server', ...common },
  ]);
});

test('missing keywords take deterministic defaults, never host metadata', async () => {
  const fx = fixture(await tempDir('mtree-defaults'));
  sourceFile(fx, 'x/exe', 'e', 0o700);
  sourceFile(fx, 'x/data', 'd', 0o600);
  const out = join(fx.outRoot, 'd.tar');
  await ourTar('d type=dir\nd/exe content=x/exe\nd/data content=x/data\nd/l type=link link=exe\nd/e\n', fx.root, out);
  const got = pyMembers(out).map((m) => [m.name, m.type, m.mode.toString(8), m.uid, m.gid, m.uname, m.mtime, m.data ?? '']);
  assert.deepEqual(got, [
    ['d', 'dir', '755', 0, 0, '', 0, ''],
    ['d/exe', 'file', '755', 0, 0, '', 0, 'e'],
    ['d/data', 'file', '644', 0, 0, '', 0, 'd'],
    ['d/l', 'symlink', '777', 0, 0, '', 0, ''],
    ['d/e', 'file', '644', 0, 0, '', 0, ''],
  ]);
});

test('the root entry is skipped; "./" and trailing "/" are normalised', () => {
  const entries = mtreeToTarEntries(parseMtree('. type=dir mode=0755\n./a/ type=dir mode=0700\n./a/b type=file mode=0600\n'), () => undefined);
  assert.deepEqual(
    entries.map((e) => [e.path, e.type]),
    [
      ['a', 'dir'],
      ['a/b', 'file'],
    ],
  );
});

function parseError(spec: string): string {
  try {
    mtreeToTarEntries(parseMtree(spec), () => undefined);
  } catch (err) {
    assert.ok(err instanceof MtreeError, `expected an MtreeError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), 'one-line error');
    return err.message;
  }
  assert.fail('expected an error');
}

test('malformed lines give one-line errors with the line number', () => {
  const cases: Array<[string, string]> = [
    ['#mtree\na type=file\nb type=socket\n', 'mtree line 3: unknown type "socket"'],
    ['a type=file\nb type=file foo=bar\n', 'mtree line 2: unknown keyword "foo"'],
    ['a type=file mode=u+x\n', 'mtree line 1: mode=u+x: expected an octal mode'],
    ['a type=file uid=root\n', 'mtree line 1: uid=root: expected a non-negative decimal number'],
    ['a type=file time=yesterday\n', 'mtree line 1: time=yesterday: expected seconds since the epoch'],
    ['a type=file mode\n', 'mtree line 1: keyword "mode" needs a value'],
    ['a type=file\n/abs type=file\n', 'mtree line 2: unknown command "/abs"'],
    ['x type=file\n\n  \\\n  a/../../etc/passwd type=file\n', 'mtree line 3: path "a/../../etc/passwd" escapes the archive root'],
    ['a/../b type=file\n', 'mtree line 1: path "a/../b" escapes the archive root'],
    ['l type=link\n', 'mtree line 1: type=link needs link=TARGET'],
    ['d type=dir content=x\n', 'mtree line 1: content= is only valid with type=file'],
    ['f type=file link=x\n', 'mtree line 1: link= is only valid with type=link'],
    ['f type=file size=3\n', 'mtree line 1: size=3 but the entry has no content'],
    ['bad\\377name type=file\n', 'mtree line 1: path "bad\\\\377name" is not valid UTF-8'],
    ['c type=char device=weird\n', 'mtree line 1: device=weird: expected format,major,minor'],
    ['. type=file\n', 'mtree line 1: "." names the archive root'],
  ];
  for (const [spec, expected] of cases) {
    const msg = parseError(spec);
    assert.ok(msg.startsWith(expected), `${JSON.stringify(spec)}:\n  got      ${msg}\n  expected ${expected}...`);
  }
});

test('content resolution errors carry the line number', () => {
  assert.throws(
    () =>
      mtreeToTarEntries(parseMtree('a type=file\nb type=file content=missing/file\n'), (content) => {
        if (content) throw new Error(`content "${content}" is not a file of srcs`);
        return undefined;
      }),
    { message: 'mtree line 2: content "missing/file" is not a file of srcs' },
  );
});

test('size= is checked against the content file', async () => {
  const fx = fixture(await tempDir('mtree-size'));
  sourceFile(fx, 'f', '12345');
  assert.equal(mtreeToTarEntries(parseMtree('f type=file size=5 content=f\n'), cwdResolver(fx.root)).length, 1);
  assert.throws(() => mtreeToTarEntries(parseMtree('f type=file size=4 content=f\n'), cwdResolver(fx.root)), {
    message: 'mtree line 1: size=4 but f has 5 bytes',
  });
});

test('vis / unvis round-trip every byte that needs escaping', () => {
  const s = 'a b\tc\\d#e\nfé';
  assert.equal(vis(s), 'a\\040b\\011c\\134d\\043e\\012f\\303\\251');
  assert.equal(unvis(vis(s), 1, 'path'), s);
  assert.equal(unvis('\\s\\t\\\\x\\q', 1, 'path'), ' \t\\x\\q');
});
