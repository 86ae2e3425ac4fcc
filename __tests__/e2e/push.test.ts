// Registries end to end: a base from oci.pull (seeded into a real distribution registry in OCI
// and in Docker media types), a multi-arch image built with the platforms option, pushed with
// Basic and token auth, checked by skopeo, umoci, docker and qemu.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync, appendFileSync, openSync, readSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline, type PipelineOptions, type PipelineResult, type TargetReport } from '../../src/pipeline.ts';
import { parsePlatform } from '../../src/oci/platform.ts';
import { startRegistry, USERS, type TestRegistry } from '../helpers/registry.ts';
import { seedBaseImages, type SeededBase } from '../helpers/seed.ts';
import { docker, requireDocker } from '../helpers/docker.ts';
import { runCommand } from '../helpers/run.ts';
import { RegistryPool } from '../../src/registry/pool.ts';
import { startFakeGitHub } from '../helpers/fake_github.ts';
import { basedWorkspace } from '../helpers/based_workspace.ts';

const repoRoot = join(import.meta.dirname, '..', '..');
const EXPECTED = /^Hello, World!\([0-9a-f-]{36}\)\nReversed: !dlroW ,olleH\nOsName: linux\n$/;
const PLATFORMS = [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')];

function report(result: PipelineResult, label: string): TargetReport {
  const r = result.reports.find((x) => x.label === label);
  assert.ok(r, `no report for ${label}`);
  return r;
}

function elfMachine(path: string): number {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(20);
  readSync(fd, buf, 0, 20, 0);
  closeSync(fd);
  assert.equal(buf.subarray(0, 4).toString('latin1'), '\x7fELF');
  return buf.readUInt16LE(18);
}

describe('push to an htpasswd registry', () => {
  let registry: TestRegistry;
  let seed: SeededBase;
  let dockerConfig: string;
  const logs: string[] = [];
  const creds = [{ registry: '', username: 'pusher', password: USERS.pusher ?? '' }];

  before(async () => {
    registry = await startRegistry({ mode: 'htpasswd' });
    seed = await seedBaseImages(registry.host, { creds: { username: 'pusher', password: USERS.pusher ?? '' } });
    (creds[0] as { registry: string }).registry = registry.host;
    dockerConfig = mkdtempSync(join(tmpdir(), 'docker-config-'));
  });
  after(async () => {
    await registry?.stop();
  });

  function options(root: string, extra: Partial<PipelineOptions> = {}): PipelineOptions {
    return {
      cwd: root,
      targets: ['//apps/hello_world:push'],
      outputDir: join(root, 'out'),
      load: false,
      push: true,
      platforms: PLATFORMS,
      credentials: creds,
      log: { info: (m) => logs.push(m), warning: (m) => logs.push(`warning: ${m}`) },
      env: { ...process.env, DOCKER_CONFIG: dockerConfig },
      ...extra,
    };
  }

  test('a multi-arch push on an OCI base, then a second push that uploads nothing', async () => {
    const root = basedWorkspace(seed, 'oci', `${registry.host}/hello`);
    const first = report(await runPipeline(options(root)), '//apps/hello_world:push');
    assert.equal(first.action, 'pushed');
    assert.equal(first.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(first.platforms, ['linux/amd64', 'linux/arm64']);
    assert.deepEqual(first.tags, [`${registry.host}/hello:latest`]);
    assert.deepEqual(first.references, [`${registry.host}/hello@${first.digest}`]);
    assert.ok((first.blobs?.uploaded ?? 0) + (first.blobs?.mounted ?? 0) >= 4, JSON.stringify(first.blobs));
    // Base layers live in another repository of the same registry: mounted, not uploaded.
    assert.equal(first.blobs?.mounted, 2);

    logs.length = 0;
    const again = report(await runPipeline(options(root, { outputDir: join(root, 'out2') })), '//apps/hello_world:push');
    assert.equal(again.digest, first.digest, 'the same sources give the same index digest');
    assert.equal(again.blobs?.uploaded, 0);
    assert.equal(again.blobs?.mounted, 0);
    assert.ok((again.blobs?.skipped ?? 0) >= 6);
    assert.ok(logs.some((l) => /0 blob\(s\) uploaded .* skipped/.test(l)), logs.join('\n'));

    // Independent checks: skopeo reads the index; each image config follows the base.
    const auth = `--creds=pusher:${USERS.pusher}`;
    const raw = await runCommand('skopeo', ['inspect', '--raw', '--tls-verify=false', auth, `docker://${registry.host}/hello:latest`]);
    assert.equal(raw.code, 0, raw.stderr);
    const index = JSON.parse(raw.stdout) as { manifests: Array<{ digest: string; platform: { architecture: string } }> };
    assert.deepEqual(index.manifests.map((m) => m.platform.architecture), ['amd64', 'arm64']);
    const cfg = await runCommand('skopeo', ['inspect', '--config', '--tls-verify=false', auth, '--override-arch', 'arm64', `docker://${registry.host}/hello:latest`]);
    assert.equal(cfg.code, 0, cfg.stderr);
    const config = JSON.parse(cfg.stdout) as { architecture: string; config: { Env: string[]; User: string; Entrypoint: string[]; Labels: Record<string, string> }; rootfs: { diff_ids: string[] } };
    assert.equal(config.architecture, 'arm64');
    assert.equal(config.config.User, '65532');
    assert.deepEqual(config.config.Entrypoint, ['/app/hello_world_auto']);
    assert.ok(config.config.Env.includes('SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt'));
    assert.equal(config.config.Labels['org.opencontainers.image.title'], 'seed-base');
    assert.equal(config.rootfs.diff_ids.length, 2);
    const manifest = JSON.parse(
      (await runCommand('skopeo', ['inspect', '--raw', '--tls-verify=false', auth, `docker://${registry.host}/hello@${index.manifests[1]?.digest}`])).stdout,
    ) as { annotations?: Record<string, string> };
    // As rules_oci: no org.opencontainers.image.base.* annotations are added.
    assert.equal(manifest.annotations?.['org.opencontainers.image.base.digest'], undefined);
    assert.equal(manifest.annotations?.['org.opencontainers.image.base.name'], undefined);

    // The arm64 image unpacks with umoci and its binary is an aarch64 ELF that runs under qemu.
    const dir = mkdtempSync(join(tmpdir(), 'arm64-'));
    const copy = await runCommand('skopeo', ['copy', '--src-tls-verify=false', `--src-creds=pusher:${USERS.pusher}`, '--override-arch', 'arm64', `docker://${registry.host}/hello:latest`, `oci:${dir}/layout:latest`]);
    assert.equal(copy.code, 0, copy.stderr);
    const unpack = await runCommand('umoci', ['unpack', '--rootless', '--image', `${dir}/layout:latest`, `${dir}/bundle`]);
    assert.equal(unpack.code, 0, unpack.stderr);
    const bin = join(dir, 'bundle', 'rootfs', 'app', 'hello_world_auto');
    assert.equal(elfMachine(bin), 183, 'EM_AARCH64');
    assert.equal(readFileSync(join(dir, 'bundle', 'rootfs', 'etc', 'base-release'), 'utf8').trim(), 'base arm64');
    const ran = await runCommand('qemu-aarch64-static', [bin]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, EXPECTED);
  });

  test('docker pulls the pushed image and runs it', async () => {
    await requireDocker();
    const root = basedWorkspace(seed, 'oci', `${registry.host}/hello-run`);
    const pushed = report(await runPipeline(options(root)), '//apps/hello_world:push');
    const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
    const login = await runCommand('sh', ['-c', `printf '%s' "$PW" | docker login -u pusher --password-stdin ${registry.host}`], { env: { ...env, PW: USERS.pusher } });
    assert.equal(login.code, 0, login.stderr);
    const ref = `${registry.host}/hello-run@${pushed.digest}`;
    const pull = await runCommand('docker', ['pull', ref], { env });
    assert.equal(pull.code, 0, pull.stderr);
    const out = await docker('run', '--rm', '--network=none', ref);
    assert.match(out, EXPECTED);
    await docker('rmi', '-f', ref).catch(() => '');
  });

  test('a Docker-media-type base gives a Docker manifest list', async () => {
    const root = basedWorkspace(seed, 'docker', `${registry.host}/hello-docker`);
    const r = report(await runPipeline(options(root)), '//apps/hello_world:push');
    assert.equal(r.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
    const raw = await runCommand('skopeo', ['inspect', '--raw', '--tls-verify=false', `--creds=pusher:${USERS.pusher}`, `docker://${registry.host}/hello-docker@${r.digest}`]);
    const list = JSON.parse(raw.stdout) as { manifests: Array<{ mediaType: string }> };
    assert.deepEqual(list.manifests.map((m) => m.mediaType), [
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.docker.distribution.manifest.v2+json',
    ]);
  });

  test('a wrong password fails with a clear line that does not contain it, and no tag is set', async () => {
    const root = basedWorkspace(seed, 'oci', `${registry.host}/hello-denied`);
    const secret = 'not-the-password-123';
    await assert.rejects(
      runPipeline(options(root, { credentials: [{ registry: registry.host, username: 'pusher', password: secret }] })),
      (err: Error) => {
        assert.match(err.message, /unauthorized|authentication/i);
        assert.ok(!err.message.includes(secret));
        assert.ok(!err.message.includes('\n'), err.message);
        return true;
      },
    );
  });

  test('fallback credentials (the github-token input for ghcr.io) are used only when nothing else has any', async () => {
    const env = { ...process.env, DOCKER_CONFIG: mkdtempSync(join(tmpdir(), 'empty-docker-config-')) };
    const quietAccess = { explicit: [], insecureRegistries: [], log: () => {}, maskSecret: () => {}, env };
    const without = new RegistryPool(quietAccess);
    await assert.rejects(without.client(registry.host).listTags('hello'), /unauthorized|authentication required/i);
    await without.close();
    const masked: string[] = [];
    const withFallback = new RegistryPool({
      ...quietAccess,
      maskSecret: (s) => masked.push(s),
      fallback: { registry: registry.host, username: 'pusher', password: USERS.pusher ?? '' },
    });
    assert.ok(Array.isArray(await withFallback.client(registry.host).listTags('hello')));
    assert.ok(masked.includes(USERS.pusher ?? '?'), 'the fallback secret is masked');
    await withFallback.close();
  });

  test('distributed mode: each platform pushed by digest without tags, then the action merges and tags', async () => {
    const root = basedWorkspace(seed, 'oci', `${registry.host}/hello-dist`);
    const refs: string[] = [];
    for (const p of PLATFORMS) {
      const r = report(await runPipeline(options(root, { platforms: [p], pushByDigest: true, outputDir: join(root, `out-${p.architecture}`) })), '//apps/hello_world:push');
      assert.deepEqual(r.tags, []);
      refs.push(...r.references);
    }
    const before = await runCommand('skopeo', ['list-tags', '--tls-verify=false', `--creds=pusher:${USERS.pusher}`, `docker://${registry.host}/hello-dist`]);
    // Only the SBOM referrers' tag-schema fallback indexes (sha256-<image digest hex>), no image tag.
    const imageTags = (t: string[]) => t.filter((x) => !/^sha256-[0-9a-f]{64}$/.test(x));
    assert.ok(before.code !== 0 || imageTags(JSON.parse(before.stdout).Tags ?? []).length === 0, `no tag before the merge: ${before.stdout}`);
    // The merge job, run as the runner runs the action.
    const dir = mkdtempSync(join(tmpdir(), 'merge-'));
    const outputFile = join(dir, 'output');
    writeFileSync(outputFile, '');
    const res = await runCommand(process.execPath, [join(repoRoot, 'dist', 'index.js')], {
      env: {
        ...process.env,
        INPUT_MERGE: refs.join('\n'),
        INPUT_TAGS: `${registry.host}/hello-dist:v1.0.0\n${registry.host}/hello-dist:latest`,
        INPUT_REGISTRY: registry.host,
        INPUT_USERNAME: 'pusher',
        INPUT_PASSWORD: USERS.pusher,
        GITHUB_OUTPUT: outputFile,
      },
    });
    assert.equal(res.code, 0, res.stdout + res.stderr);
    // Secrets reach the runner only as ::add-mask:: commands, which it strips from logs.
    const printed = res.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::'));
    assert.ok(res.stdout.includes(`::add-mask::${USERS.pusher}`), 'the password is masked');
    assert.ok(!printed.some((l) => l.includes(USERS.pusher ?? '?')), 'the password is never printed');
    const digest = /digest<<(\S+)\n(.*)\n\1/.exec(readFileSync(outputFile, 'utf8'))?.[2];
    // The attestation hand-off names the merged index.
    assert.equal(/subject-digest<<(\S+)\n(.*)\n\1/.exec(readFileSync(outputFile, 'utf8'))?.[2], digest);
    assert.equal(/subject-name<<(\S+)\n(.*)\n\1/.exec(readFileSync(outputFile, 'utf8'))?.[2], `${registry.host}/hello-dist`);
    const raw = await runCommand('skopeo', ['inspect', '--raw', '--tls-verify=false', `--creds=pusher:${USERS.pusher}`, `docker://${registry.host}/hello-dist:v1.0.0`]);
    const index = JSON.parse(raw.stdout) as { mediaType: string; manifests: Array<{ digest: string; platform: { architecture: string } }> };
    assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(index.manifests.map((m) => `${registry.host}/hello-dist@${m.digest}`), refs);
    assert.deepEqual(index.manifests.map((m) => m.platform.architecture), ['amd64', 'arm64']);
    // Same digest as the single-runner build of both platforms.
    const single = report(await runPipeline(options(root, { pushByDigest: true, outputDir: join(root, 'out-both') })), '//apps/hello_world:push');
    assert.equal(digest, single.digest);
  });

  test('a pull request run pushes and keeps one preview comment up to date; closing deletes the previews', async () => {
    const gh = await startFakeGitHub();
    try {
      const root = basedWorkspace(seed, 'oci', `${registry.host}/hello-pr`);
      const dir = mkdtempSync(join(tmpdir(), 'pr-'));
      const event = join(dir, 'event.json');
      writeFileSync(event, JSON.stringify({ action: 'synchronize', pull_request: { number: 7, head: { sha: 'abc1234def5678' } } }));
      const runAction = (extra: NodeJS.ProcessEnv) =>
        runCommand(process.execPath, [join(repoRoot, 'dist', 'index.js')], {
          env: {
            ...process.env,
            INPUT_REGISTRY: registry.host,
            INPUT_USERNAME: 'pusher',
            INPUT_PASSWORD: USERS.pusher,
            'INPUT_GITHUB-TOKEN': gh.token,
            INPUT_CACHE: 'false',
            GITHUB_API_URL: gh.url,
            GITHUB_REPOSITORY: 'acme/app',
            GITHUB_EVENT_PATH: event,
            GITHUB_OUTPUT: join(dir, 'out'),
            ...extra,
          },
        });
      writeFileSync(join(dir, 'out'), '');
      const build = {
        INPUT_TARGETS: '//apps/hello_world:push',
        'INPUT_WORKING-DIRECTORY': root,
        'INPUT_OUTPUT-DIR': join(dir, 'o'),
        INPUT_PLATFORMS: 'linux/amd64,linux/arm64',
        INPUT_TAGS: `${registry.host}/hello-pr:pr-7\n${registry.host}/hello-pr:sha-abc1234`,
        'INPUT_PR-COMMENT': 'true',
      };
      for (let i = 0; i < 2; i++) {
        const res = await runAction(build);
        assert.equal(res.code, 0, res.stdout + res.stderr);
      }
      const comments = gh.comments.get('acme/app#7') ?? [];
      assert.equal(comments.length, 1, 'one comment, updated in place');
      assert.match(comments[0]?.body ?? '', /^<!-- oci-build-action:preview -->/);
      assert.match(comments[0]?.body ?? '', new RegExp(`docker pull ${registry.host.replace(/\./g, '\\.')}/hello-pr@sha256:[0-9a-f]{64}`));
      assert.match(comments[0]?.body ?? '', /linux\/amd64/);

      const closed = await runAction({ 'INPUT_DELETE-TAGS': `${registry.host}/hello-pr:pr-7\n${registry.host}/hello-pr:sha-abc1234` });
      assert.equal(closed.code, 0, closed.stdout + closed.stderr);
      const gone = await runCommand('skopeo', ['inspect', '--raw', '--tls-verify=false', `--creds=pusher:${USERS.pusher}`, `docker://${registry.host}/hello-pr:pr-7`]);
      assert.notEqual(gone.code, 0, 'the preview tag is gone');
      // Once more: already gone is fine.
      const again = await runAction({ 'INPUT_DELETE-TAGS': `${registry.host}/hello-pr:pr-7` });
      assert.equal(again.code, 0, again.stdout + again.stderr);
    } finally {
      await gh.stop();
    }
  });

  test('the repository and tags inputs override the rule, metadata-action style', async () => {
    const root = basedWorkspace(seed, 'oci', `${registry.host}/ignored`);
    const r = report(
      await runPipeline(options(root, { repository: `${registry.host}/hello-override`, tags: ['v1.2.3', `${registry.host}/hello-other:edge`] })),
      '//apps/hello_world:push',
    );
    assert.deepEqual(r.tags.sort(), [`${registry.host}/hello-other:edge`, `${registry.host}/hello-override:v1.2.3`]);
    for (const ref of r.tags) {
      const res = await runCommand('skopeo', ['inspect', '--raw', '--tls-verify=false', `--creds=pusher:${USERS.pusher}`, `docker://${ref}`]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(JSON.parse(res.stdout).mediaType, 'application/vnd.oci.image.index.v1+json');
    }
  });
});

describe('push to a token-auth registry', () => {
  let registry: TestRegistry;
  let seeder: TestRegistry;
  let seed: SeededBase;

  before(async () => {
    registry = await startRegistry({ mode: 'token' });
    seeder = await startRegistry({ mode: 'anonymous' });
    seed = await seedBaseImages(seeder.host);
  });
  after(async () => {
    await registry?.stop();
    await seeder?.stop();
  });

  test('pull-only credentials cannot push: a clear error and no tag', async () => {
    const root = basedWorkspace(seed, 'oci', `${registry.host}/app`);
    await assert.rejects(
      runPipeline({
        cwd: root,
        targets: ['//apps/hello_world:push'],
        outputDir: join(root, 'out'),
        load: false,
        platforms: PLATFORMS,
        credentials: [{ registry: registry.host, username: 'reader', password: USERS.reader ?? '' }],
        log: { info: () => {}, warning: () => {} },
      }),
      (err: Error) => {
        assert.match(err.message, /^unauthorized|denied|insufficient|authentication required/i);
        assert.ok(!err.message.includes(USERS.reader ?? '?'));
        return true;
      },
    );
    const tags = await runCommand('skopeo', ['list-tags', '--tls-verify=false', `--creds=pusher:${USERS.pusher}`, `docker://${registry.host}/app`]);
    assert.ok(tags.code !== 0 || (JSON.parse(tags.stdout) as { Tags: string[] }).Tags.length === 0, tags.stdout);
  });

  test('push credentials push through the token flow', async () => {
    const root = basedWorkspace(seed, 'oci', `${registry.host}/app2`);
    const result = await runPipeline({
      cwd: root,
      targets: ['//apps/hello_world:push'],
      outputDir: join(root, 'out'),
      load: false,
      platforms: PLATFORMS,
      credentials: [{ registry: registry.host, username: 'pusher', password: USERS.pusher ?? '' }],
      log: { info: () => {}, warning: () => {} },
    });
    const r = report(result, '//apps/hello_world:push');
    assert.equal(r.action, 'pushed');
    // skopeo does the token flow on its own and reads back what we pushed.
    const raw = await runCommand('skopeo', ['inspect', '--raw', '--tls-verify=false', `--creds=pusher:${USERS.pusher}`, `docker://${registry.host}/app2:latest`]);
    assert.equal(raw.code, 0, raw.stderr);
    assert.equal(JSON.parse(raw.stdout).manifests.length, 2);
    assert.match(r.digest ?? '', /^sha256:/);
  });
});

describe('base images: cache and tags', () => {
  test('a second build fetches nothing: it succeeds with the registry gone', async () => {
    const registry = await startRegistry({ mode: 'anonymous' });
    let stopped = false;
    try {
      const seed = await seedBaseImages(registry.host);
      const root = basedWorkspace(seed, 'oci', `${registry.host}/unused`);
      const opts: PipelineOptions = {
        cwd: root,
        targets: ['//apps/hello_world:image_based'],
        outputDir: join(root, 'out'),
        load: false,
        platforms: PLATFORMS,
        log: { info: () => {}, warning: () => {} },
      };
      const first = report(await runPipeline(opts), '//apps/hello_world:image_based');
      await registry.stop();
      stopped = true;
      const second = report(await runPipeline(opts), '//apps/hello_world:image_based');
      assert.equal(second.digest, first.digest);
      assert.equal(second.mediaType, 'application/vnd.oci.image.index.v1+json');
    } finally {
      if (!stopped) await registry.stop();
    }
  });

  test('a base pulled by tag works and warns that it is not reproducible', async () => {
    const registry = await startRegistry({ mode: 'anonymous' });
    try {
      const seed = await seedBaseImages(registry.host);
      const root = basedWorkspace(seed, 'oci', `${registry.host}/app`);
      const module = join(root, 'MODULE.bazel');
      writeFileSync(module, readFileSync(module, 'utf8').replace(`digest = "${seed.oci.indexDigest}"`, 'tag = "latest"'));
      const warnings: string[] = [];
      const result = await runPipeline({
        cwd: root,
        targets: ['//apps/hello_world:image_based'],
        outputDir: join(root, 'out'),
        load: false,
        log: { info: () => {}, warning: (m) => warnings.push(m) },
      });
      assert.equal(report(result, '//apps/hello_world:image_based').platforms.length, 1);
      assert.ok(
        warnings.some((w) => /^MODULE\.bazel:\d+:\d+: oci\.pull\(name = "base"\) uses tag "latest", not a digest: builds are not reproducible/.test(w)),
        warnings.join('\n'),
      );
    } finally {
      await registry.stop();
    }
  });

  test('an oci_image_index target pushes as an index with all its children, tags last', async () => {
    const registry = await startRegistry({ mode: 'anonymous' });
    try {
      const root = mkdtempSync(join(tmpdir(), 'push-index-'));
      cpSync(join(repoRoot, 'examples', 'monorepo'), root, { recursive: true, filter: (src) => !src.includes('.oci-build') });
      appendFileSync(
        join(root, 'apps', 'hello_world', 'BUILD.bazel'),
        `\nload("@rules_oci//oci:defs.bzl", "oci_push")\n\noci_push(\n    name = "push_index",\n    image = ":image",\n    remote_tags = ["v1", "latest"],\n    repository = "${registry.host}/hello-index",\n)\n`,
      );
      const result = await runPipeline({ cwd: root, targets: ['//apps/hello_world:push_index'], outputDir: join(root, 'out'), load: false, log: { info: () => {}, warning: () => {} } });
      const r = report(result, '//apps/hello_world:push_index');
      assert.deepEqual(r.tags, [`${registry.host}/hello-index:v1`, `${registry.host}/hello-index:latest`]);
      const dir = mkdtempSync(join(tmpdir(), 'index-copy-'));
      const copy = await runCommand('skopeo', ['copy', '--all', '--src-tls-verify=false', `docker://${registry.host}/hello-index:v1`, `oci:${dir}:x`]);
      assert.equal(copy.code, 0, copy.stderr);
      const index = JSON.parse((await runCommand('skopeo', ['inspect', '--raw', `oci:${dir}:x`])).stdout) as { manifests: Array<{ platform: { architecture: string } }> };
      assert.deepEqual(index.manifests.map((m) => m.platform.architecture), ['amd64', 'arm64']);
    } finally {
      await registry.stop();
    }
  });
});
