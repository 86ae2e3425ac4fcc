// Secrets through the bundled action (dist/index.js), run as the runner runs it: a password
// (htpasswd registry), the Bearer token flow (token registry), and an identity token from
// DOCKER_CONFIG (token registry whose token server takes the OAuth2 refresh-token grant). No
// secret, derived token or Basic header value may appear in stdout (other than ::add-mask::
// lines), stderr, the GITHUB_STEP_SUMMARY file, the GITHUB_OUTPUT file, or any file under the
// output directory. And credentials never follow a registry's redirect of blob GETs to another host.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, type RunResult } from '../helpers/run.ts';
import {
  USERS,
  removeDir,
  startFaultProxy,
  startRecordingServer,
  startRegistry,
  tempDir,
  type FaultProxy,
  type RecordingServer,
  type TestRegistry,
} from '../helpers/registry.ts';
import { exampleWorkspace, repoRoot } from './example.ts';

const PASSWORD = USERS.pusher ?? '';
const IDENTITY_TOKEN = 'idtok-7c1e0b9f-secret-refresh-token';
const GITHUB_TOKEN = 'ghs_fakeGithubToken0123456789abcdefXYZ';
/** A JWT as the token server issues them (header.claims.signature, base64url). */
const JWT = /eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/;

let htpasswd: TestRegistry;
let token: TestRegistry;
let work: string;

before(async () => {
  [htpasswd, token] = await Promise.all([
    startRegistry({ mode: 'htpasswd' }),
    startRegistry({ mode: 'token', token: { refreshTokens: { [IDENTITY_TOKEN]: 'pusher' } } }),
  ]);
  work = await tempDir('secrets-');
});

after(async () => {
  await Promise.all([htpasswd?.stop(), token?.stop()]);
  if (work) await removeDir(work);
});

interface ActionRun {
  res: RunResult;
  outputFile: string;
  summaryFile: string;
  outputDir: string;
}

async function runAction(name: string, root: string, env: Record<string, string>): Promise<ActionRun> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const outputFile = join(dir, 'github-output');
  const summaryFile = join(dir, 'step-summary.md');
  const outputDir = join(dir, 'out');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const res = await runCommand(process.execPath, [join(repoRoot, 'dist', 'index.js')], {
    env: {
      ...process.env,
      DOCKER_CONFIG: join(dir, 'no-docker-config'),
      INPUT_TARGETS: '//apps/hello_world:push',
      'INPUT_WORKING-DIRECTORY': root,
      'INPUT_OUTPUT-DIR': outputDir,
      INPUT_CACHE: 'false',
      'INPUT_GITHUB-TOKEN': GITHUB_TOKEN,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      ...env,
    },
  });
  return { res, outputFile, summaryFile, outputDir };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Where any of `secrets` (or a JWT) shows up, other than in ::add-mask:: lines. */
