// The flows scripts/act runs (issue 17). Each runs real workflows under act and asserts on the
// registry, the fake GitHub's request log, the job outputs and the job summary.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { RegistryClient } from '../../src/registry/client.ts';
import { OCI_MANIFEST } from '../../src/oci/mediatypes.ts';
import type { Digest } from '../../src/oci/types.ts';
import { USERS } from '../helpers/registry.ts';
import { runCommand } from '../helpers/run.ts';
import { commit, OWNER, pusherSecrets, REPO, runAct, tail, userRepository, type ActRun, type Harness } from './harness.ts';

export interface Flow {
  name: string;
  what: string;
  run(h: Harness): Promise<void>;
}

const HELLO = /^Hello, World!\([0-9a-f-]{36}\)\nReversed: !dlroW ,olleH\nOsName: linux\n$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

// ---------------------------------------------------------------------------------------------
// Helpers

function ok(run: ActRun, what: string): void {
  assert.equal(run.code, 0, `${what}: act exited with ${run.code}\n${tail(run)}`);
}

function registryClient(h: Harness): RegistryClient {
  return new RegistryClient(h.registry.host, { credentials: async () => ({ username: 'pusher', password: USERS.pusher ?? '' }) });
}

/** Tags of a repository (fallback referrer tags apart), sorted; [] when it does not exist. */
async function imageTags(h: Harness, repo: string): Promise<string[]> {
  return (await allTags(h, repo)).filter((t) => !/^sha256-[0-9a-f]{64}$/.test(t));
}

async function allTags(h: Harness, repo: string): Promise<string[]> {
  const c = registryClient(h);
  try {
    return (await c.listTags(repo)).sort();
  } catch (err) {
    if (/404|NAME_UNKNOWN|not found/i.test(String((err as Error).message))) return [];
    throw err;
  } finally {
    await c.close();
  }
}

async function manifest(h: Harness, repo: string, ref: string): Promise<{ digest: Digest; mediaType: string; doc: { manifests?: Array<{ digest: Digest; platform?: { os: string; architecture: string } }> } }> {
  const c = registryClient(h);
  try {
    const got = await c.getManifest(repo, ref);
    return { digest: got.digest, mediaType: got.mediaType, doc: JSON.parse(Buffer.from(got.bytes).toString('utf8')) };
  } finally {
    await c.close();
  }
}

async function platformsOf(h: Harness, repo: string, ref: string): Promise<string[]> {
  const m = await manifest(h, repo, ref);
  return (m.doc.manifests ?? []).map((x) => `${x.platform?.os}/${x.platform?.architecture}`).sort();
}

function json<T>(run: ActRun, file: string): T {
  const text = run.out[file];
  assert.ok(text !== undefined, `the workflow wrote no ${file}\n${tail(run)}`);
  return JSON.parse(text) as T;
}

function pushPayload(sha: string, ref = 'refs/heads/main'): Record<string, unknown> {
  return {
    ref,
    before: '0'.repeat(40),
    after: sha,
    created: false,
    deleted: false,
    forced: false,
    head_commit: { id: sha, message: 'change', timestamp: '2026-01-02T03:04:05Z' },
    repository: { name: REPO, full_name: `${OWNER}/${REPO}`, default_branch: 'main', owner: { login: OWNER, name: OWNER } },
    pusher: { name: 'someone' },
    sender: { login: 'someone' },
  };
}

function prPayload(action: string, number: number, head: string, base: string, headRepo = `${OWNER}/${REPO}`): Record<string, unknown> {
  const repository = { name: REPO, full_name: `${OWNER}/${REPO}`, default_branch: 'main', owner: { login: OWNER } };
  return {
    action,
    number,
    pull_request: {
      number,
      state: action === 'closed' ? 'closed' : 'open',
      merged: action === 'closed',
      head: { sha: head, ref: 'feature', repo: { full_name: headRepo, name: REPO, owner: { login: headRepo.split('/')[0] } } },
      base: { sha: base, ref: 'main', repo: repository },
    },
    repository,
    sender: { login: 'someone' },
  };
}

