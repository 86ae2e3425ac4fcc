import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tokenize } from '../../src/starlark/lexer.ts';
import { errorOf, evaluate, show } from './helpers.ts';

function kinds(source: string): string[] {
  return tokenize('f', source).map((t) => (t.kind === 'op' || t.kind === 'keyword' || t.kind === 'ident' ? t.text : t.kind));
}

describe('lexer', () => {
  it('emits INDENT/DEDENT and NEWLINE tokens', () => {
    assert.deepEqual(kinds('if x:\n    y\nz\n'), [
      'if', 'x', ':', 'newline', 'indent', 'y', 'newline', 'dedent', 'z', 'newline', 'eof',
    ]);
  });

  it('closes open blocks at end of file without a trailing newline', () => {
    assert.deepEqual(kinds('def f():\n  if a:\n    b'), [
      'def', 'f', '(', ')', ':', 'newline', 'indent', 'if', 'a', ':', 'newline', 'indent', 'b', 'newline',
      'dedent', 'dedent', 'eof',
    ]);
  });

  it('ignores blank lines, comments and newlines inside brackets', () => {
    assert.deepEqual(kinds('# c\n\nx = [\n  1,  # one\n\n      2]\n   # trailing\n'), [
      'x', '=', '[', 'int', ',', 'int', ']', 'newline', 'eof',
    ]);
  });

  it('joins lines ending in a backslash', () => {
    assert.deepEqual(kinds('x = 1 + \\\n    2\n'), ['x', '=', 'int', '+', 'int', 'newline', 'eof']);
  });

  it('records 1-based line and column positions', () => {
    const toks = tokenize('f', 'a = 1\n  \nb  =  "x"\n');
    const b = toks.find((t) => t.text === 'b');
    const s = toks.find((t) => t.kind === 'string');
    assert.deepEqual([b?.line, b?.column], [3, 1]);
    assert.deepEqual([s?.line, s?.column], [3, 7]);
  });

  it('skips a leading byte-order mark', () => {
    assert.deepEqual(kinds('\uFEFFx\n'), ['x', 'newline', 'eof']);
  });

  it('normalises CRLF line endings', () => {
    assert.deepEqual(kinds('x = 1\r\ny = 2\r\n'), ['x', '=', 'int', 'newline', 'y', '=', 'int', 'newline', 'eof']);
  });

  it('decodes int literals in every base', () => {
    assert.equal(evaluate('0x1F + 0o17 + 0b101 + 42 + 0'), 31 + 15 + 5 + 42);
    assert.equal(evaluate('0XfF'), 255);
  });

  it('decodes string escapes', () => {
    assert.equal(evaluate(String.raw`"a\nb\tc\r\\\'\""`), 'a\nb\tc\r\\\'"');
    assert.equal(evaluate(String.raw`"\x41\u00e9\U0001F600\101\0"`), 'A\u00e9\u{1F600}A\0');
    assert.equal(evaluate('"ab\\\ncd"'), 'abcd');
  });

  it('supports all quote forms and raw strings', () => {
    assert.equal(evaluate(`'single' + "double"`), 'singledouble');
    assert.equal(evaluate(`"""tri\nple "quoted" """`), 'tri\nple "quoted" ');
    assert.equal(evaluate(`'''it's'''`), "it's");
    assert.equal(evaluate(String.raw`r"a\nb\"c"`), String.raw`a\nb\"c`);
    assert.equal(evaluate(String.raw`R'\d+'`), String.raw`\d+`);
  });

  it('concatenates adjacent string literals', () => {
    assert.equal(evaluate('"a" "b" \'c\''), 'abc');
    assert.equal(evaluate('("multi"\n  "line")'), 'multiline');
  });

  it('tracks lines inside triple-quoted strings', () => {
    assert.equal(errorOf('x = """a\nb\nc"""\ny = undefined_name\n'), 'BUILD.bazel:4:5: name "undefined_name" is not defined');
  });

  it('rejects tabs in indentation', () => {
    assert.equal(errorOf('if True:\n\tx = 1\n'), 'BUILD.bazel:2:1: tab characters are not allowed in indentation; use spaces');
  });

  it('accepts tabs between tokens', () => {
    assert.equal(show('1\t+\t2'), '3');
  });

  it('rejects inconsistent dedents', () => {
    assert.equal(errorOf('if True:\n    x = 1\n  y = 2\n'), 'BUILD.bazel:3:3: unindent does not match any outer indentation level');
  });

  it('rejects floats, bad ints and oversize ints', () => {
    assert.equal(errorOf('x = 1.5'), 'BUILD.bazel:1:5: floating-point numbers are not supported');
    assert.equal(errorOf('x = .5'), 'BUILD.bazel:1:5: floating-point numbers are not supported');
    assert.equal(errorOf('x = 1e3'), 'BUILD.bazel:1:5: floating-point numbers are not supported');
    assert.equal(errorOf('x = 012'),
      'BUILD.bazel:1:5: invalid int literal 012 (leading zeros are not allowed; use the 0o prefix for octal)');
    assert.equal(errorOf('x = 0x'), 'BUILD.bazel:1:5: invalid int literal 0x');
    assert.equal(errorOf('x = 0b12'), "BUILD.bazel:1:5: invalid digit '2' in int literal 0b12");
    assert.equal(errorOf('x = 12abc'), 'BUILD.bazel:1:5: invalid int literal 12abc');
    assert.equal(errorOf('x = 99999999999999999999'),
      'BUILD.bazel:1:5: int literal 99999999999999999999 is too large (the maximum is 9007199254740991)');
  });

  it('rejects bad strings with positions', () => {
    assert.equal(errorOf('x = "abc\ny = 1'), 'BUILD.bazel:1:5: unterminated string literal');
    assert.equal(errorOf('x = """abc'), 'BUILD.bazel:1:5: unterminated string literal');
    assert.equal(errorOf('x = "a\\qb"'), "BUILD.bazel:1:7: invalid escape sequence \\q; use '\\\\' to write a backslash");
    assert.equal(errorOf('x = "\\x4"'), 'BUILD.bazel:1:6: invalid escape sequence \\x: want 2 hexadecimal digits');
    assert.equal(errorOf('x = "\\U00110000"'), 'BUILD.bazel:1:6: invalid escape sequence \\U00110000: not a valid Unicode code point');
    assert.equal(errorOf('x = b"bytes"'), 'BUILD.bazel:1:5: bytes literals are not supported');
  });

  it('rejects unknown characters and reserved words', () => {
    assert.equal(errorOf('x = 1 $ 2'), "BUILD.bazel:1:7: invalid character '$'");
    assert.equal(errorOf('x = 1 ! 2'), "BUILD.bazel:1:7: invalid character '!'");
    assert.equal(errorOf('x = \u0007'), 'BUILD.bazel:1:5: invalid character U+0007');
    assert.equal(errorOf('while True:\n  pass'), "BUILD.bazel:1:1: keyword 'while' is reserved and cannot be used");
    assert.equal(errorOf('x = 1 \\ 2'), 'BUILD.bazel:1:7: unexpected character after line continuation character');
  });
});
