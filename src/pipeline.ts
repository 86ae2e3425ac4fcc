import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { BlobStore } from './oci/blobstore.ts';
import { buildIndex, readIndex } from './oci/imageindex.ts';
import { writeLayout } from './oci/layout.ts';
import type { LayerCompressionSetting } from './oci/layer.ts';
import type { CompilationMode } from './go/build.ts';
import { formatPlatform } from './oci/platform.ts';
import type { Platform } from './oci/types.ts';
import { findGoToolchain, type GoToolchain } from './go/toolchain.ts';
import { Engine, type ConfiguredNode } from './engine/engine.ts';
import { HOST_CONFIG, configKey, withPlatform } from './engine/config.ts';
import { BuildError } from './errors.ts';
import { Workspace } from './workspace/workspace.ts';
import { findWorkspaceRoot } from './workspace/root.ts';
import type { Logger, MetadataOverrides } from './rules/rule.ts';
import type { Provider } from './rules/provider.ts';
import type { BuiltArtifact, BuiltImage, BuiltIndex } from './oci/artifact.ts';
import { checkPushInputs } from './publish/registry.ts';
import type { Group } from './publish/publisher.ts';
import { createSinks, type PublisherFor } from './publish/sinks.ts';
import { RegistryPool } from './registry/pool.ts';
import type { ExplicitCredentials } from './registry/credentials.ts';
import type { RetryOptions } from './registry/transport.ts';
import { workspaceStatus } from './rules/stamp.ts';
import { readBazelrc } from './workspace/bazelrc.ts';
import { platformFromName } from './workspace/constraints.ts';
import { parseLabel, type Label } from './workspace/label.ts';
import type { Configuration } from './engine/config.ts';
import { withHeartbeat } from './util/progress.ts';
import { SbomCache } from './sbom/artifact.ts';
import { ruleFor } from './rules/index.ts';

/** Targets pushed at once when a run publishes several (each pushes its blobs 4 at a time). */
export const PUBLISH_CONCURRENCY = 4;

export interface PipelineOptions {
  /** Directory inside the workspace; relative target labels resolve against its package. */
  cwd: string;
  targets: string[];
  /** Output root; default `<workspace>/.oci-build`. */
  outputDir?: string;
  /** Whether explicitly named oci_load targets load into Docker (`run`) or are only built. */
  load: boolean;
  /** Whether explicitly named oci_push targets push (`run`) or are only built. */
  push?: boolean;
  /** Overrides every pushed target's repository (`registry/path`). */
  repository?: string;
  /** Override every pushed target's tags: bare tags or full `registry/repo:tag` references. */
  tags?: string[];
  /** How `repository` and `tags` are spelled where the user gave them, for errors. */
  pushOptionNames?: string;
  /** Push by digest only, setting no tag (the per-platform jobs of a distributed build). */
  pushByDigest?: boolean;
  /** Build each named image for these platforms and wrap them in an index. */
  platforms?: Platform[];
  credentials?: ExplicitCredentials[];
  insecureRegistries?: string[];
  /** Upload blobs in chunks of this many bytes (PATCH) instead of one PUT. */
  chunkSize?: number;
  /** Registry retry and timeout settings (tests and impatient users shorten them). */
  retry?: RetryOptions;
  /** Stamp targets whose `stamp` is -1 (Bazel's --stamp). Unset: as the .bazelrc says (default off). */
  stamp?: boolean;
  /** .bazelrc configs to apply (`build:NAME` lines), as bazel --config=NAME. */
  configs?: string[];
  /** Added to every image's config labels / manifest annotations / index annotations. */
  metadata?: MetadataOverrides;
  /** Used when no other credentials are found for its registry (the github-token for ghcr.io). */
  fallbackCredentials?: ExplicitCredentials;
  log: Logger;
  /** Wraps a phase for grouped logs (core.group in the action). */
  group?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  maskSecret?: (secret: string) => void;
  env?: NodeJS.ProcessEnv;
  /** A live status line (the CLI on a terminal): called every second with what is running. */
  status?: (line: string) => void;
  /** Bazel's --compilation_mode: fastbuild (default; binaries linked with -s -w, as rules_go does), opt, dbg. Unset: the .bazelrc's. */
  compilationMode?: CompilationMode;
  /** How uncompressed layer tars are compressed (default gzip level 1; `none` as rules_oci). */
  layerCompression?: LayerCompressionSetting;
  /** An SPDX SBOM per image, in the layout and pushed as a referrer (default true). */
  sbom?: boolean;
}

