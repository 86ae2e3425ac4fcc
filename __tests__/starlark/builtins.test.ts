import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Builtin, Struct, execFile, repr } from '../../src/starlark/index.ts';
import type { HasAttrs, Value } from '../../src/starlark/index.ts';
import { errorOf, evaluate, run, show } from './helpers.ts';

describe('list methods', () => {
  it('mutates lists', () => {
    const g = run(`
l = [3, 1]
l.append(2)
l.extend([5, 5])
l.extend((6,))
l.insert(0, 0)
l.insert(-1, 9)
l.insert(100, 7)
l.remove(5)
a = l.pop()
b = l.pop(0)
c = l.index(5)
d = l.index(2, 1, 4)
e = list(l)
l.clear()
`);
    assert.equal(repr(g.get('e') ?? null), '[3, 1, 2, 5, 9, 6]');
    assert.deepEqual([g.get('a'), g.get('b'), g.get('c'), g.get('d')], [7, 0, 3, 2]);
    assert.equal(repr(g.get('l') ?? null), '[]');
  });

  it('reports list method errors', () => {
    assert.equal(errorOf('x = [].pop()'), 'BUILD.bazel:1:11: pop: list is empty');
    assert.equal(errorOf('x = [1].pop(3)'), 'BUILD.bazel:1:12: pop: index 3 out of range for list of length 1');
    assert.equal(errorOf('x = [1].remove(2)'), 'BUILD.bazel:1:15: remove: element not found');
    assert.equal(errorOf('x = [1].index(2)'), 'BUILD.bazel:1:14: index: value not in list');
    assert.equal(errorOf('x = [1].append()'), 'BUILD.bazel:1:15: append() missing mandatory argument "x"');
    assert.equal(errorOf('x = [].extend(1)'), 'BUILD.bazel:1:14: extend() argument of type "int" is not iterable');
  });
});

describe('dict methods', () => {
  it('reads and mutates dicts', () => {
    const g = run(`
d = {"a": 1, "b": 2}
g1 = d.get("a")
g2 = d.get("zz")
g3 = d.get("zz", 5)
k = d.keys()
v = d.values()
i = d.items()
p1 = d.pop("a")
p2 = d.pop("zz", "dflt")
s1 = d.setdefault("c", 3)
s2 = d.setdefault("c", 4)
d.update({"e": 5}, f = 6)
d.update([("g", 7)])
first = d.popitem()
final = dict(d)
d.clear()
`);
    assert.deepEqual([g.get('g1'), g.get('g2'), g.get('g3')], [1, null, 5]);
    assert.equal(repr(g.get('k') ?? null), '["a", "b"]');
    assert.equal(repr(g.get('v') ?? null), '[1, 2]');
    assert.equal(repr(g.get('i') ?? null), '[("a", 1), ("b", 2)]');
    assert.deepEqual([g.get('p1'), g.get('p2'), g.get('s1'), g.get('s2')], [1, 'dflt', 3, 3]);
    assert.equal(repr(g.get('first') ?? null), '("b", 2)');
    assert.equal(repr(g.get('final') ?? null), '{"c": 3, "e": 5, "f": 6, "g": 7}');
    assert.equal(repr(g.get('d') ?? null), '{}');
  });

  it('distinguishes a stored None from a missing key', () => {
    assert.equal(show('[{"a": None}.get("a", 1), {"a": None}.pop("a", 1), {"a": None}.setdefault("a", 1)]'), '[None, None, None]');
  });

  it('supports int, bool, None and tuple keys', () => {
    assert.equal(show('{1: "i", True: "b", None: "n", (1, "x"): "t", "1": "s"}'),
      '{1: "i", True: "b", None: "n", (1, "x"): "t", "1": "s"}');
    assert.equal(show('{(1, 2): 0}[(1, 2)]'), '0');
  });

  it('reports dict errors', () => {
    assert.equal(errorOf('x = {}.pop("k")'), 'BUILD.bazel:1:11: pop: missing key "k"');
    assert.equal(errorOf('x = {}.popitem()'), 'BUILD.bazel:1:15: popitem: empty dict');
    assert.equal(errorOf('x = {[1]: 2}'), 'BUILD.bazel:1:6: unhashable type: "list"');
    assert.equal(errorOf('x = {}\nx[{}] = 1'), 'BUILD.bazel:2:2: unhashable type: "dict"');
    assert.equal(errorOf('x = {((1, [2]),): 1}'), 'BUILD.bazel:1:6: unhashable type: "list"');
    assert.equal(errorOf('x = dict([1])'), 'BUILD.bazel:1:9: dict: element 0 is "int", want a pair');
    assert.equal(errorOf('x = dict([(1, 2, 3)])'), 'BUILD.bazel:1:9: dict: element 0 is tuple of length 3, want a pair');
  });
});

