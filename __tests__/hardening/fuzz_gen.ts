// Seeded generators for fuzzing the BUILD-file front end: a PRNG, token soup, grammar-generated
// BUILD files (with path-escape attempts mixed in), and mutations of the real BUILD files under
// examples/. Everything is a function of (seed, index), so a failing case can be replayed.

import { prng } from '../helpers/prng.ts';

export { prng };
export type Rand = () => number;

export function caseRand(seed: number, index: number): Rand {
  return prng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
}

const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)] as T;

/** Strings that try to leave the workspace, or name things that do not exist. */
export const ESCAPES: readonly string[] = [
  '../MODULE.bazel',
  '../../../../../../etc/passwd',
  '/etc/passwd',
  '//../../etc:passwd',
  '//..:x',
  '@//../../etc:passwd.bzl',
  '@nothere//:x',
  '@@//../etc:x',
  '//app/../../etc:passwd',
  './x',
  'sub/../../x',
  '//app:../x',
  '~/.ssh/id_rsa',
  '\\u0000',
  '',
];

const KINDS = ['oci_image', 'oci_image_index', 'oci_load', 'oci_push', 'pkg_tar', 'go_binary', 'go_library', 'filegroup', 'alias', 'genrule', 'config_setting', 'platform', 'tar', 'expand_template', 'write_file', 'go_test'];
const ATTRS = ['name', 'srcs', 'deps', 'embed', 'tars', 'base', 'image', 'images', 'repo_tags', 'remote_tags', 'repository', 'entrypoint', 'cmd', 'env', 'labels', 'os', 'architecture', 'goos', 'goarch', 'pure', 'package_dir', 'mode', 'modes', 'actual', 'visibility', 'constraint_values', 'files', 'symlinks', 'out', 'template', 'substitutions', 'content', 'tags'];
const IDENTS = ['x', 'y', 'name', 'srcs', 'glob', 'select', 'native', 'Label', 'struct', 'len', 'str', 'range', 'dict', 'list', 'fail', 'print', 'depset', 'package_name', 'repository_name', 'module_name', 'exports_files', 'package', 'licenses', 'ARCHS', ...KINDS];
const KEYWORDS = ['def', 'lambda', 'for', 'in', 'if', 'elif', 'else', 'return', 'pass', 'break', 'continue', 'load', 'not', 'and', 'or', 'True', 'False', 'None'];
const PUNCT = ['(', ')', '[', ']', '{', '}', ',', ':', '=', '==', '!=', '+', '-', '*', '/', '//', '%', '**', '.', '+=', '|', '&', '<', '>', '<=', ';', '->', '\\', '@', '$', '`', '?', '!'];

function str(r: Rand): string {
  const choices = [
    () => JSON.stringify(pick(r, ESCAPES)),
    () => `":t${int(r, 6)}"`,
    () => `"//app:t${int(r, 6)}"`,
    () => `"t${int(r, 6)}"`,
    () => `"${pick(r, ['linux', 'amd64', 'arm64', 'on', 'off', 'auto', '0755', 'hello:latest', 'example.com/app'])}"`,
    () => `'${'a'.repeat(int(r, 5))}'`,
    () => `r"\\${pick(r, ['n', 'x', 'u'])}"`,
    () => `"""${pick(r, ['', 'a\nb', '"'])}"""`,
    () => `"${pick(r, ['%s', '{}', '{0}', '%d'])}"`,
  ];
  return pick(r, choices)();
}

function value(r: Rand, depth: number): string {
  if (depth > 3) return r() < 0.5 ? str(r) : String(int(r, 100) - 10);
  switch (int(r, 14)) {
    case 0: case 1: case 2: return str(r);
    case 3: return String(int(r, 1 << 20) - 5);
    case 4: return pick(r, ['True', 'False', 'None']);
    case 5: case 6: return `[${Array.from({ length: int(r, 4) }, () => value(r, depth + 1)).join(', ')}]`;
    case 7: return `{${Array.from({ length: int(r, 3) }, () => `${str(r)}: ${value(r, depth + 1)}`).join(', ')}}`;
    case 8: return `glob([${Array.from({ length: 1 + int(r, 2) }, () => (r() < 0.5 ? JSON.stringify(pick(r, ['**', '*.go', '../**', '/etc/*', '**/*.txt', 'sub/**', '..', '.'])) : str(r))).join(', ')}]${r() < 0.3 ? ', exclude = ["x"]' : ''})`;
    case 9: return `select({${str(r)}: ${value(r, depth + 1)}, "//conditions:default": ${value(r, depth + 1)}})`;
    case 10: return `${value(r, depth + 1)} + ${value(r, depth + 1)}`;
    case 11: return `[${value(r, depth + 1)} for a in ${pick(r, ['ARCHS', 'range(3)', '[1, 2]', '"ab"', '{}'])}]`;
    case 12: return `Label(${str(r)})`;
    default: return `${pick(r, ['str', 'len', 'repr', 'sorted', 'list', 'dict', 'native.glob', 'package_name', 'struct'])}(${r() < 0.7 ? value(r, depth + 1) : ''})`;
  }
}

