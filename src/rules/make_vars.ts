// Bazel "Make variable" expansion for attribute strings: $(execpath LABEL), $(execpaths ...),
// $(location ...), $(locations ...), $(rootpath ...), $(rootpaths ...), $(rlocationpath ...),
// $(rlocationpaths ...), the predefined variables a rule sees without toolchains ($(BINDIR),
// $(GENDIR), $(TARGET_CPU), $(COMPILATION_MODE)) and `$$` for a literal `$`.
// As in Bazel (LocationExpander), LABEL must be a dependency of the rule, resolved relative to the
// target's package; an executable target stands for its executable, any other for its files;
// the singular forms need exactly one file. `location` means `execpath` (ctx.expand_location).
// Paths look the way Bazel shows them, for a k8-fastbuild build: a generated file's exec path is
// `bazel-out/k8-fastbuild/bin/<short path>`, a source file's is its short path, a file of an
// external repository lives under `external/<repo>/`. In "disk" mode exec paths are the files'
// real locations instead (what a tool running here must open).
import { parseLabel, type Label } from '../workspace/label.ts';
import type { FileRef, Provider } from './provider.ts';
import type { BuildContext } from './rule.ts';

/** Bazel's output directory for target files, as exec paths show it. */
export const BAZEL_BIN_DIR = 'bazel-out/k8-fastbuild/bin';
/** The main repository's directory in runfiles trees (Bzlmod). */
export const MAIN_REPO_RUNFILES_NAME = '_main';

export class MakeVarError extends Error {}

export interface MakeVarDep {
  label: Label;
  provider: Provider;
}

/** "exec": paths as Bazel actions see them; "disk": execpath/location give the real file path. */
export type MakeVarPathMode = 'exec' | 'disk';

export interface MakeVarOptions {
  /** The rule's dependencies that `$(...)` may name, with what they provide. */
  deps: readonly MakeVarDep[];
  /** Repository and package of the target whose attribute is expanded (for relative labels). */
  repo: string;
  pkg: string;
  mode?: MakeVarPathMode;
  /** Attribute named in the "not a dependency" hint. Default "srcs". */
  depsAttr?: string;
  /** Applied to every expanded path (for instance, escaping for the file format). */
  quote?: (path: string) => string;
  /** More variables for `$(NAME)`, over the predefined ones; `@` and `<` also answer `$@` and `$<`. */
  vars?: Readonly<Record<string, string>>;
  /** Why a variable is not defined here (`$@` with several outputs), for its error. */
  undefinedHints?: Readonly<Record<string, string>>;
  /** The exec path of a file, when the caller lays out its own exec root (genrule). */
  execPath?: (f: FileRef) => string;
}

const PREDEFINED: Record<string, string> = {
  BINDIR: BAZEL_BIN_DIR,
  GENDIR: BAZEL_BIN_DIR,
  TARGET_CPU: 'k8',
  COMPILATION_MODE: 'fastbuild',
};

type PathKind = 'execpath' | 'rootpath' | 'rlocationpath';
const FUNCTIONS: Record<string, { kind: PathKind; multiple: boolean }> = {
  execpath: { kind: 'execpath', multiple: false },
  execpaths: { kind: 'execpath', multiple: true },
  location: { kind: 'execpath', multiple: false },
  locations: { kind: 'execpath', multiple: true },
  rootpath: { kind: 'rootpath', multiple: false },
  rootpaths: { kind: 'rootpath', multiple: true },
  rlocationpath: { kind: 'rlocationpath', multiple: false },
  rlocationpaths: { kind: 'rlocationpath', multiple: true },
};

/** `../repo/x` (an external repository's short path) → ["repo", "x"]; main-repo paths → undefined. */
function externalParts(shortPath: string): [string, string] | undefined {
  if (!shortPath.startsWith('../')) return undefined;
  const rest = shortPath.slice(3);
  const slash = rest.indexOf('/');
  return slash < 0 ? [rest, ''] : [rest.slice(0, slash), rest.slice(slash + 1)];
}

/** The path Bazel actions use for `f` (relative to the exec root). */
export function execPath(f: FileRef): string {
  const ext = externalParts(f.shortPath);
  const rel = ext ? `external/${ext[0]}${ext[1] ? `/${ext[1]}` : ''}` : f.shortPath;
  return f.generated ? `${BAZEL_BIN_DIR}/${rel}` : rel;
}

