// `go build -overlay=file.json`: {"Replace": {"<path the go command reads>": "<file to read instead>"}}.
// Generated sources enter the build this way, so the user's tree is never written. The overlay
// file is named by the hash of what it maps *and of the bytes of every mapped file*: its path
// (which is in the go build arguments) changes whenever a generated file does, so any cache
// keyed by the arguments sees the change although the generated files live outside the module.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/write_atomic.ts';

export const OVERLAY_DIR = join('cache', 'go-overlays');

/** Writes (once) the overlay file for `replace` under `outRoot` and returns its absolute path. */
export async function writeOverlay(outRoot: string, replace: Readonly<Record<string, string>>): Promise<string> {
  const entries = Object.entries(replace).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const h = createHash('sha256');
  for (const [virtual, real] of entries) {
    h.update(`${virtual}\0${real}\0`);
    h.update(createHash('sha256').update(await readFile(real)).digest('hex'));
    h.update('\n');
  }
  const text = `${JSON.stringify({ Replace: Object.fromEntries(entries) }, null, 1)}\n`;
  const path = join(outRoot, OVERLAY_DIR, `${h.digest('hex')}.json`);
  await writeFileAtomic(path, text);
  return path;
}
