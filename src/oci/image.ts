// An image (config + manifest) from layers, with rules_oci 2.x oci_image semantics
// (oci/private/image.sh): from scratch the image gets the given os/architecture/variant; on a
// base it keeps the base's platform, media type family, layers, history and manifest
// annotations; `env` entries replace same-named base variables in place (others are appended)
// and may refer to earlier values as $VAR or ${VAR}; entrypoint/cmd/user/workdir replace,
// labels/exposed ports/volumes are merged over the base's.
// Beyond image.sh, and as crane-built images have them: `created` (default the epoch) and one
// history entry per added layer, created at the epoch as rules_oci's descriptor.sh writes it.
// Exposed ports are written as given ("8080" stays "8080", as image.sh does; runtimes read it as tcp).
import type { BlobStore } from './blobstore.ts';
import { readBlobJson } from './blobjson.ts';
import { checkManifest } from './descriptor.ts';
import { canonicalConfig, canonicalManifest, serializeConfig, serializeManifest } from './json.ts';
import {
  configMediaType,
  familyOf,
  isManifestMediaType,
  layerMediaType,
  manifestMediaType,
  type LayerCompression,
  type MediaTypeFamily,
} from './mediatypes.ts';
import type { ContainerConfig, Descriptor, Digest, HistoryEntry, ImageConfig, ImageManifest, Platform } from './types.ts';

export const EPOCH = '1970-01-01T00:00:00Z';
export const DEFAULT_CREATED_BY = 'oci-build';

export interface ImageLayer {
  descriptor: Descriptor;
  diffId: Digest;
  /** History entry for this layer; default { created, created_by: DEFAULT_CREATED_BY }. */
  history?: HistoryEntry;
}

export interface BaseImage {
  manifest: ImageManifest;
  config: ImageConfig;
}

export interface ImageSpec {
  /** Image to build on (rules_oci `base`); without it the image starts from scratch. */
  base?: BaseImage;
  /** Required from scratch; with a base they must be absent or equal to the base's. */
  os?: string;
  architecture?: string;
  variant?: string;
  entrypoint?: string[];
  cmd?: string[];
  /** In order; values may use $VAR / ${VAR} to refer to the base's (or earlier) values. */
  env?: Record<string, string>;
  workdir?: string;
  user?: string;
  labels?: Record<string, string>;
  /** Manifest annotations. */
  annotations?: Record<string, string>;
  /** "8080", "8080/tcp", "53/udp": written as given. */
  exposedPorts?: string[];
  volumes?: string[];
  /** RFC 3339; default EPOCH from scratch, the base's value on a base. */
  created?: string;
  layers: ImageLayer[];
  /** Media type family; default the base's, or "oci" from scratch. */
  family?: MediaTypeFamily;
  /** Write history entries for the added layers (default true). */
  history?: boolean;
}

export interface BuiltImage {
  /** The manifest's descriptor, with the image's platform. */
  manifest: Descriptor;
  config: Descriptor;
  configJson: ImageConfig;
  manifestJson: ImageManifest;
  /** The exact stored bytes. */
  configBytes: string;
  manifestBytes: string;
}

function layerCompression(mediaType: string): LayerCompression {
  if (mediaType.endsWith('gzip')) return 'gzip';
  if (mediaType.endsWith('zstd')) return 'zstd';
  return 'none';
}

/** Same layer bytes, media type of `family` (rules_oci adds docker-typed layers to docker bases). */
function inFamily(d: Descriptor, family: MediaTypeFamily): Descriptor {
  if (familyOf(d.mediaType) === family) return { ...d };
  return { ...d, mediaType: layerMediaType(family, layerCompression(d.mediaType)) };
}

function checkedPort(port: string): string {
  const p = port.trim();
  if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/i.test(p)) {
    throw new Error(`invalid exposed port "${port}": expected PORT[/PROTO], e.g. 8080 or 53/udp`);
  }
  return p;
}

/** image.sh ENV_EXPAND_FILTER: $NAME and ${NAME} take the current value (empty if unset). */
function expandEnv(value: string, env: Array<[string, string]>): string {
  return value.replace(/\$\{?([a-zA-Z0-9_]+)\}?/g, (_m, name: string) => env.find(([k]) => k === name)?.[1] ?? '');
}

function mergeEnv(base: string[] | undefined, add: Record<string, string>): string[] {
  const env: Array<[string, string]> = (base ?? []).map((e) => {
    const i = e.indexOf('=');
    return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
  });
  for (const [key, raw] of Object.entries(add)) {
    if (!/^[^=\s]+$/.test(key)) throw new Error(`invalid environment variable name "${key}"`);
    const value = expandEnv(raw, env);
    const at = env.findIndex(([k]) => k === key);
    if (at >= 0) env[at] = [key, value];
    else env.push([key, value]);
  }
  return env.map(([k, v]) => `${k}=${v}`);
}

function asSet(keys: string[] | undefined, base: Record<string, Record<string, never>> | undefined) {
  const out: Record<string, Record<string, never>> = { ...(base ?? {}) };
  for (const k of keys ?? []) out[k] = {};
  return out;
}

function checkPlatformAgainstBase(spec: ImageSpec, base: ImageConfig): void {
  const pairs: Array<[string, string | undefined, string | undefined]> = [
    ['os', spec.os, base.os],
    ['architecture', spec.architecture, base.architecture],
    ['variant', spec.variant, base.variant],
  ];
  for (const [name, want, have] of pairs) {
    if (want !== undefined && want !== (have ?? '')) {
      throw new Error(`image ${name} "${want}" differs from the base image's "${have ?? ''}"; ${name} comes from the base`);
    }
  }
}

