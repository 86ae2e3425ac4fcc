// Recursive-descent parser from tokens to the syntax tree. Nesting depth is
// bounded so that hostile input cannot exhaust the JavaScript stack.

import { StarlarkError } from './errors.ts';
import type { Position } from './errors.ts';
import { tokenize } from './lexer.ts';
import { describeToken } from './tokens.ts';
import type { Token } from './tokens.ts';
import type {
  Arg, AssignOp, BinaryOp, CompClause, DictEntry, Expr, Ident, IfBranch, Load, LoadBinding, Module, Param, Stmt,
} from './ast.ts';

export const MAX_NESTING_DEPTH = 500;

const PREC_OR = 1;
const PREC_AND = 2;
const PREC_NOT = 3;
const PREC_COMPARE = 4;

const BINARY_PRECEDENCE: Readonly<Record<string, number>> = {
  or: PREC_OR,
  and: PREC_AND,
  '==': PREC_COMPARE, '!=': PREC_COMPARE, '<': PREC_COMPARE, '<=': PREC_COMPARE,
  '>': PREC_COMPARE, '>=': PREC_COMPARE, in: PREC_COMPARE, 'not in': PREC_COMPARE,
  '|': 5,
  '^': 6,
  '&': 7,
  '<<': 8, '>>': 8,
  '+': 9, '-': 9,
  '*': 10, '/': 10, '//': 10, '%': 10,
};

const ASSIGN_OPS: ReadonlySet<string> = new Set([
  '=', '+=', '-=', '*=', '/=', '//=', '%=', '&=', '|=', '^=', '<<=', '>>=',
]);

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseFile(file: string, source: string): Module {
  const tokens = tokenize(file, source);
  try {
    return new Parser(file, tokens).parseModule();
  } catch (err) {
    // Inside brackets newlines do not end a statement, so a bracket left open swallows the
    // next statements and the parser fails lines later, where nothing is wrong: name the
    // bracket instead, where it opened (as Python's "'(' was never closed" does). On the
    // bracket's own line the parser's message is already in the right place.
    const open = err instanceof StarlarkError ? unclosedBracket(tokens) : undefined;
    if (open && err instanceof StarlarkError && open.line < err.pos.line) {
      throw new StarlarkError(
        `'${open.text}' is never closed (the parser gave up at ${err.pos.line}:${err.pos.column}: ${err.reason})`,
        { file, line: open.line, column: open.column },
      );
    }
    throw err;
  }
}

const CLOSING: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** The innermost bracket still open at the end of the file, if the brackets nest properly. */
function unclosedBracket(tokens: Token[]): Token | undefined {
  const stack: Token[] = [];
  for (const t of tokens) {
    if (t.kind !== 'op') continue;
    if (t.text in CLOSING) stack.push(t);
    else if (t.text === ')' || t.text === ']' || t.text === '}') {
      const top = stack.pop();
      // A mismatched closing bracket is an error of its own: leave it to the parser's message.
      if (!top || CLOSING[top.text] !== t.text) return undefined;
    }
  }
  return stack.at(-1);
}

class Parser {
  private readonly file: string;
  private readonly toks: Token[];
  private p = 0;
  private depth = 0;
  /** Nesting of def/if/for blocks; load is only allowed at zero. */
  private blockDepth = 0;

  constructor(file: string, tokens: Token[]) {
    this.file = file;
    this.toks = tokens;
  }

  private get tok(): Token {
    return this.toks[this.p];
  }

  /** The current token's kind (a method, so TypeScript does not narrow it across advance()). */
  private kind(): Token['kind'] {
    return this.toks[this.p].kind;
  }

  private peek(offset: number): Token {
    return this.toks[Math.min(this.p + offset, this.toks.length - 1)];
  }

  private posOf(tok: Token): Position {
    return { file: this.file, line: tok.line, column: tok.column };
  }

  private get pos(): Position {
    return this.posOf(this.tok);
  }

  private error(reason: string, pos: Position = this.pos): never {
    throw new StarlarkError(reason, pos);
  }

  private advance(): Token {
    const t = this.tok;
    if (t.kind !== 'eof') this.p++;
    return t;
  }

  private isOp(text: string): boolean {
    const t = this.tok;
    return t.kind === 'op' && t.text === text;
  }

  private isKeyword(text: string): boolean {
    const t = this.tok;
    return t.kind === 'keyword' && t.text === text;
  }

