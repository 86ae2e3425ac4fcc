// String formatting: `fmt % args` and `fmt.format(...)`.

import { BuiltinError } from './errors.ts';
import { repr, str } from './repr.ts';
import type { Thread } from './thread.ts';
import { StarDict, StarTuple, typeName } from './values.ts';
import type { Value } from './values.ts';

function formatInt(v: Value, conv: string): string {
  if (typeof v !== 'number') {
    throw new BuiltinError(`%${conv} format requires an int, not "${typeName(v)}"`);
  }
  const radix = conv === 'o' ? 8 : conv === 'x' || conv === 'X' ? 16 : 10;
  const s = Math.abs(v).toString(radix);
  return (v < 0 ? '-' : '') + (conv === 'X' ? s.toUpperCase() : s);
}

/** Implements `fmt % arg` with %s %r %d %i %o %x %X %c and %%. */
export function percentFormat(fmt: string, arg: Value, thread: Thread): string {
  const max = thread.limits.maxStringLength;
  thread.charge(fmt.length >> 5);
  const usesMapping = /%\(/.test(fmt);
  let mapping: StarDict | null = null;
  let args: readonly Value[];
  if (usesMapping) {
    if (!(arg instanceof StarDict)) {
      throw new BuiltinError(`format requires a mapping, not "${typeName(arg)}"`);
    }
    mapping = arg;
    args = [];
  } else {
    args = arg instanceof StarTuple ? arg.elems : [arg];
  }
  let next = 0;
  let out = '';
  let i = 0;
  while (i < fmt.length) {
    const pct = fmt.indexOf('%', i);
    if (pct < 0) {
      out += fmt.slice(i);
      break;
    }
    out += fmt.slice(i, pct);
    i = pct + 1;
    if (i >= fmt.length) throw new BuiltinError('incomplete format');
    let value: Value | undefined;
    if (fmt[i] === '%') {
      out += '%';
      i++;
      continue;
    }
    if (fmt[i] === '(') {
      const close = fmt.indexOf(')', i);
      if (close < 0) throw new BuiltinError('incomplete format key');
      const key = fmt.slice(i + 1, close);
      value = mapping?.get(key);
      if (value === undefined) throw new BuiltinError(`format: key ${JSON.stringify(key)} not found`);
      i = close + 1;
      if (i >= fmt.length) throw new BuiltinError('incomplete format');
    } else {
      if (mapping !== null) throw new BuiltinError('format requires a mapping key for every conversion');
      if (next >= args.length) throw new BuiltinError('not enough arguments for format string');
      value = args[next++];
    }
    const conv = fmt[i++];
    switch (conv) {
      case 's':
        out += str(value, max);
        break;
      case 'r':
        out += repr(value, max);
        break;
      case 'd':
      case 'i':
      case 'o':
      case 'x':
      case 'X':
        out += formatInt(value, conv);
        break;
      case 'c':
        if (typeof value === 'number') {
          if (value < 0 || value > 0x10ffff) throw new BuiltinError(`%c argument ${value} is not a valid code point`);
          out += String.fromCodePoint(value);
        } else if (typeof value === 'string' && [...value].length === 1) {
          out += value;
        } else {
          throw new BuiltinError(`%c requires an int or a single-character string, not "${typeName(value)}"`);
        }
        break;
      default:
        throw new BuiltinError(`unsupported format character ${JSON.stringify(conv)}`);
    }
    thread.checkStringLength(out.length);
  }
  if (mapping === null && next < args.length) throw new BuiltinError('too many arguments for format string');
  return out;
}

/** Implements `fmt.format(*args, **kwargs)` with {}, {0}, {name}, {!r}/{!s} and {{ }}. */
export function strFormat(fmt: string, args: readonly Value[], kwargs: ReadonlyMap<string, Value>, thread: Thread): string {
  const max = thread.limits.maxStringLength;
  thread.charge(fmt.length >> 5);
  let out = '';
  let auto: boolean | null = null;
  let nextIndex = 0;
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i];
    if (c === '}') {
      if (fmt[i + 1] === '}') {
        out += '}';
        i += 2;
        continue;
      }
      throw new BuiltinError("format: single '}' in format string");
    }
    if (c !== '{') {
      out += c;
      i++;
      continue;
    }
    if (fmt[i + 1] === '{') {
      out += '{';
      i += 2;
      continue;
    }
    const close = fmt.indexOf('}', i);
    if (close < 0) throw new BuiltinError("format: unmatched '{' in format string");
    let field = fmt.slice(i + 1, close);
    i = close + 1;
    if (field.includes('{')) throw new BuiltinError('format: nested replacement fields are not supported');
    if (field.includes(':')) throw new BuiltinError('format: format specifications are not supported');
    let conversion = 's';
    const bang = field.indexOf('!');
    if (bang >= 0) {
      conversion = field.slice(bang + 1);
      field = field.slice(0, bang);
      if (conversion !== 's' && conversion !== 'r') {
        throw new BuiltinError(`format: unknown conversion "!${conversion}"`);
      }
    }
    let value: Value | undefined;
    if (field === '') {
      if (auto === false) {
        throw new BuiltinError('format: cannot switch from manual field numbering to automatic field numbering');
      }
      auto = true;
      if (nextIndex >= args.length) throw new BuiltinError(`format: index ${nextIndex} out of range`);
      value = args[nextIndex++];
    } else if (/^[0-9]+$/.test(field)) {
      if (auto === true) {
        throw new BuiltinError('format: cannot switch from automatic field numbering to manual field numbering');
      }
      auto = false;
      const n = Number(field);
      if (n >= args.length) throw new BuiltinError(`format: index ${n} out of range`);
      value = args[n];
    } else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) {
      value = kwargs.get(field);
      if (value === undefined) throw new BuiltinError(`format: keyword "${field}" not found`);
    } else {
      throw new BuiltinError(`format: unsupported field name ${JSON.stringify(field)}`);
    }
    out += conversion === 'r' ? repr(value, max) : str(value, max);
    thread.checkStringLength(out.length);
  }
  return out;
}