export interface TargetReport {
  label: string;
  kind: string;
  /** What happened: built only, loaded into Docker, or pushed to a registry. */
  action: 'built' | 'loaded' | 'pushed';
  digest?: string;
  mediaType?: string;
  /** Config digest of a single-platform image (Docker's image ID). */
  imageId?: string;
  platforms: string[];
  /** OCI image layout directory holding the image or index. */
  layout?: string;
  /** Tags loaded into Docker, or full `registry/repo:tag` references pushed. */
  tags: string[];
  /** `registry/repo@sha256:…` for each repository pushed to. */
  references: string[];
  blobs?: { uploaded: number; skipped: number; mounted: number; bytesUploaded: number };
  /** Distinct layers of the image (all platforms of an index) and their compressed bytes. */
  layers?: { count: number; bytes: number };
  /** Seconds from the start of the build phase until this target was built and published. */
  seconds?: number;
  /** SBOM artifact manifests (one per platform image): digest, the image it describes, how it was attached. */
  sboms?: Array<{ digest: string; subject: string; platform: string; attached?: string }>;
}

export interface PipelineResult {
  workspaceRoot: string;
  outputDir: string;
  reports: TargetReport[];
}

function parseSourceDateEpoch(env: NodeJS.ProcessEnv): number | undefined {
  const v = env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new BuildError(`SOURCE_DATE_EPOCH="${v}": expected a whole number of seconds since 1970`);
  return Number(v);
}

type ArtifactFacts = Required<Pick<TargetReport, 'layers' | 'digest' | 'mediaType' | 'platforms'>> & Pick<TargetReport, 'layout' | 'imageId'>;

/** What a report says about a built image or index (an index has no image ID). */
function describeArtifact(a: BuiltArtifact): ArtifactFacts {
  const layers = new Map<string, number>();
  for (const img of a.kind === 'image' ? [a] : a.images) for (const l of img.manifest.layers) layers.set(l.digest, l.size);
  return {
    layers: { count: layers.size, bytes: [...layers.values()].reduce((x, y) => x + y, 0) },
    digest: a.descriptor.digest,
    mediaType: a.descriptor.mediaType,
    layout: a.layoutDir,
    platforms: a.kind === 'image' ? [formatPlatform(a.platform)] : a.images.map((i) => formatPlatform(i.platform)),
    ...(a.kind === 'image' ? { imageId: a.manifest.config.digest } : {}),
  };
}

interface Requested {
  node: ConfiguredNode;
  runnable: boolean;
  /** With the platforms option: the image analysed once per platform. */
  perPlatform?: ConfiguredNode[];
}

/** fresh: something of it was made anew in this run (see Provider.fresh): not published behind the rest. */
type Built = { provider: Provider; artifact?: BuiltArtifact; fresh?: boolean };

/**
 * A repository or tags given for targets none of which is an oci_push named to run would push
 * nothing, silently: say which targets were named and what to name instead.
 */
function checkSomethingPushes(nodes: Requested[], opts: PipelineOptions): void {
  if (!opts.repository && (opts.tags ?? []).length === 0) return;
  if (nodes.some((n) => n.runnable && n.node.target?.kind === 'oci_push')) return;
  const named = nodes.filter((n) => n.runnable).map((n) => `${n.node.label} is ${/^[aeiou]/.test(n.node.target?.kind ?? 'file') ? 'an' : 'a'} ${n.node.target?.kind ?? 'file'}`);
  const what = named.length > 0 ? named.join(', ') : 'only patterns were given, and patterns only build';
  throw new BuildError(
    `${opts.pushOptionNames ?? 'repository and tags'} apply to oci_push targets, but ${what}: name the oci_push target that pushes the image (its "image" attribute), or drop them`,
  );
}

/** Whether running this target loads into Docker or pushes (with those switched on). */
function publishes(n: Requested, opts: PipelineOptions): boolean {
  const kind = n.node.target?.kind;
  return n.runnable && ((kind === 'oci_push' && opts.push !== false) || (kind === 'oci_load' && opts.load));
}

