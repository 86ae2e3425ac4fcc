import { COMMON_ATTRS } from './schema.ts';
import type { RuleDef } from './rule.ts';

export const filegroupRule: RuleDef = {
  kind: 'filegroup',
  attrs: { ...COMMON_ATTRS, srcs: { type: 'label_list' }, data: { type: 'ignored' }, output_group: { type: 'ignored' } },
  async build(ctx) {
    return { files: ctx.files('srcs') };
  },
};

/** alias: forwards everything its actual target provides. */
export const aliasRule: RuleDef = {
  kind: 'alias',
  attrs: { ...COMMON_ATTRS, actual: { type: 'label', mandatory: true } },
  async build(ctx) {
    const [p] = ctx.deps('actual');
    if (!p) throw new Error('alias has no actual target');
    return p;
  },
};
