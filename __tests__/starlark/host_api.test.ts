import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Builtin, BuiltinError, Select, StarDict, StarList, StarTuple, Struct, Thread, UNIVERSE,
  equals, expectBool, expectDict, expectInt, expectSequence, expectString, expectStringList,
  fromJS, hashKey, repr, str, toJS, truthy, typeName, unpackArgs,
} from '../../src/starlark/index.ts';
import type { CallInfo, Value } from '../../src/starlark/index.ts';
import { errorOf, run } from './helpers.ts';

function callInfo(args: Value[], kwargs: [string, Value][] = [], name = 'rule'): CallInfo {
  const pos = { file: 'BUILD', line: 1, column: 1 };
  return { args, kwargs: new Map(kwargs), pos, callStack: [pos], name, thread: new Thread() };
}

describe('unpackArgs', () => {
  it('binds positional and keyword arguments', () => {
    const a = unpackArgs(callInfo(['n'], [['srcs', new StarList(['a'])]]), ['name', 'srcs?', 'deps?']);
    assert.equal(a.name, 'n');
    assert.equal(repr(a.srcs ?? null), '["a"]');
    assert.equal(a.deps, undefined);
  });

  it('collects *args and **kwargs', () => {
    const a = unpackArgs(callInfo([1, 2, 3], [['x', 1], ['y', 2]]), ['first', '*rest', '**extra']);
    assert.equal(a.first, 1);
    assert.equal(repr(a.rest ?? null), '(2, 3)');
    assert.equal(repr(a.extra ?? null), '{"x": 1, "y": 2}');
  });

  it('supports keyword-only parameters', () => {
    assert.throws(() => unpackArgs(callInfo([1, 2]), ['a', '*', 'b?']),
      { message: 'rule() accepts no more than 1 positional argument but got 2' });
    assert.equal(unpackArgs(callInfo([1], [['b', 2]]), ['a', '*', 'b?']).b, 2);
  });

  it('produces clear errors', () => {
    assert.throws(() => unpackArgs(callInfo([], [['srcz', 1]], 'pkg_tar'), ['name?', 'srcs?']),
      { name: 'BuiltinError', message: 'pkg_tar() got unexpected keyword argument "srcz"' });
    assert.throws(() => unpackArgs(callInfo([], [], 'pkg_tar'), ['name', 'srcs?']),
      { message: 'pkg_tar() missing mandatory argument "name"' });
    assert.throws(() => unpackArgs(callInfo(['x'], [['name', 'y']], 'pkg_tar'), ['name']),
      { message: 'pkg_tar() got multiple values for argument "name"' });
    assert.throws(() => unpackArgs(callInfo([1], [], 'f'), []), { message: 'f() does not accept positional arguments, but got 1' });
  });

  it('type-checks values', () => {
    assert.equal(expectString('s', 'x'), 's');
    assert.equal(expectInt(1, 'x'), 1);
    assert.equal(expectBool(true, 'x'), true);
    assert.deepEqual(expectSequence(new StarTuple([1]), 'x'), [1]);
    assert.deepEqual(expectStringList(new StarList(['a', 'b']), 'x'), ['a', 'b']);
    assert.ok(expectDict(new StarDict(), 'x') instanceof StarDict);
    assert.throws(() => expectInt('1', 'f() argument "n"'), { message: 'f() argument "n": got value of type "string", want "int"' });
    assert.throws(() => expectBool(null, 'flag'), { message: 'flag: got value of type "NoneType", want "bool"' });
    assert.throws(() => expectDict(new StarList(), 'env'), { message: 'env: got value of type "list", want "dict"' });
  });
});

