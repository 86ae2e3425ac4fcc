// Deep freezing: values reachable from a finished module become immutable.

import { Select, StarDict, StarFunction, StarList, StarTuple, Struct, isHasAttrs } from './values.ts';
import type { Env, Value } from './values.ts';

/** Freezes `root` and everything reachable from it. Iterative, so deep values are fine. */
export function freeze(root: Value): void {
  const stack: Value[] = [root];
  const seenEnvs = new Set<Env>();
  while (stack.length > 0) {
    const v = stack.pop() as Value;
    if (v === null || typeof v !== 'object') continue;
    if (v instanceof StarList) {
      if (v.frozen) continue;
      v.frozen = true;
      for (const e of v.elems) stack.push(e);
    } else if (v instanceof StarTuple) {
      if (v.frozen) continue;
      v.frozen = true;
      for (const e of v.elems) stack.push(e);
    } else if (v instanceof StarDict) {
      if (v.frozen) continue;
      v.frozen = true;
      for (const [k, val] of v.entries()) stack.push(k, val);
    } else if (v instanceof Struct) {
      if (v.frozen) continue;
      v.frozen = true;
      for (const f of v.fields.values()) stack.push(f);
    } else if (v instanceof StarFunction) {
      if (v.frozen) continue;
      v.frozen = true;
      for (const d of v.defaults) if (d !== undefined) stack.push(d);
      // Free variables a closure captured are part of its value.
      for (let env = v.env; env !== null && !seenEnvs.has(env); env = env.parent) {
        seenEnvs.add(env);
        for (const s of env.slots) if (s !== undefined) stack.push(s);
      }
    } else if (v instanceof Select) {
      for (const part of v.parts) stack.push(part.kind === 'select' ? part.branches : part.value);
    } else if (isHasAttrs(v) && typeof v.freeze === 'function') {
      v.freeze();
    }
  }
}