/** `$(rootpath)`: the short path, relative to a runfiles tree's workspace directory. */
export function rootPath(f: FileRef): string {
  return f.shortPath;
}

/** `$(rlocationpath)`: `_main/<short path>`, or `<repo>/<path>` for external repositories. */
export function rlocationPath(f: FileRef, workspaceName: string = MAIN_REPO_RUNFILES_NAME): string {
  return f.shortPath.startsWith('../') ? f.shortPath.slice(3) : `${workspaceName}/${f.shortPath}`;
}

/** The files a label stands for in `$(location)`: the executable of an executable target, else its files. */
export function locationFiles(p: Provider): FileRef[] {
  return p.executable ? [p.executable] : p.files;
}

/** The dependencies of `attrs` (label and label_list attributes), for `deps`. */
export function makeVarDeps(ctx: BuildContext, attrs: readonly string[]): MakeVarDep[] {
  const wanted = new Set(attrs);
  return ctx.attrs
    .labelDeps()
    .filter((d) => wanted.has(d.attr))
    .map(({ label }) => ({ label, provider: ctx.dep(label) }));
}

function pathOf(f: FileRef, kind: PathKind, opts: MakeVarOptions): string {
  switch (kind) {
    case 'execpath':
      return opts.mode === 'disk' ? f.path : (opts.execPath ?? execPath)(f);
    case 'rootpath':
      return rootPath(f);
    case 'rlocationpath':
      return rlocationPath(f);
  }
}

function expandFunction(fn: string, arg: string, opts: MakeVarOptions): string {
  const spec = FUNCTIONS[fn] as { kind: PathKind; multiple: boolean };
  const expr = `$(${fn} ${arg})`;
  let label: Label;
  try {
    label = parseLabel(arg, opts.repo, opts.pkg);
  } catch (err) {
    throw new MakeVarError(`${expr}: ${(err as Error).message}`);
  }
  const dep = opts.deps.find((d) => d.label.equals(label));
  if (!dep) throw new MakeVarError(`${expr}: ${arg} is not a dependency of this rule (add it to ${opts.depsAttr ?? 'srcs'})`);
  const files = locationFiles(dep.provider);
  if (files.length === 0) throw new MakeVarError(`${expr}: ${arg} expands to no files`);
  if (!spec.multiple && files.length > 1) {
    throw new MakeVarError(`${expr} expands to ${files.length} files; use $(${fn}s)`);
  }
  const quote = opts.quote ?? ((s: string) => s);
  return files.map((f) => quote(pathOf(f, spec.kind, opts))).join(' ');
}

/** Expands every `$(...)` and `$$` in `text`. Errors are one line, naming the expression. */
export function expandMakeVars(text: string, opts: MakeVarOptions): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
      continue;
    }
    if (next === '@' || next === '<') {
      const value = opts.vars?.[next];
      if (value === undefined) throw new MakeVarError(`$${next} is not defined${opts.undefinedHints?.[next] ? ` (${opts.undefinedHints[next]})` : ' here'}`);
      out += value;
      i = dollar + 2;
      continue;
    }
    if (next !== '(') {
      throw new MakeVarError(`"$" must be followed by "(" or "$" (write $$ for a literal $) in ${JSON.stringify(text)}`);
    }
    const close = text.indexOf(')', dollar + 2);
    if (close < 0) throw new MakeVarError(`unterminated "$(" in ${JSON.stringify(text)}`);
    const body = text.slice(dollar + 2, close).trim();
    const space = body.search(/\s/);
    if (space < 0) {
      const value = opts.vars?.[body] ?? PREDEFINED[body];
      if (value === undefined && opts.undefinedHints?.[body]) throw new MakeVarError(`$(${body}) is not defined (${opts.undefinedHints[body]})`);
      if (value === undefined) {
        if (body in FUNCTIONS) throw new MakeVarError(`$(${body}) needs a label: $(${body} //pkg:target)`);
        throw new MakeVarError(`$(${body}): unknown make variable "${body}"`);
      }
      out += value;
    } else {
      const fn = body.slice(0, space);
      const arg = body.slice(space).trim();
      if (!(fn in FUNCTIONS)) {
        throw new MakeVarError(`$(${body}): unknown function "${fn}" (expected execpath, execpaths, location, locations, rootpath, rootpaths, rlocationpath or rlocationpaths)`);
      }
      out += expandFunction(fn, arg, opts);
    }
    i = close + 1;
  }
  return out;
}
