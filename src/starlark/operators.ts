// Arithmetic, comparison, membership, indexing and slicing on values.
// Combining selects is handled by the evaluator before calling binaryOp.

import { BuiltinError } from './errors.ts';
import type { BinaryOp, UnaryOp } from './ast.ts';
import { compare, equals } from './equality.ts';
import { percentFormat } from './format.ts';
import { shortRepr } from './repr.ts';
import type { Thread } from './thread.ts';
import { StarDict, StarList, StarTuple, Struct, checkInt, isHasAttrs, truthy, typeName } from './values.ts';
import type { Value } from './values.ts';

function unsupported(op: string, x: Value, y: Value): BuiltinError {
  return new BuiltinError(`unsupported operand type(s) for ${op}: "${typeName(x)}" and "${typeName(y)}"`);
}

function toBig(n: number): bigint {
  return BigInt(n);
}

function fromBig(b: bigint): number {
  if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new BuiltinError('integer overflow');
  }
  return Number(b);
}

/** Applies a binary operator other than `and`/`or`. */
export function binaryOp(op: BinaryOp, x: Value, y: Value, thread: Thread): Value {
  switch (op) {
    case '==':
      return equals(x, y);
    case '!=':
      return !equals(x, y);
    case '<':
      return compare(x, y, op) < 0;
    case '<=':
      return compare(x, y, op) <= 0;
    case '>':
      return compare(x, y, op) > 0;
    case '>=':
      return compare(x, y, op) >= 0;
    case 'in':
      return contains(y, x, thread);
    case 'not in':
      return !contains(y, x, thread);
    case '+':
      return plus(x, y, thread);
    case '-':
      if (typeof x === 'number' && typeof y === 'number') return checkInt(x - y);
      throw unsupported(op, x, y);
    case '*':
      return times(x, y, thread);
    case '/':
      if (typeof x === 'number' && typeof y === 'number') {
        throw new BuiltinError('floating-point division is not supported; use // for integer division');
      }
      throw unsupported(op, x, y);
    case '//':
      if (typeof x === 'number' && typeof y === 'number') {
        if (y === 0) throw new BuiltinError('integer division by zero');
        // Below 2**52 the float quotient cannot round across an integer; above, use BigInt.
        if (Math.abs(x) < 2 ** 52) return checkInt(Math.floor(x / y));
        const bx = toBig(x);
        const by = toBig(y);
        let bq = bx / by;
        if (bx % by !== 0n && (bx < 0n) !== (by < 0n)) bq -= 1n;
        return fromBig(bq);
      }
      throw unsupported(op, x, y);
    case '%':
      if (typeof x === 'number' && typeof y === 'number') {
        if (y === 0) throw new BuiltinError('integer modulo by zero');
        let r = x % y;
        if (r !== 0 && (r < 0) !== (y < 0)) r += y;
        return checkInt(r);
      }
      if (typeof x === 'string') return percentFormat(x, y, thread);
      throw unsupported(op, x, y);
    case '|':
      if (typeof x === 'number' && typeof y === 'number') return fromBig(toBig(x) | toBig(y));
      if (x instanceof StarDict && y instanceof StarDict) {
        const out = StarDict.from(x.entries());
        for (const [k, v] of y.entries()) out.set(k, v);
        thread.checkCollectionLength(out.size);
        return out;
      }
      throw unsupported(op, x, y);
    case '&':
      if (typeof x === 'number' && typeof y === 'number') return fromBig(toBig(x) & toBig(y));
      throw unsupported(op, x, y);
    case '^':
      if (typeof x === 'number' && typeof y === 'number') return fromBig(toBig(x) ^ toBig(y));
      throw unsupported(op, x, y);
    case '<<':
    case '>>':
      if (typeof x === 'number' && typeof y === 'number') {
        if (y < 0) throw new BuiltinError(`negative shift count: ${y}`);
        if (op === '>>') return fromBig(toBig(x) >> toBig(Math.min(y, 64)));
        if (x === 0) return 0;
        if (y >= 64) throw new BuiltinError('integer overflow');
        return fromBig(toBig(x) << toBig(y));
      }
      throw unsupported(op, x, y);
    case 'and':
    case 'or':
      // Short-circuit operators are evaluated by the evaluator.
      return op === 'and' ? (truthy(x) ? y : x) : (truthy(x) ? x : y);
  }
}

