// Go's compiler and linker report problems as `path/file.go:line:col: message` (paths relative
// to the directory go ran in). Parsed so the action can place each on its .go line.
import { isAbsolute, resolve } from 'node:path';

export interface GoDiagnostic {
  /** Absolute path of the .go (or .s, .c, ...) file. */
  file: string;
  line: number;
  column?: number;
  message: string;
}

const POSITION = /^(\S[^:\n]*\.(?:go|s|c|h|cc|cpp|m|syso)):(\d+)(?::(\d+))?: (.*)$/;

/** The positioned lines of `go build` output; tab-indented lines after one belong to it. */
export function parseGoDiagnostics(output: string, dir: string): GoDiagnostic[] {
  const out: GoDiagnostic[] = [];
  let last: GoDiagnostic | undefined;
  for (const line of output.split('\n')) {
    const m = POSITION.exec(line);
    if (m) {
      const [, file = '', lineNo = '0', column, message = ''] = m;
      last = { file: isAbsolute(file) ? file : resolve(dir, file), line: Number(lineNo), message };
      if (column !== undefined) last.column = Number(column);
      out.push(last);
    } else if (last && line.startsWith('\t')) {
      last.message += `\n${line.slice(1)}`;
    } else {
      last = undefined;
    }
  }
  return out;
}
