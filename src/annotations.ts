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
