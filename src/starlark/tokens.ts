// Token kinds produced by the lexer and consumed by the parser.

export type TokenKind =
  | 'ident'
  | 'int'
  | 'string'
  | 'keyword'
  | 'op'
  | 'newline'
  | 'indent'
  | 'dedent'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** Identifier name, keyword, operator symbol, or the source text of a literal. */
  text: string;
  /** Decoded value of int and string literals. */
  value: string | number | null;
  line: number;
  column: number;
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  'and', 'break', 'continue', 'def', 'elif', 'else', 'for', 'if', 'in',
  'lambda', 'not', 'or', 'pass', 'return',
]);

/** Python keywords that Starlark reserves; using one is a syntax error. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  'as', 'assert', 'async', 'await', 'class', 'del', 'except', 'finally', 'from',
  'global', 'import', 'is', 'nonlocal', 'raise', 'try', 'while', 'with', 'yield',
]);

/** Operator and punctuation tokens; the lexer matches the longest one. */
export const OPERATORS: readonly string[] = [
  '//=', '<<=', '>>=', '**',
  '//', '<<', '>>', '==', '!=', '<=', '>=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '->',
  '+', '-', '*', '/', '%', '&', '|', '^', '~', '<', '>', '=', '.', ',', ':', ';',
  '(', ')', '[', ']', '{', '}',
];

/** A short human description of a token for "expected X but found Y" errors. */
export function describeToken(tok: Token): string {
  switch (tok.kind) {
    case 'ident':
    case 'keyword':
    case 'op':
      return `'${tok.text}'`;
    case 'int':
      return `int literal ${tok.text}`;
    case 'string': {
      const text = String(tok.value);
      const shown = text.length > 20 ? `${text.slice(0, 20)}...` : text;
      return `string literal ${JSON.stringify(shown)}`;
    }
    case 'newline':
      return 'newline';
    case 'indent':
      return 'indentation';
    case 'dedent':
      return 'end of indented block';
    case 'eof':
      return 'end of file';
  }
}
