// The bad-input corpus: each case is a small workspace (or a bad argument) and the exact one-line
// message the CLI must print for it. Shared by bad_inputs.test.ts and the dump script below
// (`node __tests__/hardening/corpus.ts` prints what the CLI says today for every case).

export interface BadCase {
  name: string;
  /** Workspace files; MODULE.bazel defaults to `module(name = "t")`. */
  files: Record<string, string>;
  /** Symlinks to create: path in the workspace → target. */
  symlinks?: Record<string, string>;
  /** CLI arguments after `build|run -C <root>`; `{root}` is replaced by the workspace path. */
  args: string[];
  command?: 'build' | 'run';
  /** Extra environment. `{registry}` in values and args is replaced by the garbage registry host. */
  env?: Record<string, string>;
  /** The message after `oci-build: error: `; `{root}` and `{registry}` are substituted. */
  expected: string | RegExp;
  /** Where the message continues on more lines (Go's own compiler output). */
  multiline?: boolean;
  /** Needs the garbage registry answering `/v2/` with this body. */
  garbage?: 'json' | 'html' | 'token-json' | 'empty-200';
  /** Does no analysis error happen before building (the go toolchain is needed): skip the no-blob check. */
  buildStarted?: boolean;
}

export const LOADS = `load("@rules_oci//oci:defs.bzl", "oci_image", "oci_image_index", "oci_load", "oci_push")
load("@rules_pkg//:pkg.bzl", "pkg_tar")
load("@rules_go//go:def.bzl", "go_binary", "go_library", "go_test")
`;
// A rule right after LOADS is on line 4.

const IMG = 'oci_image(name = "img", os = "linux", architecture = "amd64")\n';

function build(body: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'app/BUILD.bazel': `${LOADS}${body}`, ...extra };
}

const GO_MAIN = { 'go.mod': 'module t\n\ngo 1.22\n', 'app/main.go': 'package main\n\nfunc main() {}\n' };

