// Methods of string values, e.g. "a,b".split(",").

import { expectBool, expectInt, expectString, unpackArgs } from './args.ts';
import { BuiltinError } from './errors.ts';
import { elementsOf } from './iteration.ts';
import { strFormat } from './format.ts';
import { sliceIndices } from './operators.ts';
import { StarList, StarTuple, typeName } from './values.ts';
import type { CallInfo, Value } from './values.ts';

type StringMethod = (s: string, call: CallInfo) => Value;

const WHITESPACE = /\s/;

/** Resolves optional start/end arguments into a [start, end) range. */
function range(s: string, start: Value | undefined, end: Value | undefined): [number, number] {
  const r = sliceIndices(s.length, start ?? null, end ?? null, null);
  return [r.start, Math.max(r.start, r.stop)];
}

function stripChars(s: string, chars: Value | undefined, left: boolean, right: boolean, name: string): string {
  const strip = chars === undefined || chars === null
    ? (c: string) => WHITESPACE.test(c)
    : ((set: string) => (c: string) => set.includes(c))(expectString(chars, `${name}() argument "chars"`));
  let a = 0;
  let b = s.length;
  if (left) while (a < b && strip(s[a])) a++;
  if (right) while (b > a && strip(s[b - 1])) b--;
  return s.slice(a, b);
}

function prefixes(v: Value, name: string): string[] {
  if (typeof v === 'string') return [v];
  if (v instanceof StarTuple) {
    return v.elems.map((e) => expectString(e, `${name}() tuple element`));
  }
  throw new BuiltinError(`${name}() argument must be a string or a tuple of strings, not "${typeName(v)}"`);
}

function splitWhitespace(s: string, maxsplit: number, fromRight: boolean): string[] {
  const words: string[] = [];
  if (!fromRight) {
    let i = 0;
    for (;;) {
      while (i < s.length && WHITESPACE.test(s[i])) i++;
      if (i >= s.length) break;
      if (maxsplit >= 0 && words.length === maxsplit) {
        words.push(s.slice(i));
        break;
      }
      const start = i;
      while (i < s.length && !WHITESPACE.test(s[i])) i++;
      words.push(s.slice(start, i));
    }
    return words;
  }
  let j = s.length;
  for (;;) {
    while (j > 0 && WHITESPACE.test(s[j - 1])) j--;
    if (j <= 0) break;
    if (maxsplit >= 0 && words.length === maxsplit) {
      words.push(s.slice(0, j));
      break;
    }
    const end = j;
    while (j > 0 && !WHITESPACE.test(s[j - 1])) j--;
    words.push(s.slice(j, end));
  }
  return words.reverse();
}

function split(s: string, call: CallInfo, fromRight: boolean): Value {
  const a = unpackArgs(call, ['sep?', 'maxsplit?']);
  const maxsplit = a.maxsplit === undefined || a.maxsplit === null ? -1 : expectInt(a.maxsplit, `${call.name}() argument "maxsplit"`);
  let parts: string[];
  if (a.sep === undefined || a.sep === null) {
    parts = splitWhitespace(s, maxsplit, fromRight);
  } else {
    const sep = expectString(a.sep, `${call.name}() argument "sep"`);
    if (sep === '') throw new BuiltinError(`${call.name}: empty separator`);
    if (maxsplit < 0) {
      parts = s.split(sep);
    } else if (!fromRight) {
      parts = [];
      let rest = s;
      while (parts.length < maxsplit) {
        const i = rest.indexOf(sep);
        if (i < 0) break;
        parts.push(rest.slice(0, i));
        rest = rest.slice(i + sep.length);
      }
      parts.push(rest);
    } else {
      parts = [];
      let rest = s;
      while (parts.length < maxsplit) {
        const i = rest.lastIndexOf(sep);
        if (i < 0) break;
        parts.push(rest.slice(i + sep.length));
        rest = rest.slice(0, i);
      }
      parts.push(rest);
      parts.reverse();
    }
  }
  call.thread.checkCollectionLength(parts.length);
  return new StarList(parts);
}

