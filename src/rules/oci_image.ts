import { join } from 'node:path';
import { addLayerCached, DEFAULT_LAYER_COMPRESSION, layerByIdentity, type LayerCompressionSetting, type LayerResult } from '../oci/layer.ts';
import { buildImage, readImage, EPOCH, type BaseImage } from '../oci/image.ts';
import { writeLayout } from '../oci/layout.ts';
import { formatPlatform } from '../oci/platform.ts';
import { familyOf } from '../oci/mediatypes.ts';
import { AttrError } from './attrs.ts';
import { dictValue, fileText, listValue } from './file_values.ts';
import { COMMON_ATTRS } from './schema.ts';
import type { RuleDef } from './rule.ts';
import type { BlobSource, BuiltImage } from '../oci/artifact.ts';
import type { Digest, Platform } from '../oci/types.ts';
import type { BlobStore } from '../oci/blobstore.ts';
import type { MediaTypeFamily } from '../oci/mediatypes.ts';
import { checkElfPlatform, rememberScan, scanLayerCached, scanLayerStream, type LayerFile } from '../sbom/elf.ts';
import { PassThrough } from 'node:stream';
import { isNonRootUser, lintMissingParents, lintOwnership, missingParentDirs } from '../lint/ownership.ts';

const warnedZstd = new Set<string>();

