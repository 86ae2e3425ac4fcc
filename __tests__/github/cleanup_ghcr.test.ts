// Deleting preview tags on ghcr.io through the packages API (fake GitHub).

import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GitHubApi } from '../../src/github/api.ts';
import { deletePreviewTags, type DeletePreviewTagsOptions } from '../../src/github/cleanup.ts';
import { RegistryPool } from '../../src/registry/pool.ts';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake_github.ts';

let gh: FakeGitHub;
let api: GitHubApi;
let pool: RegistryPool;
let logs: string[];
let warnings: string[];

before(async () => {
  gh = await startFakeGitHub();
  api = new GitHubApi({ token: gh.token, apiUrl: gh.url, retryDelayMs: 10 });
  pool = new RegistryPool({ explicit: [], insecureRegistries: [], log: () => {}, maskSecret: () => {}, env: {} });
});
after(async () => {
  await pool.close();
  await gh.stop();
});
beforeEach(() => {
  gh.reset();
  logs = [];
  warnings = [];
});

function run(references: string[], extra: Partial<DeletePreviewTagsOptions> = {}) {
  return deletePreviewTags({ api, pool, references, log: (m) => logs.push(m), warn: (m) => warnings.push(m), ...extra });
}

function tagsLeft(kind: 'orgs' | 'users', owner: string, pkg: string): string[][] {
  return (gh.versionsOf(kind, owner, pkg) ?? []).map((v) => v.metadata.container.tags);
}

