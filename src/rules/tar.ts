// aspect_bazel_lib `tar` / tar.bzl `tar` (the macro and its tar_rule): an archive described by an
// mtree specification, written by our deterministic tar writer instead of bsdtar. Sources, in
// bazel-contrib/tar.bzl (aspect_bazel_lib's lib/tar.bzl has the same API):
//  - tar/tar.bzl `tar` macro: `mtree = "auto"` (the default) means an mtree_spec of srcs
//    (include_runfiles, default True, and a `mutate` partial are only allowed then); a list of
//    lines goes through expand_template (`$(execpath ...)`-style expansion against srcs, a
//    `#mtree` header); anything else is the label of an mtree file.
//  - tar/private/tar.bzl _tar_impl: `bsdtar --create [args] [--gzip|--zstd ...] --file OUT @MTREE`,
//    output `<name>.tar` / `.tar.gz` / `.tar.zst` per `compress` unless `out` is given; `mode` is
//    "create" only.
// bsdtar writes exactly the entries of the spec, in order: no parent directories are added, and
// `content=` files are read from the exec root (we map exec paths back to the srcs' files; see
// mtree_spec.ts indexInputs). For the mtree format itself see src/tar/mtree.ts. Of bsdtar's
// `args`, --exclude PATTERN, --exclude-vcs and --gzip/--zstd change the archive and are applied;
// flags that leave entries read from an mtree unchanged (verbosity, --numeric-owner, --uid...,
// xattr/acl flags, tar --format variants) are accepted and ignored; everything else is
// rejected. Differences: the archive is GNU-format (like pkg_tar's) rather than bsdtar's
// restricted pax, so bytes differ from Bazel's while members are the same; bzip2/xz/lz4/...
// compression, `compressor` and `compressor_args` are not supported.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { AttrError, PlainDict, type AttrValues } from './attrs.ts';
import { MakeVarError, expandMakeVars, makeVarDeps } from './make_vars.ts';
import {
  indexInputs,
  mtreeSpecText,
  mutateMtree,
  mutateOptionsFrom,
  readMtreeAttr,
  type InputIndex,
  type MutateOptions,
} from './mtree_spec.ts';
import { COMMON_ATTRS } from './schema.ts';
import { mtreeToTarEntries, normalizeMtreePath, parseMtree, vis, type MtreeContentResolver, type MtreeEntry } from '../tar/mtree.ts';
import { writeTar } from '../tar/writer.ts';
import type { TarEntry } from '../tar/entry.ts';
import type { BuildContext, RuleDef } from './rule.ts';

export type TarRuleCompression = 'none' | 'gzip' | 'zstd';

const EXTENSIONS: Record<TarRuleCompression, string> = { none: '.tar', gzip: '.tar.gz', zstd: '.tar.zst' };
const UNSUPPORTED_COMPRESSION = new Set(['bzip2', 'compress', 'lrzip', 'lz4', 'lzma', 'lzop', 'xz']);

// ---------------------------------------------------------------------------------------------
// bsdtar args

/** Flags without a value that do not change entries read from an mtree. */
const IGNORED_FLAGS = new Set([
  '-c', '--create', '-v', '--verbose', '-q', '--fast-read', '--totals', '-h', '-L', '--dereference', '-H', '-P',
  '--absolute-paths', '--no-xattrs', '--xattrs', '--no-acls', '--acls', '--no-fflags', '--fflags', '--no-mac-metadata',
  '--mac-metadata', '--numeric-owner', '--one-file-system', '--no-recursion', '-n', '--norecurse', '--no-read-sparse',
  '--read-sparse', '--no-same-owner', '--same-owner', '--no-same-permissions', '--same-permissions', '-p',
  '--preserve-permissions', '--clear-nochange-fflags', '--no-safe-writes', '--safe-writes', '-o', '-m',
  '--modification-time', '-U', '--unlink', '--unlink-first', '-k', '--keep-old-files', '--keep-newer-files',
  '--ignore-zeros', '--nodump', '-S', '--sparse',
]);
/** Options taking a value that do not change entries read from an mtree (checked with bsdtar 3.6). */
const IGNORED_WITH_VALUE = new Set(['--uid', '--gid', '--uname', '--gname', '--strip-components', '-s', '-b', '--block-size']);
const TAR_FORMATS = new Set(['gnutar', 'pax', 'paxr', 'posix', 'rpax', 'ustar']);
const VCS_FILES = [
  'CVS', '.cvsignore', 'RCS', 'SCCS', '.svn', '.git', '.gitignore', '.gitattributes', '.gitmodules', '.arch-ids', '{arch}',
  '=RELEASE-ID', '=meta-update', '=update', '.bzr', '.bzrignore', '.bzrtags', '.hg', '.hgignore', '.hgtags', '_darcs',
];
const COMPRESSION_FLAGS: Record<string, TarRuleCompression | undefined> = {
  '-z': 'gzip', '--gzip': 'gzip', '--gunzip': 'gzip', '--zstd': 'zstd',
  '-j': undefined, '--bzip2': undefined, '-J': undefined, '--xz': undefined, '--lzma': undefined, '--lz4': undefined,
  '-Z': undefined, '--compress': undefined, '--lzop': undefined, '--lrzip': undefined, '--grzip': undefined,
  '--lzip': undefined, '-y': undefined, '--use-compress-program': undefined, '-I': undefined,
};

