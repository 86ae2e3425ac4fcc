import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { repr } from '../../src/starlark/index.ts';
import { errorOf, evaluate, run, show } from './helpers.ts';

describe('expressions', () => {
  it('evaluates literals and collections', () => {
    assert.equal(show('[1, "a", None, True, False, (), (1,), (1, 2), {}, {"k": [1]}]'),
      '[1, "a", None, True, False, (), (1,), (1, 2), {}, {"k": [1]}]');
  });

  it('does int arithmetic with Python semantics', () => {
    assert.equal(evaluate('7 // 2'), 3);
    assert.equal(evaluate('-7 // 2'), -4);
    assert.equal(evaluate('7 // -2'), -4);
    assert.equal(evaluate('-7 % 3'), 2);
    assert.equal(evaluate('7 % -3'), -2);
    assert.equal(evaluate('2 * 3 + 4 - 1'), 9);
    assert.equal(evaluate('-(3) + +4'), 1);
    assert.equal(evaluate('0 * -1'), 0);
    assert.ok(Object.is(evaluate('0 * -1'), 0));
    assert.equal(evaluate('9007199254740991 // 2'), 4503599627370495);
    assert.equal(evaluate('-9007199254740991 // 10'), -900719925474100);
  });

  it('does bitwise operations on ints', () => {
    assert.equal(evaluate('6 | 3'), 7);
    assert.equal(evaluate('6 & 3'), 2);
    assert.equal(evaluate('6 ^ 3'), 5);
    assert.equal(evaluate('~5'), -6);
    assert.equal(evaluate('1 << 40'), 2 ** 40);
    assert.equal(evaluate('-16 >> 2'), -4);
    assert.equal(evaluate('0x7fffffffffff | 0x100000000000'), 0x7fffffffffff);
  });

  it('errors on int overflow and division by zero', () => {
    assert.equal(errorOf('x = 9007199254740991 + 1'), 'BUILD.bazel:1:22: integer overflow');
    assert.equal(errorOf('x = 100000000000 * 100000000000'), 'BUILD.bazel:1:18: integer overflow');
    assert.equal(errorOf('x = 1 << 60'), 'BUILD.bazel:1:7: integer overflow');
    assert.equal(errorOf('x = 1 // 0'), 'BUILD.bazel:1:7: integer division by zero');
    assert.equal(errorOf('x = 1 % 0'), 'BUILD.bazel:1:7: integer modulo by zero');
    assert.equal(errorOf('x = 1 / 2'), 'BUILD.bazel:1:7: floating-point division is not supported; use // for integer division');
  });

  it('reports unsupported operand types', () => {
    assert.equal(errorOf('x = 1 + "a"'), 'BUILD.bazel:1:7: unsupported operand type(s) for +: "int" and "string"');
    assert.equal(errorOf('x = [] - []'), 'BUILD.bazel:1:8: unsupported operand type(s) for -: "list" and "list"');
    assert.equal(errorOf('x = {} | []'), 'BUILD.bazel:1:8: unsupported operand type(s) for |: "dict" and "list"');
    assert.equal(errorOf('x = -"a"'), 'BUILD.bazel:1:5: unsupported operand type for unary -: "string"');
    assert.equal(errorOf('x = 1 < "a"'), 'BUILD.bazel:1:7: unsupported operand type(s) for <: "int" and "string"');
    assert.equal(errorOf('x = None > None'), 'BUILD.bazel:1:10: unsupported operand type(s) for >: "NoneType" and "NoneType"');
  });

  it('concatenates and repeats sequences', () => {
    assert.equal(show('"ab" + "cd"'), '"abcd"');
    assert.equal(show('[1] + [2, 3]'), '[1, 2, 3]');
    assert.equal(show('(1,) + (2,)'), '(1, 2)');
    assert.equal(show('"ab" * 3'), '"ababab"');
    assert.equal(show('2 * [1, 2]'), '[1, 2, 1, 2]');
    assert.equal(show('(0,) * 2'), '(0, 0)');
    assert.equal(show('[1] * -1'), '[]');
    assert.equal(show('{"a": 1, "b": 2} | {"b": 3, "c": 4}'), '{"a": 1, "b": 3, "c": 4}');
  });

  it('compares values', () => {
    assert.equal(show('[1 == 1, 1 != 2, "a" < "b", [1, 2] < [1, 3], (1,) < (1, 0), False < True]'),
      '[True, True, True, True, True, True]');
    assert.equal(show('[1 == "1", [1] == (1,), None == None, {"a": [1]} == {"a": [1]}, True == 1]'),
      '[False, False, True, True, False]');
    assert.equal(show('[2 >= 2, 3 > 4, "abc" <= "abd"]'), '[True, False, True]');
    assert.equal(show('struct(a = 1, b = [2]) == struct(b = [2], a = 1)'), 'True');
  });

  it('tests membership', () => {
    assert.equal(show('["b" in "abc", 2 in [1, 2], 3 not in (1, 2), "k" in {"k": 1}, 1 in {"k": 1}]'),
      '[True, True, True, True, False]');
    assert.equal(errorOf('x = 1 in "abc"'), `BUILD.bazel:1:7: 'in <string>' requires string as left operand, not "int"`);
    assert.equal(errorOf('x = [] in {}'), 'BUILD.bazel:1:8: unhashable type: "list"');
    assert.equal(errorOf('x = 1 in 2'), 'BUILD.bazel:1:7: unsupported operand type(s) for in: "int" and "int"');
  });

  it('short-circuits and/or and returns operands', () => {
    assert.equal(show('[0 or "x", 1 and 2, None and fail("no"), 1 or fail("no"), not 0, not [1]]'),
      '["x", 2, None, 1, True, False]');
  });

  it('evaluates conditional expressions lazily', () => {
    assert.equal(show('"y" if 1 > 0 else fail("no")'), '"y"');
    assert.equal(show('fail("no") if [] else "n"'), '"n"');
  });

  it('indexes with negative indexes and reports out of range', () => {
    assert.equal(show('[[1, 2, 3][-1], "abc"[1], (4, 5)[-2], {"a": 1}["a"]]'), '[3, "b", 4, 1]');
    assert.equal(errorOf('x = [1, 2][2]'), 'BUILD.bazel:1:11: index 2 out of range for list of length 2');
    assert.equal(errorOf('x = "ab"[-3]'), 'BUILD.bazel:1:9: index -3 out of range for string of length 2');
    assert.equal(errorOf('x = [1]["a"]'), 'BUILD.bazel:1:8: list indices must be integers, not "string"');
    assert.equal(errorOf('x = {"a": 1}["b"]'), 'BUILD.bazel:1:13: key "b" not in dict');
    assert.equal(errorOf('x = 1[0]'), 'BUILD.bazel:1:6: value of type "int" is not indexable');
    assert.equal(show('{(1, "a"): 2}[1, "a"]'), '2');
    assert.equal(errorOf('x = {(1, 2): 3}[(2, 1)]'), 'BUILD.bazel:1:16: key (2, 1) not in dict');
  });

  it('slices strings, lists and tuples', () => {
    assert.equal(show('"hello"[1:3]'), '"el"');
    assert.equal(show('"hello"[::-1]'), '"olleh"');
    assert.equal(show('[0, 1, 2, 3, 4, 5][1::2]'), '[1, 3, 5]');
    assert.equal(show('[0, 1, 2, 3, 4, 5][-2:]'), '[4, 5]');
    assert.equal(show('[0, 1, 2, 3, 4, 5][:-4]'), '[0, 1]');
    assert.equal(show('[0, 1, 2, 3, 4, 5][5:1:-2]'), '[5, 3]');
    assert.equal(show('(1, 2, 3)[10:]'), '()');
    assert.equal(show('"abc"[:]'), '"abc"');
    assert.equal(errorOf('x = [1][::0]'), 'BUILD.bazel:1:8: slice step cannot be zero');
  });

  it('builds list and dict comprehensions with nested clauses', () => {
    assert.equal(show('[x * y for x in [1, 2, 3] if x != 2 for y in [10, 100]]'), '[10, 100, 30, 300]');
    assert.equal(show('{k: len(k) for k in ["a", "bb"]}'), '{"a": 1, "bb": 2}');
    assert.equal(show('[(a, b) for a, b in {"x": 1, "y": 2}.items()]'), '[("x", 1), ("y", 2)]');
    assert.equal(show('[[c for c in r] for r in [[1], [2, 3]]]'), '[[1], [2, 3]]');
  });

  it('gives comprehension variables their own scope', () => {
    const g = run('x = "outer"\ny = [x for x in [1, 2]]\nz = x\n');
    assert.equal(g.get('z'), 'outer');
    // The first iterable is evaluated in the enclosing scope.
    assert.equal(show('[x for x in [x for x in [1, 2]]]'), '[1, 2]');
    assert.equal(errorOf('y = [i for i in [1]]\nz = i'), 'BUILD.bazel:2:5: name "i" is not defined');
  });

  it('evaluates lambdas', () => {
    assert.equal(show('(lambda: 1)()'), '1');
    assert.equal(show('(lambda x, y = 2: x * y)(3)'), '6');
    assert.equal(show('sorted(["bb", "a", "ccc"], key = lambda s: len(s))'), '["a", "bb", "ccc"]');
    assert.equal(show('[f() for f in [lambda: i for i in [1, 2]]]'), '[2, 2]');
  });
});