/** A caller of the reusable workflow; a `report` job writes its outputs and result to $HARNESS_OUT. */
function callerWorkflow(h: Harness, repositories: string[], opts: { distribute?: boolean; extraJobs?: string } = {}): string {
  return `name: images
on: [push, pull_request]
jobs:
  images:
    uses: oci-build-action/oci-build-action/.github/workflows/oci-build.yml@v1
    permissions:
      contents: read
      packages: write
      pull-requests: write
    with:
      targets: //apps/hello_world:push
      repository: |
${repositories.map((r) => `        ${h.registry.host}/${r}`).join('\n')}
      platforms: linux/amd64,linux/arm64
      distribute: ${opts.distribute ? 'true' : 'false'}
    secrets:
      registry-username: \${{ secrets.REGISTRY_USERNAME }}
      registry-password: \${{ secrets.REGISTRY_PASSWORD }}
  report:
    needs: images
    if: always()
    runs-on: ubuntu-24.04
    steps:
      - env:
          OUTPUTS: \${{ toJSON(needs.images.outputs) }}
          RESULT: \${{ needs.images.result }}
        run: |
          printf '%s' "$OUTPUTS" > "$HARNESS_OUT/outputs.json"
          printf '%s' "$RESULT" > "$HARNESS_OUT/result"
${opts.extraJobs ?? ''}`;
}

interface Outputs {
  digest?: string;
  images?: string;
}

/**
 * The job summary as act printed it: `[workflow/job] ⚙  Summary - <first line>`, then the rest
 * of the summary on lines of its own (no job prefix).
 */
function summaryOf(run: ActRun, job: string): string {
  const lines = run.log.split('\n');
  const out: string[] = [];
  const start = new RegExp(`^\\[[^\\]]*/${job}\\s*\\].*Summary - (.*)$`);
  for (let i = 0; i < lines.length; i++) {
    const m = start.exec(lines[i]!);
    if (!m) continue;
    out.push(m[1] ?? '');
    for (i++; i < lines.length && !lines[i]!.startsWith('['); i++) out.push(lines[i]!);
    i--;
  }
  return out.join('\n');
}

function ranStep(run: ActRun, job: string, uses: string): boolean {
  return run.jobLog(job).some((l) => l.includes(`Run Main ${uses}`));
}

// ---------------------------------------------------------------------------------------------
// 1. The action alone in a job

const actionWorkflow = (h: Harness) => `name: action
on: push
jobs:
  image:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v6
      # output-dir outside the workspace: act puts each run's workspace under a new random
      # directory, and a cache's version hashes its paths (stable on a real runner).
      - id: load
        uses: oci-build-action/oci-build-action@v1
        with:
          targets: //apps/hello_world:load_seed
          output-dir: \${{ env.OCI_BUILD_OUT }}
      - run: docker run --rm --network=none oci-build-act-action:latest > "$HARNESS_OUT/run.txt"
      - uses: docker/login-action@v4
        with:
          registry: ${h.registry.host}
          username: \${{ secrets.REGISTRY_USERNAME }}
          password: \${{ secrets.REGISTRY_PASSWORD }}
      - id: meta
        uses: docker/metadata-action@v6
        with:
          images: ${h.registry.host}/acme/app-action
          tags: |
            type=edge,branch=main
            type=sha,prefix=sha-,format=short
          # A fixed creation time (metadata-action's default is now): the same commit makes the same image.
          labels: org.opencontainers.image.created=2026-01-01T00:00:00Z
          annotations: org.opencontainers.image.created=2026-01-01T00:00:00Z
      - id: push
        uses: oci-build-action/oci-build-action@v1
        with:
          targets: //apps/hello_world:push
          tags: \${{ steps.meta.outputs.tags }}
          labels: \${{ steps.meta.outputs.labels }}
          annotations: \${{ steps.meta.outputs.annotations }}
          output-dir: \${{ env.OCI_BUILD_OUT }}
      - if: always()
        env:
          PUSH: \${{ toJSON(steps.push.outputs) }}
          META: \${{ toJSON(steps.meta.outputs) }}
        run: |
          printf '%s' "$PUSH" > "$HARNESS_OUT/push.json"
          printf '%s' "$META" > "$HARNESS_OUT/meta.json"
`;

