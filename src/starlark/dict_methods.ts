// Methods of dict values, e.g. kwargs.pop("visibility", None).

import { unpackArgs } from './args.ts';
import { BuiltinError } from './errors.ts';
import { shortRepr } from './repr.ts';
import { StarDict, StarList, StarTuple, typeName } from './values.ts';
import type { CallInfo, Value } from './values.ts';
import type { Thread } from './thread.ts';

type DictMethod = (dict: StarDict, call: CallInfo) => Value;

/**
 * Adds entries from a dict or an iterable of pairs, then from keyword
 * arguments; shared by `dict(...)` and `dict.update(...)`.
 */
export function updateDict(dict: StarDict, source: Value | undefined, kwargs: ReadonlyMap<string, Value>, what: string, thread: Thread): void {
  if (source !== undefined) {
    if (source instanceof StarDict) {
      for (const [k, v] of source.entries()) dict.set(k, v);
    } else if (source instanceof StarList || source instanceof StarTuple) {
      source.elems.forEach((pair, i) => {
        if (!(pair instanceof StarList || pair instanceof StarTuple) || pair.elems.length !== 2) {
          const got = pair instanceof StarList || pair instanceof StarTuple
            ? `${typeName(pair)} of length ${pair.elems.length}`
            : `"${typeName(pair)}"`;
          throw new BuiltinError(`${what}: element ${i} is ${got}, want a pair`);
        }
        dict.set(pair.elems[0], pair.elems[1]);
      });
    } else {
      throw new BuiltinError(`${what}: got value of type "${typeName(source)}", want a dict or an iterable of pairs`);
    }
  }
  for (const [k, v] of kwargs) dict.set(k, v);
  thread.checkCollectionLength(dict.size);
}

export const DICT_METHODS: Readonly<Record<string, DictMethod>> = {
  clear(dict, call) {
    unpackArgs(call, []);
    dict.clear();
    return null;
  },
  get(dict, call) {
    const a = unpackArgs(call, ['key', 'default?']);
    const v = dict.get(a.key ?? null);
    return v !== undefined ? v : (a.default ?? null);
  },
  items(dict, call) {
    unpackArgs(call, []);
    return new StarList(dict.entries().map(([k, v]) => new StarTuple([k, v])));
  },
  keys(dict, call) {
    unpackArgs(call, []);
    return new StarList(dict.keys());
  },
  pop(dict, call) {
    const a = unpackArgs(call, ['key', 'default?']);
    const key = a.key ?? null;
    if (!dict.has(key)) {
      if (a.default !== undefined) return a.default;
      throw new BuiltinError(`pop: missing key ${shortRepr(key)}`);
    }
    return dict.delete(key) ?? null;
  },
  popitem(dict, call) {
    unpackArgs(call, []);
    const first = dict.entries()[0];
    if (first === undefined) throw new BuiltinError('popitem: empty dict');
    dict.delete(first[0]);
    return new StarTuple(first);
  },
  setdefault(dict, call) {
    const a = unpackArgs(call, ['key', 'default?']);
    const key = a.key ?? null;
    const existing = dict.get(key);
    if (existing !== undefined) return existing;
    const value = a.default ?? null;
    dict.set(key, value);
    call.thread.checkCollectionLength(dict.size);
    return value;
  },
  update(dict, call) {
    const a = unpackArgs(call, ['pairs?', '**kwargs']);
    dict.checkMutable();
    const extra = a.kwargs instanceof StarDict ? a.kwargs.entries() : [];
    updateDict(dict, a.pairs, new Map(extra as [string, Value][]), 'update', call.thread);
    return null;
  },
  values(dict, call) {
    unpackArgs(call, []);
    return new StarList(dict.values());
  },
};