describe('builtin functions', () => {
  it('len, str, repr, bool, type', () => {
    assert.equal(show('[len("abc"), len([1]), len((1, 2)), len({"a": 1})]'), '[3, 1, 2, 1]');
    assert.equal(show('[str(1), str("s"), str(None), str([1, "a"]), repr("s"), repr(True)]'),
      '["1", "s", "None", "[1, \\"a\\"]", "\\"s\\"", "True"]');
    assert.equal(show('[bool(), bool(0), bool("x"), bool([]), bool({"a": 1}), bool(None)]'), '[False, False, True, False, True, False]');
    assert.equal(show('[type(1), type("s"), type(None), type([]), type(()), type({}), type(len), type(lambda: 0), type(struct()), type(True), type(select({"//a": 1}))]'),
      '["int", "string", "NoneType", "list", "tuple", "dict", "builtin_function_or_method", "function", "struct", "bool", "select"]');
    assert.equal(errorOf('x = len(1)'), 'BUILD.bazel:1:8: len: value of type "int" has no length');
  });

  it('int parses strings in any base', () => {
    assert.equal(show('[int("42"), int("-7"), int("+3"), int("ff", 16), int("0x1f", 16), int("0x1f", 0), int("0o17", 0), int("0b11", 0), int("z", 36), int(True), int(5)]'),
      '[42, -7, 3, 255, 31, 31, 15, 3, 35, 1, 5]');
    assert.equal(errorOf('x = int("12a")'), 'BUILD.bazel:1:8: int: invalid literal with base 10: "12a"');
    assert.equal(errorOf('x = int("")'), 'BUILD.bazel:1:8: int: invalid literal with base 10: ""');
    assert.equal(errorOf('x = int("010", 0)'), 'BUILD.bazel:1:8: int: invalid literal with base 0: "010"');
    assert.equal(errorOf('x = int(None)'), 'BUILD.bazel:1:8: int: got value of type "NoneType", want a string, int or bool');
    assert.equal(errorOf('x = int(1, 10)'), "BUILD.bazel:1:8: int: can't convert non-string with explicit base");
    assert.equal(errorOf('x = int("99999999999999999999")'), 'BUILD.bazel:1:8: int: "99999999999999999999" is out of the supported integer range');
  });

  it('list, tuple, dict constructors', () => {
    assert.equal(show('[list(), list((1, 2)), list({"a": 1}), tuple(), tuple([1]), dict(), dict(a = 1), dict([("a", 1)], b = 2), dict({"x": 1}, **{"y": 2})]'),
      '[[], [1, 2], ["a"], (), (1,), {}, {"a": 1}, {"a": 1, "b": 2}, {"x": 1, "y": 2}]');
    assert.equal(errorOf('x = list("abc")'), 'BUILD.bazel:1:9: list() argument of type "string" is not iterable');
  });

  it('range, enumerate, zip, reversed', () => {
    assert.equal(show('[range(3), range(1, 4), range(10, 0, -3), range(0), range(5, 1)]'),
      '[[0, 1, 2], [1, 2, 3], [10, 7, 4, 1], [], []]');
    assert.equal(show('enumerate(["a", "b"], 1)'), '[(1, "a"), (2, "b")]');
    assert.equal(show('zip([1, 2, 3], "ab".elems())'), '[(1, "a"), (2, "b")]');
    assert.equal(show('zip()'), '[]');
    assert.equal(show('reversed([1, 2, 3])'), '[3, 2, 1]');
    assert.equal(errorOf('x = range(1, 2, 0)'), 'BUILD.bazel:1:10: range: step argument must not be zero');
  });

  it('sorted, min, max, any, all, abs', () => {
    assert.equal(show('sorted([3, 1, 2])'), '[1, 2, 3]');
    assert.equal(show('sorted(["b", "A", "a"], reverse = True)'), '["b", "a", "A"]');
    assert.equal(show('sorted([(2, "x"), (1, "y"), (2, "a")])'), '[(1, "y"), (2, "a"), (2, "x")]');
    assert.equal(show('sorted(["bb", "c", "aa"], key = len)'), '["c", "bb", "aa"]', 'stable');
    assert.equal(show('sorted({"b": 1, "a": 2})'), '["a", "b"]');
    assert.equal(errorOf('x = sorted([1, "a"])'), 'BUILD.bazel:1:11: unsupported operand type(s) for <: "string" and "int"');
    assert.equal(show('[min(3, 1, 2), max([3, 1, 2]), max("a", "b"), min(["bb", "c"], key = len)]'), '[1, 3, "b", "c"]');
    assert.equal(errorOf('x = max([])'), 'BUILD.bazel:1:8: max: argument is an empty sequence');
    assert.equal(show('[any([0, 1]), any([]), all([1, 1]), all([]), all([1, 0]), abs(-4), abs(4)]'),
      '[True, False, True, True, False, 4, 4]');
  });

  it('hash matches Java String.hashCode', () => {
    assert.equal(evaluate('hash("hello")'), 99162322);
    assert.equal(evaluate('hash("")'), 0);
    assert.equal(evaluate('hash("a much longer string to overflow")'), 327208219);
    assert.equal(errorOf('x = hash(1)'), 'BUILD.bazel:1:9: hash() argument: got value of type "int", want "string"');
  });

  it('fail raises with the joined message', () => {
    assert.equal(errorOf('fail("bad", 1, [2])'), 'BUILD.bazel:1:5: fail: bad 1 [2]');
    assert.equal(errorOf('fail("must be set", attr = "srcs")'), 'BUILD.bazel:1:5: fail: attribute srcs: must be set');
    assert.equal(errorOf('fail("a", "b", sep = "-")'), 'BUILD.bazel:1:5: fail: a-b');
    assert.equal(errorOf('fail()'), 'BUILD.bazel:1:5: fail: ');
  });

  it('print goes to the host callback with its position', () => {
    const printed: string[] = [];
    run('\nprint("hello", 1, [2])\nprint("a", "b", sep = ",")\n', {
      print: (msg, pos) => printed.push(`${pos.file}:${pos.line}:${pos.column} ${msg}`),
    });
    assert.deepEqual(printed, ['BUILD.bazel:2:6 hello 1 [2]', 'BUILD.bazel:3:6 a,b']);
    assert.doesNotThrow(() => run('print("nobody listens")'));
  });
});

