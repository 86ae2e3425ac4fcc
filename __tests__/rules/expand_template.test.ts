import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { fakeBuildContext } from '../helpers/build_context.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttrValues, PlainDict, type Plain } from '../../src/rules/attrs.ts';
import { expandTemplateRule, skylibExpandTemplateRule } from '../../src/rules/expand_template.ts';
import type { BuildContext, RuleDef } from '../../src/rules/rule.ts';
import type { Provider } from '../../src/rules/provider.ts';
import { HOST_CONFIG, withPlatform, type Configuration } from '../../src/engine/config.ts';
import { stampValues } from '../../src/rules/stamp.ts';

const root = await mkdtemp(join(tmpdir(), 'expand-template-'));
let n = 0;

interface CtxOpts {
  deps?: Record<string, Provider[]>;
  stamp?: { enabled: boolean; values: Record<string, string> };
  config?: Configuration;
}

// Counts reads of the workspace status: an unstamped target must never run git for it.
let statusReads = 0;
function readStatus(values: Record<string, string>): () => Promise<Record<string, string>> {
  return async () => {
    statusReads++;
    return values;
  };
}

function ctxFor(rule: RuleDef, name: string, attrs: Record<string, Plain>, o: CtxOpts = {}): BuildContext {
  const values = new AttrValues(new Map(Object.entries(attrs)), rule.attrs, '', 'pkg');
  rule.validate?.(values, o.config ?? HOST_CONFIG);
  return fakeBuildContext({
    rule,
    attrs: values,
    name,
    config: o.config,
    deps: Object.entries(o.deps ?? {}).flatMap(([attr, ps]) => ps.map((provider) => ({ attr, provider }))),
    outDir: join(root, `out${n++}`, 'pkg'),
    workspaceRoot: root,
    stamp: o.stamp && { enabled: o.stamp.enabled, values: readStatus(o.stamp.values) },
  });
}

async function build(rule: RuleDef, name: string, attrs: Record<string, Plain>, o: CtxOpts = {}): Promise<{ text: string; path: string; shortPath: string; p: Provider }> {
  const p = await rule.build(ctxFor(rule, name, attrs, o));
  const f = p.files[0];
  assert.ok(f && p.files.length === 1);
  return { text: await readFile(f.path, 'utf8'), path: f.path, shortPath: f.shortPath, p };
}

async function source(shortPath: string, content: string, generated = false): Promise<Provider> {
  const path = join(root, 'src', shortPath);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  return { files: [{ path, shortPath, generated }] };
}

const STATUS = { BUILD_EMBED_LABEL: '1.2.3', STABLE_GIT_COMMIT: 'abc123', BUILD_USER: 'has space' };
const tagsAttrs = {
  template: ['latest', '0.0.0', '{{STABLE_GIT_COMMIT}}'],
  substitutions: new PlainDict([['latest', 'edge']]),
  stamp_substitutions: new PlainDict([['0.0.0', '{{BUILD_EMBED_LABEL}}']]),
};

test('inline template, unstamped: substitutions only, {{KEY}} untouched, <name>.txt without trailing newline', async () => {
  const reads = statusReads;
  const r = await build(expandTemplateRule, 'tags', tagsAttrs, { stamp: { enabled: false, values: STATUS } });
  assert.equal(statusReads, reads, 'the workspace status was read for an unstamped target');
  assert.equal(r.text, 'edge\n0.0.0\n{{STABLE_GIT_COMMIT}}');
  assert.equal(r.shortPath, 'pkg/tags.txt');
  assert.equal(r.p.executable, undefined);
});

test('stamped (--stamp with stamp=-1): stamp_substitutions laid over, {{KEY}} from status values everywhere', async () => {
  const r = await build(expandTemplateRule, 'tags', tagsAttrs, { stamp: { enabled: true, values: STATUS } });
  assert.equal(r.text, 'edge\n1.2.3\n{{STABLE_GIT_COMMIT}}');
  const r2 = await build(
    expandTemplateRule,
    't',
    {
      template: ['@A@ @B@ {{STABLE_GIT_COMMIT}} {{NOPE}} {{BUILD_USER}}'],
      // dicts.add keeps @A@'s place: @A@->@B@ then @B@->C, so @A@ ends as C; unknown keys and values with spaces stay literal
      substitutions: new PlainDict([['@A@', 'x'], ['@B@', 'C'], ['{{STABLE_GIT_COMMIT}}', 'c={{STABLE_GIT_COMMIT}}']]),
      stamp_substitutions: new PlainDict([['@A@', '@B@']]),
    },
    { stamp: { enabled: true, values: STATUS } },
  );
  assert.equal(r2.text, 'C C c=abc123 {{NOPE}} {{BUILD_USER}}');
});

test('stamp = 1 stamps without --stamp, stamp = 0 never stamps', async () => {
  const on = await build(expandTemplateRule, 'a', { ...tagsAttrs, stamp: 1 }, { stamp: { enabled: false, values: STATUS } });
  assert.equal(on.text, 'edge\n1.2.3\n{{STABLE_GIT_COMMIT}}');
  const off = await build(expandTemplateRule, 'b', { ...tagsAttrs, stamp: 0 }, { stamp: { enabled: true, values: STATUS } });
  assert.equal(off.text, 'edge\n0.0.0\n{{STABLE_GIT_COMMIT}}');
});

