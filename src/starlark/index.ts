// Public API of the Starlark interpreter (Bazel dialect).
//
//   const globals = execFile({
//     file: 'apps/hello/BUILD.bazel', source, predeclared: new Map([['go_binary', rule]]),
//     load: (module, pos) => loadModule(module, pos),
//   });
//
// Host builtins receive a CallInfo, bind it with unpackArgs(), check types with
// expect*(), and throw BuiltinError (positioned for them) or StarlarkError.
// Attribute values may contain Select values; resolveSelects() picks branches.

export type { Position } from './errors.ts';
export { BuiltinError, StarlarkError } from './errors.ts';
export type { ExecOptions } from './exec.ts';
export { execFile, parseFile } from './exec.ts';
export type * from './ast.ts';
export type { CallInfo, Env, HasAttrs, ModuleContext, PlainPart, SelectPart, SelectorPart, Value } from './values.ts';
export {
  Builtin, Select, StarDict, StarFunction, StarList, StarTuple, Struct,
  hashKey, isCallable, isHasAttrs, truthy, typeName,
} from './values.ts';
export { repr, shortRepr, str, quote } from './repr.ts';
export { equals, compare } from './equality.ts';
export { freeze } from './freeze.ts';
export { elementsOf } from './iteration.ts';
export { getAttribute, attributeNames } from './attributes.ts';
export {
  expectBool, expectDict, expectInt, expectSequence, expectString, expectStringList, unpackArgs,
} from './args.ts';
export type { ResolveOptions } from './select.ts';
export { isDefaultCondition, resolveSelects } from './select.ts';
export { UNIVERSE } from './builtins.ts';
export type { Limits, ThreadOptions } from './thread.ts';
export { DEFAULT_LIMITS, Thread } from './thread.ts';
export type { PlainData } from './convert.ts';
export { fromJS, toJS } from './convert.ts';
export { MAX_NESTING_DEPTH } from './parser.ts';