export interface TarArgs {
  /** --exclude patterns (and --exclude-vcs names), as bsdtar matches them. */
  excludes: Array<{ pattern: string; re: RegExp }>;
  /** Compression asked for with --gzip / --zstd. */
  compress?: TarRuleCompression;
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * libarchive's __archive_pathmatch with PATHMATCH_NO_ANCHOR_START | PATHMATCH_NO_ANCHOR_END (how
 * bsdtar --exclude matches): `*` (any characters, "/" included), `?`, `[...]`, `\x`; the match
 * may start at any path component unless the pattern starts with `^` or `*`, and may end at any
 * "/" unless it ends with `$`; a pattern starting with "/" only matches absolute names (none here).
 */
export function pathmatchRegex(pattern: string): RegExp {
  let p = pattern;
  let anchoredStart = false;
  let anchoredEnd = false;
  if (p.startsWith('^')) {
    p = p.slice(1);
    anchoredStart = true;
  }
  // Member names read from an mtree never start with "/", which such a pattern requires.
  if (p.startsWith('/')) return /(?!)/;
  if (p.startsWith('*')) anchoredStart = true;
  if (p.endsWith('$') && !p.endsWith('\\$')) {
    p = p.slice(0, -1);
    anchoredEnd = true;
  }
  let body = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === '*') body += '.*';
    else if (c === '?') body += '.';
    else if (c === '/') body += '/+';
    else if (c === '\\' && i + 1 < p.length) body += escapeRe(p[++i] as string);
    else if (c === '[') {
      let j = i + 1;
      let negate = false;
      if (p[j] === '!' || p[j] === '^') {
        negate = true;
        j++;
      }
      const startClass = j;
      if (p[j] === ']') j++;
      while (j < p.length && p[j] !== ']') j++;
      if (j >= p.length) {
        body += '\\[';
        continue;
      }
      const cls = p.slice(startClass, j).replace(/\\/g, '\\\\').replace(/\^/g, '\\^').replace(/\]/g, '\\]');
      body += `[${negate ? '^' : ''}${cls}]`;
      i = j;
    } else body += escapeRe(c);
  }
  const start = anchoredStart ? '^' : '^(?:.*/)?';
  const end = anchoredEnd ? '$' : '(?:/.*)?$';
  return new RegExp(start + body + end, 's');
}

