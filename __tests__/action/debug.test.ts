// "Re-run with debug logging" works: RUNNER_DEBUG=1 in the action, --verbose in the CLI. Each
// registry request (method, URL, status, time; never a credential), each command run, cache
// keys and decisions (go build skipped, blob skipped).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../helpers/run.ts';
import { startRegistry, USERS } from '../helpers/registry.ts';

const repo = join(import.meta.dirname, '..', '..');
const cli = join(repo, 'src', 'cli.ts');

function workspace(t: { after: (fn: () => void) => void }, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'debug-log-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [path, text] of Object.entries({ 'MODULE.bazel': 'module(name = "t")\n', ...files })) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('--verbose logs registry requests without credentials, and blobs the registry already has', async (t) => {
  const registry = await startRegistry({ mode: 'htpasswd' });
  t.after(() => registry.stop());
  const root = workspace(t, {
    'app/f.txt': 'hello\n',
    'app/BUILD.bazel': `load("@rules_oci//oci:defs.bzl", "oci_image", "oci_push")
load("@rules_pkg//pkg:tar.bzl", "pkg_tar")
pkg_tar(name = "layer", srcs = ["f.txt"])
pkg_tar(name = "extra", srcs = ["g.txt"])
oci_image(name = "image", os = "linux", architecture = "amd64", tars = [":layer", ":extra"])
oci_push(name = "push", image = ":image", repository = "${registry.host}/app", remote_tags = ["v1"])
`,
    'app/g.txt': 'first\n',
    'docker/config.json': JSON.stringify({ auths: { [registry.host]: { username: 'pusher', password: USERS.pusher } } }),
  });
  const env = { ...process.env, DOCKER_CONFIG: join(root, 'docker') };
  const first = await runCommand(process.execPath, [cli, 'run', '--verbose', '--no-sbom', '-C', root, '//app:push'], { env });
  assert.equal(first.code, 0, first.stderr);
  const lines = first.stderr.split('\n').filter((l) => l.startsWith('debug: '));
  const host = registry.host.replace(/\./g, '\\.');
  for (const re of [
    new RegExp(`^debug: GET http://${host}/v2/ 401 \\d+ms$`),
    new RegExp(`^debug: HEAD http://${host}/v2/app/blobs/sha256:[0-9a-f]{64} 404 \\d+ms$`),
    new RegExp(`^debug: PUT http://${host}/v2/app/blobs/uploads/[^ ?]+ 201 \\d+ms$`),
    new RegExp(`^debug: PUT http://${host}/v2/app/manifests/v1 201 \\d+ms$`),
  ]) {
    assert.ok(lines.some((l) => re.test(l)), `${re}\n${lines.join('\n')}`);
  }
  // Upload URLs carry state in their query (_state=…): never logged; nor is any credential.
  assert.ok(!first.stderr.includes('_state='), 'no query strings');
  const basic = Buffer.from(`pusher:${USERS.pusher}`).toString('base64');
  assert.ok(!first.stderr.includes(USERS.pusher ?? '?') && !first.stderr.includes(basic) && !/authorization/i.test(first.stderr));

  // After an edit of one layer, the other layer is in the registry already: skipped, and said so.
  writeFileSync(join(root, 'app', 'g.txt'), 'changed\n');
  const second = await runCommand(process.execPath, [cli, 'run', '--verbose', '--no-sbom', '-C', root, '//app:push'], { env });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, new RegExp(`^debug: ${host}/app: sha256:[0-9a-f]{64} skipped \\(the registry has it\\)$`, 'm'));
  // Without --verbose: no debug line at all.
  const quiet = await runCommand(process.execPath, [cli, 'run', '--no-sbom', '-C', root, '//app:push'], { env });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.ok(!quiet.stderr.includes('debug: '), quiet.stderr);
});

