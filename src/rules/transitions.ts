import { link, copyFile, rm, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { withPlatform } from '../engine/config.ts';
import { COMMON_ATTRS } from './schema.ts';
import type { BuildContext, RuleDef } from './rule.ts';
import type { FileRef, Provider } from './provider.ts';

/** Everything one dependency provides, or the union of files when there are several. */
function forward(providers: Provider[]): Provider {
  if (providers.length === 1) return providers[0] as Provider;
  const out: Provider = { files: providers.flatMap((p) => p.files) };
  const artifacts = providers.filter((p) => p.artifact);
  if (artifacts.length === 1) out.artifact = artifacts[0]?.artifact;
  return out;
}

/** The executable of `p`, linked under this target's own name (as the rules do). */
async function renamedExecutable(ctx: BuildContext, p: Provider | undefined, attr: string): Promise<Provider> {
  const exe = p?.executable;
  if (!p || !exe) throw new Error(`attribute "${attr}": ${ctx.attrs.label(attr)} is not an executable (a go_binary, for example)`);
  const name = ctx.target.label.name;
  const dest = join(await ctx.outDir(), name);
  await mkdir(dirname(dest), { recursive: true });
  await rm(dest, { force: true });
  await link(exe.path, dest).catch(() => copyFile(exe.path, dest));
  const file: FileRef = { path: dest, shortPath: ctx.outShortPath(name), generated: true };
  return { files: [file], executable: file };
}

/** aspect_bazel_lib platform_transition_filegroup: `srcs` built for `target_platform`. */
export const platformTransitionFilegroupRule: RuleDef = {
  kind: 'platform_transition_filegroup',
  attrs: { ...COMMON_ATTRS, srcs: { type: 'label_list' }, target_platform: { type: 'platform', mandatory: true } },
  depConfigs(attrs, attr, config, platforms) {
    const target = attrs.label('target_platform');
    return attr === 'srcs' && target ? [withPlatform(platforms(target))] : [config];
  },
  async build(ctx) {
    return forward(ctx.deps('srcs'));
  },
};

/** aspect_bazel_lib platform_transition_binary: `binary` built for `target_platform`. */
export const platformTransitionBinaryRule: RuleDef = {
  kind: 'platform_transition_binary',
  attrs: { ...COMMON_ATTRS, binary: { type: 'label', mandatory: true }, target_platform: { type: 'platform', mandatory: true }, basename: { type: 'string' } },
  depConfigs(attrs, attr, config, platforms) {
    const target = attrs.label('target_platform');
    return attr === 'binary' && target ? [withPlatform(platforms(target))] : [config];
  },
  async build(ctx) {
    return renamedExecutable(ctx, ctx.deps('binary')[0], 'binary');
  },
};

/** rules_go go_cross_binary: `target` (a go_binary) built for `platform`. */
export const goCrossBinaryRule: RuleDef = {
  kind: 'go_cross_binary',
  attrs: { ...COMMON_ATTRS, target: { type: 'label', mandatory: true }, platform: { type: 'platform' }, sdk_version: { type: 'ignored' } },
  depConfigs(attrs, attr, config, platforms) {
    const p = attrs.label('platform');
    return attr === 'target' && p ? [withPlatform(platforms(p))] : [config];
  },
  async build(ctx) {
    return renamedExecutable(ctx, ctx.deps('target')[0], 'target');
  },
};
