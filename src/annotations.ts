import { isAbsolute, join, relative, sep } from 'node:path';

export interface Located {
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

const POSITION = /^([^\s:][^:\n]*):(\d+):(\d+): /;

/**
 * Splits "file:line:column: message" (as every BUILD error is written) into an annotation
 * GitHub can place on the line; `file` becomes relative to the repository checkout.
 */
export function locate(message: string, workspaceRoot: string | undefined, checkoutRoot: string): Located {
  const m = POSITION.exec(message);
  if (!m || !workspaceRoot) return { message };
  const [, file = '', line = '0', column = '0'] = m;
  const abs = isAbsolute(file) ? file : join(workspaceRoot, file);
  const rel = relative(checkoutRoot, abs).split(sep).join('/');
  return { message, file: rel.startsWith('..') ? abs : rel, line: Number(line), column: Number(column) };
}

/** At most this many Go errors become annotations (GitHub shows 10 error annotations per step). */
const MAX_GO_ANNOTATIONS = 9;

/**
 * The Go compiler's errors inside `err` (a go build failure, however wrapped), each placed on
 * its .go file and line, with the target that failed (the first line of `err`'s message,
 * which names the BUILD line) as context.
 */
export function goAnnotations(err: unknown, checkoutRoot: string): Located[] {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 10; depth++, e = e.cause) {
    const diagnostics = (e as { diagnostics?: unknown }).diagnostics;
    if (!Array.isArray(diagnostics) || diagnostics.length === 0) continue;
    const context = (err as Error).message.split('\n', 1)[0];
    return (diagnostics as { file: string; line: number; column?: number; message: string }[]).slice(0, MAX_GO_ANNOTATIONS).map((d) => {
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