test('{{BUILD_EMBED_LABEL}} from GITHUB_REF=refs/tags/v1.2.3 (rules_oci remote_tags pattern)', async () => {
  const values = await stampValues({ GITHUB_REF: 'refs/tags/v1.2.3', GITHUB_SHA: 'f'.repeat(40) }, { cwd: root });
  const r = await build(
    expandTemplateRule,
    'stamped',
    { out: '_stamped.tags.txt', template: ['0.0.0'], stamp_substitutions: new PlainDict([['0.0.0', '{{BUILD_EMBED_LABEL}}']]) },
    { stamp: { enabled: true, values } },
  );
  assert.equal(r.text, '1.2.3');
  assert.equal(r.shortPath, 'pkg/_stamped.tags.txt');
});

test('template file: default out next to the source, is_executable, UTF-8, make variables', async () => {
  const tmpl = await source('pkg/sub/run.sh.tpl', 'cpu=@CPU@ bin=@BIN@ out=@OUT@ t=@T@ $x €\n');
  const r = await build(
    expandTemplateRule,
    'run',
    {
      template: ':sub/run.sh.tpl',
      is_executable: true,
      data: [':ignored'],
      substitutions: new PlainDict([
        ['@CPU@', '$(TARGET_CPU)'],
        ['@BIN@', '$(BINDIR)'],
        ['@OUT@', '$@ $(@D)'],
        ['@T@', '$(TARGET) $$HOME'],
        ['€', 'é'],
      ]),
    },
    { deps: { template: [tmpl] }, config: withPlatform({ os: 'linux', architecture: 'arm64' }) },
  );
  assert.equal(r.shortPath, 'pkg/sub/run.sh.tpl');
  const bin = 'bazel-out/aarch64-fastbuild/bin';
  assert.equal(r.text, `cpu=aarch64 bin=${bin} out=${bin}/pkg/sub/run.sh.tpl ${bin}/pkg/sub t=//pkg:run $HOME $x é\n`);
  assert.equal((await stat(r.path)).mode & 0o777, 0o755);
  assert.equal(r.p.executable, undefined);
});

test('generated template defaults out to <name>.txt; a source template of another package needs out', async () => {
  const gen = await source('other/gen.txt', 'v=@V@', true);
  const r = await build(expandTemplateRule, 'g', { template: '//other:gen.txt', substitutions: new PlainDict([['@V@', '1']]) }, { deps: { template: [gen] } });
  assert.deepEqual([r.shortPath, r.text], ['pkg/g.txt', 'v=1']);
  const src = await source('other/src.txt', 'x');
  await assert.rejects(build(expandTemplateRule, 'h', { template: '//other:src.txt' }, { deps: { template: [src] } }), /not in package "pkg".*set "out"/);
});

test('errors: unknown make variable, location expansion, $x, bad stamp, skylib without out', async () => {
  const bad = (v: string) => build(expandTemplateRule, 'e', { template: ['x'], substitutions: new PlainDict([['x', v]]) });
  await assert.rejects(bad('$(CC)'), /attribute "substitutions": value for "x": \$\(CC\) not defined \(supported: \$\(BINDIR\)/);
  await assert.rejects(bad('$(execpath :bin)'), /location expansion is not supported/);
  await assert.rejects(bad('$HOME'), /'\$HOME' syntax is not supported/);
  // stamp_substitutions are only expanded when stamping
  const unstamped = await build(expandTemplateRule, 'e2', { template: ['x'], stamp_substitutions: new PlainDict([['x', '$(CC)']]) });
  assert.equal(unstamped.text, 'x');
  assert.throws(() => ctxFor(expandTemplateRule, 's', { template: ['x'], stamp: 2 }), /"stamp": has to be one of 1, 0, -1 instead of '2'/);
  assert.throws(() => ctxFor(skylibExpandTemplateRule, 's', { template: ':t', substitutions: new PlainDict([]) }), /missing mandatory attribute "out"/);
  assert.throws(() => ctxFor(expandTemplateRule, 's', { template: ['x'], out: '../x' }), /invalid output name/);
});

test('skylib expand_template: template file, substitutions in order, out; no make variables or stamping', async () => {
  const tmpl = await source('pkg/in.tpl', 'a $(BINDIR) {{BUILD_EMBED_LABEL}}');
  const r = await build(
    skylibExpandTemplateRule,
    'sk',
    { template: ':in.tpl', out: 'gen/out.txt', substitutions: new PlainDict([['a', 'b'], ['b', 'c']]) },
    { deps: { template: [tmpl] }, stamp: { enabled: true, values: STATUS } },
  );
  assert.deepEqual([r.shortPath, r.text], ['pkg/gen/out.txt', 'c $(BINDIR) {{BUILD_EMBED_LABEL}}']);
  assert.equal((await stat(r.path)).mode & 0o777, 0o644);
});
