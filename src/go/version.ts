import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * Go version specs the way actions/setup-go reads them: a Go version ("1.23.4", "go1.23.4",
 * "1.24rc1"), a node-semver range over Go versions ("1.23", "1.23.x", "^1.22", "~1.22.1",
 * ">=1.21 <1.23", "1.21 - 1.22", "1.22 || 1.23"), or an alias ("stable", "oldstable").
 *
 * Go versions are compared as semver after setup-go's mapping: "1.23" is 1.23.0, "1.24rc1" is
 * 1.24.0-rc.1, "1.8.5beta1" is 1.8.5-beta.1. A bare "1.23" as a spec is the range
 * ">=1.23.0 <1.24.0-0" (the newest 1.23.x), not the release called go1.23. Prereleases match
 * only a spec that names a prerelease of the same major.minor.patch, as in node-semver.
 */

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  /** Semver prerelease identifiers: numbers for numeric parts ("rc.1" → ['rc', 1]). */
  prerelease: (string | number)[];
}

export type ComparatorOp = '<' | '<=' | '>' | '>=' | '=';

export interface Comparator {
  op: ComparatorOp;
  version: SemVer;
}

export type GoVersionSpec =
  | { kind: 'alias'; raw: string; alias: 'stable' | 'oldstable' }
  | {
      kind: 'range';
      raw: string;
      /** Set when the spec names exactly one version (e.g. "1.23.4", "1.24rc1"), as semver. */
      exact?: string;
      /** Alternatives (`||`), each a conjunction of comparators; an empty conjunction matches any release. */
      sets: Comparator[][];
    };

// ---------------------------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------------------------

interface Partial {
  major?: number;
  minor?: number;
  patch?: number;
  prerelease: (string | number)[];
}

const NUM = '0|[1-9]\\d*';
const XR = `${NUM}|[xX*]`;
// [go|v] major[.minor[.patch]] then Go's "rc1"/"beta1" or semver's "-rc.1", then an ignored "+build".
const PARTIAL_RE = new RegExp(
  `^(?:go|v)?(${XR})(?:\\.(${XR})(?:\\.(${XR}))?)?(?:(beta|rc)(\\d+)|-([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?(?:\\+[0-9A-Za-z.-]+)?$`,
);

function parsePartial(text: string): Partial | undefined {
  const m = PARTIAL_RE.exec(text);
  if (!m) return undefined;
  const num = (s: string | undefined): number | undefined => (s === undefined || /^[xX*]$/.test(s) ? undefined : Number(s));
  let major = num(m[1]);
  let minor = major === undefined ? undefined : num(m[2]);
  let patch = minor === undefined ? undefined : num(m[3]);
  let prerelease: (string | number)[] = [];
  if (m[4] !== undefined) {
    // Go style: go1.24rc1 is 1.24.0-rc.1, go1.8.5beta1 is 1.8.5-beta.1.
    if (major === undefined || minor === undefined) return undefined;
    patch ??= 0;
    prerelease = [m[4], Number(m[5])];
  } else if (m[6] !== undefined) {
    if (patch === undefined) return undefined;
    prerelease = m[6].split('.').map((id) => (/^(0|[1-9]\d*)$/.test(id) ? Number(id) : id));
  }
  if (major === undefined) minor = patch = undefined;
  return { major, minor, patch, prerelease };
}

/** Parses a Go or semver version ("go1.23.4", "1.23", "1.24rc1", "1.24.0-rc.1"); undefined if it is not one. */
export function parseGoVersion(text: string): SemVer | undefined {
  const p = parsePartial(text.trim());
  if (!p || p.major === undefined) return undefined;
  return { major: p.major, minor: p.minor ?? 0, patch: p.patch ?? 0, prerelease: p.prerelease };
}

/** "go1.24rc1" → "1.24.0-rc.1", "1.23" → "1.23.0" (the name setup-go and the tool cache use). */
export function toSemver(version: string): string {
  const v = parseGoVersion(version);
  if (!v) throw new Error(`"${version}" is not a Go version`);
  return formatSemver(v);
}

/** "1.24.0-rc.1" → "1.24rc1", "go1.23.4" → "1.23.4": Go's spelling without the "go" prefix. */
export function toGoVersion(version: string): string {
  const v = parseGoVersion(version);
  if (!v) throw new Error(`"${version}" is not a Go version`);
  const base = `${v.major}.${v.minor}`;
  const pre = v.prerelease;
  if (pre.length === 2 && (pre[0] === 'rc' || pre[0] === 'beta') && typeof pre[1] === 'number') {
    return `${v.patch === 0 ? base : `${base}.${v.patch}`}${pre[0]}${pre[1]}`;
  }
  return formatSemver(v);
}

function formatSemver(v: SemVer): string {
  const core = `${v.major}.${v.minor}.${v.patch}`;
  return v.prerelease.length ? `${core}-${v.prerelease.join('.')}` : core;
}

