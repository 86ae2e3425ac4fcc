import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  isLoopbackHost,
  parseReference,
  parseReferenceParts,
  validateTag,
} from '../../src/registry/reference.ts';
import { bestPlatformMatch, toPlatform as normalizePlatform, platformSatisfies as platformMatches } from '../../src/oci/platform.ts';
import { mergeScopes, parseScope, parseWwwAuthenticate } from '../../src/registry/auth.ts';
import { retryDelay, isRetryableError } from '../../src/registry/transport.ts';
import { parseRetryAfter } from '../../src/util/retry.ts';
import { RegistryError, parseErrorBody, redactUrl } from '../../src/registry/errors.ts';
import { credentialKeys } from '../../src/registry/credentials.ts';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  const ok: Array<[string, { registry: string; apiHost?: string; repository: string; tag?: string; digest?: string; credentialsKey?: string }]> = [
    ['ubuntu', { registry: 'index.docker.io', apiHost: 'registry-1.docker.io', repository: 'library/ubuntu', credentialsKey: 'https://index.docker.io/v1/' }],
    ['ubuntu:22.04', { registry: 'index.docker.io', repository: 'library/ubuntu', tag: '22.04' }],
    ['docker.io/library/alpine:3', { registry: 'index.docker.io', repository: 'library/alpine', tag: '3' }],
    ['docker.io/alpine', { registry: 'index.docker.io', repository: 'library/alpine' }],
    ['index.docker.io/foo/bar', { registry: 'index.docker.io', repository: 'foo/bar' }],
    ['foo/bar', { registry: 'index.docker.io', repository: 'foo/bar' }],
    ['gcr.io/distroless/static:nonroot', { registry: 'gcr.io', apiHost: 'gcr.io', repository: 'distroless/static', tag: 'nonroot', credentialsKey: 'gcr.io' }],
    ['localhost/app', { registry: 'localhost', repository: 'app' }],
    ['localhost:5000/app:v1', { registry: 'localhost:5000', repository: 'app', tag: 'v1' }],
    ['127.0.0.1:5000/a/b/c:t', { registry: '127.0.0.1:5000', repository: 'a/b/c', tag: 't' }],
    ['[::1]:5000/app:v1', { registry: '[::1]:5000', repository: 'app', tag: 'v1' }],
    [`ghcr.io/o/r@${D}`, { registry: 'ghcr.io', repository: 'o/r', digest: D }],
    [`ghcr.io/o/r:v1@${D}`, { registry: 'ghcr.io', repository: 'o/r', tag: 'v1', digest: D }],
    ['Registry.Example.COM:443/team/app_x.y-z__w:Tag_1.0-rc', { registry: 'registry.example.com:443', repository: 'team/app_x.y-z__w', tag: 'Tag_1.0-rc' }],
    ['a/b---c', { registry: 'index.docker.io', repository: 'a/b---c' }],
    [`x:${'t'.repeat(128)}`, { registry: 'index.docker.io', repository: 'library/x', tag: 't'.repeat(128) }],
    ['registry-1.docker.io/ubuntu', { registry: 'index.docker.io', repository: 'library/ubuntu' }],
    // 255 characters in all as Docker names it: "docker.io/library/" + 237.
    ['a'.repeat(237), { registry: 'index.docker.io', repository: `library/${'a'.repeat(237)}` }],
    [`ghcr.io/${'a'.repeat(247)}`, { registry: 'ghcr.io', repository: 'a'.repeat(247) }],
  ];
  for (const [input, want] of ok) {
    it(`parses ${input.slice(0, 60)}`, () => {
      const ref = parseReference(input);
      assert.equal(ref.registry, want.registry);
      assert.equal(ref.repository, want.repository);
      assert.equal(ref.tag, want.tag);
      assert.equal(ref.digest, want.digest);
      if (want.apiHost) assert.equal(ref.apiHost, want.apiHost);
      if (want.credentialsKey) assert.equal(ref.credentialsKey, want.credentialsKey);
    });
  }

  const bad: Array<[string, RegExp]> = [
    ['', /empty reference/],
    ['Foo/bar:x', /^invalid reference "Foo\/bar:x": repository name must be lowercase$/],
    ['ghcr.io/Org/app', /repository name must be lowercase/],
    ['app:', /missing tag/],
    ['app:-bad', /invalid tag "-bad"/],
    [`app:${'t'.repeat(129)}`, /invalid tag/],
    ['app@sha256:abc', /invalid digest/],
    [`app@md5:${'a'.repeat(32)}`, /unsupported digest algorithm "md5"/],
    [`app@sha512:${'a'.repeat(64)}`, /expected sha512:<128 lowercase hex>/],
    ['app@', /missing digest/],
    ['ghcr.io/', /missing repository name/],
    ['a//b', /empty path component/],
    ['a/-b', /invalid repository path component "-b"/],
    ['a/b_', /invalid repository path component "b_"/],
    ['a/b___c', /invalid repository path component/],
    ['ex ample/app', /whitespace/],
    ['host:99999/app', /invalid port/],
    ['-host.io/app', /invalid registry host/],
    [`ghcr.io/${'a'.repeat(250)}`, /longer than 255/],
    ['a'.repeat(238), /must not be longer than 255 characters/],
    [`app@sha256:${'A'.repeat(64)}`, /expected sha256:<64 lowercase hex>/],
    ['[::ffff:1.2.3.4]:5000/app', /invalid registry host/],
    ['a/b.-c', /invalid repository path component "b.-c"/],
    ['a/b._c', /invalid repository path component "b._c"/],
  ];
  for (const [input, re] of bad) {
    it(`rejects ${JSON.stringify(input.slice(0, 40))}`, () => {
      assert.throws(() => parseReference(input), (err: Error) => {
        assert.match(err.message, re);
        assert.ok(err.message.startsWith(`invalid reference ${JSON.stringify(input)}`), err.message);
        assert.ok(!err.message.includes('\n'));
        return true;
      });
    });
  }

  it('splits as Docker does, before registry folding', () => {
    assert.deepEqual(parseReferenceParts('Registry.Example.COM:443/a/b:c'), { domain: 'Registry.Example.COM:443', path: 'a/b', tag: 'c' });
    assert.deepEqual(parseReferenceParts('index.docker.io/ubuntu'), { domain: 'docker.io', path: 'library/ubuntu' });
    assert.deepEqual(parseReferenceParts(`foo@${D}`), { domain: 'docker.io', path: 'library/foo', digest: D });
    assert.deepEqual(parseReferenceParts('registry-1.docker.io/ubuntu'), { domain: 'registry-1.docker.io', path: 'ubuntu' });
  });

  it('validates tags alone', () => {
    assert.equal(validateTag('v1.0'), 'v1.0');
    assert.throws(() => validateTag('.x'), /invalid tag "\.x"/);
  });

  it('recognises loopback hosts', () => {
    for (const h of ['localhost', 'localhost:5000', '127.0.0.1', '127.1.2.3:80', '[::1]:5000', '::1']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['10.0.0.1:5000', 'ghcr.io', '128.0.0.1', 'localhost.example.com']) assert.ok(!isLoopbackHost(h), h);
  });
});