/**
 * inputs → targets → configured graph → builds → publishers (Docker, registries) → reports.
 * Every target is analysed before anything is built, so a bad label or attribute fails fast.
 */
export async function runPipeline(opts: PipelineOptions): Promise<PipelineResult> {
  const env = opts.env ?? process.env;
  const group = opts.group ?? (<T>(_name: string, fn: () => Promise<T>) => fn());
  checkPushInputs({ repository: opts.repository, tags: opts.tags ?? [] });
  const setup = openWorkspace(opts, env);
  const { engine, store, registries } = createEngine(opts, env, setup);
  // Go may start on what changed since the last run of these targets while they are analysed.
  engine.goBuilds.predict(JSON.stringify({ targets: opts.targets, platforms: setup.platforms, cwd: setup.cwdPkg }), findGoToolchain(env), env);
  try {
    const nodes = await group('Analysing BUILD targets', async () => analyse(engine, setup, opts));
    // With platforms, each image is built per platform; the host-configuration one only informs.
    engine.willBuild(nodes.flatMap((n) => n.perPlatform ?? [n.node]));
    // When every requested target is a push or a load, the build's OCI layouts are not what the
    // user consumes: base layers stay in their registry until a load or push needs them.
    store.shallow = nodes.every((n) => publishes(n, opts));
    await mkdir(setup.outputDir, { recursive: true });
    // Keep build outputs out of the user's git status, as bazel-* convenience links are.
    await writeFile(join(setup.outputDir, '.gitignore'), '*\n');
    // Several targets to push or load: each is published as soon as it is built, while the
    // others still build; their logs interleave, so they are not grouped. One: build, then publish.
    const overlap = nodes.filter((n) => publishes(n, opts)).length > 1;
    const publishGroup: Group = overlap ? (_name, fn) => fn() : group;
    const sinks = createSinks({
      store,
      registries,
      env,
      log: (m) => opts.log.info(m),
      group: publishGroup,
      load: opts.load,
      push: opts.push !== false,
      overrides: { repository: opts.repository, tags: opts.tags ?? [] },
      pushByDigest: opts.pushByDigest ?? false,
      pushConcurrency: PUBLISH_CONCURRENCY,
    });
    const run = new PublishRun(opts, sinks, new SbomCache(store, setup.sourceDateEpoch), overlap);
    const build = (n: Requested) => buildTarget(engine, store, setup, opts, n, run.builtAt);
    const heartbeat = <T>(work: Promise<T>) => withHeartbeat(work, () => engine.running(), opts.status ?? ((m) => opts.log.info(m)), 'building', opts.status ? 1000 : undefined);
    if (!overlap) {
      // Settled, not Promise.all: a failure is reported once nothing else still writes outputs.
      const settled = await group('Building', () => heartbeat(Promise.allSettled(nodes.map(build))));
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      const built = settled.map((s) => (s as PromiseFulfilledResult<Built>).value);
      opts.status?.('');
      for (const [i, n] of nodes.entries()) await run.publish(i, n, built[i] as Built);
    } else {
      // After the first failure no further publish starts; those under way finish, then the
      // failure is reported (every image pushed so far is whole: tags go last).
      let failure: { err: unknown } | undefined;
      const buildThenPublish = async (n: Requested, i: number) => {
        try {
          const b = await build(n);
          if (!failure) await run.publish(i, n, b);
        } catch (err) {
          failure ??= { err };
          throw err;
        }
      };
      await group('Building and publishing', () => heartbeat(Promise.allSettled(nodes.map(buildThenPublish))));
      opts.status?.('');
      if (failure) {
        const done = run.reports.filter((r) => r && (r.action === 'pushed' || r.action === 'loaded')).map((r) => r.label);
        if (done.length > 0) opts.log.warning(`published before the failure: ${done.join(' ')}`);
        throw failure.err;
      }
    }
    return { workspaceRoot: setup.root, outputDir: setup.outputDir, reports: run.reports };
  } finally {
    // A dependency pass may still run after the binaries went on (it keys them for the next run).
    engine.goBuilds.dropPredictions();
    await engine.goBuilds.idle();
    await engine.goBuilds.rememberRun().catch(() => {});
    await registries.close();
  }
}

