// sh_binary (native, or rules_shell's): its one `srcs` file is the executable. Bazel links it
// into the output tree; here the source file itself is the executable, which is what a genrule's
// `tools` needs ($(location :tool) runs it from the exec root). It must be executable on disk.
import { COMMON_ATTRS } from './schema.ts';
import type { RuleDef } from './rule.ts';

export const shBinaryRule: RuleDef = {
  kind: 'sh_binary',
  dependencyOnly: true,
  attrs: {
    ...COMMON_ATTRS,
    srcs: { type: 'label_list', mandatory: true },
    data: { type: 'label_list' },
    deps: { type: 'ignored' },
    env: { type: 'ignored' },
    env_inherit: { type: 'ignored' },
    args: { type: 'ignored' },
    output_licenses: { type: 'ignored' },
    use_bash_launcher: { type: 'ignored' },
  },
  async build(ctx) {
    const srcs = ctx.files('srcs');
    if (srcs.length !== 1) throw new Error(`attribute "srcs": sh_binary needs exactly one file, got ${srcs.length}`);
    const exe = srcs[0] as (typeof srcs)[number];
    return { files: [exe, ...ctx.files('data')], executable: exe };
  },
};