function plus(x: Value, y: Value, thread: Thread): Value {
  if (typeof x === 'number' && typeof y === 'number') return checkInt(x + y);
  if (typeof x === 'string' && typeof y === 'string') {
    thread.checkStringLength(x.length + y.length);
    return x + y;
  }
  if (x instanceof StarList && y instanceof StarList) {
    const n = x.elems.length + y.elems.length;
    thread.checkCollectionLength(n);
    thread.charge(n >> 3);
    return new StarList(x.elems.concat(y.elems));
  }
  if (x instanceof StarTuple && y instanceof StarTuple) {
    const n = x.elems.length + y.elems.length;
    thread.checkCollectionLength(n);
    thread.charge(n >> 3);
    return new StarTuple(x.elems.concat(y.elems));
  }
  if (x instanceof Struct && y instanceof Struct && x.typeName === 'struct' && y.typeName === 'struct') {
    const fields = new Map(x.fields);
    for (const [k, v] of y.fields) {
      if (fields.has(k)) throw new BuiltinError(`cannot add structs: field "${k}" is present in both`);
      fields.set(k, v);
    }
    return new Struct(fields);
  }
  throw unsupported('+', x, y);
}

function times(x: Value, y: Value, thread: Thread): Value {
  if (typeof x === 'number' && typeof y === 'number') return checkInt(x * y);
  if (typeof x === 'number' && typeof y !== 'number') return times(y, x, thread);
  if (typeof y === 'number') {
    const n = Math.max(0, y);
    if (typeof x === 'string') {
      thread.checkStringLength(x.length * n);
      thread.charge((x.length * n) >> 5);
      return x.repeat(n);
    }
    if (x instanceof StarList || x instanceof StarTuple) {
      const len = x.elems.length * n;
      thread.checkCollectionLength(len);
      thread.charge(len >> 3);
      const out: Value[] = [];
      for (let i = 0; i < n && x.elems.length > 0; i++) for (const e of x.elems) out.push(e);
      return x instanceof StarList ? new StarList(out) : new StarTuple(out);
    }
  }
  throw unsupported('*', x, y);
}

/** Starlark `needle in haystack`. */
export function contains(haystack: Value, needle: Value, thread: Thread): boolean {
  if (typeof haystack === 'string') {
    if (typeof needle !== 'string') {
      throw new BuiltinError(`'in <string>' requires string as left operand, not "${typeName(needle)}"`);
    }
    thread.charge(haystack.length >> 5);
    return haystack.includes(needle);
  }
  if (haystack instanceof StarList || haystack instanceof StarTuple) {
    thread.charge(haystack.elems.length >> 3);
    return haystack.elems.some((e) => equals(e, needle));
  }
  if (haystack instanceof StarDict) return haystack.has(needle);
  throw new BuiltinError(`unsupported operand type(s) for in: "${typeName(needle)}" and "${typeName(haystack)}"`);
}

export function unaryOp(op: UnaryOp, x: Value): Value {
  switch (op) {
    case 'not':
      return !truthy(x);
    case '-':
      if (typeof x === 'number') return checkInt(-x);
      break;
    case '+':
      if (typeof x === 'number') return x;
      break;
    case '~':
      if (typeof x === 'number') return checkInt(-x - 1);
      break;
  }
  throw new BuiltinError(`unsupported operand type for unary ${op}: "${typeName(x)}"`);
}

