# Shared set-up steps for scripts/test and scripts/example. Sourced, not run.

# Debian packages the tests use as real peers and checkers. Installed only when missing and root.
ensure_debian_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
  command -v umoci >/dev/null 2>&1 || missing+=(umoci)
  command -v qemu-aarch64-static >/dev/null 2>&1 || missing+=(qemu-user-static)
  command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v bsdtar >/dev/null 2>&1 || missing+=(libarchive-tools)
  command -v zstd >/dev/null 2>&1 || missing+=(zstd)
  command -v gzip >/dev/null 2>&1 || missing+=(gzip)
  command -v unzip >/dev/null 2>&1 || missing+=(unzip)
  if ((${#missing[@]} == 0)); then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    echo "missing packages: ${missing[*]} (run as root, or install them with apt-get)" >&2
    return 1
  fi
  echo "== installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# npm dependencies, including the pinned Node 24 that npm scripts run on.
ensure_npm_deps() {
  if [ ! -x node_modules/.bin/node ] || ! cmp -s package-lock.json node_modules/.oci-build-lock 2>/dev/null; then
    echo "== npm ci"
    npm ci --no-audit --no-fund
    cp package-lock.json node_modules/.oci-build-lock
  fi
}

# Go modules of the example workspace (from the module proxy), so builds do not fetch mid-test.
ensure_go_modules() {
  (cd examples/monorepo && go mod download)
}

# act (nektos/act), which runs the workflows of scripts/act on this host. Installed with
# `go install` into .tools/bin of the repository (ignored by git) and kept across runs; set
# OCI_BUILD_ACT to use another binary of the same version.
ACT_VERSION=v0.2.89
ensure_act() {
  local bin="${OCI_BUILD_ACT:-$PWD/.tools/bin/act}"
  if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "act version ${ACT_VERSION#v}" ]; then
    export OCI_BUILD_ACT="$bin"
    return 0
  fi
  if [ -n "${OCI_BUILD_ACT:-}" ]; then
    echo "OCI_BUILD_ACT=$OCI_BUILD_ACT is not act ${ACT_VERSION#v}" >&2
    return 1
  fi
  echo "== installing act ${ACT_VERSION}"
  GOBIN="$PWD/.tools/bin" GOFLAGS=-mod=mod go install "github.com/nektos/act@${ACT_VERSION}"
  export OCI_BUILD_ACT="$bin"
}