/** rules_oci 2.0 oci_image (the macro's attributes). */
export const ociImageRule: RuleDef = {
  kind: 'oci_image',
  attrs: {
    ...COMMON_ATTRS,
    base: { type: 'label' },
    tars: { type: 'label_list' },
    entrypoint: { type: 'string_list_or_label' },
    cmd: { type: 'string_list_or_label' },
    env: { type: 'string_dict_or_label' },
    labels: { type: 'string_dict_or_label' },
    annotations: { type: 'string_dict_or_label' },
    user: { type: 'string' },
    workdir: { type: 'string' },
    os: { type: 'string' },
    architecture: { type: 'string' },
    variant: { type: 'string' },
    exposed_ports: { type: 'string_list_or_label' },
    volumes: { type: 'string_list_or_label' },
    created: { type: 'label' },
  },
  checkDeps(deps) {
    const NOT_LAYERS = new Set(['oci_image', 'oci_image_index', 'oci_pull', 'oci_load', 'oci_push']);
    const bad = deps.find((d) => d.attr === 'tars' && NOT_LAYERS.has(d.kind));
    if (bad) return `attribute "tars": ${bad.label} is an ${bad.kind}, not a layer (use a pkg_tar, a tar, or a .tar file; an image goes in "base")`;
    if (deps.some((d) => d.attr === 'base' && !['oci_image', 'oci_pull', 'alias', 'platform_transition_filegroup'].includes(d.kind))) {
      const b = deps.find((d) => d.attr === 'base');
      return `attribute "base": ${b?.label} is a ${b?.kind}, not an image (an oci_image or a base from oci.pull)`;
    }
    return undefined;
  },
  validate(attrs) {
    if (!attrs.has('base')) {
      if (!attrs.has('os') || !attrs.has('architecture')) {
        throw new AttrError('"os" and "architecture" are required when "base" is not set (rules_oci)');
      }
    } else if (attrs.has('os') || attrs.has('architecture')) {
      throw new AttrError('"os" and "architecture" come from the base image; remove them or remove "base"');
    }
  },
  async build(ctx) {
    const a = ctx.attrs;
    let base: BaseImage | undefined;
    let layerSources: ReadonlyMap<Digest, BlobSource> = new Map();
    if (a.has('base')) {
      const [p] = ctx.deps('base');
      const art = p?.artifact;
      if (!art) throw new Error(`attribute "base": ${a.label('base')} is not an image`);
      if (art.kind !== 'image') throw new Error(`attribute "base": ${a.label('base')} is an image index; use a single-platform image`);
      base = await readImage(ctx.store, art.descriptor.digest);
      layerSources = art.layerSources;
      // rules_oci names no base in annotations (no org.opencontainers.image.base.*): the base
      // manifest's own annotations carry over, nothing is added.
    }
    const family = base ? familyOf(base.manifest.mediaType) : 'oci';
    // Docker's media types have no zstd layer: an image on a Docker-typed base stays gzip.
    let setting = ctx.layerCompression;
    if (setting.format === 'zstd' && family === 'docker') {
      if (!warnedZstd.has(ctx.target.label.toString())) {
        warnedZstd.add(ctx.target.label.toString());
        ctx.log.warning(`${ctx.target.label}: the base uses Docker media types, which have no zstd layer type; compressing with gzip`);
      }
      setting = DEFAULT_LAYER_COMPRESSION;
    }
    // Every layer at once: the compressor spreads each over the cores, and a large layer does
    // not hold back the small ones.
    const tarFiles = a.labelList('tars').flatMap((l) => ctx.dep(l).files.map((f) => ({ file: f, owner: l.toString() })));
    const owners = tarFiles.map((t) => t.owner);
    const scanned = await Promise.all(tarFiles.map((t) => layerAndScan(ctx.store, t.file.path, family, setting)));
    const layers = scanned.map((x) => x.layer);
    // Before assembling: every ELF file in our layers must fit the image's platform, and files a
    // non-root user needs must be usable by it (a warning). A base's layers are the base's business.
    const imagePlatform: Platform = base
      ? { os: base.config.os, architecture: base.config.architecture, ...(base.config.variant ? { variant: base.config.variant } : {}) }
      : { os: a.string('os') ?? '', architecture: a.string('architecture') ?? '', ...(a.string('variant') ? { variant: a.string('variant') } : {}) };
    const ours: LayerFile[] = [];
    for (const x of scanned) ours.push(...x.files);
    const label = ctx.target.label.toString();
    checkElfPlatform(label, imagePlatform, ours);
    const volumes = await listValue(ctx, a, 'volumes');
    const user = a.string('user') ?? base?.config.config?.User;
    const workdir = a.string('workdir') ?? base?.config.config?.WorkingDir;
    for (const finding of lintOwnership(ours, { user, volumes, workdir })) ctx.log.warning(`${label}: ${finding.message}`);
    // Parent directories our layers lack: only then are the base's layers read (once, cached by digest).
    const missing = isNonRootUser(user) ? missingParentDirs(ours) : [];
    if (missing.length > 0) {
      const lower = base ? await directoriesOf(ctx.store, base.manifest.layers.map((l) => l.digest)) : new Set<string>();
      for (const finding of lintMissingParents(missing, lower, user)) ctx.log.warning(`${label}: ${finding.message}`);
    }
    const createdFile = await fileText(ctx, 'created');
    if (createdFile !== undefined) checkCreated(createdFile, a.label('created')?.toString() ?? 'created');
    const created =
      createdFile ?? (ctx.sourceDateEpoch !== undefined ? new Date(ctx.sourceDateEpoch * 1000).toISOString().replace('.000Z', 'Z') : base ? undefined : EPOCH);
    const built = await buildImage(ctx.store, {
      base,
      os: a.string('os'),
      architecture: a.string('architecture'),
      variant: a.string('variant'),
      entrypoint: await listValue(ctx, a, 'entrypoint'),
      cmd: await listValue(ctx, a, 'cmd'),
      env: await dictValue(ctx, a, 'env'),
      workdir: a.string('workdir'),
      user: a.string('user'),
      labels: { ...(await dictValue(ctx, a, 'labels')), ...ctx.metadata.labels },
      annotations: { ...(await dictValue(ctx, a, 'annotations')), ...ctx.metadata.manifestAnnotations },
      exposedPorts: await listValue(ctx, a, 'exposed_ports'),
      volumes,
      created,
      // rules_oci's descriptor.sh: one history entry per layer, at the epoch, naming the tar's target.
      layers: layers.map((l, i) => ({ descriptor: l.descriptor, diffId: l.diffId, history: { created: EPOCH, created_by: `bazel build ${owners[i]}` } })),
      family,
    });
    const platform = built.manifest.platform;
    if (!platform) throw new Error('internal: built image has no platform');
    const layoutDir = join(await ctx.outDir(), ctx.target.label.name);
    await writeLayout(ctx.store, layoutDir, [{ descriptor: built.manifest }]);
    const artifact: BuiltImage = {
      kind: 'image',
      descriptor: built.manifest,
      manifest: built.manifestJson,
      config: built.configJson,
      platform,
      family,
      layoutDir,
      layerSources,
    };
    ctx.log.info(`${ctx.target.label}: image ${built.manifest.digest} (${formatPlatform(platform)}, ${layers.length} layer(s))`);
    return { files: [{ path: layoutDir, shortPath: ctx.outShortPath(ctx.target.label.name), generated: true }], artifact };
  },
};

