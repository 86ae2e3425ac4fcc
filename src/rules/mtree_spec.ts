// aspect_bazel_lib / tar.bzl `mtree_spec` and `mtree_mutate`, and what the `tar` rule shares with
// them. Sources, all in bazel-contrib/tar.bzl (same API as aspect_bazel_lib's lib/tar.bzl):
//  - tar/private/tar.bzl: _mtree_impl / _expand / _add_parent_lines / _mtree_line: every file of
//    srcs at its repository-relative path (short path; `../repo/` dropped for other
//    repositories), preceded by one `type=dir` line per parent directory ("pkg/", with a trailing
//    slash), each line `uid=0 gid=0 time=1672560000 mode=0755 type=... nlink=1 [content=EXEC_PATH]`
//    (mode 0755 for files too), lines de-duplicated in order; for executable srcs with
//    include_runfiles (default True) a `<exe>.runfiles/` directory, the runfiles under
//    `<exe>.runfiles/_main/<short path>` (other repositories: `<exe>.runfiles/<repo>/...`) and
//    `<exe>.runfiles/_repo_mapping`; default output `<name>.spec`. Spaces in paths are written
//    as `\040`; we escape every non-printable or non-ASCII byte, which bsdtar needs too.
//  - tar/private/default.awk (mtree_mutate): excludes, then strip_prefix (the line naming the
//    prefix itself is dropped, lines under it lose it, all other lines are dropped), mtime /
//    owner / group / ownername / groupname replace `time=` / `uid=` / `gid=` / `uname=` /
//    `gname=` where an entry has them (an entry without `uname=` keeps none), package_dir
//    (leading "/" removed) prefixes every path, after one `type=dir mode=0755 time=MTIME` line per
//    package_dir component (time 946699200 when mtime is unset, plus the new owner keywords);
//    tar/mtree.bzl: output `<name>.mtree`, preserve_symlinks requires srcs.
//  - tar/private/modify_mtree.awk preserve_symlinks: a `content=` file that is a symlink to the
//    content of another entry becomes `type=link` to that entry.
// Deliberate differences: mtree_mutate works on parsed entries, not on text lines, so `/set`
// defaults and relative entries of a handwritten mtree are resolved first and the output is
// always one full line per entry; strip_prefix and excludes compare whole path components;
// symlink targets are relative to the link's directory (the awk script counts one "../" too
// many); custom awk scripts (awk_script, includes, script_args) are rejected. Providers carry no
// `data` runfiles here, so an executable's runfiles are the executable itself, and its repo
// mapping manifest is empty — what Bazel writes for a binary that uses no runfiles library.
import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { AttrError, PlainDict, type Plain } from './attrs.ts';
import { BAZEL_BIN_DIR, MAIN_REPO_RUNFILES_NAME, execPath, rlocationPath } from './make_vars.ts';
import { COMMON_ATTRS } from './schema.ts';
import { formatMtreeEntry, parseMtree, vis, type MtreeEntry, type MtreeHostView } from '../tar/mtree.ts';
import { compareCodePoints } from '../tar/path.ts';
import { computeDataPath, destPath, type PkgTarInputFile } from '../tar/pkg_tar.ts';
import type { TarSource } from '../tar/entry.ts';
import type { BuildContext, RuleDef } from './rule.ts';
import type { FileRef, Provider } from './provider.ts';

/** 2023-01-01T08:00:00Z, tar.bzl's _mtree_line default time. */
export const MTREE_SPEC_TIME = '1672560000';
/** default.awk's time for package_dir directories when mtime is unset ("chosen to match rules_pkg"). */
export const MUTATE_DEFAULT_TIME = '946699200';

// ---------------------------------------------------------------------------------------------
// Runfiles

/** The runfiles of an executable provider (none for other providers); see the header note. */
export function runfilesOf(p: Provider): FileRef[] {
  return p.executable ? [p.executable] : [];
}

/** Exec path of the repo mapping manifest Bazel writes next to an executable. */
export function repoMappingExecPath(executable: FileRef): string {
  return `${execPath(executable)}.repo_mapping`;
}

