// rules_pkg 1.0.1 `pkg_tar`, as a pure mapping from attributes and resolved input files to the
// members of the archive. Sources of each rule, all in bazelbuild/rules_pkg:
//  - pkg/private/tar/tar.bzl: attribute defaults (mode "0555", owner "0.0", ownername ".",
//    portable_mtime True, extension "tar" → compression, create_parents True), the
//    "mtime and portable_mtime" conflict, remap_paths (_remap: first matching prefix wins), the
//    order srcs → files → empty_files → empty_dirs → symlinks into one content map, deps last.
//  - pkg/private/pkg_files.bzl: add_from_default_info (srcs: dest via dest_path, then remap;
//    the target's executable gets mode "0755", which beats `mode` and `modes`), add_single_file,
//    add_empty_file, add_directory, add_symlink (destinations stripped of "/"), write_manifest
//    (entries sorted by destination), later duplicates replace earlier ones with a warning
//    (allow_duplicates_with_different_content defaults to True for pkg_tar).
//  - pkg/path.bzl: compute_data_path and dest_path (strip_prefix semantics).
//  - pkg/private/tar/build_tar.py: --directory (package_dir) prefixing in normalize_path, the
//    per-destination `modes` / `owners` / `ownernames` maps keyed by the manifest destination
//    (i.e. *without* package_dir, leading "/" ignored), defaults applied to every entry kind,
//    mode fallbacks when `mode` is empty, deps merged after the manifest under package_dir.
//  - pkg/private/tar/tar_writer.py: PORTABLE_MTIME, parents, duplicates (see writer.ts).
// Deliberate differences: members are never named "./x" (package_dir "." gives "x"), and
// bz2/xz compression is rejected rather than supported.
import { accessSync, constants as fsConstants } from 'node:fs';
import type { TarEntry, TarMergeSource } from './entry.ts';
import { compareCodePoints, posixNormpath } from './path.ts';
import { writeTar, type TarCompression, type WriteTarResult } from './writer.ts';

/** 2000-01-01T00:00:00Z, tar_writer.py PORTABLE_MTIME. */
export const PORTABLE_MTIME = 946684800;

export interface PkgTarInputFile {
  /** Absolute path on disk. */
  path: string;
  /** Workspace-relative path as Bazel's File.short_path shows it, e.g. "apps/hello/hello_linux_amd64". */
  shortPath: string;
  /**
   * True for the executable of an executable target (go_binary, sh_binary...): rules_pkg then
   * forces mode 0755 on it, whatever `mode` / `modes` say.
   */
  executable?: boolean;
}

export interface PkgTarAttrs {
  /** Package of the pkg_tar itself, e.g. "apps/hello_world" ("" for the root package). */
  package: string;
  srcs?: PkgTarInputFile[];
  package_dir?: string;
  strip_prefix?: string;
  mode?: string;
  modes?: Record<string, string>;
  owner?: string;
  owners?: Record<string, string>;
  ownername?: string;
  ownernames?: Record<string, string>;
  /** Requires portable_mtime = False, as in rules_pkg. -1 means unset. */
  mtime?: number;
  portable_mtime?: boolean;
  files?: Array<{ file: PkgTarInputFile; dest: string }>;
  /** Link path → target. */
  symlinks?: Record<string, string>;
  empty_files?: string[];
  empty_dirs?: string[];
  /** Paths of tars whose members are appended after everything else. */
  deps?: string[];
  extension?: string;
  remap_paths?: Record<string, string>;
  /** gzip level 0-9; -1 (default) means 6. */
  compression_level?: number;
  create_parents?: boolean;
  allow_duplicates_from_deps?: boolean;
}

export interface PkgTarPlan {
  entries: TarEntry[];
  merge: TarMergeSource[];
  compression: TarCompression;
  gzipLevel: number;
  createParents: boolean;
  allowDuplicates: boolean;
  /** mtime given to every entry (deps keep their own). */
  mtime: number;
  /** Conflicting destinations, reported the way rules_pkg prints them. */
  warnings: string[];
}