function find(s: string, call: CallInfo, fromRight: boolean, mustFind: boolean): Value {
  const a = unpackArgs(call, ['sub', 'start?', 'end?']);
  const sub = expectString(a.sub ?? null, `${call.name}() argument "sub"`);
  const [start, end] = range(s, a.start, a.end);
  const region = s.slice(start, end);
  const i = fromRight ? region.lastIndexOf(sub) : region.indexOf(sub);
  if (i < 0) {
    if (mustFind) throw new BuiltinError(`${call.name}: substring not found`);
    return -1;
  }
  return i + start;
}

function partition(s: string, call: CallInfo, fromRight: boolean): Value {
  const a = unpackArgs(call, ['sep']);
  const sep = expectString(a.sep ?? null, `${call.name}() argument "sep"`);
  if (sep === '') throw new BuiltinError(`${call.name}: empty separator`);
  const i = fromRight ? s.lastIndexOf(sep) : s.indexOf(sep);
  if (i < 0) return fromRight ? new StarTuple(['', '', s]) : new StarTuple([s, '', '']);
  return new StarTuple([s.slice(0, i), sep, s.slice(i + sep.length)]);
}

function test(s: string, call: CallInfo, pattern: RegExp): Value {
  unpackArgs(call, []);
  return s.length > 0 && pattern.test(s);
}

function hasCased(s: string, upper: boolean): boolean {
  let cased = false;
  for (const c of s) {
    const isUpper = c !== c.toLowerCase();
    const isLower = c !== c.toUpperCase();
    if (upper ? isLower : isUpper) return false;
    if (isUpper || isLower) cased = true;
  }
  return cased;
}

