// gzip output whose bytes depend only on the input and the level: zlib already writes mtime 0
// and no file name, but its OS byte depends on the platform zlib was built for (3 on Unix, 10
// on Windows), so it is forced to 255 ("unknown"), which is what Python's gzip and Go's
// compress/gzip write.
import { Transform } from 'node:stream';
import { createGzip, constants } from 'node:zlib';

const OS_OFFSET = 9;
const OS_UNKNOWN = 0xff;

export function deterministicGzip(level = 6): [Transform, Transform] {
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new Error(`gzip: compression level must be 0-9, got ${level}`);
  }
  const gzip = createGzip({ level, memLevel: 8, strategy: constants.Z_DEFAULT_STRATEGY });
  let offset = 0;
  const fixHeader = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (offset <= OS_OFFSET && offset + chunk.length > OS_OFFSET) {
        chunk = Buffer.from(chunk);
        chunk[OS_OFFSET - offset] = OS_UNKNOWN;
      }
      offset += chunk.length;
      cb(null, chunk);
    },
  });
  return [gzip, fixHeader];
}
