// BSD mtree(5) specifications, as bsdtar (libarchive 3.x, archive_read_support_format_mtree.c)
// reads them when aspect_bazel_lib's / tar.bzl's `tar` rule runs `bsdtar --create @spec`:
//  - one entry per line: `path keyword=value ...`, blank and `#` lines skipped (so `#mtree` too),
//    a trailing backslash joins the next line, `/set` and `/unset` change the defaults every
//    later entry starts from (`/unset all` clears them);
//  - paths and string values use vis(3) escapes: `\ooo` octal bytes, `\s` `\t` `\n` `\\` ...;
//  - a path containing "/" (or ".") is "full"; several lines naming the same full path are one
//    entry, placed at its first line, later keywords overriding earlier ones. A path without "/"
//    is "relative" to the current directory: a relative `type=dir` entry changes into it and a
//    `..` line goes back up;
//  - keywords: uid gid uname gname mode time type(file|dir|link|fifo|char|block) link
//    content/contents size device, plus ones that do not reach a tar header (nlink, checksums,
//    flags, inode, ignore/nochange/optional...). Unknown keywords and types are errors, as they
//    are for bsdtar.
// bsdtar fills missing keywords from the host (stat of the content file, or of the path itself).
// With an MtreeHostView (the tar rule's mtree lines and files) a missing mode is what bsdtar finds
// in Bazel's exec root: a content file's permission bits there (outputs are read-only 0555/0444,
// sources keep theirs), 0755 for a directory that exists there, and 0 for anything with nothing
// on disk (directories, links, empty files). Deliberate differences, for reproducibility: a
// missing uid/gid is 0 (not the building user), names are empty, and time is 0 (not the file's
// mtime). Without a host view, a missing mode is 0755/0644 from the content file's executable
// bit for files, 0755 for directories, 0777 for symlinks and 0644 otherwise. `size=` is checked,
// not trusted. Member names are normalised ("./usr/bin/" → "usr/bin"), the root entry "." is
// skipped, and absolute or ".." paths are rejected.
import { statSync } from 'node:fs';
import type { TarEntry, TarEntryType, TarSource } from './entry.ts';

/** A one-line error naming the mtree line: `mtree line 3: unknown type "socket"`. */
export class MtreeError extends Error {}

export type MtreeType = 'file' | 'dir' | 'link' | 'fifo' | 'char' | 'block';

/** One entry after `/set` defaults, relative directories and repeated lines are applied. */
export interface MtreeEntry {
  /** Path with escapes decoded, relative entries joined with their directory; not normalised. */
  name: string;
  /** First line (1-based) that declared the entry. */
  line: number;
  /**
   * Keywords in first-seen order (defaults from `/set` first). `content` stands for both
   * `content=` and `contents=`; path values (content, link) are decoded. Flags
   * without a value (`optional`, `nochange`, `ignore`) map to "".
   */
  keywords: Map<string, string>;
}

const FLAG_KEYWORDS = new Set(['ignore', 'nochange', 'optional']);
/** Values with vis(3) escapes (libarchive unescapes content= and link=, not uname/gname). */
const STRING_KEYWORDS = new Set(['content', 'link']);
/** Keywords bsdtar accepts that never reach a tar header. */
const IGNORED_KEYWORDS = new Set([
  'cksum',
  'flags',
  'inode',
  'md5',
  'md5digest',
  'nlink',
  'resdevice',
  'rmd160',
  'rmd160digest',
  'ripemd160digest',
  'sha1',
  'sha1digest',
  'sha256',
  'sha256digest',
  'sha384',
  'sha384digest',
  'sha512',
  'sha512digest',
  'tags',
]);
const TYPES: Record<string, MtreeType> = { file: 'file', dir: 'dir', link: 'link', fifo: 'fifo', char: 'char', block: 'block' };
const DEVICE_FORMATS = new Set([
  'native', '386bsd', '4bsd', 'bsdos', 'freebsd', 'hpux', 'isc', 'linux', 'netbsd', 'osf1', 'sco', 'solaris', 'sunos', 'svr3', 'svr4', 'ultrix',
]);

function fail(line: number, message: string): never {
  throw new MtreeError(`mtree line ${line}: ${message}`);
}

