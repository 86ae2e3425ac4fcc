import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const BUILD_FILES = ['BUILD.bazel', 'BUILD'];

function isPackageDir(abs: string): boolean {
  try {
    const names = readdirSync(abs);
    return BUILD_FILES.some((b) => names.includes(b));
  } catch {
    return false;
  }
}

/** Files of a package (paths relative to the package), not descending into subpackages. */
export function listPackageFiles(pkgDir: string): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs: string[] = [];
  const walk = (rel: string): void => {
    const abs = rel === '' ? pkgDir : join(pkgDir, rel);
    for (const ent of readdirSync(abs, { withFileTypes: true })) {
      const childRel = rel === '' ? ent.name : `${rel}/${ent.name}`;
      if (ent.isDirectory()) {
        const childAbs = join(abs, ent.name);
        if (isPackageDir(childAbs)) continue;
        if (rel === '' && (ent.name.startsWith('bazel-') || ent.name === '.git' || ent.name === '.oci-build')) continue;
        dirs.push(childRel);
        walk(childRel);
      } else if (ent.isFile() || ent.isSymbolicLink()) {
        files.push(childRel);
      }
    }
  };
  walk('');
  files.sort();
  dirs.sort();
  return { files, dirs };
}

function segmentToRegex(seg: string): string {
  let out = '';
  for (const ch of seg) {
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}

/** Compiles a Bazel glob pattern (`*`, `?`, `**` as a whole segment) to a RegExp. */
export function globToRegExp(pattern: string): RegExp {
  const segs = pattern.split('/');
  let re = '';
  segs.forEach((seg, i) => {
    const last = i === segs.length - 1;
    if (seg === '**') {
      re += last ? '.*' : '(?:[^/]+/)*';
    } else {
      re += segmentToRegex(seg) + (last ? '' : '/');
    }
  });
  return new RegExp(`^${re}$`);
}

export function validateGlobPattern(pattern: string): string | undefined {
  if (pattern === '') return 'empty pattern';
  if (pattern.startsWith('/')) return `pattern "${pattern}" must be relative to the package`;
  if (pattern.split('/').some((s) => s === '..' || s === '.')) return `pattern "${pattern}" may not contain "." or ".." segments`;
  if (pattern.split('/').some((s) => s !== '**' && s.includes('**'))) return `recursive wildcard must be its own segment in "${pattern}"`;
  return undefined;
}

export function matchGlob(
  listing: { files: string[]; dirs: string[] },
  include: string[],
  exclude: string[],
  excludeDirectories: boolean,
): string[] {
  const inc = include.map(globToRegExp);
  const exc = exclude.map(globToRegExp);
  const candidates = excludeDirectories ? listing.files : [...listing.files, ...listing.dirs];
  const out = candidates.filter((p) => inc.some((r) => r.test(p)) && !exc.some((r) => r.test(p)));
  return [...new Set(out)].sort();
}
