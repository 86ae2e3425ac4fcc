"""go_image: one Go binary as a multi-arch image, the way many repositories wrap rules_oci."""

load("@aspect_bazel_lib//lib:expand_template.bzl", "expand_template")
load("@aspect_bazel_lib//lib:tar.bzl", "tar")
load("@aspect_bazel_lib//lib:transitions.bzl", "platform_transition_filegroup")
load("@rules_oci//oci:defs.bzl", "oci_image", "oci_image_index", "oci_load", "oci_push")

PLATFORMS = {
    "amd64": "//platforms:linux_amd64",
    "arm64": "//platforms:linux_arm64",
}

NONROOT = struct(uid = 65532, gid = 65532, name = "nonroot")

def _owned(path, kind, mode, extra = ""):
    return "{path} uid={uid} gid={gid} uname={name} gname={name} mode={mode} time=946684800 type={kind}{extra}".format(
        path = path,
        uid = NONROOT.uid,
        gid = NONROOT.gid,
        name = NONROOT.name,
        mode = mode,
        kind = kind,
        extra = extra,
    )

def go_image(name, binary, base, repository, entrypoint_dir = "/app", **kwargs):
    """Layer, image, per-platform transitions, index, load and push targets for `binary`.

    Args:
      name: prefix of the generated targets.
      binary: a go_binary with goos/goarch left to the configuration.
      base: the base image (an oci.pull repository).
      repository: where the _push target pushes.
      entrypoint_dir: directory holding the binary in the image.
      **kwargs: passed to oci_image (env, labels, ...).
    """
    bin_name = Label(binary).name if binary.startswith("//") else binary.lstrip(":")
    app = entrypoint_dir.lstrip("/")

    # A layer owned by the non-root user the image runs as.
    tar(
        name = name + "_layer",
        srcs = [binary],
        mtree = [
            _owned(app, "dir", "0755"),
            _owned(app + "/" + bin_name, "file", "0755", " content=$(execpath %s)" % binary),
            _owned(app + "/data", "dir", "0700"),
            _owned(app + "/current", "link", "0777", " link=" + bin_name),
        ],
    )

    oci_image(
        name = name + "_image",
        base = base,
        tars = [":" + name + "_layer"],
        entrypoint = [entrypoint_dir + "/" + bin_name],
        user = "%d:%d" % (NONROOT.uid, NONROOT.gid),
        workdir = entrypoint_dir,
        **kwargs
    )

    images = []
    for arch, platform in PLATFORMS.items():
        platform_transition_filegroup(
            name = "{}_{}".format(name, arch),
            srcs = [":" + name + "_image"],
            target_platform = platform,
        )
        images.append(":{}_{}".format(name, arch))

    oci_image_index(
        name = name,
        images = images,
    )

    # Tags: "latest" and, when stamping, the commit.
    expand_template(
        name = name + "_tags",
        out = name + "_tags.txt",
        stamp_substitutions = {"0.0.0": "{{STABLE_GIT_COMMIT}}"},
        template = [
            "latest",
            "0.0.0",
        ],
    )

    oci_load(
        name = name + "_load",
        image = ":" + name + "_image",
        repo_tags = ["%s:latest" % name],
    )

    oci_push(
        name = name + "_push",
        image = ":" + name,
        remote_tags = ":" + name + "_tags",
        repository = repository,
    )