  private expectOp(text: string): Token {
    if (!this.isOp(text)) this.error(`expected '${text}' but found ${describeToken(this.tok)}`);
    return this.advance();
  }

  private expectKeyword(text: string): Token {
    if (!this.isKeyword(text)) this.error(`expected '${text}' but found ${describeToken(this.tok)}`);
    return this.advance();
  }

  private expectIdent(what: string): Ident {
    const t = this.tok;
    if (t.kind !== 'ident') this.error(`expected ${what} but found ${describeToken(t)}`);
    this.advance();
    return { kind: 'Ident', pos: this.posOf(t), name: t.text, ref: null };
  }

  private enter(count = 1): void {
    this.depth += count;
    if (this.depth > MAX_NESTING_DEPTH) {
      this.error(`code is nested too deeply (more than ${MAX_NESTING_DEPTH} levels)`);
    }
  }

  private leave(count = 1): void {
    this.depth -= count;
  }

  // ---------------------------------------------------------------- statements

  parseModule(): Module {
    const stmts: Stmt[] = [];
    while (this.kind() !== 'eof') {
      if (this.kind() === 'newline') {
        this.advance();
        continue;
      }
      for (const s of this.parseStatement()) stmts.push(s);
    }
    return { kind: 'Module', file: this.file, stmts, numSlots: 0 };
  }

  private parseStatement(): Stmt[] {
    const t = this.tok;
    if (t.kind === 'keyword') {
      if (t.text === 'def') return [this.parseDef()];
      if (t.text === 'if') return [this.parseIf()];
      if (t.text === 'for') return [this.parseFor()];
    }
    if (t.kind === 'indent') this.error('unexpected indentation');
    if (t.kind === 'dedent') this.error('unexpected end of indented block');
    return this.parseSimpleStatement();
  }

  private parseSimpleStatement(): Stmt[] {
    const stmts = [this.parseSmallStatement()];
    while (this.isOp(';')) {
      this.advance();
      if (this.kind() === 'newline' || this.kind() === 'eof') break;
      stmts.push(this.parseSmallStatement());
    }
    if (this.kind() === 'newline') {
      this.advance();
    } else if (this.kind() !== 'eof') {
      this.error(`expected newline but found ${describeToken(this.tok)}`);
    }
    return stmts;
  }

  private parseSmallStatement(): Stmt {
    const t = this.tok;
    const pos = this.pos;
    if (t.kind === 'keyword') {
      switch (t.text) {
        case 'return': {
          this.advance();
          const k = this.tok;
          const endsStatement = k.kind === 'newline' || k.kind === 'eof' || (k.kind === 'op' && k.text === ';');
          return { kind: 'Return', pos, value: endsStatement ? null : this.parseExpression() };
        }
        case 'break':
          this.advance();
          return { kind: 'Break', pos };
        case 'continue':
          this.advance();
          return { kind: 'Continue', pos };
        case 'pass':
          this.advance();
          return { kind: 'Pass', pos };
      }
    }
    if (t.kind === 'ident' && t.text === 'load' && this.peek(1).kind === 'op' && this.peek(1).text === '(') {
      return this.parseLoad();
    }
    const expr = this.parseExpression();
    const op = this.tok;
    if (op.kind === 'op' && ASSIGN_OPS.has(op.text)) {
      const opPos = this.pos;
      this.advance();
      if (op.text === '=') {
        this.checkAssignTarget(expr, false);
      } else {
        this.checkAssignTarget(expr, true);
      }
      const value = this.parseExpression();
      return { kind: 'Assign', pos: opPos, op: op.text as AssignOp, target: expr, value };
    }
    return { kind: 'ExprStmt', pos: startOf(expr), expr };
  }

  private checkAssignTarget(target: Expr, augmented: boolean): void {
    switch (target.kind) {
      case 'Ident':
      case 'Index':
      case 'Dot':
        return;
      case 'Tuple':
      case 'List':
        if (augmented) this.error(`cannot use augmented assignment with a ${target.kind.toLowerCase()}`, target.pos);
        for (const e of target.elems) this.checkAssignTarget(e, false);
        return;
      default:
        this.error(`cannot assign to ${describeExpr(target)}`, target.pos);
    }
  }

