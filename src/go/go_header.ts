// What `go list` reads of a .go file: go/build classifies a file and finds its imports from the
// bytes before the first top-level declaration that is not an import (leading comments with the
// build constraints and //go:debug lines, the package clause, every import declaration with the
// cgo preamble before `import "C"`), and, when the file imports "embed", the //go:embed lines
// anywhere after. Two versions of a file with equal headers and equal //go:embed lines give go
// list the same answer for it, whatever else changed (function bodies, other declarations).
// A small scanner of our own: comments, interpreted and raw strings, identifiers; anything it does
// not expect in a header makes it give up (undefined), and the caller asks go list instead.

/** The header's bytes and the //go:embed lines of a .go file (sorted, unique, trimmed). */
export interface GoFileHeader {
  header: Buffer;
  embeds: string[];
}

const BOM = [0xef, 0xbb, 0xbf];

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Letters, digits and `_`; bytes ≥ 0x80 are the UTF-8 of non-ASCII letters (an identifier's, here). */
function isIdent(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c >= 0x80;
}

class Unsure extends Error {}

class Scanner {
  pos = 0;
  readonly src: Buffer;
  constructor(src: Buffer) {
    this.src = src;
    if (BOM.every((b, i) => src[i] === b)) this.pos = 3;
  }

  /** Skips white space, `;` when asked, and comments; an unterminated block comment is unsure. */
  skip(semicolons: boolean): void {
    const s = this.src;
    for (;;) {
      const c = s[this.pos];
      if (c === undefined) return;
      if (isSpace(c) || (semicolons && c === 0x3b)) this.pos++;
      else if (c === 0x2f && s[this.pos + 1] === 0x2f) {
        const nl = s.indexOf(0x0a, this.pos);
        this.pos = nl < 0 ? s.length : nl + 1;
      } else if (c === 0x2f && s[this.pos + 1] === 0x2a) {
        const end = s.indexOf('*/', this.pos + 2);
        if (end < 0) throw new Unsure();
        this.pos = end + 2;
      } else return;
    }
  }

  /** The identifier at pos (not consumed), or ''. */
  peekIdent(): string {
    let e = this.pos;
    while (e < this.src.length && isIdent(this.src[e] as number)) e++;
    // An identifier never starts with a digit.
    const first = this.src[this.pos];
    if (first !== undefined && first >= 0x30 && first <= 0x39) return '';
    return this.src.subarray(this.pos, e).toString('utf8');
  }

  ident(): string {
    const id = this.peekIdent();
    if (id === '') throw new Unsure();
    this.pos += Buffer.byteLength(id);
    return id;
  }

  /** An import path: "interpreted" (escapes, no newline) or `raw`. */
  string(): void {
    const s = this.src;
    const q = s[this.pos];
    if (q === 0x60) {
      const end = s.indexOf(0x60, this.pos + 1);
      if (end < 0) throw new Unsure();
      this.pos = end + 1;
      return;
    }
    if (q !== 0x22) throw new Unsure();
    for (let i = this.pos + 1; i < s.length; i++) {
      const c = s[i];
      if (c === 0x5c) i++;
      else if (c === 0x0a) throw new Unsure();
      else if (c === 0x22) {
        this.pos = i + 1;
        return;
      }
    }
    throw new Unsure();
  }

  /** One import spec: [name | .] path. */
  importSpec(): void {
    const c = this.src[this.pos];
    if (c === 0x2e) {
      this.pos++;
      this.skip(false);
    } else if (c !== 0x22 && c !== 0x60) {
      this.ident();
      this.skip(false);
    }
    this.string();
  }
}

/**
 * The header of a .go file and its //go:embed lines; undefined when the file is not what the
 * scanner understands (no package clause, an unterminated comment or string in the header, a NUL
 * byte, which go/build rejects anywhere it reads).
 */
export function scanGoHeader(src: Buffer): GoFileHeader | undefined {
  if (src.includes(0)) return undefined;
  const sc = new Scanner(src);
  let end: number;
  try {
    sc.skip(false);
    if (sc.ident() !== 'package') return undefined;
    sc.skip(false);
    sc.ident();
    end = sc.pos;
    for (;;) {
      sc.skip(true);
      if (sc.peekIdent() !== 'import') break;
      sc.pos += 'import'.length;
      sc.skip(false);
      if (src[sc.pos] === 0x28) {
        sc.pos++;
        for (;;) {
          sc.skip(true);
          const c = src[sc.pos];
          if (c === undefined) return undefined;
          if (c === 0x29) {
            sc.pos++;
            break;
          }
          sc.importSpec();
        }
      } else sc.importSpec();
      end = sc.pos;
    }
  } catch (err) {
    if (err instanceof Unsure) return undefined;
    throw err;
  }
  const embeds = new Set<string>();
  // Every line naming //go:embed, wherever it is (a string or comment too): a superset of the
  // directives go/build finds, so equal sets mean equal patterns.
  for (let i = src.indexOf('//go:embed'); i >= 0; i = src.indexOf('//go:embed', i + 1)) {
    const from = src.lastIndexOf(0x0a, i) + 1;
    let to = src.indexOf(0x0a, i);
    if (to < 0) to = src.length;
    embeds.add(src.subarray(from, to).toString('utf8').trim());
    i = to;
  }
  return { header: src.subarray(0, end), embeds: [...embeds].sort() };
}
