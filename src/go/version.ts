import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Range, SemVer, rcompare, satisfies as semverSatisfies, valid } from 'semver';

/**
 * Go version specs the way actions/setup-go reads them: a Go version ("1.23.4", "go1.23.4",
 * "1.24rc1"), a node-semver range over Go versions ("1.23", "1.23.x", "^1.22", "~1.22.1",
 * ">=1.21 <1.23", "1.21 - 1.22", "1.22 || 1.23"), or an alias ("stable", "oldstable").
 *
 * Go's spellings are mapped to semver as setup-go does ("1.23" is 1.23.0, "1.24rc1" is
 * 1.24.0-rc.1, "1.8.5beta1" is 1.8.5-beta.1); ranges, ordering and prerelease rules are then the
 * `semver` package's: a bare "1.23" as a spec is the range ">=1.23.0 <1.24.0-0" (the newest
 * 1.23.x), and a prerelease matches only a spec that names a prerelease of the same version.
 */

export type GoVersionSpec =
  | { kind: 'alias'; raw: string; alias: 'stable' | 'oldstable' }
  | {
      kind: 'range';
      raw: string;
      /** Set when the spec names exactly one version (e.g. "1.23.4", "1.24rc1"), as semver. */
      exact?: string;
      range: Range;
    };

// ---------------------------------------------------------------------------------------------
// Versions
// ---------------------------------------------------------------------------------------------

const NUM = '0|[1-9]\\d*';
const XR = `${NUM}|[xX*]`;
// [go|v] major[.minor[.patch]] then Go's "rc1"/"beta1" or semver's "-rc.1", then an ignored "+build".
const PARTIAL_RE = new RegExp(
  `^(?:go|v)?((${XR})(?:\\.(${XR})(?:\\.(${XR}))?)?)(?:(beta|rc)(\\d+)|(-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?(?:\\+[0-9A-Za-z.-]+)?$`,
);

/**
 * A version or partial version ("1", "1.23", "1.x") in Go's or semver's spelling, as semver range
 * syntax: "go1.24rc1" → "1.24.0-rc.1", "v1.23" → "1.23"; undefined if it is neither.
 */
function semverPartial(text: string): string | undefined {
  const m = PARTIAL_RE.exec(text);
  if (!m) return undefined;
  const wild = (s: string | undefined): boolean => s === undefined || /^[xX*]$/.test(s);
  const [, core, major, minor, patch, goPre, goPreNumber, semverPre] = m;
  if (goPre !== undefined) {
    // Go style: go1.24rc1 is 1.24.0-rc.1, go1.8.5beta1 is 1.8.5-beta.1.
    if (wild(major) || wild(minor) || (patch !== undefined && wild(patch))) return undefined;
    return `${major}.${minor}.${patch ?? 0}-${goPre}.${goPreNumber}`;
  }
  if (semverPre !== undefined && (wild(major) || wild(minor) || wild(patch))) return undefined;
  return `${core}${semverPre ?? ''}`;
}

/** Parses a Go or semver version ("go1.23.4", "1.23", "1.24rc1", "1.24.0-rc.1"); undefined if it is not one. */
export function parseGoVersion(text: string): SemVer | undefined {
  const partial = semverPartial(text.trim());
  if (partial === undefined || /^[xX*]/.test(partial)) return undefined;
  const [core = '', pre] = partial.split(/-(.*)/s);
  const parts = core.split('.').map((p) => (/^[xX*]$/.test(p) ? '0' : p));
  while (parts.length < 3) parts.push('0');
  try {
    return new SemVer(`${parts.join('.')}${pre !== undefined ? `-${pre}` : ''}`);
  } catch {
    return undefined; // e.g. a numeric prerelease part with a leading zero
  }
}

/** "go1.24rc1" → "1.24.0-rc.1", "1.23" → "1.23.0" (the name setup-go and the tool cache use). */
export function toSemver(version: string): string {
  const v = parseGoVersion(version);
  if (!v) throw new Error(`"${version}" is not a Go version`);
  return v.version;
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
  return v.version;
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
  const alternatives: string[] = [];
  for (const alternative of raw.split('||')) {
    const translated = semverRange(alternative.trim());
    if (translated === undefined) throw invalid();
    alternatives.push(translated);
  }
  let range: Range;
  try {
    range = new Range(alternatives.join(' || '));
  } catch {
    throw invalid();
  }
  // One plain version ("1.23.4", "=1.24rc1") names exactly one release.
  const only = alternatives.length === 1 ? valid(alternatives[0]!.replace(/^=/, '')) : null;
  return { kind: 'range', raw, ...(only !== null ? { exact: only } : {}), range };
}

/** One `||` alternative with every version in it spelled as semver; undefined when a version is not one. */
function semverRange(text: string): string | undefined {
  if (text === '') return '';
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text);
  if (hyphen) {
    const from = semverPartial(hyphen[1]!);
    const to = semverPartial(hyphen[2]!);
    return from === undefined || to === undefined ? undefined : `${from} - ${to}`;
  }
  // ">= 1.21" is ">=1.21", as in node-semver.
  const out: string[] = [];
  for (const token of text.replace(/(<=|>=|<|>|=|~>?|\^)\s+/g, '$1').split(/\s+/)) {
    const m = /^(<=|>=|<|>|=|~>?|\^)?(.*)$/.exec(token)!;
    const version = semverPartial(m[2]!);
    if (version === undefined) return undefined;
    out.push(`${m[1] ?? ''}${version}`);
  }
  return out.join(' ');
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
  return v !== undefined && semverSatisfies(v, s.range);
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
    .sort((a, b) => rcompare(a.v, b.v));
  if (s.kind === 'alias') {
    const releases = parsed.filter((e) => e.v.prerelease.length === 0);
    const newest = releases[0];
    if (!newest || s.alias === 'stable') return newest?.text;
    return releases.find((e) => e.v.major !== newest.v.major || e.v.minor !== newest.v.minor)?.text;
  }
  return parsed.find((e) => semverSatisfies(e.v, s.range))?.text;
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
