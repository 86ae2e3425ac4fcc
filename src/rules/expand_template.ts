// expand_template from aspect_bazel_lib (lib/expand_template.bzl + lib/private/expand_template.bzl)
// and from bazel_skylib (rules/expand_template.bzl).
//
// Expansion is Bazel's ctx.actions.expand_template: every key is replaced everywhere, literally,
// one key after the other in dict order (a later key also sees the text earlier ones produced).
// Templates and values are handled as bytes (UTF-8 in, UTF-8 out), as Bazel does.
//
// aspect flavour:
// - `template` is a label of one file, or a list of lines (the macro writes those with skylib
//   write_file: joined by "\n", no trailing newline).
// - `substitutions` and, when stamping, `stamp_substitutions` values first get make variables
//   expanded (see MAKE_VARIABLES below; `$$` is a literal `$`; location expansions like
//   `$(execpath ...)` are rejected, because `data` is ignored here).
// - Stamping: `stamp = 1`, or `stamp = -1` (default) and ctx.stamp.enabled. Then the stamp
//   substitutions are laid over the substitutions (dicts.add: a key present in both keeps its
//   place and takes the stamp value), and in every value `{{KEY}}` is replaced by the status value
//   of KEY. As aspect's expand_template tool, only keys its status-file parser sees are replaced:
//   unknown keys stay literally `{{KEY}}`, and so do keys whose value contains a space (its regex
//   `^(\S+)\s+([^\n ]*)$` skips such lines). Status keys are applied in sorted order.
//   Unstamped, `stamp_substitutions` is not read at all and `{{KEY}}` is left as written.
// - `out` defaults to the template's own name next to it when the template is a source file of
//   this package, else to `<name>.txt`.

import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { hostPlatform } from '../oci/platform.ts';
import type { Platform } from '../oci/types.ts';
import { AttrError, type AttrValues } from './attrs.ts';
import { COMMON_ATTRS } from './schema.ts';
import type { BuildContext, RuleDef } from './rule.ts';
import type { FileRef } from './provider.ts';

/** Make variables expand_template understands ($(NAME) in substitution values). */
export const MAKE_VARIABLES: readonly string[] = [
  'BINDIR',
  'GENDIR',
  'TARGET_CPU',
  'COMPILATION_MODE',
  '@',
  '@D',
  'RULEDIR',
  'BUILD_FILE_PATH',
  'VERSION_FILE',
  'INFO_FILE',
  'TARGET',
  'WORKSPACE',
];

const LOCATION_FUNCTIONS = new Set(['location', 'locations', 'execpath', 'execpaths', 'rootpath', 'rootpaths', 'rlocationpath', 'rlocationpaths']);

/** Bazel's --cpu value (TARGET_CPU) for a platform, as Bazel's auto-detected CPU names go. */
export function bazelCpu(p: Platform): string {
  const arch = p.architecture;
  if (p.os === 'darwin') return arch === 'arm64' ? 'darwin_arm64' : arch === 'amd64' ? 'darwin_x86_64' : `darwin_${arch}`;
  if (p.os === 'windows') return arch === 'arm64' ? 'arm64_windows' : arch === 'amd64' ? 'x64_windows' : `${arch}_windows`;
  if (p.os === 'freebsd') return arch === 'arm64' ? 'arm64' : 'freebsd';
  const linux: Record<string, string> = { amd64: 'k8', arm64: 'aarch64', arm: 'arm', '386': 'piii', ppc64le: 'ppc', s390x: 's390x', riscv64: 'riscv64', mips64le: 'mips64' };
  return linux[arch] ?? arch;
}

/** Bazel-style paths: outputs are named as in a Bazel exec root (bazel-out/<cpu>-fastbuild/bin/...). */
function makeVariables(ctx: BuildContext, outShort: string): Map<string, string> {
  const cpu = bazelCpu(ctx.config.platform ?? hostPlatform());
  const bindir = `bazel-out/${cpu}-fastbuild/bin`;
  const label = ctx.target.label;
  const ruleDir = [bindir, label.repo === '' ? '' : `external/${label.repo}`, label.pkg].filter((s) => s !== '').join('/');
  const outPath = `${[bindir, label.repo === '' ? '' : `external/${label.repo}`].filter((s) => s !== '').join('/')}/${outShort}`;
  const slash = outPath.lastIndexOf('/');
  return new Map([
    ['BINDIR', bindir],
    ['GENDIR', bindir],
    ['TARGET_CPU', cpu],
    ['COMPILATION_MODE', 'fastbuild'],
    ['@', outPath],
    ['@D', outPath.slice(0, slash)],
    ['RULEDIR', ruleDir],
    ['BUILD_FILE_PATH', ctx.target.pos.file],
    ['VERSION_FILE', 'bazel-out/volatile-status.txt'],
    ['INFO_FILE', 'bazel-out/stable-status.txt'],
    ['TARGET', `${label.repo === '' ? '' : `@${label.repo}`}//${label.pkg}:${label.name}`],
    ['WORKSPACE', '_main'],
  ]);
}

