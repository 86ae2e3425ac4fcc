// undici is a third of the CLI bundle and takes about 30 ms to evaluate: only commands that talk
// to a registry or to Docker pay for it, when they first do. (Loading it early, while Go
// compiles, was tried: on two cores it slows the compile by as much as it saves.)
import type * as Undici from 'undici';

let loading: Promise<typeof Undici> | undefined;

/** The undici module, evaluated on first use. */
export function undici(): Promise<typeof Undici> {
  return (loading ??= import('undici'));
}
