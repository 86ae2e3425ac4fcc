import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_NESTING_DEPTH, parseFile } from '../../src/starlark/index.ts';
import type { Expr, Stmt } from '../../src/starlark/index.ts';
import { errorOf, run, show } from './helpers.ts';

function firstExpr(source: string): Expr {
  const stmt = parseFile('f.bzl', source).stmts[0];
  assert.ok(stmt.kind === 'ExprStmt' || stmt.kind === 'Assign');
  return stmt.kind === 'ExprStmt' ? stmt.expr : stmt.value;
}

/** A compact rendering of an expression tree that shows grouping. */
function shape(e: Expr): string {
  switch (e.kind) {
    case 'Ident':
      return e.name;
    case 'Literal':
      return JSON.stringify(e.value);
    case 'Binary':
      return `(${shape(e.left)} ${e.op} ${shape(e.right)})`;
    case 'Unary':
      return `(${e.op} ${shape(e.operand)})`;
    case 'Cond':
      return `(${shape(e.then)} if ${shape(e.cond)} else ${shape(e.orElse)})`;
    case 'Call':
      return `${shape(e.callee)}(${e.args.map((a) => (a.name ? `${a.name}=` : a.kind === 'star' ? '*' : a.kind === 'starstar' ? '**' : '') + shape(a.value)).join(', ')})`;
    case 'Dot':
      return `${shape(e.object)}.${e.name}`;
    case 'Index':
      return `${shape(e.object)}[${shape(e.index)}]`;
    case 'Tuple':
      return `tuple(${e.elems.map(shape).join(', ')})`;
    case 'List':
      return `[${e.elems.map(shape).join(', ')}]`;
    default:
      return e.kind;
  }
}

