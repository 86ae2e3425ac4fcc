import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidReferenceError, parseImageReference, parseRepoTag } from '../../src/registry/reference.ts';

describe('parseImageReference', () => {
  const good: Array<[string, string, string]> = [
    ['hello_world:latest', 'hello_world:latest', 'docker.io/library/hello_world:latest'],
    ['hello_world', 'hello_world:latest', 'docker.io/library/hello_world:latest'],
    ['library/busybox:1.36', 'busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['docker.io/library/busybox:1', 'busybox:1', 'docker.io/library/busybox:1'],
    ['index.docker.io/acme/app:v1', 'acme/app:v1', 'docker.io/acme/app:v1'],
    ['acme/app:v1.2.3-rc_1', 'acme/app:v1.2.3-rc_1', 'docker.io/acme/app:v1.2.3-rc_1'],
    ['localhost:5000/foo/bar:dev', 'localhost:5000/foo/bar:dev', 'localhost:5000/foo/bar:dev'],
    ['localhost/foo', 'localhost/foo:latest', 'localhost/foo:latest'],
    ['ghcr.io/org-x/a__b/c-d.e:TAG', 'ghcr.io/org-x/a__b/c-d.e:TAG', 'ghcr.io/org-x/a__b/c-d.e:TAG'],
    ['127.0.0.1:5000/x:1', '127.0.0.1:5000/x:1', '127.0.0.1:5000/x:1'],
    ['[::1]:5000/x:1', '[::1]:5000/x:1', '[::1]:5000/x:1'],
    ['Registry.Example.com/a/b:c', 'Registry.Example.com/a/b:c', 'Registry.Example.com/a/b:c'],
    ['a---b/c__d:_x', 'a---b/c__d:_x', 'docker.io/a---b/c__d:_x'],
    // Only docker.io and index.docker.io are Docker Hub to Docker; other aliases stay as written.
    ['registry-1.docker.io/ubuntu', 'registry-1.docker.io/ubuntu:latest', 'registry-1.docker.io/ubuntu:latest'],
    [`${'a'.repeat(237)}:1`, `${'a'.repeat(237)}:1`, `docker.io/library/${'a'.repeat(237)}:1`],
  ];
  for (const [input, familiar, full] of good) {
    it(`accepts ${input}`, () => {
      const r = parseImageReference(input);
      assert.equal(r.familiar, familiar);
      assert.equal(r.full, full);
    });
  }

  it('keeps digests', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    const r = parseImageReference(`foo@${d}`);
    assert.equal(r.digest, d);
    assert.equal(r.tag, undefined);
    assert.equal(r.full, `docker.io/library/foo@${d}`);
  });

  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['Hello:latest', /must be lowercase/],
    ['ghcr.io/Org/app:1', /must be lowercase/],
    ['hello world', /whitespace/],
    ['foo:', /missing tag after ":"/],
    ['foo:-bad', /invalid tag "-bad"/],
    [`foo:${'x'.repeat(129)}`, /invalid tag/],
    ['foo:a:b', /invalid repository path component "foo:a"/],
    ['-foo:1', /invalid repository path component "-foo" \(path components are lowercase letters and digits/],
    ['foo_:1', /invalid repository path component "foo_"/],
    ['foo//bar', /empty path component/],
    ['foo/', /empty path component/],
    [':tag', /missing repository name/],
    ['foo@sha256:abc', /invalid digest/],
    ['a'.repeat(64), /64-character hexadecimal/],
    ['my_registry:5000/x', /invalid registry host/],
    [`${'a'.repeat(256)}:1`, /longer than 255/],
    // "docker.io/library/" counts: 18 + 238 characters.
    [`${'a'.repeat(238)}:1`, /longer than 255/],
    ['[::ffff:1.2.3.4]:5000/x', /invalid registry host/],
    // Docker would take "Foo" for a registry host; refused here as not lowercase.
    ['Foo/bar:1', /repository name must be lowercase/],
  ];
  for (const [input, why] of bad) {
    it(`rejects ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`, () => {
      assert.throws(
        () => parseImageReference(input),
        (err: unknown) => {
          assert.ok(err instanceof InvalidReferenceError);
          assert.match(err.message, why);
          assert.ok(err.message.startsWith(`invalid image tag ${JSON.stringify(input)}: `), err.message);
          assert.ok(!err.message.includes('\n'));
          return true;
        },
      );
    });
  }

  it('parseRepoTag refuses digests', () => {
    assert.throws(() => parseRepoTag(`foo@sha256:${'a'.repeat(64)}`), /not pinned by digest/);
    assert.throws(() => parseRepoTag(`foo@sha512:${'a'.repeat(128)}`), /not pinned by digest/);
    assert.throws(() => parseRepoTag('A@x'), (err: unknown) => err instanceof InvalidReferenceError && err.input === 'A@x');
    assert.equal(parseRepoTag('foo').tag, 'latest');
  });
});