/** Decodes vis(3) escapes as libarchive's parse_escapes does; the bytes must be UTF-8. */
export function unvis(raw: string, line: number, what: string): string {
  if (!raw.includes('\\')) return raw;
  const bytes: number[] = [];
  const pushText = (s: string) => {
    for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
  };
  const isOct = (c: string | undefined) => c !== undefined && c >= '0' && c <= '7';
  const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, s: 32, t: 9, v: 11, '\\': 92 };
  for (let i = 0; i < raw.length; ) {
    const c = raw[i] as string;
    if (c !== '\\') {
      const cp = raw.codePointAt(i) as number;
      const ch = String.fromCodePoint(cp);
      pushText(ch);
      i += ch.length;
      continue;
    }
    const n = raw[i + 1];
    if (n !== undefined && n >= '0' && n <= '3' && isOct(raw[i + 2]) && isOct(raw[i + 3])) {
      bytes.push(parseInt(raw.slice(i + 1, i + 4), 8));
      i += 4;
    } else if (n === '0') {
      bytes.push(0);
      i += 2;
    } else if (n !== undefined && n in simple) {
      bytes.push(simple[n] as number);
      i += 2;
    } else {
      // libarchive keeps an unknown escape's backslash.
      bytes.push(92);
      i += 1;
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return fail(line, `${what} ${JSON.stringify(raw)} is not valid UTF-8 once unescaped`);
  }
}

/** vis(3)-style escaping for a path or string value: everything but printable ASCII becomes `\ooo`. */
export function vis(value: string): string {
  let out = '';
  for (const b of Buffer.from(value, 'utf8')) {
    if (b <= 0x20 || b >= 0x7f || b === 0x5c || b === 0x23) out += '\\' + b.toString(8).padStart(3, '0');
    else out += String.fromCharCode(b);
  }
  return out;
}

/** Checks one keyword's value; returns the keyword as stored ("contents" → "content"). */
function checkKeyword(key: string, value: string | undefined, line: number): string {
  const k = key === 'contents' ? 'content' : key;
  if (FLAG_KEYWORDS.has(k)) return k;
  if (value === undefined) {
    if (k in KNOWN || IGNORED_KEYWORDS.has(k)) fail(line, `keyword "${key}" needs a value (${key}=...)`);
    fail(line, `unknown keyword "${key}"`);
  }
  const check = KNOWN[k];
  if (!check) {
    if (IGNORED_KEYWORDS.has(k)) return k;
    fail(line, `unknown keyword "${key}"`);
  }
  const problem = check(value);
  if (problem) fail(line, k === 'type' ? problem : `${key}=${value}: ${problem}`);
  return k;
}

const isDecimal = (v: string) => (/^\d+$/.test(v) ? undefined : 'expected a non-negative decimal number');
const KNOWN: Record<string, (v: string) => string | undefined> = {
  uid: isDecimal,
  gid: isDecimal,
  size: isDecimal,
  uname: () => undefined,
  gname: () => undefined,
  link: (v) => (v === '' ? 'empty link target' : undefined),
  content: (v) => (v === '' ? 'empty path' : undefined),
  mode: (v) => (/^[0-7]+$/.test(v) && parseInt(v, 8) <= 0o177777 ? undefined : 'expected an octal mode such as 0644 (symbolic modes are not supported)'),
  time: (v) => (/^\d+(\.\d*)?$/.test(v) ? undefined : 'expected seconds since the epoch, optionally with a fraction (1672560000 or 1672560000.0)'),
  type: (v) => (v in TYPES ? undefined : `unknown type "${v}" (expected file, dir, link, fifo, char or block)`),
  device: (v) => (parseDevice(v) ? undefined : 'expected format,major,minor (e.g. native,1,3) or a number'),
};

function parseDevice(v: string): { major: number; minor: number } | undefined {
  const parts = v.split(',');
  if (parts.length === 1 && /^\d+$/.test(v)) {
    const dev = BigInt(v);
    // Linux dev_t encoding (glibc gnu_dev_major/minor).
    const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
    const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
    return { major, minor };
  }
  if (parts.length === 3 && DEVICE_FORMATS.has(parts[0] as string) && /^\d+$/.test(parts[1] as string) && /^\d+$/.test(parts[2] as string)) {
    return { major: Number(parts[1]), minor: Number(parts[2]) };
  }
  return undefined;
}

/** Splits a line into words on spaces and tabs. */
function words(text: string): string[] {
  return text.split(/[ \t]+/).filter((w) => w !== '');
}

interface Logical {
  text: string;
  line: number;
}

/** Physical lines joined at trailing backslashes, with the number of each one's first line. */
function logicalLines(text: string): Logical[] {
  const physical = text.split('\n');
  const out: Logical[] = [];
  let buf = '';
  let start = 0;
  let continuing = false;
  physical.forEach((raw, i) => {
    const l = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!continuing) start = i + 1;
    const trailing = /\\+$/.exec(l)?.[0].length ?? 0;
    if (trailing % 2 === 1 && i < physical.length - 1) {
      buf += l.slice(0, -1); // no separator: "ab\\" then "cd" is "abcd", as bsdtar reads it
      continuing = true;
      return;
    }
    out.push({ text: buf + l, line: start });
    buf = '';
    continuing = false;
  });
  return out;
}