/** The workspace, its .bazelrc, and the settings the inputs and flags override. */
interface Setup {
  root: string;
  outputDir: string;
  /** The package of the directory the run started in: relative labels resolve against it. */
  cwdPkg: string;
  sourceDateEpoch: number | undefined;
  platforms: Platform[];
  rc: ReturnType<typeof readBazelrc>;
  ws: Workspace;
  compilationMode: CompilationMode;
  stampEnabled: boolean;
  /** The configuration requested targets are analysed in (the host's, or --platforms from the .bazelrc). */
  rootConfig: Configuration;
}

function openWorkspace(opts: PipelineOptions, env: NodeJS.ProcessEnv): Setup {
  const cwd = resolve(opts.cwd);
  const root = findWorkspaceRoot(cwd);
  const outputDir = resolve(opts.outputDir && opts.outputDir !== '' ? opts.outputDir : join(root, '.oci-build'));
  const cwdPkg = relative(root, cwd).split(sep).join('/');
  const sourceDateEpoch = parseSourceDateEpoch(env);
  const platforms = opts.platforms ?? [];
  // .bazelrc options; the inputs and CLI flags given override them.
  const rc = readBazelrc(root, opts.configs ?? [], env);
  for (const line of rc.applied) opts.log.info(`.bazelrc: ${line}`);
  const compilationMode = opts.compilationMode ?? rc.compilationMode ?? 'fastbuild';
  const stampEnabled = opts.stamp ?? rc.stamp ?? false;
  const ws = new Workspace(root, { rules: ruleFor, log: opts.log, flags: { compilation_mode: compilationMode, define: rc.defines } });
  const rootConfig = rc.platforms !== undefined && platforms.length === 0 ? withPlatform(rcPlatform(rc.platforms, ws, opts.log)) : HOST_CONFIG;
  return { root, outputDir, cwdPkg, sourceDateEpoch, platforms, rc, ws, compilationMode, stampEnabled, rootConfig };
}

/** --platforms from the .bazelrc: the platform requested targets are analysed for. */
function rcPlatform(text: string, ws: Workspace, log: Logger): Platform {
  let pl: Label;
  try {
    pl = parseLabel(text);
  } catch (err) {
    throw new BuildError(`.bazelrc --platforms: ${(err as Error).message}`);
  }
  try {
    return ws.platformOf(pl, pl);
  } catch (err) {
    // A platform in a repository not read here (a toolchain's): its name usually says it.
    const guessed = pl.repo !== '' ? platformFromName(pl.name) : undefined;
    if (!guessed) throw new BuildError(`.bazelrc --platforms=${text}: ${(err as Error).message}`);
    log.info(`.bazelrc --platforms=${text}: building for ${formatPlatform(guessed)} (from the label's name)`);
    return guessed;
  }
}

function createEngine(opts: PipelineOptions, env: NodeJS.ProcessEnv, setup: Setup): { engine: Engine; store: BlobStore; registries: RegistryPool } {
  const registries = new RegistryPool({
    explicit: opts.credentials ?? [],
    insecureRegistries: opts.insecureRegistries ?? [],
    chunkSize: opts.chunkSize,
    retry: opts.retry,
    log: (m) => opts.log.info(m),
    maskSecret: opts.maskSecret ?? (() => {}),
    env,
    fallback: opts.fallbackCredentials,
  });
  let toolchain: GoToolchain | undefined;
  // Read once, and only if a stamped target asks: it runs git three times.
  let status: Promise<Record<string, string>> | undefined;
  const { rc, root } = setup;
  const store = new BlobStore(join(setup.outputDir, 'store'));
  const engine = new Engine({
    workspace: setup.ws,
    outRoot: setup.outputDir,
    store,
    log: opts.log,
    env,
    goToolchain: async () => (toolchain ??= findGoToolchain(env)),
    registries,
    sourceDateEpoch: setup.sourceDateEpoch,
    stamp: {
      enabled: setup.stampEnabled,
      values: () => (status ??= workspaceStatus(env, { cwd: root, embedLabel: rc.embedLabel, command: rc.workspaceStatusCommand })),
    },
    metadata: opts.metadata,
    layerCompression: opts.layerCompression,
    compilationMode: setup.compilationMode,
    // An override replaces: the rule's remote_tags / repository_file are not built or validated.
    ignoredAttrs: {
      oci_push: [
        ...((opts.tags ?? []).length > 0 || opts.pushByDigest ? ['remote_tags'] : []),
        ...(opts.repository ? ['repository', 'repository_file'] : []),
      ],
    },
  });
  return { engine, store, registries };
}

