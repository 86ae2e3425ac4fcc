// Entry points: parse a file, or parse, resolve and execute it.

import type { Module } from './ast.ts';
import { UNIVERSE } from './builtins.ts';
import { StarlarkError } from './errors.ts';
import type { Position } from './errors.ts';
import { execModule } from './evaluator.ts';
import { freeze } from './freeze.ts';
import { parseFile as parse } from './parser.ts';
import { resolveModule } from './resolver.ts';
import { Thread } from './thread.ts';
import type { Limits } from './thread.ts';
import type { ModuleContext, Value } from './values.ts';

export interface ExecOptions {
  /** Display path used in positions, e.g. "apps/hello_world/BUILD.bazel". */
  file: string;
  source: string;
  /** Globals the host provides (rule functions, glob, native, ...); they override builtins. */
  predeclared: Map<string, Value>;
  /** Resolves `load("...", ...)`; should throw StarlarkError for unknown modules. */
  load?: (module: string, pos: Position) => Map<string, Value>;
  print?: (message: string, pos: Position) => void;
  limits?: Partial<Limits>;
  /** Added to `name "x" is not defined` (e.g. which load() defines x). */
  undefinedNameHint?: (name: string) => string | undefined;
}

/** Parses a file into a syntax tree (no name resolution). */
export function parseFile(file: string, source: string): Module {
  return guardStack(file, null, () => parse(file, source));
}

/**
 * Executes a Starlark file and returns its globals, frozen. Every problem with
 * the input is reported as a StarlarkError; errors thrown by host callbacks
 * propagate unchanged.
 */
export function execFile(options: ExecOptions): Map<string, Value> {
  const { file, source, predeclared } = options;
  const thread = new Thread({ limits: options.limits, print: options.print });
  return guardStack(file, thread, () => {
    const mod = parse(file, source);
    resolveModule(mod, (name) => predeclared.has(name), (name) => UNIVERSE.has(name), options.undefinedNameHint);
    const module: ModuleContext = {
      file,
      globals: new Map(),
      predeclared,
      universe: UNIVERSE,
      load: options.load ?? null,
    };
    execModule(mod, module, thread);
    for (const v of module.globals.values()) freeze(v);
    return new Map(module.globals);
  });
}

function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack|string length|array length/i.test(e.message);
}

/**
 * The parser and resolver bound nesting depth, but a host can still call in
 * while its own stack is deep; report exhaustion as a StarlarkError.
 */
function guardStack<T>(file: string, thread: Thread | null, body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (!isStackOverflow(e)) throw e;
    const pos = thread?.pos ?? { file, line: 1, column: 1 };
    throw new StarlarkError('evaluation is nested too deeply (JavaScript stack or memory exhausted)', pos);
  }
}