function leaks(run: ActionRun, secrets: string[]): string[] {
  const found: string[] = [];
  const check = (where: string, text: string) => {
    for (const s of secrets) if (s && text.includes(s)) found.push(`${where}: ${s.slice(0, 6)}…`);
    if (JWT.test(text)) found.push(`${where}: a JWT (${JWT.exec(text)?.[0].slice(0, 16)}…)`);
  };
  check('stdout', run.res.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n'));
  check('stderr', run.res.stderr);
  check('GITHUB_OUTPUT', readFileSync(run.outputFile, 'utf8'));
  check('GITHUB_STEP_SUMMARY', readFileSync(run.summaryFile, 'utf8'));
  for (const f of filesUnder(run.outputDir)) check(f, readFileSync(f).toString('latin1'));
  return found;
}

function basic(user: string, pass: string): string {
  return Buffer.from(`${user}:${pass}`).toString('base64');
}

describe('secrets in the bundled action', () => {
  test('a password (htpasswd registry) is masked and never printed or written', { timeout: 300_000 }, async () => {
    const root = exampleWorkspace(`${htpasswd.host}/secrets/basic`);
    const run = await runAction('basic', root, { INPUT_REGISTRY: htpasswd.host, INPUT_USERNAME: 'pusher', INPUT_PASSWORD: PASSWORD });
    assert.equal(run.res.code, 0, run.res.stdout + run.res.stderr);
    assert.ok(run.res.stdout.includes(`::add-mask::${PASSWORD}`), 'the password is masked');
    assert.match(readFileSync(run.outputFile, 'utf8'), /digest<</);
    assert.deepEqual(leaks(run, [PASSWORD, basic('pusher', PASSWORD), GITHUB_TOKEN]), []);
  });

  test('the Bearer token flow (token registry): neither the password nor any token leaks', { timeout: 300_000 }, async () => {
    const root = exampleWorkspace(`${token.host}/secrets/bearer`);
    const before = token.tokenServer!.requests.length;
    const run = await runAction('bearer', root, { INPUT_REGISTRY: token.host, INPUT_USERNAME: 'pusher', INPUT_PASSWORD: PASSWORD });
    assert.equal(run.res.code, 0, run.res.stdout + run.res.stderr);
    assert.ok(token.tokenServer!.requests.length > before, 'tokens were issued');
    assert.ok(run.res.stdout.includes(`::add-mask::${PASSWORD}`), 'the password is masked');
    assert.ok(run.res.stdout.split('\n').some((l) => l.startsWith('::add-mask::eyJ')), 'issued tokens are masked');
    assert.deepEqual(leaks(run, [PASSWORD, basic('pusher', PASSWORD), GITHUB_TOKEN]), []);
  });

  test('an identity token from DOCKER_CONFIG goes through the refresh-token grant and never leaks', { timeout: 300_000 }, async () => {
    const root = exampleWorkspace(`${token.host}/secrets/identity`);
    const config = join(work, 'identity-docker-config');
    mkdirSync(config, { recursive: true });
    writeFileSync(join(config, 'config.json'), JSON.stringify({ auths: { [token.host]: { auth: basic('<token>', ''), identitytoken: IDENTITY_TOKEN } } }));
    const before = token.tokenServer!.requests.length;
    const run = await runAction('identity', root, { DOCKER_CONFIG: config });
    assert.equal(run.res.code, 0, run.res.stdout + run.res.stderr);
    const grants = token.tokenServer!.requests.slice(before);
    assert.ok(grants.some((r) => r.method === 'POST' && r.grantType === 'refresh_token' && r.user === 'pusher'), JSON.stringify(grants));
    assert.ok(run.res.stdout.includes(`::add-mask::${IDENTITY_TOKEN}`), 'the identity token is masked');
    assert.deepEqual(leaks(run, [IDENTITY_TOKEN, PASSWORD, GITHUB_TOKEN]), []);
  });
});

describe('credentials and redirects', () => {
  let proxy: FaultProxy;
  let storage: RecordingServer;
  before(async () => {
    proxy = await startFaultProxy(htpasswd.port);
    storage = await startRecordingServer();
  });
  after(async () => {
    await proxy?.stop();
    await storage?.stop();
  });

  test('blob GETs a registry redirects to another host carry no Authorization', { timeout: 300_000 }, async () => {
    // A base image in the registry: the example's index, pushed by the action itself.
    const baseRoot = exampleWorkspace(`${htpasswd.host}/secrets/base`);
    const pushed = await runAction('redirect-base', baseRoot, { INPUT_REGISTRY: htpasswd.host, INPUT_USERNAME: 'pusher', INPUT_PASSWORD: PASSWORD });
    assert.equal(pushed.res.code, 0, pushed.res.stdout + pushed.res.stderr);
    const indexDigest = /digest<<(\S+)\n(.*)\n\1/.exec(readFileSync(pushed.outputFile, 'utf8'))?.[2] ?? '';
    assert.match(indexDigest, /^sha256:[0-9a-f]{64}$/);
    // Every blob GET through the proxy is redirected to the "blob storage" host, which serves the bytes.
    const blobs = join(pushed.outputDir, 'store', 'blobs', 'sha256');
    for (const hex of readdirSync(blobs)) {
      storage.files.set(`/storage/${hex}`, readFileSync(join(blobs, hex)));
      proxy.add({ method: 'GET', path: new RegExp(`/blobs/sha256:${hex}`), fault: { kind: 'redirect', location: `${storage.url}/storage/${hex}?sig=abc` }, times: Infinity });
    }
    // A workspace whose image uses that base, pulled through the proxy, with credentials for it.
    const root = exampleWorkspace(`${proxy.host}/secrets/based`);
    appendFileSync(
      join(root, 'MODULE.bazel'),
      `
oci = use_extension("@rules_oci//oci:extensions.bzl", "oci")
oci.pull(name = "base", digest = "${indexDigest}", image = "${proxy.host}/secrets/base", platforms = ["linux/amd64", "linux/arm64"])
use_repo(oci, "base", "base_linux_amd64", "base_linux_arm64")
`,
    );
    appendFileSync(
      join(root, 'apps', 'hello_world', 'BUILD.bazel'),
      `
oci_image(name = "image_based", base = "@base_linux_amd64", entrypoint = ["/hello_world_linux_amd64"], tars = [":pkg_amd64"])
oci_push(name = "push_based", image = ":image_based", repository = "${proxy.host}/secrets/based", remote_tags = ["latest"])
`,
    );
    const run = await runAction('redirect', root, {
      INPUT_TARGETS: '//apps/hello_world:push_based',
      INPUT_REGISTRY: proxy.host,
      INPUT_USERNAME: 'pusher',
      INPUT_PASSWORD: PASSWORD,
    });
    assert.equal(run.res.code, 0, run.res.stdout + run.res.stderr);
    const redirected = proxy.log.filter((e) => e.fault === 'redirect');
    assert.ok(redirected.length > 0, 'blob GETs were redirected');
    assert.ok(redirected.every((e) => e.authorization), 'the registry itself got credentials');
    assert.ok(storage.requests.length > 0, 'the storage host was asked');
    assert.deepEqual(storage.requests.filter((r) => r.authorization !== undefined), [], 'no Authorization to another host');
    assert.deepEqual(leaks(run, [PASSWORD, basic('pusher', PASSWORD), GITHUB_TOKEN]), []);
  });
});