/** File names (relative paths) in Go's build cache, without the bookkeeping files Go rewrites. */
function goCacheEntries(dir: string): Set<string> {
  const out = new Set<string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.add(relative(dir, p));
    }
  };
  if (existsSync(dir)) walk(dir);
  for (const f of ['trim.txt', 'testexpire.txt', 'README']) out.delete(f);
  return out;
}

/**
 * Entries that record a compilation: Go's module index entries ("go index" outputs, keyed by the
 * package directory, which act moves on every run) are not.
 */
function compiledEntries(dir: string, added: string[]): string[] {
  const isIndex = (outputId: string) => {
    const p = join(dir, outputId.slice(0, 2), `${outputId}-d`);
    return existsSync(p) && readFileSync(p).subarray(0, 8).toString('latin1') === 'go index';
  };
  const indexOutputs = new Set<string>();
  for (const f of added) {
    if (!f.endsWith('-a')) continue;
    const output = readFileSync(join(dir, f), 'utf8').split(' ')[2] ?? '';
    if (isIndex(output)) indexOutputs.add(f).add(`${output.slice(0, 2)}/${output}-d`);
  }
  return added.filter((f) => !indexOutputs.has(f));
}

const actionFlow: Flow = {
  name: 'action',
  what: 'the action alone: load and run the seed image, push with metadata-action tags, outputs, caches saved then restored',
  async run(h) {
    const { dir, sha } = await userRepository(h, 'action', { 'action.yml': actionWorkflow(h) });
    h.dockerImages.add('oci-build-act-action:latest');
    const goCache = join(h.tmp, 'go-action', 'cache');
    const goModCache = join(h.tmp, 'go-action', 'mod');
    const outputDir = join(h.tmp, 'out-action');
    const opts = { repo: dir, event: 'push' as const, payload: pushPayload(sha), workflow: 'action.yml', secrets: pusherSecrets(), goCache, goModCache, env: { OCI_BUILD_OUT: outputDir } };
    const first = await runAct(h, { ...opts, name: 'action-1' });
    ok(first, 'first run');
    assert.match(first.out['run.txt'] ?? '', HELLO, 'the loaded seed image runs');
    const push = json<Record<string, string>>(first, 'push.json');
    const meta = json<Record<string, string>>(first, 'meta.json');
    const short = sha.slice(0, 7);
    const repo = `${h.registry.host}/acme/app-action`;
    assert.deepEqual(meta.tags?.split('\n').filter(Boolean).sort(), [`${repo}:edge`, `${repo}:sha-${short}`]);
    assert.match(push.digest ?? '', DIGEST);
    assert.match(push.imageid ?? '', DIGEST);
    assert.deepEqual(push.tags?.split('\n').sort(), [`${repo}:edge`, `${repo}:sha-${short}`]);
    assert.deepEqual(push.images?.split('\n').sort(), [`${repo}:edge`, `${repo}:sha-${short}`, `${repo}@${push.digest}`].sort());
    const metadata = JSON.parse(push.metadata ?? '{}') as { targets?: Array<{ label: string; action: string; digest: string }> };
    assert.ok(metadata.targets?.some((t) => t.label === '//apps/hello_world:push' && t.action === 'pushed' && t.digest === push.digest), push.metadata);
    assert.equal((await manifest(h, 'acme/app-action', 'edge')).digest, push.digest);
    assert.equal((await manifest(h, 'acme/app-action', `sha-${short}`)).digest, push.digest);
    // act hands each step's summary to its log (and empties the file between steps).
    const summary = summaryOf(first, 'image');
    assert.match(summary, /<code>\/\/apps\/hello_world:load_seed<\/code>/, summary);
    assert.match(summary, /<code>\/\/apps\/hello_world:push<\/code> \(oci_push\)<\/td><td>pushed<\/td>/, summary);
    assert.ok(summary.includes(push.digest ?? '?'), `the summary names the digest:\n${summary}`);
    assert.ok(h.github.calls().includes(`GET /repos/${OWNER}/${REPO}`), `metadata-action asked the fake GitHub for the repository: ${h.github.calls().join(', ')}`);
    for (const cache of ['go-build', 'go-mod', 'blobs']) {
      assert.match(first.log, new RegExp(`Cache ${cache}: saved with key`), `post step saved ${cache}\n${tail(first)}`);
    }

    // The second run starts with empty Go caches and output tree: everything comes from act's cache server.
    const saved = goCacheEntries(goCache);
    assert.ok(saved.size > 50, `Go's build cache was filled (${saved.size} entries)`);
    for (const d of [goCache, goModCache, outputDir]) {
      await runCommand('chmod', ['-R', 'u+w', d]);
      rmSync(d, { recursive: true, force: true });
    }
    const second = await runAct(h, { ...opts, name: 'action-2' });
    ok(second, 'second run');
    for (const cache of ['go-build', 'go-mod', 'blobs']) {
      assert.match(second.log, new RegExp(`Cache ${cache}: restored from `), `${cache} restored\n${tail(second)}`);
    }
    for (const cache of ['go-build', 'go-mod']) {
      assert.match(second.log, new RegExp(`Cache ${cache}: hit on the primary key`), `${cache}: the post step saves nothing new`);
    }
    // act numbers every run 1, so the blob store's run-keyed entry is a primary-key hit here.
    assert.match(second.log, /Cache blobs: (hit on the primary key|unchanged since) /, 'the blob store gained nothing');
    const after = goCacheEntries(goCache);
    const added = compiledEntries(goCache, [...after].filter((f) => !saved.has(f)));
    assert.deepEqual(added, [], 'the second run compiled nothing: no new Go build cache entry');
    assert.match(second.log, /blobs: 0 uploaded, \d+ skipped/, 'the second push uploaded no blob');
    assert.equal(json<Record<string, string>>(second, 'push.json').digest, push.digest, 'same digest');
    assert.match(second.out['run.txt'] ?? '', HELLO);
  },
};