type Kind = 'file' | 'dir' | 'symlink' | 'empty-file';

interface DestItem {
  kind: Kind;
  src?: PkgTarInputFile;
  linkTo?: string;
  /** Mode written into rules_pkg's manifest: "" unless the file is a target's executable. */
  manifestMode: string;
  origin: string;
}

function parseOctal(value: string, what: string): number {
  // Python int(value, 8): optional "0o" prefix, surrounding whitespace.
  const m = /^\s*(?:0[oO])?([0-7]+(?:_[0-7]+)*)\s*$/.exec(value);
  if (!m) throw new Error(`pkg_tar: invalid ${what} "${value}": expected an octal number such as "0644"`);
  return parseInt(m[1].replace(/_/g, ''), 8);
}

function parseIds(value: string, what: string): [number, number] {
  const [u, g] = splitOnce(value, what);
  const uid = /^\s*\d+\s*$/.test(u) ? Number(u) : NaN;
  const gid = /^\s*\d+\s*$/.test(g) ? Number(g) : NaN;
  if (!Number.isSafeInteger(uid) || !Number.isSafeInteger(gid)) {
    throw new Error(`pkg_tar: invalid ${what} "${value}": expected numeric "uid.gid" such as "0.0"`);
  }
  return [uid, gid];
}

function splitOnce(value: string, what: string): [string, string] {
  const i = value.indexOf('.');
  if (i < 0) throw new Error(`pkg_tar: invalid ${what} "${value}": expected "user.group"`);
  return [value.slice(0, i), value.slice(i + 1)];
}

function stripSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, '');
}

/** pkg/path.bzl compute_data_path(label, data_path). */
export function computeDataPath(pkg: string, dataPath: string | undefined): string | undefined {
  if (!dataPath) return undefined;
  let p = dataPath;
  if (p.startsWith('./')) p = p.slice(2);
  if (!p || p === '.') return pkg;
  if (p.startsWith('/')) return p.slice(1);
  return pkg ? `${pkg}/${p}` : p;
}

/** pkg/path.bzl dest_path(f, strip_prefix, data_path_without_prefix). */
export function destPath(shortPath: string, stripPrefix: string | undefined, dataPathWithoutPrefix: string): string {
  let prefix = stripPrefix;
  if (prefix === undefined) {
    const slash = shortPath.lastIndexOf('/');
    prefix = slash < 0 ? '' : shortPath.slice(0, slash);
  }
  if (!prefix) return shortPath;
  if (shortPath.startsWith(prefix)) {
    // Only strip whole directories: if the prefix's last component is not a path component,
    // fall back to the package (without checking that it is a prefix, as rules_pkg does).
    const lastDir = prefix.slice(prefix.lastIndexOf('/') + 1);
    if (!shortPath.split('/').includes(lastDir)) prefix = dataPathWithoutPrefix;
    return shortPath.slice(prefix.length);
  }
  return shortPath;
}

/** tar.bzl _remap: the first key (in attribute order) that prefixes the path is replaced. */
export function remapPath(remap: Record<string, string> | undefined, path: string): string {
  for (const [prefix, replacement] of Object.entries(remap ?? {})) {
    if (path.startsWith(prefix)) return replacement + path.slice(prefix.length);
  }
  return path;
}

/** tar.bzl: extension → compression. */
export function compressionForExtension(extension: string | undefined): TarCompression {
  let ext = extension || 'tar';
  if (ext.startsWith('.')) ext = ext.slice(1);
  if (ext === 'tar') return 'none';
  const dot = ext.lastIndexOf('.');
  let comp = dot >= 0 ? ext.slice(dot + 1) : ext;
  if (comp === 'tgz') comp = 'gz';
  if (comp === 'txz') comp = 'xz';
  if (comp === '') return 'none';
  if (comp === 'gz') return 'gzip';
  if (comp === 'bz2' || comp === 'xz') {
    throw new Error(`pkg_tar: extension "${extension}" asks for ${comp} compression, which is not supported here (use "tar" or "tar.gz")`);
  }
  throw new Error(`pkg_tar: unsupported compression '${comp}' from extension "${extension}" (use "tar", "tar.gz" or "tgz")`);
}

