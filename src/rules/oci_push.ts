import { parseReference, validateTag } from '../registry/reference.ts';
import { AttrError } from './attrs.ts';
import { fileText, listValue } from './file_values.ts';
import { COMMON_ATTRS } from './schema.ts';
import type { RuleDef } from './rule.ts';

export function checkRepository(repository: string, what: string): void {
  let ref;
  try {
    ref = parseReference(repository);
  } catch (err) {
    throw new AttrError(`${what}: ${(err as Error).message}`);
  }
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new AttrError(`${what}: "${repository}" must be a repository without a tag or digest`);
  }
}

/** rules_oci 2.0 oci_push: running it pushes the image by digest, then applies `remote_tags`. */
export const ociPushRule: RuleDef = {
  kind: 'oci_push',
  attrs: {
    ...COMMON_ATTRS,
    image: { type: 'label', mandatory: true },
    repository: { type: 'string' },
    repository_file: { type: 'label' },
    remote_tags: { type: 'string_list_or_label' },
  },
  validate(attrs) {
    if (attrs.has('repository') && attrs.has('repository_file')) {
      throw new AttrError('set "repository" or "repository_file", not both');
    }
    const repo = attrs.string('repository');
    if (repo !== undefined) checkRepository(repo, 'attribute "repository"');
    const tags = attrs.listOrLabel('remote_tags');
    if (tags && 'list' in tags) {
      for (const t of tags.list) {
        try {
          validateTag(t);
        } catch (err) {
          throw new AttrError(`attribute "remote_tags": ${(err as Error).message}`);
        }
      }
    }
  },
  async build(ctx) {
    const [p] = ctx.deps('image');
    const artifact = p?.artifact;
    if (!p || !artifact) throw new Error(`attribute "image": ${ctx.attrs.label('image')} is not an oci_image or oci_image_index`);
    const repository = ctx.attrs.string('repository') ?? (await fileText(ctx, 'repository_file'));
    if (repository !== undefined) checkRepository(repository, 'repository');
    const remoteTags = (await listValue(ctx, ctx.attrs, 'remote_tags')) ?? [];
    for (const t of remoteTags) validateTag(t);
    return { files: p.files, artifact, run: { kind: 'push', repository, remoteTags } };
  },
};
