// Real-world BUILD idioms, analysed without building: macros in .bzl files, the load chain,
// Label(), native.*, platform() and transitions, select() per configuration, MODULE include()
// and WORKSPACE oci_pull.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Workspace } from '../../src/workspace/workspace.ts';
import { parseLabel } from '../../src/workspace/label.ts';
import { HOST_CONFIG, withPlatform } from '../../src/engine/config.ts';
import { testEngine as engineFor, workspaceFrom } from '../helpers/test_engine.ts';
import { ruleFor } from '../../src/rules/index.ts';

const quiet = { info: () => {}, warning: () => {} };

const MACRO = `
load("@rules_oci//oci:defs.bzl", _oci_image = "oci_image", "oci_image_index", "oci_load")
load("@rules_go//go:def.bzl", "go_binary")
load("@pip//:requirements.bzl", "requirement")

ARCHS = struct(amd64 = "x86_64", arm64 = "aarch64")

def oci_image(name, tars = [], **kwargs):
    """Wraps rules_oci's oci_image under the same name, as projects do."""
    _oci_image(name = name, tars = tars, **kwargs)

def go_image(name, embed, archs = ["amd64", "arm64"], **kwargs):
    repo_tags = kwargs.pop("repo_tags", [name + ":latest"])
    labels = dict({"org.opencontainers.image.source": "example"}, **kwargs.pop("labels", {}))
    requirement("flask")
    images = []
    for arch in archs:
        if not hasattr(ARCHS, arch):
            fail("unknown arch " + arch)
        go_binary(name = "%s_%s_bin" % (name, arch), embed = embed, goos = "linux", goarch = arch)
        native.filegroup(name = "%s_%s_files" % (name, arch), srcs = [":%s_%s_bin" % (name, arch)])
        oci_image(
            name = "{}_{}".format(name, arch),
            architecture = arch,
            os = "linux",
            labels = labels,
            entrypoint = ["/" + getattr(ARCHS, arch)],
            **kwargs
        )
        images.append(native.package_relative_label(":%s_%s" % (name, arch)))
    oci_image_index(name = name, images = [str(i) for i in images])
    oci_load(name = name + "_load", image = ":" + name + "_" + archs[0], repo_tags = repo_tags)
    native.alias(name = name + "_alias", actual = ":" + name)
    return native.package_name()
`;

test('macros in .bzl files define targets; kinds come through the load chain', () => {
  const root = workspaceFrom({
    'MODULE.bazel': 'module(name = "rw")\n',
    'tools/BUILD.bazel': '',
    'tools/defs.bzl': MACRO,
    'apps/svc/BUILD.bazel': `load("//tools:defs.bzl", "go_image", "oci_image")

PKG = go_image(name = "svc", embed = [":lib"], labels = {"team": "infra"}, repo_tags = ["svc:dev"])

oci_image(name = "plain", os = "linux", architecture = "amd64")

L = Label("//apps/svc:svc")
filegroup(name = "meta", srcs = [], tags = [L.name, L.package, PKG, str(L)])
`,
  });
  const ws = new Workspace(root, { rules: ruleFor, log: quiet });
  const pkg = ws.loadPackage('apps/svc');
  const kinds = Object.fromEntries([...pkg.targets.values()].map((t) => [t.label.name, t.kind]));
  assert.deepEqual(kinds, {
    svc_amd64_bin: 'go_binary',
    svc_amd64_files: 'filegroup',
    svc_amd64: 'oci_image',
    svc_arm64_bin: 'go_binary',
    svc_arm64_files: 'filegroup',
    svc_arm64: 'oci_image',
    svc: 'oci_image_index',
    svc_load: 'oci_load',
    svc_alias: 'alias',
    plain: 'oci_image',
    meta: 'filegroup',
  });
  // Targets made by a macro are reported at the call in the BUILD file.
  const t = pkg.targets.get('svc_arm64');
  assert.equal(`${t?.pos.file}:${t?.pos.line}`, 'apps/svc/BUILD.bazel:3');
  const engine = engineFor(ws);
  const node = engine.analyze(parseLabel('//apps/svc:svc_arm64'), HOST_CONFIG);
  assert.deepEqual(node.attrs?.stringDict('labels'), { 'org.opencontainers.image.source': 'example', team: 'infra' });
  assert.deepEqual(node.attrs?.stringList('entrypoint'), ['/aarch64']);
  const meta = engine.analyze(parseLabel('//apps/svc:meta'), HOST_CONFIG);
  assert.deepEqual(meta.attrs?.raw('tags'), ['svc', 'apps/svc', 'apps/svc', '//apps/svc:svc']);
  const load = engine.analyze(parseLabel('//apps/svc:svc_load'), HOST_CONFIG);
  assert.deepEqual(load.attrs?.stringList('repo_tags'), ['svc:dev']);
});

