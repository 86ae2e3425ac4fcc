import { existsSync, realpathSync, statSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import {
  Builtin,
  BuiltinError,
  execFile,
  resolveSelects,
  StarlarkError,
  StarDict,
  StarList,
  StarTuple,
  type CallInfo,
  type HasAttrs,
  type Position,
  type Value,
} from '../starlark/index.ts';
import { BuildError, formatSourcePosition } from '../errors.ts';
import type { Configuration } from '../engine/config.ts';
import type { Plain } from './values.ts';
import type { FileRef } from './file_ref.ts';
import type { Logger } from '../util/log.ts';
import { readIgnoredDirectories, type IgnoredDirectories } from './ignored.ts';
import { listPackageFiles, matchGlob, validateGlobPattern } from './glob.ts';
import { Label, LabelError, parseLabel } from './label.ts';
import { isKwargsHelper, knownModule, loadHint } from './modules.ts';
import { didYouMean } from './spelling.ts';
import { bzlPredeclared } from './bzl_env.ts';
import { LabelValue, labelBuiltin } from './label_value.ts';
import { AnySymbols, readModuleFile, type ModuleInfo } from './module_file.ts';
import { readStarlarkFile, StarlarkFileError } from './starlark_file.ts';
import { conditionsRefine, goPlatformLabel, platformFromConstraints, platformMatchesSelectKey, settingConditions, type BuildFlags } from './constraints.ts';
import { normalizePlatform } from '../oci/platform.ts';
import type { Platform } from '../oci/types.ts';
import type { Package, Target } from './target.ts';
import { fromStringList, kwargString, stringListArg, toPlain } from './values.ts';

const BUILD_FILES = ['BUILD.bazel', 'BUILD'];
const SKIP_DIRS = new Set(['.git', 'node_modules', '.oci-build']);

/** Native rules recorded as targets; only some of them are built (see rules/index.ts). */
const NATIVE_RULES = [
  'filegroup',
  'alias',
  'config_setting',
  'platform',
  'constraint_setting',
  'constraint_value',
  'genrule',
  'sh_binary',
  'sh_library',
  'sh_test',
  'test_suite',
  'cc_binary',
  'cc_library',
  'cc_test',
  'java_binary',
  'java_library',
  'py_binary',
  'py_library',
  'py_test',
];

/** What the workspace needs to know of a rule kind oci-build builds; undefined for kinds it only records. */
export type RuleCatalog = (kind: string) => { attrs: object; dependencyOnly?: boolean } | undefined;

export type Resolved = { kind: 'target'; target: Target } | { kind: 'file'; file: FileRef };

interface EvalScope {
  pkg: Package;
}

/**
 * The main repository: finds and evaluates BUILD and .bzl files (each once), records targets,
 * and resolves labels to targets or source files. Evaluation is pure Starlark; this class does
 * the file reading around it.
 */
export class Workspace {
  readonly root: string;
  readonly #log: Logger;
  readonly #rules: RuleCatalog;
  readonly #packages = new Map<string, Package>();
  readonly #bzl = new Map<string, Map<string, Value>>();
  readonly #bzlLoading = new Set<string>();
  #scope: EvalScope | undefined;
  #module: ModuleInfo | undefined;
  readonly #pullTargets = new Map<string, Target>();
  readonly #outputTargets = new Map<string, Target>();
  readonly #warnedOutputs = new Set<string>();
  readonly #flags: BuildFlags;

  /**
   * `rules`: the kinds oci-build builds and their attributes (the engine's rule table; the
   * workspace only records targets). `flags`: the command-line flags config_setting(values = …)
   * may test (compilation_mode).
   */
  constructor(root: string, opts: { log: Logger; rules: RuleCatalog; flags?: BuildFlags }) {
    this.root = root;
    this.#log = opts.log;
    this.#rules = opts.rules;
    this.#flags = opts.flags ?? {};
  }

  // ---- packages -------------------------------------------------------------------------

  #buildFileOf(pkg: string): string | undefined {
    const dir = join(this.root, pkg);
    for (const name of BUILD_FILES) {
      const p = join(dir, name);
      if (existsSync(p) && statSync(p).isFile()) return p;
    }
    return undefined;
  }

  loadPackage(pkg: string, via = ''): Package {
    const cached = this.#packages.get(pkg);
    if (cached) return cached;
    const buildFile = this.#buildFileOf(pkg);
    if (!buildFile) throw new BuildError(`no such package '${pkg}': BUILD file not found in ${pkg === '' ? 'the workspace root' : pkg}${via}`);
    const displayFile = relative(this.root, buildFile).split(sep).join('/');
    const p: Package = { name: pkg, buildFile, displayFile, targets: new Map(), outputs: new Map() };
    const outer = this.#scope;
    let source: string | undefined;
    try {
      source = readStarlarkFile(this.root, displayFile);
    } catch (err) {
      if (err instanceof StarlarkFileError) throw new BuildError(`no such package '${pkg}': ${err.message}${via}`);
      throw err;
    }
    if (source === undefined) throw new BuildError(`no such package '${pkg}': BUILD file not found in ${pkg === '' ? 'the workspace root' : pkg}${via}`);
    this.#scope = { pkg: p };
    try {
      execFile({
        file: displayFile,
        source,
        predeclared: this.#buildGlobals(),
        load: (module, pos) => this.#load(module, pos, '', pkg),
        print: (msg, pos) => this.#log.info(`${formatSourcePosition(pos)}: ${msg}`),
        undefinedNameHint: loadHint,
      });
    } finally {
      this.#scope = outer;
    }
    this.#packages.set(pkg, p);
    return p;
  }

  #ignored: IgnoredDirectories | undefined;
  /** `.bazelignore` and REPO.bazel ignore_directories, read once, on first need. */
  get ignored(): IgnoredDirectories {
    this.#ignored ??= readIgnoredDirectories(this.root);
    return this.#ignored;
  }

  /** Every package (directory with a BUILD file) at or below `prefix`, minus ignored directories. */
  packagesUnder(prefix: string): string[] {
    const out: string[] = [];
    const walk = (rel: string): void => {
      const abs = join(this.root, rel);
      if (this.#buildFileOf(rel)) out.push(rel);
      let entries;
      try {
        entries = readdirSync(abs, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (!e.isDirectory() || SKIP_DIRS.has(e.name) || (rel === '' && e.name.startsWith('bazel-'))) continue;
        const child = rel === '' ? e.name : `${rel}/${e.name}`;
        if (this.ignored.has(child)) continue;
        walk(child);
      }
    };
    if (!existsSync(join(this.root, prefix))) throw new BuildError(`no such package '${prefix}': directory not found`);
    walk(prefix);
    return out.sort();
  }

  // ---- target patterns --------------------------------------------------------------------

  /**
   * A target pattern from the user: a label (explicit, so `run` applies to it), or `//pkg/...`,
   * `//pkg:all`, `//pkg:*` (every target oci-build builds; build only).
   */
  expandPattern(text: string, cwdPkg: string): Array<{ label: Label; explicit: boolean }> {
    let t = text.trim();
    // A pattern in the main repository written with its module name (or @@// / @//) is a `//` pattern.
    const repoPrefix = /^@@?([A-Za-z0-9_.\-+~]*)\/\//.exec(t);
    if (repoPrefix && (repoPrefix[1] === '' || this.canonicalLabel(new Label(repoPrefix[1] ?? '', '', 'x')).repo === '')) {
      t = t.slice(repoPrefix[0].length - 2);
    }
    const fail = (msg: string): never => {
      throw new BuildError(`invalid target "${text}": ${msg}`);
    };
    const recursive = /^(\/\/)?(.*?)\/?\.\.\.(:(all|\*|all-targets))?$/.exec(t);
    if (recursive && !t.startsWith('@')) {
      const base = recursive[1] ? (recursive[2] ?? '') : [cwdPkg, recursive[2]].filter((s) => s !== '' && s !== undefined).join('/');
      const pkgs = this.packagesUnder(base.replace(/\/$/, ''));
      const out = pkgs.flatMap((p) => this.#buildableTargets(p));
      if (out.length === 0) fail('matched no targets that oci-build builds');
      return out;
    }
    const all = /^(.*):(all|\*|all-targets)$/.exec(t);
    if (all && !t.startsWith('@')) {
      const pkgPart = all[1] ?? '';
      const pkg = pkgPart.startsWith('//') ? pkgPart.slice(2) : [cwdPkg, pkgPart].filter((s) => s !== '').join('/');
      const out = this.#buildableTargets(pkg);
      if (out.length === 0) fail('matched no targets that oci-build builds');
      return out;
    }
    let label: Label;
    try {
      label = parseLabel(t, '', cwdPkg);
    } catch (err) {
      if (err instanceof LabelError) throw new BuildError(err.message);
      throw err;
    }
    return [{ label, explicit: true }];
  }

  #buildableTargets(pkg: string): Array<{ label: Label; explicit: boolean }> {
    const p = this.loadPackage(pkg);
    const built = (t: Target): boolean => {
      const rule = this.#rules(t.kind);
      return rule !== undefined && !rule.dependencyOnly;
    };
    return [...p.targets.values()].filter(built).map((t) => ({ label: t.label, explicit: false }));
  }

  // ---- labels -----------------------------------------------------------------------------

  /** MODULE.bazel, evaluated once, on first need. */
  get module(): ModuleInfo {
    this.#module ??= readModuleFile(this.root);
    return this.#module;
  }

  /**
   * `@<root module name>//pkg:t` (or its repo_name) is the main repository's `//pkg:t`, as in
   * Bazel; `@@//` and `@//` already parse to the main repository. An oci.pull of the same name
   * would be a different repository, so it wins.
   */
  canonicalLabel(label: Label): Label {
    if (label.repo === '') return label;
    const m = this.module;
    if (!m.mainRepoNames.has(label.repo) || m.pulls.has(label.repo) || m.visibleRepos.has(label.repo)) return label;
    return new Label('', label.pkg, label.name);
  }

  resolve(label: Label, via = ''): Resolved {
    label = this.canonicalLabel(label);
    if (label.repo !== '') {
      const pulled = this.#pullTarget(label);
      if (pulled) return { kind: 'target', target: pulled };
      const known = [...this.module.pulls.keys()];
      throw new BuildError(
        `${label}: unknown repository @${label.repo}: oci-build builds the main workspace and base images declared with oci.pull in MODULE.bazel${known.length ? ` (declared: ${known.map((k) => `@${k}`).join(', ')})` : ''}${via}`,
      );
    }
    const pkg = this.loadPackage(label.pkg, via);
    const target = pkg.targets.get(label.name);
    if (target) return { kind: 'target', target };
    const output = this.#outputTarget(pkg, label);
    if (output) return { kind: 'target', target: output };
    const file = this.#sourceFile(label);
    if (file) return { kind: 'file', file };
    throw new BuildError(
      `no such target '${label}': target '${label.name}' not declared in package '${label.pkg}' defined by ${pkg.displayFile}${didYouMean(label.name, pkg.targets.keys(), (n) => `'//${label.pkg}:${n}'`)}${via}`,
    );
  }

  /**
   * A file a rule of the package declares as output (Bazel's output file targets): an
   * `output_file` target that takes that one file from its generating rule. A generator whose
   * implementation oci-build cannot run (a rule() from a .bzl, an unmodelled rule set) stops the
   * build here, before anything runs, naming the rule and what to do.
   */
  #outputTarget(pkg: Package, label: Label): Target | undefined {
    const generator = pkg.outputs.get(label.name);
    if (generator === undefined) return undefined;
    const key = label.toString();
    const cached = this.#outputTargets.get(key);
    if (cached) return cached;
    const gen = pkg.targets.get(generator);
    if (!gen) return undefined;
    if (!this.#rules(gen.kind)) {
      // A generated file that is also checked in (a common way around such rules): the file is used.
      if (this.#sourceFile(label)) {
        if (!this.#warnedOutputs.has(key)) {
          this.#warnedOutputs.add(key);
          this.#log.warning(`${formatSourcePosition(gen.pos)}: ${label} is generated by ${gen.label} (${gen.kind === 'custom_rule' ? 'rule()' : gen.kind} from ${gen.origin}), which oci-build cannot run; using the checked-in ${label.path}`, gen.pos);
        }
        return undefined;
      }
      throw new BuildError(
        `${label} is generated by ${gen.label}, a ${gen.kind === 'custom_rule' ? 'rule()' : gen.kind} from ${gen.origin} whose implementation oci-build cannot run: check the generated file in and list it in srcs instead, or write the step as a genrule`,
        { pos: gen.pos },
      );
    }
    const attrs = new Map<string, Value>([
      ['generator', `:${generator}`],
      ['out', label.name],
    ]);
    const target: Target = { label, kind: 'output_file', origin: 'native', attrs, pos: gen.pos };
    this.#outputTargets.set(key, target);
    return target;
  }

  /**
   * `@name` or `@name_<os>_<arch>[_<variant>]` of an oci.pull becomes a target of kind oci_pull,
   * as rules_oci's extension creates those repositories.
   */
  #pullTarget(label: Label): Target | undefined {
    const cached = this.#pullTargets.get(label.repo);
    if (cached) return cached;
    const pulls = this.module.pulls;
    const visible = this.module.visibleRepos.get(label.repo) ?? label.repo;
    let pull = pulls.get(visible);
    let platform: string | undefined;
    if (!pull) {
      const m = /^(.*)_(linux)_([a-z0-9]+?)(?:_(v[0-9]+))?$/.exec(visible);
      if (m && pulls.has(m[1] ?? '')) {
        pull = pulls.get(m[1] ?? '');
        platform = [m[2], m[3], m[4]].filter((x) => x !== undefined).join('/');
      }
    }
    if (!pull) return undefined;
    const attrs = new Map<string, Value>([['image', pull.image]]);
    if (pull.digest) attrs.set('digest', pull.digest);
    if (pull.tag) attrs.set('tag', pull.tag);
    if (platform) attrs.set('platform', platform);
    if (pull.platforms.length) attrs.set('platforms', fromStringList(pull.platforms));
    if (!pull.reproducible) attrs.set('reproducible', false);
    const target: Target = { label: new Label(label.repo, '', label.repo), kind: 'oci_pull', origin: '@rules_oci//oci:extensions.bzl', attrs, pos: pull.pos };
    this.#pullTargets.set(label.repo, target);
    return target;
  }

  /**
   * The platform a label names: a platform() target's constraint_values (following `parents`),
   * or rules_go's well-known platform labels. `by` is the target that asked, for messages.
   */
  platformOf(label: Label, by: Label, seen: string[] = []): Platform {
    const fromGo = goPlatformLabel(label);
    if (fromGo) return fromGo;
    const key = label.toString();
    if (seen.includes(key)) throw new BuildError(`${by}: platform ${key} is its own parent`);
    const resolved = label.repo === '' ? this.resolve(label, ` (required by ${by})`) : undefined;
    const target = resolved?.kind === 'target' ? resolved.target : undefined;
    if (!target || target.kind !== 'platform') {
      throw new BuildError(`${by}: ${key} is not a platform() target (a transition needs one, or @rules_go//go/toolchain:<os>_<arch>)`);
    }
    const parts = this.#labelsOf(target, 'constraint_values');
    let p = platformFromConstraints(parts);
    const parents = this.#labelsOf(target, 'parents');
    for (const parent of parents) {
      const base = this.platformOf(parent, by, [...seen, key]);
      p = { os: p.os ?? base.os, architecture: p.architecture ?? base.architecture, variant: p.variant ?? base.variant };
    }
    if (!p.os || !p.architecture) {
      throw new BuildError(
        `constraint_values must include @platforms//os:<os> and @platforms//cpu:<cpu> (required by ${by})`,
        { pos: target.pos, label: key },
      );
    }
    return normalizePlatform({ os: p.os, architecture: p.architecture, ...(p.variant ? { variant: p.variant } : {}) });
  }

  #labelsOf(target: Target, attr: string): Label[] {
    const v = target.attrs.get(attr);
    if (v === undefined || v === null) return [];
    if (!(v instanceof StarList || v instanceof StarTuple)) {
      throw new BuildError(`"${attr}" must be a list of labels`, { pos: target.pos, label: target.label.toString() });
    }
    return v.elems.map((e) => {
      if (e instanceof LabelValue) return e.label;
      if (typeof e === 'string') return parseLabel(e, target.label.repo, target.label.pkg);
      throw new BuildError(`"${attr}" must be a list of labels`, { pos: target.pos, label: target.label.toString() });
    });
  }

  #sourceFile(label: Label): FileRef | undefined {
    const abs = join(this.root, label.pkg, label.name);
    if (!existsSync(abs)) return undefined;
    const st = statSync(abs);
    if (!st.isFile()) return undefined;
    const real = realpathSync(abs);
    const rootReal = realpathSync(this.root);
    if (real !== rootReal && !real.startsWith(rootReal + sep)) {
      throw new BuildError(`${label}: source file ${label.path} resolves outside the workspace (${real})`);
    }
    // A file inside a subpackage belongs to that package (Bazel: "crosses package boundary").
    const segs = label.name.split('/');
    for (let i = 1; i < segs.length; i++) {
      const sub = [label.pkg, ...segs.slice(0, i)].filter((s) => s !== '').join('/');
      if (this.#buildFileOf(sub)) {
        throw new BuildError(`${label}: label crosses a package boundary: ${label.path} belongs to package '${sub}'`);
      }
    }
    return { path: abs, shortPath: label.path, generated: false };
  }

  /** A target's attributes with select()s resolved for `config`, as plain data. */
  configuredAttrs(target: Target, config: Configuration): Map<string, Plain> {
    const out = new Map<string, Plain>();
    for (const [name, value] of target.attrs) {
      try {
        const resolved = resolveSelects(value, (key) => this.#selectKeyMatches(key, target, config), {
          refines: (a, b) => conditionsRefine(this.#selectKeyConditions(a, target), this.#selectKeyConditions(b, target)),
        });
        out.set(name, toPlain(resolved, `attribute "${name}"`));
      } catch (err) {
        // Values a BUILD file may not hold in an attribute (functions, ...): a clean error at the target.
        if (err instanceof BuiltinError) throw new BuildError(err.message, { pos: target.pos, label: target.label.toString(), cause: err });
        throw err;
      }
    }
    return out;
  }

  #selectKeyConditions(key: Value, target: Target): Set<string> {
    let label: Label | undefined;
    if (key instanceof LabelValue) label = key.label;
    else if (typeof key === 'string') {
      try {
        label = parseLabel(key, target.label.repo, target.label.pkg);
      } catch {
        label = undefined;
      }
    }
    if (!label) return new Set();
    const setting = label.repo === '' && this.#buildFileOf(label.pkg) ? this.loadPackage(label.pkg).targets.get(label.name) : undefined;
    return settingConditions(label, setting);
  }

  #selectKeyMatches(key: Value, target: Target, config: Configuration): boolean {
    let label: Label;
    const bad = (why: string) => new BuildError(`select(): ${why}`, { pos: target.pos, label: target.label.toString() });
    if (key instanceof LabelValue) label = key.label;
    else if (typeof key === 'string') {
      try {
        label = parseLabel(key, target.label.repo, target.label.pkg);
      } catch (err) {
        throw bad(`invalid key: ${(err as Error).message}`);
      }
    } else throw bad(`keys must be labels, got ${typeof key === 'object' && key !== null ? (key.constructor?.name ?? 'object') : String(key)}`);
    const setting = label.repo === '' && this.#buildFileOf(label.pkg) ? this.loadPackage(label.pkg).targets.get(label.name) : undefined;
    return platformMatchesSelectKey(label, setting, config, this.#flags);
  }

  // ---- Starlark environment -----------------------------------------------------------------

  #recordTarget(kind: string, origin: string, call: CallInfo): void {
    const scope = this.#scope;
    if (!scope) throw new BuiltinError(`${call.name}() can only be called while a BUILD file is evaluated`);
    if (call.args.length > 0) throw new BuiltinError(`${call.name}() takes keyword arguments only`);
    const name = kwargString(call, 'name');
    try {
      parseLabel(`:${name}`, '', scope.pkg.name);
    } catch (err) {
      throw new BuiltinError(`invalid target name "${name}": ${(err as Error).message}`);
    }
    const pos = call.callStack[0] ?? call.pos;
    const existing = scope.pkg.targets.get(name);
    if (existing) throw new BuiltinError(`target "${name}" is already defined at ${formatSourcePosition(existing.pos)}`);
    const rule = this.#rules(kind);
    if (rule) {
      for (const attr of call.kwargs.keys()) {
        if (attr !== 'name' && !(attr in rule.attrs)) {
          throw new BuiltinError(`${kind}() got unexpected attribute "${attr}"`);
        }
      }
    }
    const attrs = new Map(call.kwargs);
    attrs.delete('name');
    scope.pkg.targets.set(name, { label: new Label('', scope.pkg.name, name), kind, origin, attrs, pos });
    const { files, known } = declaredOutputs(kind, attrs, this.#rules);
    for (const out of files) {
      const other = scope.pkg.outputs.get(out);
      if (other !== undefined || scope.pkg.targets.has(out)) {
        // Guessed outputs of rules whose attribute types are unknown never fail loading.
        if (!known) continue;
        throw new BuiltinError(other !== undefined ? `generated file '${out}' is also an output of '${other}'` : `generated file '${out}' conflicts with the target of that name`);
      }
      scope.pkg.outputs.set(out, name);
    }
  }

  #ruleBuiltin(symbol: string, kind: string, origin: string): Builtin {
    return new Builtin(symbol, (call) => {
      this.#recordTarget(kind, origin, call);
      return null;
    });
  }

  #glob(call: CallInfo): Value {
    const scope = this.#scope;
    if (!scope) throw new BuiltinError('glob() can only be called while a BUILD file is evaluated');
    const include = stringListArg(call, 'include', 0) ?? [];
    const exclude = stringListArg(call, 'exclude', 1) ?? [];
    for (const p of [...include, ...exclude]) {
      const problem = validateGlobPattern(p);
      if (problem) throw new BuiltinError(`glob: ${problem}`);
    }
    const exDirsV = call.kwargs.get('exclude_directories');
    const excludeDirectories = exDirsV === undefined ? true : exDirsV !== 0 && exDirsV !== false;
    const allowEmptyV = call.kwargs.get('allow_empty');
    const listing = listPackageFiles(join(this.root, scope.pkg.name));
    const matched = matchGlob(listing, include, exclude, excludeDirectories);
    if (matched.length === 0 && allowEmptyV === false) {
      throw new BuiltinError(`glob pattern(s) ${JSON.stringify(include)} matched no files and allow_empty = False`);
    }
    return fromStringList(matched);
  }

  #currentPkg(what: string): Package {
    const scope = this.#scope;
    if (!scope) throw new BuiltinError(`${what} can only be called while a BUILD file is evaluated`);
    return scope.pkg;
  }

  /** Functions a BUILD file sees (and .bzl files as `native.*`). */
  #buildGlobals(): Map<string, Value> {
    const g = new Map<string, Value>();
    for (const kind of NATIVE_RULES) g.set(kind, this.#ruleBuiltin(kind, kind, 'native'));
    g.set('glob', new Builtin('glob', (call) => this.#glob(call)));
    const noop = (name: string): Builtin => new Builtin(name, () => null);
    for (const name of ['package', 'licenses', 'exports_files', 'package_group', 'workspace']) g.set(name, noop(name));
    g.set('package_name', new Builtin('package_name', () => this.#currentPkg('package_name()').name));
    g.set('repository_name', new Builtin('repository_name', () => '@'));
    g.set('module_name', new Builtin('module_name', () => null));
    g.set('module_version', new Builtin('module_version', () => null));
    g.set(
      'package_relative_label',
      new Builtin('package_relative_label', (call) => {
        const v = call.args[0];
        if (v instanceof LabelValue) return v;
        if (typeof v !== 'string') throw new BuiltinError('package_relative_label() takes a label string');
        return new LabelValue(this.#parseIn(v, this.#currentPkg('package_relative_label()').name));
      }),
    );
    g.set('existing_rule', new Builtin('existing_rule', (call) => {
      const name = call.args[0];
      const t = typeof name === 'string' ? this.#currentPkg('existing_rule()').targets.get(name) : undefined;
      return t ? ruleDict(t) : null;
    }));
    g.set('existing_rules', new Builtin('existing_rules', () => {
      const out = new StarDict();
      for (const t of this.#currentPkg('existing_rules()').targets.values()) out.set(t.label.name, ruleDict(t));
      return out;
    }));
    g.set('Label', labelBuiltin(() => ({ repo: '', pkg: this.#scope?.pkg.name ?? '' }), (l) => this.canonicalLabel(l)));
    return g;
  }

  #parseIn(text: string, pkg: string): Label {
    try {
      return parseLabel(text, '', pkg);
    } catch (err) {
      throw new BuiltinError((err as Error).message);
    }
  }

  /** Globals of a .bzl file: `native` for macros, Label relative to the .bzl's package, rule(), ... */
  #bzlGlobals(file: Label): Map<string, Value> {
    const g = bzlPredeclared(file.toString(), {
      customRule: (_hint, call) => this.#recordTarget('custom_rule', file.toString(), call),
    });
    const native = this.#buildGlobals();
    native.delete('Label');
    g.set('native', nativeModule(native));
    g.set('Label', labelBuiltin(() => ({ repo: file.repo, pkg: file.pkg }), (l) => this.canonicalLabel(l)));
    return g;
  }

  #load(module: string, pos: Position, fromRepo: string, fromPkg: string): Map<string, Value> {
    let label: Label;
    try {
      label = parseLabel(module, fromRepo, fromPkg);
    } catch (err) {
      throw new StarlarkError(`load: ${(err as Error).message}`, pos);
    }
    if (!label.name.endsWith('.bzl')) throw new StarlarkError(`load: "${module}" is not a .bzl file`, pos);
    if (label.repo !== '') {
      // bazel_dep(name = "rules_oci", repo_name = "oci") makes @oci mean rules_oci.
      const repo = this.module.deps.get(label.repo) ?? label.repo;
      const known = knownModule(repo, label.pkg, label.name);
      const origin = `@${label.repo}//${label.pkg}:${label.name}`;
      return new AnySymbols((symbol) => {
        const kind = known?.[symbol];
        if (kind) return this.#ruleBuiltin(symbol, kind, origin);
        if (isKwargsHelper(repo, label.pkg, label.name, symbol)) {
          return new Builtin(symbol, (call) => StarDict.from([...call.kwargs]));
        }
        // Unmodelled: a call with `name = ...` and keyword arguments only is a rule (recorded,
        // not built); anything else (`requirement("x")`, a helper) is a function returning None.
        return new Builtin(symbol, (call) => {
          if (call.args.length === 0 && typeof call.kwargs.get('name') === 'string' && this.#scope) {
            this.#recordTarget(symbol, origin, call);
          }
          return null;
        });
      });
    }
    return this.#loadBzl(label, pos);
  }

  #loadBzl(label: Label, pos: Position): Map<string, Value> {
    const key = label.toString();
    const cached = this.#bzl.get(key);
    if (cached) return cached;
    if (this.#bzlLoading.has(key)) throw new StarlarkError(`load cycle: ${[...this.#bzlLoading, key].join(' -> ')}`, pos);
    let source: string | undefined;
    try {
      source = readStarlarkFile(this.root, label.path);
    } catch (err) {
      if (err instanceof StarlarkFileError) throw new StarlarkError(`load: ${err.message}`, pos);
      throw err;
    }
    if (source === undefined) throw new StarlarkError(`load: cannot find ${label.path} (for "${key}")`, pos);
    this.#bzlLoading.add(key);
    try {
      const globals = execFile({
        file: label.path,
        source,
        predeclared: this.#bzlGlobals(label),
        load: (m, p) => this.#load(m, p, label.repo, label.pkg),
        print: (msg, p) => this.#log.info(`${formatSourcePosition(p)}: ${msg}`),
        undefinedNameHint: loadHint,
      });
      this.#bzl.set(key, globals);
      return globals;
    } finally {
      this.#bzlLoading.delete(key);
    }
  }
}

/**
 * The output files a rule declares at loading, by kind (Bazel's attr.output / attr.output_list).
 * For rule()s and unmodelled rule sets, whose attribute types are unknown, `out` and `outs` are
 * read as outputs, the names those attributes have by convention.
 */
function declaredOutputs(kind: string, attrs: Map<string, Value>, rules: RuleCatalog): { files: string[]; known: boolean } {
  const one = (name: string): string[] => {
    const v = attrs.get(name);
    return typeof v === 'string' && v !== '' ? [v] : [];
  };
  const many = (name: string): string[] => {
    const v = attrs.get(name);
    return v instanceof StarList || v instanceof StarTuple ? v.elems.flatMap((e) => (typeof e === 'string' && e !== '' ? [e] : [])) : [];
  };
  switch (kind) {
    case 'genrule':
      return { files: many('outs'), known: true };
    case 'write_file':
    case 'copy_file':
    case 'expand_template':
    case 'skylib_expand_template':
      return { files: one('out'), known: true };
    default:
      if (rules(kind) !== undefined || NATIVE_RULES.includes(kind)) return { files: [], known: true };
      return { files: [...one('out'), ...many('outs')], known: false };
  }
}

/** What native.existing_rule() returns: the attributes plus name and kind. */
function ruleDict(t: Target): StarDict {
  const d = new StarDict();
  d.set('name', t.label.name);
  d.set('kind', t.kind);
  for (const [k, v] of t.attrs) d.set(k, v);
  return d;
}

/** The `native` module of .bzl files: the BUILD file's built-in functions as attributes. */
function nativeModule(globals: Map<string, Value>): HasAttrs {
  return {
    typeName: 'native',
    getAttr: (name) => globals.get(name),
    attrNames: () => [...globals.keys()].sort(),
  };
}

