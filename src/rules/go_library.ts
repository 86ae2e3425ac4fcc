import { dirname } from 'node:path';
import { COMMON_ATTRS } from './schema.ts';
import type { RuleDef } from './rule.ts';
import type { FileRef } from './provider.ts';

export const GO_COMMON_ATTRS = {
  srcs: { type: 'label_list' },
  // Go dependencies are resolved by the go command from go.mod, not through the graph.
  deps: { type: 'string_list' },
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

/** The directory of a Go package, from its .go sources; all must sit in one directory. */
export function goPackageDir(label: string, srcs: FileRef[]): string | undefined {
  const goFiles = srcs.filter((f) => f.path.endsWith('.go') || f.path.endsWith('.s') || f.path.endsWith('.c'));
  if (goFiles.length === 0) return undefined;
  const dirs = new Set(goFiles.map((f) => dirname(f.path)));
  if (dirs.size > 1) {
    throw new Error(`${label}: srcs span several directories (${[...dirs].join(', ')}); the go command builds one directory per package`);
  }
  return [...dirs][0];
}

/**
 * go_library is never built on its own: it tells the go_binary that embeds it which directory
 * holds the package. Its deps are resolved by `go build` from go.mod, as Gazelle generated them.
 */
export const goLibraryRule: RuleDef = {
  kind: 'go_library',
  attrs: { ...COMMON_ATTRS, ...GO_COMMON_ATTRS },
  async build(ctx) {
    const srcs = ctx.files('srcs');
    let dir = goPackageDir(ctx.target.label.toString(), srcs);
    if (dir === undefined) {
      for (const p of ctx.deps('embed')) if (p.goLibrary) dir = p.goLibrary.dir;
    }
    if (dir === undefined) throw new Error('go_library has no .go sources in srcs or embed');
    return { files: [], goLibrary: { dir, importpath: ctx.attrs.string('importpath') } };
  },
};
