// The preview comment: created once, then edited in place; its Markdown.

import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GitHubApi, GitHubApiError } from '../../src/github/api.ts';
import { PREVIEW_MARKER, previewCommentBody, repositoryOf, upsertPreviewComment } from '../../src/github/pr_comment.ts';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake_github.ts';

let gh: FakeGitHub;
let api: GitHubApi;

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const SHA = '0123456789abcdef0123456789abcdef01234567';

before(async () => {
  gh = await startFakeGitHub();
  api = new GitHubApi({ token: gh.token, apiUrl: gh.url, retryDelayMs: 10 });
});
after(async () => {
  await gh.stop();
});
beforeEach(() => gh.reset());

function marked(owner: string, repo: string, n: number) {
  return gh.commentsOn(owner, repo, n).filter((c) => c.body.includes(PREVIEW_MARKER));
}

describe('upsertPreviewComment', () => {
  it('creates the comment, then edits the same one in place', async () => {
    gh.addComment('acme', 'app', 7, 'LGTM', 'alice');
    const first = await upsertPreviewComment(api, { owner: 'acme', repo: 'app', pullNumber: 7, body: `${PREVIEW_MARKER}\none` });
    assert.equal(first.created, true);
    assert.deepEqual(gh.calls(), ['GET /repos/acme/app/issues/7/comments', 'POST /repos/acme/app/issues/7/comments']);

    gh.requests.length = 0;
    const second = await upsertPreviewComment(api, { owner: 'acme', repo: 'app', pullNumber: 7, body: `${PREVIEW_MARKER}\ntwo` });
    assert.deepEqual(second, { id: first.id, created: false });
    assert.deepEqual(gh.calls(), ['GET /repos/acme/app/issues/7/comments', `PATCH /repos/acme/app/issues/comments/${first.id}`]);
    assert.deepEqual(gh.requests[1]!.body, { body: `${PREVIEW_MARKER}\ntwo` });

    const mine = marked('acme', 'app', 7);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.body, `${PREVIEW_MARKER}\ntwo`);
    assert.equal(gh.commentsOn('acme', 'app', 7).length, 2, "alice's comment is left alone");
    for (const r of gh.requests) assert.equal(r.authorization, `Bearer ${gh.token}`);
  });

  it('puts the marker first when the body lacks it', async () => {
    await upsertPreviewComment(api, { owner: 'o', repo: 'r', pullNumber: 1, body: 'plain' });
    assert.equal(gh.commentsOn('o', 'r', 1)[0]!.body, `${PREVIEW_MARKER}\nplain`);
    const again = await upsertPreviewComment(api, { owner: 'o', repo: 'r', pullNumber: 1, body: 'plain 2' });
    assert.equal(again.created, false);
    assert.equal(gh.commentsOn('o', 'r', 1).length, 1);
  });

  it('finds the marker on a later page', async () => {
    for (let i = 0; i < 100; i++) gh.addComment('o', 'r', 2, `chatter ${i}`, 'bob');
    const ours = gh.addComment('o', 'r', 2, `${PREVIEW_MARKER}\nold`, 'github-actions[bot]');
    for (let i = 0; i < 5; i++) gh.addComment('o', 'r', 2, `more ${i}`, 'bob');
    const r = await upsertPreviewComment(api, { owner: 'o', repo: 'r', pullNumber: 2, body: `${PREVIEW_MARKER}\nnew` });
    assert.deepEqual(r, { id: ours.id, created: false });
    assert.deepEqual(gh.calls(), [
      'GET /repos/o/r/issues/2/comments',
      'GET /repos/o/r/issues/2/comments',
      `PATCH /repos/o/r/issues/comments/${ours.id}`,
    ]);
    assert.equal(gh.requests[0]!.query.get('per_page'), '100');
    assert.equal(gh.requests[1]!.query.get('page'), '2');
    assert.equal(ours.body, `${PREVIEW_MARKER}\nnew`);
  });

  it('uses a custom marker, and tells comments with other markers apart', async () => {
    const other = gh.addComment('o', 'r', 3, `${PREVIEW_MARKER}\nanother workflow`, 'github-actions[bot]');
    const marker = '<!-- oci-build-action:preview:arm -->';
    const r = await upsertPreviewComment(api, { owner: 'o', repo: 'r', pullNumber: 3, marker, body: `${marker}\narm` });
    assert.equal(r.created, true);
    assert.notEqual(r.id, other.id);
    assert.equal(other.body, `${PREVIEW_MARKER}\nanother workflow`);
  });

  it('creates a new comment when the marked one vanished before the edit', async () => {
    const gone = gh.addComment('o', 'r', 4, `${PREVIEW_MARKER}\nx`, 'github-actions[bot]');
    gh.fail({ method: 'PATCH', path: /comments\/\d+$/, status: 404, body: { message: 'Not Found' } });
    const r = await upsertPreviewComment(api, { owner: 'o', repo: 'r', pullNumber: 4, body: `${PREVIEW_MARKER}\ny` });
    assert.equal(r.created, true);
    assert.notEqual(r.id, gone.id);
  });

  it('fails with a one-line 403 message that does not carry the token', async () => {
    const c = gh.addComment('acme', 'app', 9, `${PREVIEW_MARKER}\nold`, 'github-actions[bot]');
    gh.fail({ method: 'PATCH', path: /./, status: 403, body: { message: 'Resource not accessible by integration' } });
    await assert.rejects(upsertPreviewComment(api, { owner: 'acme', repo: 'app', pullNumber: 9, body: 'new' }), (err: Error) => {
      assert.ok(err instanceof GitHubApiError);
      assert.equal(err.message, `GitHub API PATCH /repos/acme/app/issues/comments/${c.id}: 403 Resource not accessible by integration`);
      assert.ok(!err.message.includes(gh.token));
      assert.ok(!String(err.stack).includes(gh.token));
      return true;
    });
    assert.equal(c.body, `${PREVIEW_MARKER}\nold`);
    assert.equal(gh.commentsOn('acme', 'app', 9).length, 1, 'no second comment after a refused edit');
  });
});