export const CASES: BadCase[] = [
  // ---- BUILD syntax ---------------------------------------------------------------------------
  { name: 'unterminated call', files: build('pkg_tar(\n    name = "x",\n    srcs = ["a" "b",\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:6:12: '\[' is never closed / },
  { name: 'unterminated string', files: build('pkg_tar(name = "x)\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:16: / },
  { name: 'unbalanced bracket', files: build('pkg_tar(name = "x", srcs = ["a")\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:32: / },
  { name: 'bad indentation', files: build('def f():\n  x = 1\n    y = 2\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:6:5: / },
  { name: 'tab/space dedent mismatch', files: build('def f():\n        x = 1\n    y = 2\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:6:\d+: / },
  { name: 'stray character', files: build('pkg_tar(name = "x") $\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:21: / },
  { name: 'keyword as name', files: build('for = 1\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:5: / },
  { name: 'positional after keyword', files: build('pkg_tar(name = "x", "y")\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:\d+: / },
  { name: 'repeated keyword argument', files: build('pkg_tar(name = "x", name = "y")\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:\d+: .*name/ },
  { name: 'undefined name', files: build('pkg_tar(name = "x", srcs = FILES)\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:\d+: .*FILES/ },
  { name: 'unknown rule name, not loaded', files: { 'app/BUILD.bazel': 'oci_image(name = "img")\n' }, args: ['//app:img'], expected: /^app\/BUILD\.bazel:1:1: .*oci_image/ },
  { name: 'load of a missing .bzl', files: { 'app/BUILD.bazel': 'load("//tools:nothere.bzl", "x")\n' }, args: ['//app:x'], expected: /^app\/BUILD\.bazel:1:\d+: .*tools\/nothere\.bzl/ },
  { name: 'load of a symbol the .bzl lacks', files: { 'tools/BUILD.bazel': '', 'tools/defs.bzl': 'A = 1\n', 'app/BUILD.bazel': 'load("//tools:defs.bzl", "B")\n' }, args: ['//app:x'], expected: /^app\/BUILD\.bazel:1:\d+: .*"B"/ },
  { name: 'error inside a macro names the .bzl', files: { 'tools/BUILD.bazel': '', 'tools/defs.bzl': 'def m(name):\n    return 1 + "a"\n', 'app/BUILD.bazel': 'load("//tools:defs.bzl", "m")\nm(name = "x")\n' }, args: ['//app:x'], expected: /^tools\/defs\.bzl:2:\d+: / },
  { name: 'fail() in BUILD', files: { 'app/BUILD.bazel': 'fail("no way")\n' }, args: ['//app:x'], expected: /^app\/BUILD\.bazel:1:5: .*no way/ },
  { name: 'integer division by zero', files: { 'app/BUILD.bazel': 'X = 1 // 0\n' }, args: ['//app:x'], expected: /^app\/BUILD\.bazel:1:\d+: .*division by zero/ },
  { name: 'assignment to a frozen list from a .bzl', files: { 'tools/BUILD.bazel': '', 'tools/defs.bzl': 'L = [1]\n', 'app/BUILD.bazel': 'load("//tools:defs.bzl", "L")\nL.append(2)\n' }, args: ['//app:x'], expected: /^app\/BUILD\.bazel:2:\d+: .*(frozen|immutable)/ },
  { name: 'load cycle', files: { 'tools/BUILD.bazel': '', 'tools/a.bzl': 'load(":b.bzl", "B")\nA = 1\n', 'tools/b.bzl': 'load(":a.bzl", "A")\nB = 1\n', 'app/BUILD.bazel': 'load("//tools:a.bzl", "A")\n' }, args: ['//app:x'], expected: /cycle/ },

  // ---- MODULE.bazel ---------------------------------------------------------------------------
  { name: 'MODULE.bazel syntax error', files: { 'MODULE.bazel': 'module(name = "t"\n', 'app/BUILD.bazel': LOADS + IMG }, args: ['//app:img'], expected: /^MODULE\.bazel:1:7: '\(' is never closed / },
  { name: 'oci.pull without image', files: { 'MODULE.bazel': 'module(name = "t")\noci = use_extension("@rules_oci//oci:extensions.bzl", "oci")\noci.pull(name = "base", digest = "sha256:' + '0'.repeat(64) + '")\n', 'app/BUILD.bazel': `${LOADS}oci_image(name = "img", base = "@base")\n` }, args: ['//app:img'], expected: /^MODULE\.bazel:3:\d+: .*image/ },
  { name: 'oci.pull with a bad digest', files: { 'MODULE.bazel': 'module(name = "t")\noci = use_extension("@rules_oci//oci:extensions.bzl", "oci")\noci.pull(name = "base", image = "example.com/base", digest = "sha256:nothex", platforms = ["linux/amd64"])\nuse_repo(oci, "base")\n', 'app/BUILD.bazel': `${LOADS}oci_image(name = "img", base = "@base")\n` }, args: ['//app:img'], expected: /^MODULE\.bazel:3:\d+: .*digest/ },
  { name: 'include() of a missing file', files: { 'MODULE.bazel': 'module(name = "t")\ninclude("//tools:nothere.MODULE.bazel")\n', 'app/BUILD.bazel': LOADS + IMG }, args: ['//app:img'], expected: /^MODULE\.bazel:2:\d+: .*nothere/ },

  // ---- attribute types ------------------------------------------------------------------------
  { name: 'string for a string list', files: build('oci_image(name = "img", os = "linux", architecture = "amd64", entrypoint = "/x")\n'), args: ['//app:img'], expected: /^app\/BUILD\.bazel:4:10: \/\/app:img: attribute "entrypoint": / },
  { name: 'int for a string', files: build('oci_image(name = "img", os = 1, architecture = "amd64")\n'), args: ['//app:img'], expected: /^app\/BUILD\.bazel:4:10: \/\/app:img: attribute "os": / },
  { name: 'list for a label', files: build(`${IMG}oci_load(name = "l", image = [":img"], repo_tags = ["a:b"])\n`), args: ['//app:l'], expected: /^app\/BUILD\.bazel:5:9: \/\/app:l: attribute "image": / },
  { name: 'dict value of the wrong type', files: build('oci_image(name = "img", os = "linux", architecture = "amd64", labels = {"a": 1})\n'), args: ['//app:img'], expected: /^app\/BUILD\.bazel:4:10: \/\/app:img: attribute "labels": / },
  { name: 'unknown attribute', files: build('oci_image(name = "img", os = "linux", architecture = "amd64", entrypiont = ["/x"])\n'), args: ['//app:img'], expected: 'app/BUILD.bazel:4:10: oci_image() got unexpected attribute "entrypiont"' },
  { name: 'missing mandatory attribute', files: build('oci_load(name = "l", repo_tags = ["a:b"])\n'), args: ['//app:l'], expected: /^app\/BUILD\.bazel:4:9: .*"image"/ },
  { name: 'missing name', files: build('pkg_tar(srcs = [])\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:8: .*name/ },
  { name: 'invalid target name', files: build('pkg_tar(name = "a:b")\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:8: .*"a:b"/ },
  { name: 'scratch image without os/architecture', files: build('oci_image(name = "img", entrypoint = ["/x"])\n'), args: ['//app:img'], expected: 'app/BUILD.bazel:4:10: //app:img: "os" and "architecture" are required when "base" is not set (rules_oci)' },
  { name: 'bad GOARCH', files: build('go_binary(name = "b", srcs = ["main.go"], goarch = "sparc")\n'), args: ['//app:b'], expected: 'app/BUILD.bazel:4:10: //app:b: attribute "goarch": unknown GOARCH "sparc"' },
  { name: 'bad GOOS', files: build('go_binary(name = "b", srcs = ["main.go"], goos = "beos", goarch = "amd64")\n'), args: ['//app:b'], expected: /^app\/BUILD\.bazel:4:10: \/\/app:b: attribute "goos": / },
  { name: 'bad pure value', files: build('go_binary(name = "b", srcs = ["main.go"], pure = "maybe")\n'), args: ['//app:b'], expected: /^app\/BUILD\.bazel:4:10: \/\/app:b: attribute "pure": / },
  { name: 'bad pkg_tar mode', files: build('pkg_tar(name = "x", mode = "999")\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:8: \/\/app:x: attribute "mode": / },
  { name: 'select() with an invalid key', files: build('pkg_tar(name = "x", srcs = select({"": [], "//conditions:default": []}))\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:8: \/\/app:x: select\(\): invalid key: / },
  { name: 'a function as an attribute value', files: build('pkg_tar(name = "x", mode = len)\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:8: \/\/app:x: attribute "mode": / },
  { name: 'oci_image tars pointing at an image', files: build(`${IMG}oci_image(name = "img2", os = "linux", architecture = "amd64", tars = [":img"])\n`), args: ['//app:img2'], expected: 'app/BUILD.bazel:5:10: //app:img2: attribute "tars": //app:img is an oci_image, not a layer (use a pkg_tar, a tar, or a .tar file; an image goes in "base")' },

  // ---- rules and labels -----------------------------------------------------------------------
  { name: 'rule oci-build does not build, as a dependency', files: build('go_test(name = "t", srcs = ["t.go"])\npkg_tar(name = "x", srcs = [":t"])\n'), args: ['//app:x'], expected: 'app/BUILD.bazel:4:8: //app:t is a go_test (from @rules_go//go:def.bzl), which oci-build does not build (required by //app:x)' },
  { name: 'stubbed repository rule as a dependency', files: build('load("@pip//:requirements.bzl", "py_thing")\npy_thing(name = "p")\npkg_tar(name = "x", srcs = [":p"])\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:\d+:\d+: \/\/app:p is a py_thing/ },
  { name: 'unknown target in a dependency', files: build(`pkg_tar(name = "layer", srcs = [":missing"])\noci_image(name = "img", os = "linux", architecture = "amd64", tars = [":layer"])\n`), args: ['//app:img'], expected: "app/BUILD.bazel:4:8: no such target '//app:missing': target 'missing' not declared in package 'app' defined by app/BUILD.bazel (required by //app:img -> //app:layer)" },
  { name: 'unknown requested target', files: build(''), args: ['//app:nope'], expected: "no such target '//app:nope': target 'nope' not declared in package 'app' defined by app/BUILD.bazel" },
  { name: 'missing package', files: build(''), args: ['//nothere:x'], expected: "no such package 'nothere': BUILD file not found in nothere" },
  { name: 'malformed label', files: build(''), args: ['//app:a:b'], expected: /^invalid label "\/\/app:a:b"|"\/\/app:a:b"/ },
  { name: 'malformed label in a BUILD file', files: build('pkg_tar(name = "x", srcs = ["//app::y"])\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:8: .*\/\/app::y/ },
  { name: 'dependency cycle', files: { 'app/BUILD.bazel': 'filegroup(name = "a", srcs = [":b"])\nfilegroup(name = "b", srcs = [":c"])\nfilegroup(name = "c", srcs = [":a"])\n' }, args: ['//app:a'], expected: 'app/BUILD.bazel:3:10: dependency cycle: //app:a -> //app:b -> //app:c -> //app:a' },
  { name: 'self dependency', files: { 'app/BUILD.bazel': 'filegroup(name = "a", srcs = [":a"])\n' }, args: ['//app:a'], expected: 'app/BUILD.bazel:1:10: dependency cycle: //app:a -> //app:a' },
  { name: 'cycle through an alias', files: { 'app/BUILD.bazel': 'alias(name = "a", actual = ":b")\nfilegroup(name = "b", srcs = [":a"])\n' }, args: ['//app:a'], expected: /dependency cycle: .*\/\/app:a/ },
  { name: 'duplicate target name', files: { 'app/BUILD.bazel': 'filegroup(name = "a")\nfilegroup(name = "a")\n' }, args: ['//app:a'], expected: 'app/BUILD.bazel:2:10: target "a" is already defined at app/BUILD.bazel:1:10' },
  { name: 'duplicate target from a list comprehension', files: { 'app/BUILD.bazel': '[filegroup(name = "a") for _ in range(2)]\n' }, args: ['//app:a'], expected: /^app\/BUILD\.bazel:1:11: target "a" is already defined at app\/BUILD\.bazel:1:11$/ },

  // ---- files ----------------------------------------------------------------------------------
  { name: 'missing file in srcs', files: build('pkg_tar(name = "x", srcs = ["nothere.txt"])\n'), args: ['//app:x'], expected: /nothere\.txt/ },
  { name: 'missing file in a subdirectory', files: build('pkg_tar(name = "x", srcs = ["sub/nothere.txt"])\n'), args: ['//app:x'], expected: /sub\/nothere\.txt/ },
  { name: 'source path with ../', files: build('pkg_tar(name = "x", srcs = ["../MODULE.bazel"])\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:8: .*\.\.\/MODULE\.bazel/ },
  { name: 'source path escaping the workspace', files: build('pkg_tar(name = "x", srcs = ["../../../../etc/passwd"])\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:8: .*\.\.\/etc\/passwd/ },
  { name: 'absolute source path', files: build('pkg_tar(name = "x", srcs = ["/etc/passwd"])\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:8: .*\/etc\/passwd/ },
  { name: 'source symlink pointing out of the workspace', files: build('pkg_tar(name = "x", srcs = ["passwd"])\n'), symlinks: { 'app/passwd': '/etc/passwd' }, args: ['//app:x'], expected: 'app/BUILD.bazel:4:8: //app:passwd: source file app/passwd resolves outside the workspace (/etc/passwd)' },
  { name: 'source directory symlink pointing out', files: build('pkg_tar(name = "x", srcs = ["etc/passwd"])\n'), symlinks: { 'app/etc': '/etc' }, args: ['//app:x'], expected: 'app/BUILD.bazel:4:8: //app:etc/passwd: source file app/etc/passwd resolves outside the workspace (/etc/passwd)' },
  { name: 'glob reaching out with ../', files: build('pkg_tar(name = "x", srcs = glob(["../**"]))\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:\d+: .*\.\.\// },
  { name: 'absolute glob', files: build('pkg_tar(name = "x", srcs = glob(["/etc/*"]))\n'), args: ['//app:x'], expected: /^app\/BUILD\.bazel:4:\d+: .*\/etc\/\*/ },
  { name: 'load() escaping the workspace', files: { 'app/BUILD.bazel': 'load("//../../etc:passwd.bzl", "x")\n' }, args: ['//app:x'], expected: /^app\/BUILD\.bazel:1:\d+: .*\/\/\.\.\/\.\.\/etc:passwd\.bzl/ },
  { name: 'absolute load()', files: { 'app/BUILD.bazel': 'load("/etc/passwd.bzl", "x")\n' }, args: ['//app:x'], expected: /^app\/BUILD\.bazel:1:\d+: .*\/etc\/passwd\.bzl/ },
  { name: 'requested label escaping the workspace', files: build(''), args: ['//../etc:passwd'], expected: /\/\/\.\.\/etc:passwd/ },
  { name: 'package symlink pointing out of the workspace', files: { 'app/BUILD.bazel': 'filegroup(name = "x", srcs = ["//ext:BUILD"])\n' }, symlinks: { ext: '/etc' }, args: ['//ext:passwd'], expected: /ext/ },

  // ---- base images ----------------------------------------------------------------------------
  { name: 'unknown base repository', files: build('oci_image(name = "img", base = "@nothere")\n'), args: ['//app:img'], expected: /^app\/BUILD\.bazel:4:10: .*@nothere/ },
  { name: 'unknown platform of a known base', files: { 'MODULE.bazel': 'module(name = "t")\noci = use_extension("@rules_oci//oci:extensions.bzl", "oci")\noci.pull(name = "base", image = "example.com/base", digest = "sha256:' + 'a'.repeat(64) + '", platforms = ["linux/amd64"])\nuse_repo(oci, "base", "base_linux_amd64")\n', 'app/BUILD.bazel': `${LOADS}oci_image(name = "img", base = "@base_linux_s390x")\n` }, args: ['//app:img'], expected: /@base_linux_s390x/ },

  // ---- the platforms option -------------------------------------------------------------------
  { name: 'platform without architecture', files: build(IMG), args: ['-p', 'linux', '//app:img'], expected: /linux/ },
  { name: 'platform with a bad os', files: build(IMG), args: ['-p', 'plan10/amd64', '//app:img'], expected: /plan10/ },
  { name: 'platform with too many parts', files: build(IMG), args: ['-p', 'linux/arm/v7/x', '//app:img'], expected: /linux\/arm\/v7\/x/ },
  { name: 'platforms on an image with a fixed platform', files: build(IMG), args: ['-p', 'linux/arm64', '//app:img'], expected: /\/\/app:img/ },

  // ---- tags and repository names --------------------------------------------------------------
  { name: 'oci_load tag with upper case', files: build(`${IMG}oci_load(name = "load", image = ":img", repo_tags = ["Hello:latest"])\n`), args: ['//app:load'], expected: /^app\/BUILD\.bazel:5:9: \/\/app:load: attribute "repo_tags": invalid image tag "Hello:latest": / },
  { name: 'oci_load tag with a bad tag part', files: build(`${IMG}oci_load(name = "load", image = ":img", repo_tags = ["hello:-bad"])\n`), args: ['//app:load'], expected: /^app\/BUILD\.bazel:5:9: \/\/app:load: attribute "repo_tags": / },
  { name: 'oci_load tag too long', files: build(`${IMG}oci_load(name = "load", image = ":img", repo_tags = ["hello:${'a'.repeat(129)}"])\n`), args: ['//app:load'], expected: /^app\/BUILD\.bazel:5:9: \/\/app:load: attribute "repo_tags": / },
  { name: 'oci_load with a digest for a tag', files: build(`${IMG}oci_load(name = "load", image = ":img", repo_tags = ["hello@sha256:${'0'.repeat(64)}"])\n`), args: ['//app:load'], expected: /^app\/BUILD\.bazel:5:9: \/\/app:load: attribute "repo_tags": / },
  { name: 'oci_push repository with upper case', files: build(`${IMG}oci_push(name = "push", image = ":img", repository = "example.com/Acme/app")\n`), args: ['//app:push'], expected: /^app\/BUILD\.bazel:5:9: \/\/app:push: attribute "repository": / },
  { name: 'oci_push repository with a tag', files: build(`${IMG}oci_push(name = "push", image = ":img", repository = "example.com/app:v1")\n`), args: ['//app:push'], expected: 'app/BUILD.bazel:5:9: //app:push: attribute "repository": "example.com/app:v1" must be a repository without a tag or digest' },
  { name: 'oci_push bad remote tag', files: build(`${IMG}oci_push(name = "push", image = ":img", repository = "example.com/app", remote_tags = ["v1 beta"])\n`), args: ['//app:push'], expected: /^app\/BUILD\.bazel:5:9: \/\/app:push: attribute "remote_tags": / },
  { name: 'oci_push image that is not an image', files: build(`pkg_tar(name = "t")\noci_push(name = "push", image = ":t", repository = "example.com/app")\n`), args: ['//app:push'], expected: /\/\/app:push/ },
  { name: '--repository with a tag', files: build(`${IMG}oci_push(name = "push", image = ":img", repository = "example.com/app")\n`), args: ['--repository', 'example.com/app:v1', '//app:push'], expected: 'input "repository": "example.com/app:v1" must name a repository without a tag' },
  { name: '--tag with a bad tag', files: build(`${IMG}oci_push(name = "push", image = ":img", repository = "example.com/app")\n`), args: ['-t', 'bad tag', '//app:push'], expected: 'input "tags": invalid tag "bad tag": must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}' },

  // ---- the Go toolchain -----------------------------------------------------------------------
  { name: 'missing Go toolchain', files: build('go_binary(name = "b", srcs = ["main.go"], goos = "linux", goarch = "amd64")\n', GO_MAIN), args: ['//app:b'], env: { GO: '/nonexistent/go' }, expected: /\/nonexistent\/go/, buildStarted: true },
  {
    name: 'Go compile error',
    files: build('go_binary(name = "b", srcs = ["main.go"], goos = "linux", goarch = "amd64")\n', { 'go.mod': 'module t\n\ngo 1.22\n', 'app/main.go': 'package main\n\nfunc main() { undefinedThing() }\n' }),
    args: ['//app:b'],
    expected: /^app\/BUILD\.bazel:4:10: \/\/app:b: go build failed \(GOOS=linux GOARCH=amd64\):\n[\s\S]*main\.go:3:15: undefined: undefinedThing/,
    multiline: true,
    buildStarted: true,
  },

  // ---- registries answering garbage -----------------------------------------------------------
  { name: 'registry answering nonsense JSON', command: 'run', garbage: 'json', files: build(`${IMG}oci_push(name = "push", image = ":img", repository = "{registry}/app", remote_tags = ["t"])\n`), args: ['//app:push'], expected: /^\{registry\}|\{registry\}/, buildStarted: true },
  { name: 'registry answering HTML', command: 'run', garbage: 'html', files: build(`${IMG}oci_push(name = "push", image = ":img", repository = "{registry}/app", remote_tags = ["t"])\n`), args: ['//app:push'], expected: /^\{registry\}|\{registry\}/, buildStarted: true },
  { name: 'registry with a token realm answering nonsense', command: 'run', garbage: 'token-json', files: build(`${IMG}oci_push(name = "push", image = ":img", repository = "{registry}/app", remote_tags = ["t"])\n`), args: ['//app:push'], expected: /^\{registry\}|\{registry\}/, buildStarted: true },
  { name: 'registry answering 200 with an empty body to everything', command: 'run', garbage: 'empty-200', files: build(`${IMG}oci_push(name = "push", image = ":img", repository = "{registry}/app", remote_tags = ["t"])\n`), args: ['//app:push'], expected: /^\{registry\}|\{registry\}/, buildStarted: true },

  // ---- arguments ------------------------------------------------------------------------------
  { name: 'bad SOURCE_DATE_EPOCH', files: build(IMG), args: ['//app:img'], env: { SOURCE_DATE_EPOCH: 'yesterday' }, expected: 'SOURCE_DATE_EPOCH="yesterday": expected a whole number of seconds since 1970' },
  { name: 'bad --chunk-size', files: build(IMG), args: ['--chunk-size', 'lots', '//app:img'], expected: /lots/ },
  { name: 'bad --label', files: build(IMG), args: ['--label', 'novalue', '//app:img'], expected: /novalue/ },
  { name: 'pattern in a missing package', files: build(IMG), args: ['//nothere/...'], expected: /nothere/ },
];

export const FILE_LINE_COL = /^[^\s:]+:\d+:\d+: /;

if (import.meta.main) {
  // Dump mode: print what the CLI says for every case (used when writing the expectations).
  const { runCase } = await import('./run_case.ts');
  const only = process.argv[2];
  for (const c of CASES) {
    if (only && !c.name.includes(only)) continue;
    const r = await runCase(c);
    process.stdout.write(`${c.name}\n  code=${r.code} ${JSON.stringify(r.message)}\n`);
  }
  process.exit(0);
}
