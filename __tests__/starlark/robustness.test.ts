import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Builtin, StarList, StarlarkError, Struct, UNIVERSE, execFile, resolveSelects } from '../../src/starlark/index.ts';
import type { Position, Value } from '../../src/starlark/index.ts';
import { tokenize } from '../../src/starlark/lexer.ts';
import { prng } from '../helpers/prng.ts';


const VALID_BUILD = `
load("//tools:defs.bzl", "ARCHES", "macro")

COMMON = ["main.go", "util.go"]

def helper(name, srcs = [], *args, **kwargs):
    out = []
    for i, s in enumerate(srcs):
        if s.endswith(".go") and i % 2 == 0:
            out.append(s.upper())
        elif len(s) > 3:
            continue
        else:
            out += [s]
    kwargs.pop("visibility", None)
    return {"name": name, "out": out, "extra": kwargs, "args": args}

[rule(name = "bin_" + a, goarch = a, srcs = COMMON + select({"//x": ["x.go"], "//conditions:default": []})) for a in ARCHES]

info = helper("lib", srcs = COMMON, visibility = ["//visibility:public"], tag = "t")
text = "%s-%d" % (info["name"], len(info["out"])) + "{}/{name}".format(1, name = "n")
pairs = sorted({k: v for k, v in zip("abc".elems(), range(3))}.items(), key = lambda kv: -kv[1])
s = struct(a = 1, b = [x * 2 for x in range(4) if x != 2])
macro(name = "m", deps = [":a"], **{"flag": True})
print(text, pairs, s)
`;

const DEFS = `
ARCHES = ["amd64", "arm64"]
def macro(name, **kwargs):
    rule(name = name, **kwargs)
    return struct(name = name)
`;

const VOCABULARY = [
  'def', 'if', 'elif', 'else', 'for', 'in', 'not', 'and', 'or', 'lambda', 'return', 'break', 'continue', 'pass', 'load',
  'x', 'y', 'f', 'len', 'range', 'select', 'struct', 'rule', 'fail', 'sorted', 'dict', 'list', 'str', 'int', 'print',
  'None', 'True', 'False', 'kwargs', 'append', 'format', 'split', 'join',
  '(', ')', '[', ']', '{', '}', ',', ':', ';', '.', '=', '+=', '|=', '==', '!=', '<', '>=', '+', '-', '*', '//', '%',
  '|', '&', '^', '~', '<<', '>>', '**', '*', '/', '->', '!', '@', '$', '?',
  '0', '1', '-1', '9007199254740991', '0x1f', '0o7', '0b2', '1.5', '007',
  '"s"', "'t'", '"""doc"""', 'r"\\d"', '"\\x41"', '"\\q"', '"unterminated', '"%s %d"', '"{}{0}"', '"//conditions:default"',
  '\n', '\n', '\n    ', '\n  ', '\t', '\\\n', '#comment\n', ' ',
];

function tokenSoup(rand: () => number): string {
  const n = 1 + Math.floor(rand() * 60);
  let out = '';
  for (let i = 0; i < n; i++) {
    out += VOCABULARY[Math.floor(rand() * VOCABULARY.length)];
    if (rand() < 0.7) out += ' ';
  }
  return out;
}

function mutate(source: string, rand: () => number): string {
  let s = source;
  const edits = 1 + Math.floor(rand() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (s.length + 1));
    const len = Math.floor(rand() * 12);
    switch (Math.floor(rand() * 6)) {
      case 0: // delete a range
        s = s.slice(0, at) + s.slice(at + len);
        break;
      case 1: // insert a token
        s = s.slice(0, at) + VOCABULARY[Math.floor(rand() * VOCABULARY.length)] + s.slice(at);
        break;
      case 2: // replace a character
        s = s.slice(0, at) + String.fromCharCode(32 + Math.floor(rand() * 95)) + s.slice(at + 1);
        break;
      case 3: { // duplicate a range
        const piece = s.slice(at, at + len * 4);
        s = s.slice(0, at) + piece + piece + s.slice(at);
        break;
      }
      case 4: { // swap two lines
        const lines = s.split('\n');
        const i = Math.floor(rand() * lines.length);
        const j = Math.floor(rand() * lines.length);
        [lines[i], lines[j]] = [lines[j], lines[i]];
        s = lines.join('\n');
        break;
      }
      default: { // change indentation of a line
        const lines = s.split('\n');
        const i = Math.floor(rand() * lines.length);
        lines[i] = ' '.repeat(Math.floor(rand() * 9)) + lines[i].trimStart();
        s = lines.join('\n');
        break;
      }
    }
  }
  return s;
}

