// Configurable values: combining select() values and resolving them once the
// host knows which conditions hold.

import { BuiltinError, StarlarkError } from './errors.ts';
import type { Position } from './errors.ts';
import { shortRepr } from './repr.ts';
import { Select, StarDict, StarList, StarTuple, Struct, typeName } from './values.ts';
import type { SelectPart, SelectorPart, Value } from './values.ts';

const DEFAULT_CONDITION = /^(@{0,2})\/\/conditions:default$/;
const MAX_RESOLVE_DEPTH = 1000;

/** Whether a select key is the `//conditions:default` fallback. */
export function isDefaultCondition(key: Value): boolean {
  return typeof key === 'string' && DEFAULT_CONDITION.test(key);
}

function partsOf(v: Value, op: '+' | '|'): readonly SelectPart[] {
  if (v instanceof Select) {
    if (v.op !== op && v.parts.length > 1) {
      throw new BuiltinError(`cannot combine a select joined with ${v.op} using ${op}`);
    }
    return v.parts;
  }
  const ok = op === '|'
    ? v instanceof StarDict
    : v instanceof StarList || v instanceof StarTuple || typeof v === 'string';
  if (!ok) throw new BuiltinError(`unsupported operand type(s) for ${op}: "select" and "${typeName(v)}"`);
  return [{ kind: 'value', value: v }];
}

/** `x + y` or `x | y` where at least one side is a Select; at most `maxParts` parts. */
export function combineSelect(op: '+' | '|', x: Value, y: Value, pos: Position, maxParts: number): Select {
  const left = partsOf(x, op);
  const right = partsOf(y, op);
  const n = left.length + right.length;
  if (n > maxParts) throw new BuiltinError(`select() combination of ${n} parts exceeds the limit of ${maxParts}`);
  return new Select([...left, ...right], op, pos);
}

export interface ResolveOptions {
  /**
   * When several keys match, a key that refines (is more specific than) every
   * other matching key wins. Without this, several matches are an error.
   */
  refines?: (a: Value, b: Value) => boolean;
  /** Where to report problems that are not tied to one select(), e.g. the target's call. */
  pos?: Position;
}

interface Resolver {
  matches: (key: Value) => boolean;
  options: ResolveOptions;
  /** Resolved copies by original container, so shared and cyclic values stay linear. */
  done: Map<object, Value>;
}

/**
 * Replaces every Select inside `value` (including inside lists, tuples, dicts
 * and structs) by the branch whose key `matches`. `//conditions:default` is
 * used when nothing else matches. Errors are StarlarkErrors at the select().
 */
export function resolveSelects(value: Value, matches: (key: Value) => boolean, options: ResolveOptions = {}): Value {
  return resolve(value, { matches, options, done: new Map() }, 0);
}

function resolve(v: Value, r: Resolver, depth: number): Value {
  if (v === null || typeof v !== 'object') return v;
  const done = r.done.get(v);
  if (done !== undefined) return done;
  if (depth > MAX_RESOLVE_DEPTH) {
    const pos = r.options.pos ?? { file: '<value>', line: 1, column: 1 };
    throw new StarlarkError('value is nested too deeply to resolve selects', pos);
  }
  let out: Value;
  if (v instanceof Select) {
    out = resolveSelect(v, r, depth);
  } else if (v instanceof StarList) {
    const list = new StarList();
    r.done.set(v, list);
    for (const e of v.elems) list.elems.push(resolve(e, r, depth + 1));
    return list;
  } else if (v instanceof StarDict) {
    const dict = new StarDict();
    r.done.set(v, dict);
    for (const [k, e] of v.entries()) dict.set(k, resolve(e, r, depth + 1));
    return dict;
  } else if (v instanceof StarTuple) {
    out = new StarTuple(v.elems.map((e) => resolve(e, r, depth + 1)));
  } else if (v instanceof Struct) {
    const fields = new Map<string, Value>();
    for (const [k, e] of v.fields) fields.set(k, resolve(e, r, depth + 1));
    out = new Struct(fields, v.typeName);
  } else {
    return v;
  }
  r.done.set(v, out);
  return out;
}

function resolveSelect(s: Select, r: Resolver, depth: number): Value {
  let acc: Value | undefined;
  for (const part of s.parts) {
    const chosen = part.kind === 'select' ? chooseBranch(part, r.matches, r.options) : part.value;
    const value = resolve(chosen, r, depth + 1);
    acc = acc === undefined ? value : concat(acc, value, s);
  }
  return acc ?? null;
}

function concat(x: Value, y: Value, s: Select): Value {
  if (x instanceof StarList && y instanceof StarList) return new StarList(x.elems.concat(y.elems));
  if (x instanceof StarTuple && y instanceof StarTuple) return new StarTuple(x.elems.concat(y.elems));
  if (typeof x === 'string' && typeof y === 'string') return x + y;
  if (x instanceof StarDict && y instanceof StarDict) {
    const out = StarDict.from(x.entries());
    for (const [k, v] of y.entries()) out.set(k, v);
    return out;
  }
  throw new StarlarkError(
    `unsupported operand type(s) for ${s.op}: "${typeName(x)}" and "${typeName(y)}" (in a select() combination)`,
    s.pos,
  );
}

function chooseBranch(part: SelectorPart, matches: (key: Value) => boolean, options: ResolveOptions): Value {
  let fallback: Value | undefined;
  const matched: [Value, Value][] = [];
  for (const [key, value] of part.branches.entries()) {
    if (isDefaultCondition(key)) {
      fallback = value;
    } else if (matches(key)) {
      matched.push([key, value]);
    }
  }
  if (matched.length === 1) return matched[0][1];
  if (matched.length > 1) {
    const refines = options.refines;
    if (refines !== undefined) {
      const winner = matched.find(([k]) => matched.every(([other]) => other === k || refines(k, other)));
      if (winner !== undefined) return winner[1];
    }
    throw new StarlarkError(
      `ambiguous select keys ${shortRepr(matched[0][0])} and ${shortRepr(matched[1][0])}: both match`,
      part.pos,
    );
  }
  if (fallback !== undefined) return fallback;
  if (part.noMatchError !== null && part.noMatchError !== '') {
    throw new StarlarkError(part.noMatchError, part.pos);
  }
  const keys = part.branches.keys().map((k) => shortRepr(k)).join(', ');
  throw new StarlarkError(
    `no select condition matched and there is no "//conditions:default"; conditions checked: ${keys}`,
    part.pos,
  );
}