describe('statements', () => {
  it('assigns with unpacking, index and attribute targets', () => {
    const g = run(`
a, b = 1, 2
[c, (d, e)] = [3, (4, 5)]
l = [0, 0]
l[1] = "x"
m = {}
m["k"] = [1]
m["k"][0] = 2
for i, (j, k) in [(1, (2, 3))]:
    pass
`);
    assert.deepEqual([g.get('a'), g.get('b'), g.get('c'), g.get('d'), g.get('e')], [1, 2, 3, 4, 5]);
    assert.equal(repr(g.get('l') ?? null), '[0, "x"]');
    assert.equal(repr(g.get('m') ?? null), '{"k": [2]}');
    assert.deepEqual([g.get('i'), g.get('j'), g.get('k')], [1, 2, 3]);
  });

  it('reports unpacking mismatches', () => {
    assert.equal(errorOf('a, b = [1, 2, 3]'), 'BUILD.bazel:1:1: too many values to unpack (got 3, want 2)');
    assert.equal(errorOf('a, b, c = (1, 2)'), 'BUILD.bazel:1:1: not enough values to unpack (got 2, want 3)');
    assert.equal(errorOf('a, b = 1'), 'BUILD.bazel:1:1: value assigned to a tuple of type "int" is not iterable');
    assert.equal(errorOf('x = (1, 2)\nx[0] = 1'), 'BUILD.bazel:2:2: value of type "tuple" does not support item assignment');
    assert.equal(errorOf('s = struct(a = 1)\ns.a = 2'), 'BUILD.bazel:2:3: cannot set field "a" of immutable value of type "struct"');
  });

  it('supports augmented assignment', () => {
    const g = run(`
x = 10
x += 5
x -= 3
x *= 2
x //= 5
x %= 3
y = 6
y |= 1
y &= 5
y ^= 1
y <<= 2
y >>= 1
s = "a"
s += "b"
l = [1]
alias = l
l += [2]
l += (3,)
d = {"a": 1}
dalias = d
d |= {"b": 2}
t = (1,)
t += (2,)
m = {"k": [1]}
m["k"] += [2]
`);
    assert.equal(g.get('x'), 1);
    assert.equal(g.get('y'), 8);
    assert.equal(g.get('s'), 'ab');
    assert.equal(repr(g.get('alias') ?? null), '[1, 2, 3]', 'list += extends in place');
    assert.equal(repr(g.get('dalias') ?? null), '{"a": 1, "b": 2}', 'dict |= updates in place');
    assert.equal(repr(g.get('t') ?? null), '(1, 2)');
    assert.equal(repr(g.get('m') ?? null), '{"k": [1, 2]}');
    assert.equal(errorOf('x = 1\nx += "a"'), 'BUILD.bazel:2:3: unsupported operand type(s) for +: "int" and "string"');
  });

  it('runs if/elif/else and for with break and continue', () => {
    const g = run(`
out = []
for i in range(10):
    if i % 2 == 0:
        continue
    elif i == 7:
        break
    else:
        out.append(i)
if len(out) > 5:
    size = "big"
elif len(out) > 2:
    size = "medium"
else:
    size = "small"
`);
    assert.equal(repr(g.get('out') ?? null), '[1, 3, 5]');
    assert.equal(g.get('size'), 'medium');
  });

  it('iterates dicts in insertion order and tuples', () => {
    const g = run('d = {"z": 1, "a": 2}\nd["m"] = 3\nks = [k for k in d]\nts = [t for t in (3, 2)]\n');
    assert.equal(repr(g.get('ks') ?? null), '["z", "a", "m"]');
    assert.equal(repr(g.get('ts') ?? null), '[3, 2]');
  });

  it('rejects iterating over strings and non-iterables', () => {
    assert.equal(errorOf('for c in "abc":\n  pass'), 'BUILD.bazel:1:10: value of type "string" is not iterable');
    assert.equal(errorOf('x = [y for y in 3]'), 'BUILD.bazel:1:17: value of type "int" is not iterable');
  });

  it('reports break, continue and return outside their context', () => {
    assert.equal(errorOf('break'), 'BUILD.bazel:1:1: break statement not within a loop');
    assert.equal(errorOf('def f():\n  continue'), 'BUILD.bazel:2:3: continue statement not within a loop');
    assert.equal(errorOf('return 1'), 'BUILD.bazel:1:1: return statement not within a function');
  });

  it('reports undefined names statically, before running anything', () => {
    const printed: string[] = [];
    assert.equal(errorOf('print("hi")\n\n\n\n\n\n    \nfoo(1)\n'.replace('    \n', '\n'), { print: (m) => printed.push(m) }),
      'BUILD.bazel:8:1: name "foo" is not defined');
    assert.deepEqual(printed, []);
    assert.equal(errorOf('def f():\n    return undefined_thing\n'), 'BUILD.bazel:2:12: name "undefined_thing" is not defined');
  });

  it('reports globals used before assignment', () => {
    assert.equal(errorOf('x = y\ny = 1'), 'BUILD.bazel:1:5: global variable "y" referenced before assignment');
  });
});