describe('parser', () => {
  it('produces statements with positions', () => {
    const mod = parseFile('pkg/BUILD', 'load(":defs.bzl", "m", alias = "other")\n\nm(name = "x")\n');
    assert.equal(mod.file, 'pkg/BUILD');
    const [load, call] = mod.stmts as [Stmt, Stmt];
    assert.equal(load.kind, 'Load');
    if (load.kind === 'Load') {
      assert.equal(load.module, ':defs.bzl');
      assert.deepEqual(load.bindings.map((b) => [b.local.name, b.name]), [['m', 'm'], ['alias', 'other']]);
      assert.deepEqual(load.modulePos, { file: 'pkg/BUILD', line: 1, column: 6 });
    }
    assert.equal(call.kind, 'ExprStmt');
    assert.deepEqual(call.pos, { file: 'pkg/BUILD', line: 3, column: 1 });
    if (call.kind === 'ExprStmt' && call.expr.kind === 'Call') {
      assert.deepEqual(call.expr.pos, { file: 'pkg/BUILD', line: 3, column: 2 });
    }
  });

  it('follows operator precedence', () => {
    assert.equal(shape(firstExpr('a + b * c - d // e')), '((a + (b * c)) - (d // e))');
    assert.equal(shape(firstExpr('a or b and not c == d')), '(a or (b and (not (c == d))))');
    assert.equal(shape(firstExpr('a | b ^ c & d << 1 + 2')), '(a | (b ^ (c & (d << (1 + 2)))))');
    assert.equal(shape(firstExpr('-a.b[c](d)')), '(- a.b[c](d))');
    assert.equal(shape(firstExpr('x not in y')), '(x not in y)');
    assert.equal(shape(firstExpr('a if b else c if d else e')), '(a if b else (c if d else e))');
    assert.equal(shape(firstExpr('f(a, b = 1, *c, **d)')), 'f(a, b=1, *c, **d)');
    assert.equal(shape(firstExpr('1, 2,')), 'tuple(1, 2)');
    assert.equal(shape(firstExpr('(1,)')), 'tuple(1)');
    assert.equal(shape(firstExpr('()')), 'tuple()');
    assert.equal(shape(firstExpr('[1, 2,]')), '[1, 2]');
  });

  it('reports unexpected tokens with expectations', () => {
    assert.equal(errorOf('go_binary(\n    name = "x",\n    srcs = ["a"] name = "y")\n'),
      "BUILD.bazel:3:18: expected ')' but found 'name'");
    assert.equal(errorOf('x = (1, 2'), "BUILD.bazel:1:10: expected ')' but found end of file");
    assert.equal(errorOf('x = [1, 2\ny = 3'), "BUILD.bazel:1:5: '[' is never closed (the parser gave up at 2:1: expected ']' but found 'y')");
    assert.equal(errorOf('x = 1 2'), 'BUILD.bazel:1:7: expected newline but found int literal 2');
    assert.equal(errorOf('x = '), 'BUILD.bazel:1:5: expected expression but found newline');
    assert.equal(errorOf('x = )'), "BUILD.bazel:1:5: expected expression but found ')'");
    assert.equal(errorOf('def f(:\n  pass'), "BUILD.bazel:1:7: expected parameter name but found ':'");
    assert.equal(errorOf('if x\n  pass'), "BUILD.bazel:1:5: expected ':' but found newline");
    assert.equal(errorOf('if True:\npass'), "BUILD.bazel:2:1: expected an indented block but found 'pass'");
    assert.equal(errorOf('  x = 1'), 'BUILD.bazel:1:3: unexpected indentation');
    assert.equal(errorOf('x. 1'), "BUILD.bazel:1:4: expected attribute name after '.' but found int literal 1");
    assert.equal(errorOf('x = {"a" 1}'), "BUILD.bazel:1:10: expected ':' but found int literal 1");
  });

  it('rejects invalid assignment targets', () => {
    assert.equal(errorOf('f() = 1'), 'BUILD.bazel:1:2: cannot assign to a function call');
    assert.equal(errorOf('1 = x'), 'BUILD.bazel:1:1: cannot assign to a literal');
    assert.equal(errorOf('a, b += 1'), 'BUILD.bazel:1:1: cannot use augmented assignment with a tuple');
    assert.equal(errorOf('x[1:2] = y'), 'BUILD.bazel:1:2: cannot assign to a slice');
  });

  it('checks parameter and argument order', () => {
    assert.equal(errorOf('def f(a = 1, b):\n  pass'),
      'BUILD.bazel:1:14: required parameter "b" may not follow an optional parameter');
    assert.equal(errorOf('def f(a, a):\n  pass'), 'BUILD.bazel:1:10: duplicate parameter "a"');
    assert.equal(errorOf('def f(**kw, a):\n  pass'), 'BUILD.bazel:1:13: parameters may not follow **kwargs');
    assert.equal(errorOf('def f(*):\n  pass'), 'BUILD.bazel:1:7: a bare * must be followed by keyword-only parameters');
    assert.equal(errorOf('f(a = 1, 2)'), 'BUILD.bazel:1:10: positional argument may not follow keyword arguments');
    assert.equal(errorOf('f(a = 1, a = 2)'), 'BUILD.bazel:1:10: keyword argument "a" is repeated');
    assert.equal(errorOf('f(**a, b = 1)'), 'BUILD.bazel:1:8: keyword argument may not follow **kwargs');
    assert.equal(errorOf('f(*a, *b)'), 'BUILD.bazel:1:7: multiple *args arguments are not allowed');
    assert.equal(errorOf('f(x for x in y)'), 'BUILD.bazel:1:5: generator expressions are not supported; use a list comprehension');
  });

  it('rejects chained comparisons but allows parenthesised ones', () => {
    assert.equal(errorOf('x = 1 < 2 < 3'), 'BUILD.bazel:1:11: < does not associate with < (use parentheses)');
    assert.equal(show('(1 < 2) == True'), 'True');
  });

  it('only allows load at the top level, with at least one symbol', () => {
    assert.equal(errorOf('if True:\n  load("x.bzl", "y")'), 'BUILD.bazel:2:3: load statements are only allowed at the top level of a file');
    assert.equal(errorOf('load("x.bzl")'), 'BUILD.bazel:1:1: load statement must import at least one symbol');
    assert.equal(errorOf('load(x, "y")'), "BUILD.bazel:1:6: expected module name string literal but found 'x'");
    assert.equal(errorOf('load("x.bzl", "a-b")'), 'BUILD.bazel:1:15: load: "a-b" is not a valid identifier');
  });

  it('supports simple statements on one line and semicolons', () => {
    const g = run('x = 1; y = 2;\nif x: z = 3\nfor i in [1]: w = i\ndef f(): return 4\nv = f()\n');
    assert.deepEqual([g.get('x'), g.get('y'), g.get('z'), g.get('w'), g.get('v')], [1, 2, 3, 1, 4]);
  });

  it('accepts deep but bounded nesting and rejects deeper nesting cleanly', () => {
    const ok = 'x = ' + '['.repeat(200) + ']'.repeat(200);
    assert.doesNotThrow(() => run(ok));
    const n = MAX_NESTING_DEPTH + 10;
    assert.match(errorOf('x = ' + '('.repeat(n) + '1' + ')'.repeat(n)), /^BUILD\.bazel:1:\d+: code is nested too deeply \(more than 500 levels\)$/);
    assert.match(errorOf('x = ' + '-'.repeat(n) + '1'), /code is nested too deeply/);
    assert.match(errorOf('x = a' + '.b'.repeat(n)), /code is nested too deeply/);
    assert.match(errorOf('x = 1' + ' + 1'.repeat(n)), /code is nested too deeply/);
    let deepIf = '';
    for (let i = 0; i < n; i++) deepIf += ' '.repeat(i) + 'if True:\n';
    deepIf += ' '.repeat(n) + 'pass\n';
    assert.match(errorOf(deepIf), /code is nested too deeply/);
  });

  it('parses long elif chains without nesting', () => {
    let src = 'x = 700\n';
    for (let i = 0; i < 700; i++) src += `${i === 0 ? 'if' : 'elif'} x == ${i}:\n  y = ${i}\n`;
    src += 'else:\n  y = -1\n';
    assert.equal(run(src).get('y'), -1);
  });
});
