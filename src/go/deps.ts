// What each Go binary really depends on, as Bazel's action keys see it: the files of the packages
// in its import closure, found with ONE `go list -deps` pass for every binary of a configuration
// (GOOS/GOARCH/flags). That pass is itself remembered by the identities of the files it read
// (device, inode, size, mtime and ctime in ns, as in action_cache.ts), so a re-run where nothing
// changed starts no go process at all. Packages of the standard library follow the go binary, and
// packages of a pinned module version outside the main module (the module cache, verified by
// go.sum) follow go.mod/go.sum; every other package is read by the identities of its directory and
// files, and its whole directory tree when it embeds files.
// When some packages changed, a new pass is still needed to key what gets rebuilt, but not always
// a go process: when each changed package has the same source file names and every .go file the
// same header (package clause, build constraints, imports, //go:embed lines; go_header.ts) as when
// the pass was remembered, go list would answer as before, and the pass is derived from it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, type BigIntStats, type Dirent } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { debug } from '../util/debug.ts';
import { writeFileAtomic } from '../util/write_atomic.ts';
import { scanGoHeader } from './go_header.ts';

/** A package as `go list -json` reports it (only the fields this file reads). */
export interface ListedPackage {
  ImportPath: string;
  Dir?: string;
  Name?: string;
  Standard?: boolean;
  Module?: { Path: string; Version?: string; Dir?: string; Main?: boolean; Replace?: { Path: string; Version?: string; Dir?: string } };
  Imports?: string[];
  EmbedPatterns?: string[];
  Error?: { Err: string };
  DepsErrors?: Array<{ Err: string }>;
  [files: string]: unknown;
}

/** Every file list of `go list -json` that the build (or the package's shape) can read. */
const FILE_FIELDS = [
  'GoFiles',
  'CgoFiles',
  'CFiles',
  'CXXFiles',
  'MFiles',
  'HFiles',
  'FFiles',
  'SFiles',
  'SwigFiles',
  'SwigCXXFiles',
  'SysoFiles',
  'EmbedFiles',
  'IgnoredGoFiles',
  'IgnoredOtherFiles',
] as const;

const LIST_FIELDS = ['ImportPath', 'Dir', 'Name', 'Standard', 'Module', 'Imports', 'EmbedPatterns', 'Error', 'DepsErrors', ...FILE_FIELDS].join(',');

/** One configuration's `go list -deps` answer and the fingerprint of each package it names. */
export interface DepGraph {
  packages: Map<string, ListedPackage>;
  /** ImportPath → fingerprint of what the package's build reads (see fingerprint()). */
  prints: Map<string, string>;
  /** ImportPath → the newest mtime/ctime (ns) among what its fingerprint read. */
  newest: Map<string, bigint>;
  /** The module's own files (go.mod, go.sum, vendor/modules.txt) by identity. */
  moduleFiles: string;
  /** The newest mtime/ctime (ns) of go.mod, go.sum, vendor/modules.txt. */
  moduleNewest: bigint;
  /** Whether this run started `go list` (false: the remembered pass was still valid). */
  listed: boolean;
}

export interface DepRequest {
  go: string;
  moduleRoot: string;
  /** Build flags as `go build` gets them (without -o and packages): -tags, -overlay, -modfile matter to go list. */
  flags: string[];
  env: NodeJS.ProcessEnv;
  /** Package paths relative to moduleRoot ("./apps/a"). */
  packages: string[];
  /** Part of the remembered pass's name: go binary, environment, flags (see action_cache.ts). */
  configKey: string;
  cacheDir: string;
  /** ns since the epoch; files newer than now - window are not settled. */
  now: bigint;
  racyWindowNs: bigint;
}