/** Resolves a possibly negative index into [0, length), or throws. */
export function normalizeIndex(index: Value, length: number, what: string): number {
  if (typeof index !== 'number') {
    throw new BuiltinError(`${what} indices must be integers, not "${typeName(index)}"`);
  }
  const i = index < 0 ? index + length : index;
  if (i < 0 || i >= length) {
    throw new BuiltinError(`index ${index} out of range for ${what} of length ${length}`);
  }
  return i;
}

/** Starlark `x[key]`. */
export function getIndex(x: Value, key: Value): Value {
  if (x instanceof StarList) return x.elems[normalizeIndex(key, x.elems.length, 'list')];
  if (x instanceof StarTuple) return x.elems[normalizeIndex(key, x.elems.length, 'tuple')];
  if (typeof x === 'string') return x[normalizeIndex(key, x.length, 'string')];
  if (x instanceof StarDict) {
    const v = x.get(key);
    if (v === undefined) throw new BuiltinError(`key ${shortRepr(key)} not in dict`);
    return v;
  }
  throw new BuiltinError(`value of type "${typeName(x)}" is not indexable`);
}

/** Starlark `x[key] = value`. */
export function setIndex(x: Value, key: Value, value: Value, thread: Thread): void {
  if (x instanceof StarList) {
    const i = normalizeIndex(key, x.elems.length, 'list');
    x.checkMutable();
    x.elems[i] = value;
    return;
  }
  if (x instanceof StarDict) {
    x.set(key, value);
    thread.checkCollectionLength(x.size);
    return;
  }
  throw new BuiltinError(`value of type "${typeName(x)}" does not support item assignment`);
}

/** Computes Python-style slice bounds for a sequence of `length` elements. */
export function sliceIndices(
  length: number, lo: Value, hi: Value, step: Value,
): { start: number; stop: number; step: number } {
  let s = 1;
  if (step !== null) {
    if (typeof step !== 'number') throw new BuiltinError(`slice step must be an int, not "${typeName(step)}"`);
    if (step === 0) throw new BuiltinError('slice step cannot be zero');
    s = step;
  }
  const clamp = (v: Value, dflt: number, what: string): number => {
    if (v === null) return dflt;
    if (typeof v !== 'number') throw new BuiltinError(`slice ${what} must be an int, not "${typeName(v)}"`);
    let i = v < 0 ? v + length : v;
    if (s > 0) i = Math.min(Math.max(i, 0), length);
    else i = Math.min(Math.max(i, -1), length - 1);
    return i;
  };
  const start = clamp(lo, s > 0 ? 0 : length - 1, 'start');
  const stop = clamp(hi, s > 0 ? length : -1, 'end');
  return { start, stop, step: s };
}

/** Starlark `x[lo:hi:step]`. */
export function slice(x: Value, lo: Value, hi: Value, step: Value): Value {
  let length: number;
  if (typeof x === 'string') length = x.length;
  else if (x instanceof StarList || x instanceof StarTuple) length = x.elems.length;
  else throw new BuiltinError(`value of type "${typeName(x)}" cannot be sliced`);
  const r = sliceIndices(length, lo, hi, step);
  if (typeof x === 'string') {
    if (r.step === 1) return r.start < r.stop ? x.slice(r.start, r.stop) : '';
    let out = '';
    for (let i = r.start; r.step > 0 ? i < r.stop : i > r.stop; i += r.step) out += x[i];
    return out;
  }
  const out: Value[] = [];
  for (let i = r.start; r.step > 0 ? i < r.stop : i > r.stop; i += r.step) out.push(x.elems[i]);
  return x instanceof StarList ? new StarList(out) : new StarTuple(out);
}

/** Attribute assignment `x.name = value`, supported only by host objects that opt in. */
export function setAttribute(x: Value, name: string, value: Value): void {
  if (isHasAttrs(x) && !(x instanceof Struct) && typeof x.setAttr === 'function') {
    x.setAttr(name, value);
    return;
  }
  throw new BuiltinError(`cannot set field "${name}" of immutable value of type "${typeName(x)}"`);
}
