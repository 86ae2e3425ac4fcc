/** Where an error points in a user's file; line and column are 1-based, column may be unknown (.bazelrc). */
export interface SourcePosition {
  file: string;
  line: number;
  column?: number;
}

export function formatSourcePosition(pos: SourcePosition): string {
  return pos.column === undefined ? `${pos.file}:${pos.line}` : `${pos.file}:${pos.line}:${pos.column}`;
}

/**
 * An error meant for the user: its message is complete and printed as is, without a stack
 * trace. Its position (a BUILD, MODULE.bazel or .bazelrc line) and the target it is about are
 * data, so annotations and the engine read them from the fields, never from the text; the
 * message is `file:line:col: label: reason` with the parts that are known.
 */
export class BuildError extends Error {
  /** The message without position and label. */
  readonly reason: string;
  readonly pos: SourcePosition | undefined;
  /** The target (or other subject, e.g. `go_deps.module_override(path = "…")`) the error is about. */
  readonly label: string | undefined;

  constructor(reason: string, options?: { pos?: SourcePosition | undefined; label?: string | undefined; cause?: unknown }) {
    const parts = [options?.pos && formatSourcePosition(options.pos), options?.label, reason].filter((p) => p !== undefined && p !== '');
    super(parts.join(': '), options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BuildError';
    this.reason = reason;
    this.pos = options?.pos;
    this.label = options?.label;
  }

  /** This error placed at `pos` (when it has no position yet), keeping its label and reason. */
  at(pos: SourcePosition): BuildError {
    return this.pos !== undefined ? this : new BuildError(this.reason, { pos, label: this.label, cause: this });
  }
}

/**
 * The message a user sees for an error: one line (or Go's own compiler output after it), never
 * a stack trace unless OCI_BUILD_DEBUG is set.
 */
export function describeError(err: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (!(err instanceof Error)) return String(err);
  if (env.OCI_BUILD_DEBUG) return err.stack ?? err.message;
  return err.message;
}
