// Bazel's output file targets: `//pkg:parser.go` where parser.go is in a genrule's `outs` (or a
// write_file's `out`, ...) names just that file. The workspace makes such a target when a label
// names a declared output; it depends on the generating rule and provides the one file.
import { COMMON_ATTRS } from './schema.ts';
import type { RuleDef } from './rule.ts';

export const outputFileRule: RuleDef = {
  kind: 'output_file',
  dependencyOnly: true,
  attrs: { ...COMMON_ATTRS, generator: { type: 'label', mandatory: true }, out: { type: 'string', mandatory: true } },
  async build(ctx) {
    const out = ctx.attrs.string('out') as string;
    const want = ctx.outShortPath(out);
    const [gen] = ctx.deps('generator');
    const file = gen?.files.find((f) => f.shortPath === want);
    if (!gen || !file) throw new Error(`${ctx.attrs.label('generator')} did not provide its declared output ${want}`);
    return gen.executable?.shortPath === want ? { files: [file], executable: file } : { files: [file] };
  },
};
