// The built-in functions and constants every Starlark file can use.

import { attributeNames, getAttribute } from './attributes.ts';
import { expectInt, expectString, unpackArgs } from './args.ts';
import { updateDict } from './dict_methods.ts';
import { compare } from './equality.ts';
import { BuiltinError } from './errors.ts';
import { elementsOf, whileIterating } from './iteration.ts';
import { repr, shortRepr, str } from './repr.ts';
import {
  Builtin, Select, StarDict, StarList, StarTuple, Struct, checkInt, isHasAttrs, truthy, typeName,
} from './values.ts';
import type { CallInfo, Value } from './values.ts';

function builtin(name: string, impl: (call: CallInfo) => Value): [string, Builtin] {
  return [name, new Builtin(name, impl)];
}

function len(v: Value): number | null {
  if (typeof v === 'string') return v.length;
  if (v instanceof StarList || v instanceof StarTuple) return v.elems.length;
  if (v instanceof StarDict) return v.size;
  return null;
}

/** Java's String.hashCode, which Bazel's hash() returns. */
function javaHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

function parseIntString(text: string, baseArg: number, call: CallInfo): number {
  const invalid = (): BuiltinError =>
    new BuiltinError(`int: invalid literal with base ${baseArg}: ${shortRepr(text)}`);
  if (baseArg !== 0 && (baseArg < 2 || baseArg > 36)) {
    throw new BuiltinError(`int: base must be 0 or between 2 and 36, not ${baseArg}`);
  }
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  let base = baseArg;
  const prefix = s.slice(0, 2).toLowerCase();
  const prefixBase = prefix === '0x' ? 16 : prefix === '0o' ? 8 : prefix === '0b' ? 2 : 0;
  if (prefixBase !== 0 && (base === 0 || base === prefixBase)) {
    base = prefixBase;
    s = s.slice(2);
  } else if (base === 0) {
    if (s.length > 1 && s[0] === '0' && /[^0]/.test(s)) throw invalid();
    base = 10;
  }
  if (s === '') throw invalid();
  call.thread.charge(s.length >> 5);
  let n = 0n;
  const big = BigInt(base);
  for (const c of s) {
    const d = parseInt(c, 36);
    if (Number.isNaN(d) || d >= base) throw invalid();
    n = n * big + BigInt(d);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new BuiltinError(`int: ${shortRepr(text)} is out of the supported integer range`);
  }
  return checkInt(Number(negative ? -n : n));
}

function minMax(call: CallInfo, sign: number): Value {
  const a = unpackArgs(call, ['*args', 'key?']);
  const args = (a.args as StarTuple).elems;
  if (args.length === 0) throw new BuiltinError(`${call.name}() requires at least one positional argument`);
  const items = args.length === 1 ? elementsOf(args[0], `${call.name}() argument`) : args;
  if (items.length === 0) throw new BuiltinError(`${call.name}: argument is an empty sequence`);
  const key = a.key === undefined || a.key === null ? null : a.key;
  const keyOf = (v: Value): Value => (key === null ? v : call.thread.call(key, [v], new Map(), call.pos));
  return whileIterating(args.length === 1 ? args[0] : null, () => {
    let best = items[0];
    let bestKey = keyOf(best);
    for (let i = 1; i < items.length; i++) {
      const k = keyOf(items[i]);
      if (compare(k, bestKey) * sign > 0) {
        best = items[i];
        bestKey = k;
      }
    }
    return best;
  });
}

function sorted(call: CallInfo): Value {
  const a = unpackArgs(call, ['iterable', '*', 'key?', 'reverse?']);
  const items = elementsOf(a.iterable ?? null, 'sorted() argument');
  const reverse = a.reverse === undefined ? false : truthy(a.reverse);
  const key = a.key === undefined || a.key === null ? null : a.key;
  const n = items.length;
  call.thread.charge(Math.ceil(n * Math.log2(n + 1)) >> 2);
  // The key function must not change the list being sorted.
  const keys = key === null
    ? items
    : whileIterating(a.iterable ?? null, () => items.map((v) => call.thread.call(key, [v], new Map(), call.pos)));
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((i, j) => (reverse ? compare(keys[j], keys[i]) : compare(keys[i], keys[j])));
  return new StarList(order.map((i) => items[i]));
}