export function planPkgTar(attrs: PkgTarAttrs): PkgTarPlan {
  const warnings: string[] = [];

  // Timestamps (tar.bzl + tar_writer.py default_mtime).
  const portable = attrs.portable_mtime ?? true;
  let mtime: number;
  if (attrs.mtime !== undefined && attrs.mtime !== -1) {
    if (portable) throw new Error('pkg_tar: you may not set both mtime and portable_mtime (set portable_mtime = False)');
    if (!Number.isSafeInteger(attrs.mtime)) throw new Error(`pkg_tar: mtime must be an integer, got ${attrs.mtime}`);
    mtime = attrs.mtime;
  } else {
    mtime = portable ? PORTABLE_MTIME : 0;
  }

  const compression = compressionForExtension(attrs.extension);
  const level = attrs.compression_level ?? -1;
  if (!Number.isInteger(level) || level < -1) throw new Error(`pkg_tar: invalid compression_level ${level}`);
  const gzipLevel = level >= 0 ? Math.min(level, 9) : 6;

  // build_tar.py main(): defaults and per-destination maps.
  const modeAttr = attrs.mode ?? '0555';
  const defaultMode = modeAttr ? parseOctal(modeAttr, 'mode') : undefined;
  const keyOf = (k: string) => (k.startsWith('/') ? k.slice(1) : k);
  const modeMap = new Map<string, number>();
  for (const [k, v] of Object.entries(attrs.modes ?? {})) modeMap.set(keyOf(k), parseOctal(v, `modes["${k}"]`));
  const idsMap = new Map<string, [number, number]>();
  for (const [k, v] of Object.entries(attrs.owners ?? {})) idsMap.set(keyOf(k), parseIds(v, `owners["${k}"]`));
  const namesMap = new Map<string, [string, string]>();
  for (const [k, v] of Object.entries(attrs.ownernames ?? {})) namesMap.set(keyOf(k), splitOnce(v, `ownernames["${k}"]`));
  const defaultIds = parseIds(attrs.owner ?? '0.0', 'owner');
  const ownername = attrs.ownername ?? '.';
  const defaultNames: [string, string] = ownername ? splitOnce(ownername, 'ownername') : ['', ''];

  // pkg_files.bzl: one content map, keyed by destination; later entries replace earlier ones.
  const content = new Map<string, DestItem>();
  const put = (dest: string, item: DestItem) => {
    const old = content.get(dest);
    if (old && !(old.src && item.src && old.src.path === item.src.path)) {
      const what = (i: DestItem) => (i.src ? `${i.origin} ${i.src.shortPath}` : i.origin);
      warnings.push(`pkg_tar: duplicate output path <${dest}>, declared by ${what(old)} and ${what(item)}; using the latter`);
    }
    content.set(dest, item);
  };

  const dataPath = computeDataPath(attrs.package, attrs.strip_prefix);
  const dataPathWithoutPrefix = computeDataPath(attrs.package, '.') ?? '';
  for (const f of attrs.srcs ?? []) {
    const d = remapPath(attrs.remap_paths, destPath(f.shortPath, dataPath, dataPathWithoutPrefix));
    put(stripSlashes(d), { kind: 'file', src: f, manifestMode: f.executable ? '0755' : '', origin: 'srcs' });
  }
  for (const { file, dest } of attrs.files ?? []) {
    put(stripSlashes(dest), { kind: 'file', src: file, manifestMode: '', origin: 'files' });
  }
  for (const p of attrs.empty_files ?? []) put(stripSlashes(p), { kind: 'empty-file', manifestMode: '', origin: 'empty_files' });
  for (const p of attrs.empty_dirs ?? []) content.set(stripSlashes(p), { kind: 'dir', manifestMode: '', origin: 'empty_dirs' });
  for (const [link, target] of Object.entries(attrs.symlinks ?? {})) {
    put(stripSlashes(link), { kind: 'symlink', linkTo: target, manifestMode: '', origin: 'symlinks' });
  }

  // build_tar.py TarFile: package_dir prefix.
  const dir = stripSlashes(attrs.package_dir ?? '/');
  const directory = dir ? dir + '/' : undefined;
  const normalizePath = (p: string): string => {
    let dest = posixNormpath(p);
    if (dest.startsWith('./')) dest = dest.slice(2);
    dest = stripSlashes(dest);
    if (directory && !dest.startsWith(directory)) dest = directory + dest;
    return dest;
  };

  const entries: TarEntry[] = [];
  for (const dest of [...content.keys()].sort(compareCodePoints)) {
    const item = content.get(dest) as DestItem;
    const key = stripSlashes(dest);
    let mode = modeMap.has(key) ? modeMap.get(key) : defaultMode;
    if (item.manifestMode) mode = parseOctal(item.manifestMode, 'mode');
    const [uid, gid] = idsMap.get(key) ?? defaultIds;
    const [uname, gname] = namesMap.get(key) ?? defaultNames;

    let path: string;
    if (item.kind === 'symlink') path = dest.startsWith('./') ? dest : normalizePath(dest);
    else if (item.kind === 'file') path = normalizePath(dest);
    else path = posixNormpath(normalizePath(dest).replace(/^\/+/, ''));

    const norm = posixNormpath(path);
    if (norm === '.' || norm === '') continue; // tar_writer.add_file ignores the root itself
    if (norm === '..' || norm.startsWith('../')) {
      throw new Error(`pkg_tar: destination "${dest}" (from ${item.origin}) escapes the archive root`);
    }
    const base = { path: norm, uid, gid, uname, gname, mtime };
    switch (item.kind) {
      case 'file': {
        const src = item.src as PkgTarInputFile;
        // build_tar.py add_file: no mode at all → derived from the file's executable bit.
        const m = mode ?? (isExecutableFile(src.path) ? 0o755 : 0o644);
        entries.push({ ...base, type: 'file', mode: m, source: { file: src.path } });
        break;
      }
      case 'empty-file':
        entries.push({ ...base, type: 'file', mode: mode ?? 0o644, source: { content: '' } });
        break;
      case 'dir':
        entries.push({ ...base, type: 'dir', mode: mode ?? 0o644 });
        break;
      case 'symlink':
        entries.push({ ...base, type: 'symlink', mode: mode ?? 0o755, linkname: item.linkTo as string });
        break;
    }
  }

  const merge: TarMergeSource[] = (attrs.deps ?? []).map((p) => (dir ? { path: p, prefix: dir } : { path: p }));
  return {
    entries,
    merge,
    compression,
    gzipLevel,
    createParents: attrs.create_parents ?? true,
    allowDuplicates: attrs.allow_duplicates_from_deps ?? false,
    mtime,
    warnings,
  };
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Writes a planned pkg_tar to `dest`; plan warnings and duplicate warnings go to `onWarning`. */
export async function writePkgTar(
  plan: PkgTarPlan,
  dest: string,
  onWarning?: (message: string) => void,
): Promise<WriteTarResult> {
  const warn = onWarning ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  for (const w of plan.warnings) warn(w);
  return writeTar(plan.entries, dest, {
    compression: plan.compression,
    gzipLevel: plan.gzipLevel,
    mtime: plan.mtime,
    createParents: plan.createParents,
    allowDuplicates: plan.allowDuplicates,
    merge: plan.merge,
    onWarning: warn,
  });
}
