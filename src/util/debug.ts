// Debug lines for "re-run with debug logging": off unless the action runs with RUNNER_DEBUG=1
// (core.debug) or the CLI with --verbose (stderr). Hooks call debug() at a few central places:
// each registry HTTP request (method, URL without query, status, time; never headers), each
// command spawned, cache keys, and decisions (go build skipped, blob skipped or mounted).

import type { Dispatcher } from 'undici';

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

/**
 * With debugging on, `dispatcher` with each promise-style request() logged as
 * `<what>: METHOD path status ms` (the path without its query; never headers or bodies).
 * Off, the dispatcher itself.
 */
export function logRequests<T extends Dispatcher>(dispatcher: T, what: string): T {
  if (!sink) return dispatcher;
  return new Proxy(dispatcher, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (prop !== 'request' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return async (opts: Dispatcher.RequestOptions) => {
        const started = performance.now();
        const path = String(opts.path).replace(/[?#].*$/, '');
        const ms = () => Math.round(performance.now() - started);
        try {
          const res = (await (value as (o: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>).call(target, opts)) as Dispatcher.ResponseData;
          debug(`${what}: ${opts.method} ${path} ${res.statusCode} ${ms()}ms`);
          return res;
        } catch (err) {
          debug(`${what}: ${opts.method} ${path} failed after ${ms()}ms: ${(err as Error).message}`);
          throw err;
        }
      };
    },
  });
}