function range(call: CallInfo): Value {
  const a = unpackArgs(call, ['start_or_stop', 'stop?', 'step?']);
  let start = 0;
  let stop: number;
  const first = expectInt(a.start_or_stop ?? null, 'range() argument');
  if (a.stop === undefined) {
    stop = first;
  } else {
    start = first;
    stop = expectInt(a.stop, 'range() argument "stop"');
  }
  const step = a.step === undefined ? 1 : expectInt(a.step, 'range() argument "step"');
  if (step === 0) throw new BuiltinError('range: step argument must not be zero');
  const count = step > 0 ? Math.max(0, Math.ceil((stop - start) / step)) : Math.max(0, Math.ceil((start - stop) / -step));
  call.thread.checkCollectionLength(count);
  call.thread.charge(count >> 3);
  const out: Value[] = new Array<Value>(count);
  for (let i = 0; i < count; i++) out[i] = start + i * step;
  return new StarList(out);
}

function fail(call: CallInfo): Value {
  const a = unpackArgs(call, ['*args', 'msg?', 'attr?', 'sep?']);
  const sep = a.sep === undefined ? ' ' : expectString(a.sep, 'fail() argument "sep"');
  const parts = (a.args as StarTuple).elems.map((v) => str(v, 10_000));
  if (a.msg !== undefined && a.msg !== null) parts.unshift(str(a.msg, 10_000));
  let message = parts.join(sep);
  if (a.attr !== undefined && a.attr !== null) message = `attribute ${str(a.attr, 1000)}: ${message}`;
  throw new BuiltinError(`fail: ${message}`);
}

function select(call: CallInfo): Value {
  const a = unpackArgs(call, ['x', 'no_match_error?']);
  const x = a.x ?? null;
  if (!(x instanceof StarDict)) {
    throw new BuiltinError(`select: got value of type "${typeName(x)}", want a dict`);
  }
  if (x.size === 0) {
    throw new BuiltinError('select({}) with an empty dictionary can never resolve because it includes no conditions to match');
  }
  for (const key of x.keys()) {
    if (typeof key !== 'string' && !isHasAttrs(key)) {
      throw new BuiltinError(`select: keys must be label strings, got a key of type "${typeName(key)}"`);
    }
  }
  const noMatch = a.no_match_error === undefined || a.no_match_error === null
    ? null
    : expectString(a.no_match_error, 'select() argument "no_match_error"');
  const branches = StarDict.from(x.entries());
  branches.frozen = true;
  return new Select([{ kind: 'select', branches, noMatchError: noMatch, pos: call.pos }], '+', call.pos);
}

