// Tree-walking evaluator for resolved syntax trees.

import { requireAttribute } from './attributes.ts';
import { BuiltinError, StarlarkError } from './errors.ts';
import type { Position } from './errors.ts';
import type { AssignOp, BinaryOp, Call, CompClause, Comprehension, Expr, FunctionCode, Ident, Load, Module, Stmt } from './ast.ts';
import { freeze } from './freeze.ts';
import { elementsOf } from './iteration.ts';
import { binaryOp, getIndex, setAttribute, setIndex, slice, unaryOp } from './operators.ts';
import { combineSelect } from './select.ts';
import type { Thread } from './thread.ts';
import {
  Builtin, Select, StarDict, StarFunction, StarList, StarTuple, truthy, typeName,
} from './values.ts';
import type { CallInfo, Env, ModuleContext, Value } from './values.ts';

/** The state of one executing function body (or the module's top level). */
interface Frame {
  readonly thread: Thread;
  readonly module: ModuleContext;
  readonly env: Env;
  returnValue: Value;
}

// Control-flow signals returned by statement execution.
const NORMAL = 0;
const BREAK = 1;
const CONTINUE = 2;
const RETURN = 3;
type Signal = typeof NORMAL | typeof BREAK | typeof CONTINUE | typeof RETURN;

function located(e: unknown, pos: Position, thread: Thread): unknown {
  if (e instanceof BuiltinError) return new StarlarkError(e.message, pos, thread.callStackAt(pos));
  return e;
}

/** Executes a resolved module's statements; globals accumulate in `module.globals`. */
export function execModule(mod: Module, module: ModuleContext, thread: Thread): void {
  const env: Env = { slots: new Array<Value | undefined>(mod.numSlots), parent: null };
  const fr: Frame = { thread, module, env, returnValue: null };
  execBlock(mod.stmts, fr);
}

function execBlock(stmts: readonly Stmt[], fr: Frame): Signal {
  for (let i = 0; i < stmts.length; i++) {
    const sig = execStmt(stmts[i], fr);
    if (sig !== NORMAL) return sig;
  }
  return NORMAL;
}

function execStmt(s: Stmt, fr: Frame): Signal {
  fr.thread.pos = s.pos;
  switch (s.kind) {
    case 'ExprStmt':
      evalExpr(s.expr, fr);
      return NORMAL;
    case 'Assign':
      if (s.op === '=') {
        assign(s.target, evalExpr(s.value, fr), fr);
      } else {
        augmentedAssign(s.op, s.target, s.value, s.pos, fr);
      }
      return NORMAL;
    case 'If':
      for (const b of s.branches) {
        if (truthy(evalExpr(b.cond, fr))) return execBlock(b.body, fr);
      }
      return s.orElse === null ? NORMAL : execBlock(s.orElse, fr);
    case 'For':
      return execFor(s.vars, s.iterable, s.body, s.pos, fr);
    case 'Return':
      fr.returnValue = s.value === null ? null : evalExpr(s.value, fr);
      return RETURN;
    case 'Break':
      return BREAK;
    case 'Continue':
      return CONTINUE;
    case 'Pass':
      return NORMAL;
    case 'Def': {
      const fn = makeFunction(s.code as FunctionCode, fr);
      setVariable(s.name, fn, fr);
      return NORMAL;
    }
    case 'Load':
      execLoad(s, fr);
      return NORMAL;
  }
}

function execFor(vars: Expr, iterableExpr: Expr, body: readonly Stmt[], pos: Position, fr: Frame): Signal {
  const thread = fr.thread;
  const iterable = evalExpr(iterableExpr, fr);
  let elems: readonly Value[];
  try {
    elems = elementsOf(iterable);
  } catch (e) {
    throw located(e, iterableExpr.pos, thread);
  }
  const guarded = iterable instanceof StarList || iterable instanceof StarDict ? iterable : null;
  if (guarded !== null) guarded.iterating++;
  try {
    for (let i = 0; i < elems.length; i++) {
      if (++thread.steps > thread.limits.maxSteps) throw located(thread.stepsExceeded(), pos, thread);
      assign(vars, elems[i], fr);
      const sig = execBlock(body, fr);
      if (sig === BREAK) break;
      if (sig === RETURN) return RETURN;
    }
  } finally {
    if (guarded !== null) guarded.iterating--;
  }
  return NORMAL;
}

