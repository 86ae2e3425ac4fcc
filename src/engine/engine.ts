import type { CompilationMode } from '../go/build.ts';
import { DEFAULT_LAYER_COMPRESSION, type LayerCompressionSetting } from '../oci/layer.ts';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../oci/blobstore.ts';
import type { GoToolchain } from '../go/toolchain.ts';
import { GoBuildQueue } from '../go/batch.ts';
import { GO_ACTION_CACHE } from '../go/action_cache.ts';
import type { RegistryPool } from '../registry/pool.ts';
import { AttrError, AttrValues } from '../rules/attrs.ts';
import { ruleFor } from '../rules/index.ts';
import { NO_METADATA, type BuildContext, type Logger, type MetadataOverrides, type RuleDef, type StampInfo } from '../rules/rule.ts';
import type { FileRef, Provider } from '../rules/provider.ts';
import { parseLabel, type Label } from '../workspace/label.ts';
import type { Target } from '../workspace/target.ts';
import type { Workspace } from '../workspace/workspace.ts';
import { configKey, type Configuration } from './config.ts';
import { Semaphore } from '../util/semaphore.ts';
import { BuildError } from '../errors.ts';

/** One (label, configuration) pair of the configured graph. */
export interface ConfiguredNode {
  key: string;
  label: Label;
  config: Configuration;
  target?: Target;
  rule?: RuleDef;
  attrs?: AttrValues;
  sourceFile?: FileRef;
  deps: Array<{ attr: string; label: Label; node: ConfiguredNode }>;
}

export interface EngineOptions {
  workspace: Workspace;
  /** Root of build outputs (per-configuration trees below it). */
  outRoot: string;
  store: BlobStore;
  log: Logger;
  env: NodeJS.ProcessEnv;
  goToolchain: () => Promise<GoToolchain>;
  registries: RegistryPool;
  sourceDateEpoch?: number;
  stamp?: StampInfo;
  metadata?: MetadataOverrides;
  /** Default: gzip level 1. */
  layerCompression?: LayerCompressionSetting;
  /** Default fastbuild, as Bazel's. */
  compilationMode?: CompilationMode;
  concurrency?: number;
  /**
   * Attributes treated as unset, by rule kind: what the action's inputs replace (the `tags`
   * input replaces oci_push `remote_tags`), so the rule's own value is neither built nor checked.
   */
  ignoredAttrs?: Readonly<Record<string, readonly string[]>>;
  /** Default: one queue with its cache under the store. */
  goBuilds?: GoBuildQueue;
}

/**
 * Analysis, then execution, as Bazel splits them: `analyze` resolves select()s per
 * configuration, checks attribute types and finds missing targets and cycles before anything
 * is built; `build` runs each (label, configuration) once, dependencies first, in parallel.
 */
export class Engine {
  readonly #opts: EngineOptions;
  readonly #nodes = new Map<string, ConfiguredNode>();
  readonly #builds = new Map<string, Promise<Provider>>();
  readonly #limit: Semaphore;
  /** Steps fed by fresh outputs (Provider.fresh) hold slots of their own: never behind checks. */
  readonly #freshLimit: Semaphore;
  readonly #running = new Map<string, { name: string; since: number }>();
  readonly #madeDirs = new Set<string>();
  readonly goBuilds: GoBuildQueue;
  #expectationSet = false;

  constructor(opts: EngineOptions) {
    this.#opts = opts;
    this.goBuilds = opts.goBuilds ?? new GoBuildQueue({ cacheDir: join(opts.store.root, GO_ACTION_CACHE) });
    this.#limit = new Semaphore(opts.concurrency ?? 4);
    this.#freshLimit = new Semaphore(opts.concurrency ?? 4);
  }