/** Semver precedence: negative when a < b. */
export function compareSemver(a: SemVer, b: SemVer): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.patch !== b.patch) return a.patch - b.patch;
  const pa = a.prerelease;
  const pb = b.prerelease;
  if (!pa.length || !pb.length) return pb.length - pa.length; // a release outranks its prereleases
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return -1; // numeric identifiers rank below alphanumeric ones
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** Compares two Go versions ("go1.23.4" vs "1.24rc1"); unparseable versions sort first. */
export function compareGoVersions(a: string, b: string): number {
  const va = parseGoVersion(a);
  const vb = parseGoVersion(b);
  if (!va || !vb) return (va ? 1 : 0) - (vb ? 1 : 0);
  return compareSemver(va, vb);
}

// ---------------------------------------------------------------------------------------------
// Specs
// ---------------------------------------------------------------------------------------------

const EXAMPLES = 'e.g. 1.23, 1.23.4, 1.23.x, ^1.22, ~1.22.1, >=1.21 <1.23, 1.24rc1, stable, oldstable';

/** Parses a go-version spec; throws a one-line error for anything that is not one. */
export function parseGoVersionSpec(spec: string): GoVersionSpec {
  const raw = spec.trim();
  const lower = raw.toLowerCase();
  if (lower === 'stable' || lower === 'oldstable') return { kind: 'alias', raw, alias: lower };
  const invalid = (): Error => new Error(`"${raw}" is not a Go version or range (${EXAMPLES})`);
  if (raw === '') throw invalid();
  const sets: Comparator[][] = [];
  for (const alternative of raw.split('||')) {
    const set = parseRange(alternative.trim());
    if (!set) throw invalid();
    sets.push(set);
  }
  let exact: string | undefined;
  if (sets.length === 1 && sets[0]!.length === 1 && sets[0]![0]!.op === '=') exact = formatSemver(sets[0]![0]!.version);
  return { kind: 'range', raw, exact, sets };
}

function parseRange(text: string): Comparator[] | undefined {
  if (text === '' || text === '*' || /^[xX]$/.test(text)) return [];
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text);
  if (hyphen) {
    const from = parsePartial(hyphen[1]!);
    const to = parsePartial(hyphen[2]!);
    if (!from || !to) return undefined;
    return [...desugar('>=', from), ...desugar('<=', to)];
  }
  // ">= 1.21" is ">=1.21", as in node-semver.
  const tokens = text.replace(/(<=|>=|<|>|=|~>?|\^)\s+/g, '$1').split(/\s+/);
  const out: Comparator[] = [];
  for (const token of tokens) {
    const m = /^(<=|>=|<|>|=|~>?|\^)?(.*)$/.exec(token)!;
    const partial = parsePartial(m[2]!);
    if (!partial) return undefined;
    const op = m[1] === '~>' ? '~' : (m[1] ?? '');
    out.push(...desugar(op, partial));
  }
  return out;
}

function sv(major: number, minor: number, patch: number, prerelease: (string | number)[] = []): SemVer {
  return { major, minor, patch, prerelease };
}

/** Lower bound "-0": below every prerelease of that version. */
const ZERO = [0];

function desugar(op: string, p: Partial): Comparator[] {
  const { major: M, minor: m, patch: pt, prerelease: pre } = p;
  const c = (o: ComparatorOp, v: SemVer): Comparator => ({ op: o, version: v });
  if (M === undefined) {
    // "*", ">=*": everything; "<*", ">*": nothing.
    return op === '<' || op === '>' ? [c('<', sv(0, 0, 0, ZERO))] : [];
  }
  switch (op) {
    case '':
    case '=':
      if (m === undefined) return [c('>=', sv(M, 0, 0)), c('<', sv(M + 1, 0, 0, ZERO))];
      if (pt === undefined) return [c('>=', sv(M, m, 0)), c('<', sv(M, m + 1, 0, ZERO))];
      return [c('=', sv(M, m, pt, pre))];
    case '~':
      if (m === undefined) return [c('>=', sv(M, 0, 0)), c('<', sv(M + 1, 0, 0, ZERO))];
      return [c('>=', sv(M, m, pt ?? 0, pre)), c('<', sv(M, m + 1, 0, ZERO))];
    case '^': {
      const lower = c('>=', sv(M, m ?? 0, pt ?? 0, pre));
      if (M > 0 || m === undefined) return [lower, c('<', sv(M + 1, 0, 0, ZERO))];
      if (m > 0 || pt === undefined) return [lower, c('<', sv(0, m + 1, 0, ZERO))];
      return [lower, c('<', sv(0, 0, pt + 1, ZERO))];
    }
    case '>=':
      return [c('>=', sv(M, m ?? 0, pt ?? 0, pre))];
    case '>':
      if (m === undefined) return [c('>=', sv(M + 1, 0, 0))];
      if (pt === undefined) return [c('>=', sv(M, m + 1, 0))];
      return [c('>', sv(M, m, pt, pre))];
    case '<':
      return [c('<', sv(M, m ?? 0, pt ?? 0, pt === undefined ? ZERO : pre))];
    case '<=':
      if (m === undefined) return [c('<', sv(M + 1, 0, 0, ZERO))];
      if (pt === undefined) return [c('<', sv(M, m + 1, 0, ZERO))];
      return [c('<=', sv(M, m, pt, pre))];
    default:
      throw new Error(`unknown operator ${op}`);
  }
}

