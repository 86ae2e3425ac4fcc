import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  goVersionFromFile,
  matchGoVersion,
  parseGoVersion,
  parseGoVersionSpec,
  satisfies,
  toGoVersion,
  toSemver,
} from '../../src/go/version.ts';

// Newest first, like https://go.dev/dl/?mode=json&include=all.
const RELEASES = [
  'go1.27rc2',
  'go1.27rc1',
  'go1.26.8',
  'go1.26.7',
  'go1.26.0',
  'go1.26rc3',
  'go1.25.9',
  'go1.25.0',
  'go1.24.13',
  'go1.23.4',
  'go1.22.12',
  'go1.22.1',
  'go1.22.0',
  'go1.21.13',
  'go1.21.0',
  'go1.21rc2',
  'go1.20',
  'go1.10beta1',
  'go1.9',
];

describe('Go versions', () => {
  it('maps Go spellings to semver and back', () => {
    assert.equal(toSemver('go1.23.4'), '1.23.4');
    assert.equal(toSemver('1.23'), '1.23.0');
    assert.equal(toSemver('go1.20'), '1.20.0');
    assert.equal(toSemver('go1.24rc1'), '1.24.0-rc.1');
    assert.equal(toSemver('go1.10beta1'), '1.10.0-beta.1');
    assert.equal(toSemver('go1.8.5rc1'), '1.8.5-rc.1');
    assert.equal(toGoVersion('1.24.0-rc.1'), '1.24rc1');
    assert.equal(toGoVersion('1.8.5-beta.1'), '1.8.5beta1');
    assert.equal(toGoVersion('go1.26.8'), '1.26.8');
    assert.equal(parseGoVersion('devel go1.27-abcdef'), undefined);
    assert.equal(parseGoVersion('banana'), undefined);
    assert.throws(() => toSemver('banana'), /"banana" is not a Go version/);
  });

  it('orders releases after their prereleases, beta before rc', () => {
    const shuffled = ['go1.24.1', 'go1.24rc1', 'go1.24', 'go1.24beta2', 'go1.23.10', 'go1.24rc2', 'go1.23.9'];
    const byVersion = (a: string, b: string): number => parseGoVersion(a)!.compare(parseGoVersion(b)!);
    assert.deepEqual(shuffled.sort(byVersion), [
      'go1.23.9',
      'go1.23.10',
      'go1.24beta2',
      'go1.24rc1',
      'go1.24rc2',
      'go1.24',
      'go1.24.1',
    ]);
  });
});

describe('matchGoVersion', () => {
  const cases: [string, string | undefined][] = [
    ['1.23.4', 'go1.23.4'],
    ['go1.23.4', 'go1.23.4'],
    ['1.23.5', undefined],
    ['1.26', 'go1.26.8'],
    ['1.26.x', 'go1.26.8'],
    ['1.22', 'go1.22.12'],
    ['1.x', 'go1.26.8'],
    ['*', 'go1.26.8'],
    ['^1.22', 'go1.26.8'],
    ['^1.22.1', 'go1.26.8'],
    ['~1.22.1', 'go1.22.12'],
    ['~1.22', 'go1.22.12'],
    ['>=1.21', 'go1.26.8'],
    ['>= 1.21 <1.23', 'go1.22.12'],
    ['>1.25', 'go1.26.8'],
    ['>1.26.7', 'go1.26.8'],
    ['<1.26', 'go1.25.9'],
    ['<=1.25', 'go1.25.9'],
    ['<=1.22.1', 'go1.22.1'],
    ['1.21 - 1.22', 'go1.22.12'],
    ['1.21.0 - 1.22.0', 'go1.22.0'],
    ['1.23 || 1.21', 'go1.23.4'],
    ['1.99', undefined],
    // go1.20 was released without ".0"; "1.20.0" and "1.20" both find it.
    ['1.20.0', 'go1.20'],
    ['1.20', 'go1.20'],
    // Prereleases only when the spec names one of the same version.
    ['1.27', undefined],
    ['>=1.26', 'go1.26.8'],
    ['1.27rc1', 'go1.27rc1'],
    ['1.27.0-rc.1', 'go1.27rc1'],
    ['>=1.27rc1', 'go1.27rc2'],
    ['1.21rc2', 'go1.21rc2'],
    ['1.10beta1', 'go1.10beta1'],
    ['stable', 'go1.26.8'],
    ['oldstable', 'go1.25.9'],
    ['STABLE', 'go1.26.8'],
  ];
  for (const [spec, want] of cases) {
    it(`${spec} → ${want ?? 'nothing'}`, () => {
      assert.equal(matchGoVersion(spec, RELEASES), want);
    });
  }

  it('returns the entry as spelled in the list and ignores junk entries', () => {
    assert.equal(matchGoVersion('1.26', ['1.26.7', 'nope', '1.26.8', '1.25.0']), '1.26.8');
    assert.equal(matchGoVersion('stable', []), undefined);
    assert.equal(matchGoVersion('oldstable', ['go1.26.1', 'go1.26.0']), undefined);
  });

  it('parses specs once and reports exact ones', () => {
    const exact = parseGoVersionSpec(' 1.24rc1 ');
    assert.equal(exact.kind === 'range' && exact.exact, '1.24.0-rc.1');
    const range = parseGoVersionSpec('1.24');
    assert.equal(range.kind === 'range' && range.exact, undefined);
    assert.deepEqual(parseGoVersionSpec('oldstable'), { kind: 'alias', raw: 'oldstable', alias: 'oldstable' });
    assert.equal(matchGoVersion(exact, RELEASES), undefined);
  });

  it('rejects what is not a version or range, in one line', () => {
    for (const bad of ['', 'banana', 'latest', '1.2.3.4', '>=', '1.x.y', 'go', '1rc1']) {
      assert.throws(
        () => parseGoVersionSpec(bad),
        (err: Error) => /is not a Go version or range/.test(err.message) && !err.message.includes('\n'),
        bad,
      );
    }
  });
});

