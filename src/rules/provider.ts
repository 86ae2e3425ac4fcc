import type { BuiltArtifact, RunAction } from '../oci/artifact.ts';
import type { FileRef } from '../workspace/file_ref.ts';

export type { FileRef } from '../workspace/file_ref.ts';


export interface GoLibraryInfo {
  /** Directory (absolute) whose Go package the library compiles. */
  dir: string;
  importpath?: string;
  /** Generated sources of this library and everything it depends on: package-dir file → generated file. */
  overlay?: Record<string, string>;
}

/** What a built target hands to the targets that depend on it (Bazel's providers, reduced). */
export interface Provider {
  files: FileRef[];
  executable?: FileRef;
  goLibrary?: GoLibraryInfo;
  artifact?: BuiltArtifact;
  run?: RunAction;
  /**
   * Made anew in this run from a changed input (a go_binary Go had to build), or from such an
   * output: what it feeds is on the run's critical path and runs in slots of its own, never
   * queued behind steps that only find their outputs up to date. A scheduling hint; outputs are
   * the same either way.
   */
  fresh?: boolean;
}