const SAME_KIND: Record<string, string[]> = {
  ident: ['x', 'name', 'srcs', 'COMMON', 'info', 'helper', 'kwargs', 'out', 's', 'i', 'len', 'str', 'sorted', 'rule', 'macro', 'struct', 'select', 'None', 'True', 'range', 'fail'],
  int: ['0', '1', '-1', '2', '9007199254740991', '100000'],
  string: ['""', '"x"', '"%s"', '"{}"', '"//x"', '"//conditions:default"', '"a,b"', '".go"'],
  op: ['+', '-', '*', '//', '%', '|', '&', '==', '<', 'in', 'not in', 'and', 'or', ',', '.', '[', ']'],
};

/** Replaces tokens with other tokens of the same kind, so the result usually still parses. */
function mutateTokens(source: string, rand: () => number): string {
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') lineStarts.push(i + 1);
  const tokens = tokenize('seed', source).filter((t) => t.kind in SAME_KIND);
  const picks = new Set<number>();
  const edits = 1 + Math.floor(rand() * 3);
  while (picks.size < edits) picks.add(Math.floor(rand() * tokens.length));
  let s = source;
  // Apply from the end so earlier offsets stay valid.
  for (const index of [...picks].sort((a, b) => b - a)) {
    const t = tokens[index];
    const offset = lineStarts[t.line - 1] + t.column - 1;
    const choices = SAME_KIND[t.kind];
    s = s.slice(0, offset) + choices[Math.floor(rand() * choices.length)] + s.slice(offset + t.text.length);
  }
  return s;
}

const CALL_VALUES = [
  'None', 'True', '0', '-1', '5', '""', '"a,b"', '"%s"', '"{}"', '[]', '[1, "x"]', '()', '(1,)', '{}', '{"k": 1}',
  'struct(a = 1)', 'len', '(lambda x: x)', 'select({"//a": 1})', '[("a", 1)]', '9007199254740991', 'range(3)',
];
const CALL_KEYWORDS = ['key', 'reverse', 'sep', 'start', 'end', 'base', 'default', 'x', 'name', 'maxsplit', 'chars', 'attr'];
const RECEIVERS = ['""', '"a,b c"', '[3, 1, 2]', '{"k": 1}'];

/** A random call of a builtin function or method with random arguments. */
function randomCall(rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const args: string[] = [];
  for (let i = Math.floor(rand() * 4); i > 0; i--) args.push(pick(CALL_VALUES));
  if (rand() < 0.4) args.push(`${pick(CALL_KEYWORDS)} = ${pick(CALL_VALUES)}`);
  if (rand() < 0.1) args.push(`*${pick(CALL_VALUES)}`);
  if (rand() < 0.1) args.push(`**${pick(CALL_VALUES)}`);
  let callee: string;
  if (rand() < 0.5) {
    callee = pick([...UNIVERSE.keys()].filter((k) => !['None', 'True', 'False'].includes(k)));
  } else {
    const receiver = pick(RECEIVERS);
    callee = `${receiver}.${pick(run1(`result = dir(${receiver})`))}`;
  }
  return `x = ${callee}(${args.join(', ')})\ny = [str(x), x == x, type(x), dir(x)]\n`;
}

function run1(source: string): string[] {
  const v = execFile({ file: 'dir', source, predeclared: new Map() }).get('result');
  return v instanceof StarList ? v.elems.map(String) : [];
}

function predeclared(): Map<string, Value> {
  return new Map<string, Value>([
    ['rule', new Builtin('rule', () => null)],
    ['native', new Struct({ package_name: new Builtin('package_name', () => 'pkg') }, 'native')],
  ]);
}

