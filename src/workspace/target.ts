import type { Position, Value } from '../starlark/index.ts';
import type { Label } from './label.ts';

/** A rule instance recorded while a BUILD file was evaluated; attributes may still hold select()s. */
export interface Target {
  label: Label;
  /** Canonical rule kind ("oci_image", "go_binary", ...), resolved through load(), never by local name. */
  kind: string;
  /** Where the kind comes from: the .bzl module that defines it, or "native". */
  origin: string;
  attrs: Map<string, Value>;
  /** The call site in the BUILD file (the outermost frame when a macro created the target). */
  pos: Position;
}

export interface Package {
  /** Package path relative to the workspace root ("" for the root package). */
  name: string;
  /** Absolute path of the BUILD file. */
  buildFile: string;
  /** Workspace-relative path of the BUILD file, as shown in messages. */
  displayFile: string;
  targets: Map<string, Target>;
  /** Output files declared by rules (genrule `outs`, write_file `out`, ...) → the generating rule's name. */
  outputs: Map<string, string>;
}