function execLoad(s: Load, fr: Frame): void {
  const thread = fr.thread;
  const load = fr.module.load;
  if (load === null) {
    throw new StarlarkError(`cannot load ${JSON.stringify(s.module)}: load() is not available here`, s.modulePos, thread.callStackAt(s.modulePos));
  }
  const exported = load(s.module, s.modulePos);
  for (const b of s.bindings) {
    if (b.name.startsWith('_')) {
      throw new StarlarkError(`symbol "${b.name}" is private and cannot be loaded`, b.pos);
    }
    const v = exported.get(b.name);
    if (v === undefined) {
      throw new StarlarkError(`file ${JSON.stringify(s.module)} does not contain symbol "${b.name}"`, b.pos);
    }
    freeze(v);
    setVariable(b.local, v, fr);
  }
}

function makeFunction(code: FunctionCode, fr: Frame): StarFunction {
  const defaults = code.defaults.map((d) => (d === null ? undefined : evalExpr(d, fr)));
  return new StarFunction(code, defaults, fr.env, fr.module);
}

// ---------------------------------------------------------------- variables

function envAt(fr: Frame, depth: number): Env {
  let env = fr.env;
  for (let i = 0; i < depth; i++) env = env.parent as Env;
  return env;
}

function lookup(id: Ident, fr: Frame): Value {
  const ref = id.ref;
  if (ref === null) throw new BuiltinError(`internal error: unresolved name "${id.name}"`);
  let v: Value | undefined;
  switch (ref.kind) {
    case 'local':
      v = fr.env.slots[ref.index];
      break;
    case 'free':
      v = envAt(fr, ref.depth).slots[ref.index];
      break;
    case 'global':
      v = fr.module.globals.get(ref.name);
      if (v === undefined) throw new BuiltinError(`global variable "${id.name}" referenced before assignment`);
      return v;
    case 'predeclared':
      v = fr.module.predeclared.get(ref.name);
      break;
    case 'universal':
      v = fr.module.universe.get(ref.name);
      break;
  }
  if (v === undefined) throw new BuiltinError(`local variable "${id.name}" referenced before assignment`);
  return v;
}

function setVariable(id: Ident, v: Value, fr: Frame): void {
  const ref = id.ref;
  if (ref === null) throw new BuiltinError(`internal error: unresolved name "${id.name}"`);
  switch (ref.kind) {
    case 'local':
      fr.env.slots[ref.index] = v;
      return;
    case 'free':
      envAt(fr, ref.depth).slots[ref.index] = v;
      return;
    case 'global':
      fr.module.globals.set(ref.name, v);
      return;
    default:
      throw new BuiltinError(`cannot assign to builtin "${id.name}"`);
  }
}

function assign(target: Expr, v: Value, fr: Frame): void {
  try {
    switch (target.kind) {
      case 'Ident':
        setVariable(target, v, fr);
        return;
      case 'Index':
        setIndex(evalExpr(target.object, fr), evalExpr(target.index, fr), v, fr.thread);
        return;
      case 'Dot':
        setAttribute(evalExpr(target.object, fr), target.name, v);
        return;
      case 'Tuple':
      case 'List': {
        const elems = elementsOf(v, 'value assigned to a tuple');
        const n = target.elems.length;
        if (elems.length !== n) {
          throw new BuiltinError(
            elems.length > n
              ? `too many values to unpack (got ${elems.length}, want ${n})`
              : `not enough values to unpack (got ${elems.length}, want ${n})`,
          );
        }
        for (let i = 0; i < n; i++) assign(target.elems[i], elems[i], fr);
        return;
      }
      default:
        throw new BuiltinError('invalid assignment target');
    }
  } catch (e) {
    throw located(e, target.pos, fr.thread);
  }
}

