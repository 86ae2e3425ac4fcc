import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { GoBuildRequest } from '../go/build.ts';
import { AttrError } from './attrs.ts';
import { GO_COMMON_ATTRS, depOverlays, goSources } from './go_library.ts';
import { writeOverlay } from '../go/overlay.ts';
import { goModfile } from '../go/module_overrides.ts';
import { BuildError } from '../errors.ts';
import { COMMON_ATTRS } from './schema.ts';
import type { BuildContext, RuleDef } from './rule.ts';
import { stampXDefs } from './stamp.ts';
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
  throw new BuildError(`no go.mod at or above ${relative(workspaceRoot, dir) || '.'} within the workspace (the go command needs one)`, { label });
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
    // pure = "off" asks for cgo. Across platforms that needs a C compiler for the target: without
    // one, stop rather than silently build a pure-Go binary the user did not ask for.
    let cgo = false;
    let env = ctx.env;
    if (pure === 'off' && host !== undefined) {
      const crossCC = `CC_FOR_${goos}_${goarch}`;
      if (goos === host.os && goarch === host.arch) cgo = true;
      else if (ctx.env[crossCC] || ctx.env.CC) {
        cgo = true;
        // The go command reads only CC at run time; CC_FOR_<goos>_<goarch> is the target's.
        if (ctx.env[crossCC]) env = { ...ctx.env, CC: ctx.env[crossCC] };
      } else {
        throw new BuildError(
          `pure = "off" needs cgo, but ${goos}/${goarch} is not this host's platform (${host.os}/${host.arch}) and no C cross compiler is configured: set ${crossCC} (or CC) to a compiler for ${goos}/${goarch}, e.g. ${goarch === 'arm64' ? 'aarch64' : goarch === 'amd64' ? 'x86_64' : goarch}-linux-gnu-gcc, or remove pure = "off"`,
          { label },
        );
      }
    }

    const own = goSources(ctx);
    let dir = own.dir;
    for (const p of ctx.deps('embed')) {
      if (!p.goLibrary) continue;
      if (dir !== undefined && dir !== p.goLibrary.dir) {
        throw new BuildError('srcs and embedded libraries are in different directories', { label });
      }
      dir = p.goLibrary.dir;
    }
    if (dir === undefined) throw new BuildError('go_binary has no Go sources (set srcs or embed a go_library)', { label });
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
      ...(await stampedXDefs(ctx, label)),
      gcLinkopts: ctx.attrs.stringList('gc_linkopts'),
      gcGoopts: ctx.attrs.stringList('gc_goopts'),
      tags: ctx.attrs.stringList('gotags'),
      compilationMode: ctx.compilationMode,
      out,
      label,
    };
    const overlay = { ...depOverlays(ctx, ['deps', 'embed']), ...own.overlay };
    if (Object.keys(overlay).length > 0) request.overlay = await writeOverlay(ctx.outRoot, overlay);
    const goDeps = ctx.moduleInfo?.().goDeps;
    if (goDeps) {
      const modfile = await goModfile({ go: tc.go, moduleRoot, workspaceRoot: ctx.workspaceRoot, outRoot: ctx.outRoot, goDeps, env: ctx.env, log: (m) => ctx.log.info(m) });
      if (modfile !== undefined) request.modfile = modfile;
    }
    const what = `${goos}/${goarch}${variant ? `/${variant}` : ''} binary`;
    // The queue keys the binary by its packages' files, skips it when unchanged, else builds it
    // together with the run's other binaries of the same flags (src/go/batch.ts).
    const fresh = (await ctx.goBuilds.build(tc, request, env)) === 'built';
    if (fresh) ctx.log.info(`${label}: built ${what}`);
    else ctx.log.info(`${label}: ${what} up to date (no input changed since it was built)`);
    const file: FileRef = { path: out, shortPath: ctx.outShortPath(outName), generated: true };
    return fresh ? { files: [file], executable: file, fresh } : { files: [file], executable: file };
  },
};

/**
 * x_defs with `{KEY}` stamped as rules_go's linker does (see stampXDefs); says what was left
 * unset. `stamped` when workspace status values went in.
 */
async function stampedXDefs(ctx: BuildContext, label: string): Promise<{ xDefs: Record<string, string>; stamped?: true }> {
  const { xDefs, dropped, stamped } = await stampXDefs(ctx.attrs.stringDict('x_defs'), ctx.stamp);
  for (const d of dropped) {
    const keys = d.missing.map((k) => `{${k}}`).join(', ');
    if (ctx.stamp.enabled) ctx.log.warning(`${label}: x_defs "${d.name}" left unset: no workspace status value for ${keys}`);
    else ctx.log.info(`${label}: x_defs "${d.name}" left unset: it names ${keys} and stamping is off (bazel --stamp / the stamp input)`);
  }
  return stamped ? { xDefs, stamped } : { xDefs };
}