function parseKeywords(ws: string[], line: number, out: Map<string, string>): void {
  for (const w of ws) {
    const eq = w.indexOf('=');
    const key = eq < 0 ? w : w.slice(0, eq);
    const raw = eq < 0 ? undefined : w.slice(eq + 1);
    if (key === '') fail(line, `"${w}" is not a keyword=value pair`);
    const k = checkKeyword(key, raw, line);
    const value = raw === undefined ? '' : STRING_KEYWORDS.has(k) ? unvis(raw, line, `${key}=`) : raw;
    out.set(k, value);
  }
}

/** Parses an mtree specification into its entries, in archive order. */
export function parseMtree(text: string): MtreeEntry[] {
  const entries: MtreeEntry[] = [];
  const full = new Map<string, MtreeEntry>();
  let defaults = new Map<string, string>();
  let cwd = '';
  for (const { text: l, line } of logicalLines(text)) {
    const trimmed = l.replace(/^[ \t]+/, '');
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const ws = words(trimmed);
    const first = ws[0] as string;
    if (first.startsWith('/')) {
      if (first === '/set') {
        const next = new Map(defaults);
        parseKeywords(ws.slice(1), line, next);
        defaults = next;
      } else if (first === '/unset') {
        const next = new Map(defaults);
        for (const w of ws.slice(1)) {
          if (w === 'all') next.clear();
          else next.delete(w === 'contents' ? 'content' : w);
        }
        defaults = next;
      } else {
        fail(line, `unknown command "${first}" (only /set and /unset start with "/"; paths must be relative)`);
      }
      continue;
    }
    const keywords = new Map(defaults);
    parseKeywords(ws.slice(1), line, keywords);
    if (first === '..') {
      const slash = cwd.lastIndexOf('/');
      cwd = slash < 0 ? '' : cwd.slice(0, slash);
      continue;
    }
    const name = unvis(first, line, 'path');
    if (name === '') fail(line, 'empty path');
    if (first.includes('/') || first === '.') {
      const existing = full.get(name);
      if (existing) {
        // Later lines override earlier ones (but keep the first line's position).
        for (const [k, v] of keywords) existing.keywords.set(k, v);
        continue;
      }
      const entry = { name, line, keywords };
      full.set(name, entry);
      entries.push(entry);
    } else {
      const path = cwd === '' ? name : `${cwd}/${name}`;
      entries.push({ name: path, line, keywords });
      if (keywords.get('type') === 'dir') cwd = path;
    }
  }
  return entries;
}

/** Writes entries back as mtree lines (one full line per entry, keywords in their order). */
export function formatMtreeEntry(name: string, keywords: Iterable<[string, string]>): string {
  const parts = [vis(name)];
  for (const [k, v] of keywords) {
    if (FLAG_KEYWORDS.has(k) && v === '') parts.push(k);
    else parts.push(`${k}=${STRING_KEYWORDS.has(k) ? vis(v) : v}`);
  }
  return parts.join(' ');
}

/** The normalised member path of an mtree name: "" for the root, or an error for escapes. */
export function normalizeMtreePath(name: string, line: number): string {
  if (name.startsWith('/')) fail(line, `path "${name}" is absolute; archive members must be relative`);
  if (name.includes('\0')) fail(line, `path ${JSON.stringify(name)} contains a NUL byte`);
  const segs: string[] = [];
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') fail(line, `path "${name}" escapes the archive root ("..")`);
    segs.push(seg);
  }
  return segs.join('/');
}

/**
 * Finds the bytes of a `type=file` entry. `content` is the `content=` value (a path as the
 * spec names it), or undefined when the entry has none — bsdtar then reads the entry's own path,
 * if such a file exists. Return undefined for "no such file: empty member"; throw (a plain Error
 * with a one-line message) for a `content=` that cannot be resolved.
 */
export type MtreeContentResolver = (content: string | undefined, name: string) => TarSource | undefined;

const TAR_TYPES: Record<MtreeType, TarEntryType> = {
  file: 'file',
  dir: 'dir',
  link: 'symlink',
  fifo: 'fifo',
  char: 'chardev',
  block: 'blockdev',
};