test('--verbose logs the go command, the go action cache key, and the skipped build; RUNNER_DEBUG=1 turns on ::debug:: in the action', async (t) => {
  const root = workspace(t, {
    'go.mod': 'module example.com/t\n\ngo 1.22\n',
    'app/main.go': 'package main\n\nfunc main() {}\n',
    'app/BUILD.bazel': 'load("@rules_go//go:def.bzl", "go_binary")\ngo_binary(name = "bin", srcs = ["main.go"], goos = "linux", goarch = "amd64")\n',
  });
  // A build is remembered only when its sources are older than the racy window (2 s, by ctime).
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  const first = await runCommand(process.execPath, [cli, 'build', '-v', '-C', root, '//app:bin']);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /^debug: go action cache key [0-9a-f]{16} \(\d+ packages, settled\)$/m);
  assert.match(first.stderr, /^debug: \/\/app:bin: \(cd \S+ && GOOS=linux GOARCH=amd64 \S*go build -trimpath -buildvcs=false .* -o \S+ \.\/app\)$/m);
  const second = await runCommand(process.execPath, [cli, 'build', '-v', '-C', root, '//app:bin']);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /^debug: go action cache [0-9a-f]{16}: hit, go build skipped for \S+$/m);
  assert.doesNotMatch(second.stderr, /go build -trimpath/);

  const action = (debug: boolean) =>
    runCommand(process.execPath, [join(repo, 'src', 'index.ts')], {
      env: {
        ...process.env,
        INPUT_TARGETS: '//app:bin',
        'INPUT_WORKING-DIRECTORY': root,
        INPUT_CACHE: 'false',
        GITHUB_WORKSPACE: root,
        GITHUB_OUTPUT: '',
        GITHUB_STEP_SUMMARY: '',
        ...(debug ? { RUNNER_DEBUG: '1' } : { RUNNER_DEBUG: '' }),
      },
    });
  const on = await action(true);
  assert.equal(on.code, 0, on.stdout + on.stderr);
  assert.match(on.stdout, /^::debug::go action cache [0-9a-f]{16}: hit, go build skipped for /m);
  const off = await action(false);
  assert.equal(off.code, 0, off.stdout + off.stderr);
  assert.doesNotMatch(off.stdout, /::debug::/);

  // When the key cannot see every input, it says why and leaves the decision to go.
  const flags = await runCommand(process.execPath, [cli, 'build', '-v', '-C', root, '//app:bin'], { env: { ...process.env, GOFLAGS: '-modfile=go.mod' } });
  assert.equal(flags.code, 0, flags.stderr);
  assert.match(flags.stderr, /^debug: go action cache: no key for \S+ \(GOFLAGS names other files\): go build decides$/m);
});

test('Docker Engine API requests are debug lines too (method, path without query, status, time)', async (t) => {
  const { createServer } = await import('node:http');
  const { setDebugSink } = await import('../../src/util/debug.ts');
  const { pingDocker, inspectImage } = await import('../../src/publish/docker.ts');
  const dir = mkdtempSync(join(tmpdir(), 'debug-docker-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const socketPath = join(dir, 'docker.sock');
  const daemon = createServer((req, res) => {
    res.setHeader('api-version', '1.47');
    if (req.url === '/_ping') res.end('OK');
    else if (req.url?.startsWith('/v1.47/images/')) res.writeHead(404).end('{"message":"No such image"}');
    else res.end('{}');
  });
  await new Promise<void>((resolve) => daemon.listen(socketPath, resolve));
  t.after(() => new Promise<void>((resolve) => daemon.close(() => resolve())));
  const lines: string[] = [];
  setDebugSink((l) => lines.push(l));
  t.after(() => setDebugSink(undefined));
  assert.deepEqual(await pingDocker({ socketPath }), { apiVersion: '1.47', ok: true });
  assert.equal(await inspectImage({ socketPath }, 'hello:latest'), undefined);
  assert.match(lines[0] ?? '', /^docker: GET \/_ping 200 \d+ms$/);
  assert.ok(lines.some((l) => /^docker: GET \/v1\.47\/images\/hello:latest\/json 404 \d+ms$/.test(l)), lines.join('\n'));
  setDebugSink(undefined);
  lines.length = 0;
  await pingDocker({ socketPath });
  assert.deepEqual(lines, [], 'off: no lines, the dispatcher is not wrapped');
});
