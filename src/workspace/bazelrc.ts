// The workspace's `.bazelrc`, read the way Bazel's client reads rc files (src/main/cpp/rc_file.cc)
// and the server applies them, for the few build options that change what oci-build produces:
//
//   --stamp / --nostamp / --stamp=BOOL        stamp targets whose `stamp` is -1
//   --workspace_status_command=CMD            extra KEY value lines for stamping
//   --embed_label=TEXT                        BUILD_EMBED_LABEL
//   --define=KEY=VALUE (repeatable)           config_setting(define_values = …) / values = {"define": …}
//   --compilation_mode=MODE / -c MODE         fastbuild, opt, dbg
//   --platforms=LABEL                         the platform targets are built for (the first label)
//   --config=NAME                             expands `common:NAME` / `build:NAME` lines in place
//   --enable_platform_specific_config         also applies the host OS's config (build:linux)
//
// File syntax: a `\` at the end of a line continues it; `${VAR}` takes the environment's value when
// VAR is set and non-empty; words split like a shell (single and double quotes, `\` escapes); `#`
// starts a comment; `import PATH` / `try-import PATH` read another file (`%workspace%` is the
// workspace root; a missing try-import is skipped; an import loop is an error). The first word of
// every other line names the command its options apply to, optionally with `:CONFIG`. For a build,
// Bazel applies `always`, then `common`, then `build` lines (each in file order), then the command
// line; `--config` lines expand at the place the flag stands. Other options are not read.
// Only `<workspace>/.bazelrc` is read (no system or home rc file: a CI build should not depend on
// the runner's home directory).
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { BuildError, type SourcePosition } from '../errors.ts';
import { COMPILATION_MODES, type CompilationMode } from '../go/build.ts';

export interface BazelrcOptions {
  stamp?: boolean;
  workspaceStatusCommand?: string;
  embedLabel?: string;
  /** --define KEY=VALUE, the last value of each key. */
  defines: Record<string, string>;
  compilationMode?: CompilationMode;
  /** The first label of the last --platforms. */
  platforms?: string;
  /** Each option applied, in order, as `file:line: --flag=value`, for the log. */
  applied: string[];
  /** rc files read, workspace-relative. */
  files: string[];
}

interface RcOption {
  word: string;
  /** Where the word was written (a flag's separate value must be on the same line). */
  file: string;
  line: number;
}

/** Splits one rc line into words: quotes, `\` escapes, `#` comments (blaze_util::Tokenize). */
export function tokenizeRcLine(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
      continue;
    }
    if (c === '#') break;
    if (c === ' ' || c === '\t' || c === '\r') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '"' || c === "'") quote = c;
    else if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else cur += c;
  }
  if (inWord) words.push(cur);
  return words;
}

const WORKSPACE_PREFIX = '%workspace%';

class RcReader {
  /** command (with optional :config) → options in file order. */
  readonly options = new Map<string, RcOption[]>();
  readonly files: string[] = [];
  readonly #root: string;
  readonly #env: NodeJS.ProcessEnv;

  constructor(root: string, env: NodeJS.ProcessEnv) {
    this.#root = root;
    this.#env = env;
  }