function load(module: string, pos: Position): Map<string, Value> {
  if (module !== '//tools:defs.bzl') throw new StarlarkError(`cannot load ${module}`, pos);
  return execFile({ file: 'tools/defs.bzl', source: DEFS, predeclared: predeclared() });
}

/** Runs a program; returns 'ok' or 'error', and fails the test on any non-Starlark exception. */
function runSafely(source: string): 'ok' | 'error' {
  try {
    const globals = execFile({
      file: 'fuzz/BUILD.bazel',
      source,
      predeclared: predeclared(),
      load,
      print: () => {},
      limits: { maxSteps: 200_000, maxStringLength: 100_000, maxCollectionLength: 10_000 },
    });
    for (const v of globals.values()) resolveSelects(v, (key) => key === '//x');
    return 'ok';
  } catch (e) {
    if (e instanceof StarlarkError) {
      assert.match(e.message, /^[^\n]+:\d+:\d+: [^\n]*$/s, 'errors are one line with a position');
      return 'error';
    }
    assert.fail(`non-Starlark exception ${String(e)} for source:\n${JSON.stringify(source)}\n${(e as Error).stack ?? ''}`);
  }
}

describe('robustness', () => {
  it('runs the valid BUILD file used as the mutation seed', () => {
    assert.equal(runSafely(VALID_BUILD), 'ok');
  });

  it('only ever throws StarlarkError for random token soup', () => {
    const rand = prng(0x5eed);
    const outcomes = { ok: 0, error: 0 };
    for (let i = 0; i < 400; i++) outcomes[runSafely(tokenSoup(rand))]++;
    assert.ok(outcomes.error > 0);
  });

  it('only ever throws StarlarkError for mutated BUILD files', () => {
    const rand = prng(42);
    const outcomes = { ok: 0, error: 0 };
    for (let i = 0; i < 400; i++) outcomes[runSafely(mutate(VALID_BUILD, rand))]++;
    assert.ok(outcomes.ok > 0 && outcomes.error > 0, JSON.stringify(outcomes));
  });

  it('only ever throws StarlarkError for token-level mutations that mostly parse', () => {
    const rand = prng(7);
    const outcomes = { ok: 0, error: 0 };
    for (let i = 0; i < 400; i++) outcomes[runSafely(mutateTokens(VALID_BUILD, rand))]++;
    assert.ok(outcomes.ok > 20 && outcomes.error > 20, JSON.stringify(outcomes));
  });

  it('only ever throws StarlarkError for random builtin and method calls', () => {
    const rand = prng(99);
    const outcomes = { ok: 0, error: 0 };
    for (let i = 0; i < 500; i++) outcomes[runSafely(randomCall(rand))]++;
    assert.ok(outcomes.ok > 10 && outcomes.error > 10, JSON.stringify(outcomes));
  });

  it('survives pathological inputs', () => {
    const inputs = [
      '',
      '\n\n\n',
      '    ',
      '#',
      '\\',
      '"',
      '"""',
      '('.repeat(30_000),
      '['.repeat(5_000) + ']'.repeat(5_000),
      'x = ' + 'not '.repeat(10_000) + 'True',
      'x = 1' + ' if 1 else 1'.repeat(1_000),
      'x = ' + 'lambda: '.repeat(1_000) + '1',
      'def f():\n' + ' '.repeat(4) + 'return 1\n' + 'x = f' + '()'.repeat(2_000),
      'x = [' + '1,'.repeat(30_000) + ']',
      'x = ' + '"a" '.repeat(10_000),
      'pass;'.repeat(30_000),
      'x = {' + '1: 2, '.repeat(20_000) + '}',
      'x = ' + 'a.'.repeat(10_000) + 'b',
      'x = [x for x in []' + ' if x'.repeat(1_000) + ']',
      'x = "\\' + 'U'.repeat(10),
      '\t',
      '\u2028x = 1',
      'x = 1\n\u00a0y = 2',
      'def f(' + Array.from({ length: 5_000 }, (_, i) => `a${i}`).join(', ') + '):\n  pass\nf(*range(5_000))',
      'f(' + '1, '.repeat(30_000) + ')',
    ];
    for (const source of inputs) runSafely(source);
  });
});
