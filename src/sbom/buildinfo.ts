// Go build information (what `go version -m` prints) from the `.go.buildinfo` blob the Go linker
// embeds in every binary since Go 1.18: 14 bytes of magic, pointer size, flags (bit 1: strings
// inline), padding to 32 bytes, then two varint-length strings — the Go version and the module
// info (runtime/debug.BuildInfo's text form between two 16-byte sentinels).
//
// We find the blob while the layer streams past (BuildInfoFinder), so no file is extracted or
// buffered whole and no `go` command is needed to read binaries of any layer, from any Go
// version, on any host.

export const BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
/** Enough for the header and the module list of any real binary. */
const MAX_CAPTURE = 4 * 1024 * 1024;

export interface GoModule {
  path: string;
  version: string;
  /** `h1:` checksum from go.sum; absent for the main module and (devel) builds. */
  sum?: string;
  replace?: GoModule;
}

export interface GoBuildInfo {
  goVersion: string;
  /** Package path of the main package. */
  path: string;
  main?: GoModule;
  deps: GoModule[];
  /** `build` lines in order: -trimpath=true, CGO_ENABLED=0, GOARCH=amd64, … */
  settings: Array<{ key: string; value: string }>;
}

function readVarint(buf: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let shift = 0;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const b = buf[i] as number;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
    shift += 7;
  }
  return undefined;
}

/** Parses a blob starting at the magic; undefined when incomplete or not the inline (1.18+) form. */
export function parseBuildInfoBlob(blob: Buffer): GoBuildInfo | undefined {
  if (blob.length < 32 || !blob.subarray(0, 14).equals(BUILDINFO_MAGIC)) return undefined;
  const flags = blob[15] as number;
  if ((flags & 0x2) === 0) return undefined; // pre-1.18 pointer form: not supported
  const v = readVarint(blob, 32);
  if (!v || v.next + v.value > blob.length) return undefined;
  const goVersion = blob.subarray(v.next, v.next + v.value).toString('utf8');
  const m = readVarint(blob, v.next + v.value);
  if (!m || m.next + m.value > blob.length) return undefined;
  let mod = blob.subarray(m.next, m.next + m.value).toString('latin1');
  if (mod.length >= 33 && mod[mod.length - 17] === '\n') mod = mod.slice(16, mod.length - 16);
  return parseModInfo(goVersion, Buffer.from(mod, 'latin1').toString('utf8'));
}

/** runtime/debug.ParseBuildInfo's text form. */
export function parseModInfo(goVersion: string, text: string): GoBuildInfo {
  const info: GoBuildInfo = { goVersion, path: '', deps: [], settings: [] };
  let last: GoModule | undefined;
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    const mod = (): GoModule => ({ path: f[1] ?? '', version: f[2] ?? '', ...(f[3] ? { sum: f[3] } : {}) });
    switch (f[0]) {
      case 'path':
        info.path = f[1] ?? '';
        break;
      case 'mod':
        info.main = last = mod();
        break;
      case 'dep':
        last = mod();
        info.deps.push(last);
        break;
      case '=>':
        if (last) last.replace = mod();
        break;
      case 'build': {
        const kv = f.slice(1).join('\t');
        const eq = kv.indexOf('=');
        if (eq > 0) info.settings.push({ key: kv.slice(0, eq), value: kv.slice(eq + 1) });
        break;
      }
    }
  }
  return info;
}

/** Where the inline build info header starts in `data` (-1: nowhere; a match cut off at the end counts). */
function inlineMagic(data: Buffer): number {
  let at = data.indexOf(BUILDINFO_MAGIC);
  while (at >= 0) {
    // Bit 1 of the flags byte set means the inline form; anything else is a stray match.
    const flags = data[at + 15];
    if (flags === undefined || (flags & 0x2) !== 0) break;
    at = data.indexOf(BUILDINFO_MAGIC, at + 1);
  }
  return at;
}

/** Watches a file's bytes go by and keeps the build info blob when it passes. */
export class BuildInfoFinder {
  #tail = Buffer.alloc(0);
  #capture: Buffer[] | undefined;
  #captured = 0;
  #done = false;
  result: GoBuildInfo | undefined;

  update(piece: Buffer): void {
    if (this.#done) return;
    // Tiny pieces join the tail, so the tail always holds the last bytes seen.
    let chunk = piece;
    if (chunk.length <= BUILDINFO_MAGIC.length + 1 && this.#tail.length > 0 && !this.#capture) {
      chunk = Buffer.concat([this.#tail, chunk]);
      this.#tail = Buffer.alloc(0);
    }
    if (this.#capture) {
      this.#capture.push(chunk);
      this.#captured += chunk.length;
      this.#tryParse();
      return;
    }
    // A match may straddle the previous chunk: look in the seam (the kept tail and the first bytes
    // of this chunk) first, then in the chunk itself, which is never copied.
    const tail = this.#tail;
    if (tail.length > 0) {
      const seam = Buffer.concat([tail, chunk.subarray(0, BUILDINFO_MAGIC.length + 2)]);
      const at = inlineMagic(seam);
      if (at >= 0 && at < tail.length) {
        this.#startCapture(Buffer.concat([tail.subarray(at), chunk]));
        return;
      }
    }
    const at = inlineMagic(chunk);
    if (at >= 0) {
      this.#startCapture(chunk.subarray(at));
      return;
    }
    this.#tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - (BUILDINFO_MAGIC.length + 1))));
  }

  #startCapture(from: Buffer): void {
    this.#capture = [Buffer.from(from)];
    this.#captured = from.length;
    this.#tryParse();
  }

  #tryParse(): void {
    const blob = Buffer.concat(this.#capture ?? []);
    // A match cut off before its flags byte turned out to be stray: search on after it.
    if (blob.length > 15 && ((blob[15] as number) & 0x2) === 0) {
      this.#capture = undefined;
      this.#captured = 0;
      this.#tail = Buffer.alloc(0);
      this.update(blob.subarray(1));
      return;
    }
    this.#capture = [blob];
    const parsed = parseBuildInfoBlob(blob);
    if (parsed || this.#captured > MAX_CAPTURE) {
      this.result = parsed;
      this.#done = true;
      this.#capture = undefined;
    }
  }
}
