import type { SourcePosition } from '../errors.ts';

/** Where the engine, the workspace and the rules write their progress and warnings. */
export interface Logger {
  info(message: string): void;
  /** `at`: the BUILD line the warning is about, for an annotation there. */
  warning(message: string, at?: SourcePosition): void;
}