export const STRING_METHODS: Readonly<Record<string, StringMethod>> = {
  capitalize(s, call) {
    unpackArgs(call, []);
    return s.length === 0 ? s : s[0].toUpperCase() + s.slice(1).toLowerCase();
  },
  count(s, call) {
    const a = unpackArgs(call, ['sub', 'start?', 'end?']);
    const sub = expectString(a.sub ?? null, 'count() argument "sub"');
    const [start, end] = range(s, a.start, a.end);
    const region = s.slice(start, end);
    if (sub === '') return region.length + 1;
    return region.split(sub).length - 1;
  },
  elems(s, call) {
    unpackArgs(call, []);
    call.thread.checkCollectionLength(s.length);
    return new StarList(s.split(''));
  },
  endswith(s, call) {
    const a = unpackArgs(call, ['suffix', 'start?', 'end?']);
    const [start, end] = range(s, a.start, a.end);
    const region = s.slice(start, end);
    return prefixes(a.suffix ?? null, 'endswith').some((p) => region.endsWith(p));
  },
  find: (s, call) => find(s, call, false, false),
  format(s, call) {
    return strFormat(s, call.args, call.kwargs, call.thread);
  },
  index: (s, call) => find(s, call, false, true),
  isalnum: (s, call) => test(s, call, /^[\p{L}\p{N}]+$/u),
  isalpha: (s, call) => test(s, call, /^\p{L}+$/u),
  isdigit: (s, call) => test(s, call, /^\p{Nd}+$/u),
  islower(s, call) {
    unpackArgs(call, []);
    return hasCased(s, false);
  },
  isspace: (s, call) => test(s, call, /^\s+$/),
  istitle(s, call) {
    unpackArgs(call, []);
    let cased = false;
    let prevCased = false;
    for (const c of s) {
      const isUpper = c !== c.toLowerCase();
      const isLower = c !== c.toUpperCase();
      if (isUpper) {
        if (prevCased) return false;
        cased = true;
        prevCased = true;
      } else if (isLower) {
        if (!prevCased) return false;
        prevCased = true;
      } else {
        prevCased = false;
      }
    }
    return cased;
  },
  isupper(s, call) {
    unpackArgs(call, []);
    return hasCased(s, true);
  },
  join(s, call) {
    const a = unpackArgs(call, ['elements']);
    const elems = elementsOf(a.elements ?? null, 'join() argument');
    let total = 0;
    const parts = elems.map((e, i) => {
      if (typeof e !== 'string') {
        throw new BuiltinError(`join: element ${i} has type "${typeName(e)}", want "string"`);
      }
      total += e.length + s.length;
      return e;
    });
    call.thread.checkStringLength(total);
    call.thread.charge(total >> 5);
    return parts.join(s);
  },
  lower(s, call) {
    unpackArgs(call, []);
    return s.toLowerCase();
  },
  lstrip(s, call) {
    const a = unpackArgs(call, ['chars?']);
    return stripChars(s, a.chars, true, false, 'lstrip');
  },
  partition: (s, call) => partition(s, call, false),
  removeprefix(s, call) {
    const a = unpackArgs(call, ['prefix']);
    const prefix = expectString(a.prefix ?? null, 'removeprefix() argument "prefix"');
    return s.startsWith(prefix) ? s.slice(prefix.length) : s;
  },
  removesuffix(s, call) {
    const a = unpackArgs(call, ['suffix']);
    const suffix = expectString(a.suffix ?? null, 'removesuffix() argument "suffix"');
    return suffix !== '' && s.endsWith(suffix) ? s.slice(0, s.length - suffix.length) : s;
  },
  replace(s, call) {
    const a = unpackArgs(call, ['old', 'new', 'count?']);
    const oldText = expectString(a.old ?? null, 'replace() argument "old"');
    const newText = expectString(a.new ?? null, 'replace() argument "new"');
    const count = a.count === undefined || a.count === null ? -1 : expectInt(a.count, 'replace() argument "count"');
    const pieces = oldText === '' ? ['', ...s.split(''), ''] : s.split(oldText);
    const n = pieces.length - 1;
    const replaced = count < 0 ? n : Math.min(count, n);
    call.thread.checkStringLength(s.length + replaced * (newText.length - oldText.length));
    call.thread.charge(s.length >> 5);
    if (replaced === n) return pieces.join(newText);
    return pieces.slice(0, replaced + 1).join(newText) + oldText + pieces.slice(replaced + 1).join(oldText);
  },
  rfind: (s, call) => find(s, call, true, false),
  rindex: (s, call) => find(s, call, true, true),
  rpartition: (s, call) => partition(s, call, true),
  rsplit: (s, call) => split(s, call, true),
  rstrip(s, call) {
    const a = unpackArgs(call, ['chars?']);
    return stripChars(s, a.chars, false, true, 'rstrip');
  },
  split: (s, call) => split(s, call, false),
  splitlines(s, call) {
    const a = unpackArgs(call, ['keepends?']);
    const keep = a.keepends === undefined ? false : expectBool(a.keepends, 'splitlines() argument "keepends"');
    const lines: string[] = [];
    let start = 0;
    let i = 0;
    while (i < s.length) {
      const c = s[i];
      if (c === '\n' || c === '\r') {
        const end = c === '\r' && s[i + 1] === '\n' ? i + 2 : i + 1;
        lines.push(s.slice(start, keep ? end : i));
        start = end;
        i = end;
      } else {
        i++;
      }
    }
    if (start < s.length) lines.push(s.slice(start));
    call.thread.checkCollectionLength(lines.length);
    return new StarList(lines);
  },
  startswith(s, call) {
    const a = unpackArgs(call, ['prefix', 'start?', 'end?']);
    const [start, end] = range(s, a.start, a.end);
    const region = s.slice(start, end);
    return prefixes(a.prefix ?? null, 'startswith').some((p) => region.startsWith(p));
  },
  strip(s, call) {
    const a = unpackArgs(call, ['chars?']);
    return stripChars(s, a.chars, true, true, 'strip');
  },
  title(s, call) {
    unpackArgs(call, []);
    let out = '';
    let prevLetter = false;
    for (const c of s) {
      const letter = c.toLowerCase() !== c.toUpperCase();
      out += letter ? (prevLetter ? c.toLowerCase() : c.toUpperCase()) : c;
      prevLetter = letter;
    }
    return out;
  },
  upper(s, call) {
    unpackArgs(call, []);
    return s.toUpperCase();
  },
};
