/**
 * The message a user sees for an error: one line (or Go's own compiler output after it), never
 * a stack trace unless OCI_BUILD_DEBUG is set.
 */
export function describeError(err: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (!(err instanceof Error)) return String(err);
  if (env.OCI_BUILD_DEBUG) return err.stack ?? err.message;
  return err.message;
}
