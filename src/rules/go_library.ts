import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { COMMON_ATTRS } from './schema.ts';
import type { BuildContext, RuleDef } from './rule.ts';
import type { FileRef, Provider } from './provider.ts';
import { BuildError } from '../errors.ts';

export const GO_COMMON_ATTRS = {
  srcs: { type: 'label_list' },
  // The go command resolves imports from go.mod itself; deps are followed only for libraries of
  // this workspace oci-build builds, whose generated sources the build must see.
  deps: { type: 'label_list', lenient: true },
  embed: { type: 'label_list' },
  data: { type: 'ignored' },
  importpath: { type: 'string' },
  importmap: { type: 'ignored' },
  embedsrcs: { type: 'ignored' },
  cgo: { type: 'ignored' },
  cdeps: { type: 'ignored' },
  copts: { type: 'ignored' },
  cppopts: { type: 'ignored' },
  cxxopts: { type: 'ignored' },
  clinkopts: { type: 'ignored' },
  gc_goopts: { type: 'string_list' },
  x_defs: { type: 'string_dict' },
  pgoprofile: { type: 'ignored' },
} as const;

/** Files the go command compiles from a package directory (what an overlay may add). */
const GO_BUILD_FILE = /\.(go|s|S|h|c|cc|cpp|cxx|hh|hpp|hxx|syso)$/;

/** The directory of a Go package, from its .go sources; all must sit in one directory. */
export function goPackageDir(label: string, srcs: FileRef[]): string | undefined {
  const goFiles = srcs.filter((f) => f.path.endsWith('.go') || f.path.endsWith('.s') || f.path.endsWith('.c'));
  if (goFiles.length === 0) return undefined;
  const dirs = new Set(goFiles.map((f) => dirname(f.path)));
  if (dirs.size > 1) {
    throw new BuildError(`srcs span several directories (${[...dirs].join(', ')}); the go command builds one directory per package`, { label });
  }
  return [...dirs][0];
}

export interface GoSources {
  /** The package directory; undefined when srcs hold no Go file. */
  dir?: string;
  /** `go build -overlay` Replace entries: a file in the package directory → the generated file. */
  overlay: Record<string, string>;
}

/**
 * The package directory and overlay of a Go target's srcs. Checked-in files decide the
 * directory (the go command compiles directories); generated files (genrule outs, write_file,
 * ...) are placed into it by name through the overlay, so the source tree is never written. A
 * library of generated files only is compiled in its own package's directory.
 */
export function goSources(ctx: BuildContext): GoSources {
  const label = ctx.target.label.toString();
  const srcs = ctx.files('srcs');
  const dir = goPackageDir(label, srcs.filter((f) => !f.generated));
  const generated = srcs.filter((f) => f.generated && GO_BUILD_FILE.test(f.shortPath));
  if (generated.length === 0) return { dir, overlay: {} };
  const pkgDir = dir ?? join(ctx.workspaceRoot, ctx.target.label.pkg);
  const overlay: Record<string, string> = {};
  const from = new Map<string, string>();
  for (const f of generated) {
    const virtual = join(pkgDir, basename(f.path));
    const other = from.get(virtual);
    if (other !== undefined) throw new BuildError(`generated files ${other} and ${f.shortPath} have the same name; the go command compiles one directory`, { label });
    from.set(virtual, f.shortPath);
    overlay[virtual] = f.path;
  }
  return { dir: pkgDir, overlay };
}

/** The overlay entries of the libraries named by `attrs` (they already hold their own deps'). */
export function depOverlays(ctx: BuildContext, attrs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const attr of attrs) {
    for (const p of ctx.deps(attr)) Object.assign(out, p.goLibrary?.overlay);
  }
  return out;
}

/**
 * go_library is never built on its own: it tells the go_binary that embeds it which directory
 * holds the package. Its deps are resolved by `go build` from go.mod, as Gazelle generated them;
 * what the graph adds are generated sources, carried up as overlay entries.
 */
export const goLibraryRule: RuleDef = {
  kind: 'go_library',
  attrs: { ...COMMON_ATTRS, ...GO_COMMON_ATTRS },
  async build(ctx) {
    const own = goSources(ctx);
    let dir = own.dir;
    if (dir === undefined) {
      for (const p of ctx.deps('embed')) if (p.goLibrary) dir = p.goLibrary.dir;
    }
    if (dir === undefined) throw new Error('go_library has no .go sources in srcs or embed');
    const overlay = { ...depOverlays(ctx, ['deps', 'embed']), ...own.overlay };
    const provider: Provider = { files: [], goLibrary: { dir, importpath: ctx.attrs.string('importpath') } };
    if (Object.keys(overlay).length > 0 && provider.goLibrary) provider.goLibrary.overlay = overlay;
    return provider;
  },
};

/**
 * rules_go go_proto_library: its .pb.go files come from protoc and its plugins, which oci-build
 * does not run. Files checked in beside the BUILD file are compiled as they are; without them
 * the build stops here, before Go runs, saying so.
 */
export const goProtoLibraryRule: RuleDef = {
  kind: 'go_proto_library',
  dependencyOnly: true,
  attrs: {
    ...COMMON_ATTRS,
    deps: { type: 'label_list', lenient: true },
    embed: { type: 'label_list' },
    importpath: { type: 'string' },
    ...Object.fromEntries(['proto', 'protos', 'importmap', 'importpath_aliases', 'compiler', 'compilers', 'gc_goopts', 'options', 'data'].map((n) => [n, { type: 'ignored' } as const])),
  },
  async build(ctx) {
    const pkg = ctx.target.label.pkg;
    const dir = join(ctx.workspaceRoot, pkg);
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch {
      // no directory: no checked-in files
    }
    if (!names.some((n) => n.endsWith('.pb.go'))) {
      throw new Error(
        `go_proto_library needs protoc, which oci-build does not run, and ${pkg || 'the workspace root'} holds no checked-in .pb.go files: generate them (protoc --go_out, or buf generate) and commit them next to this BUILD file`,
      );
    }
    return { files: [], goLibrary: { dir, importpath: ctx.attrs.string('importpath') } };
  },
};
