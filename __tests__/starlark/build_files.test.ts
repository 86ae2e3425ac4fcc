import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Builtin, StarlarkError, Struct, execFile, expectString, expectStringList, repr, resolveSelects, toJS, unpackArgs,
} from '../../src/starlark/index.ts';
import type { PlainData, Position, Value } from '../../src/starlark/index.ts';

interface Target {
  rule: string;
  name: string;
  attrs: Record<string, PlainData>;
  pos: string;
}

/** A miniature host: rule builtins that record targets, and a caching loader. */
class Host {
  readonly targets: Target[] = [];
  readonly loads: string[] = [];
  private readonly files: Record<string, string>;
  private readonly cache = new Map<string, Map<string, Value>>();

  constructor(files: Record<string, string>) {
    this.files = files;
  }

  private rule(kind: string, params: string[]): Builtin {
    return new Builtin(kind, (call) => {
      const args = unpackArgs(call, ['name', ...params.map((p) => `${p}?`)]);
      const name = expectString(args.name ?? null, `${kind}() argument "name"`);
      const attrs: Record<string, PlainData> = {};
      for (const p of params) {
        const v = args[p];
        if (v !== undefined) attrs[p] = toJS(resolveSelects(v, (key) => key === '//platforms:linux'));
      }
      if (args.srcs !== undefined) {
        expectStringList(resolveSelects(args.srcs, () => false), `${kind}() argument "srcs"`);
      }
      const p = call.pos;
      this.targets.push({ rule: kind, name, attrs, pos: `${p.file}:${p.line}:${p.column}` });
      return null;
    });
  }

  predeclared(): Map<string, Value> {
    return new Map<string, Value>([
      ['go_binary', this.rule('go_binary', ['srcs', 'deps', 'goarch', 'visibility', 'tags'])],
      ['pkg_tar', this.rule('pkg_tar', ['srcs', 'package_dir', 'mode'])],
      ['native', new Struct({ package_name: new Builtin('package_name', () => 'apps/hello') }, 'native')],
    ]);
  }

