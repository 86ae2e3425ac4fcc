// Ownership lint: an image that runs as a non-root user but ships files that user cannot read or
// execute, or declares a writable directory (a volume, the workdir) it cannot write to. These are
// warnings: the image is valid, it just fails at run time in a way that is hard to trace back.
import type { LayerFile } from '../elf.ts';

export interface OwnershipFinding {
  path: string;
  message: string;
}

/** Numeric uid/gid of a config `User` ("65532", "65532:65532"); undefined for names or root. */
export function parseUser(user: string | undefined): { uid: number; gid?: number; text: string } | undefined {
  if (!user) return undefined;
  const m = /^(\d+)(?::(\d+))?$/.exec(user.trim());
  if (!m) return undefined;
  const uid = Number(m[1]);
  if (uid === 0) return undefined;
  return { uid, ...(m[2] !== undefined ? { gid: Number(m[2]) } : {}), text: user.trim() };
}

function permBits(mode: number, uid: number, gid: number, user: { uid: number; gid?: number }): number {
  if (uid === user.uid) return (mode >> 6) & 7;
  if (user.gid !== undefined && gid === user.gid) return (mode >> 3) & 7;
  return mode & 7;
}

const oct = (mode: number) => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;

/**
 * Findings for `files` (our layers, in order; later entries replace earlier ones at the same
 * path) when the image runs as `user`.
 */
export function lintOwnership(
  files: LayerFile[],
  opts: { user?: string; volumes?: string[]; workdir?: string },
): OwnershipFinding[] {
  const user = parseUser(opts.user);
  if (!user) return [];
  const byPath = new Map<string, LayerFile>();
  for (const f of files) byPath.set(f.path.replace(/\/+$/, '') || '/', f);
  const out: OwnershipFinding[] = [];
  const owned = (f: LayerFile) => `${f.path} is owned by ${f.member.uid}:${f.member.gid} with mode ${oct(f.member.mode)}`;
  for (const f of byPath.values()) {
    if (f.member.type !== 'file') continue;
    const { mode, uid, gid } = f.member;
    const bits = permBits(mode, uid, gid, user);
    // Something meant to run has an execute bit somewhere; shared libraries only need reading.
    const executable = (mode & 0o111) !== 0;
    if (executable && (bits & 1) === 0) out.push({ path: f.path, message: `${owned(f)}; user ${user.text} cannot execute it` });
    else if (!executable && (bits & 4) === 0) out.push({ path: f.path, message: `${owned(f)}; user ${user.text} cannot read it` });
  }
  const writable = [
    ...(opts.volumes ?? []).map((v) => ({ path: v, why: 'a volume' })),
    ...(opts.workdir ? [{ path: opts.workdir, why: 'the workdir' }] : []),
  ];
  const seen = new Set<string>();
  for (const w of writable) {
    const p = `/${w.path.replace(/^\/+/, '').replace(/\/+$/, '')}`;
    if (seen.has(p)) continue;
    seen.add(p);
    const d = byPath.get(p);
    if (!d || d.member.type !== 'dir') continue;
    const bits = permBits(d.member.mode, d.member.uid, d.member.gid, user);
    if ((bits & 3) !== 3) out.push({ path: p, message: `${owned(d)}; user ${user.text} cannot write to it (${w.why})` });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