function analyse(engine: Engine, setup: Setup, opts: PipelineOptions): Requested[] {
  const requested = opts.targets.flatMap((t) => setup.ws.expandPattern(t, setup.cwdPkg));
  const out = requested.map((r): Requested => {
    const node = engine.analyze(r.label, setup.rootConfig);
    return { node, runnable: r.explicit, perPlatform: setup.platforms.length ? fanOut(engine, node, setup.platforms) : undefined };
  });
  opts.log.info(`${out.length} target(s): ${out.map((n) => n.node.label.toString()).join(' ')}`);
  checkSomethingPushes(out, opts);
  return out;
}

async function buildTarget(engine: Engine, store: BlobStore, setup: Setup, opts: PipelineOptions, n: Requested, builtAt: Map<string, number>): Promise<Built> {
  if (!n.perPlatform) {
    const provider = await engine.build(n.node);
    builtAt.set(n.node.key, Date.now());
    return { provider, artifact: provider.artifact, fresh: provider.fresh };
  }
  // With platforms, the host-configuration image is never built: only what the run
  // needs from the oci_load / oci_push itself (its tags, repository), and each platform.
  const [provider, images] = await Promise.all([runInfoOnly(engine, n.node), Promise.all(n.perPlatform.map((p) => engine.build(p)))]);
  builtAt.set(n.node.key, Date.now());
  // One platform is that platform's image, not an index of one (what a per-platform job pushes).
  const fresh = images.some((i) => i.fresh);
  if (images.length === 1) return { provider, artifact: images[0]?.artifact, fresh };
  return { provider, artifact: await wrapIndex(store, setup.outputDir, n.node, images, opts.metadata?.indexAnnotations), fresh };
}

/** Publishing each built target through its sink, and the report (with timing) it leaves. */
class PublishRun {
  readonly reports: TargetReport[] = [];
  readonly builtAt = new Map<string, number>();
  readonly #started = Date.now();
  /** Without overlap: time spent publishing so far, counted into each later target's seconds. */
  #publishing = 0;
  readonly opts: PipelineOptions;
  readonly sinks: PublisherFor;
  readonly sboms: SbomCache;
  readonly overlap: boolean;
  constructor(opts: PipelineOptions, sinks: PublisherFor, sboms: SbomCache, overlap: boolean) {
    this.opts = opts;
    this.sinks = sinks;
    this.sboms = sboms;
    this.overlap = overlap;
  }

