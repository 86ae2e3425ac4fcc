// Shared helpers for the Starlark interpreter tests.

import assert from 'node:assert/strict';
import { StarlarkError, execFile, repr } from '../../src/starlark/index.ts';
import type { ExecOptions, Value } from '../../src/starlark/index.ts';

export const FILE = 'BUILD.bazel';

export type RunOptions = Partial<Omit<ExecOptions, 'source'>>;

/** Executes `source` and returns its globals. */
export function run(source: string, options: RunOptions = {}): Map<string, Value> {
  return execFile({ file: FILE, predeclared: new Map(), ...options, source });
}

/** Evaluates one expression. */
export function evaluate(expr: string, options: RunOptions = {}): Value {
  const value = run(`result = ${expr}\n`, options).get('result');
  assert.notEqual(value, undefined);
  return value as Value;
}

/** repr() of one evaluated expression. */
export function show(expr: string, options: RunOptions = {}): string {
  return repr(evaluate(expr, options));
}

/** Runs `source`, expecting a StarlarkError, and returns it. */
export function failure(source: string, options: RunOptions = {}): StarlarkError {
  try {
    run(source, options);
  } catch (e) {
    if (e instanceof StarlarkError) return e;
    throw e;
  }
  assert.fail(`expected a StarlarkError from:\n${source}`);
}

/** The message of the StarlarkError raised by `source`. */
export function errorOf(source: string, options: RunOptions = {}): string {
  return failure(source, options).message;
}
