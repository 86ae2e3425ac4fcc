import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Builtin, BuiltinError, StarlarkError, execFile, type CallInfo, type HasAttrs, type Position, type Value } from '../starlark/index.ts';
import { parseLabel, type Label } from './label.ts';
import { readStarlarkFile, StarlarkFileError } from './starlark_file.ts';
import { BuildError, formatSourcePosition } from '../errors.ts';
import { kwargString, stringListArg } from './values.ts';

/** One `oci.pull(...)` (or rules_oci 1.x `oci_pull(...)`): a base image to fetch. */
export interface OciPull {
  name: string;
  image: string;
  digest?: string;
  tag?: string;
  platforms: string[];
  /** rules_oci's `reproducible = False`: a tag without a digest is intended (no warning). */
  reproducible: boolean;
  pos: Position;
}

/** A patch of a go_deps override: the label as written and its file in the main repository. */
export interface GoDepsPatch {
  label: string;
  /** Workspace-relative path of the patch file. */
  path: string;
}

/** `go_deps.module_override(path, patches, patch_strip)`. */
export interface GoModuleOverride {
  path: string;
  patches: GoDepsPatch[];
  patchStrip: number;
  pos: Position;
}

/** `go_deps.archive_override(path, urls, sha256, strip_prefix, patches, patch_strip)`. */
export interface GoArchiveOverride {
  path: string;
  urls: string[];
  sha256?: string;
  stripPrefix: string;
  patches: GoDepsPatch[];
  patchStrip: number;
  pos: Position;
}

/** `go_deps.module(path, version, sum)`: a module required besides go.mod's. */
export interface GoModuleTag {
  path: string;
  version: string;
  sum?: string;
  pos: Position;
}

/** gazelle's go_deps tags that shape Go sources (the rest only shape generated BUILD files). */
export interface GoDepsInfo {
  moduleOverrides: Map<string, GoModuleOverride>;
  archiveOverrides: Map<string, GoArchiveOverride>;
  modules: Map<string, GoModuleTag>;
}

export interface ModuleInfo {
  /** module(name = …, repo_name = …): names by which this (root) module's labels mean the main repository. */
  mainRepoNames: Set<string>;
  /** bazel_dep repo names (repo_name or name) → module name. */
  deps: Map<string, string>;
  pulls: Map<string, OciPull>;
  /** Repositories `use_repo` made visible (name as seen by BUILD files → name inside the extension). */
  visibleRepos: Map<string, string>;
  goDeps: GoDepsInfo;
}

export function emptyGoDeps(): GoDepsInfo {
  return { moduleOverrides: new Map(), archiveOverrides: new Map(), modules: new Map() };
}