/** Reads the `args` attribute: what changes the archive, or an AttrError for what we cannot do. */
export function parseTarArgs(args: readonly string[]): TarArgs {
  const out: TarArgs = { excludes: [] };
  const bad = (arg: string, why: string): never => {
    throw new AttrError(`attribute "args": "${arg}" is not supported (${why})`);
  };
  const setCompress = (arg: string, c: TarRuleCompression | undefined) => {
    if (!c) bad(arg, 'only gzip and zstd compression are; use compress = "gzip" or "zstd"');
    else if (out.compress && out.compress !== c) bad(arg, `conflicts with an earlier ${out.compress} flag`);
    else out.compress = c;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = args[i + 1];
      if (v === undefined) throw new AttrError(`attribute "args": "${arg}" needs a value`);
      i++;
      return v;
    };
    if (IGNORED_FLAGS.has(name) && inline === undefined) continue;
    if (IGNORED_WITH_VALUE.has(name)) {
      value();
      continue;
    }
    if (name in COMPRESSION_FLAGS) {
      if (name === '--use-compress-program' || name === '-I') value();
      setCompress(arg, COMPRESSION_FLAGS[name]);
      continue;
    }
    if (name === '--exclude') {
      const pattern = value();
      out.excludes.push({ pattern, re: pathmatchRegex(pattern) });
      continue;
    }
    if (name === '--exclude-vcs') {
      for (const v of VCS_FILES) out.excludes.push({ pattern: v, re: pathmatchRegex(v) });
      continue;
    }
    if (name === '--format') {
      const f = value();
      if (!TAR_FORMATS.has(f)) bad(arg, `format "${f}" is not a tar format this writer can stand in for (${[...TAR_FORMATS].join(', ')})`);
      continue;
    }
    if (name === '--options') {
      const v = value();
      if (!v.split(',').every((o) => o === '!timestamp' || o === 'gzip:!timestamp')) {
        bad(arg, 'only gzip:!timestamp is accepted (the gzip header never has a timestamp here)');
      }
      continue;
    }
    if (/^-[A-Za-z]{2,}$/.test(arg)) {
      for (const c of arg.slice(1)) {
        const flag = `-${c}`;
        if (IGNORED_FLAGS.has(flag)) continue;
        if (flag in COMPRESSION_FLAGS && flag !== '-I') {
          setCompress(arg, COMPRESSION_FLAGS[flag]);
          continue;
        }
        bad(arg, `"${flag}" changes the archive or needs a value; pass it on its own`);
      }
      continue;
    }
    if (!arg.startsWith('-')) bad(arg, 'file operands would add files from disk; describe them in the mtree instead');
    bad(arg, 'it changes the archive; supported: --exclude, --exclude-vcs, --gzip, --zstd, --format, and flags without effect on mtree input');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The rule

function mtreeIsAuto(attrs: AttrValues): boolean {
  const v = attrs.raw('mtree');
  return v === undefined || v === null || v === 'auto';
}

function compressionAttr(attrs: AttrValues): TarRuleCompression | undefined {
  const v = attrs.raw('compress');
  if (v === undefined || v === null || v === '') return undefined;
  if (v === 'gzip' || v === 'zstd') return v;
  if (typeof v === 'string' && UNSUPPORTED_COMPRESSION.has(v)) {
    throw new AttrError(`attribute "compress": "${v}" is not supported (use "gzip" or "zstd", or leave it unset)`);
  }
  throw new AttrError(`attribute "compress": expected "gzip" or "zstd" (or "" for none), got ${JSON.stringify(v)}`);
}

function mutateOptions(attrs: AttrValues): MutateOptions | undefined {
  const v = attrs.raw('mutate');
  if (v === undefined || v === null) return undefined;
  if (!(v instanceof PlainDict)) throw new AttrError('attribute "mutate": expected mutate(...) from @tar.bzl//tar:tar.bzl');
  const m = new Map(v.entries);
  for (const key of m.keys()) {
    if (key === 'name' || key === 'mtree') throw new AttrError(`attribute "mutate": "${key}" is set by tar itself`);
  }
  try {
    return mutateOptionsFrom((n) => m.get(n));
  } catch (err) {
    if (err instanceof AttrError) throw new AttrError(`attribute "mutate": ${err.message}`);
    throw err;
  }
}

function checkAttrs(attrs: AttrValues): { compression: TarRuleCompression; args: TarArgs; mutate?: MutateOptions } {
  const mode = attrs.string('mode', 'create');
  if (mode !== 'create') throw new AttrError(`attribute "mode": "${mode}" is not supported (only "create")`);
  for (const name of ['compressor', 'compressor_args']) {
    const v = attrs.raw(name);
    if (v !== undefined && v !== null && v !== '') {
      throw new AttrError(`attribute "${name}": external compressors are not supported (use compress = "gzip" or "zstd")`);
    }
  }
  const cu = attrs.raw('compute_unused_inputs');
  if (cu !== undefined && cu !== null && cu !== -1 && cu !== 0 && cu !== 1 && cu !== true && cu !== false) {
    throw new AttrError('attribute "compute_unused_inputs": expected -1, 0 or 1');
  }
  const auto = mtreeIsAuto(attrs);
  if (attrs.has('include_runfiles') && !auto) {
    throw new AttrError('attribute "include_runfiles": only supported when mtree is "auto"; otherwise set include_runfiles in mtree_spec');
  }
  const mutate = mutateOptions(attrs);
  if (mutate && !auto) throw new AttrError('attribute "mutate": only supported when mtree is "auto"');
  if (mutate?.preserveSymlinks && attrs.labelList('srcs').length === 0) {
    throw new AttrError('attribute "mutate": preserve_symlinks requires srcs to be set in order to resolve symlinks');
  }
  const args = parseTarArgs(attrs.stringList('args'));
  const fromAttr = compressionAttr(attrs);
  if (fromAttr && args.compress && fromAttr !== args.compress) {
    throw new AttrError(`attribute "args": asks for ${args.compress} compression, but compress = "${fromAttr}"`);
  }
  const out: { compression: TarRuleCompression; args: TarArgs; mutate?: MutateOptions } = {
    compression: fromAttr ?? args.compress ?? 'none',
    args,
  };
  if (mutate) out.mutate = mutate;
  return out;
}

function contentResolver(inputs: InputIndex): MtreeContentResolver {
  return (content, name) => {
    if (content === undefined) return inputs.lookup(name); // bsdtar reads the entry's own path, if any
    const source = inputs.lookup(content);
    if (!source) throw new Error(inputs.missing(content));
    return source;
  };
}

function prefixed<T>(prefix: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (prefix && !(err instanceof AttrError)) throw new Error(`${prefix}${(err as Error).message}`, { cause: err });
    throw err;
  }
}

