import type { BuiltArtifact, RunAction } from '../publish/artifact.ts';

/** A file a target provides: a source file, or an output under the build directory. */
export interface FileRef {
  /** Absolute path on disk. */
  path: string;
  /** Path relative to the workspace root as Bazel shows it (`pkg/name`), for sources and outputs alike. */
  shortPath: string;
  generated: boolean;
}

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
}
