// The generated monorepo of the scale workload (issue 20), written at run time into a temp dir:
// N services, each a small HTTP server (net/http, encoding/json) on a base from oci.pull, all
// importing two shared libraries, one oci_push each, declared through a .bzl macro. Also a
// synthetic graph of many targets with macros and select() for timing analysis alone.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SERVICE_DIR = 'svc';

export function serviceName(i: number): string {
  return `s${String(i).padStart(3, '0')}`;
}

/** Writes the workspace; `registry` is where oci_push targets point (rewrite with setRegistry). */
export function writeScaleWorkspace(dir: string, n: number, base: { image: string; digest: string }, registry: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'MODULE.bazel'),
    `module(name = "scale", version = "0.0.0")\n\nbazel_dep(name = "rules_go", version = "0.50.1")\nbazel_dep(name = "rules_oci", version = "2.0.0")\nbazel_dep(name = "rules_pkg", version = "1.0.1")\n\noci = use_extension("@rules_oci//oci:extensions.bzl", "oci")\noci.pull(name = "base", digest = "${base.digest}", image = "${base.image}", platforms = ["linux/amd64", "linux/arm64"])\nuse_repo(oci, "base")\n`,
  );
  writeFileSync(join(dir, 'go.mod'), 'module example.com/scale\n\ngo 1.23\n');
  writeFileSync(join(dir, 'BUILD.bazel'), '');
  mkdirSync(join(dir, 'tools'), { recursive: true });
  writeFileSync(join(dir, 'tools', 'BUILD.bazel'), '');
  setRegistry(dir, registry);
  writeFileSync(
    join(dir, 'tools', 'service.bzl'),
    `load("@rules_go//go:def.bzl", "go_binary", "go_library")
load("@rules_oci//oci:defs.bzl", "oci_image", "oci_push")
load("@rules_pkg//:pkg.bzl", "pkg_tar")
load("//tools:registry.bzl", "REGISTRY")

def go_service(name, deps = []):
    go_library(
        name = name + "_lib",
        srcs = ["main.go"],
        importpath = "example.com/scale/${SERVICE_DIR}/" + name,
        deps = deps,
    )
    go_binary(name = name, embed = [":" + name + "_lib"], pure = "on")
    pkg_tar(name = name + "_layer", srcs = [":" + name])
    oci_image(name = "image", base = "@base", entrypoint = ["/" + name], tars = [":" + name + "_layer"])
    oci_push(name = "push", image = ":image", repository = REGISTRY + "/scale/" + name, remote_tags = ["latest"])
`,
  );
  for (const [lib, src] of Object.entries(LIBS)) {
    mkdirSync(join(dir, 'libs', lib), { recursive: true });
    writeFileSync(join(dir, 'libs', lib, `${lib}.go`), src);
    writeFileSync(join(dir, 'libs', lib, 'BUILD.bazel'), `load("@rules_go//go:def.bzl", "go_library")\n\ngo_library(\n    name = "${lib}",\n    srcs = ["${lib}.go"],\n    importpath = "example.com/scale/libs/${lib}",\n    visibility = ["//visibility:public"],\n)\n`);
  }
  for (let i = 1; i <= n; i++) {
    const name = serviceName(i);
    const d = join(dir, SERVICE_DIR, name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'main.go'), serviceSource(name, 'v1'));
    writeFileSync(join(d, 'BUILD.bazel'), `load("//tools:service.bzl", "go_service")\n\ngo_service(\n    name = "${name}",\n    deps = ["//libs/greet", "//libs/httpx"],\n)\n`);
  }
}

export function setRegistry(dir: string, registry: string): void {
  writeFileSync(join(dir, 'tools', 'registry.bzl'), `REGISTRY = "${registry}"\n`);
}

export function pushTargets(n: number): string[] {
  return Array.from({ length: n }, (_, k) => `//${SERVICE_DIR}/${serviceName(k + 1)}:push`);
}

function serviceSource(name: string, version: string): string {
  return `package main

import (
	"log"
	"net/http"

	"example.com/scale/libs/greet"
	"example.com/scale/libs/httpx"
)

const service = "${name}"
const revision = "${version}"

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpx.JSON(w, map[string]string{"service": service, "revision": revision, "greeting": greet.Hello(r.URL.Query().Get("name"))})
	})
	log.Fatal(http.ListenAndServe(":8080", nil))
}
`;
}

