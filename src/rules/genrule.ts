// Bazel's native genrule, run the way Bazel runs it:
// - `cmd_bash` (else `cmd`) after make-variable expansion, by `bash -c`, after what Bazel's
//   genrule-setup.sh sets (`set -e`, `set -u`, `set -o pipefail`);
// - from an exec root: a directory whose entries link to the workspace's top-level entries, so
//   source files are at their workspace paths, and whose `bazel-out/<config>/bin` links to this
//   build's output tree, so generated files are at Bazel's exec paths;
// - `tools` (and the older `exec_tools`) are built for the host (Bazel's exec configuration);
// - with Bazel's action environment: PATH and a private TMPDIR, nothing else;
// - outputs land in the target's output directory, never in the source tree; stale outputs are
//   removed first, and every declared output must exist afterwards.
// Make variables (Bazel's genrule documentation): $(SRCS) and $(OUTS) are the exec paths of all
// srcs / outs, $< and $@ the single src / out (an error unless there is exactly one), $(@D) the
// directory of the single output, or the package's output directory when there are several,
// $(RULEDIR) the package's output directory, $(GENDIR) and $(BINDIR) the output root,
// $(location[s] x) and $(execpath[s] x) for labels in srcs, outs and tools, `$$` a literal `$`.
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { HOST_CONFIG, configKey } from '../engine/config.ts';
import { hostPlatform } from '../oci/platform.ts';
import { AttrError, type AttrValues } from './attrs.ts';
import { bazelCpu } from './expand_template.ts';
import { MakeVarError, expandMakeVars, makeVarDeps, type MakeVarDep } from './make_vars.ts';
import { COMMON_ATTRS } from './schema.ts';
import type { BuildContext, RuleDef } from './rule.ts';
import type { FileRef } from './provider.ts';
import { Label } from '../workspace/label.ts';

/** How long one genrule command may run before it is stopped. */
export const GENRULE_TIMEOUT_MS = 10 * 60 * 1000;
/** The last bytes of a failing command's output kept in the error. */
const OUTPUT_TAIL = 4000;

const TOOL_ATTRS = new Set(['tools', 'exec_tools']);

function checkOuts(attrs: AttrValues): string[] {
  const outs = attrs.stringList('outs');
  if (outs.length === 0) throw new AttrError('attribute "outs": a genrule needs at least one output');
  const seen = new Set<string>();
  for (const out of outs) {
    if (out === '' || out.startsWith('/') || out.endsWith('/') || out.split('/').some((s) => s === '' || s === '.' || s === '..')) {
      throw new AttrError(`attribute "outs": invalid output name "${out}"`);
    }
    if (seen.has(out)) throw new AttrError(`attribute "outs": "${out}" is listed twice`);
    seen.add(out);
  }
  return outs;
}

function commandOf(attrs: AttrValues): string {
  const cmd = attrs.string('cmd_bash') ?? attrs.string('cmd');
  if (cmd === undefined || cmd.trim() === '') {
    throw new AttrError(attrs.has('cmd_bat') || attrs.has('cmd_ps') ? 'only cmd_bat/cmd_ps are set; set cmd or cmd_bash (commands run with bash here)' : 'missing attribute "cmd" (or "cmd_bash")');
  }
  return cmd;
}

/** The exec root's name for a configuration's output tree (Bazel's `bazel-out/<cpu>-<mode>`). */
function configDirName(key: string, own: string, ownCpu: string): string {
  if (key === own) return `${ownCpu}-fastbuild`;
  if (key === 'host') return `${bazelCpu(hostPlatform())}-opt-exec`;
  return `${key}-fastbuild`;
}

/**
 * Lays out the exec root: links to the workspace's top-level entries (not the output root when
 * it lives inside the workspace, nor Bazel's own bazel-* links) and `bazel-out/<name>/bin` for
 * every configuration's output tree. Returns a function giving a file's exec path.
 */
