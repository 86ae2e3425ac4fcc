// Parsing of list, boolean and platform values shared by the action's inputs and the CLI.
import { parsePlatform } from '../oci/platform.ts';
import type { Platform } from '../oci/types.ts';
import { defaultLevel, validateLevel } from '../oci/compress.ts';
import type { LayerCompressionSetting } from '../oci/layer.ts';
import { COMPILATION_MODES, type CompilationMode } from '../go/build.ts';

/** Splits a multi-line or space-separated input into items, dropping blanks and `#` comments. */
export function parseList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, ''))
    .flatMap((line) => line.split(/\s+/))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Like parseList, and commas separate too (platform lists, host lists). */
export function parseCsvList(text: string): string[] {
  return parseList(text).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

export function parseBool(name: string, text: string, def: boolean): boolean {
  const v = text.trim().toLowerCase();
  if (v === '') return def;
  if (['true', 'yes', 'on', '1'].includes(v)) return true;
  if (['false', 'no', 'off', '0'].includes(v)) return false;
  throw new Error(`input "${name}": expected true or false, got "${text}"`);
}

/** A non-negative whole number of bytes; 0 and empty mean unset. */
export function parseByteCount(name: string, text: string): number | undefined {
  const v = text.trim();
  if (v === '' || v === '0') return undefined;
  const m = /^(\d+)\s*([kKmM]i?[bB]?)?$/.exec(v);
  if (!m) throw new Error(`input "${name}": expected a number of bytes such as 5242880 or 5MiB, got "${text}"`);
  const unit = (m[2] ?? '').toLowerCase();
  const mult = unit.startsWith('m') ? 1024 * 1024 : unit.startsWith('k') ? 1024 : 1;
  return Number(m[1]) * mult;
}

export function parsePlatforms(text: string): Platform[] {
  return parseCsvList(text).map((p) => {
    try {
      return parsePlatform(p);
    } catch (err) {
      throw new Error(`input "platforms": ${(err as Error).message}`);
    }
  });
}

/** `key=value` lines (docker/metadata-action's labels output); blank lines and `#` comments skipped. */
export function parseKeyValues(name: string, text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`input "${name}": "${line}" is not key=value`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/**
 * Annotation lines as docker/metadata-action and buildx write them: `key=value` or
 * `manifest:key=value` for image manifests, `index:key=value` for indexes. Descriptor levels
 * are not supported and are reported.
 */
export function parseAnnotations(text: string): { manifest: Record<string, string>; index: Record<string, string> } {
  const manifest: Record<string, string> = {};
  const index: Record<string, string> = {};
  for (const [key, value] of Object.entries(parseKeyValues('annotations', text))) {
    const m = /^([a-z-]+)(\[[^\]]*\])?:(.+)$/.exec(key);
    const level = m ? m[1] : 'manifest';
    const k = m ? (m[3] ?? '') : key;
    if (m?.[2]) throw new Error(`input "annotations": platform-specific annotations ("${key}") are not supported`);
    if (level === 'manifest') manifest[k] = value;
    else if (level === 'index') index[k] = value;
    else throw new Error(`input "annotations": level "${level}" in "${key}" is not supported (use manifest: or index:)`);
  }
  return { manifest, index };
}

/**
 * The layer compression inputs: format gzip (default), zstd or none (tars go in as they are,
 * as rules_oci does), and a level (default: gzip 1, zstd 3).
 */
export function parseCompression(formatName: string, formatText: string, levelName: string, levelText: string): LayerCompressionSetting {
  const f = formatText.trim().toLowerCase();
  const format = f === '' ? 'gzip' : f;
  if (format !== 'gzip' && format !== 'zstd' && format !== 'none') {
    throw new Error(`${formatName}: expected gzip, zstd or none, got "${formatText}"`);
  }
  const l = levelText.trim();
  if (format === 'none') {
    if (l !== '') throw new Error(`${levelName}: a level needs ${formatName} gzip or zstd`);
    return { format, level: 0 };
  }
  if (l === '') return { format, level: defaultLevel(format) };
  if (!/^\d+$/.test(l)) throw new Error(`${levelName}: expected a whole number, got "${levelText}"`);
  try {
    validateLevel(format, Number(l));
  } catch (err) {
    throw new Error(`${levelName}: ${(err as Error).message}`);
  }
  return { format, level: Number(l) };
}

/** Bazel's --compilation_mode: fastbuild (default), opt or dbg. */
export function parseCompilationMode(name: string, text: string): CompilationMode {
  const v = text.trim().toLowerCase();
  if (v === '') return 'fastbuild';
  const mode = COMPILATION_MODES.find((m) => m === v);
  if (!mode) throw new Error(`${name}: expected fastbuild, opt or dbg, got "${text}"`);
  return mode;
}
