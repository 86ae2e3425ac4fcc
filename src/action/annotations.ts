import { isAbsolute, join, relative, sep } from 'node:path';
import { BuildError, formatSourcePosition, type SourcePosition } from '../errors.ts';
import { GoBuildError } from '../go/build.ts';

export interface Located {
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

/**
 * An annotation GitHub can place on the line `pos` names (BUILD, MODULE.bazel and .bazelrc
 * positions are relative to the workspace root); `file` becomes relative to the checkout.
 */
export function locateAt(message: string, pos: SourcePosition | undefined, workspaceRoot: string | undefined, checkoutRoot: string): Located {
  if (!pos || !workspaceRoot) return { message };
  const abs = isAbsolute(pos.file) ? pos.file : join(workspaceRoot, pos.file);
  const rel = relative(checkoutRoot, abs).split(sep).join('/');
  return { message, file: rel.startsWith('..') ? abs : rel, line: pos.line, ...(pos.column !== undefined ? { column: pos.column } : {}) };
}

/** The failure's annotation: `message` placed where the error says it is (its fields, not its text). */
export function errorAnnotation(err: unknown, message: string, workspaceRoot: string | undefined, checkoutRoot: string): Located {
  return locateAt(message, err instanceof BuildError ? err.pos : undefined, workspaceRoot, checkoutRoot);
}

/** At most this many Go errors become annotations (GitHub shows 10 error annotations per step). */
const MAX_GO_ANNOTATIONS = 9;

/**
 * The Go compiler's errors inside `err` (a go build failure, however wrapped), each placed on
 * its .go file and line, with the target that failed (the BUILD line, the label and the one-line
 * summary, read from the errors' fields) as context.
 */
export function goAnnotations(err: unknown, checkoutRoot: string): Located[] {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 10; depth++, e = e.cause) {
    if (!(e instanceof GoBuildError) || e.diagnostics.length === 0) continue;
    const pos = err instanceof BuildError ? err.pos : undefined;
    const context = [pos && formatSourcePosition(pos), e.label, e.summary].filter(Boolean).join(': ');
    return e.diagnostics.slice(0, MAX_GO_ANNOTATIONS).map((d) => {
      const rel = relative(checkoutRoot, d.file).split(sep).join('/');
      return {
        message: `${d.message}\n(${context})`,
        file: rel.startsWith('..') ? d.file : rel,
        line: d.line,
        ...(d.column !== undefined ? { column: d.column } : {}),
      };
    });
  }
  return [];
}
