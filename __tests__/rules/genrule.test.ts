// genrule as Bazel runs it: make variables with Bazel's meanings, bash with genrule-setup.sh's
// strictness, from an exec root where sources sit at their workspace paths and outputs under
// bazel-out/<config>/bin; outputs checked afterwards; errors name the attribute or the output.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Workspace } from '../../src/workspace/workspace.ts';
import { parseLabel } from '../../src/workspace/label.ts';
import { Engine } from '../../src/engine/engine.ts';
import { HOST_CONFIG } from '../../src/engine/config.ts';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { RegistryPool } from '../../src/registry/pool.ts';
import { findGoToolchain } from '../../src/go/toolchain.ts';
import { bazelCpu } from '../../src/rules/expand_template.ts';
import { hostPlatform } from '../../src/oci/platform.ts';

const temps: string[] = [];
after(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function workspace(files: Record<string, string>): { ws: Workspace; engine: Engine; out: string; fresh: () => Engine } {
  const base = mkdtempSync(join(tmpdir(), 'genrule-'));
  temps.push(base);
  const root = join(base, 'ws');
  for (const [path, text] of Object.entries({ 'MODULE.bazel': '', ...files })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const out = join(base, 'out');
  const log = { info: () => {}, warning: () => {} };
  const ws = new Workspace(root, { log });
  const fresh = (): Engine => new Engine({
    workspace: new Workspace(root, { log }),
    outRoot: out,
    store: new BlobStore(join(out, 'store')),
    log,
    env: process.env,
    goToolchain: async () => findGoToolchain(),
    registries: new RegistryPool({ explicit: [], insecureRegistries: [], log: () => {}, maskSecret: () => {} }),
  });
  return { ws, engine: fresh(), out, fresh };
}

const build = (engine: Engine, label: string) => engine.build(engine.analyze(parseLabel(label), HOST_CONFIG));
const BIN = `bazel-out/${bazelCpu(hostPlatform())}-fastbuild/bin`;

test('make variables: $(SRCS) $(OUTS) $< $@ $(@D) $(RULEDIR) $(GENDIR) $(BINDIR) $(location) $(execpaths) of srcs and outs, $$', async () => {
  const { engine, out } = workspace({
    'pkg/in.txt': 'input\n',
    'pkg/BUILD.bazel': `genrule(
    name = "g",
    srcs = ["in.txt"],
    outs = ["sub/out.txt"],
    cmd = "echo '$(SRCS)|$(OUTS)|$<|$@|$(@D)|$(RULEDIR)|$(GENDIR)|$(BINDIR)|$(location :in.txt)|$(execpaths in.txt)|$(location sub/out.txt)|$$$$' > $@ && cat $< >> $@",
)
`,
  });
  const p = await build(engine, '//pkg:g');
  assert.equal(p.files.length, 1);
  const f = p.files[0];
  assert.equal(f?.path, join(out, 'bin', 'host', 'pkg', 'sub', 'out.txt'));
  assert.equal(f?.shortPath, 'pkg/sub/out.txt');
  assert.equal(
    readFileSync(f?.path as string, 'utf8'),
    `pkg/in.txt|${BIN}/pkg/sub/out.txt|pkg/in.txt|${BIN}/pkg/sub/out.txt|${BIN}/pkg/sub|${BIN}/pkg|${BIN}|${BIN}|pkg/in.txt|pkg/in.txt|${BIN}/pkg/sub/out.txt|$$\ninput\n`,
  );
});

test('the command sees PATH and its own TMPDIR, not the environment of the build (tokens, inputs)', async () => {
  const { engine } = workspace({
    'pkg/BUILD.bazel': `genrule(name = "env", outs = ["env.txt"], cmd = "env | cut -d= -f1 | sort | tr '\\\\n' ' ' > $@; test -d $$TMPDIR")
`,
  });
  process.env.INPUT_PASSWORD = 'hunter2';
  try {
    const p = await build(engine, '//pkg:env');
    const names = readFileSync(p.files[0]?.path as string, 'utf8').trim().split(' ');
    assert.ok(!names.includes('INPUT_PASSWORD'));
    assert.ok(names.includes('PATH') && names.includes('TMPDIR'), names.join(' '));
    assert.ok(names.every((n) => ['PATH', 'TMPDIR', 'PWD', 'SHLVL', '_', 'OLDPWD'].includes(n)), names.join(' '));
  } finally {
    delete process.env.INPUT_PASSWORD;
  }
});

test('an output label names one file of a genrule with several outs; $(@D) is then the package output directory', async () => {
  const { engine } = workspace({
    'pkg/BUILD.bazel': `genrule(
    name = "g",
    outs = ["a.txt", "b.txt"],
    cmd = "for f in $(OUTS); do echo $$(basename $$f) $(@D) > $$f; done",
)
filegroup(name = "only_b", srcs = [":b.txt"])
`,
  });
  const p = await build(engine, '//pkg:only_b');
  assert.deepEqual(p.files.map((f) => f.shortPath), ['pkg/b.txt']);
  assert.equal(readFileSync(p.files[0]?.path as string, 'utf8'), `b.txt ${BIN}/pkg\n`);
});

test('errors: $@ with several outs, an undeclared label, a failing command with its output, a missing output, set -u and pipefail', async () => {
  const { engine } = workspace({
    'pkg/BUILD.bazel': `genrule(name = "two", outs = ["a", "b"], cmd = "touch $@")
genrule(name = "nodep", outs = ["c"], cmd = "cat $(location //other:x) > $@")
genrule(name = "fails", outs = ["d"], cmd = "echo something went wrong >&2; exit 3")
genrule(name = "lazy", outs = ["e"], cmd = "true")
genrule(name = "unset", outs = ["f"], cmd = "echo $$NO_SUCH_VARIABLE_HERE > $@")
genrule(name = "pipe", outs = ["g"], cmd = "false | cat > $@")
`,
  });
  await assert.rejects(build(engine, '//pkg:two'), { message: 'pkg/BUILD.bazel:1:8: //pkg:two: attribute "cmd": $@ is not defined (outs has 2 files; use $(OUTS) or $(location <out>))' });
  await assert.rejects(build(engine, '//pkg:nodep'), { message: 'pkg/BUILD.bazel:2:8: //pkg:nodep: attribute "cmd": $(location //other:x): //other:x is not a dependency of this rule (add it to srcs or tools)' });
  await assert.rejects(build(engine, '//pkg:fails'), { message: 'pkg/BUILD.bazel:3:8: //pkg:fails: genrule command exited with status 3:\nsomething went wrong' });
  await assert.rejects(build(engine, '//pkg:lazy'), { message: "pkg/BUILD.bazel:4:8: //pkg:lazy: declared output 'pkg/e' was not created by genrule" });
  await assert.rejects(build(engine, '//pkg:unset'), /\/\/pkg:unset: genrule command exited with status 1:\n.*NO_SUCH_VARIABLE_HERE: unbound variable/);
  await assert.rejects(build(engine, '//pkg:pipe'), /\/\/pkg:pipe: genrule command exited with status 1$/);
});

test('genrules are built when needed, not by //...; a stale output is removed before the command runs', async () => {
  const { ws, engine, out, fresh } = workspace({
    'pkg/BUILD.bazel': `genrule(name = "g", outs = ["o"], cmd = "test ! -e $@ && echo fresh > $@")
filegroup(name = "fg", srcs = [":o"])
`,
  });
  assert.deepEqual(ws.expandPattern('//...', '').map((t) => t.label.toString()), ['//pkg:fg']);
  await build(engine, '//pkg:fg');
  // A second build over the same output tree: the command must not see the old output.
  const p = await build(fresh(), '//pkg:g');
  assert.equal(readFileSync(p.files[0]?.path as string, 'utf8'), 'fresh\n');
  assert.equal(statSync(join(out, 'bin', 'host', 'pkg', 'o')).isFile(), true);
});

test('outs must be plain relative names; executable needs one output', () => {
  const { engine } = workspace({
    'pkg/BUILD.bazel': `genrule(name = "up", outs = ["../x"], cmd = "true")
genrule(name = "abs", outs = ["/etc/x"], cmd = "true")
genrule(name = "exe", outs = ["a", "b"], cmd = "true", executable = True)
genrule(name = "nocmd", outs = ["a1"])
`,
  });
  assert.throws(() => engine.analyze(parseLabel('//pkg:up'), HOST_CONFIG), /\/\/pkg:up: attribute "outs": invalid output name "\.\.\/x"/);
  assert.throws(() => engine.analyze(parseLabel('//pkg:abs'), HOST_CONFIG), /\/\/pkg:abs: attribute "outs": invalid output name "\/etc\/x"/);
  assert.throws(() => engine.analyze(parseLabel('//pkg:exe'), HOST_CONFIG), /attribute "executable": needs exactly one file in outs/);
  assert.throws(() => engine.analyze(parseLabel('//pkg:nocmd'), HOST_CONFIG), /missing attribute "cmd" \(or "cmd_bash"\)/);
});
