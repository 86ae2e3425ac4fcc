// Argument binding and type checking helpers for builtins.

import { BuiltinError } from './errors.ts';
import { StarDict, StarList, StarTuple, typeName } from './values.ts';
import type { CallInfo, Value } from './values.ts';

interface ParsedParam {
  name: string;
  optional: boolean;
  keywordOnly: boolean;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Binds a call's arguments to named parameters. Each entry of `params` is
 * `"name"` (mandatory), `"name?"` (optional), `"*"` (later ones are keyword-only),
 * `"*args"` (collects extra positional arguments into a tuple) or `"**kwargs"`
 * (collects extra keyword arguments into a dict). Absent optional parameters
 * are `undefined` in the result.
 *
 *   const { name, srcs } = unpackArgs(call, ['name', 'srcs?']);
 */
export function unpackArgs(call: CallInfo, params: readonly string[]): Record<string, Value | undefined> {
  const named: ParsedParam[] = [];
  let varargs: string | null = null;
  let kwargs: string | null = null;
  let keywordOnly = false;
  for (const spec of params) {
    if (spec === '*') {
      keywordOnly = true;
    } else if (spec.startsWith('**')) {
      kwargs = spec.slice(2);
    } else if (spec.startsWith('*')) {
      varargs = spec.slice(1);
      keywordOnly = true;
    } else if (spec.endsWith('?')) {
      named.push({ name: spec.slice(0, -1), optional: true, keywordOnly });
    } else {
      named.push({ name: spec, optional: false, keywordOnly });
    }
  }
  const fn = `${call.name}()`;
  const out: Record<string, Value | undefined> = Object.create(null) as Record<string, Value | undefined>;
  const positional = named.filter((p) => !p.keywordOnly);
  const args = call.args;
  if (args.length > positional.length && varargs === null) {
    throw new BuiltinError(
      positional.length === 0
        ? `${fn} does not accept positional arguments, but got ${args.length}`
        : `${fn} accepts no more than ${plural(positional.length, 'positional argument')} but got ${args.length}`,
    );
  }
  const n = Math.min(args.length, positional.length);
  for (let i = 0; i < n; i++) out[positional[i].name] = args[i];
  if (varargs !== null) out[varargs] = new StarTuple(args.slice(n));
  const extra = kwargs !== null ? new StarDict() : null;
  for (const [key, value] of call.kwargs) {
    const param = named.find((p) => p.name === key);
    if (param === undefined) {
      if (extra === null) throw new BuiltinError(`${fn} got unexpected keyword argument "${key}"`);
      extra.set(key, value);
      continue;
    }
    if (out[key] !== undefined) throw new BuiltinError(`${fn} got multiple values for argument "${key}"`);
    out[key] = value;
  }
  if (kwargs !== null && extra !== null) out[kwargs] = extra;
  const missing = named.filter((p) => !p.optional && out[p.name] === undefined).map((p) => `"${p.name}"`);
  if (missing.length === 1) throw new BuiltinError(`${fn} missing mandatory argument ${missing[0]}`);
  if (missing.length > 1) throw new BuiltinError(`${fn} missing mandatory arguments ${missing.join(', ')}`);
  return out;
}

function wrongType(v: Value, what: string, want: string): BuiltinError {
  return new BuiltinError(`${what}: got value of type "${typeName(v)}", want ${want}`);
}

/** `what` names the argument in errors, e.g. `pkg_tar() argument "srcs"`. */
export function expectString(v: Value, what: string): string {
  if (typeof v !== 'string') throw wrongType(v, what, '"string"');
  return v;
}

export function expectInt(v: Value, what: string): number {
  if (typeof v !== 'number') throw wrongType(v, what, '"int"');
  return v;
}

export function expectBool(v: Value, what: string): boolean {
  if (typeof v !== 'boolean') throw wrongType(v, what, '"bool"');
  return v;
}

/** A list or tuple's elements. */
export function expectSequence(v: Value, what: string): readonly Value[] {
  if (v instanceof StarList || v instanceof StarTuple) return v.elems;
  throw wrongType(v, what, '"list" or "tuple"');
}

export function expectStringList(v: Value, what: string): string[] {
  const elems = expectSequence(v, what);
  return elems.map((e, i) => {
    if (typeof e !== 'string') {
      throw new BuiltinError(`${what}: element ${i} has type "${typeName(e)}", want "string"`);
    }
    return e;
  });
}

export function expectDict(v: Value, what: string): StarDict {
  if (!(v instanceof StarDict)) throw wrongType(v, what, '"dict"');
  return v;
}
