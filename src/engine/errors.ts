/**
 * An error meant for the user: its message is complete (position, label, what went wrong) and
 * is printed as is, without a stack trace.
 */
export class BuildError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BuildError';
  }
}