  private parseLoad(): Load {
    const pos = this.pos;
    if (this.blockDepth > 0) this.error('load statements are only allowed at the top level of a file');
    this.advance(); // load
    this.expectOp('(');
    const moduleTok = this.tok;
    if (moduleTok.kind !== 'string') {
      this.error(`expected module name string literal but found ${describeToken(moduleTok)}`);
    }
    this.advance();
    const bindings: LoadBinding[] = [];
    while (this.isOp(',')) {
      this.advance();
      if (this.isOp(')')) break;
      const bpos = this.pos;
      let localName: string;
      let name: string;
      if (this.kind() === 'ident') {
        localName = this.advance().text;
        this.expectOp('=');
        const s = this.tok;
        if (s.kind !== 'string') this.error(`expected string literal but found ${describeToken(s)}`);
        this.advance();
        name = String(s.value);
      } else if (this.kind() === 'string') {
        name = String(this.advance().value);
        localName = name;
      } else {
        this.error(`expected symbol name string literal but found ${describeToken(this.tok)}`);
      }
      if (!IDENTIFIER.test(name)) this.error(`load: ${JSON.stringify(name)} is not a valid identifier`, bpos);
      if (!IDENTIFIER.test(localName)) this.error(`load: ${JSON.stringify(localName)} is not a valid identifier`, bpos);
      bindings.push({ local: { kind: 'Ident', pos: bpos, name: localName, ref: null }, name, pos: bpos });
    }
    this.expectOp(')');
    if (bindings.length === 0) this.error('load statement must import at least one symbol', pos);
    return { kind: 'Load', pos, module: String(moduleTok.value), modulePos: this.posOf(moduleTok), bindings };
  }

  private parseSuite(): Stmt[] {
    this.expectOp(':');
    this.enter();
    this.blockDepth++;
    let body: Stmt[];
    if (this.kind() === 'newline') {
      this.advance();
      if (this.kind() !== 'indent') this.error(`expected an indented block but found ${describeToken(this.tok)}`);
      this.advance();
      body = [];
      while (this.kind() !== 'dedent' && this.kind() !== 'eof') {
        if (this.kind() === 'newline') {
          this.advance();
          continue;
        }
        for (const s of this.parseStatement()) body.push(s);
      }
      if (this.kind() === 'dedent') this.advance();
    } else {
      body = this.parseSimpleStatement();
    }
    this.blockDepth--;
    this.leave();
    return body;
  }

  private parseDef(): Stmt {
    const pos = this.pos;
    this.advance(); // def
    const name = this.expectIdent('function name');
    this.expectOp('(');
    const params = this.parseParams(')');
    this.expectOp(')');
    if (this.isOp('->')) this.error('return type annotations are not supported');
    const body = this.parseSuite();
    return { kind: 'Def', pos, name, params, body, code: null };
  }

  private parseParams(end: string): Param[] {
    const params: Param[] = [];
    const seen = new Set<string>();
    let sawStar = false;
    let sawKwargs = false;
    let sawOptional = false;
    while (!this.isOp(end)) {
      const pos = this.pos;
      if (sawKwargs) this.error('parameters may not follow **kwargs');
      let param: Param;
      if (this.isOp('*')) {
        if (sawStar) this.error('multiple * parameters are not allowed');
        sawStar = true;
        this.advance();
        if (this.kind() === 'ident') {
          param = { kind: 'varargs', pos, name: this.advance().text, default: null };
        } else {
          param = { kind: 'star', pos, name: '*', default: null };
        }
      } else if (this.isOp('**')) {
        this.advance();
        sawKwargs = true;
        param = { kind: 'kwargs', pos, name: this.expectIdent('parameter name').name, default: null };
      } else {
        const name = this.expectIdent('parameter name').name;
        if (this.isOp('=')) {
          this.advance();
          param = { kind: 'optional', pos, name, default: this.parseTest() };
          if (!sawStar) sawOptional = true;
        } else {
          if (sawOptional && !sawStar) this.error(`required parameter "${name}" may not follow an optional parameter`, pos);
          param = { kind: 'required', pos, name, default: null };
        }
      }
      if (param.kind !== 'star') {
        if (seen.has(param.name)) this.error(`duplicate parameter "${param.name}"`, pos);
        seen.add(param.name);
      }
      params.push(param);
      if (!this.isOp(',')) break;
      this.advance();
    }
    const starIndex = params.findIndex((p) => p.kind === 'star');
    if (starIndex >= 0) {
      const next = params[starIndex + 1];
      if (next === undefined || next.kind === 'kwargs') {
        this.error('a bare * must be followed by keyword-only parameters', params[starIndex].pos);
      }
    }
    return params;
  }

