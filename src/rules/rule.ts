import type { CompilationMode } from '../go/build.ts';
import type { LayerCompressionSetting } from '../oci/layer.ts';
import type { BlobStore } from '../oci/blobstore.ts';
import type { Configuration } from '../engine/config.ts';
import type { GoToolchain } from '../go/toolchain.ts';
import type { GoBuildQueue } from '../go/batch.ts';
import type { RegistryPool } from '../registry/pool.ts';
import type { Label } from '../workspace/label.ts';
import type { ModuleInfo } from '../workspace/module_file.ts';
import type { Platform } from '../oci/types.ts';
import type { Target } from '../workspace/target.ts';
import type { AttrValues } from './attrs.ts';
import type { AttrSchema } from './schema.ts';
import type { FileRef, Provider } from './provider.ts';

export type { Logger } from '../util/log.ts';
import type { Logger } from '../util/log.ts';

/** Everything a rule's build step may use; dependencies are already built when it runs. */
export interface BuildContext {
  target: Target;
  config: Configuration;
  attrs: AttrValues;
  /** Providers of the dependencies named by `attr`, in attribute order. */
  deps(attr: string): Provider[];
  /** Provider of one dependency by label (as written in an attribute). */
  dep(label: Label): Provider;
  /** Files of the dependencies named by `attr`. */
  files(attr: string): FileRef[];
  /** This target's own output directory (created on demand), per configuration. */
  outDir(): Promise<string>;
  /** Workspace-relative short path for an output named `name` of this target. */
  outShortPath(name: string): string;
  workspaceRoot: string;
  /** The output root: every target's outputs and the store are under it. */
  outRoot: string;
  store: BlobStore;
  goToolchain(): Promise<GoToolchain>;
  /** The run's one queue of Go builds (keys, batching, link slots): go_binary builds through it. */
  goBuilds: GoBuildQueue;
  registries: RegistryPool;
  /** Seconds since the epoch from SOURCE_DATE_EPOCH, when set. */
  sourceDateEpoch?: number;
  log: Logger;
  env: NodeJS.ProcessEnv;
  /** Workspace status values for stamping (Bazel's --stamp / --workspace_status_command). */
  stamp: StampInfo;
  /** Labels and annotations from the action's inputs, added to every image and index built. */
  metadata: MetadataOverrides;
  /** How oci_image compresses a layer given as an uncompressed tar. */
  layerCompression: LayerCompressionSetting;
  /** Bazel's --compilation_mode (fastbuild, opt, dbg): how go_binary links. */
  compilationMode: CompilationMode;
  /** MODULE.bazel as read for the build (go_deps overrides), evaluated on first call. */
  moduleInfo?: () => ModuleInfo;
}

export interface MetadataOverrides {
  labels: Record<string, string>;
  manifestAnnotations: Record<string, string>;
  indexAnnotations: Record<string, string>;
}

export const NO_METADATA: MetadataOverrides = Object.freeze({ labels: {}, manifestAnnotations: {}, indexAnnotations: {} });

export interface StampInfo {
  /** Whether targets with `stamp = -1` (the default) are stamped, as Bazel's --stamp. */
  enabled: boolean;
  /**
   * STABLE_* and volatile keys, e.g. BUILD_TIMESTAMP, STABLE_GIT_COMMIT. A function: reading
   * them runs git three times, which only a stamped target should pay for.
   */
  values: () => Promise<Record<string, string>>;
}

/** Reads a platform() target (or a well-known platform label) as the platform it names. */
export type PlatformResolver = (label: Label) => Platform;

export interface RuleDef {
  kind: string;
  attrs: AttrSchema;
  /**
   * The configurations a dependency is built in. Default: the target's own. Rules with
   * transitions (oci_image_index(platforms=...)) return others.
   */
  depConfigs?(attrs: AttrValues, attr: string, config: Configuration, platforms: PlatformResolver): Configuration[];
  /** Checks on the kinds of the dependencies, at analysis; returns a problem or undefined. */
  checkDeps?(deps: Array<{ attr: string; label: Label; kind: string }>): string | undefined;
  /** Checks that need resolved attributes but no dependency (fail fast, before any build). */
  validate?(attrs: AttrValues, config: Configuration): void;
  build(ctx: BuildContext): Promise<Provider>;
  /** Built only when another target needs it, never for `//...` or `:all` (genrule runs commands). */
  dependencyOnly?: boolean;
  /**
   * Its build asks the Go build queue (ctx.goBuilds) for one build and mostly waits there; the
   * queue bounds its own work, so the step holds no engine slot: all of a run's binaries reach
   * the queue together and are batched. The engine tells the queue how many such steps the run
   * analysed, so the queue starts when the last has asked.
   */
  queued?: boolean;
}
