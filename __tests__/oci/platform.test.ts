import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPlatform, hostPlatform, normalizePlatform, parsePlatform } from '../../src/oci/platform.ts';

test('parsePlatform normalises like containerd', () => {
  const table: Array<[string, string]> = [
    ['linux/amd64', 'linux/amd64'],
    ['linux/x86_64', 'linux/amd64'],
    ['linux/x86-64', 'linux/amd64'],
    ['linux/amd64/v1', 'linux/amd64'],
    ['linux/amd64/v3', 'linux/amd64/v3'],
    ['linux/arm64', 'linux/arm64'],
    ['linux/arm64/v8', 'linux/arm64'],
    ['linux/aarch64', 'linux/arm64'],
    ['linux/arm', 'linux/arm/v7'],
    ['linux/arm/7', 'linux/arm/v7'],
    ['linux/arm/v6', 'linux/arm/v6'],
    ['linux/arm/5', 'linux/arm/v5'],
    ['linux/armhf', 'linux/arm/v7'],
    ['linux/armel', 'linux/arm/v6'],
    ['linux/i386', 'linux/386'],
    ['linux/386', 'linux/386'],
    ['Linux/AMD64', 'linux/amd64'],
    ['linux/ppc64le', 'linux/ppc64le'],
    ['linux/s390x', 'linux/s390x'],
    ['linux/riscv64', 'linux/riscv64'],
    ['linux/mips64le', 'linux/mips64le'],
    ['linux/loong64', 'linux/loong64'],
  ];
  for (const [input, want] of table) assert.equal(formatPlatform(parsePlatform(input)), want, input);
  assert.deepEqual(parsePlatform('linux/arm64/v8'), { architecture: 'arm64', os: 'linux' });
  assert.deepEqual(parsePlatform('linux/arm/v7'), { architecture: 'arm', os: 'linux', variant: 'v7' });
});

test('bad platform strings give one-line errors naming the input', () => {
  const bad: Array<[string, string]> = [
    ['linux/sparc', 'invalid platform "linux/sparc": unknown architecture "sparc"'],
    ['linux', 'invalid platform "linux": expected os/arch'],
    ['linux/', 'invalid platform "linux/": expected os/arch'],
    ['linux/amd64/v9/x', 'invalid platform "linux/amd64/v9/x": expected os/arch'],
    ['windows/amd64', 'invalid platform "windows/amd64": unknown operating system "windows"'],
    ['linux/arm64/v7', 'invalid platform "linux/arm64/v7": unknown variant "v7" for architecture arm64'],
    ['linux/arm/v9', 'invalid platform "linux/arm/v9": unknown variant "v9" for architecture arm'],
    ['linux/386/v2', 'invalid platform "linux/386/v2": unknown variant "v2"'],
  ];
  for (const [input, prefix] of bad) {
    assert.throws(
      () => parsePlatform(input),
      (err: Error) => {
        assert.ok(err.message.startsWith(prefix), `${input}: ${err.message}`);
        assert.ok(!err.message.includes('\n'));
        return true;
      },
    );
  }
});

test('normalizePlatform is total and folds aliases and default variants', () => {
  assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'sparc64' }), { os: 'linux', architecture: 'sparc64' });
  assert.deepEqual(normalizePlatform({ os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1' }), {
    os: 'windows',
    architecture: 'amd64',
    'os.version': '10.0.17763.1',
  });
  assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' }), normalizePlatform({ os: 'linux', architecture: 'aarch64' }));
  assert.deepEqual(normalizePlatform({ os: 'linux', architecture: 'arm' }), normalizePlatform({ os: 'linux', architecture: 'arm', variant: 'v7' }));
  assert.notDeepEqual(normalizePlatform({ os: 'linux', architecture: 'arm', variant: 'v6' }), normalizePlatform({ os: 'linux', architecture: 'arm' }));
});

test('hostPlatform maps process.arch to a linux platform', () => {
  assert.deepEqual(hostPlatform('x64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(hostPlatform('arm64'), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(hostPlatform('arm'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.equal(hostPlatform().os, 'linux');
  assert.throws(() => hostPlatform('sparc'), /unsupported host architecture "sparc"/);
});
