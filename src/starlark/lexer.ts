// Converts Starlark source text into tokens, including the INDENT/DEDENT and
// NEWLINE tokens that make indentation significant.

import { StarlarkError } from './errors.ts';
import { KEYWORDS, OPERATORS, RESERVED_WORDS } from './tokens.ts';
import type { Token, TokenKind } from './tokens.ts';

const OPERATOR_SET: ReadonlySet<string> = new Set(OPERATORS);

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v',
};

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}

function isIdentChar(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function isHexDigit(c: string): boolean {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

function describeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f || code > 0x7e) {
    return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return `'${c}'`;
}

export function tokenize(file: string, source: string): Token[] {
  return new Lexer(file, source).run();
}

class Lexer {
  private readonly file: string;
  private readonly src: string;
  private readonly tokens: Token[] = [];
  private i = 0;
  private line = 1;
  private lineStart = 0;
  private bracketDepth = 0;
  private readonly indents: number[] = [0];

  constructor(file: string, source: string) {
    this.file = file;
    // Normalise line endings so that positions and newline handling are uniform,
    // and drop a leading byte-order mark.
    this.src = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  }

  private error(reason: string, line: number, column: number): never {
    const pos = { file: this.file, line, column };
    throw new StarlarkError(reason, pos);
  }

  private column(at: number = this.i): number {
    return at - this.lineStart + 1;
  }

  private push(kind: TokenKind, text: string, value: string | number | null, line: number, column: number): void {
    this.tokens.push({ kind, text, value, line, column });
  }

  /** Records that the character at `at` was a newline. */
  private sawNewline(at: number): void {
    this.line++;
    this.lineStart = at + 1;
  }

  run(): Token[] {
    const src = this.src;
    let atLineStart = true;
    while (this.i < src.length) {
      if (atLineStart && this.bracketDepth === 0) {
        if (!this.handleIndentation()) continue;
        atLineStart = false;
        if (this.i >= src.length) break;
      }
      const c = src[this.i];
      if (c === ' ' || c === '\t' || c === '\f') {
        this.i++;
      } else if (c === '\n') {
        if (this.bracketDepth === 0) {
          this.push('newline', '\n', null, this.line, this.column());
          atLineStart = true;
        }
        this.sawNewline(this.i);
        this.i++;
      } else if (c === '#') {
        while (this.i < src.length && src[this.i] !== '\n') this.i++;
      } else if (c === '\\') {
        if (src[this.i + 1] !== '\n') {
          this.error('unexpected character after line continuation character', this.line, this.column());
        }
        this.sawNewline(this.i + 1);
        this.i += 2;
      } else if (isDigit(c) || (c === '.' && isDigit(src[this.i + 1] ?? ''))) {
        this.lexNumber();
      } else if (isIdentStart(c)) {
        this.lexWord();
      } else if (c === '"' || c === "'") {
        this.lexString(this.i, false);
      } else {
        this.lexOperator();
      }
    }
    const last = this.tokens[this.tokens.length - 1];
    const line = this.line;
    const column = this.column();
    if (this.bracketDepth === 0) {
      if (last !== undefined && last.kind !== 'newline' && last.kind !== 'dedent' && last.kind !== 'indent') {
        this.push('newline', '\n', null, line, column);
      }
      while (this.indents.length > 1) {
        this.indents.pop();
        this.push('dedent', '', null, line, column);
      }
    }
    this.push('eof', '', null, line, column);
    return this.tokens;
  }

  /**
   * Measures the indentation of a new logical line and emits INDENT/DEDENT.
   * Returns false if the line was blank or a comment (and has been consumed).
   */
  private handleIndentation(): boolean {
    const src = this.src;
    let width = 0;
    while (this.i < src.length) {
      const c = src[this.i];
      if (c === ' ') {
        width++;
        this.i++;
      } else if (c === '\t') {
        this.error('tab characters are not allowed in indentation; use spaces', this.line, this.column());
      } else if (c === '\f') {
        this.i++;
      } else {
        break;
      }
    }
    if (this.i >= src.length) return true;
    const c = src[this.i];
    if (c === '\n') {
      this.sawNewline(this.i);
      this.i++;
      return false;
    }
    if (c === '#') {
      while (this.i < src.length && src[this.i] !== '\n') this.i++;
      return false;
    }
    const current = this.indents[this.indents.length - 1];
    if (width > current) {
      this.indents.push(width);
      this.push('indent', '', null, this.line, this.column());
    } else if (width < current) {
      while (width < this.indents[this.indents.length - 1]) {
        this.indents.pop();
        this.push('dedent', '', null, this.line, this.column());
      }
      if (width !== this.indents[this.indents.length - 1]) {
        this.error('unindent does not match any outer indentation level', this.line, this.column());
      }
    }
    return true;
  }

  private lexNumber(): void {
    const src = this.src;
    const start = this.i;
    const line = this.line;
    const column = this.column();
    let digitsStart = start;
    let radix = 10;
    const next = (src[start + 1] ?? '').toLowerCase();
    if (src[start] === '0' && (next === 'x' || next === 'o' || next === 'b')) {
      radix = next === 'x' ? 16 : next === 'o' ? 8 : 2;
      this.i += 2;
      digitsStart = this.i;
      while (this.i < src.length && isHexDigit(src[this.i])) this.i++;
    } else {
      while (this.i < src.length && isDigit(src[this.i])) this.i++;
    }
    const after = src[this.i] ?? '';
    if (radix === 10 && (after === '.' || after === 'e' || after === 'E')) {
      this.error('floating-point numbers are not supported', line, column);
    }
    if (isIdentChar(after)) {
      while (this.i < src.length && isIdentChar(src[this.i])) this.i++;
      this.error(`invalid int literal ${src.slice(start, this.i)}`, line, column);
    }
    const text = src.slice(start, this.i);
    const digits = src.slice(digitsStart, this.i);
    if (digits === '') this.error(`invalid int literal ${text}`, line, column);
    for (const d of digits) {
      if (parseInt(d, 16) >= radix) this.error(`invalid digit '${d}' in int literal ${text}`, line, column);
    }
    if (radix === 10 && digits.length > 1 && digits[0] === '0') {
      if (/[^0]/.test(digits)) {
        this.error(`invalid int literal ${text} (leading zeros are not allowed; use the 0o prefix for octal)`, line, column);
      }
    }
    const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : radix === 2 ? '0b' : '';
    const big = BigInt(prefix + digits);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.error(`int literal ${text} is too large (the maximum is ${Number.MAX_SAFE_INTEGER})`, line, column);
    }
    this.push('int', text, Number(big), line, column);
  }

  private lexWord(): void {
    const src = this.src;
    const start = this.i;
    const line = this.line;
    const column = this.column();
    while (this.i < src.length && isIdentChar(src[this.i])) this.i++;
    const word = src.slice(start, this.i);
    const quote = src[this.i];
    if (quote === '"' || quote === "'") {
      const lower = word.toLowerCase();
      if (lower === 'r') {
        this.lexString(start, true);
        return;
      }
      if (lower === 'b' || lower === 'rb' || lower === 'br') {
        this.error('bytes literals are not supported', line, column);
      }
    }
    if (KEYWORDS.has(word)) {
      this.push('keyword', word, null, line, column);
    } else if (RESERVED_WORDS.has(word)) {
      this.error(`keyword '${word}' is reserved and cannot be used`, line, column);
    } else {
      this.push('ident', word, null, line, column);
    }
  }

  /** Lexes a string literal whose prefix (if any) starts at `start`; this.i is at the quote. */
  private lexString(start: number, raw: boolean): void {
    const src = this.src;
    const line = this.line;
    const column = this.column(start);
    const quote = src[this.i];
    const triple = src.startsWith(quote.repeat(3), this.i);
    this.i += triple ? 3 : 1;
    let out = '';
    for (;;) {
      if (this.i >= src.length) this.error('unterminated string literal', line, column);
      const c = src[this.i];
      if (c === quote) {
        if (!triple) {
          this.i++;
          break;
        }
        if (src.startsWith(quote.repeat(3), this.i)) {
          this.i += 3;
          break;
        }
        out += c;
        this.i++;
        continue;
      }
      if (c === '\n') {
        if (!triple) this.error('unterminated string literal', line, column);
        this.sawNewline(this.i);
        out += c;
        this.i++;
        continue;
      }
      if (c !== '\\') {
        out += c;
        this.i++;
        continue;
      }
      const escLine = this.line;
      const escColumn = this.column();
      const e = src[this.i + 1];
      if (e === undefined) this.error('unterminated string literal', line, column);
      if (raw) {
        // In raw strings a backslash is kept, but it still prevents the next
        // character (a quote or a newline) from ending the literal.
        if (e === '\n') {
          if (!triple) this.error('unterminated string literal', line, column);
          this.sawNewline(this.i + 1);
        }
        out += c + e;
        this.i += 2;
        continue;
      }
      if (e === '\n') {
        this.sawNewline(this.i + 1);
        this.i += 2;
        continue;
      }
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        this.i += 2;
        continue;
      }
      if (e >= '0' && e <= '7') {
        let j = this.i + 1;
        let digits = '';
        while (digits.length < 3 && j < src.length && src[j] >= '0' && src[j] <= '7') {
          digits += src[j];
          j++;
        }
        const code = parseInt(digits, 8);
        if (code > 0xff) this.error(`octal escape \\${digits} is out of range`, escLine, escColumn);
        out += String.fromCharCode(code);
        this.i = j;
        continue;
      }
      if (e === 'x' || e === 'u' || e === 'U') {
        const count = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = src.slice(this.i + 2, this.i + 2 + count);
        if (hex.length !== count || ![...hex].every(isHexDigit)) {
          this.error(`invalid escape sequence \\${e}: want ${count} hexadecimal digits`, escLine, escColumn);
        }
        const code = parseInt(hex, 16);
        if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
          this.error(`invalid escape sequence \\${e}${hex}: not a valid Unicode code point`, escLine, escColumn);
        }
        out += String.fromCodePoint(code);
        this.i += 2 + count;
        continue;
      }
      this.error(`invalid escape sequence \\${e}; use '\\\\' to write a backslash`, escLine, escColumn);
    }
    this.push('string', src.slice(start, this.i), out, line, column);
  }

  private lexOperator(): void {
    const src = this.src;
    const line = this.line;
    const column = this.column();
    for (let len = 3; len >= 1; len--) {
      const op = src.slice(this.i, this.i + len);
      if (OPERATOR_SET.has(op)) {
        this.i += len;
        if (op === '(' || op === '[' || op === '{') this.bracketDepth++;
        if ((op === ')' || op === ']' || op === '}') && this.bracketDepth > 0) this.bracketDepth--;
        this.push('op', op, null, line, column);
        return;
      }
    }
    const c = String.fromCodePoint(src.codePointAt(this.i) ?? 0);
    this.error(`invalid character ${describeChar(c)}`, line, column);
  }
}
