// The bad-input corpus (corpus.ts) through the CLI: for every case the exact one-line message
// (expected.ts; file:line:column where there is a file), exit code 1, no stack trace, nothing on
// stdout, no blob written when analysis fails, and no manifest or tag put to a registry.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CASES } from './corpus.ts';
import { EXPECTED } from './expected.ts';
import { runCase } from './run_case.ts';

const CONCURRENCY = 8;

describe(`bad-input corpus (${CASES.length} cases)`, { concurrency: CONCURRENCY }, () => {
  test('every case has a reviewed expectation and a unique name', () => {
    assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length);
    assert.ok(CASES.length >= 60, `${CASES.length} cases`);
    for (const c of CASES) assert.ok(EXPECTED[c.name] !== undefined, `no expectation for "${c.name}"`);
  });

  for (const c of CASES) {
    test(c.name, async () => {
      const r = await runCase(c);
      const detail = `\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout}`;
      assert.equal(r.code, 1, `exit code${detail}`);
      const sub = (s: string) => s.replaceAll('{root}', r.root).replaceAll('{registry}', r.registry ?? '{registry}');
      assert.equal(r.message, sub(EXPECTED[c.name] ?? '?'), detail);
      if (!c.garbage) {
        if (typeof c.expected === 'string') assert.equal(r.message, c.expected);
        else assert.match(r.message, c.expected);
      }
      if (!c.multiline) assert.ok(!r.message.includes('\n'));
      assert.ok(!/\n\s+at /.test(r.stderr), `stack trace printed${detail}`);
      assert.ok(!/Error:|TypeError|RangeError/.test(r.stderr.replace(/^oci-build: error: /m, '')), `a raw error name leaked${detail}`);
      assert.equal(r.stdout, '', 'no target reported as built');
      if (!c.buildStarted) assert.deepEqual(r.blobs, [], 'no blob may be written when analysis fails');
      if (c.garbage) {
        assert.ok(r.requests.length > 0, 'the registry was asked');
        assert.deepEqual(r.requests.filter((q) => /^PUT .*\/manifests\//.test(q)), [], 'no manifest or tag put');
      }
    });
  }
});