// ---------------------------------------------------------------------------------------------
// 2. Reusable workflow, push to the default branch

const pushFlow: Flow = {
  name: 'push',
  what: 'reusable workflow, push to main: edge and sha-<7>',
  async run(h) {
    const { dir, sha } = await userRepository(h, 'push', { 'images.yml': callerWorkflow(h, ['acme/app-push']) });
    const seen = h.github.requests.length;
    const run = await runAct(h, { name: 'push', repo: dir, event: 'push', payload: pushPayload(sha), workflow: 'images.yml', secrets: pusherSecrets() });
    ok(run, 'push to main');
    assert.equal(run.out.result, 'success');
    const outputs = json<Outputs>(run, 'outputs.json');
    const short = sha.slice(0, 7);
    assert.deepEqual(await imageTags(h, 'acme/app-push'), ['edge', `sha-${short}`].sort());
    const edge = await manifest(h, 'acme/app-push', 'edge');
    assert.equal(edge.digest, outputs.digest);
    assert.equal((await manifest(h, 'acme/app-push', `sha-${short}`)).digest, edge.digest);
    assert.deepEqual(await platformsOf(h, 'acme/app-push', 'edge'), ['linux/amd64', 'linux/arm64']);
    assert.ok(outputs.images?.split('\n').includes(`${h.registry.host}/acme/app-push:edge`), outputs.images);
    assert.ok(ranStep(run, 'build', 'docker/login-action@v4'), 'logged in with the credentials given');
    assert.match(summaryOf(run, 'build'), /<code>\/\/apps\/hello_world:push<\/code> \(oci_push\)<\/td><td>pushed<\/td>/, 'the build job wrote its summary');
    // The fake GitHub saw metadata-action's repository lookup, and no comment outside a pull request.
    const calls = h.github.requests.slice(seen).map((r) => `${r.method} ${r.path} ${r.status}`);
    assert.ok(calls.includes(`GET /repos/${OWNER}/${REPO} 200`), calls.join('\n'));
    assert.ok(!calls.some((c) => c.includes('/issues/')), calls.join('\n'));
  },
};

// ---------------------------------------------------------------------------------------------
// 3. Release tags

