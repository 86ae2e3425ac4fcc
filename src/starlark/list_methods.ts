// Methods of list values, e.g. srcs.append("a.go").

import { expectInt, unpackArgs } from './args.ts';
import { equals } from './equality.ts';
import { BuiltinError } from './errors.ts';
import { elementsOf } from './iteration.ts';
import { sliceIndices } from './operators.ts';
import { StarList } from './values.ts';
import type { CallInfo, Value } from './values.ts';

type ListMethod = (list: StarList, call: CallInfo) => Value;

export const LIST_METHODS: Readonly<Record<string, ListMethod>> = {
  append(list, call) {
    const a = unpackArgs(call, ['x']);
    list.checkMutable();
    call.thread.checkCollectionLength(list.elems.length + 1);
    list.elems.push(a.x ?? null);
    return null;
  },
  clear(list, call) {
    unpackArgs(call, []);
    list.checkMutable();
    list.elems.length = 0;
    return null;
  },
  extend(list, call) {
    const a = unpackArgs(call, ['x']);
    list.checkMutable();
    // Copy first: the argument may be this list itself.
    const items = elementsOf(a.x ?? null, 'extend() argument').slice();
    call.thread.checkCollectionLength(list.elems.length + items.length);
    call.thread.charge(items.length >> 3);
    for (const item of items) list.elems.push(item);
    return null;
  },
  index(list, call) {
    const a = unpackArgs(call, ['x', 'start?', 'end?']);
    const r = sliceIndices(list.elems.length, a.start ?? null, a.end ?? null, null);
    for (let i = r.start; i < r.stop; i++) {
      if (equals(list.elems[i], a.x ?? null)) return i;
    }
    throw new BuiltinError('index: value not in list');
  },
  insert(list, call) {
    const a = unpackArgs(call, ['index', 'x']);
    let i = expectInt(a.index ?? null, 'insert() argument "index"');
    list.checkMutable();
    call.thread.checkCollectionLength(list.elems.length + 1);
    const n = list.elems.length;
    if (i < 0) i += n;
    i = Math.min(Math.max(i, 0), n);
    list.elems.splice(i, 0, a.x ?? null);
    return null;
  },
  pop(list, call) {
    const a = unpackArgs(call, ['i?']);
    const n = list.elems.length;
    let i = a.i === undefined || a.i === null ? -1 : expectInt(a.i, 'pop() argument "i"');
    if (i < 0) i += n;
    if (i < 0 || i >= n) {
      throw new BuiltinError(n === 0 ? 'pop: list is empty' : `pop: index ${a.i ?? -1} out of range for list of length ${n}`);
    }
    list.checkMutable();
    return list.elems.splice(i, 1)[0];
  },
  remove(list, call) {
    const a = unpackArgs(call, ['x']);
    const i = list.elems.findIndex((e) => equals(e, a.x ?? null));
    if (i < 0) throw new BuiltinError('remove: element not found');
    list.checkMutable();
    list.elems.splice(i, 1);
    return null;
  },
};