/**
 * rules_pkg pkg_tar `include_runfiles` (pkg/private/pkg_files.bzl add_from_default_info): for
 * each executable src, its runfiles under `<dest of the executable>.runfiles/_main/<short path>`
 * (mode 0755 for the executable itself), and the repo mapping manifest both next to the
 * executable (`<dest>.repo_mapping`) and as `<dest>.runfiles/_repo_mapping`. `empty` items are
 * the (empty) repo mapping manifests: add them as empty files with the default mode.
 * Destinations are not yet remapped (apply remap_paths to each, as pkg_files.bzl's path_mapper does).
 */
export function pkgTarRunfiles(
  srcs: readonly Provider[],
  pkg: string,
  stripPrefix: string | undefined,
): Array<{ dest: string; file?: PkgTarInputFile; empty?: true }> {
  const dataPath = computeDataPath(pkg, stripPrefix);
  const dataPathWithoutPrefix = computeDataPath(pkg, '.') ?? '';
  const out: Array<{ dest: string; file?: PkgTarInputFile; empty?: true }> = [];
  for (const p of srcs) {
    const exe = p.executable;
    if (!exe) continue;
    // rules_pkg's manifest strips the leading "/" dest_path leaves.
    const strip = (d: string) => d.replace(/^\/+/, '');
    const base = strip(destPath(exe.shortPath, dataPath, dataPathWithoutPrefix));
    for (const rf of runfilesOf(p)) {
      const rel = rf.shortPath.startsWith('../') ? rf.shortPath.slice(3) : `${MAIN_REPO_RUNFILES_NAME}/${rf.shortPath}`;
      out.push({
        dest: `${base}.runfiles/${rel}`,
        file: { path: rf.path, shortPath: rf.shortPath, executable: rf.path === exe.path },
      });
    }
    out.push({ dest: strip(destPath(`${exe.shortPath}.repo_mapping`, dataPath, dataPathWithoutPrefix)), empty: true });
    out.push({ dest: `${base}.runfiles/_repo_mapping`, empty: true });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// mtree_spec

function specLine(path: string, type: 'file' | 'dir', content?: string): string {
  const name = type === 'dir' && !path.endsWith('/') ? `${path}/` : path;
  const kw: Array<[string, string]> = [
    ['uid', '0'],
    ['gid', '0'],
    ['time', MTREE_SPEC_TIME],
    ['mode', '0755'],
    ['type', type],
    ['nlink', '1'],
  ];
  if (content) kw.push(['content', content]);
  return formatMtreeEntry(name, kw);
}

/** `_add_parent_lines`: every ancestor directory of `path`, outermost first, with a trailing "/". */
function parentLines(path: string): string[] {
  const out: string[] = [];
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] === '/') out.push(specLine(path.slice(0, i + 1), 'dir'));
  }
  return out.reverse();
}

/** Files below a directory, as "a/b" paths, sorted (Bazel's tree artifact expansion). */
function walkFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  const names = readdirSync(dir).sort(compareCodePoints);
  for (const name of names) {
    const abs = join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = statSync(abs);
    if (st.isDirectory()) out.push(...walkFiles(abs, rel));
    else out.push(rel);
  }
  return out;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `_expand`: the lines for one file (or each file of a directory) at `path`. */
function expandFile(f: FileRef, path: string): string[] {
  if (!isDirectory(f.path)) return [...parentLines(path), specLine(path, 'file', execPath(f))];
  const lines: string[] = [];
  for (const rel of walkFiles(f.path)) {
    const child = `${path}/${rel}`;
    lines.push(...parentLines(child), specLine(child, 'file', `${execPath(f)}/${rel}`));
  }
  return lines;
}

/** `to_repository_relative_path`: the short path, without `../repo/` for other repositories. */
export function repositoryRelativePath(f: FileRef): string {
  if (!f.shortPath.startsWith('../')) return f.shortPath;
  const rest = f.shortPath.slice(3);
  const slash = rest.indexOf('/');
  return slash < 0 ? rest : rest.slice(slash + 1);
}

function uniq(lines: Iterable<string>): string[] {
  return [...new Set(lines)];
}

