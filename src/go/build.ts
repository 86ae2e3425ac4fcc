import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { goToolchainError, type GoToolchain } from './toolchain.ts';
import { parseGoDiagnostics, type GoDiagnostic } from './diagnostics.ts';
import { debug, formatCommand } from '../util/debug.ts';
import { BuildError } from '../errors.ts';

export type CompilationMode = 'fastbuild' | 'opt' | 'dbg';

export const COMPILATION_MODES: readonly CompilationMode[] = ['fastbuild', 'opt', 'dbg'];

export interface GoBuildRequest {
  /** Directory holding go.mod; `go build` runs here. */
  moduleRoot: string;
  /** Package to build, relative to moduleRoot ("./apps/hello_world"). */
  packagePath: string;
  goos: string;
  goarch: string;
  /** GOARM / GOAMD64 etc. from the platform variant, when set. */
  goarm?: string;
  goamd64?: string;
  cgo: boolean;
  /** rules_go x_defs: "importpath.Var" → value. */
  xDefs: Record<string, string>;
  gcLinkopts: string[];
  gcGoopts: string[];
  tags: string[];
  /**
   * Bazel's compilation mode, as rules_go applies it with Bazel's default --strip=sometimes:
   * fastbuild links with -s -w (no symbol table, no DWARF; stack traces and the Go build info
   * stay), opt keeps symbols, dbg also compiles without optimisation or inlining (-N -l).
   * Default fastbuild.
   */
  compilationMode?: CompilationMode;
  /**
   * `-overlay`: JSON file mapping package-directory files to generated sources (src/go/overlay.ts);
   * its name is content-keyed, so the arguments change whenever a generated file does.
   */
  overlay?: string;
  /**
   * `-modfile`: a generated copy of go.mod (go.sum beside it) with go_deps overrides applied
   * (src/go/module_overrides.ts); content-keyed like the overlay.
   */
  modfile?: string;
  /** x_defs took workspace status values, which may differ next run (never predicted: batch.ts). */
  stamped?: true;
  /** Output file (written atomically). */
  out: string;
  /** Label shown in errors. */
  label: string;
}

/** Quotes one -ldflags word the way cmd/go's quoted.Split reads it back. */
function quoteFlagWord(word: string): string {
  if (!/[\s'"]/.test(word)) return word;
  if (!word.includes("'")) return `'${word}'`;
  if (!word.includes('"')) return `"${word}"`;
  throw new Error(`x_defs value cannot contain both quote characters: ${word}`);
}

export function goBuildArgs(req: GoBuildRequest): string[] {
  // -trimpath and no VCS stamp make the output depend only on sources, flags and toolchain. The
  // build ID is kept: it is itself a hash of those inputs (Go builds are reproducible with it),
  // and it lets `go build -o` see that an existing output is up to date and skip relinking.
  const ldflags: string[] = [];
  for (const [key, value] of Object.entries(req.xDefs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const name = key.includes('.') ? key : `main.${key}`;
    ldflags.push('-X', quoteFlagWord(`${name}=${value}`));
  }
  ldflags.push(...req.gcLinkopts.map(quoteFlagWord));
  const mode = req.compilationMode ?? 'fastbuild';
  // After gc_linkopts, where rules_go puts them. Stripping also makes the link about a third cheaper.
  if (mode === 'fastbuild') ldflags.push('-s', '-w');
  const args = ['build', '-trimpath', '-buildvcs=false'];
  if (ldflags.length > 0) args.push(`-ldflags=${ldflags.join(' ')}`);
  const gcflags = req.gcGoopts.map(quoteFlagWord);
  if (mode === 'dbg') args.push(`-gcflags=all=${['-N', '-l', ...gcflags].join(' ')}`);
  else if (gcflags.length > 0) args.push(`-gcflags=${gcflags.join(' ')}`);
  if (req.tags.length > 0) args.push(`-tags=${req.tags.join(',')}`);
  if (req.overlay !== undefined) args.push(`-overlay=${req.overlay}`);
  if (req.modfile !== undefined) args.push(`-modfile=${req.modfile}`);
  // go build links in its own work directory and only then replaces the output: a failed build
  // leaves the previous output as it was.
  args.push('-o', req.out, req.packagePath);
  return args;
}

export function goBuildEnv(req: GoBuildRequest, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    GOOS: req.goos,
    GOARCH: req.goarch,
    CGO_ENABLED: req.cgo ? '1' : '0',
    GOTOOLCHAIN: 'local',
    GOFLAGS: base.GOFLAGS ?? '',
  };
  delete env.GOARM;
  delete env.GOAMD64;
  if (req.goarm) env.GOARM = req.goarm;
  if (req.goamd64) env.GOAMD64 = req.goamd64;
  return env;
}

/** Runs `go build`; on failure the error carries Go's own output. */
export async function goBuild(tc: GoToolchain, req: GoBuildRequest, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  await mkdir(dirname(req.out), { recursive: true });
  const args = goBuildArgs(req);
  const output: Buffer[] = [];
  debug(() => `${req.label}: (cd ${req.moduleRoot} && GOOS=${req.goos} GOARCH=${req.goarch} ${formatCommand(tc.go, args)})`);
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(tc.go, args, { cwd: req.moduleRoot, env: goBuildEnv(req, env), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => output.push(c));
    child.stderr.on('data', (c: Buffer) => output.push(c));
    child.on('error', (err) => reject(goToolchainError(tc.go, err)));
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) {
    const text = Buffer.concat(output).toString('utf8').trim();
    throw new GoBuildError(req.label, `go build failed (GOOS=${req.goos} GOARCH=${req.goarch})`, text, req.moduleRoot);
  }
}

/** A failed `go build` of target `label`: `summary` is the one line, `output` Go's own text after it. */
export class GoBuildError extends BuildError {
  readonly summary: string;
  readonly output: string;
  /** Go's `file:line:col: message` lines, for annotations on the Go source. */
  readonly diagnostics: GoDiagnostic[];
  constructor(label: string, summary: string, output: string, dir?: string) {
    super(output === '' ? summary : `${summary}:\n${output}`, { label });
    this.name = 'GoBuildError';
    this.summary = summary;
    this.output = output;
    this.diagnostics = dir === undefined ? [] : parseGoDiagnostics(output, dir);
  }
}
