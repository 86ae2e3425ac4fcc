import { join } from 'node:path';
import { buildIndex, readIndex } from '../oci/imageindex.ts';
import { writeLayout } from '../oci/layout.ts';
import { COMMON_ATTRS } from './schema.ts';
import { withPlatform } from '../engine/config.ts';
import type { RuleDef } from './rule.ts';
import type { BuiltImage, BuiltIndex } from '../oci/artifact.ts';

/** rules_oci 2.0 oci_image_index over several single-platform images. */
export const ociImageIndexRule: RuleDef = {
  kind: 'oci_image_index',
  attrs: {
    ...COMMON_ATTRS,
    images: { type: 'label_list', mandatory: true },
    platforms: { type: 'platform_list' },
    annotations: { type: 'string_dict' },
  },
  // rules_oci 2.x: with `platforms`, every image is built once per platform (a transition).
  depConfigs(attrs, attr, config, platforms) {
    const list = attrs.labelList('platforms');
    if (attr !== 'images' || list.length === 0) return [config];
    return list.map((l) => withPlatform(platforms(l)));
  },
  async build(ctx) {
    const images: BuiltImage[] = [];
    const labels = ctx.attrs.labelList('images');
    const perImage = Math.max(1, ctx.attrs.labelList('platforms').length);
    for (const [i, p] of ctx.deps('images').entries()) {
      const art = p.artifact;
      const label = labels[Math.floor(i / perImage)];
      if (!art) throw new Error(`attribute "images": ${label} is not an oci_image`);
      if (art.kind !== 'image') throw new Error(`attribute "images": ${label} is an index; an index holds single-platform images`);
      images.push(art);
    }
    const family = images.every((i) => i.family === 'docker') ? 'docker' : 'oci';
    const annotations = { ...ctx.attrs.stringDict('annotations'), ...ctx.metadata.indexAnnotations };
    const descriptor = await buildIndex(ctx.store, images.map((i) => i.descriptor), annotations, family);
    const layoutDir = join(await ctx.outDir(), ctx.target.label.name);
    await writeLayout(ctx.store, layoutDir, [{ descriptor }]);
    const artifact: BuiltIndex = {
      kind: 'index',
      descriptor,
      index: await readIndex(ctx.store, descriptor.digest),
      images,
      family,
      layoutDir,
    };
    ctx.log.info(`${ctx.target.label}: index ${descriptor.digest} (${images.length} image(s))`);
    return { files: [{ path: layoutDir, shortPath: ctx.outShortPath(ctx.target.label.name), generated: true }], artifact };
  },
};
