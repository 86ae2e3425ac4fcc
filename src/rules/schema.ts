// Attribute types, as far as oci-build needs to know them. Values are checked after select()
// resolution, per configuration, so a wrong type is reported where the target was declared.

export type AttrType =
  | 'string'
  | 'string_list'
  | 'bool'
  | 'int'
  | 'label'
  | 'label_list'
  | 'string_dict'
  | 'label_keyed_string_dict'
  /** A list of strings, or a label of a file holding them one per line (rules_oci). */
  | 'string_list_or_label'
  /** A dict of strings, or a label of a file holding `key=value` lines (rules_oci). */
  | 'string_dict_or_label'
  /** A label of a platform(): read for a transition, not built. */
  | 'platform'
  | 'platform_list'
  /** Accepted and not used (visibility, tags, ...). */
  | 'ignored';

export interface AttrSpec {
  type: AttrType;
  mandatory?: boolean;
  /**
   * Labels that are followed only when they name a target oci-build builds: others (external
   * repositories, kinds it does not build, packages that do not load) are left out, not errors.
   * rules_go `deps`: the go command resolves imports itself; the graph only adds what it must
   * know (generated sources of libraries in this workspace).
   */
  lenient?: boolean;
}

export type AttrSchema = Record<string, AttrSpec>;

/** Attributes every Bazel rule accepts. */
export const COMMON_ATTRS: AttrSchema = Object.fromEntries(
  [
    'visibility',
    'tags',
    'testonly',
    'deprecation',
    'features',
    'compatible_with',
    'target_compatible_with',
    'exec_compatible_with',
    'exec_properties',
    'restricted_to',
    'licenses',
    'applicable_licenses',
    'package_metadata',
    'toolchains',
    'aspect_hints',
    'transitive_configs',
    'generator_name',
    'generator_function',
    'generator_location',
    'size',
    'timeout',
    'flaky',
    'shard_count',
    'local',
    'stamp',
    'resource_set',
  ].map((n) => [n, { type: 'ignored' } satisfies AttrSpec]),
);