describe('platform matcher', () => {
  it('normalises aliases', () => {
    assert.deepEqual(normalizePlatform('linux/aarch64'), { os: 'linux', architecture: 'arm64' });
    assert.deepEqual(normalizePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64' });
    assert.deepEqual(normalizePlatform('linux/x86_64'), { os: 'linux', architecture: 'amd64' });
    assert.deepEqual(normalizePlatform('linux/arm'), { os: 'linux', architecture: 'arm', variant: 'v7' });
    assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'arm', variant: '6' }), { os: 'linux', architecture: 'arm', variant: 'v6' });
  });
  it('matches', () => {
    assert.ok(platformMatches('linux/arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }));
    assert.ok(platformMatches('linux/aarch64', 'linux/arm64'));
    assert.ok(platformMatches('linux/arm', 'linux/arm/v7'));
    assert.ok(!platformMatches('linux/arm', 'linux/arm/v6'));
    assert.ok(!platformMatches('linux/amd64', 'windows/amd64'));
    assert.ok(platformMatches('linux/amd64', 'linux/amd64/v3'));
    assert.ok(!platformMatches('linux/amd64/v3', 'linux/amd64'));
  });
  it('prefers exact variants', () => {
    const candidates = [
      { os: 'linux', architecture: 'amd64', variant: 'v3' },
      { os: 'unknown', architecture: 'unknown' },
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ];
    assert.equal(bestPlatformMatch('linux/amd64', candidates), 2);
    assert.equal(bestPlatformMatch('linux/aarch64', candidates), 3);
    assert.equal(bestPlatformMatch('linux/s390x', candidates), -1);
  });
  it('rejects malformed platforms', () => {
    assert.throws(() => normalizePlatform('linux'), /invalid platform "linux"/);
  });
});

