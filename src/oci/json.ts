// Canonical bytes for OCI JSON documents. Digests are over bytes, so every document we write
// is rebuilt with a fixed key order (the field order of types.ts, which follows the OCI
// image-spec) and serialised compactly, with no trailing newline. Keys we do not know
// (e.g. "container_config" in a pulled Docker config) are kept, after the known ones, in the
// order they came in, so that re-serialising a base image loses nothing.
import type {
  ContainerConfig,
  Descriptor,
  HistoryEntry,
  ImageConfig,
  ImageIndex,
  ImageManifest,
  Platform,
} from './types.ts';

type Obj = Record<string, unknown>;

function ordered(src: object, keys: readonly string[], map: Record<string, (v: unknown) => unknown> = {}): Obj {
  const s = src as Obj;
  const out: Obj = {};
  // Defined, not assigned: a pulled document's "__proto__" key stays a plain key (kept as it came)
  // instead of becoming the copy's prototype and leaking its fields into known ones.
  const set = (k: string, v: unknown) => Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  for (const k of keys) {
    if (Object.hasOwn(s, k) && s[k] !== undefined) set(k, map[k] ? map[k](s[k]) : s[k]);
  }
  for (const k of Object.keys(s)) {
    if (!keys.includes(k) && s[k] !== undefined) set(k, s[k]);
  }
  return out;
}

const PLATFORM_KEYS = ['architecture', 'os', 'variant', 'os.version', 'os.features'] as const;
const DESCRIPTOR_KEYS = ['mediaType', 'digest', 'size', 'urls', 'platform', 'annotations', 'data', 'artifactType'] as const;
const MANIFEST_KEYS = ['schemaVersion', 'mediaType', 'artifactType', 'config', 'layers', 'subject', 'annotations'] as const;
const INDEX_KEYS = ['schemaVersion', 'mediaType', 'artifactType', 'manifests', 'subject', 'annotations'] as const;
const CONFIG_KEYS = ['created', 'author', 'architecture', 'os', 'variant', 'os.version', 'os.features', 'config', 'rootfs', 'history'] as const;
const CONTAINER_KEYS = ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal', 'ArgsEscaped'] as const;
const HISTORY_KEYS = ['created', 'created_by', 'author', 'comment', 'empty_layer'] as const;

export function canonicalPlatform(p: Platform): Platform {
  return ordered(p, PLATFORM_KEYS) as unknown as Platform;
}

export function canonicalDescriptor(d: Descriptor): Descriptor {
  return ordered(d, DESCRIPTOR_KEYS, { platform: (p) => canonicalPlatform(p as Platform) }) as unknown as Descriptor;
}

export function canonicalManifest(m: ImageManifest): ImageManifest {
  return ordered(m, MANIFEST_KEYS, {
    config: (d) => canonicalDescriptor(d as Descriptor),
    layers: (ls) => (ls as Descriptor[]).map(canonicalDescriptor),
    subject: (d) => canonicalDescriptor(d as Descriptor),
  }) as unknown as ImageManifest;
}

export function canonicalIndex(i: ImageIndex): ImageIndex {
  return ordered(i, INDEX_KEYS, {
    manifests: (ms) => (ms as Descriptor[]).map(canonicalDescriptor),
    subject: (d) => canonicalDescriptor(d as Descriptor),
  }) as unknown as ImageIndex;
}

export function canonicalConfig(c: ImageConfig): ImageConfig {
  return ordered(c, CONFIG_KEYS, {
    config: (cc) => ordered(cc as ContainerConfig, CONTAINER_KEYS),
    rootfs: (r) => ordered(r as object, ['type', 'diff_ids']),
    history: (h) => (h as HistoryEntry[]).map((e) => ordered(e, HISTORY_KEYS)),
  }) as unknown as ImageConfig;
}

export function serializeManifest(m: ImageManifest): string {
  return JSON.stringify(canonicalManifest(m));
}

export function serializeIndex(i: ImageIndex): string {
  return JSON.stringify(canonicalIndex(i));
}

export function serializeConfig(c: ImageConfig): string {
  return JSON.stringify(canonicalConfig(c));
}
