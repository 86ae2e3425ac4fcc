// A hand-made BuildContext for unit-testing RuleDefs (tar, mtree_spec, mtree_mutate) without the
// engine, plus independent checkers (Python tarfile, bsdtar). Imported by the other
// tar*/mtree* tests; its own test checks the harness itself.
import { fakeBuildContext, type FakeDep } from '../helpers/build_context.ts';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HOST_CONFIG } from '../../src/engine/config.ts';
import { AttrValues, type Plain } from '../../src/rules/attrs.ts';
import { parseLabel } from '../../src/workspace/label.ts';
import type { RuleDef } from '../../src/rules/rule.ts';
import type { FileRef, Provider } from '../../src/rules/provider.ts';
import { python } from '../tar/helpers.ts';

export { pyList, python, sha256sum, tempDir } from '../tar/helpers.ts';

export interface Fixture {
  /** Workspace root (source files live here). */
  root: string;
  /** Output root (generated files and rule outputs live under `bin/`). */
  outRoot: string;
}

export function fixture(dir: string): Fixture {
  const f = { root: join(dir, 'ws'), outRoot: join(dir, 'out') };
  mkdirSync(f.root, { recursive: true });
  mkdirSync(f.outRoot, { recursive: true });
  return f;
}

/** A source file `shortPath` in the workspace. */
export function sourceFile(fx: Fixture, shortPath: string, content: string | Buffer, mode = 0o644): FileRef {
  const path = join(fx.root, shortPath);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  chmodSync(path, mode);
  return { path, shortPath, generated: false };
}

/** A generated file `shortPath` under the output root. */
export function generatedFile(fx: Fixture, shortPath: string, content: string | Buffer, mode = 0o644): FileRef {
  const path = join(fx.outRoot, 'bin', 'host', shortPath);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  chmodSync(path, mode);
  return { path, shortPath, generated: true };
}

export function files(...refs: FileRef[]): Provider {
  return { files: refs };
}

export function executable(ref: FileRef): Provider {
  return { files: [ref], executable: ref };
}

export interface RunOptions {
  /** Package of the target under test. */
  pkg?: string;
  name?: string;
  attrs: Record<string, Plain>;
  /** Providers by label (as written, relative to `pkg`). */
  deps?: Record<string, Provider>;
}

export interface RunResult {
  provider: Provider;
  warnings: string[];
}

/**
 * Validates and builds one target of `rule` like the engine does: attribute types checked,
 * validate(), dependencies per attribute (honouring depConfigs), then build().
 */
export async function runRule(rule: RuleDef, fx: Fixture, opts: RunOptions): Promise<RunResult> {
  const pkg = opts.pkg ?? 'pkg';
  const name = opts.name ?? 'target';
  const attrs = new AttrValues(new Map(Object.entries(opts.attrs)), rule.attrs, '', pkg);
  rule.validate?.(attrs, HOST_CONFIG);
  const byLabel = new Map<string, Provider>();
  for (const [text, p] of Object.entries(opts.deps ?? {})) byLabel.set(parseLabel(text, '', pkg).toString(), p);
  const edges: FakeDep[] = [];
  for (const { attr, label } of attrs.labelDeps()) {
    const configs = rule.depConfigs?.(attrs, attr, HOST_CONFIG, () => ({ os: 'linux', architecture: 'amd64' })) ?? [HOST_CONFIG];
    if (configs.length === 0) continue;
    const provider = byLabel.get(label.toString());
    if (!provider) throw new Error(`test: no provider given for ${label} (attribute "${attr}")`);
    edges.push({ attr, label, provider });
  }
  const warnings: string[] = [];
  const ctx = fakeBuildContext({
    rule,
    attrs,
    pkg,
    name,
    deps: edges,
    outDir: join(fx.outRoot, 'bin', 'host', pkg),
    workspaceRoot: fx.root,
    log: { info: () => {}, warning: (m) => warnings.push(m) },
  });
  const provider = await rule.build(ctx);
  return { provider, warnings };
}

export function hasBsdtar(): boolean {
  try {
    execFileSync('bsdtar', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs real bsdtar on an mtree spec (`bsdtar -cf OUT @spec`) in `cwd` (the "exec root"). */
export function bsdtarCreate(cwd: string, specPath: string, out: string): void {
  execFileSync('bsdtar', ['--create', '--file', out, `@${specPath}`], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface FullMember {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  data?: string;
}

/** Every member with device numbers and raw names (directories without their trailing "/"). */
export function pyMembers(path: string): FullMember[] {
  const code = `
import json, sys, tarfile
out = []
with tarfile.open(sys.argv[1], 'r:*') as t:
    for m in t:
        kind = {tarfile.REGTYPE: 'file', tarfile.AREGTYPE: 'file', tarfile.DIRTYPE: 'dir', tarfile.SYMTYPE: 'symlink',
                tarfile.LNKTYPE: 'hardlink', tarfile.CHRTYPE: 'char', tarfile.BLKTYPE: 'block', tarfile.FIFOTYPE: 'fifo'}.get(m.type, 'other')
        e = dict(name=m.name, type=kind, mode=m.mode, uid=m.uid, gid=m.gid, uname=m.uname, gname=m.gname,
                 mtime=int(m.mtime), linkname=m.linkname, devmajor=m.devmajor, devminor=m.devminor)
        if m.isreg():
            e['data'] = t.extractfile(m).read().decode('utf-8', 'replace')
        out.append(e)
print(json.dumps(out))
`;
  return JSON.parse(python(code, path)) as FullMember[];
}

// Only when this file is the test being run, not when another test imports the helpers.
const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;

if (isMain) test('harness: rules see attributes, deps and an output directory', async (t) => {
  const { tempDir } = await import('../tar/helpers.ts');
  const fx = fixture(await tempDir('tar-harness'));
  const a = sourceFile(fx, 'pkg/a.txt', 'a');
  const rule: RuleDef = {
    kind: 'probe',
    attrs: { srcs: { type: 'label_list' } },
    async build(ctx) {
      return { files: [...ctx.files('srcs'), { path: await ctx.outDir(), shortPath: ctx.outShortPath('x'), generated: true }] };
    },
  };
  const { provider } = await runRule(rule, fx, { attrs: { srcs: [':a.txt'] }, deps: { ':a.txt': files(a) } });
  assert.equal(provider.files[0]?.path, a.path);
  assert.equal(provider.files[1]?.shortPath, 'pkg/x');
  t.diagnostic(`bsdtar available: ${hasBsdtar()}`);
});