describe('WWW-Authenticate', () => {
  it('parses a bearer challenge with commas inside quotes', () => {
    const c = parseWwwAuthenticate(
      'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:app:pull,push",error="insufficient_scope"',
    );
    assert.deepEqual(c, [
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example.com/token',
          service: 'registry.example.com',
          scope: 'repository:app:pull,push',
          error: 'insufficient_scope',
        },
      },
    ]);
  });
  it('parses several challenges, escapes and unquoted values', () => {
    const c = parseWwwAuthenticate('Basic realm="a \\"quoted\\" realm", charset=UTF-8, Bearer realm="https://t/x",scope="a:b:c d:e:f"');
    assert.equal(c.length, 2);
    assert.deepEqual(c[0], { scheme: 'basic', params: { realm: 'a "quoted" realm', charset: 'UTF-8' } });
    assert.deepEqual(c[1], { scheme: 'bearer', params: { realm: 'https://t/x', scope: 'a:b:c d:e:f' } });
  });
  it('takes several header values', () => {
    const c = parseWwwAuthenticate(['Basic realm="r"', 'Bearer realm="https://t"']);
    assert.deepEqual(c.map((x) => x.scheme), ['basic', 'bearer']);
  });
  it('merges scopes', () => {
    assert.deepEqual(mergeScopes(['repository:b:push', 'repository:a:pull', 'repository:b:pull', 'repository:b:push']), [
      'repository:a:pull',
      'repository:b:pull,push',
    ]);
    assert.deepEqual(mergeScopes(['repository:a:pull repository:a:delete', 'registry:catalog:*']), [
      'registry:catalog:*',
      'repository:a:pull,delete',
    ]);
    assert.deepEqual(parseScope('repository:host:5000/app:pull'), { type: 'repository', name: 'host:5000/app', actions: ['pull'] });
  });
});

describe('retries and errors', () => {
  it('parses Retry-After', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(retryDelay(1, { maxRetryAfterMs: 2000 }, '120'), 2000);
  });
  it('backs off exponentially with jitter', () => {
    for (let i = 0; i < 20; i++) {
      const d1 = retryDelay(1, { minDelayMs: 100, maxDelayMs: 1000 });
      const d4 = retryDelay(4, { minDelayMs: 100, maxDelayMs: 1000 });
      const d9 = retryDelay(9, { minDelayMs: 100, maxDelayMs: 1000 });
      assert.ok(d1 >= 50 && d1 <= 100, String(d1));
      assert.ok(d4 >= 400 && d4 <= 800, String(d4));
      assert.ok(d9 >= 500 && d9 <= 1000, String(d9));
    }
  });
  it('classifies connection errors', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    assert.ok(isRetryableError(reset));
    assert.ok(isRetryableError(new Error('x', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) })));
    assert.ok(isRetryableError(new Error('socket hang up')));
    assert.ok(!isRetryableError(new Error('certificate has expired')));
  });
  it('formats registry errors on one line without query or userinfo', () => {
    const body = JSON.stringify({ errors: [{ code: 'MANIFEST_INVALID', message: 'manifest invalid', detail: { x: 1 } }] });
    const err = new RegistryError({ method: 'PUT', url: 'https://u:p@host/v2/app/manifests/latest?_state=secret', status: 400, errors: parseErrorBody(body) });
    assert.equal(err.message, 'PUT https://host/v2/app/manifests/latest: 400 MANIFEST_INVALID: manifest invalid');
    assert.ok(err.hasCode('MANIFEST_INVALID'));
    assert.equal(redactUrl('http://a:b@h:1/p?q#f'), 'http://h:1/p');
    const plain = new RegistryError({ method: 'GET', url: 'http://h/v2/', status: 502, body: '<html>bad gateway</html>' });
    assert.equal(plain.message, 'GET http://h/v2/: 502');
  });
  it('lists credential keys', () => {
    assert.deepEqual(credentialKeys('127.0.0.1:5000'), ['127.0.0.1:5000', 'https://127.0.0.1:5000', 'http://127.0.0.1:5000']);
    assert.equal(credentialKeys('docker.io')[0], 'https://index.docker.io/v1/');
  });
});
