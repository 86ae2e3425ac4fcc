// bazel_skylib / aspect_bazel_lib copy_file: `src` (a label of exactly one file) copied to `out`
// in the target's output directory, byte for byte. `is_executable` makes the copy 0755 and the
// target's executable; otherwise it is 0644. `allow_symlink` lets Bazel link instead of copy,
// which gives the same bytes, so it changes nothing here.
import { chmod, copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AttrError, type AttrValues } from './attrs.ts';
import { COMMON_ATTRS } from './schema.ts';
import type { RuleDef } from './rule.ts';
import type { FileRef } from './provider.ts';

function checkOut(attrs: AttrValues): string {
  const out = attrs.string('out') as string;
  if (out === '' || out.startsWith('/') || out.endsWith('/') || out.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new AttrError(`attribute "out": invalid output name "${out}"`);
  }
  return out;
}

export const copyFileRule: RuleDef = {
  kind: 'copy_file',
  attrs: {
    ...COMMON_ATTRS,
    src: { type: 'label', mandatory: true },
    out: { type: 'string', mandatory: true },
    is_executable: { type: 'bool' },
    allow_symlink: { type: 'bool' },
  },
  validate(attrs) {
    checkOut(attrs);
  },
  async build(ctx) {
    const out = checkOut(ctx.attrs);
    const src = ctx.attrs.label('src');
    const files = ctx.files('src');
    if (files.length !== 1) throw new Error(`attribute "src": ${src} must provide exactly one file, got ${files.length}`);
    const dest = join(await ctx.outDir(), out);
    await mkdir(dirname(dest), { recursive: true });
    await rm(dest, { force: true });
    await copyFile((files[0] as FileRef).path, dest);
    const executable = ctx.attrs.bool('is_executable', false);
    await chmod(dest, executable ? 0o755 : 0o644);
    const file: FileRef = { path: dest, shortPath: ctx.outShortPath(out), generated: true };
    return executable ? { files: [file], executable: file } : { files: [file] };
  },
};