const LIBS: Record<string, string> = {
  greet: `package greet

import "strings"

// Revision changes when the bench edits the shared library.
const Revision = "v1"

func Hello(name string) string {
	if name == "" {
		name = "world"
	}
	return "Hello, " + strings.ToUpper(name[:1]) + name[1:] + " (" + Revision + ")"
}
`,
  httpx: `package httpx

import (
	"encoding/json"
	"net/http"
)

func JSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
`,
};

/** Changes one service's revision constant (its main.go only). */
export function editService(dir: string, i: number, tag: string): void {
  const f = join(dir, SERVICE_DIR, serviceName(i), 'main.go');
  const src = readFileSync(f, 'utf8');
  writeFileSync(f, src.replace(/const revision = "[^"]*"/, `const revision = "${tag}"`));
}

/** Changes the shared library every service imports. */
export function editSharedLib(dir: string, tag: string): void {
  const f = join(dir, 'libs', 'greet', 'greet.go');
  const src = readFileSync(f, 'utf8');
  writeFileSync(f, src.replace(/const Revision = "[^"]*"/, `const Revision = "${tag}"`));
}

/**
 * A synthetic graph of `services` × 4 targets (go_library, go_binary, pkg_tar, oci_image) plus a
 * push each, declared by a macro that select()s on the platform for the entrypoint and a tag.
 */
export function writeSyntheticGraph(dir: string, services: number): string[] {
  mkdirSync(join(dir, 'tools'), { recursive: true });
  writeFileSync(join(dir, 'MODULE.bazel'), 'module(name = "synthetic", version = "0.0.0")\n\nbazel_dep(name = "rules_go", version = "0.50.1")\nbazel_dep(name = "rules_oci", version = "2.0.0")\nbazel_dep(name = "rules_pkg", version = "1.0.1")\nbazel_dep(name = "platforms", version = "0.0.10")\n');
  writeFileSync(join(dir, 'go.mod'), 'module example.com/synthetic\n\ngo 1.23\n');
  writeFileSync(join(dir, 'BUILD.bazel'), '');
  writeFileSync(join(dir, 'tools', 'BUILD.bazel'), '');
  writeFileSync(
    join(dir, 'tools', 'svc.bzl'),
    `load("@rules_go//go:def.bzl", "go_binary", "go_library")
load("@rules_oci//oci:defs.bzl", "oci_image", "oci_push")
load("@rules_pkg//:pkg.bzl", "pkg_tar")

def svc(name, port = 8080):
    go_library(name = name + "_lib", srcs = ["main.go"], importpath = "example.com/synthetic/" + name)
    go_binary(
        name = name,
        embed = [":" + name + "_lib"],
        pure = "on",
        gotags = select({
            "@platforms//cpu:arm64": ["arm"],
            "//conditions:default": [],
        }),
    )
    pkg_tar(name = name + "_layer", srcs = [":" + name], package_dir = "/app")
    oci_image(
        name = name + "_image",
        os = "linux",
        architecture = select({
            "@platforms//cpu:arm64": "arm64",
            "//conditions:default": "amd64",
        }),
        entrypoint = ["/app/" + name, "--port=%d" % port],
        tars = [":" + name + "_layer"],
    )
    oci_push(name = name + "_push", image = ":" + name + "_image", repository = "127.0.0.1:9/synthetic/" + name, remote_tags = ["latest"])
`,
  );
  const targets: string[] = [];
  const perPackage = 10;
  for (let p = 0; p * perPackage < services; p++) {
    const pkg = `p${String(p).padStart(3, '0')}`;
    mkdirSync(join(dir, pkg), { recursive: true });
    writeFileSync(join(dir, pkg, 'main.go'), 'package main\n\nfunc main() {}\n');
    const lines = ['load("//tools:svc.bzl", "svc")', ''];
    for (let k = 0; k < perPackage && p * perPackage + k < services; k++) {
      lines.push(`svc(name = "x${k}", port = ${8000 + k})`);
      targets.push(`//${pkg}:x${k}_push`);
    }
    writeFileSync(join(dir, pkg, 'BUILD.bazel'), `${lines.join('\n')}\n`);
  }
  return targets;
}
