import {
  BuiltinError,
  Select,
  StarDict,
  StarList,
  StarTuple,
  typeName,
  type CallInfo,
  type Value,
} from '../starlark/index.ts';
import { LabelValue } from './label_value.ts';

/** Attribute values after select() resolution, as plain data (what rules read). */
export type Plain = null | boolean | number | string | Plain[] | PlainDict;
export class PlainDict {
  readonly entries: Array<[string, Plain]>;
  constructor(entries: Array<[string, Plain]>) {
    this.entries = entries;
  }
}

/** A resolved attribute value as plain data (lists, string-keyed dicts, scalars). */
export function toPlain(v: Value, what: string): Plain {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (v instanceof StarList || v instanceof StarTuple) return v.elems.map((e) => toPlain(e, what));
  if (v instanceof StarDict) {
    return new PlainDict(
      v.entries().map(([k, val]) => {
        if (typeof k !== 'string') throw new BuiltinError(`${what}: dict keys must be strings, got ${typeName(k)}`);
        return [k, toPlain(val, what)];
      }),
    );
  }
  if (v instanceof Select) throw new BuiltinError(`${what}: unresolved select()`);
  // Label objects stand for their string form.
  if (v instanceof LabelValue) return v.str();
  throw new BuiltinError(`${what}: a ${typeName(v)} cannot be an attribute value`);
}

export function fromStringList(items: string[]): StarList {
  return new StarList([...items]);
}

export function kwargString(call: CallInfo, name: string): string {
  const v = call.kwargs.get(name);
  if (v === undefined) throw new BuiltinError(`${call.name}() missing mandatory argument "${name}"`);
  if (typeof v !== 'string') throw new BuiltinError(`${call.name}(): "${name}" must be a string, got ${typeName(v)}`);
  return v;
}

/** A list-of-strings argument given by keyword or at position `index`. */
export function stringListArg(call: CallInfo, name: string, index: number): string[] | undefined {
  const v = call.kwargs.get(name) ?? call.args[index];
  if (v === undefined || v === null) return undefined;
  if (!(v instanceof StarList || v instanceof StarTuple)) {
    throw new BuiltinError(`${call.name}(): "${name}" must be a list of strings, got ${typeName(v)}`);
  }
  return v.elems.map((e) => {
    if (typeof e !== 'string') throw new BuiltinError(`${call.name}(): "${name}" must be a list of strings, got an element of type ${typeName(e)}`);
    return e;
  });
}