describe('value helpers', () => {
  it('converts to and from plain data', () => {
    const v = fromJS({ name: 'x', srcs: ['a', 'b'], n: 1, flag: true, none: null });
    assert.equal(repr(v), '{"name": "x", "srcs": ["a", "b"], "n": 1, "flag": True, "none": None}');
    assert.deepEqual(toJS(v), { name: 'x', srcs: ['a', 'b'], n: 1, flag: true, none: null });
    assert.deepEqual(toJS(new StarTuple([1, new Struct({ a: 'b' })])), [1, { a: 'b' }]);
    assert.equal(repr(fromJS(new Map([[1, 'one']]))), '{1: "one"}');
    assert.throws(() => fromJS(1.5), BuiltinError);
    assert.throws(() => toJS(StarDict.from([[1, 2]])), { message: 'cannot convert dict with key of type "int"' });
    const sel = run('s = select({"//a": 1})').get('s') as Value;
    assert.throws(() => toJS(sel), { message: 'cannot convert an unresolved select(); resolve it first' });
    const list = new StarList([1]);
    assert.equal(fromJS(list), list);
    const shared = run('x = [1]\nfor i in range(40):\n    x = [x, x]\n').get('x') as Value;
    assert.throws(() => toJS(shared, 1000), { message: 'value has more than 1000 elements to convert' });
  });

  it('exposes typeName, truthy, str, equals and hashKey', () => {
    assert.deepEqual([null, true, 1, 's', new StarList(), new StarTuple(), new StarDict()].map(typeName),
      ['NoneType', 'bool', 'int', 'string', 'list', 'tuple', 'dict']);
    assert.deepEqual([null, 0, '', new StarList(), 1, 'a', new StarList([0])].map(truthy), [false, false, false, false, true, true, true]);
    assert.equal(str('plain'), 'plain');
    assert.equal(str(new StarList(['q'])), '["q"]');
    assert.ok(equals(new StarList([1, new StarTuple(['a'])]), new StarList([1, new StarTuple(['a'])])));
    assert.equal(hashKey(new StarTuple([1, 'a'])), hashKey(new StarTuple([1, 'a'])));
    assert.notEqual(hashKey(1), hashKey('1'));
    assert.notEqual(hashKey(true), hashKey(1));
    assert.throws(() => hashKey(new StarList()), { message: 'unhashable type: "list"' });
  });

  it('keeps dict insertion order and overwrites in place', () => {
    const d = new StarDict();
    d.set('b', 1);
    d.set('a', 2);
    d.set('b', 3);
    assert.deepEqual(d.entries(), [['b', 3], ['a', 2]]);
    assert.equal(d.delete('b'), 3);
    assert.equal(d.delete('zz'), undefined);
    assert.deepEqual(d.keys(), ['a']);
  });

  it('provides the universe of builtins', () => {
    for (const name of ['len', 'select', 'struct', 'fail', 'print', 'sorted', 'None', 'True']) {
      assert.ok(UNIVERSE.has(name), name);
    }
    assert.ok(UNIVERSE.get('len') instanceof Builtin);
  });

  it('turns BuiltinErrors from host builtins into positioned StarlarkErrors', () => {
    const glob = new Builtin('glob', () => {
      throw new BuiltinError('glob: pattern must not be empty');
    });
    assert.equal(errorOf('\nx = glob([""])', { predeclared: new Map([['glob', glob]]) }), 'BUILD.bazel:2:9: glob: pattern must not be empty');
  });

  it('passes other host errors through unchanged', () => {
    const boom = new Builtin('boom', () => {
      throw new TypeError('host bug');
    });
    assert.throws(() => run('boom()', { predeclared: new Map([['boom', boom]]) }), TypeError);
  });

  it('creates Select values that hosts can inspect', () => {
    const s = run('s = select({"//a": [1]}, no_match_error = "nope") + [2]').get('s');
    assert.ok(s instanceof Select);
    assert.equal(s.parts.length, 2);
    const first = s.parts[0];
    assert.equal(first.kind, 'select');
    if (first.kind === 'select') {
      assert.equal(first.noMatchError, 'nope');
      assert.deepEqual(first.pos, { file: 'BUILD.bazel', line: 1, column: 11 });
    }
  });
});
