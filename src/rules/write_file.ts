// bazel_skylib write_file (rules/write_file.bzl + rules/private/write_file_private.bzl).
//
// The content is the lines joined by the newline, with NO trailing newline (skylib: "Newlines are
// added automatically after every line except the last one"); no lines gives an empty file.
// `newline`: "unix" is LF, "windows" CRLF, "auto" follows the host in Bazel; images are built for
// Linux here, so "auto" is LF. `is_executable` makes the file 0755 and the target's executable
// (skylib then uses an executable rule), else 0644. UTF-8.

import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AttrError, type AttrValues } from './attrs.ts';
import { COMMON_ATTRS } from './schema.ts';
import type { RuleDef } from './rule.ts';
import type { FileRef } from './provider.ts';

const NEWLINES: Record<string, string> = { auto: '\n', unix: '\n', windows: '\r\n' };

/** The bytes skylib's write_file writes for `content` and `newline`. */
export function writeFileContent(content: readonly string[], newline = 'auto'): string {
  const nl = NEWLINES[newline];
  if (nl === undefined) throw new AttrError(`attribute "newline": has to be one of "auto", "unix" or "windows" instead of "${newline}"`);
  return content.join(nl);
}

function check(attrs: AttrValues): void {
  const out = attrs.string('out') as string;
  if (out === '' || out.startsWith('/') || out.endsWith('/') || out.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new AttrError(`attribute "out": invalid output name "${out}"`);
  }
  writeFileContent([], attrs.string('newline') ?? 'auto');
}

export const writeFileRule: RuleDef = {
  kind: 'write_file',
  attrs: {
    ...COMMON_ATTRS,
    out: { type: 'string', mandatory: true },
    content: { type: 'string_list' },
    is_executable: { type: 'bool' },
    newline: { type: 'string' },
  },
  validate(attrs) {
    check(attrs);
  },
  async build(ctx) {
    const a = ctx.attrs;
    check(a);
    const name = a.string('out') as string;
    const executable = a.bool('is_executable', false);
    const text = writeFileContent(a.stringList('content'), a.string('newline') ?? 'auto');
    const dest = join(await ctx.outDir(), name);
    await mkdir(dirname(dest), { recursive: true });
    const mode = executable ? 0o755 : 0o644;
    await writeFile(dest, text, { encoding: 'utf8', mode });
    await chmod(dest, mode);
    const file: FileRef = { path: dest, shortPath: ctx.outShortPath(name), generated: true };
    return executable ? { files: [file], executable: file } : { files: [file] };
  },
};