export function identity(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.mode}`;
}

interface Stats {
  newestNs: bigint;
}

function statId(path: string, s: Stats): string {
  try {
    const st = statSync(path, { bigint: true });
    if (st.ctimeNs > s.newestNs) s.newestNs = st.ctimeNs;
    if (st.mtimeNs > s.newestNs) s.newestNs = st.mtimeNs;
    return identity(st);
  } catch {
    return 'absent';
  }
}

/** Every entry under dir by identity (an embed can name any file of the tree, and new ones). */
function treeIds(dir: string, s: Stats, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    out.push(`${dir}\0unreadable`);
    return;
  }
  for (const name of names) {
    const p = join(dir, name);
    out.push(`${p}\0${statId(p, s)}`);
    try {
      if (statSync(p).isDirectory()) treeIds(p, s, out);
    } catch {
      // gone since the listing: its identity above says so
    }
  }
}

/** Whether a package's files can change without go.mod/go.sum or the go binary changing. */
export function isMutable(p: ListedPackage, mainDir: string): boolean {
  if (p.Standard) return false;
  const m = p.Module;
  if (!m || m.Main || m.Replace || !m.Version) return true;
  // A pinned version: the module cache is read-only and verified by go.sum, but vendor/ is ours.
  return p.Dir === undefined || p.Dir === mainDir || p.Dir.startsWith(`${mainDir}/`);
}

/**
 * What one package's build reads, by identity: its directory (a file added or removed changes
 * it), every file go list names (the build's sources and the ones build constraints left out),
 * the directory's default.pgo (`-pgo=auto` reads it for a main package) and, with embeds, its
 * whole tree.
 */
function fingerprint(p: ListedPackage, mainDir: string, s: Stats): string {
  if (!isMutable(p, mainDir)) return `${p.ImportPath}\0${p.Standard ? 'std' : `${p.Module?.Path}@${p.Module?.Version}`}`;
  const dir = p.Dir ?? '';
  const lines = [`${p.ImportPath}\0${dir}\0${statId(dir, s)}`];
  for (const field of FILE_FIELDS) {
    const files = p[field];
    if (!Array.isArray(files)) continue;
    for (const f of files as string[]) lines.push(`${field}\0${f}\0${statId(join(dir, f), s)}`);
  }
  if (p.Name === 'main') lines.push(`default.pgo\0${statId(join(dir, 'default.pgo'), s)}`);
  if (p.EmbedPatterns?.length) treeIds(dir, s, lines);
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

function moduleFilesOf(moduleRoot: string, s: Stats): string {
  return ['go.mod', 'go.sum', join('vendor', 'modules.txt')].map((f) => `${f}\0${statId(join(moduleRoot, f), s)}`).join('\n');
}

/**
 * What go list's answer for a package follows beyond the identities in its fingerprint: the names
 * go/build looks at in its directory, each .go file's header, and the identity of every other
 * source file (go/build reads their build constraints too). Equal shapes, equal answers.
 */
interface Shape {
  /** Source file names (and go.mod) in the directory, sorted; `name/` a directory, `name@` a symlink. */
  names: string[];
  /** For a package that embeds files: every entry of its tree (embed patterns match below it). */
  tree?: string;
  /** .go file name → hash of its header and //go:embed lines. */
  headers: Record<string, string>;
  /** Other source file name (and default.pgo) → identity. */
  others: Record<string, string>;
}

/** The extensions go/build sorts into a package's file lists (go/build fileListForExt, and .go). */
const SOURCE_EXTENSIONS = new Set(['.go', '.c', '.cc', '.cpp', '.cxx', '.m', '.h', '.hh', '.hpp', '.hxx', '.f', '.F', '.for', '.f90', '.s', '.S', '.sx', '.swig', '.swigcxx', '.syso']);

/** Whether go/build looks at this name in a package directory (go.mod: a new module boundary). */
function isSourceName(name: string): boolean {
  if (name.startsWith('_') || name.startsWith('.')) return false;
  if (name === 'go.mod') return true;
  const dot = name.lastIndexOf('.');
  return dot >= 0 && SOURCE_EXTENSIONS.has(name.slice(dot));
}

function entryName(d: Dirent): string {
  return d.isDirectory() ? `${d.name}/` : d.isSymbolicLink() ? `${d.name}@` : d.name;
}

/** Every entry below dir by relative name and kind; each directory stat'ed after its listing. */
function treeNames(dir: string, s: Stats, prefix: string, out: string[]): boolean {
  let entries: Dirent[];
  try {
    entries = readdirSync(join(dir, prefix), { withFileTypes: true });
  } catch {
    return false;
  }
  statId(join(dir, prefix), s);
  for (const d of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    out.push(`${prefix}${entryName(d)}`);
    if (d.isDirectory() && !treeNames(dir, s, `${prefix}${d.name}/`, out)) return false;
  }
  return true;
}

/**
 * The shape of a package as its files are now, or why there is none. Each file is stat'ed after
 * it is read (into `s`), so a change while reading shows as a new timestamp.
 */
function shapeOf(p: ListedPackage, s: Stats): Shape | string {
  const dir = p.Dir;
  if (dir === undefined) return 'no directory';
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 'directory unreadable';
  }
  statId(dir, s);
  const names = entries.filter((d) => isSourceName(d.name)).map(entryName).sort();
  const headers: Record<string, string> = {};
  const others: Record<string, string> = {};
  for (const n of names) {
    if (n.endsWith('/')) continue;
    const name = n.endsWith('@') ? n.slice(0, -1) : n;
    const path = join(dir, name);
    if (!name.endsWith('.go')) {
      others[name] = statId(path, s);
      continue;
    }
    let src: Buffer;
    try {
      src = readFileSync(path);
    } catch {
      return `${name} unreadable`;
    }
    statId(path, s);
    const h = scanGoHeader(src);
    if (!h) return `${name} not understood by the header scanner`;
    headers[name] = createHash('sha256').update(h.header).update('\0').update(h.embeds.join('\n')).digest('hex');
  }
  others['default.pgo'] = statId(join(dir, 'default.pgo'), s);
  const shape: Shape = { names, headers, others };
  if (p.EmbedPatterns?.length) {
    const tree: string[] = [];
    if (!treeNames(dir, s, '', tree)) return 'embedded tree unreadable';
    shape.tree = createHash('sha256').update(tree.join('\n')).digest('hex');
  }
  return shape;
}

/** Whether a remembered value is a Shape (the pass file is read back from disk). */
function isShape(v: unknown): v is Shape {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const isMap = (m: unknown) => typeof m === 'object' && m !== null && !Array.isArray(m) && Object.values(m).every((x) => typeof x === 'string');
  return Array.isArray(o.names) && o.names.every((n) => typeof n === 'string') && isMap(o.headers) && isMap(o.others) && (o.tree === undefined || typeof o.tree === 'string');
}

/**
 * Why `now` could make go list answer differently than `was` did (naming files under `where`), or
 * undefined when it cannot.
 */
function shapeChange(where: string, was: Shape, now: Shape): string | undefined {
  const added = now.names.filter((n) => !was.names.includes(n));
  const removed = was.names.filter((n) => !now.names.includes(n));
  if (added.length || removed.length) return [...added.map((n) => `${where}/${n} added`), ...removed.map((n) => `${where}/${n} removed`)].join(', ');
  for (const [name, h] of Object.entries(now.headers)) if (!Object.hasOwn(was.headers, name) || was.headers[name] !== h) return `${where}/${name}: package clause, build constraints, imports or //go:embed lines changed`;
  for (const [name, id] of Object.entries(now.others)) if (!Object.hasOwn(was.others, name) || was.others[name] !== id) return `${where}/${name} changed`;
  if (was.tree !== now.tree) return `${where}: files added or removed in its embedded tree`;
  return undefined;
}