/**
 * A tar as a layer, with the scan of its files (ELF headers, owners) that the image's checks and
 * the SBOM use. When the tar is compressed here, the scan reads the same bytes as they go by;
 * otherwise (an earlier build's layer, one found by content, a tar that goes in as it is) it
 * comes from the store's scan cache or reads the tar itself — never the inflated blob.
 */
async function layerAndScan(store: BlobStore, tarPath: string, family: MediaTypeFamily, setting: LayerCompressionSetting): Promise<{ layer: LayerResult; files: LayerFile[] }> {
  const known = await layerByIdentity(store, tarPath, family, setting);
  if (known) return { layer: known, files: await scanLayerCached(store, known.descriptor.digest, tarPath) };
  const tee = new PassThrough({ highWaterMark: 1024 * 1024 });
  const sharing = scanLayerStream(tee, tarPath);
  sharing.catch(() => tee.destroy());
  const { observed, ...layer } = await addLayerCached(store, tarPath, family, setting, tee);
  if (!observed) {
    tee.destroy(new Error('not compressed here'));
    return { layer, files: await scanLayerCached(store, layer.descriptor.digest, tarPath) };
  }
  const files = await sharing;
  await rememberScan(store, layer.descriptor.digest, files);
  return { layer, files };
}

// RFC 3339 date-time as Go's time.Time reads it from JSON (what Docker and containerd parse).
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A `created` file must hold an RFC 3339 date-time: an unexpanded stamp template such as
 * {{BUILD_TIMESTAMP_ISO8601}} (stamping off) would otherwise make an image Docker refuses to load.
 */
function checkCreated(text: string, from: string): void {
  const m = RFC3339.exec(text);
  const ok = m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 12 && Number(m[3]) >= 1 && Number(m[3]) <= 31 && Number(m[4]) <= 23 && Number(m[5]) <= 59 && Number(m[6]) <= 60;
  if (!ok) {
    const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    const hint = /\{\{.*\}\}|\{[A-Z_]+\}/.test(text) ? ' (an unexpanded stamp template: build with stamping on, e.g. the stamp input or build --stamp in .bazelrc)' : '';
    throw new AttrError(`attribute "created": ${from} holds "${shown}", not an RFC 3339 date-time such as 2024-01-02T03:04:05Z${hint}`);
  }
}

/** Directories and symlinks in these layers (downloaded if they are still in their registry). */
async function directoriesOf(store: BlobStore, layers: Digest[]): Promise<Set<string>> {
  const out = new Set<string>(['/']);
  for (const d of layers) {
    await store.ensure(d);
    for (const f of await scanLayerCached(store, d, store.path(d))) {
      if (f.member.type === 'dir' || f.member.type === 'symlink') out.add(f.path.replace(/\/+$/, '') || '/');
    }
  }
  return out;
}
