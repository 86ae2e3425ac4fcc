// go_deps overrides from MODULE.bazel shape the Go build as they shape Bazel's: a patched copy
// of a module from the module cache, a module from an archive, a module go.mod does not require;
// all through a generated -modfile, with the user's go.mod, go.sum and the module cache untouched.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Workspace } from '../../src/workspace/workspace.ts';
import { parseLabel } from '../../src/workspace/label.ts';
import { Engine } from '../../src/engine/engine.ts';
import { HOST_CONFIG } from '../../src/engine/config.ts';
import { compareSemver } from '../../src/go/module_overrides.ts';
import { runCommand } from '../helpers/run.ts';
import { ruleFor } from '../../src/rules/index.ts';
import { quietLog, testEngine } from '../helpers/test_engine.ts';

const fixture = join(import.meta.dirname, '..', 'fixtures', 'godeps');
// uuid.NewSHA1(uuid.NameSpaceDNS, "example.com"), as RFC 4122 version 5 defines it.
const UUID = 'cfbff0d1-9375-5685-968c-48ce8b15ae17';
const temps: string[] = [];
let server: Server;
let serverUrl: string;
const served = new Map<string, Buffer>();

before(async () => {
  server = createServer((req, res) => {
    const body = served.get(req.url ?? '');
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function copyFixture(): { root: string; out: string } {
  const base = mkdtempSync(join(tmpdir(), 'godeps-'));
  temps.push(base);
  const root = join(base, 'ws');
  cpSync(fixture, root, { recursive: true });
  return { root, out: join(base, 'out') };
}

function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(`${relative(root, p)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(root);
  return out;
}

function engineFor(root: string, out: string): Engine {
  return testEngine(new Workspace(root, { rules: ruleFor, log: quietLog }), { outRoot: out });
}

async function buildAndRun(root: string, out: string): Promise<string> {
  const engine = engineFor(root, out);
  const p = await engine.build(engine.analyze(parseLabel('//cmd/app:app'), HOST_CONFIG));
  const ran = await runCommand(p.executable?.path as string, []);
  assert.equal(ran.code, 0, ran.stderr);
  return ran.stdout;
}

function rewrite(path: string, from: string | RegExp, to: string): void {
  const text = readFileSync(path, 'utf8');
  assert.ok(typeof from === 'string' ? text.includes(from) : from.test(text), `${path} holds ${from}`);
  writeFileSync(path, text.replace(from, to));
}

test('module_override patches the module, go_deps.module adds one; go.mod, go.sum and the module cache are untouched; reproducible across output trees', async () => {
  const { root, out } = copyFixture();
  const before = snapshot(root);
  assert.equal(await buildAndRun(root, out), `hi patched:${UUID}\n`);
  assert.deepEqual(snapshot(root), before, 'the workspace (go.mod, go.sum, ...) is byte for byte as it was');
  const gomodcache = (await runCommand('go', ['env', 'GOMODCACHE'])).stdout.trim();
  assert.match(readFileSync(join(gomodcache, 'github.com', 'google', 'uuid@v1.6.0', 'uuid.go'), 'utf8'), /\treturn string\(buf\[:\]\)\n/, 'the module cache is not patched');
  // The generated modfile replaces uuid with the patched tree published as a version of its own
  // (its hashes in the go.sum copy, checked by go when it put it in the module cache) and
  // requires godotenv.
  const modfiles = readdirSync(join(out, 'cache', 'go-modfiles')).filter((n) => !n.startsWith('inputs-'));
  assert.equal(modfiles.length, 1);
  const mod = readFileSync(join(out, 'cache', 'go-modfiles', modfiles[0] as string, 'go.mod'), 'utf8');
  const version = /\nreplace github\.com\/google\/uuid => github\.com\/google\/uuid (v1\.6\.0-ocibuild\.[0-9a-f]{16})\n/.exec(mod)?.[1];
  assert.ok(version, mod);
  assert.match(mod, /github\.com\/joho\/godotenv v1\.5\.1/);
  const sum = readFileSync(join(out, 'cache', 'go-modfiles', modfiles[0] as string, 'go.sum'), 'utf8');
  assert.match(sum, new RegExp(`^github\\.com/google/uuid ${version} h1:[A-Za-z0-9+/]{43}=\\ngithub\\.com/google/uuid ${version}/go\\.mod h1:TIyPZe4MgqvfeYDBFedMoGGpEw/LqOeaOT\\+nhxU\\+yHo=$`, 'm'));
  // The binary names that version and its hash, not a path of this machine: another output tree
  // gives the same bytes.
  const info = await runCommand('go', ['version', '-m', join(out, 'bin', 'host', 'cmd', 'app', 'app_', 'app')]);
  assert.match(info.stdout, new RegExp(`\\tdep\\tgithub\\.com/google/uuid\\tv1\\.6\\.0\\n\\t=>\\tgithub\\.com/google/uuid\\t${version}\\th1:`));
  assert.doesNotMatch(info.stdout.slice(info.stdout.indexOf('\n')), new RegExp(out));
  const other = join(out, '..', 'out2');
  assert.equal(await buildAndRun(root, other), `hi patched:${UUID}\n`);
  assert.ok(readFileSync(join(other, 'bin', 'host', 'cmd', 'app', 'app_', 'app')).equals(readFileSync(join(out, 'bin', 'host', 'cmd', 'app', 'app_', 'app'))), 'the binary does not depend on where the output tree is');
  // A changed patch is seen (the remembered modfile is keyed by the patches' bytes).
  rewrite(join(root, 'patches', 'uuid-string.patch'), '"patched:"', '"repatched:"');
  assert.equal(await buildAndRun(root, out), `hi repatched:${UUID}\n`);
  // Without the overrides the same tree builds the unpatched module (and needs godotenv in go.mod).
  rewrite(join(root, 'MODULE.bazel'), /go_deps\.module_override\([^)]*\)\n/, '');
  assert.equal(await buildAndRun(root, out), `hi ${UUID}\n`);
});

test('a patch that does not apply: one line naming the patch and the module; nothing is built', async () => {
  const { root, out } = copyFixture();
  rewrite(join(root, 'patches', 'uuid-string.patch'), ' \tencodeHex(buf[:], uuid)', ' \tencodeHex(buf[:], uuid) // changed');
  await assert.rejects(buildAndRun(root, out), (err: Error) => {
    assert.equal(
      err.message,
      'MODULE.bazel:10:24: go_deps.module_override(path = "github.com/google/uuid"): patch //patches:uuid-string.patch does not apply to github.com/google/uuid@v1.6.0: hunk #1 of uuid.go (at its line 246) does not match the file',
    );
    return true;
  });
  assert.deepEqual(readdirSync(join(out, 'cache', 'go-deps')), [], 'no half-patched copy is left');
  rmSync(join(root, 'patches', 'uuid-string.patch'));
  await assert.rejects(buildAndRun(root, out), { message: 'MODULE.bazel:10:24: go_deps.module_override(path = "github.com/google/uuid"): patch //patches:uuid-string.patch: no such file patches/uuid-string.patch' });
});

test('go_deps.module with a sum that is not the module\'s is refused', async () => {
  const { root, out } = copyFixture();
  rewrite(join(root, 'MODULE.bazel'), 'h1:7eLL/+HRGLY0ldzfGMeQkb7vMd0as4CfYvUVzLqw0N0=', 'h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
  await assert.rejects(buildAndRun(root, out), (err: Error) => {
    assert.match(err.message, /^MODULE\.bazel:\d+:\d+: go_deps\.module\(path = "github\.com\/joho\/godotenv"\): sum h1:A{43}= does not match the module's h1:7eLL\/\+HRGLY0ldzfGMeQkb7vMd0as4CfYvUVzLqw0N0=/);
    return true;
  });
});

test('archive_override: the module from a pinned archive, strip_prefix and patches; unreachable URLs and a wrong sha256 are one line each', async () => {
  const { root, out } = copyFixture();
  // An archive of uuid whose String() differs, as a fork's release tarball would.
  const src = mkdtempSync(join(tmpdir(), 'uuid-archive-'));
  temps.push(src);
  const gomodcache = (await runCommand('go', ['env', 'GOMODCACHE'])).stdout.trim();
  cpSync(join(gomodcache, 'github.com', 'google', 'uuid@v1.6.0'), join(src, 'uuid-1.6.0'), { recursive: true });
  await runCommand('chmod', ['-R', 'u+w', src]);
  rewrite(join(src, 'uuid-1.6.0', 'uuid.go'), '\treturn string(buf[:])\n', '\treturn "fork:" + string(buf[:])\n');
  const tar = await runCommand('tar', ['-czf', join(src, 'uuid.tar.gz'), '-C', src, 'uuid-1.6.0']);
  assert.equal(tar.code, 0, tar.stderr);
  const archive = readFileSync(join(src, 'uuid.tar.gz'));
  served.set('/uuid-1.6.0.tar.gz', archive);
  const digest = createHash('sha256').update(archive).digest('hex');
  // A port nothing listens on: bind one, then close it.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));

  const override = (urls: string[], sha: string) =>
    `go_deps.archive_override(\n    path = "github.com/google/uuid",\n    patch_strip = 1,\n    patches = ["//patches:uuid-string.patch"],\n    sha256 = "${sha}",\n    strip_prefix = "uuid-1.6.0",\n    urls = ${JSON.stringify(urls)},\n)\n`;
  const moduleFile = join(root, 'MODULE.bazel');
  const original = readFileSync(moduleFile, 'utf8').replace(/go_deps\.module_override\([^)]*\)\n/, '');

  writeFileSync(moduleFile, original + override([`http://127.0.0.1:${deadPort}/uuid.tar.gz`], digest));
  await assert.rejects(buildAndRun(root, out), (err: Error) => {
    assert.match(err.message, new RegExp(`^MODULE\\.bazel:\\d+:\\d+: go_deps\\.archive_override\\(path = "github\\.com/google/uuid"\\): cannot get the archive \\(http://127\\.0\\.0\\.1:${deadPort}/uuid\\.tar\\.gz: ECONNREFUSED\\)$`));
    return true;
  });
  writeFileSync(moduleFile, original + override([`${serverUrl}/uuid-1.6.0.tar.gz`], '0'.repeat(64)));
  await assert.rejects(buildAndRun(root, out), /cannot get the archive \(http:\/\/127\.0\.0\.1:\d+\/uuid-1\.6\.0\.tar\.gz: sha256 [0-9a-f]{64} is not the sha256 given\)$/);

  // The first URL fails, the second serves the archive; the module's patch applies on top.
  writeFileSync(moduleFile, original + override([`http://127.0.0.1:${deadPort}/uuid.tar.gz`, `${serverUrl}/uuid-1.6.0.tar.gz`], digest));
  rewrite(join(root, 'patches', 'uuid-string.patch'), '\treturn string(buf[:])\n+\treturn "patched:" + string(buf[:])', '\treturn "fork:" + string(buf[:])\n+\treturn "patched:" + "fork:" + string(buf[:])');
  assert.equal(await buildAndRun(root, out), `hi patched:fork:${UUID}\n`);
  // Made once: a later build needs no download.
  served.clear();
  assert.equal(await buildAndRun(root, out), `hi patched:fork:${UUID}\n`);
});

test('archive_override of a .zip: the module zip from the Go proxy protocol, strip_prefix = its module@version root', async () => {
  const { root, out } = copyFixture();
  const gomodcache = (await runCommand('go', ['env', 'GOMODCACHE'])).stdout.trim();
  const zip = readFileSync(join(gomodcache, 'cache', 'download', 'github.com', 'google', 'uuid', '@v', 'v1.6.0.zip'));
  served.set('/github.com/google/uuid/@v/v1.6.0.zip', zip);
  const moduleFile = join(root, 'MODULE.bazel');
  const text = readFileSync(moduleFile, 'utf8').replace(
    /go_deps\.module_override\(/,
    `go_deps.archive_override(\n    path = "github.com/google/uuid",\n    sha256 = "${createHash('sha256').update(zip).digest('hex')}",\n    strip_prefix = "github.com/google/uuid@v1.6.0",\n    urls = ["${serverUrl}/github.com/google/uuid/@v/v1.6.0.zip"],\n    patches = ["//patches:uuid-string.patch"],\n    patch_strip = 1,\n)\n\ngo_deps.module_override(`,
  );
  writeFileSync(moduleFile, text);
  assert.equal(await buildAndRun(root, out), `hi patched:${UUID}\n`);
  // The archive override wins over the module override for the same path: patched once, not twice.
  const copies = readdirSync(join(out, 'cache', 'go-deps'));
  assert.equal(copies.length, 1);
  assert.match(copies[0] as string, /^github\.com_google_uuid@archive-[0-9a-f]{24}$/);
});

test('MODULE.bazel go_deps tags are checked where they are written', async () => {
  const { root, out } = copyFixture();
  rewrite(join(root, 'MODULE.bazel'), 'version = "v1.5.1"', 'version = "1.5"');
  await assert.rejects(buildAndRun(root, out), /MODULE\.bazel:\d+:\d+: .*go_deps\.module\(path = "github\.com\/joho\/godotenv"\): "1\.5" is not a semantic version \(vX\.Y\.Z\)/);
});

test('semantic versions compare as Go does', () => {
  assert.equal(compareSemver('v1.5.1', 'v1.10.0'), -1);
  assert.equal(compareSemver('v1.0.0', 'v1.0.0-rc.1'), 1);
  assert.equal(compareSemver('v1.0.0-rc.2', 'v1.0.0-rc.10'), -1);
  assert.equal(compareSemver('v0.0.0-20180428030007-95032a82bc51', 'v0.0.0-20190101000000-aaaaaaaaaaaa'), -1);
  assert.equal(compareSemver('v2.0.0+incompatible', 'v2.0.0'), 0);
});
