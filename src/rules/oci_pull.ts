import { join } from 'node:path';
import { writeLayout } from '../oci/layout.ts';
import { familyOf } from '../oci/mediatypes.ts';
import { formatPlatform, hostPlatform, normalizePlatform, parsePlatform, platformSatisfies } from '../oci/platform.ts';
import type { Digest } from '../oci/types.ts';
import { parseReference, validateTag } from '../registry/reference.ts';
import { isDigest, quoteUntrusted } from '../oci/digest.ts';
import { resolveImage } from '../registry/pull.ts';
import { AttrError } from './attrs.ts';
import { COMMON_ATTRS } from './schema.ts';
import type { RuleDef } from './rule.ts';
import type { BlobSource, BuiltImage } from '../oci/artifact.ts';

const warnedTags = new Set<string>();

/**
 * A base image declared with rules_oci's `oci.pull` in MODULE.bazel, seen by BUILD files as
 * `@name` (the configuration's platform) or `@name_<os>_<arch>[_<variant>]`. The manifest
 * and config are fetched into the content-addressed store once (a digest reference is never
 * fetched again); the layers only when their bytes are needed.
 */
export const ociPullRule: RuleDef = {
  kind: 'oci_pull',
  attrs: {
    ...COMMON_ATTRS,
    image: { type: 'string', mandatory: true },
    digest: { type: 'string' },
    tag: { type: 'string' },
    platform: { type: 'string' },
    platforms: { type: 'string_list' },
    reproducible: { type: 'bool' },
  },
  validate(attrs) {
    try {
      parseReference(attrs.string('image', ''));
    } catch (err) {
      throw new AttrError(`attribute "image": ${(err as Error).message}`);
    }
    const digest = attrs.string('digest');
    if (digest !== undefined && !isDigest(digest)) {
      throw new AttrError(`attribute "digest": ${quoteUntrusted(digest)} is not a sha256 or sha512 digest`);
    }
    const tag = attrs.string('tag');
    if (tag !== undefined) {
      try {
        validateTag(tag);
      } catch (err) {
        throw new AttrError(`attribute "tag": ${(err as Error).message}`);
      }
    }
  },
  async build(ctx) {
    const a = ctx.attrs;
    const image = a.string('image', '');
    const ref = parseReference(image);
    const name = ctx.target.label.repo;
    const fixed = a.string('platform');
    const want = normalizePlatform(fixed ? parsePlatform(fixed) : (ctx.config.platform ?? hostPlatform()));
    const declared = a.stringList('platforms').map((p) => parsePlatform(p));
    if (declared.length > 0 && !declared.some((p) => platformSatisfies(want, p))) {
      throw new Error(
        `oci.pull(name = "${name}") lists platforms ${declared.map(formatPlatform).join(', ')}; ${formatPlatform(want)} is not among them`,
      );
    }
    const digest = a.string('digest') as Digest | undefined;
    const tag = a.string('tag');
    // rules_oci: `reproducible = False` says a moving tag is intended; no warning then.
    if (!digest && tag && a.bool('reproducible', true) && !warnedTags.has(image)) {
      warnedTags.add(image);
      ctx.log.warning(
        `${ctx.target.pos.file}:${ctx.target.pos.line}:${ctx.target.pos.column}: oci.pull(name = "${name}") uses tag "${tag}", not a digest: builds are not reproducible. Pin it with digest = "sha256:...", or set reproducible = False if that is intended`,
      );
    }
    const client = ctx.registries.client(ref.registry);
    // Without `platforms` (and without a platform in the repository name), a single-platform
    // image is the image, as in rules_oci: its platform becomes the image's (per-arch bases such
    // as @base_arm64 from an arm64 tag). `want` then only picks from an index.
    const inherit = declared.length === 0 && !fixed;
    const resolved = await resolveImage(client, ref.repository, digest ?? tag ?? 'latest', want, { store: ctx.store, checkSinglePlatform: !inherit });
    const source: BlobSource = { registry: ref.registry, repository: ref.repository };
    // Layers are downloaded only when something needs their bytes (see BlobStore.ensure).
    for (const l of resolved.layers) {
      ctx.store.addRemote(l.digest, {
        size: l.size,
        from: `${ref.registry}/${ref.repository}`,
        fetch: () => client.getBlob(ref.repository, l.digest, ctx.store, l.size).then(() => undefined),
      });
    }
    const layerSources = new Map<Digest, BlobSource>(resolved.layers.map((l) => [l.digest, source]));
    const platform: BuiltImage['platform'] = { os: resolved.config.os, architecture: resolved.config.architecture };
    if (resolved.config.variant) platform.variant = resolved.config.variant;
    const descriptor = { ...resolved.manifestDescriptor, platform };
    const layoutDir = join(await ctx.outDir(), 'image');
    await writeLayout(ctx.store, layoutDir, [{ descriptor }]);
    ctx.log.info(`@${name}: ${ref.registry}/${ref.repository}@${descriptor.digest} (${formatPlatform(platform)})`);
    const artifact: BuiltImage = {
      kind: 'image',
      descriptor,
      manifest: resolved.manifest,
      config: resolved.config,
      platform,
      family: familyOf(resolved.manifest.mediaType),
      layoutDir,
      layerSources,
      reference: `${ref.registry}/${ref.repository}${digest ? `@${digest}` : `:${tag ?? 'latest'}`}`,
    };
    return { files: [{ path: layoutDir, shortPath: `external/${name}/image`, generated: true }], artifact };
  },
};