export class MakeVariableError extends Error {}

/**
 * Bazel's TemplateExpander over `vars`: `$$` is `$`, `$(NAME)` and `$@`/`$<`/`$^` are looked up
 * (values are expanded again, as Make's `:=`), `$(func arg)` is a function call (none here).
 */
export function expandMakeVariables(s: string, vars: ReadonlyMap<string, string>, depth = 0): string {
  if (!s.includes('$')) return s;
  if (depth > 10) throw new MakeVariableError(`potentially unbounded recursion during expansion of '${s}'`);
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    i++;
    if (i >= s.length) throw new MakeVariableError('unterminated $');
    const n = s[i] as string;
    let name: string;
    if (n === '$') {
      out += '$';
      i++;
      continue;
    } else if (n === '(') {
      const end = s.indexOf(')', i + 1);
      if (end < 0) throw new MakeVariableError('unterminated variable reference');
      name = s.slice(i + 1, end);
      i = end + 1;
    } else if (n === '{') {
      const end = s.indexOf('}', i + 1);
      if (end < 0) throw new MakeVariableError('unterminated variable reference');
      const expr = s.slice(i + 1, end);
      throw new MakeVariableError(`'\${${expr}}' syntax is not supported; use '$(${expr})' instead for "Make" variables, or escape the '$' as '$$' if you intended this for the shell`);
    } else if (n === '@' || n === '<' || n === '^') {
      name = n;
      i++;
    } else {
      const m = /^[\p{L}\p{N}_$]*/u.exec(s.slice(i + 1));
      const expr = n + (m ? m[0] : '');
      throw new MakeVariableError(`'$${expr}' syntax is not supported; use '$(${expr})' instead for "Make" variables, or escape the '$' as '$$' if you intended this for the shell`);
    }
    const space = name.indexOf(' ');
    if (space >= 0) {
      const fn = name.slice(0, space);
      if (LOCATION_FUNCTIONS.has(fn)) {
        throw new MakeVariableError(`$(${name}): location expansion is not supported (the "data" attribute is ignored)`);
      }
      throw new MakeVariableError(`$(${name}) not defined`);
    }
    const value = vars.get(name);
    if (value === undefined) {
      throw new MakeVariableError(`$(${name}) not defined (supported: ${MAKE_VARIABLES.map((v) => `$(${v})`).join(', ')}; write $$ for a literal $)`);
    }
    out += value === name ? value : expandMakeVariables(value, vars, depth + 1);
  }
  return out;
}