  private parseIf(): Stmt {
    const pos = this.pos;
    this.advance(); // if
    const branches: IfBranch[] = [];
    const cond = this.parseTest();
    branches.push({ cond, body: this.parseSuite() });
    let orElse: Stmt[] | null = null;
    for (;;) {
      if (this.isKeyword('elif')) {
        this.advance();
        const c = this.parseTest();
        branches.push({ cond: c, body: this.parseSuite() });
      } else if (this.isKeyword('else')) {
        this.advance();
        orElse = this.parseSuite();
        break;
      } else {
        break;
      }
    }
    return { kind: 'If', pos, branches, orElse };
  }

  private parseFor(): Stmt {
    const pos = this.pos;
    this.advance(); // for
    const vars = this.parseLoopVariables();
    this.expectKeyword('in');
    const iterable = this.parseExpression();
    const body = this.parseSuite();
    return { kind: 'For', pos, vars, iterable, body };
  }

  private parseLoopVariables(): Expr {
    const first = this.parsePostfix();
    if (!this.isOp(',')) {
      this.checkAssignTarget(first, false);
      return first;
    }
    const elems = [first];
    while (this.isOp(',')) {
      this.advance();
      if (this.isKeyword('in')) break;
      elems.push(this.parsePostfix());
    }
    const tuple: Expr = { kind: 'Tuple', pos: first.pos, elems };
    this.checkAssignTarget(tuple, false);
    return tuple;
  }

  // --------------------------------------------------------------- expressions

  /** An expression that may be an unparenthesised tuple: `a, b`. */
  private parseExpression(): Expr {
    const first = this.parseTest();
    if (!this.isOp(',')) return first;
    const elems = [first];
    while (this.isOp(',')) {
      this.advance();
      if (!this.startsExpression()) break;
      elems.push(this.parseTest());
    }
    return { kind: 'Tuple', pos: first.pos, elems };
  }

  private startsExpression(): boolean {
    const t = this.tok;
    switch (t.kind) {
      case 'ident':
      case 'int':
      case 'string':
        return true;
      case 'keyword':
        return t.text === 'not' || t.text === 'lambda';
      case 'op':
        return ['(', '[', '{', '-', '+', '~'].includes(t.text);
      default:
        return false;
    }
  }

  private parseTest(): Expr {
    this.enter();
    let result: Expr;
    if (this.isKeyword('lambda')) {
      result = this.parseLambda();
    } else {
      result = this.parseBinary(PREC_OR);
      if (this.isKeyword('if')) {
        const pos = this.pos;
        this.advance();
        const cond = this.parseBinary(PREC_OR);
        this.expectKeyword('else');
        const orElse = this.parseTest();
        result = { kind: 'Cond', pos, cond, then: result, orElse };
      }
    }
    this.leave();
    return result;
  }

  private parseLambda(): Expr {
    const pos = this.pos;
    this.advance(); // lambda
    const params = this.parseParams(':');
    this.expectOp(':');
    const body = this.parseTest();
    return { kind: 'Lambda', pos, params, body, code: null };
  }

  /** Returns the binary operator at the current token, if any. */
  private binaryOperator(): { op: BinaryOp; tokens: number } | null {
    const t = this.tok;
    if (t.kind === 'op') {
      return t.text in BINARY_PRECEDENCE ? { op: t.text as BinaryOp, tokens: 1 } : null;
    }
    if (t.kind === 'keyword') {
      if (t.text === 'or' || t.text === 'and' || t.text === 'in') return { op: t.text, tokens: 1 };
      if (t.text === 'not') {
        const next = this.peek(1);
        if (next.kind === 'keyword' && next.text === 'in') return { op: 'not in', tokens: 2 };
      }
    }
    return null;
  }

  private parseBinary(minPrec: number): Expr {
    let left: Expr;
    if (minPrec <= PREC_NOT && this.isKeyword('not')) {
      const pos = this.pos;
      this.advance();
      this.enter();
      const operand = this.parseBinary(PREC_NOT);
      this.leave();
      left = { kind: 'Unary', pos, op: 'not', operand };
    } else {
      left = this.parseUnary();
    }
    let chain = 0;
    let lastComparison: BinaryOp | null = null;
    for (;;) {
      const found = this.binaryOperator();
      if (found === null) break;
      const prec = BINARY_PRECEDENCE[found.op];
      if (prec < minPrec) break;
      const pos = this.pos;
      if (prec === PREC_COMPARE) {
        if (lastComparison !== null) {
          this.error(`${lastComparison} does not associate with ${found.op} (use parentheses)`);
        }
        lastComparison = found.op;
      }
      this.p += found.tokens;
      this.enter();
      chain++;
      const right = this.parseBinary(prec + 1);
      left = { kind: 'Binary', pos, op: found.op, left, right };
    }
    this.leave(chain);
    return left;
  }

