// Types for the parts of the `semver` package (node-semver, 7.x) this project uses: the package
// ships no declarations, and @types/semver is not installed.
declare module 'semver' {
  export class SemVer {
    constructor(version: string | SemVer);
    readonly version: string;
    readonly major: number;
    readonly minor: number;
    readonly patch: number;
    readonly prerelease: ReadonlyArray<string | number>;
    compare(other: string | SemVer): -1 | 0 | 1;
  }
  export class Range {
    constructor(range: string | Range);
    readonly range: string;
  }
  export function parse(version: string | SemVer | null | undefined): SemVer | null;
  export function valid(version: string | SemVer | null | undefined): string | null;
  export function coerce(version: string | SemVer | null | undefined): SemVer | null;
  export function compare(a: string | SemVer, b: string | SemVer): -1 | 0 | 1;
  export function rcompare(a: string | SemVer, b: string | SemVer): -1 | 0 | 1;
  export function satisfies(version: string | SemVer, range: string | Range): boolean;
}