/** The lines of tar.bzl's mtree_spec for `srcs` (without a trailing newline). */
export function mtreeSpecLines(srcs: readonly Provider[], opts: { includeRunfiles: boolean }): string[] {
  const lines = uniq(srcs.flatMap((p) => p.files).flatMap((f) => expandFile(f, repositoryRelativePath(f))));
  if (!opts.includeRunfiles) return lines;
  for (const p of srcs) {
    const exe = p.executable;
    if (!exe) continue;
    const runfilesDir = `${exe.shortPath}.runfiles`;
    lines.push(specLine(runfilesDir, 'dir'));
    const prefix = `${vis(runfilesDir)}/`;
    lines.push(...uniq(runfilesOf(p).flatMap((rf) => expandFile(rf, rlocationPath(rf)).map((l) => prefix + l))));
    lines.push(specLine(`${runfilesDir}/_repo_mapping`, 'file', repoMappingExecPath(exe)));
  }
  return lines;
}

/** The text of an mtree_spec output. */
export function mtreeSpecText(srcs: readonly Provider[], opts: { includeRunfiles: boolean }): string {
  const lines = mtreeSpecLines(srcs, opts);
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Inputs: paths as an mtree names them → files on disk

export interface InputIndex {
  /** The bytes for a path as a spec names it (exec path, any `bazel-out/<config>/bin/`, or disk path). */
  lookup(path: string): TarSource | undefined;
  /** A one-line explanation of why `content` was not found. */
  missing(content: string): string;
  /** What bsdtar sees in Bazel's exec root for keywords an mtree line leaves out. */
  host: MtreeHostView;
}

const BIN_RE = /^bazel-out\/[^/]+\/bin\/(.+)$/;

/** Indexes the files of `providers` (and their runfiles and repo mappings) by exec and disk path. */
export function indexInputs(providers: readonly Provider[]): InputIndex {
  const exact = new Map<string, TarSource>();
  const dirs: Array<{ prefix: string; disk: string }> = [];
  const all: FileRef[] = [];
  // Disk paths of generated inputs (and tree artifacts): Bazel makes outputs read-only.
  const generated: string[] = [];
  // Directories of the exec root: the parents of every input's exec path.
  const execDirs = new Set<string>();
  for (const p of providers) {
    const refs = [...p.files, ...(p.executable ? [p.executable] : []), ...runfilesOf(p)];
    for (const f of refs) {
      all.push(f);
      if (f.generated) generated.push(f.path);
      const parts = execPath(f).split('/');
      for (let i = 1; i < parts.length; i++) execDirs.add(parts.slice(0, i).join('/'));
      for (const key of [execPath(f), f.path]) {
        if (!exact.has(key)) exact.set(key, { file: f.path });
        if (isDirectory(f.path)) dirs.push({ prefix: `${key}/`, disk: f.path });
      }
    }
    if (p.executable) exact.set(repoMappingExecPath(p.executable), { content: '' });
  }
  const lookup = (path: string): TarSource | undefined => {
    let p = path;
    while (p.startsWith('./')) p = p.slice(2);
    const hit = exact.get(p);
    if (hit) return hit;
    const m = BIN_RE.exec(p);
    if (m) {
      const canon = exact.get(`${BAZEL_BIN_DIR}/${m[1]}`);
      if (canon) return canon;
    }
    for (const d of dirs) {
      const gen = m ? `${BAZEL_BIN_DIR}/${m[1]}` : p;
      if (!gen.startsWith(d.prefix)) continue;
      const rest = gen.slice(d.prefix.length);
      if (rest.split('/').some((s) => s === '..' || s === '')) continue;
      const disk = join(d.disk, rest);
      try {
        if (statSync(disk).isFile()) return { file: disk };
      } catch {
        // not there
      }
    }
    return undefined;
  };
  const missing = (content: string): string => {
    const gen = all.find((f) => f.generated && f.shortPath === content);
    if (gen) {
      return `content "${content}" is a generated file's short path; its exec path is ${execPath(gen)} (write content=$(execpath ...))`;
    }
    return `content "${content}" is not a file of srcs (add the target that provides it to srcs)`;
  };
  const host: MtreeHostView = {
    permOf(source) {
      if (!('file' in source)) return 0o444;
      let mode: number;
      try {
        mode = statSync(source.file).mode;
      } catch {
        return undefined;
      }
      const isGenerated = generated.some((g) => source.file === g || source.file.startsWith(`${g}/`));
      if (isGenerated) return mode & 0o111 ? 0o555 : 0o444;
      return mode & 0o7777;
    },
    dirExists: (path) => execDirs.has(path),
  };
  return { lookup, missing, host };
}

// ---------------------------------------------------------------------------------------------
// mtree_mutate

export interface MutateOptions {
  stripPrefix?: string;
  packageDir?: string;
  /** Seconds since the epoch, as text (`time=` keeps its form). */
  mtime?: string;
  owner?: string;
  group?: string;
  ownername?: string;
  groupname?: string;
  excludes?: readonly string[];
  preserveSymlinks?: boolean;
  /** For preserve_symlinks: the file on disk a `content=` path names. */
  inputs?: InputIndex;
}

function normName(name: string): string {
  return name
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

function outName(path: string, type: string | undefined): string {
  if (path === '') return '.';
  return type === 'dir' ? `${path}/` : path;
}

/** Applies mtree_mutate's edits to parsed entries; `warn` receives no-op notices. */
export function mutateMtree(entries: readonly MtreeEntry[], opts: MutateOptions, warn?: (message: string) => void): MtreeEntry[] {
  const excludes = new Set((opts.excludes ?? []).map(normName));
  const strip = opts.stripPrefix ? normName(opts.stripPrefix) : '';
  const pkgDir = opts.packageDir ? normName(opts.packageDir) : '';
  const out: MtreeEntry[] = [];
  let pkgDirsEmitted = false;
  let sawUname = false;
  let sawGname = false;
  for (const e of entries) {
    let path = normName(e.name);
    if (excludes.has(path)) continue;
    if (strip) {
      if (path === strip) continue;
      if (!path.startsWith(`${strip}/`)) continue;
      path = path.slice(strip.length + 1);
    }
    const kw = new Map(e.keywords);
    if (opts.mtime !== undefined && kw.has('time')) kw.set('time', opts.mtime);
    if (opts.owner !== undefined && kw.has('uid')) kw.set('uid', opts.owner);
    if (opts.ownername !== undefined && kw.has('uname')) {
      kw.set('uname', opts.ownername);
      sawUname = true;
    }
    if (opts.group !== undefined && kw.has('gid')) kw.set('gid', opts.group);
    if (opts.groupname !== undefined && kw.has('gname')) {
      kw.set('gname', opts.groupname);
      sawGname = true;
    }
    if (pkgDir) {
      if (!pkgDirsEmitted) {
        pkgDirsEmitted = true;
        const parts = pkgDir.split('/');
        parts.forEach((_, i) => {
          const dirKw = new Map<string, string>([
            ['type', 'dir'],
            ['mode', '0755'],
            ['time', opts.mtime ?? MUTATE_DEFAULT_TIME],
          ]);
          if (opts.owner !== undefined) dirKw.set('uid', opts.owner);
          if (opts.group !== undefined) dirKw.set('gid', opts.group);
          if (opts.ownername !== undefined) dirKw.set('uname', opts.ownername);
          if (opts.groupname !== undefined) dirKw.set('gname', opts.groupname);
          out.push({ name: `${parts.slice(0, i + 1).join('/')}/`, line: e.line, keywords: dirKw });
        });
      }
      path = path === '' ? pkgDir : `${pkgDir}/${path}`;
    }
    out.push({ name: outName(path, kw.get('type')), line: e.line, keywords: kw });
  }
  if (opts.ownername !== undefined && !sawUname) {
    warn?.('ownername has no effect: no entry has uname= (mtree_mutate only replaces existing uname= values, as tar.bzl does)');
  }
  if (opts.groupname !== undefined && !sawGname) {
    warn?.('groupname has no effect: no entry has gname= (mtree_mutate only replaces existing gname= values, as tar.bzl does)');
  }
  if (opts.preserveSymlinks) preserveSymlinks(out, opts.inputs);
  return out;
}

function diskOf(inputs: InputIndex | undefined, content: string | undefined): string | undefined {
  if (!content || !inputs) return undefined;
  const src = inputs.lookup(content);
  return src && 'file' in src ? src.file : undefined;
}

function realOf(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function preserveSymlinks(entries: MtreeEntry[], inputs: InputIndex | undefined): void {
  const byReal = new Map<string, string>();
  for (const e of entries) {
    if ((e.keywords.get('type') ?? 'file') !== 'file') continue;
    const disk = diskOf(inputs, e.keywords.get('content'));
    if (!disk) continue;
    let isLink = false;
    try {
      isLink = lstatSync(disk).isSymbolicLink();
    } catch {
      continue;
    }
    if (isLink) continue;
    const real = realOf(disk);
    if (real && !byReal.has(real)) byReal.set(real, normName(e.name));
  }
  for (const e of entries) {
    if ((e.keywords.get('type') ?? 'file') !== 'file') continue;
    const disk = diskOf(inputs, e.keywords.get('content'));
    if (!disk) continue;
    try {
      if (!lstatSync(disk).isSymbolicLink()) continue;
    } catch {
      continue;
    }
    const real = realOf(disk);
    const target = real ? byReal.get(real) : undefined;
    const self = normName(e.name);
    if (!target || target === self) continue;
    const kw = new Map<string, string>();
    for (const [k, v] of e.keywords) {
      if (k === 'content' || k === 'size') continue;
      kw.set(k, k === 'type' ? 'link' : v);
    }
    if (!kw.has('type')) kw.set('type', 'link');
    kw.set('link', posix.relative(posix.dirname(self), target) || posix.basename(target));
    e.keywords = kw;
  }
}

/** Serialises entries as mtree text, one full line each. */
export function formatMtree(entries: readonly MtreeEntry[]): string {
  return entries.map((e) => formatMtreeEntry(e.name, e.keywords) + '\n').join('');
}

const NUMERIC = /^\d+$/;

/**
 * mtree_mutate's options from attribute values (a rule's attributes, or the keyword arguments
 * of a tar.bzl `mutate(...)` partial). Throws AttrError naming the attribute.
 */
export function mutateOptionsFrom(get: (name: string) => Plain | undefined): MutateOptions {
  const str = (name: string): string | undefined => {
    const v = get(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw new AttrError(`attribute "${name}": expected string`);
    return v === '' ? undefined : v;
  };
  for (const name of ['awk_script', 'includes', 'script_args']) {
    const v = get(name);
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0) && !(v instanceof PlainDict && v.entries.length === 0)) {
      throw new AttrError(
        `attribute "${name}": custom awk scripts are not supported (strip_prefix, package_dir, mtime, owner, group, ownername, groupname, excludes and preserve_symlinks are)`,
      );
    }
  }
  const opts: MutateOptions = {};
  const stripPrefix = str('strip_prefix');
  if (stripPrefix !== undefined) opts.stripPrefix = stripPrefix;
  const packageDir = str('package_dir');
  if (packageDir !== undefined) opts.packageDir = packageDir.replace(/^\/+/, '');
  const mtime = get('mtime');
  if (mtime !== undefined && mtime !== null && mtime !== '' && mtime !== 0) {
    const text = typeof mtime === 'number' ? String(mtime) : mtime;
    if (typeof text !== 'string' || !NUMERIC.test(text)) {
      throw new AttrError(`attribute "mtime": expected seconds since the epoch (an integer), got ${JSON.stringify(mtime)}`);
    }
    opts.mtime = text;
  }
  for (const [name, key] of [['owner', 'owner'], ['group', 'group']] as const) {
    const v = str(name);
    if (v === undefined) continue;
    if (!NUMERIC.test(v)) throw new AttrError(`attribute "${name}": expected a numeric id such as "1000", got "${v}"`);
    opts[key] = v;
  }
  for (const name of ['ownername', 'groupname'] as const) {
    const v = str(name);
    if (v === undefined) continue;
    if (/[\s\0]/.test(v)) throw new AttrError(`attribute "${name}": "${v}" contains whitespace`);
    opts[name] = v;
  }
  const excludes = get('excludes');
  if (excludes !== undefined && excludes !== null) {
    if (!Array.isArray(excludes) || excludes.some((x) => typeof x !== 'string')) {
      throw new AttrError('attribute "excludes": expected a list of strings');
    }
    opts.excludes = excludes as string[];
  }
  const ps = get('preserve_symlinks');
  if (ps === true || ps === 1) opts.preserveSymlinks = true;
  return opts;
}

// ---------------------------------------------------------------------------------------------
// Rules

async function writeOutput(ctx: BuildContext, name: string, text: string): Promise<FileRef> {
  const dest = join(await ctx.outDir(), name);
  await mkdir(dirname(dest), { recursive: true });
  await writeFile(dest, text);
  return { path: dest, shortPath: ctx.outShortPath(name), generated: true };
}

/** The single file of a label attribute (`allow_single_file`). */
export function singleFile(ctx: BuildContext, attr: string): FileRef {
  const label = ctx.attrs.label(attr) ?? (() => {
    const v = ctx.attrs.listOrLabel(attr);
    return v && 'label' in v ? v.label : undefined;
  })();
  if (!label) throw new Error(`attribute "${attr}" is not set`);
  const files = ctx.dep(label).files;
  if (files.length !== 1) {
    throw new Error(`attribute "${attr}": ${label} provides ${files.length} files; expected exactly one mtree file`);
  }
  return files[0] as FileRef;
}

/** Reads the mtree file of a label attribute and parses it; errors name the file. */
export async function readMtreeAttr(ctx: BuildContext, attr: string): Promise<{ file: FileRef; entries: MtreeEntry[] }> {
  const file = singleFile(ctx, attr);
  let text: string;
  try {
    text = await readFile(file.path, 'utf8');
  } catch (err) {
    throw new Error(`attribute "${attr}": cannot read ${file.shortPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return { file, entries: parseMtree(text) };
  } catch (err) {
    throw new Error(`${file.shortPath}: ${(err as Error).message}`);
  }
}

/** tar.bzl / aspect_bazel_lib `mtree_spec`. */
export const mtreeSpecRule: RuleDef = {
  kind: 'mtree_spec',
  attrs: {
    ...COMMON_ATTRS,
    srcs: { type: 'label_list' },
    out: { type: 'string' },
    include_runfiles: { type: 'bool' },
  },
  async build(ctx) {
    const text = mtreeSpecText(ctx.deps('srcs'), { includeRunfiles: ctx.attrs.bool('include_runfiles', true) });
    const name = ctx.attrs.string('out') ?? `${ctx.target.label.name}.spec`;
    return { files: [await writeOutput(ctx, name, text)] };
  },
};

/** tar.bzl / aspect_bazel_lib `mtree_mutate` (the macro and its rule; output `<name>.mtree`). */
export const mtreeMutateRule: RuleDef = {
  kind: 'mtree_mutate',
  attrs: {
    ...COMMON_ATTRS,
    mtree: { type: 'label', mandatory: true },
    srcs: { type: 'label_list' },
    preserve_symlinks: { type: 'bool' },
    strip_prefix: { type: 'string' },
    package_dir: { type: 'string' },
    mtime: { type: 'ignored' },
    owner: { type: 'string' },
    ownername: { type: 'string' },
    group: { type: 'string' },
    groupname: { type: 'string' },
    excludes: { type: 'string_list' },
    awk_script: { type: 'ignored' },
    script_args: { type: 'ignored' },
    includes: { type: 'ignored' },
    out: { type: 'string' },
  },
  validate(attrs) {
    const opts = mutateOptionsFrom((n) => attrs.raw(n));
    if (opts.preserveSymlinks && attrs.labelList('srcs').length === 0) {
      throw new AttrError('attribute "preserve_symlinks": requires srcs to be set in order to resolve symlinks');
    }
  },
  async build(ctx) {
    const opts = mutateOptionsFrom((n) => ctx.attrs.raw(n));
    const { entries } = await readMtreeAttr(ctx, 'mtree');
    if (opts.preserveSymlinks) opts.inputs = indexInputs(ctx.deps('srcs'));
    const label = ctx.target.label.toString();
    const mutated = mutateMtree(entries, opts, (m) => ctx.log.warning(`${label}: ${m}`));
    const name = ctx.attrs.string('out') ?? `${ctx.target.label.name}.mtree`;
    return { files: [await writeOutput(ctx, name, formatMtree(mutated))] };
  },
};
