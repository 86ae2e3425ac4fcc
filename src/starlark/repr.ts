// Conversion of values to their Starlark string forms (repr and str).

import { BuiltinError } from './errors.ts';
import {
  Builtin, Select, StarDict, StarFunction, StarList, StarTuple, Struct, isHasAttrs,
} from './values.ts';
import type { Value } from './values.ts';

const MAX_PRINT_DEPTH = 1000;
const DEFAULT_MAX_LENGTH = 1 << 28;
const TRUNCATED = Symbol('truncated');

/** Quotes a string the way Starlark prints it: double quotes, escapes as needed. */
export function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const code = s.charCodeAt(i);
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return out + '"';
}

/** The Starlark representation of a value, e.g. `["a", 1]`. */
export function repr(v: Value, maxLength: number = DEFAULT_MAX_LENGTH): string {
  const p = new Printer(maxLength);
  p.print(v, 0);
  return p.result();
}

/** A repr for error messages: cut short after about `limit` characters. */
export function shortRepr(v: Value, limit = 100): string {
  const p = new Printer(limit, true);
  try {
    p.print(v, 0);
  } catch (e) {
    if (e !== TRUNCATED) throw e;
    return `${p.result().slice(0, limit)}...`;
  }
  return p.result();
}

/** Like repr, but strings are returned as-is (what `str(x)` returns). */
export function str(v: Value, maxLength: number = DEFAULT_MAX_LENGTH): string {
  if (typeof v === 'string') return v;
  if (isHasAttrs(v) && typeof v.str === 'function') return v.str();
  return repr(v, maxLength);
}

class Printer {
  private readonly parts: string[] = [];
  private length = 0;
  private readonly maxLength: number;
  private readonly truncate: boolean;
  /** Containers currently being printed, to print cycles as `[...]`. */
  private readonly path = new Set<object>();

  constructor(maxLength: number, truncate = false) {
    this.maxLength = maxLength;
    this.truncate = truncate;
  }

  result(): string {
    return this.parts.join('');
  }

  private write(s: string): void {
    this.length += s.length;
    if (this.length > this.maxLength) {
      if (this.truncate) {
        this.parts.push(s);
        throw TRUNCATED;
      }
      throw new BuiltinError(`string length exceeds the limit of ${this.maxLength}`);
    }
    this.parts.push(s);
  }

  print(v: Value, depth: number): void {
    if (v === null) return this.write('None');
    switch (typeof v) {
      case 'boolean':
        return this.write(v ? 'True' : 'False');
      case 'number':
        return this.write(String(v));
      case 'string':
        return this.write(quote(v));
      default:
        break;
    }
    if (depth > MAX_PRINT_DEPTH) throw new BuiltinError('value is nested too deeply to print');
    if (v instanceof StarList) return this.printSequence(v, v.elems, '[', ']', depth);
    if (v instanceof StarTuple) {
      if (v.elems.length === 1) {
        this.write('(');
        this.print(v.elems[0], depth + 1);
        return this.write(',)');
      }
      return this.printSequence(v, v.elems, '(', ')', depth);
    }
    if (v instanceof StarDict) return this.printDict(v, depth);
    if (v instanceof StarFunction) return this.write(`<function ${v.name}>`);
    if (v instanceof Builtin) {
      return this.write(v.receiverType === null
        ? `<built-in function ${v.name}>`
        : `<built-in method ${v.name} of ${v.receiverType} value>`);
    }
    if (v instanceof Struct) return this.printStruct(v, depth);
    if (v instanceof Select) return this.printSelect(v, depth);
    if (isHasAttrs(v)) return this.write(typeof v.repr === 'function' ? v.repr() : `<${v.typeName}>`);
  }

  private printSequence(owner: object, elems: readonly Value[], open: string, close: string, depth: number): void {
    if (this.path.has(owner)) return this.write(`${open}...${close}`);
    this.path.add(owner);
    this.write(open);
    elems.forEach((e, i) => {
      if (i > 0) this.write(', ');
      this.print(e, depth + 1);
    });
    this.write(close);
    this.path.delete(owner);
  }

  private printDict(d: StarDict, depth: number): void {
    if (this.path.has(d)) return this.write('{...}');
    this.path.add(d);
    this.write('{');
    d.entries().forEach(([k, val], i) => {
      if (i > 0) this.write(', ');
      this.print(k, depth + 1);
      this.write(': ');
      this.print(val, depth + 1);
    });
    this.write('}');
    this.path.delete(d);
  }

  private printStruct(s: Struct, depth: number): void {
    this.write(`${s.typeName}(`);
    s.attrNames().forEach((name, i) => {
      if (i > 0) this.write(', ');
      this.write(`${name} = `);
      this.print(s.fields.get(name) ?? null, depth + 1);
    });
    this.write(')');
  }

  private printSelect(s: Select, depth: number): void {
    s.parts.forEach((part, i) => {
      if (i > 0) this.write(` ${s.op} `);
      if (part.kind === 'value') return this.print(part.value, depth + 1);
      this.write('select(');
      this.print(part.branches, depth + 1);
      if (part.noMatchError !== null) this.write(`, no_match_error = ${quote(part.noMatchError)}`);
      this.write(')');
    });
  }
}