interface Remembered {
  v: 1;
  moduleFiles: string;
  packages: ListedPackage[];
  prints: Record<string, string>;
  /** ImportPath → shape of each mutable package that was settled when the pass was remembered. */
  shapes?: Record<string, Shape>;
}

function passFile(req: DepRequest): string {
  const name = createHash('sha256').update(JSON.stringify({ v: 1, config: req.configKey, root: resolve(req.moduleRoot), packages: [...req.packages].sort() })).digest('hex');
  return join(req.cacheDir, `list-${name}.json`);
}

/**
 * The remembered pass and the packages changed since (dirty), without a go process; undefined
 * when there is no pass to trust (none yet, or the module's own files changed).
 */
export function recallPass(req: DepRequest): { graph: DepGraph; dirty: Set<string> } | undefined {
  const r = recall(req, passFile(req));
  return r && { graph: r.graph, dirty: r.dirty };
}

function mainDirOf(packages: Iterable<ListedPackage>, moduleRoot: string): string {
  for (const p of packages) if (p.Module?.Main && p.Module.Dir) return p.Module.Dir;
  return resolve(moduleRoot);
}

/**
 * The remembered pass and the packages whose files changed since (dirty), when the module's own
 * files are as they were; else undefined.
 */
function recall(req: DepRequest, file: string): { graph: DepGraph; dirty: Set<string>; rec: Remembered } | undefined {
  let rec: Remembered;
  try {
    // Read at once (a small file, and its fingerprints are stat'ed at once too): a predicted
    // build (predicted.ts) reads it before analysis takes the thread.
    rec = JSON.parse(readFileSync(file, 'utf8')) as Remembered;
  } catch {
    return undefined;
  }
  if (rec.v !== 1 || !Array.isArray(rec.packages)) return undefined;
  const s: Stats = { newestNs: 0n };
  if (moduleFilesOf(req.moduleRoot, s) !== rec.moduleFiles) return undefined;
  const mainDir = mainDirOf(rec.packages, req.moduleRoot);
  const prints = new Map<string, string>();
  const newest = new Map<string, bigint>();
  const dirty = new Set<string>();
  for (const p of rec.packages) {
    const ps: Stats = { newestNs: 0n };
    const fp = fingerprint(p, mainDir, ps);
    if (rec.prints[p.ImportPath] !== fp) dirty.add(p.ImportPath);
    prints.set(p.ImportPath, fp);
    newest.set(p.ImportPath, ps.newestNs);
  }
  return { graph: { packages: new Map(rec.packages.map((p) => [p.ImportPath, p])), prints, newest, moduleFiles: rec.moduleFiles, moduleNewest: s.newestNs, listed: false }, dirty, rec };
}