  private parseUnary(): Expr {
    const t = this.tok;
    if (t.kind === 'op' && (t.text === '-' || t.text === '+' || t.text === '~')) {
      const pos = this.pos;
      this.advance();
      this.enter();
      const operand = this.parseUnary();
      this.leave();
      return { kind: 'Unary', pos, op: t.text, operand };
    }
    return this.parsePostfix();
  }

  private parsePostfix(): Expr {
    let x = this.parseOperand();
    let chain = 0;
    for (;;) {
      if (this.isOp('.')) {
        this.advance();
        const name = this.expectIdent("attribute name after '.'");
        x = { kind: 'Dot', pos: name.pos, object: x, name: name.name };
      } else if (this.isOp('(')) {
        x = this.parseCall(x);
      } else if (this.isOp('[')) {
        x = this.parseIndexOrSlice(x);
      } else {
        break;
      }
      this.enter();
      chain++;
    }
    this.leave(chain);
    return x;
  }

  private parseCall(callee: Expr): Expr {
    const pos = this.pos;
    this.advance(); // (
    const args: Arg[] = [];
    let sawNamed = false;
    let sawStar = false;
    let sawStarStar = false;
    const names = new Set<string>();
    while (!this.isOp(')')) {
      const apos = this.pos;
      if (this.isOp('*')) {
        if (sawStar) this.error('multiple *args arguments are not allowed');
        if (sawStarStar) this.error('*args may not follow **kwargs');
        this.advance();
        sawStar = true;
        args.push({ kind: 'star', pos: apos, name: null, value: this.parseTest() });
      } else if (this.isOp('**')) {
        if (sawStarStar) this.error('multiple **kwargs arguments are not allowed');
        this.advance();
        sawStarStar = true;
        args.push({ kind: 'starstar', pos: apos, name: null, value: this.parseTest() });
      } else if (this.kind() === 'ident' && this.peek(1).kind === 'op' && this.peek(1).text === '=') {
        if (sawStarStar) this.error('keyword argument may not follow **kwargs');
        const name = this.advance().text;
        this.advance(); // =
        if (names.has(name)) this.error(`keyword argument "${name}" is repeated`, apos);
        names.add(name);
        sawNamed = true;
        args.push({ kind: 'named', pos: apos, name, value: this.parseTest() });
      } else {
        if (sawNamed || sawStarStar) this.error('positional argument may not follow keyword arguments');
        const value = this.parseTest();
        if (this.isKeyword('for')) this.error('generator expressions are not supported; use a list comprehension');
        args.push({ kind: 'positional', pos: apos, name: null, value });
      }
      if (!this.isOp(',')) break;
      this.advance();
    }
    this.expectOp(')');
    return { kind: 'Call', pos, callee, args };
  }

  private parseIndexOrSlice(object: Expr): Expr {
    const pos = this.pos;
    this.advance(); // [
    let lo: Expr | null = null;
    if (!this.isOp(':')) {
      lo = this.parseTest();
      if (this.isOp(',')) {
        const elems = [lo];
        while (this.isOp(',')) {
          this.advance();
          if (this.isOp(']')) break;
          elems.push(this.parseTest());
        }
        lo = { kind: 'Tuple', pos: lo.pos, elems };
      }
      if (!this.isOp(':')) {
        this.expectOp(']');
        return { kind: 'Index', pos, object, index: lo };
      }
    }
    this.advance(); // :
    let hi: Expr | null = null;
    let step: Expr | null = null;
    if (!this.isOp(']') && !this.isOp(':')) hi = this.parseTest();
    if (this.isOp(':')) {
      this.advance();
      if (!this.isOp(']')) step = this.parseTest();
    }
    this.expectOp(']');
    return { kind: 'Slice', pos, object, lo, hi, step };
  }

