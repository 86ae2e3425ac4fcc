import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Select, StarList, StarlarkError, repr, resolveSelects } from '../../src/starlark/index.ts';
import type { Value } from '../../src/starlark/index.ts';
import { errorOf, run } from './helpers.ts';

/** Resolves `name` from a program with the given conditions holding. */
function resolved(source: string, name: string, active: string[]): string {
  const value = run(source).get(name);
  assert.notEqual(value, undefined);
  return repr(resolveSelects(value as Value, (key) => typeof key === 'string' && active.includes(key)));
}

function resolveError(source: string, name: string, active: string[]): StarlarkError {
  const value = run(source).get(name) as Value;
  try {
    resolveSelects(value, (key) => typeof key === 'string' && active.includes(key));
  } catch (e) {
    if (e instanceof StarlarkError) return e;
    throw e;
  }
  assert.fail('expected resolveSelects to fail');
}

const PROGRAM = `
srcs = select({
    "//cond:linux": ["linux.go"],
    "//cond:mac": ["mac.go"],
    "//conditions:default": ["other.go"],
}) + ["common.go"]
prefixed = ["first.go"] + select({"//cond:linux": ["l.go"], "//conditions:default": []})
both = select({"//cond:linux": ["a"], "//conditions:default": []}) + select({"//cond:arm": ["b"], "//conditions:default": ["c"]})
env = {"A": "1"} | select({"//cond:linux": {"OS": "linux"}, "//conditions:default": {}})
name = "app_" + select({"//cond:linux": "linux", "//cond:mac": "mac"})
strict = select({"//cond:linux": 1}, no_match_error = "only linux is supported")
nodefault = select({"//cond:linux": 1, "//cond:mac": 2})
attrs = {"deps": select({"//cond:linux": [":x"], "//conditions:default": []}), "plain": [select({"//cond:mac": 1, "//conditions:default": 0})]}
`;

describe('select', () => {
  it('stays unresolved during evaluation and prints like Bazel', () => {
    const g = run(PROGRAM);
    assert.ok(g.get('srcs') instanceof Select);
    assert.equal(repr(g.get('srcs') ?? null),
      'select({"//cond:linux": ["linux.go"], "//cond:mac": ["mac.go"], "//conditions:default": ["other.go"]}) + ["common.go"]');
    assert.equal(repr(g.get('strict') ?? null), 'select({"//cond:linux": 1}, no_match_error = "only linux is supported")');
  });

  it('picks the matching branch, or the default', () => {
    assert.equal(resolved(PROGRAM, 'srcs', ['//cond:linux']), '["linux.go", "common.go"]');
    assert.equal(resolved(PROGRAM, 'srcs', ['//cond:mac']), '["mac.go", "common.go"]');
    assert.equal(resolved(PROGRAM, 'srcs', []), '["other.go", "common.go"]');
  });

  it('resolves concatenations in order', () => {
    assert.equal(resolved(PROGRAM, 'prefixed', ['//cond:linux']), '["first.go", "l.go"]');
    assert.equal(resolved(PROGRAM, 'both', ['//cond:linux']), '["a", "c"]');
    assert.equal(resolved(PROGRAM, 'both', ['//cond:linux', '//cond:arm']), '["a", "b"]');
    assert.equal(resolved(PROGRAM, 'env', ['//cond:linux']), '{"A": "1", "OS": "linux"}');
    assert.equal(resolved(PROGRAM, 'name', ['//cond:mac']), '"app_mac"');
  });

  it('resolves selects nested in dicts and lists', () => {
    assert.equal(resolved(PROGRAM, 'attrs', ['//cond:mac']), '{"deps": [], "plain": [1]}');
  });

  it('uses no_match_error when nothing matches', () => {
    const e = resolveError(PROGRAM, 'strict', ['//cond:mac']);
    assert.equal(e.message, 'BUILD.bazel:11:16: only linux is supported');
  });

  it('lists the conditions when nothing matches and there is no default', () => {
    const e = resolveError(PROGRAM, 'nodefault', []);
    assert.equal(e.message,
      'BUILD.bazel:12:19: no select condition matched and there is no "//conditions:default"; conditions checked: "//cond:linux", "//cond:mac"');
  });

  it('reports ambiguous matches unless one key refines the other', () => {
    const e = resolveError(PROGRAM, 'nodefault', ['//cond:linux', '//cond:mac']);
    assert.equal(e.message, 'BUILD.bazel:12:19: ambiguous select keys "//cond:linux" and "//cond:mac": both match');
    const value = run(PROGRAM).get('nodefault') as Value;
    const picked = resolveSelects(value, () => true, { refines: (a, b) => a === '//cond:mac' && b === '//cond:linux' });
    assert.equal(picked, 2);
  });

  it('checks operand types when combining', () => {
    assert.equal(errorOf('x = select({"//a": [1]}) + 1'), 'BUILD.bazel:1:26: unsupported operand type(s) for +: "select" and "int"');
    assert.equal(errorOf('x = select({"//a": [1]}) | [1]'), 'BUILD.bazel:1:26: unsupported operand type(s) for |: "select" and "list"');
    const mixed = run('x = select({"//a": [1], "//conditions:default": []}) + "s"').get('x') as Value;
    assert.throws(() => resolveSelects(mixed, () => false), {
      message: 'BUILD.bazel:1:54: unsupported operand type(s) for +: "list" and "string" (in a select() combination)',
    });
  });

  it('validates select() arguments', () => {
    assert.equal(errorOf('x = select([])'), 'BUILD.bazel:1:11: select: got value of type "list", want a dict');
    assert.equal(errorOf('x = select({})'),
      'BUILD.bazel:1:11: select({}) with an empty dictionary can never resolve because it includes no conditions to match');
    assert.equal(errorOf('x = select({1: 2})'), 'BUILD.bazel:1:11: select: keys must be label strings, got a key of type "int"');
  });

  it('resolves shared and cyclic values in linear time, keeping their shape', () => {
    const g = run('x = [select({"//a": 1, "//conditions:default": 0})]\nfor i in range(60):\n    x = [x, x]\nc = [1]\nc.append(c)\n');
    const x = resolveSelects(g.get('x') as Value, () => true);
    assert.ok(x instanceof StarList);
    assert.equal(x.elems[0], x.elems[1], 'shared subtrees stay shared');
    const c = resolveSelects(g.get('c') as Value, () => true);
    assert.ok(c instanceof StarList && c.elems[1] === c);
  });

  it('supports += with a select on the right', () => {
    const src = 'srcs = ["a"]\nsrcs += select({"//x": ["b"], "//conditions:default": []})\n';
    assert.equal(resolved(src, 'srcs', ['//x']), '["a", "b"]');
  });
});