async function layOutExecRoot(ctx: BuildContext, execRoot: string, files: readonly FileRef[]): Promise<{ exec: (f: FileRef) => string; binDir: string }> {
  const binRoot = join(ctx.outRoot, 'bin');
  const outRootReal = resolve(ctx.outRoot);
  for (const name of await readdir(ctx.workspaceRoot)) {
    if (name.startsWith('bazel-')) continue;
    const abs = resolve(ctx.workspaceRoot, name);
    if (abs === outRootReal || outRootReal.startsWith(abs + sep)) {
      // The output root inside the workspace: link the workspace entries beside it instead.
      if (abs === outRootReal) continue;
      await linkAllBut(abs, join(execRoot, name), outRootReal);
      continue;
    }
    await symlink(abs, join(execRoot, name));
  }
  const own = configKey(ctx.config);
  const ownCpu = bazelCpu(ctx.config.platform ?? hostPlatform());
  const linked = new Set<string>();
  const linkConfig = async (key: string): Promise<string> => {
    const name = configDirName(key, own, ownCpu);
    if (!linked.has(key)) {
      linked.add(key);
      await mkdir(join(binRoot, key), { recursive: true });
      await mkdir(join(execRoot, 'bazel-out', name), { recursive: true });
      await symlink(join(binRoot, key), join(execRoot, 'bazel-out', name, 'bin'));
    }
    return name;
  };
  const binDir = `bazel-out/${await linkConfig(own)}/bin`;
  const names = new Map<string, string>();
  for (const f of files) {
    if (!f.generated) continue;
    const rel = relative(binRoot, f.path);
    if (rel.startsWith('..')) continue;
    const key = rel.split(sep)[0] as string;
    names.set(key, await linkConfig(key));
  }
  const exec = (f: FileRef): string => {
    if (!f.generated) {
      if (f.shortPath.startsWith('../')) throw new MakeVarError(`${f.shortPath}: files of other repositories are not available to genrule here`);
      return f.shortPath;
    }
    const rel = relative(binRoot, f.path).split(sep);
    const key = rel[0] as string;
    return `bazel-out/${names.get(key) ?? configDirName(key, own, ownCpu)}/bin/${rel.slice(1).join('/')}`;
  };
  return { exec, binDir };
}

/** Links every entry of `dir` into `into`, recursing towards `skip` and leaving it out. */
async function linkAllBut(dir: string, into: string, skip: string): Promise<void> {
  await mkdir(into, { recursive: true });
  for (const name of await readdir(dir)) {
    const abs = join(dir, name);
    if (abs === skip) continue;
    if (skip.startsWith(abs + sep)) await linkAllBut(abs, join(into, name), skip);
    else await symlink(abs, join(into, name));
  }
}

function run(command: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; signal: string | null; output: string; timedOut: boolean }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', ['-c', `set -e\nset -u\nset -o pipefail\n${command}`], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const chunks: Buffer[] = [];
    let size = 0;
    const keep = (c: Buffer): void => {
      chunks.push(c);
      size += c.length;
      while (size > OUTPUT_TAIL * 4 && chunks.length > 1) size -= (chunks.shift() as Buffer).length;
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // The whole process group: a command's children must not outlive it.
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run bash for the genrule command: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      resolvePromise({ code, signal, output: text.length > OUTPUT_TAIL ? `…${text.slice(-OUTPUT_TAIL)}` : text, timedOut });
    });
  });
}

