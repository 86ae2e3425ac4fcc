// What .bzl files see besides the Starlark universe: `native`, `Label`, and the rule-definition
// API (rule, provider, attr, macro, ...). Rules defined here with rule() are recorded when called
// but not built; their implementation functions never run (no analysis-time Starlark).
import { Builtin, BuiltinError, StarDict, StarList, Struct, type HasAttrs, type Value } from '../starlark/index.ts';

/** A value with any attribute, each a function returning None: `attr.string(...)`, `cc_common.x`. */
export function anyAttrs(typeName: string): HasAttrs {
  return {
    typeName,
    getAttr: (name) => new Builtin(`${typeName}.${name}`, () => null),
    attrNames: () => [],
  };
}

/** Names Bazel predeclares in .bzl files that real files mention (mostly inside rule implementations). */
const PROVIDER_NAMES = [
  'DefaultInfo',
  'OutputGroupInfo',
  'RunEnvironmentInfo',
  'InstrumentedFilesInfo',
  'CcInfo',
  'CcToolchainConfigInfo',
  'JavaInfo',
  'PyInfo',
  'PyRuntimeInfo',
  'ProtoInfo',
  'DebugPackageInfo',
  'PackageSpecificationInfo',
];
const MODULE_NAMES = [
  'cc_common',
  'java_common',
  'coverage_common',
  'testing',
  'apple_common',
  'platform_common',
  'config_common',
  'proto_common',
  'config',
  'json',
];
const FUNCTION_NAMES = [
  'aspect',
  'transition',
  'analysis_test_transition',
  'configuration_field',
  'exec_group',
  'subrule',
  'repository_rule',
  'module_extension',
  'tag_class',
  'visibility',
  'use_extension',
];

export interface BzlEnvHooks {
  /** Called when a rule() made in this file is invoked from a BUILD file (directly or via a macro). */
  customRule(symbolHint: string, call: Parameters<Builtin['impl']>[0]): void;
}

export function bzlPredeclared(file: string, hooks: BzlEnvHooks): Map<string, Value> {
  const g = new Map<string, Value>();
  for (const name of PROVIDER_NAMES) {
    g.set(name, new Builtin(name, (call) => new Struct(new Map([...call.kwargs]), name)));
  }
  for (const name of MODULE_NAMES) g.set(name, anyAttrs(name));
  for (const name of FUNCTION_NAMES) g.set(name, new Builtin(name, () => null));
  g.set('attr', anyAttrs('attr'));
  g.set('depset', new Builtin('depset', (call) => new StarList([...((call.args[0] as StarList | undefined)?.elems ?? [])])));
  g.set(
    'provider',
    new Builtin('provider', (call) => {
      // provider(init = ...) returns (Provider, raw constructor); plain provider() returns Provider.
      const make = new Builtin('provider_instance', (c) => new Struct(new Map([...c.kwargs])));
      return call.kwargs.get('init') ? new StarList([make, make]) : make;
    }),
  );
  g.set(
    'rule',
    new Builtin('rule', (call) => {
      const doc = call.kwargs.get('doc');
      return new Builtin('rule', (c) => {
        hooks.customRule(typeof doc === 'string' ? `rule from ${file}` : `rule from ${file}`, c);
        return null;
      });
    }),
  );
  g.set(
    'macro',
    new Builtin('macro', (call) => {
      // Symbolic macros (Bazel 8): call `implementation` with name, visibility and the declared attrs.
      const impl = call.kwargs.get('implementation');
      const attrs = call.kwargs.get('attrs');
      const declared = attrs instanceof StarDict ? attrs.keys().filter((k): k is string => typeof k === 'string') : [];
      if (!impl) throw new BuiltinError('macro() requires implementation');
      return new Builtin('macro', (c) => {
        const kwargs = new Map<string, Value>();
        kwargs.set('name', c.kwargs.get('name') ?? null);
        kwargs.set('visibility', c.kwargs.get('visibility') ?? null);
        for (const a of declared) kwargs.set(a, c.kwargs.has(a) ? (c.kwargs.get(a) ?? null) : null);
        for (const [k, v] of c.kwargs) if (!kwargs.has(k)) kwargs.set(k, v);
        return c.thread.call(impl, [], kwargs, c.pos);
      });
    }),
  );
  return g;
}