function ruleCall(r: Rand): string {
  const attrs: string[] = [];
  if (r() < 0.9) attrs.push(`name = ${r() < 0.85 ? `"t${int(r, 6)}"` : value(r, 2)}`);
  for (let i = int(r, 5); i > 0; i--) attrs.push(`${pick(r, ATTRS)} = ${value(r, 0)}`);
  if (r() < 0.1) attrs.push(value(r, 1));
  return `${pick(r, KINDS)}(${attrs.join(', ')})`;
}

const LOAD_LINES = [
  'load("@rules_oci//oci:defs.bzl", "oci_image", "oci_image_index", "oci_load", "oci_push")',
  'load("@rules_pkg//:pkg.bzl", "pkg_tar")',
  'load("@rules_go//go:def.bzl", "go_binary", "go_library", "go_test")',
  'load("@aspect_bazel_lib//lib:tar.bzl", "tar")',
  'load("//tools:defs.bzl", "m")',
];

/** A BUILD file from the grammar: loads (some escaping), assignments, rule calls, defs. */
export function grammarBuild(r: Rand): string {
  const lines: string[] = [];
  for (const l of LOAD_LINES) if (r() < 0.7) lines.push(l);
  if (r() < 0.3) lines.push(`load(${JSON.stringify(pick(r, ['//../../etc:passwd.bzl', '/etc/passwd.bzl', '@nothere//:x.bzl', '//tools:../../../etc/passwd', ':../../x.bzl', '//tools:nothere.bzl']))}, "x")`);
  for (let i = 1 + int(r, 8); i > 0; i--) {
    switch (int(r, 8)) {
      case 0: lines.push(`${pick(r, ['X', 'ARCHS', 'L'])} = ${value(r, 0)}`); break;
      case 1: lines.push(`[${ruleCall(r)} for a in ${pick(r, ['ARCHS', '["amd64", "arm64"]', 'range(2)'])}]`); break;
      case 2: lines.push(`def f${int(r, 3)}(name, **kwargs):\n    ${ruleCall(r)}\n    return ${value(r, 1)}`); break;
      case 3: lines.push(`m(name = "t${int(r, 6)}", srcs = ${value(r, 0)})`); break;
      case 4: lines.push(`exports_files([${str(r)}])`); break;
      default: lines.push(ruleCall(r));
    }
  }
  return `${lines.join('\n')}\n`;
}

export function tokenSoup(r: Rand): string {
  const out: string[] = [];
  for (let i = 1 + int(r, 40); i > 0; i--) {
    const k = r();
    if (k < 0.3) out.push(pick(r, IDENTS));
    else if (k < 0.45) out.push(pick(r, KEYWORDS));
    else if (k < 0.75) out.push(pick(r, PUNCT));
    else if (k < 0.88) out.push(str(r));
    else if (k < 0.95) out.push(pick(r, ['\n', '\n    ', '\n\t', '\n        ']));
    else out.push(String(int(r, 1000)));
  }
  return out.join(r() < 0.5 ? ' ' : '');
}

/** Line- and character-level mutations of a real file. */
export function mutate(src: string, r: Rand): string {
  let s = src;
  for (let n = 1 + int(r, 4); n > 0; n--) {
    const lines = s.split('\n');
    const at = int(r, Math.max(1, s.length));
    switch (int(r, 10)) {
      case 0: lines.splice(int(r, lines.length), 1); s = lines.join('\n'); break;
      case 1: { const i = int(r, lines.length); lines.splice(int(r, lines.length), 0, lines[i] ?? ''); s = lines.join('\n'); break; }
      case 2: { const i = int(r, lines.length); const j = int(r, lines.length); [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? '']; s = lines.join('\n'); break; }
      case 3: s = s.slice(0, at) + s.slice(at + 1 + int(r, 20)); break;
      case 4: s = s.slice(0, at) + pick(r, [...PUNCT, ...KEYWORDS, '\n', ' ', '\t', '"', "'", '#']) + s.slice(at); break;
      case 5: s = s.slice(0, at) + str(r) + s.slice(at); break;
      case 6: s = s.replace(/"[^"\n]*"/, () => JSON.stringify(pick(r, ESCAPES))); break;
      case 7: s = s.slice(0, at) + `, ${pick(r, ATTRS)} = ${value(r, 1)}` + s.slice(at); break;
      case 8: { const i = int(r, lines.length); lines[i] = ` ${lines[i] ?? ''}`; s = lines.join('\n'); break; }
      default: s = s.slice(0, at); break;
    }
  }
  return s;
}

/** Token-level mutations that mostly keep the file parseable: swap a string or a name. */
export function mutateTokens(src: string, r: Rand): string {
  let s = src;
  for (let n = 1 + int(r, 3); n > 0; n--) {
    const strings = [...s.matchAll(/"[^"\n]*"/g)];
    const m = strings.length ? pick(r, strings) : undefined;
    if (m && r() < 0.6) {
      const rep = r() < 0.5 ? JSON.stringify(pick(r, ESCAPES)) : r() < 0.5 ? value(r, 2) : str(r);
      s = s.slice(0, m.index) + rep + s.slice((m.index ?? 0) + m[0].length);
    } else {
      const names = [...s.matchAll(/\b[a-z_]+\b/g)];
      const w = names.length ? pick(r, names) : undefined;
      if (w) s = s.slice(0, w.index) + pick(r, [...IDENTS, ...KEYWORDS]) + s.slice((w.index ?? 0) + w[0].length);
    }
  }
  return s;
}