describe('deletePreviewTags on ghcr.io', () => {
  it('deletes a version carrying only preview tags, keeps one also tagged edge', async () => {
    const [preview, shared, main] = gh.addPackage('orgs', 'acme', 'app', [
      { tags: ['pr-7', 'sha-abc1234'] },
      { tags: ['pr-7-arm', 'edge'] },
      { tags: ['latest', 'v1.0.0'] },
    ]);
    const results = await run(['ghcr.io/acme/app:pr-7', 'ghcr.io/acme/app:sha-abc1234', 'ghcr.io/acme/app:pr-7-arm']);
    assert.deepEqual(
      results.map((r) => [r.reference, r.outcome, r.digest]),
      [
        ['ghcr.io/acme/app:pr-7', 'deleted', preview!.name],
        ['ghcr.io/acme/app:sha-abc1234', 'deleted', preview!.name],
        ['ghcr.io/acme/app:pr-7-arm', 'kept', shared!.name],
      ],
    );
    assert.deepEqual(tagsLeft('orgs', 'acme', 'app'), [['pr-7-arm', 'edge'], ['latest', 'v1.0.0']]);
    assert.deepEqual(gh.calls(), [
      'GET /orgs/acme/packages/container/app/versions',
      `DELETE /orgs/acme/packages/container/app/versions/${preview!.id}`,
    ]);
    assert.ok(gh.requests.every((r) => r.authorization === `Bearer ${gh.token}`));
    assert.match(results[2]!.message, new RegExp(`kept: package version ${shared!.id} \\(${shared!.name}\\) is also tagged edge`));
    assert.ok(logs.some((l) => l.startsWith('ghcr.io/acme/app:pr-7-arm: kept') && l.includes('edge')));
    assert.deepEqual(warnings, []);
    assert.ok(main);
  });

  it('keeps a version when one of its tags is not being deleted', async () => {
    gh.addPackage('orgs', 'acme', 'app', [{ tags: ['pr-7', 'sha-abc1234'] }]);
    const [r] = await run(['ghcr.io/acme/app:pr-7']);
    assert.equal(r!.outcome, 'kept');
    assert.match(r!.message, /also tagged sha-abc1234/);
    assert.deepEqual(tagsLeft('orgs', 'acme', 'app'), [['pr-7', 'sha-abc1234']]);
  });

  it('falls back from the organisation to the user endpoints, and URL-encodes nested package names', async () => {
    const [v] = gh.addPackage('users', 'octocat', 'tools/app', [{ tags: ['pr-3'] }, { tags: ['edge'] }]);
    const results = await run(['ghcr.io/octocat/tools/app:pr-3']);
    assert.equal(results[0]!.outcome, 'deleted');
    assert.deepEqual(gh.calls(), [
      'GET /orgs/octocat/packages/container/tools%2Fapp/versions',
      'GET /users/octocat/packages/container/tools%2Fapp/versions',
      `DELETE /users/octocat/packages/container/tools%2Fapp/versions/${v!.id}`,
    ]);
    assert.deepEqual(tagsLeft('users', 'octocat', 'tools/app'), [['edge']]);
  });

  it('looks through every page of versions', async () => {
    const versions = gh.addPackage('orgs', 'acme', 'app', [
      ...Array.from({ length: 250 }, (_, i) => ({ tags: [`sha-${i.toString(16).padStart(7, '0')}`] })),
      { tags: ['pr-9'] },
    ]);
    const last = versions.at(-1)!;
    const [r] = await run(['ghcr.io/acme/app:pr-9']);
    assert.equal(r!.outcome, 'deleted');
    assert.equal(r!.digest, last.name);
    assert.equal(versions.length, 250);
    assert.deepEqual(
      gh.requests.filter((x) => x.method === 'GET').map((x) => x.query.get('page') ?? '1'),
      ['1', '2', '3'],
    );
  });

  it('treats tags, packages and versions already gone as done', async () => {
    const [v] = gh.addPackage('orgs', 'acme', 'app', [{ tags: ['pr-5'] }]);
    gh.fail({ method: 'DELETE', path: /versions\/\d+$/, status: 404, body: { message: 'Package version not found' } });
    const results = await run(['ghcr.io/acme/app:pr-5', 'ghcr.io/acme/app:pr-6', 'ghcr.io/acme/nothing:pr-5']);
    assert.deepEqual(results.map((r) => r.outcome), ['absent', 'absent', 'absent']);
    assert.match(results[0]!.message, new RegExp(`already gone: package version ${v!.id}`));
    assert.match(results[1]!.message, /no version of package acme\/app is tagged pr-6/);
    assert.match(results[2]!.message, /no package acme\/nothing/);
    assert.deepEqual(warnings, []);
  });

  it('warns, without failing, when the token may not delete', async () => {
    gh.addPackage('orgs', 'acme', 'app', [{ tags: ['pr-5'] }]);
    gh.fail({ method: 'DELETE', path: /versions/, status: 403, body: { message: `Must have admin rights to Repository. (${gh.token})` } });
    const [r] = await run(['ghcr.io/acme/app:pr-5']);
    assert.equal(r!.outcome, 'failed');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^ghcr\.io\/acme\/app:pr-5: not deleted: GitHub API DELETE \/orgs\/acme\/packages\/container\/app\/versions\/\d+: 403 Must have admin rights/);
    assert.ok(!warnings[0]!.includes(gh.token));
    assert.deepEqual(tagsLeft('orgs', 'acme', 'app'), [['pr-5']]);
  });

  it('warns when a listing fails, and still answers for every reference', async () => {
    gh.addPackage('orgs', 'acme', 'app', [{ tags: ['pr-5'] }]);
    gh.addPackage('orgs', 'acme', 'other', [{ tags: ['pr-5'] }]);
    gh.fail({ method: 'GET', path: /container\/app\//, status: 500, times: 2 });
    const results = await run(['ghcr.io/acme/app:pr-5', 'ghcr.io/acme/other:pr-5', 'not a reference']);
    assert.deepEqual(results.map((r) => r.outcome), ['failed', 'deleted', 'failed']);
    assert.match(results[0]!.message, /500 injected 500/);
    assert.equal(warnings.length, 2);
  });

  it('without a GitHub token, leaves ghcr.io tags with a warning', async () => {
    const results = await deletePreviewTags({ pool, references: ['ghcr.io/acme/app:pr-1'], log: (m) => logs.push(m), warn: (m) => warnings.push(m) });
    assert.equal(results[0]!.outcome, 'unsupported');
    assert.match(warnings[0]!, /no token was given/);
    assert.equal(gh.requests.length, 0);
  });
});
