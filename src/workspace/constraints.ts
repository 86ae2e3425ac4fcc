import type { Configuration } from '../engine/config.ts';
import { hostPlatform, normalizePlatform } from '../oci/platform.ts';
import type { Platform } from '../oci/types.ts';
import { StarDict, StarList, StarTuple } from '../starlark/index.ts';
import { parseLabel, type Label } from './label.ts';
import { canonicalRepo } from './modules.ts';
import type { Target } from './target.ts';
import { LabelValue } from './label_value.ts';

/** @platforms//cpu names → GOARCH (and variant). */
const CPU: Record<string, { arch: string; variant?: string }> = {
  x86_64: { arch: 'amd64' },
  amd64: { arch: 'amd64' },
  aarch64: { arch: 'arm64' },
  arm64: { arch: 'arm64' },
  armv7: { arch: 'arm', variant: 'v7' },
  armv6: { arch: 'arm', variant: 'v6' },
  arm: { arch: 'arm' },
  x86_32: { arch: '386' },
  i386: { arch: '386' },
  ppc64le: { arch: 'ppc64le' },
  ppc: { arch: 'ppc64le' },
  s390x: { arch: 's390x' },
  riscv64: { arch: 'riscv64' },
  mips64: { arch: 'mips64le' },
};

const OS_NAMES: Record<string, string> = { osx: 'darwin', macos: 'darwin' };

function cpuMatches(cpu: string, p: Platform): boolean {
  const want = CPU[cpu];
  if (!want) return false;
  if (want.arch !== p.architecture) return false;
  return want.variant === undefined || want.variant === (p.variant ?? (p.architecture === 'arm' ? 'v7' : undefined));
}

/** Whether a constraint value label (`@platforms//os:linux`, rules_go's go/platform) holds for `p`. */
export function constraintHolds(label: Label, p: Platform): boolean | undefined {
  const repo = canonicalRepo(label.repo);
  if (repo === 'platforms' && label.pkg === 'os') return (OS_NAMES[label.name] ?? label.name) === p.os;
  if (repo === 'platforms' && label.pkg === 'cpu') return cpuMatches(label.name, p);
  if (repo === 'rules_go' && label.pkg === 'go/platform') {
    const [os, arch] = label.name.split('_');
    if (arch === undefined) return os === p.os || (os === 'unix' && p.os !== 'windows');
    return os === p.os && arch === p.architecture;
  }
  return undefined;
}

/** The command-line flags a config_setting's `values` can test (Bazel's names). */
export interface BuildFlags {
  /** --compilation_mode / -c: fastbuild (the default), opt or dbg. */
  compilation_mode?: string;
  /** --define KEY=VALUE (.bazelrc): what config_setting(define_values = …) tests. */
  define?: Readonly<Record<string, string>>;
}

const FLAG_DEFAULTS: Required<Omit<BuildFlags, 'define'>> = { compilation_mode: 'fastbuild' };

/** Whether every KEY = VALUE of a define_values dict (or one "KEY=VALUE" of values["define"]) was --define'd. */
function definesHold(want: Array<[unknown, unknown]>, flags: BuildFlags): boolean {
  return want.every(([k, v]) => typeof k === 'string' && typeof v === 'string' && flags.define?.[k] === v);
}

/**
 * Whether a select() key holds in `config`: a constraint value, or a config_setting of the
 * workspace all of whose conditions hold — `constraint_values`, `define_values` and `values` on
 * the flags known here (compilation_mode, define; .bazelrc --define). A setting on any other
 * flag or on `flag_values` never holds (those flags do not exist here), nor does one with no condition.
 */
export function platformMatchesSelectKey(label: Label, setting: Target | undefined, config: Configuration, flags: BuildFlags = {}): boolean {
  const p = normalizePlatform(config.platform ?? hostPlatform());
  const direct = constraintHolds(label, p);
  if (direct !== undefined) return direct;
  if (!setting || setting.kind !== 'config_setting') return false;
  const flagValues = setting.attrs.get('flag_values');
  if (flagValues instanceof StarDict && flagValues.size > 0) return false;
  let conditions = 0;
  const defineValues = setting.attrs.get('define_values');
  if (defineValues instanceof StarDict && defineValues.size > 0) {
    if (!definesHold([...defineValues.entries()], flags)) return false;
    conditions++;
  }
  const values = setting.attrs.get('values');
  if (values instanceof StarDict && values.size > 0) {
    for (const [k, v] of values.entries()) {
      if (k === 'define') {
        const eq = typeof v === 'string' ? v.indexOf('=') : -1;
        if (eq <= 0 || !definesHold([[(v as string).slice(0, eq), (v as string).slice(eq + 1)]], flags)) return false;
        continue;
      }
      if (typeof k !== 'string' || !(k in FLAG_DEFAULTS)) return false;
      const flag = k as keyof typeof FLAG_DEFAULTS;
      if (v !== (flags[flag] ?? FLAG_DEFAULTS[flag])) return false;
    }
    conditions++;
  }
  const cv = setting.attrs.get('constraint_values');
  if ((cv instanceof StarList || cv instanceof StarTuple) && cv.elems.length > 0) {
    const all = cv.elems.every((e) => {
      // Constraint labels inside a config_setting are relative to its package.
      const l = e instanceof LabelValue ? e.label : typeof e === 'string' ? parseConstraint(e, setting.label) : undefined;
      return l !== undefined && constraintHolds(l, p) === true;
    });
    if (!all) return false;
    conditions++;
  }
  return conditions > 0;
}

