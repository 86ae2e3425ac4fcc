// Conversion between Starlark values and plain JavaScript data for hosts.

import { BuiltinError } from './errors.ts';
import { Builtin, Select, StarDict, StarFunction, StarList, StarTuple, Struct, typeName } from './values.ts';
import type { Value } from './values.ts';

/** JSON-like data: what toJS produces and fromJS accepts. */
export type PlainData = null | boolean | number | string | PlainData[] | { [key: string]: PlainData };

const MAX_DEPTH = 1000;

/** Default bound on the size of one conversion, e.g. of a value whose subtrees are shared. */
const MAX_ELEMENTS = 10_000_000;

/**
 * Converts a value to plain data: lists and tuples become arrays, dicts with
 * string keys and structs become objects. Functions, unresolved selects and
 * host objects cannot be converted.
 */
export function toJS(v: Value, maxElements: number = MAX_ELEMENTS): PlainData {
  return convert(v, 0, { remaining: maxElements, max: maxElements });
}

function convert(v: Value, depth: number, budget: { remaining: number; max: number }): PlainData {
  if (v === null || typeof v !== 'object') return v;
  if (depth > MAX_DEPTH) throw new BuiltinError('value is nested too deeply to convert');
  if (--budget.remaining < 0) throw new BuiltinError(`value has more than ${budget.max} elements to convert`);
  if (v instanceof StarList || v instanceof StarTuple) return v.elems.map((e) => convert(e, depth + 1, budget));
  if (v instanceof StarDict) {
    const out: { [key: string]: PlainData } = {};
    for (const [k, e] of v.entries()) {
      if (typeof k !== 'string') throw new BuiltinError(`cannot convert dict with key of type "${typeName(k)}"`);
      define(out, k, convert(e, depth + 1, budget));
    }
    return out;
  }
  if (v instanceof Struct) {
    const out: { [key: string]: PlainData } = {};
    for (const [k, e] of v.fields) define(out, k, convert(e, depth + 1, budget));
    return out;
  }
  if (v instanceof Select) throw new BuiltinError('cannot convert an unresolved select(); resolve it first');
  throw new BuiltinError(`cannot convert value of type "${typeName(v)}"`);
}

/** Sets a property without invoking setters such as __proto__. */
function define(target: { [key: string]: PlainData }, key: string, value: PlainData): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Converts plain data to values: arrays become lists, objects become dicts. */
export function fromJS(x: unknown): Value {
  return fromPlain(x, 0);
}

function fromPlain(x: unknown, depth: number): Value {
  if (x === null || x === undefined) return null;
  if (typeof x === 'boolean' || typeof x === 'string') return x;
  if (typeof x === 'number') {
    if (!Number.isSafeInteger(x)) throw new BuiltinError(`cannot convert ${x}: only safe integers are supported`);
    return x;
  }
  if (depth > MAX_DEPTH) throw new BuiltinError('value is nested too deeply to convert');
  if (isValueObject(x)) return x;
  if (Array.isArray(x)) return new StarList(x.map((e) => fromPlain(e, depth + 1)));
  if (x instanceof Map) {
    return StarDict.from([...x.entries()].map(([k, e]) => [fromPlain(k, depth + 1), fromPlain(e, depth + 1)] as const));
  }
  if (typeof x === 'object') {
    return StarDict.from(Object.entries(x).map(([k, e]) => [k, fromPlain(e, depth + 1)] as const));
  }
  throw new BuiltinError(`cannot convert a JavaScript ${typeof x}`);
}

function isValueObject(x: object): x is Exclude<Value, null | boolean | number | string> {
  return x instanceof StarList || x instanceof StarTuple || x instanceof StarDict || x instanceof StarFunction
    || x instanceof Builtin || x instanceof Struct || x instanceof Select
    || typeof (x as { getAttr?: unknown }).getAttr === 'function';
}
