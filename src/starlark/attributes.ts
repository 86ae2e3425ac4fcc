// Attribute access `x.name`: methods of built-in types and fields of structs
// and host objects.

import { DICT_METHODS } from './dict_methods.ts';
import { BuiltinError } from './errors.ts';
import { LIST_METHODS } from './list_methods.ts';
import { STRING_METHODS } from './string_methods.ts';
import { Builtin, StarDict, StarList, isHasAttrs, typeName } from './values.ts';
import type { CallInfo, Value } from './values.ts';

function bind<T>(name: string, receiver: T, receiverType: string, method: (r: T, call: CallInfo) => Value): Builtin {
  const b = new Builtin(name, (call) => method(receiver, call));
  b.receiverType = receiverType;
  return b;
}

/** The attribute `name` of `x`, or undefined if it has none. */
export function getAttribute(x: Value, name: string): Value | undefined {
  if (typeof x === 'string') {
    if (!Object.hasOwn(STRING_METHODS, name)) return undefined;
    const method = STRING_METHODS[name];
    return bind(name, x, 'string', (s: string, call) => {
      call.thread.charge(s.length >> 5);
      return method(s, call);
    });
  }
  if (x instanceof StarList) {
    return Object.hasOwn(LIST_METHODS, name) ? bind(name, x, 'list', LIST_METHODS[name]) : undefined;
  }
  if (x instanceof StarDict) {
    return Object.hasOwn(DICT_METHODS, name) ? bind(name, x, 'dict', DICT_METHODS[name]) : undefined;
  }
  if (isHasAttrs(x)) return x.getAttr(name);
  return undefined;
}

/** Attribute names of `x`, sorted, as returned by `dir(x)`. */
export function attributeNames(x: Value): string[] {
  if (typeof x === 'string') return Object.keys(STRING_METHODS).sort();
  if (x instanceof StarList) return Object.keys(LIST_METHODS).sort();
  if (x instanceof StarDict) return Object.keys(DICT_METHODS).sort();
  if (isHasAttrs(x)) return [...x.attrNames()].sort();
  return [];
}

/** Like getAttribute, but a missing attribute is an error. */
export function requireAttribute(x: Value, name: string): Value {
  const v = getAttribute(x, name);
  if (v !== undefined) return v;
  let reason = `value of type "${typeName(x)}" has no field or method "${name}"`;
  if (isHasAttrs(x)) {
    const names = x.attrNames();
    if (names.length > 0 && names.length <= 30) reason += ` (available: ${[...names].sort().join(', ')})`;
  }
  throw new BuiltinError(reason);
}