const tagFlow: Flow = {
  name: 'tag',
  what: 'tag v1.2.3: 1.2.3, 1.2, 1, latest; v1.3.0-rc.1 only its own',
  async run(h) {
    const { dir, sha } = await userRepository(h, 'tag', { 'images.yml': callerWorkflow(h, ['acme/app-tag']) });
    const release = await runAct(h, { name: 'tag-v1.2.3', repo: dir, event: 'push', payload: pushPayload(sha, 'refs/tags/v1.2.3'), workflow: 'images.yml', secrets: pusherSecrets() });
    ok(release, 'tag v1.2.3');
    assert.deepEqual(await imageTags(h, 'acme/app-tag'), ['1', '1.2', '1.2.3', 'latest']);
    const released = json<Outputs>(release, 'outputs.json').digest;
    for (const t of ['1', '1.2', '1.2.3', 'latest']) assert.equal((await manifest(h, 'acme/app-tag', t)).digest, released, t);

    const rcSha = await commit(dir, 'rc', true);
    const rc = await runAct(h, { name: 'tag-v1.3.0-rc.1', repo: dir, event: 'push', payload: pushPayload(rcSha, 'refs/tags/v1.3.0-rc.1'), workflow: 'images.yml', secrets: pusherSecrets() });
    ok(rc, 'tag v1.3.0-rc.1');
    assert.deepEqual(await imageTags(h, 'acme/app-tag'), ['1', '1.2', '1.2.3', '1.3.0-rc.1', 'latest']);
    const rcDigest = json<Outputs>(rc, 'outputs.json').digest;
    assert.equal((await manifest(h, 'acme/app-tag', '1.3.0-rc.1')).digest, rcDigest);
    assert.notEqual(rcDigest, released);
    for (const t of ['1', '1.2', 'latest']) assert.equal((await manifest(h, 'acme/app-tag', t)).digest, released, `${t} still the release`);
  },
};

// ---------------------------------------------------------------------------------------------
// 4. Same-repository pull request: opened, then synchronize

