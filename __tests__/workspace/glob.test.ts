import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globToRegExp, matchGlob, validateGlobPattern } from '../../src/workspace/glob.ts';

test('glob patterns follow Bazel: * within a segment, ** across segments', () => {
  const listing = { files: ['a.go', 'b_test.go', 'sub/c.go', 'sub/deep/d.go', 'x.txt'], dirs: ['sub', 'sub/deep'] };
  assert.deepEqual(matchGlob(listing, ['*.go'], [], true), ['a.go', 'b_test.go']);
  assert.deepEqual(matchGlob(listing, ['**/*.go'], ['*_test.go'], true), ['a.go', 'sub/c.go', 'sub/deep/d.go']);
  assert.deepEqual(matchGlob(listing, ['sub/**'], [], true), ['sub/c.go', 'sub/deep/d.go']);
  assert.deepEqual(matchGlob(listing, ['sub/**'], [], false), ['sub/c.go', 'sub/deep', 'sub/deep/d.go']);
  assert.ok(globToRegExp('a?.go').test('ab.go'));
  assert.ok(!globToRegExp('*.go').test('sub/a.go'));
});

test('glob rejects patterns that leave the package', () => {
  assert.match(validateGlobPattern('../x') ?? '', /may not contain/);
  assert.match(validateGlobPattern('/etc/*') ?? '', /relative to the package/);
  assert.match(validateGlobPattern('a**/b') ?? '', /own segment/);
  assert.equal(validateGlobPattern('**/*.go'), undefined);
});
