import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Builtin, BuiltinError, execFile, type CallInfo, type HasAttrs, type Position, type Value } from '../starlark/index.ts';
import { formatPos } from './target.ts';
import { kwargString, stringListArg } from './values.ts';

/** One `oci.pull(...)` from MODULE.bazel: a base image rules_oci would fetch. */
export interface OciPull {
  name: string;
  image: string;
  digest?: string;
  tag?: string;
  platforms: string[];
  pos: Position;
}

export interface ModuleInfo {
  /** bazel_dep repo names (repo_name or name) → module name. */
  deps: Map<string, string>;
  pulls: Map<string, OciPull>;
  /** Repositories `use_repo` made visible (name as seen by BUILD files → name inside the extension). */
  visibleRepos: Map<string, string>;
}

function optionalString(call: CallInfo, name: string): string | undefined {
  const v = call.kwargs.get(name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new BuiltinError(`${call.name}(): "${name}" must be a string`);
  return v;
}

/**
 * Evaluates MODULE.bazel (when present) for what oci-build needs: bazel_dep names and the
 * rules_oci `oci` extension's `pull` tags. Every other extension and directive is accepted and
 * ignored, so real MODULE files load unchanged.
 */
export function readModuleFile(root: string): ModuleInfo {
  const info: ModuleInfo = { deps: new Map(), pulls: new Map(), visibleRepos: new Map() };
  const path = join(root, 'MODULE.bazel');
  if (!existsSync(path)) return info;

  const noop = (name: string): Builtin => new Builtin(name, () => null);
  const predeclared = new Map<string, Value>();
  for (const name of [
    'module',
    'register_toolchains',
    'register_execution_platforms',
    'single_version_override',
    'multiple_version_override',
    'archive_override',
    'git_override',
    'local_path_override',
    'inject_repo',
    'override_repo',
  ]) {
    predeclared.set(name, noop(name));
  }
  predeclared.set(
    'bazel_dep',
    new Builtin('bazel_dep', (call) => {
      const name = kwargString(call, 'name');
      info.deps.set(optionalString(call, 'repo_name') ?? name, name);
      return null;
    }),
  );
  predeclared.set(
    'use_extension',
    new Builtin('use_extension', (call) => {
      const file = call.args[0];
      const extName = call.args[1];
      if (typeof file !== 'string' || typeof extName !== 'string') {
        throw new BuiltinError('use_extension() takes the .bzl file and the extension name as strings');
      }
      const isOci = /^@(rules_oci|@rules_oci)\/\/oci:extensions\.bzl$/.test(file) && extName === 'oci';
      const proxy: HasAttrs = {
        typeName: 'module_extension_proxy',
        getAttr: (tag) =>
          new Builtin(tag, (c) => {
            if (isOci && tag === 'pull') recordPull(c);
            return null;
          }),
        attrNames: () => [],
      };
      return proxy;
    }),
  );
  predeclared.set(
    'use_repo',
    new Builtin('use_repo', (call) => {
      for (const a of call.args.slice(1)) if (typeof a === 'string') info.visibleRepos.set(a, a);
      for (const [k, v] of call.kwargs) if (typeof v === 'string') info.visibleRepos.set(k, v);
      return null;
    }),
  );
  predeclared.set('use_repo_rule', new Builtin('use_repo_rule', () => new Builtin('repo_rule', () => null)));

  function recordPull(call: CallInfo): void {
    const name = kwargString(call, 'name');
    const image = kwargString(call, 'image');
    const digest = optionalString(call, 'digest');
    const tag = optionalString(call, 'tag');
    if (!digest && !tag) throw new BuiltinError(`oci.pull(name = "${name}"): one of "digest" or "tag" is required`);
    const pos = call.callStack[0] ?? call.pos;
    const existing = info.pulls.get(name);
    if (existing) throw new BuiltinError(`oci.pull(name = "${name}") is already declared at ${formatPos(existing.pos)}`);
    info.pulls.set(name, { name, image, digest, tag, platforms: stringListArg(call, 'platforms', -1) ?? [], pos });
  }

  execFile({ file: 'MODULE.bazel', source: readFileSync(path, 'utf8'), predeclared });
  return info;
}