test('fail() in a macro is reported with its message and the BUILD position', () => {
  const root = workspaceFrom({
    'MODULE.bazel': '',
    'tools/BUILD.bazel': '',
    'tools/defs.bzl': MACRO,
    'apps/x/BUILD.bazel': 'load("//tools:defs.bzl", "go_image")\n\ngo_image(name = "x", embed = [], archs = ["s390x"])\n',
  });
  const ws = new Workspace(root, { rules: ruleFor, log: quiet });
  assert.throws(() => ws.loadPackage('apps/x'), (err: Error) => {
    assert.match(err.message, /^tools\/defs\.bzl:\d+:\d+: fail: unknown arch s390x$/);
    return true;
  });
});

test('select() resolves per configuration, and transitions change it', () => {
  const root = workspaceFrom({
    'MODULE.bazel': '',
    'platforms/BUILD.bazel': `
platform(name = "linux_arm64", constraint_values = ["@platforms//os:linux", "@platforms//cpu:aarch64"])
platform(name = "linux_amd64", constraint_values = ["@platforms//os:linux", "@platforms//cpu:x86_64"])
config_setting(name = "is_arm64", constraint_values = ["@platforms//cpu:arm64"])
`,
    'app/BUILD.bazel': `
load("@rules_oci//oci:defs.bzl", "oci_image", "oci_image_index")
load("@aspect_bazel_lib//lib:transitions.bzl", "platform_transition_filegroup")

oci_image(
    name = "image",
    os = "linux",
    architecture = select({
        "//platforms:is_arm64": "arm64",
        "//conditions:default": "amd64",
    }),
    env = {"ARCH": "generic"} | select({
        Label("@platforms//cpu:arm64"): {"ARCH": "arm64"},
        "//conditions:default": {},
    }),
)

[
    platform_transition_filegroup(
        name = "image_" + arch,
        srcs = [":image"],
        target_platform = "//platforms:linux_" + arch,
    )
    for arch in ["amd64", "arm64"]
]

oci_image_index(name = "index", images = [":image"], platforms = ["//platforms:linux_amd64", "//platforms:linux_arm64"])
`,
  });
  const ws = new Workspace(root, { rules: ruleFor, log: quiet });
  const engine = engineFor(ws);
  const arm = engine.analyze(parseLabel('//app:image'), withPlatform({ os: 'linux', architecture: 'arm64' }));
  assert.equal(arm.attrs?.string('architecture'), 'arm64');
  assert.deepEqual(arm.attrs?.stringDict('env'), { ARCH: 'arm64' });
  const amd = engine.analyze(parseLabel('//app:image'), withPlatform({ os: 'linux', architecture: 'amd64' }));
  assert.equal(amd.attrs?.string('architecture'), 'amd64');
  assert.deepEqual(amd.attrs?.stringDict('env'), { ARCH: 'generic' });

  const t = engine.analyze(parseLabel('//app:image_arm64'), HOST_CONFIG);
  assert.deepEqual(t.deps.map((d) => [d.label.toString(), d.node.config.platform?.architecture]), [['//app:image', 'arm64']]);
  const index = engine.analyze(parseLabel('//app:index'), HOST_CONFIG);
  assert.deepEqual(index.deps.map((d) => d.node.attrs?.string('architecture')), ['amd64', 'arm64']);
});

test('a transition to something that is not a platform is a clear error', () => {
  const root = workspaceFrom({
    'MODULE.bazel': '',
    'app/BUILD.bazel': `
load("@aspect_bazel_lib//lib:transitions.bzl", "platform_transition_filegroup")
filegroup(name = "notaplatform")
platform_transition_filegroup(name = "t", srcs = [], target_platform = ":notaplatform")
`,
  });
  const engine = engineFor(new Workspace(root, { rules: ruleFor, log: quiet }));
  assert.throws(() => engine.analyze(parseLabel('//app:t'), HOST_CONFIG), {
    message: /\/\/app:t: \/\/app:notaplatform is not a platform\(\) target/,
  });
});