  load = (module: string, pos: Position): Map<string, Value> => {
    this.loads.push(module);
    const cached = this.cache.get(module);
    if (cached !== undefined) return cached;
    const source = this.files[module];
    if (source === undefined) throw new StarlarkError(`cannot load ${JSON.stringify(module)}: no such file`, pos);
    const globals = execFile({ file: module.replace(/^\/\//, '').replace(':', '/'), source, predeclared: this.predeclared(), load: this.load });
    this.cache.set(module, globals);
    return globals;
  };

  exec(file: string, source: string): Map<string, Value> {
    return execFile({ file, source, predeclared: this.predeclared(), load: this.load });
  }
}

const DEFS = `
"""Macros for Go images."""

ARCHES = ["amd64", "arm64"]
_PRIVATE = "hidden"

def go_image(name, binary, **kwargs):
    """Wraps a binary in a tarball, forwarding common attributes."""
    visibility = kwargs.pop("visibility", ["//visibility:private"])
    mode = kwargs.pop("mode", "0755")
    if kwargs:
        fail("go_image() got unexpected attributes: %s" % ", ".join(sorted(kwargs.keys())))
    pkg_tar(
        name = name + "_layer",
        srcs = [binary],
        package_dir = "/app",
        mode = mode,
    )
    return struct(layer = ":" + name + "_layer", visibility = visibility)

def per_arch(prefix):
    return {arch: prefix + "_" + arch for arch in ARCHES}
`;

const BUILD = `
load("//tools:defs.bzl", "ARCHES", "go_image", arch_names = "per_arch")

# One binary per architecture.
[go_binary(
    name = "app_" + arch,
    srcs = ["main.go"] + select({
        "//platforms:linux": ["main_linux.go"],
        "//conditions:default": [],
    }),
    goarch = arch,
) for arch in ARCHES]

image = go_image(
    name = "image",
    binary = ":app_amd64",
    mode = "0555",
)

names = arch_names("app")
pkg = native.package_name()
`;

describe('BUILD files', () => {
  it('runs a BUILD file that loads macros and defines targets in a comprehension', () => {
    const host = new Host({ '//tools:defs.bzl': DEFS });
    const globals = host.exec('apps/hello/BUILD.bazel', BUILD);
    assert.deepEqual(host.loads, ['//tools:defs.bzl']);
    assert.deepEqual(host.targets, [
      {
        rule: 'go_binary',
        name: 'app_amd64',
        attrs: { srcs: ['main.go', 'main_linux.go'], goarch: 'amd64' },
        pos: 'apps/hello/BUILD.bazel:5:11',
      },
      {
        rule: 'go_binary',
        name: 'app_arm64',
        attrs: { srcs: ['main.go', 'main_linux.go'], goarch: 'arm64' },
        pos: 'apps/hello/BUILD.bazel:5:11',
      },
      {
        rule: 'pkg_tar',
        name: 'image_layer',
        attrs: { srcs: [':app_amd64'], package_dir: '/app', mode: '0555' },
        pos: 'tools/defs.bzl:13:12',
      },
    ]);
    assert.equal(repr(globals.get('image') ?? null), 'struct(layer = ":image_layer", visibility = ["//visibility:private"])');
    assert.equal(repr(globals.get('names') ?? null), '{"amd64": "app_amd64", "arm64": "app_arm64"}');
    assert.equal(globals.get('pkg'), 'apps/hello');
  });

  it('reports macro failures with the call stack across files', () => {
    const host = new Host({ '//tools:defs.bzl': DEFS });
    try {
      host.exec('apps/hello/BUILD.bazel', 'load("//tools:defs.bzl", "go_image")\n\ngo_image(name = "x", binary = ":b", srcz = [1], tags = [])\n');
      assert.fail('expected failure');
    } catch (e) {
      assert.ok(e instanceof StarlarkError);
      assert.equal(e.message, 'tools/defs.bzl:12:13: fail: go_image() got unexpected attributes: srcz, tags');
      assert.deepEqual(e.callStack.map((p) => `${p.file}:${p.line}:${p.column}`),
        ['apps/hello/BUILD.bazel:3:9', 'tools/defs.bzl:12:13']);
    }
  });

  it('reports rule argument errors from the host builtin', () => {
    const host = new Host({});
    assert.throws(() => host.exec('BUILD', 'pkg_tar(name = "t", srcz = ["a"])'),
      { message: 'BUILD:1:8: pkg_tar() got unexpected keyword argument "srcz"' });
    assert.throws(() => host.exec('BUILD', 'pkg_tar(srcs = ["a"])'),
      { message: 'BUILD:1:8: pkg_tar() missing mandatory argument "name"' });
    assert.throws(() => host.exec('BUILD', 'pkg_tar(name = 1)'),
      { message: 'BUILD:1:8: pkg_tar() argument "name": got value of type "int", want "string"' });
    assert.throws(() => host.exec('BUILD', 'pkg_tar("a", ["b"], "c", "d", "e")'),
      { message: 'BUILD:1:8: pkg_tar() accepts no more than 4 positional arguments but got 5' });
    assert.throws(() => host.exec('BUILD', 'pkg_tar(name = "t", srcs = "a")'),
      { message: 'BUILD:1:8: pkg_tar() argument "srcs": got value of type "string", want "list" or "tuple"' });
    assert.throws(() => host.exec('BUILD', 'pkg_tar(name = "t", srcs = ["a", 1])'),
      { message: 'BUILD:1:8: pkg_tar() argument "srcs": element 1 has type "int", want "string"' });
  });

  it('reports load errors at the load statement', () => {
    const host = new Host({ '//tools:defs.bzl': DEFS });
    assert.throws(() => host.exec('BUILD', 'load("//nope:x.bzl", "y")'),
      { message: 'BUILD:1:6: cannot load "//nope:x.bzl": no such file' });
    assert.throws(() => host.exec('BUILD', 'load("//tools:defs.bzl", "missing")'),
      { message: 'BUILD:1:26: file "//tools:defs.bzl" does not contain symbol "missing"' });
    assert.throws(() => host.exec('BUILD', 'load("//tools:defs.bzl", "_PRIVATE")'),
      { message: 'BUILD:1:26: symbol "_PRIVATE" is private and cannot be loaded' });
    assert.throws(() => execFile({ file: 'BUILD', source: 'load("//a.bzl", "x")', predeclared: new Map() }),
      { message: 'BUILD:1:6: cannot load "//a.bzl": load() is not available here' });
  });

  it('freezes loaded values and module globals', () => {
    const host = new Host({ '//tools:defs.bzl': DEFS });
    assert.throws(() => host.exec('BUILD', 'load("//tools:defs.bzl", "ARCHES")\nARCHES.append("riscv64")'),
      { message: 'BUILD:2:14: cannot mutate frozen list' });
    assert.throws(() => host.exec('BUILD', 'load("//tools:defs.bzl", "ARCHES")\nARCHES += ["x"]'),
      { message: 'BUILD:2:8: cannot mutate frozen list' });
    const mod = execFile({ file: 'a.bzl', source: 'CONFIG = {"k": [1]}\ndef add():\n    CONFIG["k"].append(2)\n', predeclared: new Map() });
    assert.throws(
      () => execFile({ file: 'b.bzl', source: 'load("a.bzl", "CONFIG", "add")\nCONFIG["x"] = 1', predeclared: new Map(), load: () => mod }),
      { message: 'b.bzl:2:7: cannot mutate frozen dict' },
    );
    assert.throws(
      () => execFile({ file: 'b.bzl', source: 'load("a.bzl", "add")\nadd()', predeclared: new Map(), load: () => mod }),
      { message: 'a.bzl:3:23: cannot mutate frozen list' },
    );
  });

  it('allows mutation while the module is still executing', () => {
    const g = execFile({ file: 'a.bzl', source: 'L = []\ndef add(x):\n    L.append(x)\nadd(1)\nadd(2)\n', predeclared: new Map() });
    assert.equal(repr(g.get('L') ?? null), '[1, 2]');
  });
});
