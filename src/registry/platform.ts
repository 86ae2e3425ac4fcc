// A small platform matcher for choosing a manifest out of an index. Normalises the common
// spellings as containerd does: aarch64 → arm64, arm64/v8 ≡ arm64, x86_64 → amd64, bare arm →
// arm/v7.

import type { Platform } from '../oci/types.ts';

export type PlatformLike = Platform | string;

const ARCH_ALIASES: Record<string, { architecture: string; variant?: string }> = {
  aarch64: { architecture: 'arm64' },
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  i386: { architecture: '386' },
  i486: { architecture: '386' },
  i586: { architecture: '386' },
  i686: { architecture: '386' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v6' },
};

/** Parses `os/arch[/variant]`, e.g. `linux/arm64/v8`. */
export function parsePlatform(value: string): Platform {
  const parts = value.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p.length === 0)) {
    throw new Error(`invalid platform "${value}": expected os/arch[/variant]`);
  }
  const p: Platform = { os: parts[0]!.toLowerCase(), architecture: parts[1]!.toLowerCase() };
  if (parts[2] !== undefined) p.variant = parts[2].toLowerCase();
  return p;
}

export function normalizePlatform(input: PlatformLike): Platform {
  const p = typeof input === 'string' ? parsePlatform(input) : input;
  const os = p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  const alias = ARCH_ALIASES[architecture];
  if (alias) {
    architecture = alias.architecture;
    if (alias.variant !== undefined && variant === undefined) variant = alias.variant;
  }
  if (architecture === 'arm64' && (variant === 'v8' || variant === '8')) variant = undefined;
  if (architecture === 'amd64' && (variant === 'v1' || variant === '1')) variant = undefined;
  if (architecture === 'arm') {
    if (variant === undefined || variant === '7') variant = 'v7';
    else if (/^\d$/.test(variant)) variant = `v${variant}`;
  }
  const out: Platform = { architecture, os };
  if (variant !== undefined && variant !== '') out.variant = variant;
  if (p['os.version'] !== undefined) out['os.version'] = p['os.version'];
  return out;
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/**
 * True when `have` can serve `want`. A wanted variant must be equal; when `want` names no
 * variant (other than arm's implied v7) any variant of the architecture matches.
 */
export function platformMatches(want: PlatformLike, have: PlatformLike): boolean {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  if (w.variant === undefined) return true;
  return w.variant === h.variant;
}

/** Index of the best match among `candidates`: an exact variant first, else any compatible. */
export function bestPlatformMatch(want: PlatformLike, candidates: Array<Platform | undefined>): number {
  const w = normalizePlatform(want);
  let compatible = -1;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    if (!c || !platformMatches(w, c)) continue;
    if (normalizePlatform(c).variant === w.variant) return i;
    if (compatible === -1) compatible = i;
  }
  return compatible;
}