describe('satisfies', () => {
  it('checks an installed go against the spec', () => {
    assert.equal(satisfies('go1.26.8', '1.26'), true);
    assert.equal(satisfies('go1.26.8', '1.26.8'), true);
    assert.equal(satisfies('1.26.8', '^1.22'), true);
    assert.equal(satisfies('go1.26.8 X:nodwarf5', '>=1.26'), true);
    assert.equal(satisfies('go1.26.8', '1.26.7'), false);
    assert.equal(satisfies('go1.26.8', '1.25'), false);
    assert.equal(satisfies('go1.27rc1', '>=1.26'), false);
    assert.equal(satisfies('go1.27rc1', '1.27rc1'), true);
    assert.equal(satisfies('devel go1.27-abcdef', '>=1.26'), false);
    // Aliases need the release list.
    assert.equal(satisfies('go1.26.8', 'stable'), false);
  });
});

describe('goVersionFromFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'go-version-file-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (rel: string, text: string): string => {
    const sub = mkdtempSync(join(dir, 'f-'));
    const path = join(sub, rel);
    writeFileSync(path, text);
    return path;
  };

  it('go.mod: the toolchain line wins over the go line', () => {
    const path = file('go.mod', 'module example.com/x\n\ngo 1.23\n\ntoolchain go1.23.4\n\nrequire golang.org/x/mod v0.20.0\n');
    assert.equal(goVersionFromFile(path), '1.23.4');
  });

  it('go.mod: the go line without a toolchain line (a range over 1.23.x)', () => {
    const path = file('go.mod', 'module example.com/x // comment\r\n\r\ngo 1.23 // minimum\r\ngodebug default=go1.21\r\n');
    const spec = goVersionFromFile(path);
    assert.equal(spec, '1.23');
    assert.equal(matchGoVersion(spec, RELEASES), 'go1.23.4');
    assert.equal(goVersionFromFile(file('go.mod', 'module x\n\ngo 1.22.0\n')), '1.22.0');
    assert.equal(goVersionFromFile(file('go.work', 'go 1.24rc1\n\nuse ./a\n')), '1.24rc1');
  });

  it('.go-version and .tool-versions', () => {
    assert.equal(goVersionFromFile(file('.go-version', '1.23.4\n')), '1.23.4');
    assert.equal(goVersionFromFile(file('.go-version', '# pinned\ngo1.22\n')), '1.22');
    assert.equal(goVersionFromFile(file('.tool-versions', 'nodejs 24.1.0\ngolang 1.23.4 # ci\nterraform 1.9.0\n')), '1.23.4');
    assert.equal(goVersionFromFile(file('.tool-versions', 'go 1.25.1\n')), '1.25.1');
  });

  it('one-line errors that name the file', () => {
    const missing = join(dir, 'nope', 'go.mod');
    assert.throws(() => goVersionFromFile(missing), { message: `go-version-file ${missing} does not exist` });
    const noGo = file('go.mod', 'module example.com/x\n');
    assert.throws(() => goVersionFromFile(noGo), { message: `go-version-file ${noGo} has no "go" or "toolchain go…" line` });
    const noGolang = file('.tool-versions', 'nodejs 24.1.0\n');
    assert.throws(() => goVersionFromFile(noGolang), { message: `go-version-file ${noGolang} has no "golang" line` });
    const empty = file('.go-version', '\n\n');
    assert.throws(() => goVersionFromFile(empty), { message: `go-version-file ${empty} is empty` });
  });
});
