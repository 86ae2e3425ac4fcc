import { parseRepoTag } from '../registry/reference.ts';
import { AttrError } from './attrs.ts';
import { listValue } from './file_values.ts';
import { COMMON_ATTRS } from './schema.ts';
import type { RuleDef } from './rule.ts';

/** rules_oci 2.0 oci_load (and 1.x oci_tarball): running it loads the image into Docker. */
export const ociLoadRule: RuleDef = {
  kind: 'oci_load',
  attrs: {
    ...COMMON_ATTRS,
    image: { type: 'label', mandatory: true },
    repo_tags: { type: 'string_list_or_label' },
    format: { type: 'string' },
    loader: { type: 'ignored' },
    exec_properties: { type: 'ignored' },
  },
  validate(attrs) {
    const format = attrs.string('format', 'docker');
    if (format !== 'docker' && format !== 'oci') throw new AttrError(`attribute "format": expected "docker" or "oci", got "${format}"`);
    const tags = attrs.listOrLabel('repo_tags');
    if (tags && 'list' in tags) {
      for (const t of tags.list) {
        try {
          parseRepoTag(t);
        } catch (err) {
          throw new AttrError(`attribute "repo_tags": ${(err as Error).message}`);
        }
      }
    }
  },
  async build(ctx) {
    const [p] = ctx.deps('image');
    const artifact = p?.artifact;
    if (!artifact) throw new Error(`attribute "image": ${ctx.attrs.label('image')} is not an oci_image or oci_image_index`);
    const repoTags = (await listValue(ctx, ctx.attrs, 'repo_tags')) ?? [];
    for (const t of repoTags) {
      try {
        parseRepoTag(t);
      } catch (err) {
        throw new Error(`attribute "repo_tags": ${(err as Error).message}`);
      }
    }
    const format = ctx.attrs.string('format', 'docker') === 'oci' ? 'oci' : 'docker';
    return { files: p.files, artifact, run: { kind: 'load', repoTags, format } };
  },
};
