// The .bzl modules of rule sets oci-build models: which exported symbol is which rule kind.
// Kinds are resolved through load() from these tables, never from the name a BUILD file uses.

/** Repository names that mean the same rule set (WORKSPACE-era names, bazel_dep names). */
const REPO_ALIASES: Record<string, string> = {
  io_bazel_rules_go: 'rules_go',
  bazel_gazelle: 'gazelle',
  rules_oci: 'rules_oci',
  rules_pkg: 'rules_pkg',
  // aspect_bazel_lib moved to bazel-contrib as bazel_lib.
  bazel_lib: 'aspect_bazel_lib',
};

const RULES_GO = {
  go_binary: 'go_binary',
  go_library: 'go_library',
  go_test: 'go_test',
  go_cross_binary: 'go_cross_binary',
  go_source: 'go_source',
  go_path: 'go_path',
  go_embed_data: 'go_embed_data',
  nogo: 'nogo',
  go_proto_library: 'go_proto_library',
};
const RULES_OCI = {
  oci_image: 'oci_image',
  oci_image_rule: 'oci_image',
  oci_image_index: 'oci_image_index',
  oci_load: 'oci_load',
  oci_tarball: 'oci_load',
  oci_push: 'oci_push',
  oci_push_rule: 'oci_push',
};
const RULES_PKG = { pkg_tar: 'pkg_tar', pkg_zip: 'pkg_zip', pkg_deb: 'pkg_deb', pkg_rpm: 'pkg_rpm' };

const MODULES: Record<string, Record<string, string>> = {
  '@rules_go//go:def.bzl': RULES_GO,
  '@rules_oci//oci:defs.bzl': RULES_OCI,
  '@rules_pkg//:pkg.bzl': RULES_PKG,
  '@rules_pkg//pkg:pkg.bzl': RULES_PKG,
  '@rules_pkg//pkg:tar.bzl': { pkg_tar: 'pkg_tar' },
  '@rules_pkg//pkg:mappings.bzl': {
    pkg_files: 'pkg_files',
    pkg_mkdirs: 'pkg_mkdirs',
    pkg_mklink: 'pkg_mklink',
    pkg_filegroup: 'pkg_filegroup',
  },
  '@gazelle//:def.bzl': { gazelle: 'gazelle', gazelle_binary: 'gazelle_binary', gazelle_test: 'gazelle_test' },
  '@aspect_bazel_lib//lib:expand_template.bzl': { expand_template: 'expand_template', expand_template_rule: 'expand_template' },
  '@bazel_skylib//rules:expand_template.bzl': { expand_template: 'skylib_expand_template' },
  '@bazel_skylib//rules:write_file.bzl': { write_file: 'write_file' },
  '@bazel_skylib//rules:copy_file.bzl': { copy_file: 'copy_file' },
  '@aspect_bazel_lib//lib:copy_file.bzl': { copy_file: 'copy_file' },
  '@rules_shell//shell:sh_binary.bzl': { sh_binary: 'sh_binary' },
  '@rules_go//proto:def.bzl': { go_proto_library: 'go_proto_library', go_grpc_library: 'go_proto_library' },
  '@aspect_bazel_lib//lib:write_file.bzl': { write_file: 'write_file' },
  '@aspect_bazel_lib//lib:tar.bzl': { tar: 'tar', tar_rule: 'tar', mtree_spec: 'mtree_spec', mtree_mutate: 'mtree_mutate' },
  '@tar.bzl//tar:tar.bzl': { tar: 'tar', tar_rule: 'tar' },
  '@tar.bzl//tar:mtree.bzl': { mtree_spec: 'mtree_spec', mtree_mutate: 'mtree_mutate' },
  '@tar.bzl//:tar.bzl': { tar: 'tar', tar_rule: 'tar', mtree_spec: 'mtree_spec', mtree_mutate: 'mtree_mutate' },
  '@aspect_bazel_lib//lib:transitions.bzl': {
    platform_transition_filegroup: 'platform_transition_filegroup',
    platform_transition_binary: 'platform_transition_binary',
    platform_transition_test: 'platform_transition_test',
  },
};

/**
 * For a rule used without its load(): the load() line that defines it.
 */
export function loadHint(name: string): string | undefined {
  const module = PREFERRED_MODULE[name] ?? Object.keys(MODULES).find((m) => Object.hasOwn(MODULES[m], name));
  return module ? `missing load("${module}", "${name}") at the top of the file (rules come from load(), as in Bazel)` : undefined;
}

/** Where the rule sets' documentation loads these from today. */
const PREFERRED_MODULE: Record<string, string> = {
  pkg_tar: '@rules_pkg//pkg:tar.bzl',
  tar: '@tar.bzl//tar:tar.bzl',
  mtree_spec: '@tar.bzl//tar:mtree.bzl',
};

export function canonicalRepo(repo: string): string {
  return REPO_ALIASES[repo] ?? repo;
}

/**
 * The rule kinds a known module exports, keyed by symbol; undefined for modules we do not
 * model (their symbols become stubs whose targets are recorded but not built).
 */
export function knownModule(repo: string, pkg: string, name: string): Record<string, string> | undefined {
  return MODULES[`@${canonicalRepo(repo)}//${pkg}:${name}`];
}

/** Helper functions (not rules) of known modules that return their keyword arguments as a dict. */
const KWARGS_HELPERS: Record<string, string[]> = {
  '@tar.bzl//tar:mtree.bzl': ['mutate'],
  '@tar.bzl//:tar.bzl': ['mutate'],
  '@aspect_bazel_lib//lib:tar.bzl': ['mutate'],
};

export function isKwargsHelper(repo: string, pkg: string, name: string, symbol: string): boolean {
  return KWARGS_HELPERS[`@${canonicalRepo(repo)}//${pkg}:${name}`]?.includes(symbol) ?? false;
}
