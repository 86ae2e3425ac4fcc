// Syntax tree produced by the parser. The resolver fills in `ref` on
// identifiers, `code` on functions and `numSlots` on the module.

import type { Position } from './errors.ts';

/** Where an identifier's value lives, decided statically by the resolver. */
export type Ref =
  | { kind: 'local'; index: number }
  | { kind: 'free'; depth: number; index: number }
  | { kind: 'global'; name: string }
  | { kind: 'predeclared'; name: string }
  | { kind: 'universal'; name: string };

export type BinaryOp =
  | 'or' | 'and'
  | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in'
  | '|' | '^' | '&' | '<<' | '>>'
  | '+' | '-' | '*' | '/' | '//' | '%';

export type UnaryOp = 'not' | '-' | '+' | '~';

export type AssignOp = '=' | '+=' | '-=' | '*=' | '/=' | '//=' | '%=' | '&=' | '|=' | '^=' | '<<=' | '>>=';

export interface Ident { kind: 'Ident'; pos: Position; name: string; ref: Ref | null }
export interface Literal { kind: 'Literal'; pos: Position; value: string | number }
export interface ListExpr { kind: 'List'; pos: Position; elems: Expr[] }
export interface TupleExpr { kind: 'Tuple'; pos: Position; elems: Expr[] }
export interface DictEntry { key: Expr; value: Expr; pos: Position }
export interface DictExpr { kind: 'Dict'; pos: Position; entries: DictEntry[] }

export type CompClause =
  | { kind: 'for'; pos: Position; vars: Expr; iterable: Expr }
  | { kind: 'if'; pos: Position; cond: Expr };

export interface Comprehension {
  kind: 'Comprehension';
  pos: Position;
  /** A list comprehension has `body`; a dict comprehension has `entry`. */
  body: Expr | null;
  entry: DictEntry | null;
  clauses: CompClause[];
}

export interface Unary { kind: 'Unary'; pos: Position; op: UnaryOp; operand: Expr }
export interface Binary { kind: 'Binary'; pos: Position; op: BinaryOp; left: Expr; right: Expr }
export interface Cond { kind: 'Cond'; pos: Position; cond: Expr; then: Expr; orElse: Expr }
export interface Lambda { kind: 'Lambda'; pos: Position; params: Param[]; body: Expr; code: FunctionCode | null }

export interface Arg {
  kind: 'positional' | 'named' | 'star' | 'starstar';
  pos: Position;
  name: string | null;
  value: Expr;
}

export interface Call { kind: 'Call'; pos: Position; callee: Expr; args: Arg[] }
export interface Index { kind: 'Index'; pos: Position; object: Expr; index: Expr }
export interface Slice { kind: 'Slice'; pos: Position; object: Expr; lo: Expr | null; hi: Expr | null; step: Expr | null }
export interface Dot { kind: 'Dot'; pos: Position; object: Expr; name: string }

export type Expr =
  | Ident | Literal | ListExpr | TupleExpr | DictExpr | Comprehension
  | Unary | Binary | Cond | Lambda | Call | Index | Slice | Dot;

export interface Param {
  /** `star` is a bare `*` that only separates keyword-only parameters. */
  kind: 'required' | 'optional' | 'varargs' | 'kwargs' | 'star';
  pos: Position;
  name: string;
  default: Expr | null;
}

export interface ExprStmt { kind: 'ExprStmt'; pos: Position; expr: Expr }
export interface Assign { kind: 'Assign'; pos: Position; op: AssignOp; target: Expr; value: Expr }
export interface Def { kind: 'Def'; pos: Position; name: Ident; params: Param[]; body: Stmt[]; code: FunctionCode | null }
export interface IfBranch { cond: Expr; body: Stmt[] }
export interface If { kind: 'If'; pos: Position; branches: IfBranch[]; orElse: Stmt[] | null }
export interface For { kind: 'For'; pos: Position; vars: Expr; iterable: Expr; body: Stmt[] }
export interface Return { kind: 'Return'; pos: Position; value: Expr | null }
export interface Break { kind: 'Break'; pos: Position }
export interface Continue { kind: 'Continue'; pos: Position }
export interface Pass { kind: 'Pass'; pos: Position }
export interface LoadBinding { local: Ident; name: string; pos: Position }
export interface Load { kind: 'Load'; pos: Position; module: string; modulePos: Position; bindings: LoadBinding[] }

export type Stmt = ExprStmt | Assign | Def | If | For | Return | Break | Continue | Pass | Load;

export interface Module {
  kind: 'Module';
  file: string;
  stmts: Stmt[];
  /** Slots for comprehension variables at top level; set by the resolver. */
  numSlots: number;
}

/**
 * The static part of a function (def or lambda), computed by the resolver.
 * Slot layout: named parameters in order, then *args, then **kwargs, then the
 * remaining locals (including comprehension variables).
 */
export interface FunctionCode {
  name: string;
  pos: Position;
  /** Named parameters: positional ones first, then keyword-only ones. */
  paramNames: string[];
  paramIndex: Map<string, number>;
  numPositional: number;
  /** Default-value expressions, one per named parameter. */
  defaults: (Expr | null)[];
  varargsSlot: number;
  kwargsSlot: number;
  numSlots: number;
  /** Body of a def; null for a lambda. */
  body: Stmt[] | null;
  /** Result expression of a lambda; null for a def. */
  result: Expr | null;
}
