// Error types shared by the lexer, parser, resolver and evaluator.
import { BuildError } from '../errors.ts';

/** A location in a Starlark source file; line and column are 1-based. */
export interface Position {
  file: string;
  line: number;
  column: number;
}

/**
 * The only error the interpreter raises for bad input. The message is one line,
 * `file:line:column: reason`; `callStack` lists the call sites of the active
 * Starlark function frames (outermost first) followed by `pos` itself.
 */
export class StarlarkError extends BuildError {
  declare readonly pos: Position;
  readonly callStack: Position[];

  constructor(reason: string, pos: Position, callStack?: Position[]) {
    // A BuildError with its position as data: annotations read `pos`, not the text.
    super(reason, { pos });
    this.name = 'StarlarkError';
    this.callStack = callStack ?? [pos];
  }
}

/**
 * An error that carries only a reason. Builtins (including host-provided ones)
 * and value operations throw it; the evaluator turns it into a StarlarkError at
 * the position of the call or operator that was being evaluated.
 */
export class BuiltinError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'BuiltinError';
  }
}
