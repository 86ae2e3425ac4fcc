import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StarlarkError, execFile, freeze, StarList } from '../../src/starlark/index.ts';
import { errorOf, run } from './helpers.ts';

describe('mutation safety', () => {
  it('forbids mutating a list or dict while iterating over it', () => {
    assert.equal(errorOf('l = [1, 2]\nfor x in l:\n    l.append(x)\n'), 'BUILD.bazel:3:13: cannot mutate list during iteration');
    assert.equal(errorOf('l = [1]\nx = [l.append(1) for y in l]'), 'BUILD.bazel:2:14: cannot mutate list during iteration');
    assert.equal(errorOf('d = {"a": 1}\nfor k in d:\n    d["b"] = 2\n'), 'BUILD.bazel:3:6: cannot mutate dict during iteration');
    assert.equal(errorOf('l = [1]\nfor x in l:\n    l += [2]\n'), 'BUILD.bazel:3:7: cannot mutate list during iteration');
    assert.equal(errorOf('l = [1]\nfor x in l:\n    l[0] = 2\n'), 'BUILD.bazel:3:6: cannot mutate list during iteration');
  });

  it('extends a list with itself without looping forever', () => {
    assert.equal((run('l = [1, 2]\nl += l\nl.extend(l)\n').get('l') as StarList).elems.length, 8);
  });

  it('forbids callbacks from mutating the list being sorted', () => {
    assert.equal(errorOf('l = [3, 1]\nx = sorted(l, key = lambda v: l.append(v))'), 'BUILD.bazel:2:39: cannot mutate list during iteration');
    assert.equal(errorOf('l = [3, 1]\nx = max(l, key = lambda v: l.pop())'), 'BUILD.bazel:2:33: cannot mutate list during iteration');
  });

  it('allows mutation after the loop, and after break or return', () => {
    const g = run(`
l = [1, 2, 3]
for x in l:
    if x == 2:
        break
l.append(4)
def first(xs):
    for x in xs:
        return x
first(l)
l.append(5)
`);
    assert.equal((g.get('l') as StarList).elems.length, 5);
  });

  it('keeps the iteration guard consistent when the body fails', () => {
    const l = new StarList([1]);
    assert.throws(() => run('for x in l:\n    fail("stop")', { predeclared: new Map([['l', l]]) }), StarlarkError);
    assert.equal(l.iterating, 0);
  });

  it('freezes module globals, including values reachable through closures', () => {
    const g = run('L = [[1]]\nD = {"k": {"n": []}}\ndef f():\n    return L\n');
    assert.ok((g.get('L') as StarList).frozen);
    const inner = (g.get('L') as StarList).elems[0] as StarList;
    assert.ok(inner.frozen);
    assert.throws(() => run('x = g()\nx.append(1)', { predeclared: new Map([['g', g.get('f') ?? null]]) }),
      { message: 'BUILD.bazel:2:9: cannot mutate frozen list' });
  });

  it('freezes host values explicitly', () => {
    const l = new StarList([1]);
    freeze(l);
    assert.equal(errorOf('l.append(2)', { predeclared: new Map([['l', l]]) }), 'BUILD.bazel:1:9: cannot mutate frozen list');
    assert.equal(errorOf('l.clear()', { predeclared: new Map([['l', l]]) }), 'BUILD.bazel:1:8: cannot mutate frozen list');
    assert.equal(errorOf('l.pop()', { predeclared: new Map([['l', l]]) }), 'BUILD.bazel:1:6: cannot mutate frozen list');
  });
});

