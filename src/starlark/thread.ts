// Per-evaluation state: resource limits, step accounting and the call stack.

import { BuiltinError, StarlarkError } from './errors.ts';
import type { Position } from './errors.ts';
import type { FunctionCode } from './ast.ts';
import { callValue } from './evaluator.ts';
import { StarFunction } from './values.ts';
import type { Value } from './values.ts';

export interface Limits {
  maxSteps: number;
  maxCallDepth: number;
  maxStringLength: number;
  maxCollectionLength: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxSteps: 5_000_000,
  maxCallDepth: 200,
  maxStringLength: 10_000_000,
  maxCollectionLength: 1_000_000,
};

/** An active Starlark function call. */
export interface CallFrame {
  code: FunctionCode;
  callPos: Position;
}

export interface ThreadOptions {
  limits?: Partial<Limits>;
  print?: (message: string, pos: Position) => void;
}

export class Thread {
  readonly limits: Limits;
  readonly print: ((message: string, pos: Position) => void) | null;
  steps = 0;
  readonly frames: CallFrame[] = [];
  /** Position of the statement being executed, for errors with no better location. */
  pos: Position | null = null;

  constructor(options: ThreadOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...stripUndefined(options.limits ?? {}) };
    this.print = options.print ?? null;
  }

  /** Accounts for `n` units of work, failing once the step budget is spent. */
  charge(n: number): void {
    this.steps += n;
    if (this.steps > this.limits.maxSteps) throw this.stepsExceeded();
  }

  stepsExceeded(): BuiltinError {
    return new BuiltinError(`evaluation exceeded ${this.limits.maxSteps} steps`);
  }

  checkStringLength(n: number): void {
    if (n > this.limits.maxStringLength) {
      throw new BuiltinError(`string length ${n} exceeds the limit of ${this.limits.maxStringLength}`);
    }
  }

  checkCollectionLength(n: number): void {
    if (n > this.limits.maxCollectionLength) {
      throw new BuiltinError(`collection length ${n} exceeds the limit of ${this.limits.maxCollectionLength}`);
    }
  }

  /** The call stack as seen from `pos`: outer call sites first, then `pos`. */
  callStackAt(pos: Position): Position[] {
    const stack = this.frames.map((f) => f.callPos);
    stack.push(pos);
    return stack;
  }

  /**
   * Calls a Starlark or builtin function from host code. Errors in binding the
   * arguments are reported at `pos`, by default the function's definition.
   */
  call(fn: Value, args: Value[] = [], kwargs: Map<string, Value> = new Map(), pos?: Position): Value {
    const at = pos ?? (fn instanceof StarFunction ? fn.pos : { file: '<host>', line: 1, column: 1 });
    try {
      return callValue(this, fn, args, kwargs, at);
    } catch (e) {
      if (e instanceof BuiltinError) throw new StarlarkError(e.message, at, this.callStackAt(at));
      throw e;
    }
  }
}

function stripUndefined(limits: Partial<Limits>): Partial<Limits> {
  const out: Partial<Limits> = {};
  for (const [k, v] of Object.entries(limits)) {
    if (typeof v === 'number') out[k as keyof Limits] = v;
  }
  return out;
}
