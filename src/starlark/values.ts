// Runtime representation of Starlark values.

import { BuiltinError } from './errors.ts';
import type { Position } from './errors.ts';
import type { FunctionCode } from './ast.ts';
import type { Thread } from './thread.ts';

/**
 * A Starlark value. None is `null`, ints are JS numbers restricted to the safe
 * integer range, strings are JS strings.
 */
export type Value =
  | null
  | boolean
  | number
  | string
  | StarList
  | StarTuple
  | StarDict
  | StarFunction
  | Builtin
  | Struct
  | Select
  | HasAttrs;

/**
 * A host-defined value with attributes (a `native` module, a Label, ...).
 * Only `typeName`, `getAttr` and `attrNames` are required.
 */
export interface HasAttrs {
  readonly typeName: string;
  getAttr(name: string): Value | undefined;
  attrNames(): string[];
  /** How the value prints; defaults to `<typeName>`. */
  repr?(): string;
  /** What `str(x)` returns; defaults to `repr()`. */
  str?(): string;
  /** Value equality; defaults to identity. */
  equals?(other: Value): boolean;
  /** Makes the value usable as a dict key; two equal values must return the same key. */
  hashKey?(): string;
  /** Called when the value becomes reachable from a frozen module. */
  freeze?(): void;
  /** Supports `x.name = value`; absent means the value is immutable. */
  setAttr?(name: string, value: Value): void;
}

/** What a builtin receives when called. */
export interface CallInfo {
  args: Value[];
  /** Keyword arguments in call order. */
  kwargs: Map<string, Value>;
  /** Position of the call (its opening parenthesis). */
  pos: Position;
  /** Call sites of the active Starlark frames, outermost first, ending with `pos`. */
  callStack: Position[];
  /** Name of the builtin being called. */
  name: string;
  /** The evaluation thread: limits, step accounting, calling back into Starlark. */
  thread: Thread;
}

export class StarList {
  readonly elems: Value[];
  frozen = false;
  /** Number of active iterations; a list cannot change while it is iterated. */
  iterating = 0;

  constructor(elems: Value[] = []) {
    this.elems = elems;
  }

  checkMutable(): void {
    if (this.frozen) throw new BuiltinError('cannot mutate frozen list');
    if (this.iterating > 0) throw new BuiltinError('cannot mutate list during iteration');
  }
}

export class StarTuple {
  readonly elems: readonly Value[];
  frozen = false;

  constructor(elems: readonly Value[] = []) {
    this.elems = elems;
  }
}

/** A dict whose keys keep insertion order. */
export class StarDict {
  /** hash key -> [key, value] */
  private readonly table = new Map<string, [Value, Value]>();
  frozen = false;
  iterating = 0;

  static from(entries: Iterable<readonly [Value, Value]>): StarDict {
    const d = new StarDict();
    for (const [k, v] of entries) d.table.set(hashKey(k), [k, v]);
    return d;
  }

  get size(): number {
    return this.table.size;
  }

  checkMutable(): void {
    if (this.frozen) throw new BuiltinError('cannot mutate frozen dict');
    if (this.iterating > 0) throw new BuiltinError('cannot mutate dict during iteration');
  }

  get(key: Value): Value | undefined {
    return this.table.get(hashKey(key))?.[1];
  }

  has(key: Value): boolean {
    return this.table.has(hashKey(key));
  }

  set(key: Value, value: Value): void {
    const h = hashKey(key);
    this.checkMutable();
    const existing = this.table.get(h);
    if (existing !== undefined) {
      existing[1] = value;
    } else {
      this.table.set(h, [key, value]);
    }
  }

  /** Removes a key, returning its value, or undefined if absent. */
  delete(key: Value): Value | undefined {
    const h = hashKey(key);
    this.checkMutable();
    const existing = this.table.get(h);
    if (existing === undefined) return undefined;
    this.table.delete(h);
    return existing[1];
  }

  clear(): void {
    this.checkMutable();
    this.table.clear();
  }

  keys(): Value[] {
    return Array.from(this.table.values(), (e) => e[0]);
  }

  values(): Value[] {
    return Array.from(this.table.values(), (e) => e[1]);
  }

  entries(): [Value, Value][] {
    return Array.from(this.table.values(), (e) => [e[0], e[1]]);
  }
}

/** Where an environment's variables live; closures keep their defining Env. */
export interface Env {
  readonly slots: (Value | undefined)[];
  readonly parent: Env | null;
}

/** The parts of a module that its functions need after it has finished. */
export interface ModuleContext {
  readonly file: string;
  readonly globals: Map<string, Value>;
  readonly predeclared: ReadonlyMap<string, Value>;
  readonly universe: ReadonlyMap<string, Value>;
  readonly load: ((module: string, pos: Position) => Map<string, Value>) | null;
}

/** A function defined by `def` or `lambda`. */
export class StarFunction {
  readonly code: FunctionCode;
  /** Evaluated default values, one per named parameter (undefined if mandatory). */
  readonly defaults: (Value | undefined)[];
  readonly env: Env | null;
  readonly module: ModuleContext;
  frozen = false;

