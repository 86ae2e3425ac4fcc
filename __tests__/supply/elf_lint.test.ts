// Binary ↔ platform check and ownership lint, with real Go binaries cross-built for amd64 and
// arm64 by the go_binary rule; the ELF headers and build info are checked against `file`-free
// independent readers (`go version -m` for the build info).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { runPipeline } from '../../src/pipeline.ts';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { readImage } from '../../src/oci/image.ts';
import { scanLayer, parseElfHeader, describeElf } from '../../src/sbom/elf.ts';
import { lintOwnership } from '../../src/lint/ownership.ts';
import { runCommand } from '../helpers/run.ts';
import { collectLog, exampleWorkspace, findFiles } from './workspace.ts';
import type { Digest } from '../../src/oci/types.ts';

const EXTRA = `
go_binary(
    name = "server_arm64",
    embed = [":hello_world_lib"],
    goarch = "arm64",
    goos = "linux",
    out = "server",
    pure = "on",
)

pkg_tar(
    name = "pkg_server_arm64",
    srcs = [":server_arm64"],
    package_dir = "/app",
)

# A scratch amd64 image holding an arm64 binary.
oci_image(
    name = "wrong_scratch",
    architecture = "amd64",
    entrypoint = ["/app/server"],
    os = "linux",
    tars = [":pkg_server_arm64"],
)

# An amd64 binary on an arm64 base.
oci_image(
    name = "wrong_based",
    base = ":image_arm64",
    tars = [":pkg_amd64"],
)

# Ownership, run as 65532: a 0700 root script, a 0600 root config file, and root-owned 0555
# volume and workdir directories. (rules_pkg forces 0755 on a target's executable.)
pkg_tar(
    name = "pkg_private",
    srcs = ["run.sh"],
    package_dir = "/app",
    mode = "0700",
)

pkg_tar(
    name = "pkg_conf",
    srcs = ["app.conf"],
    package_dir = "/etc",
    mode = "0600",
)

pkg_tar(
    name = "pkg_dirs",
    empty_dirs = ["data", "work"],
)

oci_image(
    name = "private",
    base = ":image_amd64",
    tars = [":pkg_private", ":pkg_conf", ":pkg_dirs"],
    user = "65532",
    volumes = ["/data"],
    workdir = "/work",
)

pkg_tar(
    name = "pkg_writable",
    empty_dirs = ["data"],
    mode = "0755",
    owner = "65532.65532",
)

oci_image(
    name = "clean",
    base = ":image_amd64",
    tars = [":pkg_amd64", ":pkg_writable"],
    user = "65532:65532",
    volumes = ["/data"],
)
`;

const root = exampleWorkspace('supply-elf', EXTRA);
writeFileSync(join(root, 'apps', 'hello_world', 'run.sh'), '#!/bin/sh\nexec /hello_world_linux_amd64\n');
writeFileSync(join(root, 'apps', 'hello_world', 'app.conf'), 'level=debug\n');
const out = join(root, 'out');

test('real cross-built Go binaries: ELF machine and class per arch, build info matches go version -m', async () => {
  const log = collectLog();
  const result = await runPipeline({ cwd: root, targets: ['//apps/hello_world:image_amd64', '//apps/hello_world:image_arm64'], outputDir: out, load: false, log });
  const store = new BlobStore(join(out, 'store'));
  const expected = { amd64: { machine: 62, class: 2, name: 'amd64 (x86-64)' }, arm64: { machine: 183, class: 2, name: 'arm64 (aarch64)' } };
  for (const r of result.reports) {
    const arch = r.platforms[0]?.split('/')[1] as 'amd64' | 'arm64';
    const image = await readImage(store, r.digest as Digest);
    const files = await scanLayer(store.path(image.manifest.layers[0]!.digest));
    const bin = files.find((f) => f.path === `/hello_world_linux_${arch}`);
    assert.ok(bin?.elf, `ELF header of /hello_world_linux_${arch}`);
    assert.equal(bin.elf.machine, expected[arch].machine);
    assert.equal(bin.elf.class, expected[arch].class);
    assert.equal(describeElf(bin.elf), expected[arch].name);
    // The build info read from the layer stream agrees with the go command's own reader.
    const [binary] = findFiles(join(out, 'bin'), `hello_world_linux_${arch}`);
    assert.ok(binary, 'binary output');
    const gv = await runCommand('go', ['version', '-m', binary]);
    assert.equal(gv.code, 0, `go version -m: ${gv.stderr}`);
    assert.ok(bin.go, 'Go build info found in the layer');
    assert.ok(gv.stdout.includes(`: ${bin.go.goVersion}\n`), gv.stdout);
    assert.match(gv.stdout, new RegExp(`\\tpath\\t${bin.go.path}\\n`));
    for (const d of bin.go.deps) assert.ok(gv.stdout.includes(`\tdep\t${d.path}\t${d.version}\t${d.sum}\n`), `dep ${d.path}`);
    assert.ok(bin.go.deps.some((d) => d.path === 'github.com/google/uuid'));
    for (const s of bin.go.settings) assert.ok(gv.stdout.includes(`\tbuild\t${s.key}=${s.value}\n`), `setting ${s.key}`);
    assert.ok(bin.go.settings.some((s) => s.key === 'GOARCH' && s.value === arch));
    assert.ok(bin.go.settings.some((s) => s.key === '-trimpath' && s.value === 'true'));
    assert.ok(bin.go.settings.some((s) => s.key === 'CGO_ENABLED' && s.value === '0'));
  }
  assert.equal(parseElfHeader(Buffer.from('#!/bin/sh\necho not an elf file')), undefined);
});

