// Static name resolution. Decides for every identifier whether it is a local
// (a slot in the current function), a free variable of an enclosing function,
// a module global, a host-predeclared name or a builtin, and reports undefined
// names and misplaced break/continue/return before anything runs.

import { StarlarkError } from './errors.ts';
import type { Position } from './errors.ts';
import type { CompClause, Expr, FunctionCode, Ident, Module, Param, Ref, Stmt } from './ast.ts';

interface FunctionScope {
  /** 0 for the module's top level, 1 for functions defined there, ... */
  depth: number;
  numSlots: number;
}

interface Block {
  kind: 'module' | 'function' | 'comprehension';
  names: Map<string, number>;
  parent: Block | null;
  fn: FunctionScope;
}

interface StmtContext {
  inLoop: boolean;
  inFunction: boolean;
}

export function resolveModule(
  mod: Module,
  isPredeclared: (name: string) => boolean,
  isUniversal: (name: string) => boolean,
  undefinedNameHint?: (name: string) => string | undefined,
): void {
  new Resolver(isPredeclared, isUniversal, undefinedNameHint).resolveModule(mod);
}

/** Calls `bind` for each identifier that an assignment target binds. */
function targetNames(target: Expr, bind: (id: Ident) => void): void {
  if (target.kind === 'Ident') {
    bind(target);
  } else if (target.kind === 'Tuple' || target.kind === 'List') {
    for (const e of target.elems) targetNames(e, bind);
  }
}

/** Identifiers bound by statements of one scope (not looking inside nested functions). */
function boundNames(stmts: Stmt[], bind: (id: Ident) => void): void {
  for (const s of stmts) {
    switch (s.kind) {
      case 'Assign':
        targetNames(s.target, bind);
        break;
      case 'Def':
        bind(s.name);
        break;
      case 'For':
        targetNames(s.vars, bind);
        boundNames(s.body, bind);
        break;
      case 'If':
        for (const b of s.branches) boundNames(b.body, bind);
        if (s.orElse !== null) boundNames(s.orElse, bind);
        break;
      case 'Load':
        for (const b of s.bindings) bind(b.local);
        break;
      default:
        break;
    }
  }
}

class Resolver {
  private readonly isPredeclared: (name: string) => boolean;
  private readonly isUniversal: (name: string) => boolean;
  private readonly globals = new Set<string>();
  private readonly undefinedNameHint: (name: string) => string | undefined;

  constructor(
    isPredeclared: (name: string) => boolean,
    isUniversal: (name: string) => boolean,
    undefinedNameHint: (name: string) => string | undefined = () => undefined,
  ) {
    this.isPredeclared = isPredeclared;
    this.isUniversal = isUniversal;
    this.undefinedNameHint = undefinedNameHint;
  }

  private error(reason: string, pos: Position): never {
    throw new StarlarkError(reason, pos);
  }

  resolveModule(mod: Module): void {
    boundNames(mod.stmts, (id) => this.globals.add(id.name));
    const fn: FunctionScope = { depth: 0, numSlots: 0 };
    const block: Block = { kind: 'module', names: new Map(), parent: null, fn };
    this.stmts(mod.stmts, block, { inLoop: false, inFunction: false });
    mod.numSlots = fn.numSlots;
  }

  private lookup(id: Ident, block: Block): Ref {
    const name = id.name;
    for (let b: Block | null = block; b !== null && b.kind !== 'module'; b = b.parent) {
      const slot = b.names.get(name);
      if (slot !== undefined) {
        const depth = block.fn.depth - b.fn.depth;
        return depth === 0 ? { kind: 'local', index: slot } : { kind: 'free', depth, index: slot };
      }
    }
    if (this.globals.has(name)) return { kind: 'global', name };
    if (this.isPredeclared(name)) return { kind: 'predeclared', name };
    if (this.isUniversal(name)) return { kind: 'universal', name };
    const hint = this.undefinedNameHint(name);
    return this.error(`name "${name}" is not defined${hint ? `: ${hint}` : ''}`, id.pos);
  }

  private use(id: Ident, block: Block): void {
    id.ref = this.lookup(id, block);
  }

  private stmts(stmts: Stmt[], block: Block, ctx: StmtContext): void {
    for (const s of stmts) this.stmt(s, block, ctx);
  }

  private stmt(s: Stmt, block: Block, ctx: StmtContext): void {
    switch (s.kind) {
      case 'ExprStmt':
        this.expr(s.expr, block);
        break;
      case 'Assign':
        this.expr(s.value, block);
        this.target(s.target, block);
        break;
      case 'Def':
        for (const p of s.params) if (p.default !== null) this.expr(p.default, block);
        s.code = this.function(s.name.name, s.pos, s.params, s.body, null, block);
        this.use(s.name, block);
        break;
      case 'If':
        for (const b of s.branches) {
          this.expr(b.cond, block);
          this.stmts(b.body, block, ctx);
        }
        if (s.orElse !== null) this.stmts(s.orElse, block, ctx);
        break;
      case 'For':
        this.expr(s.iterable, block);
        this.target(s.vars, block);
        this.stmts(s.body, block, { ...ctx, inLoop: true });
        break;
      case 'Return':
        if (!ctx.inFunction) this.error('return statement not within a function', s.pos);
        if (s.value !== null) this.expr(s.value, block);
        break;
      case 'Break':
      case 'Continue':
        if (!ctx.inLoop) this.error(`${s.kind.toLowerCase()} statement not within a loop`, s.pos);
        break;
      case 'Pass':
        break;
      case 'Load':
        for (const b of s.bindings) this.use(b.local, block);
        break;
    }
  }