  constructor(code: FunctionCode, defaults: (Value | undefined)[], env: Env | null, module: ModuleContext) {
    this.code = code;
    this.defaults = defaults;
    this.env = env;
    this.module = module;
  }

  get name(): string {
    return this.code.name;
  }

  get pos(): Position {
    return this.code.pos;
  }
}

/** A function implemented in TypeScript. */
export class Builtin {
  readonly name: string;
  readonly impl: (call: CallInfo) => Value;
  /** For bound methods, the type name of the receiver (for printing). */
  receiverType: string | null = null;

  constructor(name: string, impl: (call: CallInfo) => Value) {
    this.name = name;
    this.impl = impl;
  }
}

/** An immutable record with named fields, made by `struct(**kwargs)`. */
export class Struct implements HasAttrs {
  readonly typeName: string;
  readonly fields: ReadonlyMap<string, Value>;
  frozen = false;

  constructor(fields: ReadonlyMap<string, Value> | Readonly<Record<string, Value>>, typeName = 'struct') {
    this.fields = fields instanceof Map ? new Map(fields) : new Map(Object.entries(fields));
    this.typeName = typeName;
  }

  getAttr(name: string): Value | undefined {
    return this.fields.get(name);
  }

  attrNames(): string[] {
    return [...this.fields.keys()].sort();
  }
}

/** One `select({...})` call inside a (possibly concatenated) Select value. */
export interface SelectorPart {
  kind: 'select';
  branches: StarDict;
  noMatchError: string | null;
  pos: Position;
}

/** A plain value concatenated with selects, e.g. the list in `select(...) + ["x"]`. */
export interface PlainPart {
  kind: 'value';
  value: Value;
}

export type SelectPart = SelectorPart | PlainPart;

/**
 * An unresolved configurable value: the ordered parts of `select(...)`,
 * possibly combined with `+` (lists, strings) or `|` (dicts).
 */
export class Select {
  readonly parts: readonly SelectPart[];
  readonly op: '+' | '|';
  /** Where this value was made: the select() call or the combining operator. */
  readonly pos: Position;

  constructor(parts: readonly SelectPart[], op: '+' | '|', pos: Position) {
    this.parts = parts;
    this.op = op;
    this.pos = pos;
  }
}

export function isHasAttrs(v: Value): v is HasAttrs {
  return typeof v === 'object' && v !== null && typeof (v as HasAttrs).getAttr === 'function';
}

export function isCallable(v: Value): v is StarFunction | Builtin {
  return v instanceof StarFunction || v instanceof Builtin;
}

/** The Starlark type name of a value, as returned by `type(x)`. */
export function typeName(v: Value): string {
  if (v === null) return 'NoneType';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
      return 'int';
    case 'string':
      return 'string';
    default:
      break;
  }
  if (v instanceof StarList) return 'list';
  if (v instanceof StarTuple) return 'tuple';
  if (v instanceof StarDict) return 'dict';
  if (v instanceof StarFunction) return 'function';
  if (v instanceof Builtin) return 'builtin_function_or_method';
  if (v instanceof Select) return 'select';
  return v.typeName;
}

/** Starlark truth value. */
export function truthy(v: Value): boolean {
  if (v === null) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'number':
      return v !== 0;
    case 'string':
      return v.length > 0;
    default:
      break;
  }
  if (v instanceof StarList || v instanceof StarTuple) return v.elems.length > 0;
  if (v instanceof StarDict) return v.size > 0;
  return true;
}

const MAX_HASH_DEPTH = 1000;

/**
 * A string that identifies a hashable value for use as a dict key. Equal values
 * give equal keys; unhashable values (lists, dicts, ...) throw.
 */
export function hashKey(v: Value): string {
  return hashKeyAt(v, 0);
}

const MAX_HASH_KEY_LENGTH = 1_000_000;

function hashKeyAt(v: Value, depth: number): string {
  if (v === null) return 'N';
  switch (typeof v) {
    case 'boolean':
      return v ? 'T' : 'F';
    case 'number':
      return `i${v}`;
    case 'string':
      return `s${v}`;
    default:
      break;
  }
  if (v instanceof StarTuple) {
    if (depth > MAX_HASH_DEPTH) throw new BuiltinError('tuple is nested too deeply to hash');
    let out = `t${v.elems.length}`;
    for (const e of v.elems) {
      const k = hashKeyAt(e, depth + 1);
      out += `:${k.length}:${k}`;
      if (out.length > MAX_HASH_KEY_LENGTH) throw new BuiltinError('tuple is too large to hash');
    }
    return out;
  }
  if (isHasAttrs(v) && !(v instanceof Struct) && typeof v.hashKey === 'function') {
    return `h${v.typeName}:${v.hashKey()}`;
  }
  throw new BuiltinError(`unhashable type: "${typeName(v)}"`);
}

/** Throws if an int result left the safe integer range. */
export function checkInt(n: number): number {
  if (!Number.isSafeInteger(n)) throw new BuiltinError('integer overflow');
  return n === 0 ? 0 : n; // normalise -0
}