/** Builtins available to every file, unless the host's predeclared names override them. */
export const UNIVERSE: ReadonlyMap<string, Value> = new Map<string, Value>([
  ['None', null],
  ['True', true],
  ['False', false],
  builtin('abs', (call) => {
    const a = unpackArgs(call, ['x']);
    return checkInt(Math.abs(expectInt(a.x ?? null, 'abs() argument')));
  }),
  builtin('all', (call) => {
    const a = unpackArgs(call, ['x']);
    return elementsOf(a.x ?? null, 'all() argument').every(truthy);
  }),
  builtin('any', (call) => {
    const a = unpackArgs(call, ['x']);
    return elementsOf(a.x ?? null, 'any() argument').some(truthy);
  }),
  builtin('bool', (call) => {
    const a = unpackArgs(call, ['x?']);
    return a.x === undefined ? false : truthy(a.x);
  }),
  builtin('dict', (call) => {
    const a = unpackArgs(call, ['pairs?', '**kwargs']);
    const d = new StarDict();
    const extra = a.kwargs instanceof StarDict ? (a.kwargs.entries() as [string, Value][]) : [];
    updateDict(d, a.pairs, new Map(extra), 'dict', call.thread);
    return d;
  }),
  builtin('dir', (call) => {
    const a = unpackArgs(call, ['x']);
    return new StarList(attributeNames(a.x ?? null));
  }),
  builtin('enumerate', (call) => {
    const a = unpackArgs(call, ['x', 'start?']);
    const start = a.start === undefined ? 0 : expectInt(a.start, 'enumerate() argument "start"');
    return new StarList(elementsOf(a.x ?? null, 'enumerate() argument').map((v, i) => new StarTuple([checkInt(start + i), v])));
  }),
  builtin('fail', fail),
  builtin('getattr', (call) => {
    const a = unpackArgs(call, ['x', 'name', 'default?']);
    const name = expectString(a.name ?? null, 'getattr() argument "name"');
    const v = getAttribute(a.x ?? null, name);
    if (v !== undefined) return v;
    if (a.default !== undefined) return a.default;
    throw new BuiltinError(`value of type "${typeName(a.x ?? null)}" has no field or method "${name}"`);
  }),
  builtin('hasattr', (call) => {
    const a = unpackArgs(call, ['x', 'name']);
    const name = expectString(a.name ?? null, 'hasattr() argument "name"');
    return getAttribute(a.x ?? null, name) !== undefined;
  }),
  builtin('hash', (call) => {
    const a = unpackArgs(call, ['value']);
    return javaHash(expectString(a.value ?? null, 'hash() argument'));
  }),
  builtin('int', (call) => {
    const a = unpackArgs(call, ['x?', 'base?']);
    const x = a.x === undefined ? 0 : a.x;
    if (typeof x === 'string') {
      const base = a.base === undefined ? 10 : expectInt(a.base, 'int() argument "base"');
      return parseIntString(x, base, call);
    }
    if (a.base !== undefined) throw new BuiltinError("int: can't convert non-string with explicit base");
    if (typeof x === 'number') return x;
    if (typeof x === 'boolean') return x ? 1 : 0;
    throw new BuiltinError(`int: got value of type "${typeName(x)}", want a string, int or bool`);
  }),
  builtin('len', (call) => {
    const a = unpackArgs(call, ['x']);
    const n = len(a.x ?? null);
    if (n === null) throw new BuiltinError(`len: value of type "${typeName(a.x ?? null)}" has no length`);
    return n;
  }),
  builtin('list', (call) => {
    const a = unpackArgs(call, ['x?']);
    if (a.x === undefined) return new StarList();
    const elems = elementsOf(a.x, 'list() argument');
    call.thread.charge(elems.length >> 3);
    return new StarList([...elems]);
  }),
  builtin('max', (call) => minMax(call, 1)),
  builtin('min', (call) => minMax(call, -1)),
  builtin('print', (call) => {
    const a = unpackArgs(call, ['*args', 'sep?']);
    const sep = a.sep === undefined ? ' ' : expectString(a.sep, 'print() argument "sep"');
    const max = call.thread.limits.maxStringLength;
    const message = (a.args as StarTuple).elems.map((v) => str(v, max)).join(sep);
    call.thread.print?.(message, call.pos);
    return null;
  }),
  builtin('range', range),
  builtin('repr', (call) => {
    const a = unpackArgs(call, ['x']);
    const s = repr(a.x ?? null, call.thread.limits.maxStringLength);
    call.thread.charge(s.length >> 5);
    return s;
  }),
  builtin('reversed', (call) => {
    const a = unpackArgs(call, ['sequence']);
    return new StarList([...elementsOf(a.sequence ?? null, 'reversed() argument')].reverse());
  }),
  builtin('select', select),
  builtin('sorted', sorted),
  builtin('str', (call) => {
    const a = unpackArgs(call, ['x']);
    const s = str(a.x ?? null, call.thread.limits.maxStringLength);
    call.thread.charge(s.length >> 5);
    return s;
  }),
  builtin('struct', (call) => {
    if (call.args.length > 0) throw new BuiltinError('struct() does not accept positional arguments');
    return new Struct(call.kwargs);
  }),
  builtin('tuple', (call) => {
    const a = unpackArgs(call, ['x?']);
    if (a.x === undefined) return new StarTuple();
    if (a.x instanceof StarTuple) return a.x;
    const elems = elementsOf(a.x, 'tuple() argument');
    call.thread.charge(elems.length >> 3);
    return new StarTuple([...elems]);
  }),
  builtin('type', (call) => {
    const a = unpackArgs(call, ['x']);
    return typeName(a.x ?? null);
  }),
  builtin('zip', (call) => {
    const a = unpackArgs(call, ['*args']);
    const lists = (a.args as StarTuple).elems.map((v, i) => elementsOf(v, `zip() argument ${i + 1}`));
    const n = lists.length === 0 ? 0 : lists.reduce((m, l) => Math.min(m, l.length), Infinity);
    const out: Value[] = [];
    for (let i = 0; i < n; i++) out.push(new StarTuple(lists.map((l) => l[i])));
    return new StarList(out);
  }),
]);
