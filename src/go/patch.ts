// Unified diffs (`diff -u`, `git diff`) applied to a directory, as Bazel's built-in patch does for
// go_deps overrides (no patch tool needed): files changed, created (`--- /dev/null`) or deleted
// (`+++ /dev/null`), `patch_strip` leading path components removed, each hunk's context and
// removed lines matched exactly, at its line or, as GNU patch does, at the nearest offset.
// Patches are untrusted input: a path that is absolute, climbs out with `..`, or goes through a
// symlink is refused; nothing is written until every hunk of every file has matched.
import { lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export class PatchError extends Error {}

interface Hunk {
  oldStart: number;
  oldLines: string[];
  newLines: string[];
  /** Line of the `@@` header in the patch, for messages. */
  at: number;
}

interface FilePatch {
  oldPath?: string;
  newPath?: string;
  hunks: Hunk[];
}

/** The path of a `---`/`+++` line: up to a tab (a timestamp may follow), unquoted. */
function headerPath(rest: string): string | undefined {
  let p = rest.split('\t')[0] as string;
  p = p.trimEnd();
  if (p.startsWith('"') && p.endsWith('"') && p.length >= 2) p = JSON.parse(p) as string;
  return p === '/dev/null' ? undefined : p;
}

/** Splits into lines that keep their "\n" (the last may have none). */
function splitLines(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const nl = text.indexOf('\n', i);
    if (nl < 0) {
      out.push(text.slice(i));
      break;
    }
    out.push(text.slice(i, nl + 1));
    i = nl + 1;
  }
  return out;
}

export function parsePatch(text: string): FilePatch[] {
  const lines = splitLines(text);
  const files: FilePatch[] = [];
  let i = 0;
  const strip = (l: string): string => l.replace(/\r?\n$/, '');
  while (i < lines.length) {
    const line = strip(lines[i] as string);
    if (line.startsWith('--- ') && i + 1 < lines.length && strip(lines[i + 1] as string).startsWith('+++ ')) {
      const fp: FilePatch = { oldPath: headerPath(line.slice(4)), newPath: headerPath(strip(lines[i + 1] as string).slice(4)), hunks: [] };
      i += 2;
      for (;;) {
        const h = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(strip(lines[i] ?? ''));
        if (!h) break;
        const at = i + 1;
        let oldCount = h[2] === undefined ? 1 : Number(h[2]);
        let newCount = h[4] === undefined ? 1 : Number(h[4]);
        const hunk: Hunk = { oldStart: Number(h[1]), oldLines: [], newLines: [], at };
        i++;
        while (oldCount > 0 || newCount > 0) {
          const raw = lines[i];
          if (raw === undefined) throw new PatchError(`hunk at patch line ${at} ends early`);
          const body = raw.slice(1);
          const c = raw[0];
          // An empty line inside a hunk is a context line whose space was lost (editors do this).
          if (c === ' ' || raw === '\n' || raw === '\r\n') {
            const ctx = c === ' ' ? body : raw;
            hunk.oldLines.push(ctx);
            hunk.newLines.push(ctx);
            oldCount--;
            newCount--;
          } else if (c === '-') {
            hunk.oldLines.push(body);
            oldCount--;
          } else if (c === '+') {
            hunk.newLines.push(body);
            newCount--;
          } else if (c === '\\') {
            // belongs to the previous line; handled below
          } else {
            throw new PatchError(`hunk at patch line ${at}: unexpected line ${i + 1}`);
          }
          i++;
          // "\ No newline at end of file" after a line: that line has no newline.
          if ((lines[i] ?? '').startsWith('\\')) {
            const prev = c === '-' ? hunk.oldLines : c === '+' ? hunk.newLines : undefined;
            const cut = (arr: string[]): void => {
              arr[arr.length - 1] = (arr[arr.length - 1] as string).replace(/\n$/, '');
            };
            if (prev) cut(prev);
            else {
              cut(hunk.oldLines);
              cut(hunk.newLines);
            }
            i++;
          }
          if (oldCount < 0 || newCount < 0) throw new PatchError(`hunk at patch line ${at}: more lines than its header counts`);
        }
        fp.hunks.push(hunk);
      }
      files.push(fp);
      continue;
    }
    i++;
  }
  if (files.length === 0) throw new PatchError('no file changes found (expected a unified diff)');
  return files;
}

