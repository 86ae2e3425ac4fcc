// Paths inside an archive. Archive members are always relative, "/"-separated and never leave
// the root: a layer is unpacked over a container's filesystem, so ".." or an absolute name would
// write outside of where the image author meant.

/** Like Python's posixpath.normpath (rules_pkg normalises destinations with it). */
export function posixNormpath(path: string): string {
  if (path === '') return '.';
  const absolute = path.startsWith('/');
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  if (absolute) return '/' + joined;
  return joined === '' ? '.' : joined;
}

/**
 * Normalises an archive member name: drops "./" and empty segments and a trailing "/".
 * Rejects absolute names, ".." segments and names that normalise to nothing.
 */
export function normalizeArchivePath(path: string): string {
  if (path.startsWith('/')) {
    throw new Error(`tar: absolute path "${path}" is not allowed in an archive (use a relative path)`);
  }
  if (path.includes('\0')) throw new Error(`tar: path ${JSON.stringify(path)} contains a NUL byte`);
  const segs: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') throw new Error(`tar: path "${path}" escapes the archive root ("..")`);
    segs.push(seg);
  }
  if (segs.length === 0) throw new Error(`tar: path "${path}" names the archive root, not a member`);
  return segs.join('/');
}

/** Parent directories of a normalised member path, outermost first ("a/b/c" → ["a", "a/b"]). */
export function parentDirs(path: string): string[] {
  const segs = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < segs.length; i++) out.push(segs.slice(0, i).join('/'));
  return out;
}

/** Orders strings by Unicode code point, as Python's sorted() does (rules_pkg sorts its manifest). */
export function compareCodePoints(a: string, b: string): number {
  const ai = a[Symbol.iterator]();
  const bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next();
    const y = bi.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0) as number;
    const cy = y.value.codePointAt(0) as number;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}
