import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Builtin, StarFunction, Thread, execFile, repr } from '../../src/starlark/index.ts';
import { errorOf, failure, run, show } from './helpers.ts';

describe('functions', () => {
  it('binds positional, keyword, default, *args, keyword-only and **kwargs parameters', () => {
    const g = run(`
def f(a, b = 2, *args, c, d = 4, **kwargs):
    return (a, b, args, c, d, kwargs)
r1 = f(1, c = 3)
r2 = f(1, 5, 6, 7, c = 3, d = 0, e = 9, z = 8)
r3 = f(*[1, 2, 3], **{"c": 4, "x": 5})
def g(a, *, key):
    return [a, key]
r4 = g(1, key = 2)
`);
    assert.equal(repr(g.get('r1') ?? null), '(1, 2, (), 3, 4, {})');
    assert.equal(repr(g.get('r2') ?? null), '(1, 5, (6, 7), 3, 0, {"e": 9, "z": 8})');
    assert.equal(repr(g.get('r3') ?? null), '(1, 2, (3,), 4, 4, {"x": 5})');
    assert.equal(repr(g.get('r4') ?? null), '[1, 2]');
  });

  it('returns None without a return value', () => {
    assert.equal(show('(lambda: None)()'), 'None');
    const g = run('def f():\n    pass\ndef h():\n    return\nx = [f(), h()]\n');
    assert.equal(repr(g.get('x') ?? null), '[None, None]');
  });

  it('reports argument binding errors at the call', () => {
    const defs = 'def f(a, b = 1):\n    return a\n';
    assert.equal(errorOf(defs + 'f()'), 'BUILD.bazel:3:2: f() missing mandatory argument "a"');
    assert.equal(errorOf('def f(a, b, *, c):\n  pass\nf()'), 'BUILD.bazel:3:2: f() missing mandatory arguments "a", "b", "c"');
    assert.equal(errorOf(defs + 'f(1, 2, 3)'), 'BUILD.bazel:3:2: f() accepts no more than 2 positional arguments but got 3');
    assert.equal(errorOf('def f():\n  pass\nf(1)'), 'BUILD.bazel:3:2: f() does not accept positional arguments, but got 1');
    assert.equal(errorOf(defs + 'f(1, c = 2)'), 'BUILD.bazel:3:2: f() got unexpected keyword argument "c"');
    assert.equal(errorOf(defs + 'f(1, a = 2)'), 'BUILD.bazel:3:2: f() got multiple values for parameter "a"');
    assert.equal(errorOf(defs + 'f(a = 1, **{"a": 2})'), 'BUILD.bazel:3:10: f() got multiple values for keyword argument "a"');
    assert.equal(errorOf(defs + 'f(**{1: 2})'), 'BUILD.bazel:3:3: keywords must be strings, not "int"');
    assert.equal(errorOf(defs + 'f(*1)'), 'BUILD.bazel:3:3: argument after * of type "int" is not iterable');
    assert.equal(errorOf(defs + 'f(**[])'), 'BUILD.bazel:3:3: argument after ** must be a dict, not "list"');
    assert.equal(errorOf('x = 1\nx()'), 'BUILD.bazel:2:2: value of type "int" is not callable');
  });

  it('evaluates defaults once, at definition time', () => {
    const g = run('n = 1\ndef f(x = n):\n    return x\nn = 2\nr = f()\n');
    assert.equal(g.get('r'), 1);
  });

  it('supports closures over enclosing locals', () => {
    const g = run(`
def outer(prefix):
    suffix = "!"
    def inner(name):
        return prefix + name + suffix
    return inner
greet = outer("hi ")
r = greet("bob")
def counter():
    items = []
    def add(x):
        items.append(x)
        return len(items)
    return add
add = counter()
n = [add(1), add(2)]
`);
    assert.equal(g.get('r'), 'hi bob!');
    assert.equal(repr(g.get('n') ?? null), '[1, 2]');
  });

  it('determines locals statically', () => {
    assert.equal(errorOf(`
x = 1
def f():
    y = x
    x = 2
    return y
f()
`), 'BUILD.bazel:4:9: local variable "x" referenced before assignment');
    assert.equal(errorOf(`
def f(c):
    if c:
        v = 1
    return v
f(False)
`), 'BUILD.bazel:5:12: local variable "v" referenced before assignment');
  });

  it('reads globals from functions, including ones defined later', () => {
    const g = run('def f():\n    return LATER * 2\nLATER = 21\nr = f()\n');
    assert.equal(g.get('r'), 42);
  });

  it('forbids recursion', () => {
    assert.equal(errorOf('def f(n):\n    return f(n - 1) if n > 0 else 0\nf(3)'), 'BUILD.bazel:2:13: function f called recursively');
    assert.equal(errorOf('def a():\n    return b()\ndef b():\n    return a()\na()'), 'BUILD.bazel:4:13: function a called recursively');
  });

  it('records the call stack of errors raised inside calls', () => {
    const e = failure('def inner():\n    fail("boom")\ndef outer():\n    inner()\nouter()\n');
    assert.equal(e.message, 'BUILD.bazel:2:9: fail: boom');
    assert.equal(e.reason, 'fail: boom');
    assert.deepEqual(e.callStack.map((p) => `${p.line}:${p.column}`), ['5:6', '4:10', '2:9']);
    const top = failure('x = 1 + None');
    assert.deepEqual(top.callStack, [top.pos]);
  });

  it('prints function values', () => {
    assert.equal(show('[len, (lambda: 0)]'), '[<built-in function len>, <function lambda>]');
    assert.equal(show('[].append'), '<built-in method append of list value>');
    const g = run('def my_macro():\n    pass\n');
    assert.ok(g.get('my_macro') instanceof StarFunction);
    assert.equal(repr(g.get('my_macro') ?? null), '<function my_macro>');
  });

  it('lets hosts call Starlark functions through a Thread', () => {
    const g = run('def impl(x, y = 1):\n    return x * 10 + y\n');
    const thread = new Thread();
    assert.equal(thread.call(g.get('impl') ?? null, [4], new Map([['y', 2]])), 42);
    assert.throws(() => thread.call(g.get('impl') ?? null, []), { message: 'BUILD.bazel:1:1: impl() missing mandatory argument "x"' });
  });

  it('gives builtins the call stack of the Starlark frames calling them', () => {
    const seen: string[][] = [];
    const rule = new Builtin('rule', (call) => {
      seen.push(call.callStack.map((p) => `${p.file}:${p.line}:${p.column}`));
      return null;
    });
    execFile({
      file: 'BUILD',
      source: 'def macro():\n    rule()\nmacro()\nrule()\n',
      predeclared: new Map([['rule', rule]]),
    });
    assert.deepEqual(seen, [['BUILD:3:6', 'BUILD:2:9'], ['BUILD:4:5']]);
  });

  it('lets builtins call back into Starlark', () => {
    const apply = new Builtin('apply', (call) => call.thread.call(call.args[0], call.args.slice(1), new Map(), call.pos));
    const g = execFile({
      file: 'x.bzl',
      source: 'def double(v):\n    return v * 2\nr = apply(double, 21)\n',
      predeclared: new Map([['apply', apply]]),
    });
    assert.equal(g.get('r'), 42);
  });
});