/** Bazel strings are bytes: a JS string as the Latin-1 view of its UTF-8 encoding. */
function bytes(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** Bazel's StringUtilities.replaceAllLiteral, for each substitution in order. */
export function applySubstitutions(content: string, substitutions: Iterable<[string, string]>): string {
  let text = content;
  for (const [key, value] of substitutions) {
    if (key === '') continue;
    text = text.split(key).join(value);
  }
  return text;
}

/** `{{KEY}}` -> status value, as aspect's expand_template tool does (see the header). */
export function applyStampValues(value: string, status: Record<string, string>): string {
  let v = value;
  for (const key of Object.keys(status).sort()) {
    const replacement = status[key] as string;
    if (/\s/.test(key) || key === '' || replacement.includes(' ') || replacement.includes('\n')) continue;
    v = v.split(`{{${key}}}`).join(replacement);
  }
  return v;
}

/** Whether a target with this `stamp` attribute is stamped (aspect's maybe_stamp). */
export function isStamped(stamp: number | undefined, enabled: boolean): boolean {
  const s = stamp ?? -1;
  return s === 1 || (s === -1 && enabled);
}

function checkOut(attrs: AttrValues): void {
  const out = attrs.string('out');
  if (out === undefined) return;
  if (out === '' || out.startsWith('/') || out.endsWith('/') || out.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new AttrError(`attribute "out": invalid output name "${out}"`);
  }
}

function checkStamp(attrs: AttrValues): void {
  const s = attrs.int('stamp');
  if (s !== undefined && s !== -1 && s !== 0 && s !== 1) {
    throw new AttrError(`attribute "stamp": has to be one of 1, 0, -1 instead of '${s}'`);
  }
}

function templateFile(ctx: BuildContext): FileRef {
  const label = ctx.attrs.label('template');
  const files = ctx.deps('template').flatMap((p) => p.files);
  if (files.length !== 1) throw new Error(`attribute "template": ${label} must provide exactly one file, got ${files.length}`);
  return files[0] as FileRef;
}

/** aspect: the template's name next to it for a source template of this package. */
function defaultOut(ctx: BuildContext, template: FileRef | undefined): string {
  if (!template || template.generated) return `${ctx.target.label.name}.txt`;
  const pkg = ctx.target.label.pkg;
  const rel = pkg === '' ? template.shortPath : template.shortPath.startsWith(`${pkg}/`) ? template.shortPath.slice(pkg.length + 1) : undefined;
  if (rel === undefined) {
    throw new Error(`attribute "template": source file ${template.shortPath} is not in package "${pkg}", so "out" cannot default to its name; set "out"`);
  }
  return rel;
}

async function writeOutput(ctx: BuildContext, name: string, content: string, executable: boolean): Promise<FileRef> {
  const dest = join(await ctx.outDir(), name);
  await mkdir(dirname(dest), { recursive: true });
  await writeFile(dest, Buffer.from(content, 'latin1'), { mode: executable ? 0o755 : 0o644 });
  await chmod(dest, executable ? 0o755 : 0o644);
  return { path: dest, shortPath: ctx.outShortPath(name), generated: true };
}

function expandValues(attr: string, dict: Record<string, string>, vars: ReadonlyMap<string, string>): Array<[string, string]> {
  return Object.entries(dict).map(([k, v]) => {
    try {
      return [k, expandMakeVariables(v, vars)];
    } catch (err) {
      if (err instanceof MakeVariableError) throw new Error(`attribute "${attr}": value for "${k}": ${err.message}`);
      throw err;
    }
  });
}

/** aspect_bazel_lib expand_template (the macro: `template` may be a list of lines). */
export const expandTemplateRule: RuleDef = {
  kind: 'expand_template',
  attrs: {
    ...COMMON_ATTRS,
    template: { type: 'string_list_or_label', mandatory: true },
    substitutions: { type: 'string_dict' },
    stamp_substitutions: { type: 'string_dict' },
    stamp: { type: 'int' },
    out: { type: 'string' },
    is_executable: { type: 'bool' },
    data: { type: 'ignored' },
    env_vars_only: { type: 'ignored' },
    stamp_volatile_only: { type: 'ignored' },
  },
  validate(attrs) {
    checkOut(attrs);
    checkStamp(attrs);
  },
  async build(ctx) {
    const a = ctx.attrs;
    checkOut(a);
    checkStamp(a);
    const tmpl = a.listOrLabel('template');
    let content: string;
    let source: FileRef | undefined;
    if (tmpl && 'list' in tmpl) {
      content = bytes(tmpl.list.join('\n'));
    } else {
      source = templateFile(ctx);
      content = (await readFile(source.path)).toString('latin1');
    }
    const out = a.string('out') ?? defaultOut(ctx, source);
    const vars = makeVariables(ctx, ctx.outShortPath(out));
    const subs = new Map(expandValues('substitutions', a.stringDict('substitutions'), vars));
    if (isStamped(a.int('stamp'), ctx.stamp.enabled)) {
      for (const [k, v] of expandValues('stamp_substitutions', a.stringDict('stamp_substitutions'), vars)) subs.set(k, v);
      const status = await ctx.stamp.values();
      for (const [k, v] of subs) subs.set(k, applyStampValues(v, status));
    }
    const text = applySubstitutions(content, [...subs].map(([k, v]): [string, string] => [bytes(k), bytes(v)]));
    const executable = a.bool('is_executable', false);
    // Only the file mode: the rule is not an executable rule, so it provides no executable.
    return { files: [await writeOutput(ctx, out, text, executable)] };
  },
};

/** bazel_skylib expand_template: a template file, substitutions, an output; nothing else. */
export const skylibExpandTemplateRule: RuleDef = {
  kind: 'skylib_expand_template',
  attrs: {
    ...COMMON_ATTRS,
    template: { type: 'label', mandatory: true },
    substitutions: { type: 'string_dict', mandatory: true },
    out: { type: 'string', mandatory: true },
  },
  validate(attrs) {
    checkOut(attrs);
  },
  async build(ctx) {
    const a = ctx.attrs;
    checkOut(a);
    const content = (await readFile(templateFile(ctx).path)).toString('latin1');
    const subs = Object.entries(a.stringDict('substitutions')).map(([k, v]): [string, string] => [bytes(k), bytes(v)]);
    const file = await writeOutput(ctx, a.string('out') as string, applySubstitutions(content, subs), false);
    return { files: [file] };
  },
};