describe('previewCommentBody', () => {
  const images = [
    { reference: 'ghcr.io/acme/app:pr-7', digest: DIGEST_A, platforms: ['linux/amd64', 'linux/arm64'] },
    { reference: '127.0.0.1:5000/tools/cli:pr-7', digest: DIGEST_B, platforms: ['linux/amd64'] },
  ];

  it('starts with the marker, and has the short sha, a table and docker pull lines by digest', () => {
    const body = previewCommentBody({ images, commitSha: SHA, runUrl: 'https://github.com/acme/app/actions/runs/42' });
    const lines = body.split('\n');
    assert.equal(lines[0], PREVIEW_MARKER);
    assert.ok(body.includes('`0123456`'));
    assert.ok(!body.includes(SHA), 'only the short sha');
    assert.ok(body.includes('[this run](https://github.com/acme/app/actions/runs/42)'));
    assert.ok(lines.includes('| Image | Digest | Platforms |'));
    assert.ok(lines.includes('| --- | --- | --- |'));
    assert.ok(lines.includes(`| \`ghcr.io/acme/app:pr-7\` | \`${DIGEST_A}\` | \`linux/amd64\`, \`linux/arm64\` |`));
    assert.ok(lines.includes(`| \`127.0.0.1:5000/tools/cli:pr-7\` | \`${DIGEST_B}\` | \`linux/amd64\` |`));
    const start = lines.indexOf('```sh');
    assert.ok(start > 0);
    assert.deepEqual(lines.slice(start + 1, start + 3), [`docker pull ghcr.io/acme/app@${DIGEST_A}`, `docker pull 127.0.0.1:5000/tools/cli@${DIGEST_B}`]);
    assert.equal(lines[start + 3], '```');
  });

  it('works without a run URL or images, and with a custom marker', () => {
    const body = previewCommentBody({ images: [], commitSha: SHA, marker: '<!-- m -->' });
    assert.equal(body.split('\n')[0], '<!-- m -->');
    assert.match(body, /Built from `0123456`\. No images were pushed\./);
    assert.ok(!body.includes('docker pull'));
  });

  it('stays under GitHub’s body limit', () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({ reference: `ghcr.io/acme/image-${i}:pr-7`, digest: DIGEST_A, platforms: ['linux/amd64'] }));
    const body = previewCommentBody({ images: many, commitSha: SHA });
    assert.ok(body.length < 65_536, `${body.length}`);
    assert.match(body, /… and \d+ more/);
  });

  it('takes the repository of a reference', () => {
    assert.equal(repositoryOf('127.0.0.1:5000/a/b:t'), '127.0.0.1:5000/a/b');
    assert.equal(repositoryOf('127.0.0.1:5000/a/b'), '127.0.0.1:5000/a/b');
    assert.equal(repositoryOf(`ghcr.io/a/b:t@${DIGEST_A}`), 'ghcr.io/a/b');
  });
});
