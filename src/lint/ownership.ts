// Ownership lint: an image that runs as a non-root user but ships files that user cannot read or
// execute, or declares a writable directory (a volume, the workdir) it cannot write to. These are
// warnings: the image is valid, it just fails at run time in a way that is hard to trace back.
import type { LayerFile } from '../sbom/elf.ts';

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
  // A directory of ours the user cannot enter hides everything below it (bsdtar gives mtree
  // directory lines without mode= the mode 0000).
  const blocked = new Map<string, string>();
  for (const f of byPath.values()) {
    const parts = f.path.split('/').filter((p) => p !== '');
    for (let i = 1; i < parts.length; i++) {
      const dir = `/${parts.slice(0, i).join('/')}`;
      const d = byPath.get(dir);
      if (!d || d.member.type !== 'dir' || blocked.has(dir)) continue;
      if ((permBits(d.member.mode, d.member.uid, d.member.gid, user) & 1) === 0) blocked.set(dir, f.path);
    }
  }
  for (const [dir, below] of blocked) {
    const d = byPath.get(dir) as LayerFile;
    out.push({ path: dir, message: `${owned(d)}; user ${user.text} cannot enter it, so ${below} is out of reach (a directory line without mode= gets 0000 from bsdtar: add mode=0755)` });
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

/** Whether `user` (a config User) is someone other than root: "65532", "nonroot", "1000:1000". */
export function isNonRootUser(user: string | undefined): boolean {
  const u = user?.trim() ?? '';
  return u !== '' && !/^(root|0)(:.*)?$/.test(u);
}

/**
 * Directories our layers put things in without an entry of their own, outermost first: for each,
 * one path under it (for the message) and the missing directories below it too (for the fix).
 */
export function missingParentDirs(files: LayerFile[]): Array<{ dir: string; example: string; below: string[] }> {
  const present = new Set<string>(['/']);
  for (const f of files) if (f.member.type === 'dir' || f.member.type === 'symlink') present.add(f.path.replace(/\/+$/, '') || '/');
  const missing = new Map<string, string>();
  for (const f of files) {
    const parts = f.path.split('/').filter((p) => p !== '');
    for (let i = 1; i < parts.length; i++) {
      const dir = `/${parts.slice(0, i).join('/')}`;
      if (!present.has(dir) && !missing.has(dir)) missing.set(dir, f.path);
    }
  }
  const dirs = [...missing.keys()].sort();
  const out: Array<{ dir: string; example: string; below: string[] }> = [];
  for (const d of dirs) {
    const outer = out.find((o) => d.startsWith(`${o.dir}/`));
    if (outer) outer.below.push(d);
    else out.push({ dir: d, example: missing.get(d) ?? d, below: [] });
  }
  return out;
}

/**
 * Missing parent directories under a non-root user: a layer holding `opt/app` with no `opt/` entry
 * (and no /opt in a lower layer) is unpacked by Docker's classic image store with /opt created as
 * mode 0600 root, so the user gets "permission denied". Bazel makes such layers too (tar.bzl mtree
 * lines), so this warns with the fix rather than changing the layer. `lowerDirs`: directories
 * (and symlinks) the lower layers, the base's included, have.
 */
export function lintMissingParents(
  missing: Array<{ dir: string; example: string; below: string[] }>,
  lowerDirs: ReadonlySet<string>,
  user: string | undefined,
): OwnershipFinding[] {
  if (!isNonRootUser(user)) return [];
  const out: OwnershipFinding[] = [];
  for (const m of missing) {
    // The base has the directory: what is missing starts below it (if anywhere).
    const chain = [m.dir, ...m.below].filter((d) => !lowerDirs.has(d));
    const top = chain[0];
    if (top === undefined) continue;
    const below = chain.slice(1).filter((d) => d.startsWith(`${top}/`));
    const dirs = [top, ...below].slice(0, 4);
    const rel = dirs.map((d) => d.slice(1));
    const mtree = rel.map((r) => `"${r} type=dir mode=0755"`).join(', ');
    const emptyDirs = `empty_dirs = [${rel.map((r) => `"${r}"`).join(', ')}]`;
    out.push({
      path: top,
      message:
        `${top} has no directory entry in any layer (a layer holds ${m.example.replace(/^\//, '')}) and no lower layer has it: ` +
        `Docker's classic image store creates it as mode 0600 owned by root, so user ${user?.trim()} gets "permission denied" on ${m.example}. ` +
        `Add the director${dirs.length > 1 ? 'ies' : 'y'}: mtree line${dirs.length > 1 ? 's' : ''} ${mtree} (tar), or ${emptyDirs} (pkg_tar)`,
    });
  }
  return out;
}
