import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAnnotations, parseBool, parseByteCount, parseCsvList, parseKeyValues, parseList, parsePlatforms } from '../../src/util/parse.ts';
import { planDestinations } from '../../src/publish/registry.ts';

test('list inputs split on lines and spaces and drop comments', () => {
  assert.deepEqual(parseList('//a:b\n  //c:d //e:f  # a comment\n\n#//skipped\n'), ['//a:b', '//c:d', '//e:f']);
  assert.deepEqual(parseCsvList('linux/amd64,linux/arm64\nlinux/arm/v7'), ['linux/amd64', 'linux/arm64', 'linux/arm/v7']);
});

test('booleans are strict', () => {
  assert.equal(parseBool('load', '', true), true);
  assert.equal(parseBool('load', 'False', true), false);
  assert.throws(() => parseBool('load', 'nope', true), { message: 'input "load": expected true or false, got "nope"' });
});

test('platforms are normalised and bad ones named', () => {
  assert.deepEqual(parsePlatforms('linux/x86_64, linux/aarch64'), [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64' },
  ]);
  assert.throws(() => parsePlatforms('linux/sparc'), /^Error: input "platforms": invalid platform "linux\/sparc": unknown architecture "sparc"/);
});

test('byte counts', () => {
  assert.equal(parseByteCount('c', ''), undefined);
  assert.equal(parseByteCount('c', '5MiB'), 5 * 1024 * 1024);
  assert.equal(parseByteCount('c', '1024'), 1024);
  assert.throws(() => parseByteCount('upload-chunk-size', 'lots'), /input "upload-chunk-size": expected a number of bytes/);
});

test('push destinations: inputs override the rule; full references name their own repository', () => {
  assert.deepEqual(planDestinations('//a:push', { repository: 'ghcr.io/o/app', remoteTags: ['latest'] }, { tags: [] }), [
    { registry: 'ghcr.io', repository: 'o/app', tags: ['latest'] },
  ]);
  assert.deepEqual(
    planDestinations('//a:push', { repository: 'ghcr.io/o/app', remoteTags: ['latest'] }, { repository: 'localhost:5000/x', tags: ['v1', 'ghcr.io/o/other:edge', 'v1'] }),
    [
      { registry: 'localhost:5000', repository: 'x', tags: ['v1'] },
      { registry: 'ghcr.io', repository: 'o/other', tags: ['edge'] },
    ],
  );
  // Tags that are all full references replace the rule's repository (nothing is pushed there)…
  assert.deepEqual(planDestinations('//a:push', { repository: 'ghcr.io/o/app', remoteTags: ['latest'] }, { tags: ['ghcr.io/o/app-preview:pr-1'] }), [
    { registry: 'ghcr.io', repository: 'o/app-preview', tags: ['pr-1'] },
  ]);
  // …unless a bare tag needs it, or the repository input names it.
  assert.deepEqual(planDestinations('//a:push', { repository: 'ghcr.io/o/app', remoteTags: [] }, { tags: ['ghcr.io/o/app-preview:pr-1', 'edge'] }), [
    { registry: 'ghcr.io', repository: 'o/app', tags: ['edge'] },
    { registry: 'ghcr.io', repository: 'o/app-preview', tags: ['pr-1'] },
  ]);
  assert.deepEqual(planDestinations('//a:push', { repository: 'ghcr.io/o/app', remoteTags: [] }, { repository: 'ghcr.io/o/app', tags: ['ghcr.io/o/app-preview:pr-1'] }), [
    { registry: 'ghcr.io', repository: 'o/app', tags: [] },
    { registry: 'ghcr.io', repository: 'o/app-preview', tags: ['pr-1'] },
  ]);
  // No tags at all: by digest to the rule's repository.
  assert.deepEqual(planDestinations('//a:push', { repository: 'ghcr.io/o/app', remoteTags: [] }, { tags: [] }), [{ registry: 'ghcr.io', repository: 'o/app', tags: [] }]);
  // Tags that all name their repositories decide alone (no untagged copy in the rule's repository)...
  assert.deepEqual(planDestinations('//a:push', { repository: 'ghcr.io/o/app', remoteTags: ['latest'] }, { tags: ['ghcr.io/o/other:edge', 'ghcr.io/o/other:v1'] }), [
    { registry: 'ghcr.io', repository: 'o/other', tags: ['edge', 'v1'] },
  ]);
  // ...unless the repository input names it.
  assert.deepEqual(planDestinations('//a:push', { repository: 'ghcr.io/o/app', remoteTags: [] }, { repository: 'ghcr.io/o/app', tags: ['ghcr.io/o/other:edge'] }), [
    { registry: 'ghcr.io', repository: 'o/app', tags: [] },
    { registry: 'ghcr.io', repository: 'o/other', tags: ['edge'] },
  ]);
  assert.throws(() => planDestinations('//a:push', { remoteTags: ['latest'] }, { tags: [] }), {
    message: '//a:push: tag "latest" needs a repository (set "repository" on the oci_push rule or the action\'s repository input)',
  });
  assert.throws(() => planDestinations('//a:push', { repository: 'ghcr.io/o/app', remoteTags: [] }, { tags: ['bad tag!'] }), /^Error: input "tags"/);
});

test('labels and annotations in docker/metadata-action format', () => {
  assert.deepEqual(parseKeyValues('labels', 'org.opencontainers.image.title=app\n\norg.opencontainers.image.version=1.2.3=x\n'), {
    'org.opencontainers.image.title': 'app',
    'org.opencontainers.image.version': '1.2.3=x',
  });
  assert.throws(() => parseKeyValues('labels', 'novalue'), { message: 'input "labels": "novalue" is not key=value' });
  assert.deepEqual(parseAnnotations('manifest:org.opencontainers.image.title=app\nindex:org.opencontainers.image.description=multi\nplain=1'), {
    manifest: { 'org.opencontainers.image.title': 'app', plain: '1' },
    index: { 'org.opencontainers.image.description': 'multi' },
  });
  assert.throws(() => parseAnnotations('manifest-descriptor:a=b'), /level "manifest-descriptor" in "manifest-descriptor:a" is not supported/);
});