  display(path: string): string {
    const rel = relative(this.#root, path);
    return rel.startsWith('..') || isAbsolute(rel) ? path : rel.split('\\').join('/');
  }

  /** Reads `path`; false when it cannot be read (for try-import). */
  read(path: string, stack: string[]): boolean {
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch {
      return false;
    }
    const shown = this.display(path);
    this.files.push(shown);
    // Continuations are removed before splitting, so line numbers count physical lines of the first part.
    const physical = text.split('\n');
    const logical: Array<{ text: string; line: number }> = [];
    for (let i = 0; i < physical.length; i++) {
      const start = i;
      let t = physical[i] as string;
      while ((t.endsWith('\\') || t.endsWith('\\\r')) && i + 1 < physical.length) {
        t = t.replace(/\\\r?$/, '') + physical[++i];
      }
      logical.push({ text: t, line: start + 1 });
    }
    for (const { text: raw, line } of logical) {
      let l = raw.trim();
      if (l === '') continue;
      l = l.replace(/\$\{(.*?)\}/g, (m, name: string) => {
        const v = this.#env[name];
        return v !== undefined && v !== '' ? v : m;
      });
      const words = tokenizeRcLine(l);
      if (words.length === 0) continue;
      const [command, ...rest] = words as [string, ...string[]];
      if (command === 'import' || command === 'try-import') {
        if (rest.length !== 1) throw new BuildError(`invalid import declaration: "${l}" (expected one path)`, { pos: { file: shown, line } });
        let target = rest[0] as string;
        if (target.startsWith(WORKSPACE_PREFIX)) target = join(this.#root, target.slice(WORKSPACE_PREFIX.length));
        else if (!isAbsolute(target)) target = join(this.#root, target);
        if (stack.includes(target)) {
          throw new BuildError(`import loop: ${[...stack, target].map((p) => this.display(p)).join(' -> ')}`, { pos: { file: shown, line } });
        }
        const ok = this.read(target, [...stack, target]);
        if (!ok && command === 'import') throw new BuildError(`import: cannot read ${this.display(target)}`, { pos: { file: shown, line } });
        continue;
      }
      const list = this.options.get(command) ?? [];
      for (const w of rest) list.push({ word: w, file: shown, line });
      this.options.set(command, list);
    }
    return true;
  }
}

/** Commands whose rc lines apply to a build, in the order Bazel applies them. */
const COMMANDS = ['always', 'common', 'build'];

/** Flags read here that take a value, by name without dashes (short `-c` included). */
const VALUE_FLAGS = new Set(['workspace_status_command', 'embed_label', 'define', 'compilation_mode', 'c', 'platforms', 'config']);

/** Where an rc option came from, as a BuildError places it: its file and line, or the input it came from. */
type RcWhere = { pos: SourcePosition } | { label: string };

function parseBoolFlag(value: string, where: RcWhere, flag = 'stamp'): boolean {
  const v = value.toLowerCase();
  if (['true', 'yes', '1'].includes(v)) return true;
  if (['false', 'no', '0'].includes(v)) return false;
  throw new BuildError(`--${flag}: expected a boolean, got "${value}"`, where);
}

/** Bazel's names for the host OS in --enable_platform_specific_config. */
const HOST_CONFIG_NAMES: Partial<Record<NodeJS.Platform, string>> = { linux: 'linux', darwin: 'macos', win32: 'windows', freebsd: 'freebsd', openbsd: 'openbsd' };

/**
 * Reads `<root>/.bazelrc` (when present) and applies the rc options of a build plus the named
 * `configs` (the `config` input / --config flags, in order), returning the options read here.
 * Throws BuildError naming file:line for a malformed file, an unknown config, or a bad value.
 */
export function readBazelrc(root: string, configs: string[] = [], env: NodeJS.ProcessEnv = process.env): BazelrcOptions {
  const reader = new RcReader(root, env);
  const main = join(root, '.bazelrc');
  if (existsSync(main)) reader.read(main, [main]);
  const out: BazelrcOptions = { defines: {}, applied: [], files: reader.files };
  let platformConfig = false;

  const defined = (name: string) => COMMANDS.some((c) => reader.options.has(`${c}:${name}`));
  const apply = (opts: RcOption[], expanding: string[]): void => {
    for (let i = 0; i < opts.length; i++) {
      const o = opts[i] as RcOption;
      const where: RcWhere = { pos: { file: o.file, line: o.line } };
      const m = /^(--?)([A-Za-z0-9_]+)(?:=(.*))?$/s.exec(o.word);
      if (!m) continue;
      let name = m[2] as string;
      let value = m[3];
      if (m[1] === '-' && name !== 'c') continue;
      if (value === undefined && VALUE_FLAGS.has(name)) {
        // `--flag value`: the value is the next word on the same line.
        const next = opts[i + 1];
        if (!next || next.file !== o.file || next.line !== o.line) throw new BuildError(`${o.word} needs a value`, where);
        value = next.word;
        i++;
      }
      if (name === 'c') name = 'compilation_mode';
      const note = (text: string) => out.applied.push(`${o.file}:${o.line}: ${text}`);
      switch (name) {
        case 'stamp':
          out.stamp = value === undefined ? true : parseBoolFlag(value, where);
          note(`--stamp=${out.stamp}`);
          break;
        case 'nostamp':
          out.stamp = false;
          note('--nostamp');
          break;
        case 'workspace_status_command':
          // An empty value resets it: no status command, as in Bazel.
          out.workspaceStatusCommand = value ? value.split(WORKSPACE_PREFIX).join(root) : undefined;
          note(`--workspace_status_command=${value}`);
          break;
        case 'embed_label':
          out.embedLabel = value ?? '';
          note(`--embed_label=${value}`);
          break;
        case 'define': {
          const eq = (value ?? '').indexOf('=');
          if (eq <= 0) throw new BuildError(`--define: expected KEY=VALUE, got "${value}"`, where);
          out.defines[(value as string).slice(0, eq)] = (value as string).slice(eq + 1);
          note(`--define=${value}`);
          break;
        }
        case 'compilation_mode': {
          const mode = COMPILATION_MODES.find((c) => c === value);
          if (!mode) throw new BuildError(`--compilation_mode: expected fastbuild, opt or dbg, got "${value}"`, where);
          out.compilationMode = mode;
          note(`--compilation_mode=${mode}`);
          break;
        }
        case 'platforms': {
          const first = (value ?? '').split(',')[0]?.trim() ?? '';
          if (first === '') throw new BuildError('--platforms needs a platform label', where);
          out.platforms = first;
          note(`--platforms=${first}`);
          break;
        }
        case 'config':
          expandConfig(value ?? '', where, expanding);
          break;
        case 'enable_platform_specific_config':
          platformConfig = value === undefined ? true : parseBoolFlag(value, where, name);
          break;
        case 'noenable_platform_specific_config':
          platformConfig = false;
          break;
        default:
          break;
      }
    }
  };
  const expandConfig = (name: string, where: RcWhere, expanding: string[]): void => {
    if (name === '') throw new BuildError('--config needs a name', where);
    if (expanding.includes(name)) throw new BuildError(`config expansion loop: ${[...expanding, name].join(' -> ')}`, where);
    if (!defined(name)) {
      const files = reader.files.length ? reader.files.join(', ') : 'no .bazelrc in the workspace';
      throw new BuildError(`config value '${name}' is not defined in any .rc file (${files})`, where);
    }
    for (const c of COMMANDS) apply(reader.options.get(`${c}:${name}`) ?? [], [...expanding, name]);
  };

  for (const c of COMMANDS) apply(reader.options.get(c) ?? [], []);
  // --enable_platform_specific_config: the host OS's config (build:linux), when there is one.
  const hostConfig = HOST_CONFIG_NAMES[process.platform];
  if (platformConfig && hostConfig && defined(hostConfig)) expandConfig(hostConfig, { label: 'enable_platform_specific_config' }, []);
  for (const name of configs) expandConfig(name, { label: 'config input' }, []);
  return out;
}