/** `path` with `strip` leading components removed; refused when absolute or climbing out. */
function stripPath(path: string, strip: number): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (path.startsWith('/')) throw new PatchError(`${path}: absolute paths are not allowed`);
  if (parts.length <= strip) throw new PatchError(`${path}: has no path left after removing ${strip} leading component(s) (patch_strip)`);
  const rest = parts.slice(strip);
  if (rest.includes('..')) throw new PatchError(`${path}: ".." is not allowed in patched paths`);
  return rest.join('/');
}

function matchesAt(file: readonly string[], pos: number, want: readonly string[]): boolean {
  if (pos < 0 || pos + want.length > file.length) return false;
  for (let k = 0; k < want.length; k++) if (file[pos + k] !== want[k]) return false;
  return true;
}

/** Applies the hunks of one file to its content (a latin1 view of its bytes); returns the new content. */
export function applyHunks(content: string, hunks: readonly Hunk[], name: string): string {
  const file = splitLines(content);
  let delta = 0;
  let floor = 0;
  hunks.forEach((h, n) => {
    // A hunk adding to an empty region (-0,0) sits after line oldStart.
    const base = h.oldLines.length === 0 ? h.oldStart : h.oldStart - 1;
    const expected = base + delta;
    let found = -1;
    for (let off = 0; found < 0 && (expected - off >= floor || expected + off <= file.length); off++) {
      if (expected + off >= floor && matchesAt(file, expected + off, h.oldLines)) found = expected + off;
      else if (off > 0 && expected - off >= floor && matchesAt(file, expected - off, h.oldLines)) found = expected - off;
    }
    if (found < 0) throw new PatchError(`hunk #${n + 1} of ${name} (at its line ${h.oldStart}) does not match the file`);
    file.splice(found, h.oldLines.length, ...h.newLines);
    floor = found + h.newLines.length;
    delta = found - base + h.newLines.length - h.oldLines.length;
  });
  return file.join('');
}

async function isSymlinkOnPath(root: string, rel: string): Promise<boolean> {
  const parts = rel.split('/');
  for (let k = 1; k <= parts.length; k++) {
    try {
      if ((await lstat(join(root, ...parts.slice(0, k)))).isSymbolicLink()) return true;
    } catch {
      return false;
    }
  }
  return false;
}

/** Applies a unified diff to the tree at `root`. All-or-nothing: files are written only after every hunk matched. */
export async function applyPatch(root: string, patchText: string, strip: number): Promise<void> {
  const writes: Array<{ path: string; content?: string }> = [];
  for (const fp of parsePatch(patchText)) {
    const rel = stripPath((fp.newPath ?? fp.oldPath) as string, strip);
    if (await isSymlinkOnPath(root, rel)) throw new PatchError(`${rel}: goes through a symbolic link`);
    const abs = join(root, rel);
    let old = '';
    // `diff -N` names a new file's old side by its path with an epoch timestamp, not /dev/null.
    const creates = fp.oldPath === undefined || (fp.hunks.length > 0 && fp.hunks.every((h) => h.oldStart === 0 && h.oldLines.length === 0));
    if (fp.oldPath !== undefined) {
      try {
        old = await readFile(abs, 'latin1');
      } catch {
        if (!creates) throw new PatchError(`${rel}: no such file to patch`);
      }
    } else {
      let exists = true;
      try {
        await lstat(abs);
      } catch {
        exists = false;
      }
      if (exists) throw new PatchError(`${rel}: the patch creates it, but it already exists`);
    }
    const next = applyHunks(old, fp.hunks, rel);
    writes.push(fp.newPath === undefined ? { path: abs } : { path: abs, content: next });
  }
  for (const w of writes) {
    if (w.content === undefined) await rm(w.path, { force: true });
    else {
      await mkdir(dirname(w.path), { recursive: true });
      await writeFile(w.path, Buffer.from(w.content, 'latin1'));
    }
  }
}