function test(c: Comparator, v: SemVer): boolean {
  const d = compareSemver(v, c.version);
  switch (c.op) {
    case '<':
      return d < 0;
    case '<=':
      return d <= 0;
    case '>':
      return d > 0;
    case '>=':
      return d >= 0;
    case '=':
      return d === 0;
  }
}

function satisfiesSet(v: SemVer, set: Comparator[]): boolean {
  if (!set.every((c) => test(c, v))) return false;
  if (!v.prerelease.length) return true;
  // A prerelease only matches a set that names a prerelease of the same version (node-semver).
  return set.some(
    (c) =>
      c.version.prerelease.length > 0 &&
      c.version.prerelease !== ZERO &&
      c.version.major === v.major &&
      c.version.minor === v.minor &&
      c.version.patch === v.patch,
  );
}

function asSpec(spec: string | GoVersionSpec): GoVersionSpec {
  return typeof spec === 'string' ? parseGoVersionSpec(spec) : spec;
}

/**
 * Whether an installed Go version (e.g. from `go env GOVERSION`: "go1.23.4") satisfies a range
 * spec. Aliases ("stable", "oldstable") need the release list, so they never match here.
 */
export function satisfies(installedVersion: string, spec: string | GoVersionSpec): boolean {
  const s = asSpec(spec);
  if (s.kind === 'alias') return false;
  const v = parseGoVersion(installedVersion.trim().split(/\s+/)[0] ?? '');
  if (!v) return false;
  return s.sets.some((set) => satisfiesSet(v, set));
}

/**
 * The newest of `available` (Go versions in any spelling, e.g. "go1.23.4" or "1.23.4") that the
 * spec selects, returned as spelled in `available`. "stable" is the newest release that is not a
 * prerelease; "oldstable" the newest release of the minor line before it.
 */
export function matchGoVersion(spec: string | GoVersionSpec, available: string[]): string | undefined {
  const s = asSpec(spec);
  const parsed = available
    .map((text) => ({ text, v: parseGoVersion(text) }))
    .filter((e): e is { text: string; v: SemVer } => e.v !== undefined)
    .sort((a, b) => compareSemver(b.v, a.v));
  if (s.kind === 'alias') {
    const releases = parsed.filter((e) => e.v.prerelease.length === 0);
    const newest = releases[0];
    if (!newest || s.alias === 'stable') return newest?.text;
    return releases.find((e) => e.v.major !== newest.v.major || e.v.minor !== newest.v.minor)?.text;
  }
  return parsed.find((e) => s.sets.some((set) => satisfiesSet(e.v, set)))?.text;
}

// ---------------------------------------------------------------------------------------------
// go-version-file
// ---------------------------------------------------------------------------------------------

/**
 * Reads the wanted Go version from a go-version-file, as setup-go does: go.mod/go.work's
 * `toolchain goX.Y.Z` line, else its `go X.Y[.Z]` line; `.tool-versions`' `golang` (or `go`)
 * line; any other file (`.go-version`) is the version itself. Returns the spec without "go".
 */
export function goVersionFromFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`go-version-file ${path} does not exist`);
    throw new Error(`cannot read go-version-file ${path}: ${code ?? (err as Error).message.split('\n')[0]}`);
  }
  const lines = text.split(/\r?\n/).map((line) => line.replace(/\/\/.*$/, '').trim());
  const name = basename(path);
  if (name === 'go.mod' || name === 'go.work') {
    for (const line of lines) {
      const m = /^toolchain\s+go(\S+)$/.exec(line);
      if (m) return m[1]!;
    }
    for (const line of lines) {
      const m = /^go\s+(\S+)$/.exec(line);
      if (m) return m[1]!;
    }
    throw new Error(`go-version-file ${path} has no "go" or "toolchain go…" line`);
  }
  if (name === '.tool-versions') {
    for (const line of text.split(/\r?\n/)) {
      const m = /^\s*(?:golang|go)\s+([^\s#]+)/.exec(line);
      if (m) return m[1]!.replace(/^go(?=\d)/, '');
    }
    throw new Error(`go-version-file ${path} has no "golang" line`);
  }
  const first = text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .find((line) => line !== '');
  if (!first) throw new Error(`go-version-file ${path} is empty`);
  return first.replace(/^go(?=\d)/, '');
}
