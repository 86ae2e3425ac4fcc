// Turning iterable values into element arrays.

import { BuiltinError } from './errors.ts';
import { StarDict, StarList, StarTuple, typeName } from './values.ts';
import type { Value } from './values.ts';

/**
 * The elements of an iterable (list, tuple, or dict keys). Strings are not
 * iterable in Starlark; use `s.elems()`. The returned array must not be mutated.
 */
export function elementsOf(v: Value, what = 'value'): readonly Value[] {
  if (v instanceof StarList || v instanceof StarTuple) return v.elems;
  if (v instanceof StarDict) return v.keys();
  throw new BuiltinError(`${what} of type "${typeName(v)}" is not iterable`);
}

/**
 * Runs `body` while marking a list or dict as being iterated, so that any
 * attempt to mutate it fails instead of looping forever.
 */
export function whileIterating<T>(v: Value, body: () => T): T {
  if (v instanceof StarList || v instanceof StarDict) {
    v.iterating++;
    try {
      return body();
    } finally {
      v.iterating--;
    }
  }
  return body();
}