async function zstdFile(src: string, dest: string): Promise<void> {
  if (typeof zlib.createZstdCompress !== 'function') {
    throw new Error('compress = "zstd" needs a Node.js with zstd support (>= 22.15)');
  }
  const tmp = `${dest}.${process.pid}.zst.tmp`;
  try {
    await pipeline(
      createReadStream(src),
      zlib.createZstdCompress({
        params: { [zlib.constants.ZSTD_c_compressionLevel]: 3, [zlib.constants.ZSTD_c_checksumFlag]: 1 },
      }),
      createWriteStream(tmp),
    );
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { force: true });
  }
}

/** The members a tar target writes: its mtree (auto, lines or file) with contents resolved. */
async function tarEntries(
  ctx: BuildContext,
  checked: { args: TarArgs; mutate?: MutateOptions },
): Promise<TarEntry[]> {
  const a = ctx.attrs;
  const srcs = ctx.deps('srcs');
  const inputs = indexInputs(srcs);
  let entries: MtreeEntry[];
  let where = '';
  const mtree = a.listOrLabel('mtree');
  if (mtreeIsAuto(a) || !mtree) {
    const text = mtreeSpecText(srcs, { includeRunfiles: a.bool('include_runfiles', true) });
    entries = parseMtree(text);
    if (checked.mutate) {
      const label = ctx.target.label.toString();
      entries = mutateMtree(entries, { ...checked.mutate, inputs }, (m) => ctx.log.warning(`${label}: mutate: ${m}`));
    }
  } else if ('list' in mtree) {
    where = 'attribute "mtree": ';
    const deps = makeVarDeps(ctx, ['srcs']);
    const lines = mtree.list.map((line, i) => {
      try {
        return expandMakeVars(line, { deps, repo: ctx.target.label.repo, pkg: ctx.target.label.pkg, mode: 'exec', quote: vis });
      } catch (err) {
        if (err instanceof MakeVarError) throw new Error(`${where}line ${i + 1}: ${err.message}`);
        throw err;
      }
    });
    entries = prefixed(where, () => parseMtree(lines.join('\n')));
  } else {
    const read = await readMtreeAttr(ctx, 'mtree');
    entries = read.entries;
    where = `${read.file.shortPath}: `;
  }
  const excludes = checked.args.excludes;
  if (excludes.length > 0) {
    entries = entries.filter((e) => {
      const path = prefixed(where, () => normalizeMtreePath(e.name, e.line));
      return !excludes.some((x) => x.re.test(path));
    });
  }
  // Lines written by hand (not "auto") may leave keywords out: bsdtar fills them from the exec root.
  const host = mtreeIsAuto(a) || !mtree ? undefined : inputs.host;
  return prefixed(where, () => mtreeToTarEntries(entries, contentResolver(inputs), host));
}

/** tar.bzl / aspect_bazel_lib `tar`. */
export const tarRule: RuleDef = {
  kind: 'tar',
  attrs: {
    ...COMMON_ATTRS,
    srcs: { type: 'label_list' },
    mtree: { type: 'string_list_or_label' },
    out: { type: 'string' },
    compress: { type: 'ignored' },
    compressor: { type: 'ignored' },
    compressor_args: { type: 'ignored' },
    args: { type: 'string_list' },
    mode: { type: 'string' },
    compute_unused_inputs: { type: 'ignored' },
    include_runfiles: { type: 'bool' },
    mutate: { type: 'ignored' },
  },
  depConfigs(attrs, attr, config) {
    // `mtree = "auto"` is the macro's default, not a label.
    if (attr === 'mtree' && mtreeIsAuto(attrs)) return [];
    return [config];
  },
  validate(attrs) {
    checkAttrs(attrs);
  },
  async build(ctx) {
    const checked = checkAttrs(ctx.attrs);
    const entries = await tarEntries(ctx, checked);
    const name = ctx.attrs.string('out') ?? `${ctx.target.label.name}${EXTENSIONS[checked.compression]}`;
    const dest = join(await ctx.outDir(), name);
    await mkdir(dirname(dest), { recursive: true });
    const label = ctx.target.label.toString();
    const onWarning = (m: string) => ctx.log.warning(`${label}: ${m}`);
    if (checked.compression === 'zstd') {
      const plain = `${dest}.${process.pid}.tar.tmp`;
      try {
        await writeTar(entries, plain, { createParents: false, onWarning });
        await zstdFile(plain, dest);
      } finally {
        await rm(plain, { force: true });
      }
    } else {
      await writeTar(entries, dest, { compression: checked.compression, createParents: false, onWarning });
    }
    return { files: [{ path: dest, shortPath: ctx.outShortPath(name), generated: true }] };
  },
};
