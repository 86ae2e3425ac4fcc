import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { GoBuildRequest } from '../go/build.ts';
import { AttrError } from './attrs.ts';
import { GO_COMMON_ATTRS, goPackageDir } from './go_library.ts';
import { COMMON_ATTRS } from './schema.ts';
import type { RuleDef } from './rule.ts';
import type { FileRef } from './provider.ts';

const GOOS = new Set(['auto', 'linux', 'darwin', 'windows', 'freebsd', 'netbsd', 'openbsd', 'android', 'ios', 'js', 'wasip1', 'plan9', 'solaris', 'illumos', 'aix', 'dragonfly']);
const GOARCH = new Set(['auto', 'amd64', 'arm64', 'arm', '386', 'ppc64le', 'ppc64', 's390x', 'riscv64', 'mips', 'mipsle', 'mips64', 'mips64le', 'loong64', 'wasm']);

function findModuleRoot(dir: string, workspaceRoot: string, label: string): string {
  let d = dir;
  for (;;) {
    if (existsSync(join(d, 'go.mod'))) return d;
    if (d === workspaceRoot || dirname(d) === d) break;
    d = dirname(d);
  }
  throw new Error(`${label}: no go.mod at or above ${relative(workspaceRoot, dir) || '.'} within the workspace (the go command needs one)`);
}

/**
 * rules_go go_binary: `goos`/`goarch` "auto" mean the configuration's platform (the host by
 * default); cross builds are pure. We build static (CGO_ENABLED=0) unless `pure = "off"`,
 * because images built from scratch cannot hold a dynamically linked binary.
 */
export const goBinaryRule: RuleDef = {
  kind: 'go_binary',
  queued: true,
  attrs: {
    ...COMMON_ATTRS,
    ...GO_COMMON_ATTRS,
    goos: { type: 'string' },
    goarch: { type: 'string' },
    pure: { type: 'string' },
    static: { type: 'string' },
    race: { type: 'string' },
    msan: { type: 'string' },
    linkmode: { type: 'string' },
    gc_linkopts: { type: 'string_list' },
    gotags: { type: 'string_list' },
    out: { type: 'string' },
    basename: { type: 'string' },
    env: { type: 'ignored' },
    args: { type: 'ignored' },
    env_inherit: { type: 'ignored' },
  },
  validate(attrs) {
    const goos = attrs.string('goos', 'auto');
    const goarch = attrs.string('goarch', 'auto');
    if (!GOOS.has(goos)) throw new AttrError(`attribute "goos": unknown GOOS "${goos}"`);
    if (!GOARCH.has(goarch)) throw new AttrError(`attribute "goarch": unknown GOARCH "${goarch}"`);
    const pure = attrs.string('pure', 'auto');
    if (!['auto', 'on', 'off'].includes(pure)) throw new AttrError(`attribute "pure": expected "auto", "on" or "off", got "${pure}"`);
    const linkmode = attrs.string('linkmode', 'auto');
    if (!['auto', 'normal'].includes(linkmode)) throw new AttrError(`attribute "linkmode": "${linkmode}" is not supported (only "normal")`);
    for (const a of ['race', 'msan']) {
      if (attrs.string(a, 'auto') === 'on') throw new AttrError(`attribute "${a}": "on" is not supported for container images`);
    }
  },
  async build(ctx) {
    const label = ctx.target.label.toString();
    const tc = await ctx.goToolchain();
    const platform = ctx.config.platform;
    const goosAttr = ctx.attrs.string('goos', 'auto');
    const goarchAttr = ctx.attrs.string('goarch', 'auto');
    const pure = ctx.attrs.string('pure', 'auto');
    const osGiven = goosAttr !== 'auto' ? goosAttr : platform?.os;
    const archGiven = goarchAttr !== 'auto' ? goarchAttr : platform?.architecture;
    // The host platform is only asked for when it decides something (go env costs a process).
    const host = osGiven === undefined || archGiven === undefined || pure === 'off' ? await tc.host() : undefined;
    const goos = osGiven ?? (host as { os: string }).os;
    const goarch = archGiven ?? (host as { arch: string }).arch;
    // The variant applies only when the architecture came from the configuration.
    const variant = goarchAttr === 'auto' ? platform?.variant : undefined;
    const cgo = pure === 'off' && host !== undefined && goos === host.os && goarch === host.arch;

    let dir = goPackageDir(label, ctx.files('srcs'));
    for (const p of ctx.deps('embed')) {
      if (!p.goLibrary) continue;
      if (dir !== undefined && dir !== p.goLibrary.dir) {
        throw new Error(`${label}: srcs and embedded libraries are in different directories`);
      }
      dir = p.goLibrary.dir;
    }
    if (dir === undefined) throw new Error(`${label}: go_binary has no Go sources (set srcs or embed a go_library)`);
    const moduleRoot = findModuleRoot(dir, ctx.workspaceRoot, label);
    const relPkg = relative(moduleRoot, dir).split(sep).join('/');

    const name = ctx.attrs.string('out') ?? ctx.attrs.string('basename') ?? ctx.target.label.name;
    const outName = ctx.attrs.has('out') ? name : `${ctx.target.label.name}_/${name}`;
    const out = join(await ctx.outDir(), outName);
    const request: GoBuildRequest = {
      moduleRoot,
      packagePath: relPkg === '' ? '.' : `./${relPkg}`,
      goos,
      goarch,
      goarm: goarch === 'arm' && variant ? variant.replace(/^v/, '') : undefined,
      goamd64: goarch === 'amd64' && variant ? variant : undefined,
      cgo,
      xDefs: ctx.attrs.stringDict('x_defs'),
      gcLinkopts: ctx.attrs.stringList('gc_linkopts'),
      gcGoopts: ctx.attrs.stringList('gc_goopts'),
      tags: ctx.attrs.stringList('gotags'),
      compilationMode: ctx.compilationMode,
      out,
      label,
    };
    const what = `${goos}/${goarch}${variant ? `/${variant}` : ''} binary`;
    // The queue keys the binary by its packages' files, skips it when unchanged, else builds it
    // together with the run's other binaries of the same flags (src/go/batch.ts).
    if ((await ctx.goBuilds.build(tc, request, ctx.env)) === 'up to date') {
      ctx.log.info(`${label}: ${what} up to date (no input changed since it was built)`);
    } else {
      ctx.log.info(`${label}: built ${what}`);
    }
    const file: FileRef = { path: out, shortPath: ctx.outShortPath(outName), generated: true };
    return { files: [file], executable: file };
  },
};
