// Small metadata files (cache records, layer scans, a layout's index.json) read and stat'ed on
// the calling thread. Each is a page-cache hit of a few KB: a sync read takes tens of
// microseconds, where the promise API makes it four threadpool round trips (open, fstat, read,
// close) queued behind compression and hashing jobs. A no-op run of 100 images made thousands.
// Not for blobs, sources or anything that may be large or on a slow file system.
import { readFileSync, statSync, type BigIntStats, type Stats } from 'node:fs';

/** The file's text, or undefined when it is absent or unreadable. */
export function readSmallFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The file's stats, or undefined when it does not exist (no exception made for that case). */
export function statIfExists(path: string): Stats | undefined;
export function statIfExists(path: string, opts: { bigint: true }): BigIntStats | undefined;
export function statIfExists(path: string, opts?: { bigint: true }): Stats | BigIntStats | undefined {
  try {
    return opts?.bigint ? statSync(path, { bigint: true, throwIfNoEntry: false }) : statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
