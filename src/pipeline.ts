import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { BlobStore } from './oci/blobstore.ts';
import { formatPlatform, hostPlatform, platformMatches } from './oci/platform.ts';
import { findGoToolchain, type GoToolchain } from './go/toolchain.ts';
import { Engine, type ConfiguredNode } from './engine/engine.ts';
import { HOST_CONFIG } from './engine/config.ts';
import { BuildError } from './engine/errors.ts';
import { Workspace } from './workspace/workspace.ts';
import { findWorkspaceRoot } from './workspace/root.ts';
import type { Label } from './workspace/label.ts';
import type { Logger } from './rules/rule.ts';
import type { BuiltArtifact, BuiltImage, Provider } from './rules/provider.ts';
import { dockerEndpointFromEnv, describeDockerEndpoint, loadImage } from './publish/docker.ts';

export interface PipelineOptions {
  /** Directory inside the workspace; relative target labels resolve against its package. */
  cwd: string;
  targets: string[];
  /** Output root; default `<workspace>/.oci-build`. */
  outputDir?: string;
  /** Whether explicitly named oci_load targets load into Docker (`run`) or are only built. */
  load: boolean;
  log: Logger;
  /** Wraps a phase for grouped logs (core.group in the action). */
  group?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  env?: NodeJS.ProcessEnv;
}

export interface TargetReport {
  label: string;
  kind: string;
  /** What happened: built only, or loaded into Docker. */
  action: 'built' | 'loaded';
  digest?: string;
  mediaType?: string;
  /** Config digest of a single-platform image (Docker's image ID). */
  imageId?: string;
  platforms: string[];
  /** OCI image layout directory holding the image or index. */
  layout?: string;
  tags: string[];
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

/** The image Docker's classic store can hold: the artifact itself, or the host's platform of an index. */
function imageForHost(artifact: BuiltArtifact, label: string): BuiltImage {
  if (artifact.kind === 'image') return artifact;
  const host = hostPlatform();
  const match = artifact.images.find((img) => platformMatches(img.platform, host));
  if (!match) {
    const have = artifact.images.map((i) => formatPlatform(i.platform)).join(', ');
    throw new BuildError(`${label}: the index has no image for this host (${formatPlatform(host)}); it has ${have}`);
  }
  return match;
}

function reportFor(label: Label, kind: string, provider: Provider): TargetReport {
  const a = provider.artifact ?? provider.run?.artifact;
  const report: TargetReport = { label: label.toString(), kind, action: 'built', platforms: [], tags: [] };
  if (a) {
    report.digest = a.descriptor.digest;
    report.mediaType = a.descriptor.mediaType;
    report.layout = a.layoutDir;
    if (a.kind === 'image') {
      report.imageId = a.manifest.config.digest;
      report.platforms = [formatPlatform(a.platform)];
    } else {
      report.platforms = a.images.map((i) => formatPlatform(i.platform));
    }
  }
  return report;
}

/**
 * inputs → targets → configured graph → builds → publishers (Docker today) → reports.
 * Every target is analysed before anything is built, so a bad label or attribute fails fast.
 */
export async function runPipeline(opts: PipelineOptions): Promise<PipelineResult> {
  const env = opts.env ?? process.env;
  const group = opts.group ?? (<T>(_name: string, fn: () => Promise<T>) => fn());
  const cwd = resolve(opts.cwd);
  const root = findWorkspaceRoot(cwd);
  const outputDir = resolve(opts.outputDir && opts.outputDir !== '' ? opts.outputDir : join(root, '.oci-build'));
  const cwdPkg = relative(root, cwd).split(sep).join('/');
  const sourceDateEpoch = parseSourceDateEpoch(env);

  const ws = new Workspace(root, { log: opts.log });
  const requested = opts.targets.flatMap((t) => ws.expandPattern(t, cwdPkg));

  let toolchain: Promise<GoToolchain> | undefined;
  const engine = new Engine({
    workspace: ws,
    outRoot: outputDir,
    store: new BlobStore(join(outputDir, 'store')),
    log: opts.log,
    env,
    goToolchain: () => (toolchain ??= findGoToolchain(env)),
    sourceDateEpoch,
  });

  const nodes: Array<{ node: ConfiguredNode; runnable: boolean }> = await group('Analysing BUILD targets', async () => {
    const out = requested.map((r) => ({ node: engine.analyze(r.label, HOST_CONFIG), runnable: r.explicit }));
    opts.log.info(`${out.length} target(s): ${out.map((n) => n.node.label.toString()).join(' ')}`);
    return out;
  });
  await mkdir(outputDir, { recursive: true });
  // Keep build outputs out of the user's git status, as bazel-* convenience links are.
  await writeFile(join(outputDir, '.gitignore'), '*\n');

  const providers = await group('Building', () => Promise.all(nodes.map((n) => engine.build(n.node))));

  const reports: TargetReport[] = [];
  for (const [i, { node, runnable }] of nodes.entries()) {
    const provider = providers[i] as Provider;
    const report = reportFor(node.label, node.target?.kind ?? 'file', provider);
    reports.push(report);
    const run = provider.run;
    if (!run || !runnable) continue;
    if (run.kind === 'load') {
      report.tags = run.repoTags;
      if (!opts.load) {
        opts.log.info(`${node.label}: built; not loaded (load disabled)`);
        continue;
      }
      const image = imageForHost(run.artifact, node.label.toString());
      const endpoint = dockerEndpointFromEnv(env);
      const result = await group(`Loading ${node.label} into Docker at ${describeDockerEndpoint(endpoint)}`, () =>
        loadImage(
          endpoint,
          {
            blobPath: (d) => engine.store.path(d as `sha256:${string}`),
            manifest: image.descriptor,
            manifestJson: image.manifest,
            repoTags: run.repoTags,
          },
          (line) => opts.log.info(line),
        ),
      );
      report.action = 'loaded';
      report.digest = image.descriptor.digest;
      report.mediaType = image.descriptor.mediaType;
      report.imageId = image.manifest.config.digest;
      report.platforms = [formatPlatform(image.platform)];
      report.tags = result.loaded;
      opts.log.info(`${node.label}: loaded ${result.loaded.join(', ')} (${result.bytesSent} bytes sent)`);
    }
  }
  return { workspaceRoot: root, outputDir, reports };
}
