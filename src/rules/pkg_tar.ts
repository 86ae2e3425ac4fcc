import { join } from 'node:path';
import { planPkgTar, writePkgTar, type PkgTarInputFile } from '../tar/pkg_tar.ts';
import { COMMON_ATTRS } from './schema.ts';
import { AttrError } from './attrs.ts';
import { pkgTarRunfiles } from './mtree_spec.ts';
import { isStamped } from './expand_template.ts';
import { planKey, withTarCache } from '../tar/cache.ts';
import { FILE_DIGEST_MEMO, rememberFileDigest } from '../util/file_digest_memo.ts';
import type { RuleDef } from './rule.ts';
import type { Provider } from './provider.ts';

function inputFiles(providers: Provider[]): PkgTarInputFile[] {
  const out: PkgTarInputFile[] = [];
  for (const p of providers) {
    for (const f of p.files) {
      out.push({ path: f.path, shortPath: f.shortPath, executable: p.executable?.path === f.path });
    }
  }
  return out;
}

/** rules_pkg 1.0.1 pkg_tar; the semantics live in src/tar/pkg_tar.ts. */
export const pkgTarRule: RuleDef = {
  kind: 'pkg_tar',
  attrs: {
    ...COMMON_ATTRS,
    srcs: { type: 'label_list' },
    deps: { type: 'label_list' },
    files: { type: 'label_keyed_string_dict' },
    package_dir: { type: 'string' },
    package_dir_file: { type: 'ignored' },
    strip_prefix: { type: 'string' },
    mode: { type: 'string' },
    modes: { type: 'string_dict' },
    owner: { type: 'string' },
    owners: { type: 'string_dict' },
    ownername: { type: 'string' },
    ownernames: { type: 'string_dict' },
    mtime: { type: 'int' },
    portable_mtime: { type: 'bool' },
    symlinks: { type: 'string_dict' },
    empty_files: { type: 'string_list' },
    empty_dirs: { type: 'string_list' },
    extension: { type: 'string' },
    remap_paths: { type: 'string_dict' },
    compressor: { type: 'ignored' },
    compressor_args: { type: 'ignored' },
    include_runfiles: { type: 'bool' },
    create_parents: { type: 'bool' },
    allow_duplicates_from_deps: { type: 'bool' },
    allow_duplicates_with_different_content: { type: 'ignored' },
    out: { type: 'string' },
    package_file_name: { type: 'string' },
    package_variables: { type: 'ignored' },
    private_stamp_detect: { type: 'ignored' },
    stamp: { type: 'int' },
  },
  validate(a) {
    // Modes are checked at analysis, with the target's position, before anything is built.
    const octal = /^\s*(?:0[oO])?[0-7]+(?:_[0-7]+)*\s*$/;
    const check = (value: string, what: string) => {
      if (!octal.test(value)) throw new AttrError(`attribute "${what}": invalid mode "${value}": expected an octal number such as "0644"`);
    };
    const mode = a.string('mode');
    if (mode !== undefined) check(mode, 'mode');
    if (a.has('modes')) for (const [path, m] of Object.entries(a.stringDict('modes'))) check(m, `modes[${JSON.stringify(path)}]`);
    const stamp = a.int('stamp');
    if (stamp !== undefined && stamp !== -1 && stamp !== 0 && stamp !== 1) {
      throw new AttrError(`attribute "stamp": has to be one of 1, 0, -1 instead of '${stamp}'`);
    }
  },
  async build(ctx) {
    const a = ctx.attrs;
    const files: Array<{ file: PkgTarInputFile; dest: string }> = [];
    for (const [label, dest] of a.labelKeyedDict('files')) {
      for (const f of inputFiles([ctx.dep(label)])) files.push({ file: f, dest });
    }
    // include_runfiles: each executable's runfiles tree and repo mapping, as rules_pkg adds them.
    const emptyFiles = a.stringList('empty_files');
    let modes = a.has('modes') ? a.stringDict('modes') : undefined;
    if (a.bool('include_runfiles', false)) {
      for (const r of pkgTarRunfiles(ctx.deps('srcs'), ctx.target.label.pkg, a.string('strip_prefix'))) {
        if (r.empty) emptyFiles.push(r.dest);
        else if (r.file) {
          files.push({ file: r.file, dest: r.dest });
          if (r.file.executable) modes = { ...modes, [r.dest]: '0755' };
        }
      }
    }
    // rules_pkg: a stamped pkg_tar (stamp = 1, or -1 under --stamp) dates its entries at the build
    // time, BUILD_TIMESTAMP of the workspace status, in place of mtime / portable_mtime.
    let mtime = a.int('mtime');
    let portableMtime = a.has('portable_mtime') ? a.bool('portable_mtime', true) : undefined;
    if (isStamped(a.int('stamp'), ctx.stamp.enabled)) {
      const ts = (await ctx.stamp.values()).BUILD_TIMESTAMP ?? '';
      if (!/^\d+$/.test(ts)) throw new Error(`stamp: BUILD_TIMESTAMP "${ts}" of the workspace status is not a whole number of seconds`);
      mtime = Number(ts);
      portableMtime = false;
    }
    const plan = planPkgTar({
      package: ctx.target.label.pkg,
      srcs: inputFiles(ctx.deps('srcs')),
      package_dir: a.string('package_dir'),
      strip_prefix: a.string('strip_prefix'),
      mode: a.string('mode'),
      modes,
      owner: a.string('owner'),
      owners: a.has('owners') ? a.stringDict('owners') : undefined,
      ownername: a.string('ownername'),
      ownernames: a.has('ownernames') ? a.stringDict('ownernames') : undefined,
      mtime,
      portable_mtime: portableMtime,
      files,
      symlinks: a.has('symlinks') ? a.stringDict('symlinks') : undefined,
      empty_files: emptyFiles,
      empty_dirs: a.stringList('empty_dirs'),
      deps: ctx.files('deps').map((f) => f.path),
      extension: a.string('extension'),
      remap_paths: a.has('remap_paths') ? a.stringDict('remap_paths') : undefined,
      create_parents: a.has('create_parents') ? a.bool('create_parents', true) : undefined,
      allow_duplicates_from_deps: a.has('allow_duplicates_from_deps') ? a.bool('allow_duplicates_from_deps', false) : undefined,
    });
    const ext = a.string('extension', 'tar');
    const name = a.string('out') ?? a.string('package_file_name') ?? `${ctx.target.label.name}.${ext}`;
    const dest = join(await ctx.outDir(), name);
    // Content-keyed: an unchanged layer (same files, same attributes) is linked, not packed again.
    const memoDir = join(ctx.store.root, FILE_DIGEST_MEMO);
    const key = await planKey(plan, memoDir);
    let written: string | undefined;
    const outcome = await withTarCache(join(ctx.store.root, 'cache', 'pkg_tar'), key, dest, async () => {
      written = (await writePkgTar(plan, dest, (m) => ctx.log.warning(`${ctx.target.label}: ${m}`))).sha256;
    });
    // The tar was hashed as it was written: the image that packs it need not read it again.
    if (written !== undefined) await rememberFileDigest(dest, written, memoDir);
    if (outcome === 'hit') for (const w of plan.warnings) ctx.log.warning(`${ctx.target.label}: ${w}`);
    return { files: [{ path: dest, shortPath: ctx.outShortPath(name), generated: true }] };
  },
};
