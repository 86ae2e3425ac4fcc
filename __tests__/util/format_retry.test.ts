import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, oneLine } from '../../src/util/format.ts';
import { backoffDelay, parseRetryAfter } from '../../src/util/retry.ts';

test('formatBytes: bytes below 1 KiB, one decimal above, none for exact multiples', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1024), '1 KiB');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(8 << 20), '8 MiB');
  assert.equal(formatBytes(1.25 * 2 ** 30), '1.3 GiB');
  assert.equal(formatBytes(3 * 2 ** 50), '3072 TiB');
});

test('oneLine: flattens whitespace, cuts to max characters with an ellipsis', () => {
  assert.equal(oneLine('  a\n\tb  c \r\n'), 'a b c');
  assert.equal(oneLine('abcdef', 4), 'abc…');
  assert.equal(oneLine('abcd', 4), 'abcd');
});

test('parseRetryAfter: seconds or an HTTP date, undefined otherwise', () => {
  const now = Date.parse('Wed, 01 Jan 2025 00:00:00 GMT');
  assert.equal(parseRetryAfter(' 7 '), 7000);
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now), 5000);
  assert.equal(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('later'), undefined);
  assert.equal(parseRetryAfter(undefined), undefined);
});

test('backoffDelay: doubles from the minimum up to the maximum; jitter stays in the upper half', () => {
  const fixed = { minDelayMs: 200, maxDelayMs: 800, jitter: false };
  assert.deepEqual([1, 2, 3, 4].map((a) => backoffDelay(a, fixed)), [200, 400, 800, 800]);
  for (let i = 0; i < 50; i++) {
    const d = backoffDelay(3, { minDelayMs: 100, maxDelayMs: 10_000 });
    assert.ok(d >= 200 && d <= 400, `${d}`);
  }
});