test('an arm64 binary in a scratch amd64 image fails with one line naming target, path and platforms', async () => {
  await assert.rejects(
    runPipeline({ cwd: root, targets: ['//apps/hello_world:wrong_scratch'], outputDir: out, load: false, log: collectLog() }),
    (err: Error) => {
      const line = err.message.split('\n').find((l) => l.includes('binary')) ?? '';
      assert.match(line, /\/\/apps\/hello_world:wrong_scratch: \/app\/server is an arm64 \(aarch64\) binary, but the image is linux\/amd64$/);
      return true;
    },
  );
});

test('an amd64 binary added to an arm64 base image fails', async () => {
  await assert.rejects(
    runPipeline({ cwd: root, targets: ['//apps/hello_world:wrong_based'], outputDir: out, load: false, log: collectLog() }),
    /\/\/apps\/hello_world:wrong_based: \/hello_world_linux_amd64 is an amd64 \(x86-64\) binary, but the image is linux\/arm64/,
  );
});

test('ownership lint: unexecutable binary and unwritable volume/workdir warn; a clean image does not', async () => {
  const log = collectLog();
  await runPipeline({ cwd: root, targets: ['//apps/hello_world:private'], outputDir: out, load: false, log });
  assert.deepEqual(log.warnings, [
    '//apps/hello_world:private: /app/run.sh is owned by 0:0 with mode 0700; user 65532 cannot execute it',
    '//apps/hello_world:private: /data is owned by 0:0 with mode 0555; user 65532 cannot write to it (a volume)',
    '//apps/hello_world:private: /etc/app.conf is owned by 0:0 with mode 0600; user 65532 cannot read it',
    '//apps/hello_world:private: /work is owned by 0:0 with mode 0555; user 65532 cannot write to it (the workdir)',
  ]);
  const clean = collectLog();
  await runPipeline({ cwd: root, targets: ['//apps/hello_world:clean'], outputDir: out, load: false, log: clean });
  assert.deepEqual(clean.warnings, []);
});

test('ownership lint rules: root user, unreadable data file, group permissions', () => {
  const file = (path: string, mode: number, uid = 0, gid = 0, type: 'file' | 'dir' = 'file') => ({
    path,
    member: { name: path.slice(1), type, mode, uid, gid, uname: '', gname: '', mtime: 0, size: 0, linkname: '', devmajor: 0, devminor: 0 },
  });
  const files = [file('/etc/app.conf', 0o600), file('/bin/tool', 0o750, 0, 1000), file('/srv', 0o775, 0, 1000, 'dir')];
  assert.deepEqual(lintOwnership(files, { user: '0' }), []);
  assert.deepEqual(lintOwnership(files, { user: 'nonroot' }), [], 'names are not resolved');
  assert.deepEqual(
    lintOwnership(files, { user: '1000', volumes: ['/srv'] }).map((f) => f.message),
    ['/bin/tool is owned by 0:1000 with mode 0750; user 1000 cannot execute it', '/etc/app.conf is owned by 0:0 with mode 0600; user 1000 cannot read it', '/srv is owned by 0:1000 with mode 0775; user 1000 cannot write to it (a volume)'],
  );
  assert.deepEqual(lintOwnership(files, { user: '1000:1000', volumes: ['/srv'] }).map((f) => f.path), ['/etc/app.conf']);
});