  /** Resolves an assignment target: bound identifiers and the subexpressions of x[i] and x.f. */
  private target(t: Expr, block: Block): void {
    switch (t.kind) {
      case 'Ident':
        this.use(t, block);
        break;
      case 'Tuple':
      case 'List':
        for (const e of t.elems) this.target(e, block);
        break;
      default:
        this.expr(t, block);
        break;
    }
  }

  private function(
    name: string, pos: Position, params: Param[], body: Stmt[] | null, result: Expr | null, enclosing: Block,
  ): FunctionCode {
    const fn: FunctionScope = { depth: enclosing.fn.depth + 1, numSlots: 0 };
    const block: Block = { kind: 'function', names: new Map(), parent: enclosing, fn };
    const declare = (n: string): void => {
      if (!block.names.has(n)) block.names.set(n, fn.numSlots++);
    };
    const paramNames: string[] = [];
    const defaults: (Expr | null)[] = [];
    let numPositional = -1;
    for (const p of params) {
      if (p.kind === 'required' || p.kind === 'optional') {
        paramNames.push(p.name);
        defaults.push(p.default);
      } else if ((p.kind === 'star' || p.kind === 'varargs') && numPositional < 0) {
        numPositional = paramNames.length;
      }
    }
    if (numPositional < 0) numPositional = paramNames.length;
    for (const n of paramNames) declare(n);
    const varargs = params.find((p) => p.kind === 'varargs');
    const kwargs = params.find((p) => p.kind === 'kwargs');
    if (varargs !== undefined) declare(varargs.name);
    if (kwargs !== undefined) declare(kwargs.name);
    if (body !== null) {
      boundNames(body, (id) => declare(id.name));
      this.stmts(body, block, { inLoop: false, inFunction: true });
    }
    if (result !== null) this.expr(result, block);
    return {
      name,
      pos,
      paramNames,
      paramIndex: new Map(paramNames.map((n, i) => [n, i])),
      numPositional,
      defaults,
      varargsSlot: varargs === undefined ? -1 : (block.names.get(varargs.name) as number),
      kwargsSlot: kwargs === undefined ? -1 : (block.names.get(kwargs.name) as number),
      numSlots: fn.numSlots,
      body,
      result,
    };
  }

  private comprehension(clauses: CompClause[], block: Block, resolveBody: (inner: Block) => void): void {
    const inner: Block = { kind: 'comprehension', names: new Map(), parent: block, fn: block.fn };
    for (const c of clauses) {
      if (c.kind === 'for') {
        targetNames(c.vars, (id) => {
          if (!inner.names.has(id.name)) inner.names.set(id.name, block.fn.numSlots++);
        });
      }
    }
    clauses.forEach((c, i) => {
      if (c.kind === 'for') {
        // The first iterable is evaluated in the enclosing scope, as in Python.
        this.expr(c.iterable, i === 0 ? block : inner);
        this.target(c.vars, inner);
      } else {
        this.expr(c.cond, inner);
      }
    });
    resolveBody(inner);
  }

  private expr(e: Expr, block: Block): void {
    switch (e.kind) {
      case 'Ident':
        this.use(e, block);
        break;
      case 'Literal':
        break;
      case 'List':
      case 'Tuple':
        for (const x of e.elems) this.expr(x, block);
        break;
      case 'Dict':
        for (const entry of e.entries) {
          this.expr(entry.key, block);
          this.expr(entry.value, block);
        }
        break;
      case 'Comprehension':
        this.comprehension(e.clauses, block, (inner) => {
          if (e.body !== null) this.expr(e.body, inner);
          if (e.entry !== null) {
            this.expr(e.entry.key, inner);
            this.expr(e.entry.value, inner);
          }
        });
        break;
      case 'Unary':
        this.expr(e.operand, block);
        break;
      case 'Binary':
        this.expr(e.left, block);
        this.expr(e.right, block);
        break;
      case 'Cond':
        this.expr(e.cond, block);
        this.expr(e.then, block);
        this.expr(e.orElse, block);
        break;
      case 'Lambda':
        for (const p of e.params) if (p.default !== null) this.expr(p.default, block);
        e.code = this.function('lambda', e.pos, e.params, null, e.body, block);
        break;
      case 'Call':
        this.expr(e.callee, block);
        for (const a of e.args) this.expr(a.value, block);
        break;
      case 'Index':
        this.expr(e.object, block);
        this.expr(e.index, block);
        break;
      case 'Slice':
        this.expr(e.object, block);
        if (e.lo !== null) this.expr(e.lo, block);
        if (e.hi !== null) this.expr(e.hi, block);
        if (e.step !== null) this.expr(e.step, block);
        break;
      case 'Dot':
        this.expr(e.object, block);
        break;
    }
  }
}