/** Runs `go list -deps -json` once for every package; undefined when go list reports an error. */
async function list(req: DepRequest): Promise<ListedPackage[] | undefined> {
  const args = ['list', '-e', '-deps', `-json=${LIST_FIELDS}`, ...req.flags, ...req.packages];
  const chunks: Buffer[] = [];
  const code = await new Promise<number>((done) => {
    const child = spawn(req.go, args, { cwd: req.moduleRoot, env: req.env, stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', () => done(-1));
    child.on('close', (c) => done(c ?? 1));
  });
  if (code !== 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  const packages: ListedPackage[] = [];
  // go list -json prints one object after another; each starts with "{" at a line's start.
  for (const part of text.split(/\n(?=\{)/)) {
    if (part.trim() === '') continue;
    const p = JSON.parse(part) as ListedPackage;
    // A package with an error (syntax, missing import): go build reports it; no key from here.
    if (p.Error || p.DepsErrors?.length) return undefined;
    packages.push(p);
  }
  return packages;
}

/**
 * The dependency graph of `packages` under one configuration: the remembered pass when nothing it
 * read changed, else a new `go list` (remembered when settled). Undefined when go list fails (the
 * build then runs and reports why).
 */
export async function depGraph(req: DepRequest): Promise<DepGraph | undefined> {
  const r = await depGraphOrPrevious(req);
  return 'graph' in r ? r.graph : r.fresh();
}

/** Runs a go process's task when the caller allows (a link slot); by default at once. */
export type GoGate = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * Like depGraph, but when only some packages changed since the remembered pass, answers at once
 * with that pass and the changed (dirty) packages, and `fresh` gives the new pass when asked:
 * a binary whose import closure holds no dirty package has exactly its remembered inputs (its
 * imports come from its files, which did not change), so only the others need Go, and their
 * builds need not wait for the new pass (only their keys do; the caller asks after building, so
 * the pass does not take a core from the links). The new pass is derived without a go process
 * when the dirty packages kept their shapes (see Shape); else `go list` runs, inside `gate`.
 */
export async function depGraphOrPrevious(req: DepRequest): Promise<{ graph: DepGraph | undefined } | { previous: DepGraph; dirty: Set<string>; fresh: (gate?: GoGate) => Promise<DepGraph | undefined> }> {
  const file = passFile(req);
  const recalled = recall(req, file);
  if (recalled && recalled.dirty.size === 0) return { graph: recalled.graph };
  let fresh: Promise<DepGraph | undefined> | undefined;
  if (!recalled) return { graph: await (fresh ??= listFresh(req, file)) };
  const later = (gate: GoGate = (task) => task()) => (fresh ??= deriveOrList(req, file, recalled, gate));
  return { previous: recalled.graph, dirty: recalled.dirty, fresh: later };
}

/**
 * The new pass after an edit: the remembered one with the changed packages' fingerprints (as
 * recall() computed them) when no changed package's shape moved, else a new `go list`.
 */
async function deriveOrList(req: DepRequest, file: string, recalled: { graph: DepGraph; dirty: Set<string>; rec: Remembered }, gate: GoGate): Promise<DepGraph | undefined> {
  const why = unchangedShapes(req, recalled.graph, recalled.dirty, recalled.rec.shapes);
  if (why !== undefined) {
    debug(`go list again: ${why}`);
    return gate(() => listFresh(req, file));
  }
  debug(`dependency pass derived without go list: ${recalled.dirty.size} package(s) changed, imports unchanged`);
  const graph = recalled.graph;
  await remember(req, file, [...graph.packages.values()], graph.prints, graph.newest, graph.moduleFiles, graph.moduleNewest, recalled.rec.shapes ?? {});
  return graph;
}

/** Undefined when every dirty package kept the shape remembered for it; else why not. */
function unchangedShapes(req: DepRequest, graph: DepGraph, dirty: Set<string>, shapes: Record<string, Shape> | undefined): string | undefined {
  for (const ip of [...dirty].sort()) {
    const p = graph.packages.get(ip);
    const where = p?.Dir !== undefined ? relative(resolve(req.moduleRoot), p.Dir) || '.' : ip;
    const was: unknown = shapes && Object.hasOwn(shapes, ip) ? shapes[ip] : undefined;
    if (!p || !isShape(was)) return `${where}: no file shape remembered for it`;
    const now = shapeOf(p, { newestNs: 0n });
    if (typeof now === 'string') return `${where}: ${now}`;
    const change = shapeChange(where, was, now);
    if (change !== undefined) return change;
  }
  return undefined;
}

async function listFresh(req: DepRequest, file: string): Promise<DepGraph | undefined> {
  const listed = await list(req);
  if (!listed) return undefined;
  const s: Stats = { newestNs: 0n };
  const moduleFiles = moduleFilesOf(req.moduleRoot, s);
  const mainDir = mainDirOf(listed, req.moduleRoot);
  const moduleNewest = s.newestNs;
  const prints = new Map<string, string>();
  const newest = new Map<string, bigint>();
  for (const p of listed) {
    const ps: Stats = { newestNs: 0n };
    prints.set(p.ImportPath, fingerprint(p, mainDir, ps));
    newest.set(p.ImportPath, ps.newestNs);
    if (ps.newestNs > s.newestNs) s.newestNs = ps.newestNs;
  }
  // The shape go list just answered for, of each settled mutable package: read after its
  // fingerprint and stat'ed after reading, so a file changed since go list read it shows as new
  // and leaves its package without a shape (the next change to it lists again).
  const settledBefore = req.now - req.racyWindowNs;
  const shapes: Record<string, Shape> = {};
  if (moduleNewest < settledBefore) {
    for (const p of listed) {
      if (!isMutable(p, mainDir) || (newest.get(p.ImportPath) ?? 0n) >= settledBefore) continue;
      const ss: Stats = { newestNs: 0n };
      const shape = shapeOf(p, ss);
      if (typeof shape !== 'string' && ss.newestNs < settledBefore) shapes[p.ImportPath] = shape;
    }
  }
  await remember(req, file, listed, prints, newest, moduleFiles, moduleNewest, shapes);
  return { packages: new Map(listed.map((p) => [p.ImportPath, p])), prints, newest, moduleFiles, moduleNewest, listed: true };
}

/**
 * Writes a pass for the next run. A file read within the racy window may change again without its
 * identity changing (see action_cache.ts): such a package is remembered as changed, so the next
 * run rebuilds what imports it (without waiting for go list) and checks it again; the rest of the
 * pass stays useful.
 */
async function remember(req: DepRequest, file: string, packages: ListedPackage[], prints: Map<string, string>, newest: Map<string, bigint>, moduleFiles: string, moduleNewest: bigint, shapes: Record<string, Shape>): Promise<void> {
  const settledBefore = req.now - req.racyWindowNs;
  if (moduleNewest >= settledBefore) return;
  const remembered = Object.fromEntries([...prints].map(([ip, fp]) => [ip, (newest.get(ip) ?? 0n) < settledBefore ? fp : 'unsettled']));
  const rec: Remembered = { v: 1, moduleFiles, packages, prints: remembered, shapes };
  await writeFileAtomic(file, JSON.stringify(rec));
}

/** The listed main package built from `dir` (absolute), if any. */
export function packageInDir(graph: DepGraph, dir: string): ListedPackage | undefined {
  const d = resolve(dir);
  for (const p of graph.packages.values()) if (p.Dir === d && p.Name === 'main') return p;
  return undefined;
}

/** Closures already walked, per graph (each binary's key and staleness check walks its own). */
const closures = new WeakMap<DepGraph, Map<string, Set<string> | undefined>>();

/** The import paths in the closure of `root`, or undefined when one of them is not in the graph. */
function importClosure(graph: DepGraph, root: string): Set<string> | undefined {
  let known = closures.get(graph);
  if (!known) closures.set(graph, (known = new Map()));
  if (known.has(root)) return known.get(root);
  const closure = walkImports(graph, root);
  known.set(root, closure);
  return closure;
}

function walkImports(graph: DepGraph, root: string): Set<string> | undefined {
  const seen = new Set<string>();
  const stack = [root];
  while (stack.length) {
    const ip = stack.pop() as string;
    if (seen.has(ip)) continue;
    seen.add(ip);
    const p = graph.packages.get(ip);
    if (!p) return undefined;
    for (const i of p.Imports ?? []) if (!seen.has(i)) stack.push(i);
  }
  return seen;
}

/** Whether the import closure of `root` holds any of `dirty` (true when it cannot be followed). */
export function closureTouches(graph: DepGraph, root: string, dirty: Set<string>): boolean {
  const closure = importClosure(graph, root);
  return closure === undefined || [...closure].some((ip) => dirty.has(ip));
}

/**
 * Fingerprints of the import closure of `root`, in a stable order, and the newest timestamp they
 * read (undefined if an import is missing).
 */
export function closureOf(graph: DepGraph, root: string): { prints: string[]; newestNs: bigint } | undefined {
  const seen = importClosure(graph, root);
  if (seen === undefined) return undefined;
  // "C" and "unsafe" have no package of their own to follow in some Go versions; a missing one is
  // a reason for no key, caught above.
  let newestNs = graph.moduleNewest;
  for (const ip of seen) {
    const n = graph.newest.get(ip) ?? 0n;
    if (n > newestNs) newestNs = n;
  }
  return { prints: [...seen].sort().map((ip) => graph.prints.get(ip) ?? 'none'), newestNs };
}