describe('structs and attributes', () => {
  it('creates structs and reads fields', () => {
    const g = run('s = struct(name = "x", deps = [1], nested = struct(a = 1))\nn = s.name\na = s.nested.a\n');
    assert.equal(g.get('n'), 'x');
    assert.equal(g.get('a'), 1);
    assert.equal(repr(g.get('s') ?? null), 'struct(deps = [1], name = "x", nested = struct(a = 1))');
    assert.equal(errorOf('x = struct(1)'), 'BUILD.bazel:1:11: struct() does not accept positional arguments');
    assert.equal(errorOf('s = struct(a = 1, b = 2)\nx = s.c'),
      'BUILD.bazel:2:7: value of type "struct" has no field or method "c" (available: a, b)');
    assert.equal(show('struct(a = 1) + struct(b = 2)'), 'struct(a = 1, b = 2)');
  });

  it('getattr, hasattr and dir', () => {
    assert.equal(show('[getattr(struct(a = 1), "a"), getattr(struct(), "b", "dflt"), hasattr(struct(a = 1), "a"), hasattr(1, "a"), hasattr("", "upper")]'),
      '[1, "dflt", True, False, True]');
    assert.equal(show('getattr("a,b", "split")(",")'), '["a", "b"]');
    assert.equal(show('dir(struct(b = 1, a = 2))'), '["a", "b"]');
    assert.equal(show('dir([])'), '["append", "clear", "extend", "index", "insert", "pop", "remove"]');
    assert.equal(show('"upper" in dir("")'), 'True');
    assert.equal(show('dir(1)'), '[]');
    assert.equal(errorOf('x = getattr(struct(), "b")'), 'BUILD.bazel:1:12: value of type "struct" has no field or method "b"');
  });

  it('works with host-provided objects', () => {
    const calls: string[] = [];
    const native: HasAttrs = {
      typeName: 'native',
      getAttr(name) {
        if (name === 'package_name') return new Builtin('package_name', () => 'apps/hello');
        if (name === 'genrule') {
          return new Builtin('genrule', (call) => {
            calls.push(String(call.kwargs.get('name')));
            return null;
          });
        }
        return undefined;
      },
      attrNames: () => ['package_name', 'genrule'],
    };
    class Label implements HasAttrs {
      readonly typeName = 'Label';
      readonly name: string;
      constructor(name: string) {
        this.name = name;
      }
      getAttr(attr: string): Value | undefined {
        return attr === 'name' ? this.name : undefined;
      }
      attrNames(): string[] {
        return ['name'];
      }
      repr(): string {
        return `Label("//:${this.name}")`;
      }
      equals(other: Value): boolean {
        return other instanceof Label && other.name === this.name;
      }
      hashKey(): string {
        return this.name;
      }
    }
    const g = execFile({
      file: 'apps/hello/BUILD.bazel',
      source: `
native.genrule(name = "gen_" + native.package_name().split("/")[-1])
n = [hasattr(native, "genrule"), hasattr(native, "nope"), dir(native), type(native)]
l = label("x")
same = l == label("x")
d = {l: 1}
found = d[label("x")]
text = str(l)
field = getattr(l, "name")
`,
      predeclared: new Map<string, Value>([
        ['native', native],
        ['label', new Builtin('label', (call) => new Label(String(call.args[0])))],
      ]),
    });
    assert.deepEqual(calls, ['gen_hello']);
    assert.equal(repr(g.get('n') ?? null), '[True, False, ["genrule", "package_name"], "native"]');
    assert.equal(g.get('same'), true);
    assert.equal(g.get('found'), 1);
    assert.equal(g.get('text'), 'Label("//:x")');
    assert.equal(g.get('field'), 'x');
  });

  it('lets hosts build structs with a custom type name', () => {
    const info = new Struct({ files: 'x' }, 'DefaultInfo');
    const g = run('t = type(info)\nf = info.files\nr = repr(info)\n', { predeclared: new Map([['info', info]]) });
    assert.deepEqual([g.get('t'), g.get('f'), g.get('r')], ['DefaultInfo', 'x', 'DefaultInfo(files = "x")']);
  });

  it('prints cyclic values without looping', () => {
    assert.equal(show('[1]'), '[1]');
    const g = run('l = [1]\nl.append(l)\nd = {}\nd["self"] = d\nr = [repr(l), repr(d)]\n');
    assert.equal(repr(g.get('r') ?? null), '["[1, [...]]", "{\\"self\\": {...}}"]');
  });

  it('lets predeclared names override builtins', () => {
    const g = run('x = len("abc")', { predeclared: new Map([['len', new Builtin('len', () => 99)]]) });
    assert.equal(g.get('x'), 99);
  });
});
