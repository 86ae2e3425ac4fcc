import { Transform, type Readable } from 'node:stream';

/** How often long operations report, so logs show a steady pace instead of a line per chunk. */
export const PROGRESS_INTERVAL_MS = 10_000;

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Wraps a stream of a known size; every PROGRESS_INTERVAL_MS while it flows it logs
 * "<what>: 120.0 MiB of 1024.0 MiB (11%)". Small streams never log.
 */
export function withByteProgress(source: Readable, size: number, what: string, log: (m: string) => void, intervalMs = PROGRESS_INTERVAL_MS): Readable {
  let sent = 0;
  let last = Date.now();
  const tap = new Transform({
    // As large as the source's pieces, so the tap never splits the flow into 16 KiB steps.
    highWaterMark: source.readableHighWaterMark,
    transform(chunk: Buffer, _enc, cb) {
      sent += chunk.length;
      const now = Date.now();
      if (now - last >= intervalMs) {
        last = now;
        log(`${what}: ${mib(sent)} of ${mib(size)} (${size > 0 ? Math.floor((sent / size) * 100) : 100}%)`);
      }
      cb(null, chunk);
    },
  });
  source.on('error', (err) => tap.destroy(err));
  return source.pipe(tap);
}

/**
 * Reports what is still running every interval while `work` runs: "still building:
 * //app:image (12 s), //app:bin (31 s)". Stops when `work` settles.
 */
export async function withHeartbeat<T>(
  work: Promise<T>,
  running: () => Array<{ name: string; since: number }>,
  log: (m: string) => void,
  verb: string,
  intervalMs = PROGRESS_INTERVAL_MS,
): Promise<T> {
  const timer = setInterval(() => {
    const now = Date.now();
    const items = running().map((r) => `${r.name} (${Math.round((now - r.since) / 1000)} s)`);
    if (items.length > 0) log(`still ${verb}: ${items.join(', ')}`);
  }, intervalMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
