// Equality and ordering of values.

import { BuiltinError } from './errors.ts';
import { StarDict, StarList, StarTuple, Struct, isHasAttrs, typeName } from './values.ts';
import type { Value } from './values.ts';

const MAX_COMPARE_DEPTH = 1000;
/** Bounds the work of one comparison, e.g. of two large values that share subtrees. */
const MAX_COMPARE_ELEMENTS = 10_000_000;

interface Budget {
  remaining: number;
}

function tooDeep(): BuiltinError {
  return new BuiltinError('comparison exceeded maximum recursion depth');
}

function spend(budget: Budget, n: number): void {
  budget.remaining -= n;
  if (budget.remaining < 0) {
    throw new BuiltinError(`comparison exceeded ${MAX_COMPARE_ELEMENTS} elements`);
  }
}

/** Starlark `==`. Values of different types are unequal (no error). */
export function equals(x: Value, y: Value): boolean {
  return eq(x, y, 0, { remaining: MAX_COMPARE_ELEMENTS });
}

function eq(x: Value, y: Value, depth: number, budget: Budget): boolean {
  if (x === y) return true;
  if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object') return false;
  if (depth > MAX_COMPARE_DEPTH) throw tooDeep();
  if ((x instanceof StarList && y instanceof StarList) || (x instanceof StarTuple && y instanceof StarTuple)) {
    if (x.elems.length !== y.elems.length) return false;
    spend(budget, x.elems.length);
    for (let i = 0; i < x.elems.length; i++) {
      if (!eq(x.elems[i], y.elems[i], depth + 1, budget)) return false;
    }
    return true;
  }
  if (x instanceof StarDict && y instanceof StarDict) {
    if (x.size !== y.size) return false;
    spend(budget, x.size);
    for (const [k, v] of x.entries()) {
      const other = y.get(k);
      if (other === undefined || !eq(v, other, depth + 1, budget)) return false;
    }
    return true;
  }
  if (x instanceof Struct && y instanceof Struct) {
    if (x.typeName !== y.typeName || x.fields.size !== y.fields.size) return false;
    spend(budget, x.fields.size);
    for (const [name, v] of x.fields) {
      const other = y.fields.get(name);
      if (other === undefined || !eq(v, other, depth + 1, budget)) return false;
    }
    return true;
  }
  if (isHasAttrs(x) && !(x instanceof Struct) && typeof x.equals === 'function') return x.equals(y);
  return false;
}

/**
 * Starlark ordering: negative, zero or positive. Only ints, strings, bools,
 * lists and tuples (elementwise) are ordered; `op` is used in the error.
 */
export function compare(x: Value, y: Value, op = '<'): number {
  return cmp(x, y, op, 0, { remaining: MAX_COMPARE_ELEMENTS });
}

function cmp(x: Value, y: Value, op: string, depth: number, budget: Budget): number {
  if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : x > y ? 1 : 0;
  if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
  if (typeof x === 'boolean' && typeof y === 'boolean') return Number(x) - Number(y);
  if ((x instanceof StarList && y instanceof StarList) || (x instanceof StarTuple && y instanceof StarTuple)) {
    if (depth > MAX_COMPARE_DEPTH) throw tooDeep();
    const n = Math.min(x.elems.length, y.elems.length);
    spend(budget, n);
    for (let i = 0; i < n; i++) {
      const a = x.elems[i];
      const b = y.elems[i];
      if (eq(a, b, depth + 1, budget)) continue;
      return cmp(a, b, op, depth + 1, budget);
    }
    return x.elems.length - y.elems.length;
  }
  throw new BuiltinError(`unsupported operand type(s) for ${op}: "${typeName(x)}" and "${typeName(y)}"`);
}