function augmentedAssign(op: AssignOp, target: Expr, valueExpr: Expr, pos: Position, fr: Frame): void {
  const binop = op.slice(0, -1) as BinaryOp;
  const thread = fr.thread;
  if (target.kind === 'Ident') {
    let old: Value;
    try {
      old = lookup(target, fr);
    } catch (e) {
      throw located(e, target.pos, thread);
    }
    const y = evalExpr(valueExpr, fr);
    const result = inPlaceOp(binop, old, y, pos, thread);
    if (result !== old) setVariable(target, result, fr);
    return;
  }
  if (target.kind === 'Index') {
    const obj = evalExpr(target.object, fr);
    const key = evalExpr(target.index, fr);
    try {
      const old = getIndex(obj, key);
      const y = evalExpr(valueExpr, fr);
      setIndex(obj, key, inPlaceOp(binop, old, y, pos, thread), thread);
    } catch (e) {
      throw located(e, pos, thread);
    }
    return;
  }
  if (target.kind === 'Dot') {
    const obj = evalExpr(target.object, fr);
    try {
      const old = requireAttribute(obj, target.name);
      const y = evalExpr(valueExpr, fr);
      setAttribute(obj, target.name, inPlaceOp(binop, old, y, pos, thread));
    } catch (e) {
      throw located(e, pos, thread);
    }
    return;
  }
  throw new StarlarkError('invalid augmented assignment target', target.pos, thread.callStackAt(target.pos));
}

/** `x op= y`: lists (+=) and dicts (|=) are updated in place, as in Python. */
function inPlaceOp(op: BinaryOp, x: Value, y: Value, pos: Position, thread: Thread): Value {
  try {
    if (op === '+' && x instanceof StarList && (y instanceof StarList || y instanceof StarTuple)) {
      x.checkMutable();
      thread.checkCollectionLength(x.elems.length + y.elems.length);
      thread.charge(y.elems.length >> 3);
      // Copy first: y may be x itself.
      for (const e of y.elems.slice()) x.elems.push(e);
      return x;
    }
    if (op === '|' && x instanceof StarDict && y instanceof StarDict) {
      x.checkMutable();
      for (const [k, v] of y.entries()) x.set(k, v);
      thread.checkCollectionLength(x.size);
      return x;
    }
    return applyBinary(op, x, y, pos, thread);
  } catch (e) {
    throw located(e, pos, thread);
  }
}

function applyBinary(op: BinaryOp, x: Value, y: Value, pos: Position, thread: Thread): Value {
  if ((op === '+' || op === '|') && (x instanceof Select || y instanceof Select)) {
    return combineSelect(op, x, y, pos, thread.limits.maxCollectionLength);
  }
  return binaryOp(op, x, y, thread);
}

// -------------------------------------------------------------- expressions