export const genruleRule: RuleDef = {
  kind: 'genrule',
  dependencyOnly: true,
  attrs: {
    ...COMMON_ATTRS,
    srcs: { type: 'label_list' },
    outs: { type: 'string_list', mandatory: true },
    cmd: { type: 'string' },
    cmd_bash: { type: 'string' },
    cmd_bat: { type: 'ignored' },
    cmd_ps: { type: 'ignored' },
    tools: { type: 'label_list' },
    exec_tools: { type: 'label_list' },
    toolchains: { type: 'ignored' },
    executable: { type: 'bool' },
    output_to_bindir: { type: 'ignored' },
    output_licenses: { type: 'ignored' },
    message: { type: 'ignored' },
    heuristic_label_expansion: { type: 'ignored' },
    data: { type: 'ignored' },
  },
  depConfigs(_attrs, attr, config) {
    // Tools run here, on the host: Bazel's exec configuration.
    return TOOL_ATTRS.has(attr) ? [HOST_CONFIG] : [config];
  },
  validate(attrs) {
    const outs = checkOuts(attrs);
    commandOf(attrs);
    if (attrs.bool('executable', false) && outs.length !== 1) throw new AttrError('attribute "executable": needs exactly one file in outs');
  },
  async build(ctx) {
    const a = ctx.attrs;
    const label = ctx.target.label;
    const outs = checkOuts(a);
    const command = commandOf(a);
    const outDir = await ctx.outDir();
    const outFiles: FileRef[] = outs.map((o) => ({ path: join(outDir, o), shortPath: ctx.outShortPath(o), generated: true }));
    const srcFiles = ctx.files('srcs');
    const toolFiles = [...ctx.deps('tools'), ...ctx.deps('exec_tools')].flatMap((p) => (p.executable ? [p.executable, ...p.files] : p.files));

    const tmpRoot = join(ctx.outRoot, 'tmp');
    await mkdir(tmpRoot, { recursive: true });
    const execRoot = await mkdtemp(join(tmpRoot, 'genrule-'));
    try {
      const { exec, binDir } = await layOutExecRoot(ctx, execRoot, [...srcFiles, ...toolFiles, ...outFiles]);
      const deps: MakeVarDep[] = [
        ...makeVarDeps(ctx, ['srcs', 'tools', 'exec_tools']),
        ...outs.map((o, i) => ({ label: new Label(label.repo, label.pkg, o), provider: { files: [outFiles[i] as FileRef] } })),
      ];
      const ruleDir = label.pkg === '' ? binDir : `${binDir}/${label.pkg}`;
      const vars: Record<string, string> = {
        SRCS: srcFiles.map(exec).join(' '),
        OUTS: outFiles.map(exec).join(' '),
        RULEDIR: ruleDir,
        '@D': outs.length === 1 ? dirname(exec(outFiles[0] as FileRef)) : ruleDir,
        GENDIR: binDir,
        BINDIR: binDir,
        TARGET_CPU: bazelCpu(ctx.config.platform ?? hostPlatform()),
        COMPILATION_MODE: ctx.compilationMode,
      };
      const hints: Record<string, string> = {};
      if (outFiles.length === 1) vars['@'] = exec(outFiles[0] as FileRef);
      else hints['@'] = `outs has ${outFiles.length} files; use $(OUTS) or $(location <out>)`;
      if (srcFiles.length === 1) vars['<'] = exec(srcFiles[0] as FileRef);
      else hints['<'] = `srcs has ${srcFiles.length} files; use $(SRCS) or $(location <src>)`;
      let expanded: string;
      try {
        expanded = expandMakeVars(command, { deps, repo: label.repo, pkg: label.pkg, vars, undefinedHints: hints, execPath: exec, depsAttr: 'srcs or tools' });
      } catch (err) {
        if (err instanceof MakeVarError) throw new Error(`attribute "${a.has('cmd_bash') ? 'cmd_bash' : 'cmd'}": ${err.message}`);
        throw err;
      }
      for (const f of outFiles) {
        await rm(f.path, { recursive: true, force: true });
        await mkdir(dirname(f.path), { recursive: true });
      }
      // Bazel's action environment: PATH, and a TMPDIR of the action's own. Nothing else of
      // ours (the action's inputs, tokens) reaches a command written in a BUILD file.
      const actionTmp = `${execRoot}.tmp`;
      await mkdir(actionTmp, { recursive: true });
      const env: NodeJS.ProcessEnv = { PATH: ctx.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', TMPDIR: actionTmp };
      let result: Awaited<ReturnType<typeof run>>;
      try {
        result = await run(expanded, execRoot, env, GENRULE_TIMEOUT_MS);
      } finally {
        await rm(actionTmp, { recursive: true, force: true });
      }
      if (result.timedOut || result.code !== 0) {
        const why = result.timedOut ? `did not finish within ${GENRULE_TIMEOUT_MS / 1000} s` : result.code === null ? `was killed by ${result.signal}` : `exited with status ${result.code}`;
        const out = result.output.trim();
        throw new Error(`genrule command ${why}${out === '' ? '' : `:\n${out}`}`);
      }
      for (const f of outFiles) {
        try {
          await stat(f.path);
        } catch {
          throw new Error(`declared output '${f.shortPath}' was not created by genrule`);
        }
      }
      if (a.bool('executable', false)) await chmod((outFiles[0] as FileRef).path, 0o755);
    } finally {
      await rm(execRoot, { recursive: true, force: true });
    }
    ctx.log.info(`${label}: generated ${outFiles.map((f) => f.shortPath).join(', ')}`);
    return a.bool('executable', false) ? { files: outFiles, executable: outFiles[0] } : { files: outFiles };
  },
};
