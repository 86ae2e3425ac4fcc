/** A file a target provides: a source file, or an output under the build directory. */
export interface FileRef {
  /** Absolute path on disk. */
  path: string;
  /** Path relative to the workspace root as Bazel shows it (`pkg/name`), for sources and outputs alike. */
  shortPath: string;
  generated: boolean;
}