  private parseOperand(): Expr {
    const t = this.tok;
    const pos = this.pos;
    switch (t.kind) {
      case 'ident':
        this.advance();
        return { kind: 'Ident', pos, name: t.text, ref: null };
      case 'int':
        this.advance();
        return { kind: 'Literal', pos, value: t.value as number };
      case 'string': {
        this.advance();
        // Adjacent string literals concatenate, as in Python.
        let value = String(t.value);
        while (this.kind() === 'string') value += String(this.advance().value);
        return { kind: 'Literal', pos, value };
      }
      case 'op':
        if (t.text === '(') return this.parseParenthesized();
        if (t.text === '[') return this.parseListOrComprehension();
        if (t.text === '{') return this.parseDictOrComprehension();
        break;
      default:
        break;
    }
    return this.error(`expected expression but found ${describeToken(t)}`);
  }

  private parseParenthesized(): Expr {
    const pos = this.pos;
    this.advance(); // (
    if (this.isOp(')')) {
      this.advance();
      return { kind: 'Tuple', pos, elems: [] };
    }
    const first = this.parseTest();
    if (this.isKeyword('for')) this.error('generator expressions are not supported; use a list comprehension');
    if (!this.isOp(',')) {
      this.expectOp(')');
      return first;
    }
    const elems = [first];
    while (this.isOp(',')) {
      this.advance();
      if (this.isOp(')')) break;
      elems.push(this.parseTest());
    }
    this.expectOp(')');
    return { kind: 'Tuple', pos, elems };
  }

  private parseListOrComprehension(): Expr {
    const pos = this.pos;
    this.advance(); // [
    if (this.isOp(']')) {
      this.advance();
      return { kind: 'List', pos, elems: [] };
    }
    const first = this.parseTest();
    if (this.isKeyword('for')) {
      const clauses = this.parseClauses();
      this.expectOp(']');
      return { kind: 'Comprehension', pos, body: first, entry: null, clauses };
    }
    const elems = [first];
    while (this.isOp(',')) {
      this.advance();
      if (this.isOp(']')) break;
      elems.push(this.parseTest());
    }
    this.expectOp(']');
    return { kind: 'List', pos, elems };
  }

  private parseDictEntry(): DictEntry {
    const key = this.parseTest();
    const pos = this.pos;
    this.expectOp(':');
    const value = this.parseTest();
    return { key, value, pos };
  }

  private parseDictOrComprehension(): Expr {
    const pos = this.pos;
    this.advance(); // {
    if (this.isOp('}')) {
      this.advance();
      return { kind: 'Dict', pos, entries: [] };
    }
    const first = this.parseDictEntry();
    if (this.isKeyword('for')) {
      const clauses = this.parseClauses();
      this.expectOp('}');
      return { kind: 'Comprehension', pos, body: null, entry: first, clauses };
    }
    const entries = [first];
    while (this.isOp(',')) {
      this.advance();
      if (this.isOp('}')) break;
      entries.push(this.parseDictEntry());
    }
    this.expectOp('}');
    return { kind: 'Dict', pos, entries };
  }

  private parseClauses(): CompClause[] {
    const clauses: CompClause[] = [];
    while (this.isKeyword('for') || this.isKeyword('if')) {
      const pos = this.pos;
      this.enter();
      if (this.advance().text === 'for') {
        const vars = this.parseLoopVariables();
        this.expectKeyword('in');
        const iterable = this.parseBinary(PREC_OR);
        clauses.push({ kind: 'for', pos, vars, iterable });
      } else {
        clauses.push({ kind: 'if', pos, cond: this.parseBinary(PREC_OR) });
      }
    }
    this.leave(clauses.length);
    return clauses;
  }
}

/** Position of the leftmost token of an expression (a call's own position is its '('). */
function startOf(e: Expr): Position {
  let x = e;
  for (;;) {
    switch (x.kind) {
      case 'Call':
        x = x.callee;
        break;
      case 'Dot':
      case 'Index':
      case 'Slice':
        x = x.object;
        break;
      case 'Binary':
        x = x.left;
        break;
      case 'Cond':
        x = x.then;
        break;
      default:
        return x.pos;
    }
  }
}

function describeExpr(e: Expr): string {
  switch (e.kind) {
    case 'Literal':
      return 'a literal';
    case 'Call':
      return 'a function call';
    case 'Slice':
      return 'a slice';
    case 'Comprehension':
      return 'a comprehension';
    case 'Dict':
      return 'a dict literal';
    case 'Binary':
    case 'Unary':
      return `an expression using '${e.op}'`;
    case 'Cond':
      return 'a conditional expression';
    case 'Lambda':
      return 'a lambda';
    default:
      return 'this expression';
  }
}
