import { aliasRule, filegroupRule } from './filegroup.ts';
import { goBinaryRule } from './go_binary.ts';
import { goLibraryRule, goProtoLibraryRule } from './go_library.ts';
import { genruleRule } from './genrule.ts';
import { copyFileRule } from './copy_file.ts';
import { outputFileRule } from './output_file.ts';
import { shBinaryRule } from './sh_binary.ts';
import { ociImageIndexRule } from './oci_image_index.ts';
import { ociImageRule } from './oci_image.ts';
import { ociLoadRule } from './oci_load.ts';
import { pkgTarRule } from './pkg_tar.ts';
import { expandTemplateRule, skylibExpandTemplateRule } from './expand_template.ts';
import { writeFileRule } from './write_file.ts';
import { tarRule } from './tar.ts';
import { mtreeMutateRule, mtreeSpecRule } from './mtree_spec.ts';
import { ociPullRule } from './oci_pull.ts';
import { ociPushRule } from './oci_push.ts';
import { goCrossBinaryRule, platformTransitionBinaryRule, platformTransitionFilegroupRule } from './transitions.ts';
import type { RuleDef } from './rule.ts';

const RULES: ReadonlyMap<string, RuleDef> = new Map(
  [goLibraryRule, goBinaryRule, pkgTarRule, ociImageRule, ociImageIndexRule, ociLoadRule, ociPushRule, ociPullRule, filegroupRule, aliasRule, platformTransitionFilegroupRule, platformTransitionBinaryRule, goCrossBinaryRule, expandTemplateRule, skylibExpandTemplateRule, writeFileRule, tarRule, mtreeSpecRule, mtreeMutateRule, genruleRule, copyFileRule, outputFileRule, goProtoLibraryRule, shBinaryRule].map((r) => [r.kind, r]),
);

/** The rule oci-build builds for a kind, or undefined for kinds it only records. */
export function ruleFor(kind: string): RuleDef | undefined {
  return RULES.get(kind);
}