  /** Targets whose own build step is running now, for progress reports. */
  running(): Array<{ name: string; since: number }> {
    return [...this.#running.values()];
  }

  get store(): BlobStore {
    return this.#opts.store;
  }

  analyze(label: Label, config: Configuration): ConfiguredNode {
    return this.#analyze(label, config, []);
  }

  #analyze(label: Label, config: Configuration, chain: ConfiguredNode[]): ConfiguredNode {
    label = this.#opts.workspace.canonicalLabel(label);
    const key = `${label.toString()}|${configKey(config)}`;
    const inChain = chain.findIndex((n) => n.key === key);
    if (inChain >= 0) {
      const cycle = [...chain.slice(inChain).map((n) => n.label.toString()), label.toString()].join(' -> ');
      const at = chain[chain.length - 1]?.target;
      throw new BuildError(`dependency cycle: ${cycle}`, { pos: at?.pos });
    }
    const existing = this.#nodes.get(key);
    if (existing) return existing;

    const ws = this.#opts.workspace;
    const via = chain.length > 0 ? ` (required by ${chain.map((n) => n.label.toString()).join(' -> ')})` : '';
    let resolved: ReturnType<typeof ws.resolve>;
    try {
      resolved = ws.resolve(label, via);
    } catch (err) {
      // A dependency that does not exist is reported where it is named, as Bazel does.
      const parent = chain[chain.length - 1]?.target;
      if (parent && err instanceof BuildError) throw err.at(parent.pos);
      throw err;
    }
    const node: ConfiguredNode = { key, label, config, deps: [] };
    if (resolved.kind === 'file') {
      node.sourceFile = resolved.file;
      this.#nodes.set(key, node);
      return node;
    }
    const target = resolved.target;
    node.target = target;
    const rule = ruleFor(target.kind);
    if (!rule) {
      throw new BuildError(`${label} is a ${target.kind} (from ${target.origin}), which oci-build does not build${via}`, { pos: target.pos });
    }
    node.rule = rule;
    const at = { pos: target.pos, label: label.toString() };
    try {
      const values = ws.configuredAttrs(target, config);
      for (const a of this.#opts.ignoredAttrs?.[target.kind] ?? []) values.delete(a);
      node.attrs = new AttrValues(values, rule.attrs, label.repo, label.pkg);
      rule.validate?.(node.attrs, config);
    } catch (err) {
      if (err instanceof AttrError) throw new BuildError(err.message, at);
      throw err;
    }
    // Platform labels are read, not built: check each names a platform now, with the target's position.
    for (const [attr, spec] of Object.entries(rule.attrs)) {
      if (spec.type !== 'platform' && spec.type !== 'platform_list') continue;
      for (const l of spec.type === 'platform' ? [node.attrs.label(attr)] : node.attrs.labelList(attr)) {
        if (!l) continue;
        try {
          ws.platformOf(l, label);
        } catch (err) {
          throw new BuildError((err as Error).message, { pos: target.pos });
        }
      }
    }
    const next = [...chain, node];
    for (const dep of node.attrs.labelDeps()) {
      if (rule.attrs[dep.attr]?.lenient && !this.#buildable(dep.label)) continue;
      let configs: Configuration[];
      try {
        configs = rule.depConfigs?.(node.attrs, dep.attr, config, (l) => ws.platformOf(l, label)) ?? [config];
      } catch (err) {
        if (err instanceof BuildError) throw err;
        throw new BuildError((err as Error).message, at);
      }
      for (const c of configs) node.deps.push({ attr: dep.attr, label: dep.label, node: this.#analyze(dep.label, c, next) });
    }
    // Checks on what the dependencies are (their kinds), still before anything is built.
    const problem = rule.checkDeps?.(node.deps.map((d) => ({ attr: d.attr, label: d.label, kind: d.node.target?.kind ?? 'source file' })));
    if (problem) throw new BuildError(problem, at);
    this.#nodes.set(key, node);
    return node;
  }

  /**
   * Whether `label` names a target oci-build builds (for lenient attributes; never throws). An
   * alias counts by what it points at: go deps often forward to another repository.
   */
  #buildable(label: Label, depth = 0): boolean {
    try {
      const r = this.#opts.workspace.resolve(label);
      if (r.kind !== 'target' || ruleFor(r.target.kind) === undefined) return false;
      const actual = r.target.kind === 'alias' ? r.target.attrs.get('actual') : undefined;
      if (typeof actual === 'string') return depth < 16 && this.#buildable(parseLabel(actual, r.target.label.repo, r.target.label.pkg), depth + 1);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Says which nodes this run will build (with their dependencies): every queued step among them
   * asks the Go queue for one build (RuleDef.queued), so the queue starts once that many have
   * asked instead of waiting for a quiet gap. Without it, the first build counts every analysed
   * node, which over-counts nodes analysed only to be read (e.g. an image's host configuration).
   */
  willBuild(roots: ConfiguredNode[]): void {
    const seen = new Set<ConfiguredNode>();
    const stack = [...roots];
    let queued = 0;
    while (stack.length) {
      const n = stack.pop() as ConfiguredNode;
      if (seen.has(n)) continue;
      seen.add(n);
      if (n.rule?.queued) queued++;
      for (const d of n.deps) stack.push(d.node);
    }
    this.#expectationSet = true;
    this.goBuilds.expect(queued);
  }

  build(node: ConfiguredNode): Promise<Provider> {
    if (!this.#expectationSet) {
      // Not told (willBuild): every queued step analysed so far.
      this.#expectationSet = true;
      this.goBuilds.expect([...this.#nodes.values()].filter((n) => n.rule?.queued).length);
    }
    let p = this.#builds.get(node.key);
    if (!p) {
      p = this.#build(node);
      this.#builds.set(node.key, p);
    }
    return p;
  }

  async #build(node: ConfiguredNode): Promise<Provider> {
    if (node.sourceFile) return { files: [node.sourceFile] };
    const { target, rule, attrs } = node;
    if (!target || !rule || !attrs) throw new Error(`internal: ${node.key} was not analysed`);
    // Every dependency settles before a failure goes up: no build of this run is still writing
    // into the output tree when the error reaches the caller, and the error reported is the
    // first failing dependency in attribute order, not whichever failed first in time.
    const settled = await Promise.allSettled(node.deps.map((d) => this.build(d.node)));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const depProviders = settled.map((s) => (s as PromiseFulfilledResult<Provider>).value);
    const byAttr = new Map<string, Provider[]>();
    node.deps.forEach((d, i) => {
      const list = byAttr.get(d.attr) ?? [];
      list.push(depProviders[i] as Provider);
      byAttr.set(d.attr, list);
    });
    const outDirPath = join(this.#opts.outRoot, 'bin', configKey(node.config), target.label.repo === '' ? '' : `external/${target.label.repo}`, target.label.pkg);
    const ctx: BuildContext = {
      target,
      config: node.config,
      attrs,
      deps: (attr) => byAttr.get(attr) ?? [],
      dep: (label) => {
        const i = node.deps.findIndex((d) => d.label.equals(label));
        if (i < 0) throw new Error(`internal: ${label} is not a dependency of ${target.label}`);
        return depProviders[i] as Provider;
      },
      files: (attr) => (byAttr.get(attr) ?? []).flatMap((p) => p.files),
      outDir: async () => {
        // Many targets share a package's directory: made once per run.
        if (!this.#madeDirs.has(outDirPath)) {
          await mkdir(outDirPath, { recursive: true });
          this.#madeDirs.add(outDirPath);
        }
        return outDirPath;
      },
      outShortPath: (name) => (target.label.pkg === '' ? name : `${target.label.pkg}/${name}`),
      workspaceRoot: this.#opts.workspace.root,
      outRoot: this.#opts.outRoot,
      store: this.#opts.store,
      goToolchain: this.#opts.goToolchain,
      goBuilds: this.goBuilds,
      registries: this.#opts.registries,
      sourceDateEpoch: this.#opts.sourceDateEpoch,
      // A rule's warnings are placed on its target's BUILD line unless they name another.
      log: { info: (m) => this.#opts.log.info(m), warning: (m, at) => this.#opts.log.warning(m, at ?? target.pos) },
      env: this.#opts.env,
      stamp: this.#opts.stamp ?? { enabled: false, values: async () => ({}) },
      metadata: this.#opts.metadata ?? NO_METADATA,
      layerCompression: this.#opts.layerCompression ?? DEFAULT_LAYER_COMPRESSION,
      compilationMode: this.#opts.compilationMode ?? 'fastbuild',
      moduleInfo: () => this.#opts.workspace.module,
    };
    const step = async (): Promise<Provider> => {
      this.#running.set(node.key, { name: target.label.toString(), since: Date.now() });
      try {
        return await rule.build(ctx);
      } finally {
        this.#running.delete(node.key);
      }
    };
    try {
      if (rule.queued) return await step();
      // Steps fed by fresh outputs are the run's critical path: they never queue behind steps
      // that only find their outputs up to date (those are many after a small change).
      const fresh = depProviders.some((p) => p.fresh);
      const provider = await (fresh ? this.#freshLimit : this.#limit).run(step);
      return fresh && !provider.fresh ? { ...provider, fresh } : provider;
    } catch (err) {
      // A rule's error about its own target gets the target's BUILD line; other BuildErrors
      // already say where they are.
      if (err instanceof BuildError) throw err.label === target.label.toString() ? err.at(target.pos) : err;
      throw new BuildError((err as Error).message, { pos: target.pos, label: target.label.toString(), cause: err });
    }
  }
}