  async publish(i: number, n: Requested, built: Built): Promise<void> {
    const { opts } = this;
    const publishStart = Date.now();
    const label = n.node.label.toString();
    const { artifact } = built;
    const report: TargetReport = { label, kind: n.node.target?.kind ?? 'file', action: 'built', platforms: [], tags: [], references: [], ...(artifact ? describeArtifact(artifact) : {}) };
    report.seconds = Math.round(((this.builtAt.get(n.node.key) ?? this.#started) - this.#started) / 100) / 10;
    this.reports[i] = report;
    if (!artifact) return;
    const sboms = opts.sbom !== false && !(artifact.kind === 'image' && artifact.reference) ? await this.sboms.forArtifact(label, artifact) : [];
    if (sboms.length) {
      report.sboms = sboms.map(({ sbom, image }) => ({ digest: sbom.descriptor.digest, subject: sbom.subject.digest, platform: formatPlatform(image.platform) }));
      for (const { sbom, image } of sboms) opts.log.info(`${label}: SBOM ${sbom.descriptor.digest} for ${formatPlatform(image.platform)} (${sbom.binaries} Go binar${sbom.binaries === 1 ? 'y' : 'ies'})`);
    }
    const referrers = sboms.map(({ sbom }) => ({ descriptor: sbom.descriptor, subject: sbom.subject.digest }));
    // What the rule runs, if the target was named to run; otherwise the build's layout is the sink.
    const run = n.runnable ? built.provider.run : undefined;
    const published = await this.sinks(run).publish({ label, artifact, run, referrers, fresh: built.fresh });
    report.tags = published.tags;
    if (published.action === 'built') return;
    if (published.image) Object.assign(report, describeArtifact(published.image));
    for (const [k, a] of (published.referrers ?? []).entries()) if (report.sboms?.[k]) report.sboms[k].attached = a;
    report.action = published.action;
    report.references = published.references;
    if (published.blobs) report.blobs = published.blobs;
    if (this.overlap) {
      report.seconds = Math.round((Date.now() - this.#started) / 100) / 10;
    } else {
      this.#publishing += Date.now() - publishStart;
      report.seconds = Math.round(((this.builtAt.get(n.node.key) ?? this.#started) - this.#started + this.#publishing) / 100) / 10;
    }
  }
}

/**
 * The platforms option: the image behind a target (an oci_image, or the image an oci_load /
 * oci_push names) analysed once per platform, so that go_binary "auto" and oci.pull bases
 * follow each platform.
 */
function fanOut(engine: Engine, node: ConfiguredNode, platforms: Platform[]): ConfiguredNode[] | undefined {
  const kind = node.target?.kind;
  let imageLabel = node.label;
  if (kind === 'oci_load' || kind === 'oci_push') {
    const l = node.attrs?.label('image');
    if (!l) return undefined;
    imageLabel = l;
  } else if (kind !== 'oci_image') {
    return undefined;
  }
  const imageNode = engine.analyze(imageLabel, HOST_CONFIG);
  if (imageNode.target?.kind !== 'oci_image') {
    throw new BuildError(`the platforms input applies to oci_image targets; ${imageLabel} is a ${imageNode.target?.kind ?? 'file'}`, { label: node.label.toString() });
  }
  const fixedArch = imageNode.target.attrs.get('architecture');
  if (typeof fixedArch === 'string') {
    throw new BuildError(
      `the platforms input needs an image whose platform comes from the configuration, but ${imageLabel} sets architecture = "${fixedArch}" (use a base from oci.pull, or select() on the architecture)`,
      { label: node.label.toString() },
    );
  }
  return platforms.map((p) => engine.analyze(imageLabel, withPlatform(p)));
}

/**
 * The provider of an oci_load / oci_push without building its image: the tags and repository it
 * names (building only the files they come from). The artifact is filled in by the caller.
 */
async function runInfoOnly(engine: Engine, node: ConfiguredNode): Promise<Provider> {
  const kind = node.target?.kind;
  const attrs = node.attrs;
  if (!attrs || (kind !== 'oci_load' && kind !== 'oci_push')) return { files: [] };
  const linesOf = async (attr: string): Promise<string[] | undefined> => {
    const v = attrs.listOrLabel(attr);
    if (!v) return undefined;
    if ('list' in v) return v.list;
    const dep = node.deps.find((d) => d.attr === attr);
    const file = dep ? (await engine.build(dep.node)).files[0] : undefined;
    if (!file) throw new BuildError(`attribute "${attr}": ${v.label} provides no file`, { label: node.label.toString() });
    return (await readFile(file.path, 'utf8')).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  };
  if (kind === 'oci_load') {
    return { files: [], run: { kind: 'load', repoTags: (await linesOf('repo_tags')) ?? [], format: attrs.string('format', 'docker') === 'oci' ? 'oci' : 'docker' } };
  }
  const repository = attrs.string('repository') ?? (await linesOf('repository_file'))?.[0];
  return { files: [], run: { kind: 'push', repository, remoteTags: (await linesOf('remote_tags')) ?? [] } };
}

async function wrapIndex(
  store: BlobStore,
  outputDir: string,
  node: ConfiguredNode,
  providers: Provider[],
  annotations: Record<string, string> | undefined,
): Promise<BuiltIndex> {
  const images: BuiltImage[] = providers.map((p) => {
    if (p.artifact?.kind !== 'image') throw new BuildError('expected an image for each platform', { label: node.label.toString() });
    return p.artifact;
  });
  const family = images.every((i) => i.family === 'docker') ? 'docker' : 'oci';
  const descriptor = await buildIndex(store, images.map((i) => i.descriptor), annotations, family);
  const layoutDir = join(outputDir, 'bin', `multi-${images.map((i) => configKey(withPlatform(i.platform))).join('+')}`, node.label.pkg, node.label.name);
  await writeLayout(store, layoutDir, [{ descriptor }]);
  return { kind: 'index', descriptor, index: await readIndex(store, descriptor.digest), images, family, layoutDir };
}
