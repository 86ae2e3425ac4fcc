// GitHubApi against the in-process fake: headers, pagination, errors, retries.

import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GitHubApi, GitHubApiError, apiPath, nextLink } from '../../src/github/api.ts';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake_github.ts';

let gh: FakeGitHub;
const logs: string[] = [];

function api(overrides: Partial<ConstructorParameters<typeof GitHubApi>[0]> = {}): GitHubApi {
  return new GitHubApi({ token: gh.token, apiUrl: gh.url, userAgent: 'oci-build-action-test', retryDelayMs: 10, log: (m) => logs.push(m), ...overrides });
}

/** The error, checked to be one line without the token. */
async function failure(p: Promise<unknown>): Promise<GitHubApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof GitHubApiError, `expected a GitHubApiError, got ${String(err)}`);
    assert.ok(!err.message.includes(gh.token), `token leaked into: ${err.message}`);
    assert.ok(!err.message.includes('\n'), `not one line: ${err.message}`);
    return err;
  }
  assert.fail('expected a failure');
}

before(async () => {
  gh = await startFakeGitHub();
});
after(async () => {
  await gh.stop();
});
beforeEach(() => {
  gh.reset();
  logs.length = 0;
});

describe('GitHubApi', () => {
  it('sends the token as a Bearer header with the API version and JSON bodies', async () => {
    const c = await api().post<{ id: number; body: string }>('/repos/o/r/issues/3/comments', { body: 'hi' });
    assert.equal(c.body, 'hi');
    const [r] = gh.requests;
    assert.equal(r!.authorization, `Bearer ${gh.token}`);
    assert.equal(r!.accept, 'application/vnd.github+json');
    assert.equal(r!.apiVersion, '2022-11-28');
    assert.equal(r!.userAgent, 'oci-build-action-test');
    assert.match(r!.contentType ?? '', /^application\/json/);
    assert.deepEqual(r!.body, { body: 'hi' });
  });

  it('takes the API URL from GITHUB_API_URL, and a base path (GHES /api/v3) is kept out of error paths', async () => {
    const saved = process.env.GITHUB_API_URL;
    process.env.GITHUB_API_URL = `${gh.url}/api/v3/`;
    try {
      const a = new GitHubApi({ token: gh.token });
      assert.equal(a.apiUrl, `${gh.url}/api/v3`);
      const err = await failure(a.get('/repos/o/r/issues/1/comments'));
      assert.equal(gh.requests[0]!.path, '/api/v3/repos/o/r/issues/1/comments');
      assert.equal(err.message, 'GitHub API GET /repos/o/r/issues/1/comments: 404 Not Found');
    } finally {
      if (saved === undefined) delete process.env.GITHUB_API_URL;
      else process.env.GITHUB_API_URL = saved;
    }
    assert.equal(new GitHubApi({ token: 'x' }).apiUrl, saved ?? 'https://api.github.com');
  });

  it('follows Link rel="next" across pages', async () => {
    for (let i = 0; i < 7; i++) gh.addComment('o', 'r', 1, `c${i}`);
    const all = await api().paginate<{ body: string }>('/repos/o/r/issues/1/comments', { perPage: 3 });
    assert.deepEqual(all.map((c) => c.body), ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    assert.deepEqual(gh.requests.map((r) => r.query.get('page') ?? '1'), ['1', '2', '3']);
    assert.ok(gh.requests.every((r) => r.authorization === `Bearer ${gh.token}`));
  });

  it('stops at maxPages', async () => {
    for (let i = 0; i < 7; i++) gh.addComment('o', 'r', 1, `c${i}`);
    const all = await api().paginate('/repos/o/r/issues/1/comments', { perPage: 2, maxPages: 2 });
    assert.equal(all.length, 4);
  });

  it('fails in one line naming method, path, status and GitHub message', async () => {
    const c = gh.addComment('o', 'r', 1, 'x');
    gh.fail({ method: 'PATCH', path: /comments\/\d+$/, status: 403, body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/issues/comments#update-an-issue-comment' } });
    const err = await failure(api().patch(`/repos/o/r/issues/comments/${c.id}`, { body: 'y' }));
    assert.equal(err.message, `GitHub API PATCH /repos/o/r/issues/comments/${c.id}: 403 Resource not accessible by integration`);
    assert.equal(err.status, 403);
    assert.equal(err.documentationUrl, 'https://docs.github.com/rest/issues/comments#update-an-issue-comment');
    assert.equal(gh.requests.length, 1, 'a 403 without rate limiting is not retried');
  });

  it('never repeats the token, even when the server echoes it', async () => {
    gh.fail({ path: /./, status: 422, body: { message: `token ${gh.token} is odd`, errors: [{ resource: 'IssueComment', field: 'body', code: 'invalid' }] } });
    const err = await failure(api().post('/repos/o/r/issues/1/comments', { body: 'x' }));
    assert.equal(err.message, 'GitHub API POST /repos/o/r/issues/1/comments: 422 token *** is odd (IssueComment body invalid)');
  });

  it('names bad credentials', async () => {
    const err = await failure(api({ token: 'ghs_wrongwrongwrong' }).get('/repos/o/r/issues/1/comments'));
    assert.equal(err.message, 'GitHub API GET /repos/o/r/issues/1/comments: 401 Bad credentials');
    assert.ok(!err.message.includes('ghs_wrongwrongwrong'));
  });

  it('retries once on 5xx, honouring Retry-After', async () => {
    gh.fail({ path: /comments/, status: 502, body: { message: 'Server Error' }, headers: { 'retry-after': '0' } });
    const list = await api().get<unknown[]>('/repos/o/r/issues/1/comments');
    assert.deepEqual(list, []);
    assert.equal(gh.requests.length, 2);
    assert.match(logs.join('\n'), /502 Server Error; retrying in 0\.0s/);
  });

  it('gives up after the one retry', async () => {
    gh.fail({ path: /comments/, status: 503, times: Infinity });
    const err = await failure(api().get('/repos/o/r/issues/1/comments'));
    assert.equal(err.message, 'GitHub API GET /repos/o/r/issues/1/comments: 503 injected 503');
    assert.equal(gh.requests.length, 2);
  });

  it('retries a secondary rate limit after Retry-After', async () => {
    gh.fail({
      path: /comments/,
      status: 403,
      body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
      headers: { 'retry-after': '1' },
    });
    const t0 = Date.now();
    const c = await api().post<{ id: number }>('/repos/o/r/issues/1/comments', { body: 'x' });
    assert.ok(Date.now() - t0 >= 900, 'waited for Retry-After');
    assert.equal(typeof c.id, 'number');
    assert.equal(gh.requests.length, 2);
    assert.equal(gh.commentsOn('o', 'r', 1).length, 1);
  });

  it('does not wait longer than maxRetryAfterMs', async () => {
    gh.fail({ path: /comments/, status: 429, body: { message: 'API rate limit exceeded' }, headers: { 'retry-after': '3600' } });
    const err = await failure(api({ maxRetryAfterMs: 5000 }).get('/repos/o/r/issues/1/comments'));
    assert.equal(err.status, 429);
    assert.equal(gh.requests.length, 1);
  });

  it('reports a connection failure with status 0, after one retry', async () => {
    const dead = new GitHubApi({ token: gh.token, apiUrl: 'http://127.0.0.1:1', retryDelayMs: 10 });
    const err = await failure(dead.get('/repos/o/r'));
    assert.equal(err.status, 0);
    assert.match(err.message, /^GitHub API GET \/repos\/o\/r: ECONNREFUSED/);
  });

  it('refuses to send the token to another origin', async () => {
    await assert.rejects(api().get('https://evil.example/repos/o/r'), /refusing to send the token to https:\/\/evil\.example/);
    assert.equal(gh.requests.length, 0);
  });

  it('encodes path segments and parses Link headers', () => {
    assert.equal(apiPath`/orgs/${'acme'}/packages/container/${'tools/app'}/versions`, '/orgs/acme/packages/container/tools%2Fapp/versions');
    assert.equal(nextLink('<https://x/a?page=2>; rel="next", <https://x/a?page=5>; rel="last"'), 'https://x/a?page=2');
    assert.equal(nextLink('<https://x/a?page=1>; rel="prev", <https://x/a?page=3>; rel="next"'), 'https://x/a?page=3');
    assert.equal(nextLink('<https://x/a?page=1>; rel="first"'), undefined);
    assert.equal(nextLink(undefined), undefined);
  });
});
