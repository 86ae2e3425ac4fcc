// Checking documents that come from outside (a registry, a layout on disk, a cache) before any of
// their descriptors is used: every digest through the one validator (digest.ts), sizes as
// non-negative integers, media types as strings. Errors name where the document came from and the
// field, on one line, e.g. `registry/repo@sha256:…: layers[0].digest "sha256:../x" is not a
// valid digest (expected …)`.
import { DIGEST_RULE, isDigest, quoteUntrusted } from './digest.ts';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest } from './types.ts';

function fail(where: string, field: string, what: string): never {
  throw new Error(`${where}: ${field} ${what}`);
}

/**
 * Platform words (os, architecture, variant, os.version, os.features): letters, digits, `.`, `_`,
 * `-`. They reach log lines and messages; a newline there could forge a workflow command.
 */
const PLATFORM_WORD = /^[A-Za-z0-9._-]{1,128}$/;

function checkPlatformFields(p: Record<string, unknown>, where: string, field: string, required: boolean): void {
  for (const k of ['os', 'architecture', 'variant', 'os.version'] as const) {
    const v = p[k];
    if (v === undefined && (!required || k === 'variant' || k === 'os.version')) continue;
    if (typeof v !== 'string' || !PLATFORM_WORD.test(v)) fail(where, `${field}${k}`, `${quoteUntrusted(v)} is not a platform word (letters, digits, ".", "_", "-")`);
  }
  const features = p['os.features'];
  if (features !== undefined) {
    if (!Array.isArray(features)) fail(where, `${field}os.features`, 'is not a list');
    features.forEach((f, i) => {
      if (typeof f !== 'string' || !PLATFORM_WORD.test(f)) fail(where, `${field}os.features[${i}]`, `${quoteUntrusted(f)} is not a platform word`);
    });
  }
}

/** Checks one descriptor; `field` names it in errors (`config`, `layers[2]`, `manifests[0]`). */
export function checkDescriptor(value: unknown, where: string, field: string): Descriptor {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, field, 'is not a descriptor object');
  const d = value as Record<string, unknown>;
  if (!isDigest(d.digest)) fail(where, `${field}.digest`, `${quoteUntrusted(d.digest)} is not a valid digest (${DIGEST_RULE})`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    fail(where, `${field}.size`, `${quoteUntrusted(String(d.size))} is not a non-negative integer`);
  }
  if (typeof d.mediaType !== 'string' || /[\u0000-\u001f\u007f]/.test(d.mediaType)) fail(where, `${field}.mediaType`, `is ${quoteUntrusted(d.mediaType)}`);
  if (d.platform !== undefined) {
    if (typeof d.platform !== 'object' || d.platform === null || Array.isArray(d.platform)) fail(where, `${field}.platform`, 'is not an object');
    checkPlatformFields(d.platform as Record<string, unknown>, where, `${field}.platform.`, true);
  }
  return value as Descriptor;
}

/** An image manifest's config, layers and subject checked; the document is returned as it is. */
export function checkManifest(value: unknown, where: string): ImageManifest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: manifest is not a JSON object`);
  const m = value as Record<string, unknown>;
  if (m.config === undefined || !Array.isArray(m.layers)) throw new Error(`${where}: manifest lacks config or layers`);
  checkDescriptor(m.config, where, 'config');
  m.layers.forEach((l, i) => checkDescriptor(l, where, `layers[${i}]`));
  if (m.subject !== undefined) checkDescriptor(m.subject, where, 'subject');
  return value as ImageManifest;
}

/** An image index's entries (and subject) checked; the document is returned as it is. */
export function checkIndex(value: unknown, where: string): ImageIndex {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: index is not a JSON object`);
  const i = value as Record<string, unknown>;
  if (!Array.isArray(i.manifests)) throw new Error(`${where}: index has no manifests list`);
  i.manifests.forEach((m, n) => checkDescriptor(m, where, `manifests[${n}]`));
  if (i.subject !== undefined) checkDescriptor(i.subject, where, 'subject');
  return value as ImageIndex;
}

/**
 * An image config's platform and rootfs checked: os/architecture strings, every diff_id a valid
 * digest and, given the manifest's layer count, exactly that many (an image whose manifest and
 * config disagree would build an inconsistent image).
 */
export function checkConfig(value: unknown, where: string, layerCount?: number): ImageConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: image config is not a JSON object`);
  const c = value as Record<string, unknown>;
  if (typeof c.os !== 'string' || typeof c.architecture !== 'string') throw new Error(`${where}: image config has no os/architecture`);
  checkPlatformFields(c, where, '', true);
  const rootfs = c.rootfs as { diff_ids?: unknown } | undefined;
  const diffIds = rootfs?.diff_ids;
  if (typeof rootfs !== 'object' || rootfs === null || !Array.isArray(diffIds)) throw new Error(`${where}: image config has no rootfs.diff_ids list`);
  diffIds.forEach((d, i) => {
    if (!isDigest(d)) fail(where, `rootfs.diff_ids[${i}]`, `${quoteUntrusted(d)} is not a valid digest (${DIGEST_RULE})`);
  });
  if (layerCount !== undefined && diffIds.length !== layerCount) {
    throw new Error(`${where}: the manifest has ${layerCount} layer(s) but its config lists ${diffIds.length} diff_id(s)`);
  }
  return value as ImageConfig;
}

/** Deepest nesting of objects/arrays a document from outside may have (OCI documents need ~6). */
export const MAX_JSON_DEPTH = 64;

/**
 * Parses JSON from outside, refusing nesting deeper than MAX_JSON_DEPTH first: JSON.parse copes,
 * but copying or serialising such a value later overflows the stack with a message naming nothing.
 */
export function parseUntrustedJson(text: string, where: string): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) throw new Error(`${where}: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${where} is not valid JSON: ${(err as Error).message}`);
  }
}
