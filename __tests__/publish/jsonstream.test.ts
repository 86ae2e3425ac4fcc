import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonMessageParser, jsonMessageError, type JsonMessage } from '../../src/publish/jsonstream.ts';

const sample = [
  '{"stream":"Loaded image: hello_world:latest\\n"}\r\n',
  '{"stream":"Loaded image ID: sha256:abc\\n"}\n',
  '{"errorDetail":{"message":"invalid diffID {for} \\"layer\\" 0"},"error":"invalid diffID {for} \\"layer\\" 0"}\n',
].join('');

function feed(chunks: Array<string | Uint8Array>): JsonMessage[] {
  const p = new JsonMessageParser();
  const out: JsonMessage[] = [];
  for (const c of chunks) out.push(...p.push(c));
  out.push(...p.end());
  return out;
}

const expected: JsonMessage[] = [
  { stream: 'Loaded image: hello_world:latest\n' },
  { stream: 'Loaded image ID: sha256:abc\n' },
  {
    errorDetail: { message: 'invalid diffID {for} "layer" 0' },
    error: 'invalid diffID {for} "layer" 0',
  },
];

describe('JsonMessageParser', () => {
  it('parses newline-delimited messages in one chunk', () => {
    assert.deepEqual(feed([sample]), expected);
  });

  it('parses messages split at every possible point', () => {
    for (let i = 0; i <= sample.length; i++) {
      assert.deepEqual(feed([sample.slice(0, i), sample.slice(i)]), expected, `split at ${i}`);
    }
  });

  it('parses byte-by-byte input, including multi-byte UTF-8 cut mid-sequence', () => {
    const text = '{"stream":"Grüße → 世界 ✓"}\n{"status":"ok"}';
    const bytes = Buffer.from(text);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i++) chunks.push(bytes.subarray(i, i + 1));
    assert.deepEqual(feed(chunks), [{ stream: 'Grüße → 世界 ✓' }, { status: 'ok' }]);
  });

  it('parses several messages per chunk with no separator at all', () => {
    assert.deepEqual(feed(['{"stream":"a"}{"stream":"b"}  {"stream":"c"}']), [
      { stream: 'a' },
      { stream: 'b' },
      { stream: 'c' },
    ]);
  });

  it('parses merged and split chunks in random layouts', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const big = sample.repeat(20);
    const want = Array.from({ length: 20 }, () => expected).flat();
    for (let round = 0; round < 50; round++) {
      const chunks: string[] = [];
      for (let i = 0; i < big.length; ) {
        const n = 1 + rand(80);
        chunks.push(big.slice(i, i + n));
        i += n;
      }
      assert.deepEqual(feed(chunks), want);
    }
  });

  it('handles braces and escaped quotes inside strings', () => {
    assert.deepEqual(feed(['{"stream":"}}{{\\\\\\"', '"}\n']), [{ stream: '}}{{\\"' }]);
  });

  it('keeps plain-text lines as stream messages', () => {
    assert.deepEqual(feed(['not json\n{"stream":"x"}\ntrailing']), [
      { stream: 'not json' },
      { stream: 'x' },
      { stream: 'trailing' },
    ]);
  });

  it('throws on a truncated message at the end', () => {
    const p = new JsonMessageParser();
    assert.deepEqual(p.push('{"stream":"a"}\n{"stream":"b'), [{ stream: 'a' }]);
    assert.throws(() => p.end(), /truncated JSON message from Docker/);
  });

  it('throws on malformed JSON', () => {
    assert.throws(() => feed(['{"stream": nope}\n']), /invalid JSON message from Docker/);
  });

  it('reports in-band errors', () => {
    assert.equal(jsonMessageError({ stream: 'x' }), undefined);
    assert.equal(jsonMessageError({ error: 'boom' }), 'boom');
    assert.equal(jsonMessageError({ error: 'short', errorDetail: { message: 'long' } }), 'long');
    assert.equal(jsonMessageError({ errorDetail: {} }), 'unknown error');
  });
});
