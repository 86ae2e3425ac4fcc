// Platforms ("os/arch[/variant]") with containerd's normalisation
// (github.com/containerd/platforms: normalizeArch, Normalize), so that "linux/aarch64",
// "linux/arm64/v8" and "linux/arm64" all name the same thing when picking from an index.
import type { Platform } from './types.ts';

/** Architectures Go can build for linux that images exist for, with their allowed variants. */
const LINUX_ARCHES: Record<string, readonly string[]> = {
  amd64: ['v1', 'v2', 'v3', 'v4'],
  arm64: [],
  arm: ['v5', 'v6', 'v7'],
  '386': [],
  ppc64le: [],
  s390x: [],
  riscv64: [],
  mips64le: [],
  loong64: [],
};

/** containerd normalizeArch. Total: unknown values pass through lower-cased. */
function normalizeArch(arch: string, variant: string): [string, string] {
  arch = arch.toLowerCase();
  variant = variant.toLowerCase();
  switch (arch) {
    case 'i386':
      return ['386', ''];
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      return ['amd64', variant === 'v1' ? '' : variant];
    case 'aarch64':
    case 'arm64':
      if (variant === '8' || variant === 'v8' || variant === 'v8.0') return ['arm64', ''];
      if (variant === '9' || variant === '9.0' || variant === 'v9.0') return ['arm64', 'v9'];
      return ['arm64', variant];
    case 'armhf':
      return ['arm', 'v7'];
    case 'armel':
      return ['arm', 'v6'];
    case 'arm':
      if (variant === '' || variant === '7') return ['arm', 'v7'];
      if (variant === '5' || variant === '6' || variant === '8') return ['arm', 'v' + variant];
      return ['arm', variant];
    default:
      return [arch, variant];
  }
}

function normalizeOs(os: string): string {
  const lower = os.toLowerCase();
  return lower === 'macos' ? 'darwin' : lower;
}

/** Canonical form of any platform (never throws; unknown names are only lower-cased). */
export function normalizePlatform(p: Platform): Platform {
  const [architecture, variant] = normalizeArch(p.architecture ?? '', p.variant ?? '');
  const out: Platform = { architecture, os: normalizeOs(p.os ?? '') };
  if (variant) out.variant = variant;
  if (p['os.version']) out['os.version'] = p['os.version'];
  if (p['os.features']?.length) out['os.features'] = [...p['os.features']];
  return out;
}

/**
 * Parses and validates a user-supplied "os/arch[/variant]" (linux only), returning it
 * normalised. Errors are one line naming the input.
 */
export function parsePlatform(spec: string): Platform {
  const bad = (why: string) => new Error(`invalid platform "${spec}": ${why}`);
  const parts = spec.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw bad('expected os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm/v7');
  }
  const p = normalizePlatform({ os: parts[0], architecture: parts[1], variant: parts[2] });
  if (p.os !== 'linux') throw bad(`unknown operating system "${parts[0]}" (only linux is supported)`);
  const variants = LINUX_ARCHES[p.architecture];
  if (!variants) {
    throw bad(`unknown architecture "${parts[1]}" (expected one of ${Object.keys(LINUX_ARCHES).join(', ')})`);
  }
  if (p.variant && !variants.includes(p.variant)) {
    const allowed = variants.length ? `one of ${variants.join(', ')}` : 'none';
    throw bad(`unknown variant "${parts[2]}" for architecture ${p.architecture} (allowed: ${allowed})`);
  }
  return p;
}

/** "os/arch[/variant]". */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((s) => s).join('/');
}

/**
 * The platform images built here should target to run on this machine: always linux (a Mac
 * or Windows Docker runs a Linux VM), with the CPU from process.arch.
 */
export function hostPlatform(arch: string = process.arch): Platform {
  const map: Record<string, Platform> = {
    x64: { os: 'linux', architecture: 'amd64' },
    arm64: { os: 'linux', architecture: 'arm64' },
    arm: { os: 'linux', architecture: 'arm', variant: 'v7' },
    ia32: { os: 'linux', architecture: '386' },
    ppc64: { os: 'linux', architecture: 'ppc64le' },
    s390x: { os: 'linux', architecture: 's390x' },
    riscv64: { os: 'linux', architecture: 'riscv64' },
    loong64: { os: 'linux', architecture: 'loong64' },
    mips64el: { os: 'linux', architecture: 'mips64le' },
  };
  const p = map[arch];
  if (!p) throw new Error(`unsupported host architecture "${arch}"`);
  return { ...p };
}

/** A platform, or its "os/arch[/variant]" spelling (any os: no validation beyond the shape). */
export type PlatformLike = Platform | string;

function asPlatform(p: PlatformLike): Platform {
  if (typeof p !== 'string') return normalizePlatform(p);
  const parts = p.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((s) => s === '')) {
    throw new Error(`invalid platform "${p}": expected os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm/v7`);
  }
  return normalizePlatform({ os: parts[0] ?? '', architecture: parts[1] ?? '', variant: parts[2] });
}

/**
 * Whether an image for `have` can serve a request for `want` (choosing from an index): same os
 * and architecture; a wanted variant must be equal, no wanted variant accepts any.
 */
export function platformSatisfies(want: PlatformLike, have: PlatformLike): boolean {
  const w = asPlatform(want);
  const h = asPlatform(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  // arm's implied v7 is a real requirement; other architectures without a variant take any.
  if (w.variant === undefined) return true;
  return w.variant === h.variant;
}

/** Index of the best match for `want` among `candidates`: an exact variant first, else any compatible; -1 if none. */
export function bestPlatformMatch(want: PlatformLike, candidates: Array<Platform | undefined>): number {
  const w = asPlatform(want);
  let compatible = -1;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (!c || !platformSatisfies(w, c)) continue;
    if (normalizePlatform(c).variant === w.variant) return i;
    if (compatible === -1) compatible = i;
  }
  return compatible;
}

export { asPlatform as toPlatform };