export function evalExpr(e: Expr, fr: Frame): Value {
  const thread = fr.thread;
  if (++thread.steps > thread.limits.maxSteps) throw located(thread.stepsExceeded(), e.pos, thread);
  try {
    switch (e.kind) {
      case 'Literal':
        return e.value;
      case 'Ident':
        return lookup(e, fr);
      case 'Binary': {
        const x = evalExpr(e.left, fr);
        if (e.op === 'and') return truthy(x) ? evalExpr(e.right, fr) : x;
        if (e.op === 'or') return truthy(x) ? x : evalExpr(e.right, fr);
        return applyBinary(e.op, x, evalExpr(e.right, fr), e.pos, thread);
      }
      case 'Unary':
        return unaryOp(e.op, evalExpr(e.operand, fr));
      case 'Call':
        return evalCall(e, fr);
      case 'Dot':
        return requireAttribute(evalExpr(e.object, fr), e.name);
      case 'Index':
        return getIndex(evalExpr(e.object, fr), evalExpr(e.index, fr));
      case 'Slice': {
        const x = evalExpr(e.object, fr);
        const lo = e.lo === null ? null : evalExpr(e.lo, fr);
        const hi = e.hi === null ? null : evalExpr(e.hi, fr);
        const step = e.step === null ? null : evalExpr(e.step, fr);
        return slice(x, lo, hi, step);
      }
      case 'List': {
        const out: Value[] = [];
        for (const x of e.elems) out.push(evalExpr(x, fr));
        return new StarList(out);
      }
      case 'Tuple': {
        const out: Value[] = [];
        for (const x of e.elems) out.push(evalExpr(x, fr));
        return new StarTuple(out);
      }
      case 'Dict': {
        const d = new StarDict();
        for (const entry of e.entries) {
          const k = evalExpr(entry.key, fr);
          const v = evalExpr(entry.value, fr);
          try {
            d.set(k, v);
          } catch (err) {
            throw located(err, entry.key.pos, thread);
          }
        }
        return d;
      }
      case 'Cond':
        return truthy(evalExpr(e.cond, fr)) ? evalExpr(e.then, fr) : evalExpr(e.orElse, fr);
      case 'Comprehension':
        return evalComprehension(e, fr);
      case 'Lambda':
        return makeFunction(e.code as FunctionCode, fr);
    }
  } catch (err) {
    throw located(err, e.pos, thread);
  }
}

function evalComprehension(e: Comprehension, fr: Frame): Value {
  const list: Value[] | null = e.body !== null ? [] : null;
  const dict: StarDict | null = e.entry !== null ? new StarDict() : null;
  const thread = fr.thread;
  const emit = (): void => {
    if (list !== null && e.body !== null) {
      list.push(evalExpr(e.body, fr));
      if (list.length > thread.limits.maxCollectionLength) thread.checkCollectionLength(list.length);
    } else if (dict !== null && e.entry !== null) {
      const k = evalExpr(e.entry.key, fr);
      const v = evalExpr(e.entry.value, fr);
      try {
        dict.set(k, v);
        thread.checkCollectionLength(dict.size);
      } catch (err) {
        throw located(err, e.entry.key.pos, thread);
      }
    }
  };
  const clause = (i: number): void => {
    if (i === e.clauses.length) return emit();
    const c: CompClause = e.clauses[i];
    if (c.kind === 'if') {
      if (truthy(evalExpr(c.cond, fr))) clause(i + 1);
      return;
    }
    const iterable = evalExpr(c.iterable, fr);
    let elems: readonly Value[];
    try {
      elems = elementsOf(iterable);
    } catch (err) {
      throw located(err, c.iterable.pos, thread);
    }
    const guarded = iterable instanceof StarList || iterable instanceof StarDict ? iterable : null;
    if (guarded !== null) guarded.iterating++;
    try {
      for (let j = 0; j < elems.length; j++) {
        if (++thread.steps > thread.limits.maxSteps) throw located(thread.stepsExceeded(), c.pos, thread);
        assign(c.vars, elems[j], fr);
        clause(i + 1);
      }
    } finally {
      if (guarded !== null) guarded.iterating--;
    }
  };
  clause(0);
  return list !== null ? new StarList(list) : (dict as StarDict);
}

function calleeName(fn: Value): string {
  if (fn instanceof StarFunction || fn instanceof Builtin) return fn.name;
  return typeName(fn);
}

function evalCall(e: Call, fr: Frame): Value {
  const fn = evalExpr(e.callee, fr);
  const args: Value[] = [];
  const kwargs = new Map<string, Value>();
  const thread = fr.thread;
  for (const a of e.args) {
    const v = evalExpr(a.value, fr);
    try {
      switch (a.kind) {
        case 'positional':
          args.push(v);
          break;
        case 'named': {
          kwargs.set(a.name as string, v);
          break;
        }
        case 'star':
          for (const x of elementsOf(v, 'argument after *')) args.push(x);
          thread.checkCollectionLength(args.length);
          break;
        case 'starstar':
          if (!(v instanceof StarDict)) {
            throw new BuiltinError(`argument after ** must be a dict, not "${typeName(v)}"`);
          }
          for (const [k, x] of v.entries()) {
            if (typeof k !== 'string') throw new BuiltinError(`keywords must be strings, not "${typeName(k)}"`);
            if (kwargs.has(k)) {
              throw new BuiltinError(`${calleeName(fn)}() got multiple values for keyword argument "${k}"`);
            }
            kwargs.set(k, x);
          }
          break;
      }
    } catch (err) {
      throw located(err, a.pos, thread);
    }
  }
  return callValue(thread, fn, args, kwargs, e.pos);
}