function isExecutable(path: string): boolean {
  try {
    return (statSync(path).mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Converts one parsed entry to a writer entry; undefined for the root directory itself and for
 * an `optional` entry with nothing behind it.
 */
/**
 * What bsdtar finds on disk for keywords a line leaves out (tar.bzl runs it in Bazel's exec root):
 * the permission bits of a `content=` file as Bazel lays it out there, and whether a directory
 * entry's path exists there. Without it, missing modes get the defaults in the header above.
 */
export interface MtreeHostView {
  /** Permission bits of a content file (Bazel outputs are read-only: 0555 / 0444). */
  permOf(source: TarSource): number | undefined;
  /** Whether a directory of this (normalised) path exists in the exec root. */
  dirExists(path: string): boolean;
}

export function mtreeEntryToTar(entry: MtreeEntry, resolve: MtreeContentResolver, host?: MtreeHostView): TarEntry | undefined {
  const { line, keywords: kw } = entry;
  const path = normalizeMtreePath(entry.name, line);
  const type = TYPES[kw.get('type') ?? 'file'] as MtreeType;
  if (path === '') {
    if (type !== 'dir') fail(line, `"${entry.name}" names the archive root, which can only be a directory`);
    return undefined;
  }
  const num = (k: string) => (kw.has(k) ? Number(kw.get(k)) : undefined);
  const out: TarEntry = {
    path,
    type: TAR_TYPES[type],
    mode: 0,
    uid: num('uid') ?? 0,
    gid: num('gid') ?? 0,
    uname: kw.get('uname') ?? '',
    gname: kw.get('gname') ?? '',
    mtime: Math.trunc(Number(kw.get('time') ?? '0')),
  };
  for (const [k, v] of [['uid', out.uid], ['gid', out.gid], ['time', out.mtime]] as const) {
    if (!Number.isSafeInteger(v)) fail(line, `${k}=${kw.get(k)} is out of range`);
  }
  const mode = kw.has('mode') ? parseInt(kw.get('mode') as string, 8) & 0o7777 : undefined;
  // `optional`: bsdtar skips the entry when there is nothing on disk for it; only files can
  // have something here.
  const optional = kw.has('optional');
  if (optional && type !== 'file') return undefined;
  if (kw.has('link') && type !== 'link') fail(line, `link= is only valid with type=link (this entry is type=${type})`);
  if (kw.has('content') && type !== 'file') fail(line, `content= is only valid with type=file (this entry is type=${type})`);
  switch (type) {
    case 'file': {
      let source: TarSource | undefined;
      try {
        source = resolve(kw.get('content'), entry.name);
      } catch (err) {
        if (optional) return undefined;
        fail(line, (err as Error).message);
      }
      if (optional && !source) return undefined;
      const size = num('size');
      if (!source && size !== undefined && size !== 0) {
        fail(line, `size=${size} but the entry has no content (add content=PATH)`);
      }
      if (source && 'file' in source && size !== undefined) {
        let actual: number;
        try {
          actual = statSync(source.file).size;
        } catch (err) {
          return fail(line, `cannot read ${source.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        if (actual !== size) fail(line, `size=${size} but ${kw.get('content') ?? entry.name} has ${actual} bytes`);
      }
      if (source) out.source = source;
      if (host) out.mode = mode ?? (source ? (host.permOf(source) ?? 0o644) : 0);
      else out.mode = mode ?? (source && 'file' in source && isExecutable(source.file) ? 0o755 : 0o644);
      break;
    }
    case 'dir':
      // bsdtar: a directory that is not on disk gets no permission bits at all (mode 0000).
      out.mode = mode ?? (host ? (host.dirExists(path) ? 0o755 : 0) : 0o755);
      break;
    case 'link': {
      const link = kw.get('link');
      if (link === undefined) fail(line, 'type=link needs link=TARGET');
      out.linkname = link;
      out.mode = mode ?? (host ? 0 : 0o777);
      break;
    }
    case 'char':
    case 'block': {
      const dev = kw.has('device') ? parseDevice(kw.get('device') as string) : { major: 0, minor: 0 };
      out.devmajor = dev?.major ?? 0;
      out.devminor = dev?.minor ?? 0;
      out.mode = mode ?? (host ? 0 : 0o644);
      break;
    }
    case 'fifo':
      out.mode = mode ?? (host ? 0 : 0o644);
      break;
  }
  return out;
}

/** Converts parsed entries to writer entries, in order (the root directory is dropped). */
export function mtreeToTarEntries(entries: readonly MtreeEntry[], resolve: MtreeContentResolver, host?: MtreeHostView): TarEntry[] {
  const out: TarEntry[] = [];
  for (const e of entries) {
    const t = mtreeEntryToTar(e, resolve, host);
    if (t) out.push(t);
  }
  return out;
}