function optionalString(call: CallInfo, name: string): string | undefined {
  const v = call.kwargs.get(name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new BuiltinError(`${call.name}(): "${name}" must be a string`);
  return v;
}

const MODULE_NOOPS = [
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
];

/** WORKSPACE-file functions that only declare external repositories oci-build does not fetch. */
const WORKSPACE_NOOPS = [
  'workspace',
  'register_toolchains',
  'register_execution_platforms',
  'local_repository',
  'new_local_repository',
  'bind',
  'android_sdk_repository',
  'android_ndk_repository',
];

/**
 * Reads the module and WORKSPACE files for what oci-build needs: bazel_dep names and base
 * images (rules_oci 2.x `oci.pull` in MODULE.bazel and the files it `include()`s; rules_oci 1.x
 * `oci_pull` in WORKSPACE and the .bzl macros it calls). Everything else is accepted and ignored.
 */
export function readModuleFile(root: string): ModuleInfo {
  const info: ModuleInfo = { deps: new Map(), pulls: new Map(), visibleRepos: new Map(), mainRepoNames: new Set(), goDeps: emptyGoDeps() };
  const recordPull = (call: CallInfo): void => {
    const name = kwargString(call, 'name');
    const image = kwargString(call, 'image');
    const digest = optionalString(call, 'digest');
    const tag = optionalString(call, 'tag');
    if (!digest && !tag) throw new BuiltinError(`${call.name}(name = "${name}"): one of "digest" or "tag" is required`);
    const pos = call.callStack[0] ?? call.pos;
    const existing = info.pulls.get(name);
    if (existing) throw new BuiltinError(`${call.name}(name = "${name}") is already declared at ${formatSourcePosition(existing.pos)}`);
    const reproducible = call.kwargs.get('reproducible');
    if (reproducible !== undefined && typeof reproducible !== 'boolean') throw new BuiltinError(`${call.name}(name = "${name}"): "reproducible" must be True or False`);
    info.pulls.set(name, { name, image, digest, tag, platforms: stringListArg(call, 'platforms', -1) ?? [], reproducible: reproducible !== false, pos });
  };
  readModule(root, info, recordPull);
  readWorkspace(root, recordPull);
  return info;
}

function readModule(root: string, info: ModuleInfo, recordPull: (call: CallInfo) => void): void {
  const path = join(root, 'MODULE.bazel');
  if (!existsSync(path)) return;
  const predeclared = new Map<string, Value>();
  for (const name of MODULE_NOOPS) predeclared.set(name, new Builtin(name, () => null));
  predeclared.set(
    'module',
    new Builtin('module', (call) => {
      for (const k of ['name', 'repo_name']) {
        const v = optionalString(call, k);
        if (v) info.mainRepoNames.add(v);
      }
      return null;
    }),
  );
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
      const isOci = /^@@?rules_oci\/\/oci:extensions\.bzl$/.test(file) && extName === 'oci';
      const ext = /^@@?([A-Za-z0-9_.~+-]*)\/\/:extensions\.bzl$/.exec(file);
      const isGoDeps = ext !== null && extName === 'go_deps' && ['gazelle', 'bazel_gazelle'].includes(info.deps.get(ext[1] as string) ?? (ext[1] as string));
      const proxy: HasAttrs = {
        typeName: 'module_extension_proxy',
        getAttr: (tag) =>
          new Builtin(tag, (c) => {
            if (isOci && tag === 'pull') recordPull(c);
            if (isGoDeps) recordGoDeps(info.goDeps, tag, c);
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
  const included = new Set<string>();
  predeclared.set(
    'include',
    new Builtin('include', (call) => {
      const text = call.args[0];
      if (typeof text !== 'string') throw new BuiltinError('include() takes a label of a .MODULE.bazel file');
      let label: Label;
      try {
        label = parseLabel(text);
      } catch (err) {
        throw new BuiltinError(`include(): ${(err as Error).message}`);
      }
      if (label.repo !== '') throw new BuiltinError(`include(): "${text}" must be in the main repository`);
      if (!label.name.endsWith('.MODULE.bazel')) throw new BuiltinError(`include(): "${text}" must name a file ending in .MODULE.bazel`);
      if (included.has(label.path)) throw new BuiltinError(`include(): ${label.path} is included twice`);
      included.add(label.path);
      const source = starlarkSource(root, label.path, (m) => new BuiltinError(`include(): ${m}`));
      if (source === undefined) throw new BuiltinError(`include(): ${label.path} does not exist`);
      execFile({ file: label.path, source, predeclared });
      return null;
    }),
  );
  const source = starlarkSource(root, 'MODULE.bazel', (m) => new BuildError(m));
  if (source === undefined) return;
  execFile({ file: 'MODULE.bazel', source, predeclared });
}

/** readStarlarkFile, its refusal turned into the caller's kind of error. */
function starlarkSource(root: string, rel: string, wrap: (message: string) => Error): string | undefined {
  try {
    return readStarlarkFile(root, rel);
  } catch (err) {
    if (err instanceof StarlarkFileError) throw wrap(err.message);
    throw err;
  }
}

function intArg(call: CallInfo, name: string, def: number): number {
  const v = call.kwargs.get(name);
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new BuiltinError(`${call.name}(): "${name}" must be a non-negative int`);
  return v;
}

function patchesArg(call: CallInfo): GoDepsPatch[] {
  return (stringListArg(call, 'patches', -1) ?? []).map((text) => {
    let label: Label;
    try {
      label = parseLabel(text);
    } catch (err) {
      throw new BuiltinError(`${call.name}(): patches: ${(err as Error).message}`);
    }
    if (label.repo !== '') throw new BuiltinError(`${call.name}(): patch "${text}" must be a file of the main repository`);
    return { label: text, path: label.path };
  });
}

/** A Go module path as go.mod accepts it (no spaces, quotes or `..` segments; used in file names and go mod edit). */
const MODULE_PATH = /^[A-Za-z0-9][A-Za-z0-9._~+\-/]*$/;

/**
 * gazelle's go_deps tags. Those that change the Go sources a build sees are recorded;
 * `from_file`, `config`, `gazelle_override`, `gazelle_default_attributes` and the rest only
 * change how Bazel generates BUILD files for dependencies and are accepted as they are.
 */
function recordGoDeps(goDeps: GoDepsInfo, tag: string, call: CallInfo): void {
  if (!['module_override', 'archive_override', 'module'].includes(tag)) return;
  const pos = call.callStack[0] ?? call.pos;
  const path = kwargString(call, 'path');
  if (!MODULE_PATH.test(path) || path.split('/').includes('..')) throw new BuiltinError(`go_deps.${tag}(): "${path}" is not a module path`);
  const twice = (where: Position): never => {
    throw new BuiltinError(`go_deps.${tag}(path = "${path}") is already declared at ${formatSourcePosition(where)}`);
  };
  if (tag === 'module_override') {
    const prev = goDeps.moduleOverrides.get(path);
    if (prev) twice(prev.pos);
    goDeps.moduleOverrides.set(path, { path, patches: patchesArg(call), patchStrip: intArg(call, 'patch_strip', 0), pos });
  } else if (tag === 'archive_override') {
    const prev = goDeps.archiveOverrides.get(path);
    if (prev) twice(prev.pos);
    const urls = stringListArg(call, 'urls', -1) ?? [];
    if (urls.length === 0) throw new BuiltinError(`go_deps.archive_override(path = "${path}"): "urls" must name at least one URL`);
    const sha256 = optionalString(call, 'sha256');
    if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) throw new BuiltinError(`go_deps.archive_override(path = "${path}"): "sha256" must be 64 lowercase hex digits`);
    goDeps.archiveOverrides.set(path, { path, urls, sha256, stripPrefix: optionalString(call, 'strip_prefix') ?? '', patches: patchesArg(call), patchStrip: intArg(call, 'patch_strip', 0), pos });
  } else {
    const prev = goDeps.modules.get(path);
    if (prev) twice(prev.pos);
    const version = kwargString(call, 'version');
    if (!/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version)) throw new BuiltinError(`go_deps.module(path = "${path}"): "${version}" is not a semantic version (vX.Y.Z)`);
    const sum = optionalString(call, 'sum');
    if (sum !== undefined && !/^h1:[A-Za-z0-9+/]{43}=$/.test(sum)) throw new BuiltinError(`go_deps.module(path = "${path}"): "sum" must be an h1: hash as go.sum has it`);
    goDeps.modules.set(path, { path, version, sum, pos });
  }
}

/** rules_oci 1.x: `oci_pull(...)` in WORKSPACE or in workspace .bzl macros it calls. */
function readWorkspace(root: string, recordPull: (call: CallInfo) => void): void {
  const file = ['WORKSPACE.bazel', 'WORKSPACE'].find((f) => existsSync(join(root, f)));
  if (!file) return;
  const ociPull = new Builtin('oci_pull', (call) => {
    recordPull(call);
    return null;
  });
  const globals = (): Map<string, Value> => {
    const g = new Map<string, Value>();
    for (const name of WORKSPACE_NOOPS) g.set(name, new Builtin(name, () => null));
    const native: HasAttrs = { typeName: 'native', getAttr: (n) => new Builtin(n, () => null), attrNames: () => [] };
    g.set('native', native);
    return g;
  };
  const loaded = new Map<string, Map<string, Value>>();
  const load = (module: string, pos: Position): Map<string, Value> => {
    let label: Label;
    try {
      label = parseLabel(module);
    } catch (err) {
      throw new StarlarkError(`load: ${(err as Error).message}`, pos);
    }
    if (label.repo !== '') {
      const isPull = /^(rules_oci)$/.test(label.repo) && label.pkg === 'oci' && label.name === 'pull.bzl';
      return new AnySymbols((symbol) => (isPull && symbol === 'oci_pull' ? ociPull : new Builtin(symbol, () => null)));
    }
    const key = label.toString();
    const cached = loaded.get(key);
    if (cached) return cached;
    const source = starlarkSource(root, label.path, (m) => new StarlarkError(`load: ${m}`, pos));
    if (source === undefined) throw new StarlarkError(`load: cannot find ${label.path}`, pos);
    const result = execFile({ file: label.path, source, predeclared: globals(), load });
    loaded.set(key, result);
    return result;
  };
  const source = starlarkSource(root, file, (m) => new BuildError(m));
  if (source === undefined) return;
  execFile({ file, source, predeclared: globals(), load });
}

/** A loaded module that answers every symbol (repositories oci-build does not fetch). */
export class AnySymbols extends Map<string, Value> {
  readonly #make: (symbol: string) => Value;
  constructor(make: (symbol: string) => Value) {
    super();
    this.#make = make;
  }
  override has(_key: string): boolean {
    return true;
  }
  override get(key: string): Value {
    let v = super.get(key);
    if (v === undefined) {
      v = this.#make(key);
      super.set(key, v);
    }
    return v;
  }
}