export async function buildImage(store: BlobStore, spec: ImageSpec): Promise<BuiltImage> {
  const base = spec.base;
  // An OCI manifest may omit mediaType; it is then an OCI image manifest.
  const baseMediaType = base ? base.manifest.mediaType ?? manifestMediaType('oci') : undefined;
  const family: MediaTypeFamily = baseMediaType ? familyOf(baseMediaType) : spec.family ?? 'oci';
  if (base && spec.family && spec.family !== family) {
    throw new Error(`image family "${spec.family}" differs from the base image's "${family}"`);
  }

  let config: ImageConfig;
  if (base) {
    checkPlatformAgainstBase(spec, base.config);
    config = structuredClone(base.config);
    if (spec.created !== undefined) config.created = spec.created;
  } else {
    if (!spec.os || !spec.architecture) throw new Error('image: os and architecture are required when there is no base image');
    config = {
      created: spec.created ?? EPOCH,
      architecture: spec.architecture,
      os: spec.os,
      ...(spec.variant ? { variant: spec.variant } : {}),
      config: {},
      rootfs: { type: 'layers', diff_ids: [] },
    };
  }

  const cc: ContainerConfig = { ...(config.config ?? {}) };
  if (spec.user !== undefined) cc.User = spec.user;
  if (spec.exposedPorts?.length) cc.ExposedPorts = asSet(spec.exposedPorts.map(checkedPort), cc.ExposedPorts);
  if (spec.env && Object.keys(spec.env).length) cc.Env = mergeEnv(cc.Env, spec.env);
  if (spec.entrypoint !== undefined) cc.Entrypoint = [...spec.entrypoint];
  if (spec.cmd !== undefined) cc.Cmd = [...spec.cmd];
  if (spec.volumes?.length) cc.Volumes = asSet(spec.volumes, cc.Volumes);
  if (spec.workdir !== undefined) cc.WorkingDir = spec.workdir;
  if (spec.labels && Object.keys(spec.labels).length) cc.Labels = { ...(cc.Labels ?? {}), ...spec.labels };
  config.config = cc;

  config.rootfs = { type: 'layers', diff_ids: [...(config.rootfs?.diff_ids ?? []), ...spec.layers.map((l) => l.diffId)] };
  if (spec.history ?? true) {
    const added = spec.layers.map((l) => l.history ?? { created: EPOCH, created_by: DEFAULT_CREATED_BY });
    const history = [...(config.history ?? []), ...added];
    if (history.length) config.history = history;
  }

  const configJson = canonicalConfig(config);
  const configBytes = serializeConfig(configJson);
  const storedConfig = await store.writeBytes(configBytes);
  const configDesc: Descriptor = {
    mediaType: base?.manifest.config.mediaType ?? configMediaType(family),
    digest: storedConfig.digest,
    size: storedConfig.size,
  };

  const annotations = { ...(base?.manifest.annotations ?? {}), ...(spec.annotations ?? {}) };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: baseMediaType ?? manifestMediaType(family),
    config: configDesc,
    layers: [...(base?.manifest.layers ?? []).map((d) => ({ ...d })), ...spec.layers.map((l) => inFamily(l.descriptor, family))],
    ...(Object.keys(annotations).length ? { annotations } : {}),
  };
  const manifestJson = canonicalManifest(manifest);
  const manifestBytes = serializeManifest(manifestJson);
  const storedManifest = await store.writeBytes(manifestBytes);

  return {
    manifest: {
      mediaType: manifest.mediaType,
      digest: storedManifest.digest,
      size: storedManifest.size,
      platform: platformOf(configJson),
    },
    config: configDesc,
    configJson,
    manifestJson,
    configBytes,
    manifestBytes,
  };
}

/** The platform an image config describes (for index entries). */
export function platformOf(config: ImageConfig): Platform {
  const p: Platform = { architecture: config.architecture, os: config.os };
  if (config.variant) p.variant = config.variant;
  if (config['os.version']) p['os.version'] = config['os.version'];
  const features = (config as { 'os.features'?: string[] })['os.features'];
  if (features?.length) p['os.features'] = [...features];
  return p;
}

export async function readManifest(store: BlobStore, digest: Digest): Promise<ImageManifest> {
  const m = (await readBlobJson(store, digest, 'manifest')) as ImageManifest;
  if (!m || typeof m !== 'object' || !m.config || !Array.isArray(m.layers)) {
    throw new Error(`manifest ${digest} is not an image manifest (no config/layers)`);
  }
  checkManifest(m, `manifest ${digest}`);
  if (m.mediaType !== undefined && !isManifestMediaType(m.mediaType)) {
    throw new Error(`manifest ${digest} has media type ${m.mediaType}, not an image manifest`);
  }
  return m;
}

export async function readConfig(store: BlobStore, digest: Digest): Promise<ImageConfig> {
  const c = (await readBlobJson(store, digest, 'image config')) as ImageConfig;
  if (!c || typeof c !== 'object' || typeof c.os !== 'string' || typeof c.architecture !== 'string') {
    throw new Error(`image config ${digest} has no os/architecture`);
  }
  return c;
}

/** A stored image as a base for buildImage. */
export async function readImage(store: BlobStore, manifestDigest: Digest): Promise<BaseImage> {
  const manifest = await readManifest(store, manifestDigest);
  const config = await readConfig(store, manifest.config.digest);
  return { manifest, config };
}