/** Calls a function value. Errors without a position are raised by the caller at `pos`. */
export function callValue(thread: Thread, fn: Value, args: Value[], kwargs: Map<string, Value>, pos: Position): Value {
  if (fn instanceof Builtin) {
    const call: CallInfo = { args, kwargs, pos, callStack: thread.callStackAt(pos), name: fn.name, thread };
    const result = fn.impl(call);
    return result === undefined ? null : result;
  }
  if (!(fn instanceof StarFunction)) {
    throw new BuiltinError(`value of type "${typeName(fn)}" is not callable`);
  }
  const code = fn.code;
  if (thread.frames.length >= thread.limits.maxCallDepth) {
    throw new BuiltinError(`call stack exceeded the maximum depth of ${thread.limits.maxCallDepth}`);
  }
  for (const f of thread.frames) {
    if (f.code === code) throw new BuiltinError(`function ${code.name} called recursively`);
  }
  const env: Env = { slots: bindArguments(fn, args, kwargs), parent: fn.env };
  const fr: Frame = { thread, module: fn.module, env, returnValue: null };
  thread.frames.push({ code, callPos: pos });
  try {
    if (code.body !== null) {
      execBlock(code.body, fr);
      return fr.returnValue;
    }
    return evalExpr(code.result as Expr, fr);
  } finally {
    thread.frames.pop();
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Binds call arguments to a function's parameter slots. */
function bindArguments(fn: StarFunction, args: Value[], kwargs: Map<string, Value>): (Value | undefined)[] {
  const code = fn.code;
  const name = `${code.name}()`;
  const slots = new Array<Value | undefined>(code.numSlots);
  const np = code.numPositional;
  const n = Math.min(args.length, np);
  for (let i = 0; i < n; i++) slots[i] = args[i];
  if (args.length > np) {
    if (code.varargsSlot < 0) {
      throw new BuiltinError(
        np === 0
          ? `${name} does not accept positional arguments, but got ${args.length}`
          : `${name} accepts no more than ${plural(np, 'positional argument')} but got ${args.length}`,
      );
    }
    slots[code.varargsSlot] = new StarTuple(args.slice(np));
  } else if (code.varargsSlot >= 0) {
    slots[code.varargsSlot] = new StarTuple([]);
  }
  const extra = code.kwargsSlot >= 0 ? new StarDict() : null;
  for (const [key, v] of kwargs) {
    const i = code.paramIndex.get(key);
    if (i === undefined) {
      if (extra === null) throw new BuiltinError(`${name} got unexpected keyword argument "${key}"`);
      extra.set(key, v);
      continue;
    }
    if (slots[i] !== undefined) throw new BuiltinError(`${name} got multiple values for parameter "${key}"`);
    slots[i] = v;
  }
  if (extra !== null) slots[code.kwargsSlot] = extra;
  const missing: string[] = [];
  for (let i = 0; i < code.paramNames.length; i++) {
    if (slots[i] !== undefined) continue;
    const d = fn.defaults[i];
    if (d !== undefined) slots[i] = d;
    else missing.push(`"${code.paramNames[i]}"`);
  }
  if (missing.length === 1) throw new BuiltinError(`${name} missing mandatory argument ${missing[0]}`);
  if (missing.length > 1) throw new BuiltinError(`${name} missing mandatory arguments ${missing.join(', ')}`);
  return slots;
}