test('oci.pull in an include()d MODULE file, and rules_oci 1.x oci_pull in WORKSPACE macros', () => {
  const root = workspaceFrom({
    'MODULE.bazel': 'bazel_dep(name = "rules_oci", version = "2.0.0", repo_name = "oci")\ninclude("//tools:oci.MODULE.bazel")\n',
    'tools/oci.MODULE.bazel': `oci = use_extension("@rules_oci//oci:extensions.bzl", "oci")
oci.pull(name = "distroless", image = "gcr.io/distroless/static", digest = "sha256:${'a'.repeat(64)}", platforms = ["linux/amd64"])
use_repo(oci, "distroless")
`,
    'WORKSPACE.bazel': 'load("//:deps.bzl", "image_deps")\nload("@bazel_tools//tools/build_defs/repo:http.bzl", "http_archive")\nhttp_archive(name = "x")\nimage_deps()\n',
    'deps.bzl': 'load("@rules_oci//oci:pull.bzl", "oci_pull")\n\ndef image_deps():\n    oci_pull(name = "alpine", image = "index.docker.io/library/alpine", tag = "3.20")\n',
    'BUILD.bazel': '',
  });
  const ws = new Workspace(root, { rules: ruleFor, log: quiet });
  assert.deepEqual([...ws.module.pulls.keys()].sort(), ['alpine', 'distroless']);
  assert.equal(ws.module.deps.get('oci'), 'rules_oci');
  const d = ws.module.pulls.get('distroless');
  assert.equal(`${d?.pos.file}:${d?.pos.line}`, 'tools/oci.MODULE.bazel:2');
  const r = ws.resolve(parseLabel('@distroless_linux_amd64'));
  assert.equal(r.kind === 'target' && r.target.kind, 'oci_pull');
  assert.equal(r.kind === 'target' && r.target.attrs.get('platform'), 'linux/amd64');
});

test('bazel_dep(repo_name = ...) renames a rule set for load()', () => {
  const root = workspaceFrom({
    'MODULE.bazel': 'bazel_dep(name = "rules_oci", version = "2.0.0", repo_name = "oci")\n',
    'app/BUILD.bazel': 'load("@oci//oci:defs.bzl", "oci_image")\noci_image(name = "i", os = "linux", architecture = "amd64")\n',
  });
  const ws = new Workspace(root, { rules: ruleFor, log: quiet });
  assert.equal(ws.loadPackage('app').targets.get('i')?.kind, 'oci_image');
});

test('config_setting(values = {"compilation_mode": …}) follows -c; other flags never hold', () => {
  const files = {
    'MODULE.bazel': '',
    'BUILD.bazel': `
config_setting(name = "opt", values = {"compilation_mode": "opt"})
config_setting(name = "dbg", values = {"compilation_mode": "dbg"})
config_setting(name = "opt_arm64", values = {"compilation_mode": "opt"}, constraint_values = ["@platforms//cpu:arm64"])
config_setting(name = "stamped", values = {"stamp": "1"})
config_setting(name = "defined", define_values = {"mode": "x"})
`,
    'app/BUILD.bazel': `
load("@rules_oci//oci:defs.bzl", "oci_image")

oci_image(
    name = "image",
    os = "linux",
    architecture = "amd64",
    env = select({
        "//:opt": {"MODE": "opt"},
        "//:dbg": {"MODE": "dbg"},
        "//conditions:default": {"MODE": "fastbuild"},
    }) | select({
        "//:opt_arm64": {"OPT_ARM": "1"},
        "//conditions:default": {},
    }) | select({
        "//:stamped": {"STAMPED": "1"},
        "//conditions:default": {},
    }) | select({
        "//:defined": {"DEFINED": "1"},
        "//conditions:default": {},
    }),
)
`,
  };
  const env = (mode: string | undefined, arch: string): Record<string, string> => {
    const ws = new Workspace(workspaceFrom(files), { rules: ruleFor, log: quiet, ...(mode ? { flags: { compilation_mode: mode } } : {}) });
    return engineFor(ws).analyze(parseLabel('//app:image'), withPlatform({ os: 'linux', architecture: arch })).attrs?.stringDict('env') ?? {};
  };
  assert.deepEqual(env(undefined, 'amd64'), { MODE: 'fastbuild' });
  assert.deepEqual(env('fastbuild', 'amd64'), { MODE: 'fastbuild' });
  assert.deepEqual(env('opt', 'amd64'), { MODE: 'opt' });
  assert.deepEqual(env('dbg', 'amd64'), { MODE: 'dbg' });
  assert.deepEqual(env('opt', 'arm64'), { MODE: 'opt', OPT_ARM: '1' });
  assert.deepEqual(env('dbg', 'arm64'), { MODE: 'dbg' });
});
