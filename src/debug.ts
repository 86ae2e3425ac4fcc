// Debug lines for "re-run with debug logging": off unless the action runs with RUNNER_DEBUG=1
// (core.debug) or the CLI with --verbose (stderr). Hooks call debug() at a few central places:
// each registry HTTP request (method, URL without query, status, time; never headers), each
// command spawned, cache keys, and decisions (go build skipped, blob skipped or mounted).

let sink: ((line: string) => void) | undefined;

/** Where debug lines go from now on; undefined turns them off. */
export function setDebugSink(fn: ((line: string) => void) | undefined): void {
  sink = fn;
}

export function debugEnabled(): boolean {
  return sink !== undefined;
}

/** Writes one debug line when debugging is on. Pass a function to build costly text lazily. */
export function debug(line: string | (() => string)): void {
  if (sink) sink(typeof line === 'function' ? line() : line);
}

/** A command line for the log: arguments quoted where needed, never the environment. */
export function formatCommand(program: string, args: readonly string[]): string {
  return [program, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