function parseConstraint(text: string, at: Label): Label | undefined {
  try {
    return parseLabel(text, at.repo, at.pkg);
  } catch {
    return undefined;
  }
}

/**
 * The platform a set of constraint values describes (`@platforms//os:linux`,
 * `@platforms//cpu:arm64`), or undefined for a part it does not say.
 */
export function platformFromConstraints(labels: Label[]): { os?: string; architecture?: string; variant?: string } {
  const out: { os?: string; architecture?: string; variant?: string } = {};
  for (const l of labels) {
    const repo = canonicalRepo(l.repo);
    if (repo === 'platforms' && l.pkg === 'os') out.os = OS_NAMES[l.name] ?? l.name;
    if (repo === 'platforms' && l.pkg === 'cpu') {
      const cpu = CPU[l.name];
      if (cpu) {
        out.architecture = cpu.arch;
        if (cpu.variant) out.variant = cpu.variant;
      }
    }
  }
  return out;
}

/** rules_go's platform labels (`@rules_go//go/toolchain:linux_arm64`, `go/platform:linux_amd64`). */
export function goPlatformLabel(l: Label): Platform | undefined {
  const repo = canonicalRepo(l.repo);
  if (repo !== 'rules_go' || (l.pkg !== 'go/toolchain' && l.pkg !== 'go/platform')) return undefined;
  const m = /^([a-z0-9]+)_([a-z0-9]+?)(?:_cgo)?$/.exec(l.name);
  if (!m) return undefined;
  return normalizePlatform({ os: m[1] ?? '', architecture: m[2] ?? '' });
}

/**
 * The conditions a select() key stands for, as comparable strings: a constraint value itself, or
 * a config_setting's constraint_values, define_values and values. Bazel lets the key whose
 * conditions include every other matching key's win ("specialization").
 */
export function settingConditions(label: Label, setting: Target | undefined): Set<string> {
  const out = new Set<string>();
  if (!setting || setting.kind !== 'config_setting') {
    out.add(`constraint:${label.toString()}`);
    return out;
  }
  const dv = setting.attrs.get('define_values');
  if (dv instanceof StarDict) for (const [k, v] of dv.entries()) out.add(`define:${String(k)}=${String(v)}`);
  const values = setting.attrs.get('values');
  if (values instanceof StarDict) {
    for (const [k, v] of values.entries()) out.add(k === 'define' ? `define:${String(v)}` : `value:${String(k)}=${String(v)}`);
  }
  const cv = setting.attrs.get('constraint_values');
  if (cv instanceof StarList || cv instanceof StarTuple) {
    for (const e of cv.elems) {
      const l = e instanceof LabelValue ? e.label : typeof e === 'string' ? parseConstraint(e, setting.label) : undefined;
      if (l) out.add(`constraint:${l.toString()}`);
    }
  }
  return out;
}

/** Whether conditions `a` strictly include `b`. */
export function conditionsRefine(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size <= b.size) return false;
  for (const c of b) if (!a.has(c)) return false;
  return true;
}

/**
 * A platform guessed from a label's name (`linux_arm64`, `linux-x86_64`, `aarch64_linux`): for a
 * --platforms label in a repository we do not read (a toolchain's platforms). Undefined when the
 * name does not say both the OS and the CPU.
 */
export function platformFromName(name: string): Platform | undefined {
  const words = name.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== '');
  const joined = name.toLowerCase().replace(/x86[_-]64/g, 'amd64');
  const os = words.find((w) => ['linux', 'darwin', 'macos', 'windows'].includes(w));
  const arch = ['amd64', 'arm64', 'aarch64', 'armv7', 'arm', 's390x', 'ppc64le', 'riscv64', '386']
    .find((a) => new RegExp(`(^|[^a-z0-9])${a}($|[^a-z0-9])`).test(joined));
  if (!os || !arch) return undefined;
  return normalizePlatform({ os: os === 'macos' ? 'darwin' : os, architecture: arch === 'armv7' ? 'arm' : arch, ...(arch === 'armv7' ? { variant: 'v7' } : {}) });
}