const prFlow: Flow = {
  name: 'pr',
  what: 'same-repository PR opened then synchronize: pr-N, sha-<head>; one comment, updated in place',
  async run(h) {
    const { dir, sha: base } = await userRepository(h, 'pr', { 'images.yml': callerWorkflow(h, ['acme/app-pr']) });
    const head1 = await commit(dir, 'feature 1', true);
    const opened = await runAct(h, { name: 'pr-opened', repo: dir, event: 'pull_request', payload: prPayload('opened', 7, head1, base), workflow: 'images.yml', secrets: pusherSecrets() });
    ok(opened, 'pull request opened');
    assert.deepEqual(await imageTags(h, 'acme/app-pr'), ['pr-7', `sha-${head1.slice(0, 7)}`].sort());
    const first = json<Outputs>(opened, 'outputs.json').digest;
    assert.equal((await manifest(h, 'acme/app-pr', 'pr-7')).digest, first);
    const comments = h.github.comments.get(`${OWNER}/${REPO}#7`) ?? [];
    assert.equal(comments.length, 1, 'one comment');
    assert.ok(comments[0]!.body.includes(`\`${head1.slice(0, 7)}\``), `the comment names the head commit:\n${comments[0]!.body}`);
    assert.ok(comments[0]!.body.includes(`${h.registry.host}/acme/app-pr`), comments[0]!.body);
    const posts = h.github.requests.filter((r) => r.method === 'POST' && r.path === `/repos/${OWNER}/${REPO}/issues/7/comments`);
    assert.equal(posts.length, 1);

    const head2 = await commit(dir, 'feature 2', true);
    const sync = await runAct(h, { name: 'pr-synchronize', repo: dir, event: 'pull_request', payload: prPayload('synchronize', 7, head2, base), workflow: 'images.yml', secrets: pusherSecrets() });
    ok(sync, 'pull request synchronize');
    assert.deepEqual(await imageTags(h, 'acme/app-pr'), ['pr-7', `sha-${head1.slice(0, 7)}`, `sha-${head2.slice(0, 7)}`].sort());
    const second = json<Outputs>(sync, 'outputs.json').digest;
    assert.notEqual(second, first);
    assert.equal((await manifest(h, 'acme/app-pr', 'pr-7')).digest, second);
    const after = h.github.comments.get(`${OWNER}/${REPO}#7`) ?? [];
    assert.equal(after.length, 1, 'still one comment');
    assert.ok(after[0]!.body.includes(`\`${head2.slice(0, 7)}\``), `updated to the new head:\n${after[0]!.body}`);
    const patches = h.github.requests.filter((r) => r.method === 'PATCH' && r.path === `/repos/${OWNER}/${REPO}/issues/comments/${after[0]!.id}`);
    assert.equal(patches.length, 1, 'updated in place');
    assert.equal(h.github.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/issues/7/comments')).length, 1, 'never a second comment');
  },
};

// ---------------------------------------------------------------------------------------------
// 5. Pull request from a fork

const forkFlow: Flow = {
  name: 'fork',
  what: 'fork PR: no push, no login, no comment; the OCI layout as an artifact a later job loads into Docker',
  async run(h) {
    const tag = 'oci-build-act-fork:pr-9';
    h.dockerImages.add(tag);
    const loadJob = `  load:
    needs: images
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/download-artifact@v8
        with:
          name: oci-layout
          path: \${{ runner.temp }}/layout
      - run: |
          # The pushed target's layout: the two-platform index.
          layout="$RUNNER_TEMP/layout/multi-linux_amd64+linux_arm64/apps/hello_world/push"
          test -f "$layout/index.json"
          # amd64 out of it as a docker-archive, which every Docker loads.
          skopeo copy --quiet --override-os linux --override-arch amd64 "oci:$layout" "docker-archive:$RUNNER_TEMP/image.tar:${tag}"
          docker load -i "$RUNNER_TEMP/image.tar"
          docker run --rm --network=none ${tag} > "$HARNESS_OUT/run.txt"
`;
    const { dir, sha: base } = await userRepository(h, 'fork', { 'images.yml': callerWorkflow(h, ['acme/app-fork'], { extraJobs: loadJob }) });
    const head = await commit(dir, 'from a fork', true);
    const requestsBefore = h.github.requests.length;
    const run = await runAct(h, {
      name: 'fork',
      repo: dir,
      event: 'pull_request',
      payload: prPayload('opened', 9, head, base, 'someone/app'),
      workflow: 'images.yml',
      // A fork's run gets no secrets on GitHub.
      secrets: {},
    });
    ok(run, 'fork pull request');
    assert.deepEqual(await allTags(h, 'acme/app-fork'), [], 'nothing pushed');
    assert.ok(!ranStep(run, 'build', 'docker/login-action@v4'), 'no login');
    assert.ok(!existsSync(join(run.dockerConfig, 'config.json')) || !readFileSync(join(run.dockerConfig, 'config.json'), 'utf8').includes(h.registry.host), 'no credentials stored');
    const commentCalls = h.github.requests.slice(requestsBefore).filter((r) => r.path.includes('/issues/'));
    assert.deepEqual(commentCalls.map((r) => `${r.method} ${r.path}`), [], 'no comment');
    assert.ok(readdirSync(run.artifactDir, { recursive: true }).some((f) => String(f).includes('oci-layout')), 'the OCI layout was uploaded as an artifact');
    assert.match(run.out['run.txt'] ?? '', HELLO, 'the follow-up job loaded the artifact into Docker and ran it');
  },
};

// ---------------------------------------------------------------------------------------------
// 6. Pull request closed

const closedFlow: Flow = {
  name: 'closed',
  what: 'PR closed: previews and their SBOM referrer tags deleted, an image another tag uses kept; no credentials fails',
  async run(h) {
    const { dir, sha: base } = await userRepository(h, 'closed', { 'images.yml': callerWorkflow(h, ['acme/app-closed']) });
    const head = await commit(dir, 'feature', true);
    const opened = await runAct(h, { name: 'closed-opened', repo: dir, event: 'pull_request', payload: prPayload('opened', 21, head, base), workflow: 'images.yml', secrets: pusherSecrets() });
    ok(opened, 'pull request opened');
    const short = head.slice(0, 7);
    const index = await manifest(h, 'acme/app-closed', 'pr-21');
    const [amd64, arm64] = (index.doc.manifests ?? []).map((m) => m.digest);
    assert.ok(amd64 && arm64, 'a two-platform preview');
    const fallback = (d: string) => `sha256-${d.slice('sha256:'.length)}`;
    assert.deepEqual(await allTags(h, 'acme/app-closed'), [fallback(amd64), fallback(arm64), 'pr-21', `sha-${short}`].sort(), 'SBOMs attached by fallback tag');
    // Someone promoted the preview's amd64 image under a tag of its own: it must survive.
    const c = registryClient(h);
    try {
      const img = await c.getManifest('acme/app-closed', amd64);
      await c.putManifest('acme/app-closed', 'promoted-amd64', img.bytes, img.mediaType || OCI_MANIFEST);
    } finally {
      await c.close();
    }

    // Without credentials every delete is refused: the job fails and nothing is lost.
    const refused = await runAct(h, { name: 'closed-nocreds', repo: dir, event: 'pull_request', payload: prPayload('closed', 21, head, base), workflow: 'images.yml', secrets: {} });
    // (act stops at the failed job: the report job does not run.)
    assert.notEqual(refused.code, 0, 'a cleanup that deleted nothing fails');
    assert.match(refused.log, /cleanup: 2 of 2 tag\(s\) not deleted/, tail(refused));
    assert.ok((await imageTags(h, 'acme/app-closed')).includes('pr-21'));

    const closed = await runAct(h, { name: 'closed', repo: dir, event: 'pull_request', payload: prPayload('closed', 21, head, base), workflow: 'images.yml', secrets: pusherSecrets() });
    ok(closed, 'pull request closed');
    assert.equal(closed.out.result, 'success');
    assert.ok(ranStep(closed, 'cleanup', 'docker/login-action@v4'), 'the cleanup job logs in');
    assert.ok(!closed.jobLog('plan').length && !closed.jobLog('build').length, 'nothing is built for a closed pull request');
    assert.deepEqual(await allTags(h, 'acme/app-closed'), [fallback(amd64), 'promoted-amd64'].sort(), 'previews and the deleted image’s SBOM tag gone; the promoted image and its SBOM kept');
    assert.match(closed.log, new RegExp(`pr-21: deleted ${index.digest} and its SBOM referrer tag ${fallback(arm64)}`));
  },
};

// ---------------------------------------------------------------------------------------------
// 7. Distributed build

const distributeFlow: Flow = {
  name: 'distribute',
  what: 'distribute: true: a job per platform pushes by digest, merge builds the index and tags two repositories',
  async run(h) {
    const repos = ['acme/app-dist', 'acme/app-dist-mirror'];
    const { dir, sha } = await userRepository(h, 'distribute', { 'images.yml': callerWorkflow(h, repos, { distribute: true }) });
    const run = await runAct(h, { name: 'distribute', repo: dir, event: 'push', payload: pushPayload(sha), workflow: 'images.yml', secrets: pusherSecrets() });
    ok(run, 'distributed push');
    assert.equal(run.out.result, 'success');
    // The merge job's digest output. The workflow's own output (jobs.build… || jobs.merge…) reads
    // empty under act 0.2.89 when the merge job produced it; GitHub evaluates it once all jobs end.
    const merged = /\[[^\]]*\/merge\s*\]\s+⚙\s+::set-output:: digest=(sha256:[0-9a-f]{64})/.exec(run.log)?.[1];
    assert.match(merged ?? '', DIGEST, 'the merge job set its digest output');
    const outputs = json<Outputs>(run, 'outputs.json');
    assert.ok(outputs.digest === '' || outputs.digest === merged, `workflow output digest ${outputs.digest}`);
    const short = sha.slice(0, 7);
    for (const repo of repos) {
      assert.deepEqual(await imageTags(h, repo), ['edge', `sha-${short}`].sort(), repo);
      assert.equal((await manifest(h, repo, 'edge')).digest, merged, repo);
      assert.deepEqual(await platformsOf(h, repo, 'edge'), ['linux/amd64', 'linux/arm64'], repo);
    }
    const artifacts = readdirSync(run.artifactDir, { recursive: true }).map(String);
    for (const name of ['digests-linux-amd64', 'digests-linux-arm64']) assert.ok(artifacts.some((f) => f.includes(name)), `artifact ${name}: ${artifacts.join(', ')}`);
    assert.ok(!run.jobLog('build').some((l) => l.includes('Run Main')), 'the single-runner build job did not run');
  },
};

export const FLOWS: Flow[] = [actionFlow, pushFlow, tagFlow, prFlow, forkFlow, closedFlow, distributeFlow];