describe('resource limits', () => {
  it('bounds the number of steps', () => {
    assert.equal(errorOf('for i in range(1000):\n    for j in range(1000):\n        x = i + j\n', { limits: { maxSteps: 100_000 } }),
      'BUILD.bazel:3:17: evaluation exceeded 100000 steps');
    assert.match(errorOf('for i in range(1000):\n  for j in range(1000):\n    for k in range(1000):\n      pass\n'),
      /^BUILD\.bazel:3:\d+: evaluation exceeded 5000000 steps$/);
  });

  it('charges for work done inside builtins', () => {
    // 1000 iterations take a few thousand steps, but each scan of 100000 characters costs more.
    const src = 's = "x" * 100000\nfor i in range(1000):\n    s.find("y")\n';
    assert.match(errorOf(src, { limits: { maxSteps: 100_000 } }), /^BUILD\.bazel:3:\d+: evaluation exceeded 100000 steps$/);
    assert.doesNotThrow(() => run(src.replace('100000', '10'), { limits: { maxSteps: 100_000 } }));
  });

  it('bounds call depth', () => {
    let src = 'def f0():\n    return 0\n';
    for (let i = 1; i <= 30; i++) src += `def f${i}():\n    return f${i - 1}()\n`;
    src += 'x = f30()\n';
    assert.equal(run(src).get('x'), 0);
    assert.equal(errorOf(src, { limits: { maxCallDepth: 10 } }), 'BUILD.bazel:44:15: call stack exceeded the maximum depth of 10');
  });

  it('bounds string length', () => {
    assert.equal(errorOf('x = "ab" * 6000000'), 'BUILD.bazel:1:10: string length 12000000 exceeds the limit of 10000000');
    assert.equal(errorOf('x = "a" * 600\ny = x + x', { limits: { maxStringLength: 1000 } }),
      'BUILD.bazel:2:7: string length 1200 exceeds the limit of 1000');
    assert.equal(errorOf('x = ["a" * 600] * 10\ny = str(x)', { limits: { maxStringLength: 1000 } }),
      'BUILD.bazel:2:8: string length exceeds the limit of 1000');
    assert.equal(errorOf('x = ["aaaaa"] * 300\ny = "".join(x)', { limits: { maxStringLength: 1000 } }),
      'BUILD.bazel:2:12: string length 1500 exceeds the limit of 1000');
    assert.equal(errorOf('x = "%s" % ("a" * 600) + "b" * 500', { limits: { maxStringLength: 1000 } }),
      'BUILD.bazel:1:24: string length 1100 exceeds the limit of 1000');
  });

  it('bounds collection length', () => {
    assert.equal(errorOf('x = range(2000000)'), 'BUILD.bazel:1:10: collection length 2000000 exceeds the limit of 1000000');
    assert.equal(errorOf('x = [1] * 2000000'), 'BUILD.bazel:1:9: collection length 2000000 exceeds the limit of 1000000');
    assert.equal(errorOf('x = [i for i in range(600) for j in range(2)]', { limits: { maxCollectionLength: 1000 } }),
      'BUILD.bazel:1:5: collection length 1001 exceeds the limit of 1000');
    assert.equal(errorOf('l = list(range(10))\nl.append(1)', { limits: { maxCollectionLength: 10 } }),
      'BUILD.bazel:2:9: collection length 11 exceeds the limit of 10');
    assert.equal(errorOf('l = list(range(600))\nl += l', { limits: { maxCollectionLength: 1000 } }),
      'BUILD.bazel:2:3: collection length 1200 exceeds the limit of 1000');
  });

  it('handles deeply nested values without blowing the stack', () => {
    const deep = 'x = []\nfor i in range(100000):\n    x = [x]\n';
    assert.equal(errorOf(deep + 'y = str(x)'), 'BUILD.bazel:4:8: value is nested too deeply to print');
    assert.equal(errorOf(deep + 'y = x == [x]'), 'BUILD.bazel:4:7: comparison exceeded maximum recursion depth');
    assert.doesNotThrow(() => run(deep), 'freezing is iterative');
    const tuples = 't = ()\nfor i in range(5000):\n    t = (t,)\n';
    assert.equal(errorOf(tuples + 'd = {t: 1}'), 'BUILD.bazel:4:6: tuple is nested too deeply to hash');
    assert.equal(errorOf('a = []\na.append(a)\nb = []\nb.append(b)\nc = a == b'), 'BUILD.bazel:5:7: comparison exceeded maximum recursion depth');
  });

  it('bounds work on values whose subtrees are shared', () => {
    const dag = 'x = [1]\ny = [1]\nt = (1,)\nfor i in range(60):\n    x = [x, x]\n    y = [y, y]\n    t = (t, t)\n';
    assert.equal(errorOf(dag + 'z = x == y'), 'BUILD.bazel:8:7: comparison exceeded 10000000 elements');
    assert.equal(errorOf(dag + 'z = x < y'), 'BUILD.bazel:8:7: comparison exceeded 10000000 elements');
    assert.equal(errorOf(dag + 'z = {t: 1}'), 'BUILD.bazel:8:6: tuple is too large to hash');
    assert.equal(errorOf(dag + 'z = str(x)', { limits: { maxStringLength: 100_000 } }), 'BUILD.bazel:8:8: string length exceeds the limit of 100000');
    assert.equal(errorOf('s = select({"//a": [1]})\nfor i in range(30):\n    s = s + s\n', { limits: { maxCollectionLength: 1000 } }),
      'BUILD.bazel:3:11: select() combination of 1024 parts exceeds the limit of 1000');
  });

  it('reports JavaScript stack exhaustion as a StarlarkError', () => {
    // Many functions, each nesting deeply, can exceed the JS stack even within the limits.
    let src = 'def f0(x):\n    return x\n';
    for (let i = 1; i < 199; i++) src += `def f${i}(x):\n    return ${'-'.repeat(480)}f${i - 1}(x)\n`;
    src += 'y = f198(1)\n';
    let error: unknown;
    try {
      execFile({ file: 'deep.bzl', source: src, predeclared: new Map() });
    } catch (e) {
      error = e;
    }
    // Depending on the JS stack size this either succeeds or fails cleanly.
    assert.ok(error === undefined || error instanceof StarlarkError, String(error));
  });
});
