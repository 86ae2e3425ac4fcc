// The preview comment: created once, then edited in place; its Markdown.

import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GitHubApi, GitHubApiError } from '../../src/github/api.ts';
import { GITHUB_ACTIONS_BOT, PREVIEW_MARKER, previewCommentBody, repositoryOf, tokenIdentity, upsertPreviewComment } from '../../src/github/pr_comment.ts';
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
    assert.deepEqual(gh.calls(), ['GET /repos/acme/app/issues/7/comments', 'GET /user', `PATCH /repos/acme/app/issues/comments/${first.id}`]);
    assert.deepEqual(gh.requests[2]!.body, { body: `${PREVIEW_MARKER}\ntwo` });

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
      'GET /user',
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

// Issue 15 point 6: the marker is public; anyone can write a comment that starts with it.
describe('upsertPreviewComment edits only a comment by the identity the token acts as', () => {
  it('GITHUB_TOKEN: a user\'s comment carrying the marker is left untouched and a new one created', async () => {
    const planted = gh.addComment('acme', 'app', 11, `${PREVIEW_MARKER}\nclick here: https://evil.example/`, 'mallory');
    const lookalike = gh.addComment('acme', 'app', 11, `${PREVIEW_MARKER}\nnot a bot`, 'github-actions');
    const first = await upsertPreviewComment(api, { owner: 'acme', repo: 'app', pullNumber: 11, body: `${PREVIEW_MARKER}\nimages` });
    assert.equal(first.created, true);
    assert.notEqual(first.id, planted.id);
    assert.deepEqual(gh.calls(), ['GET /repos/acme/app/issues/11/comments', 'GET /user', 'POST /repos/acme/app/issues/11/comments']);
    assert.equal(planted.body, `${PREVIEW_MARKER}\nclick here: https://evil.example/`, "mallory's comment is not edited");
    assert.equal(planted.updated_at, planted.created_at);
    assert.equal(lookalike.body, `${PREVIEW_MARKER}\nnot a bot`, 'a User named like the bot is not the bot');

    // The next push edits our own comment, still never mallory's (listed first).
    gh.requests.length = 0;
    const second = await upsertPreviewComment(api, { owner: 'acme', repo: 'app', pullNumber: 11, body: `${PREVIEW_MARKER}\nimages 2` });
    assert.deepEqual(second, { id: first.id, created: false });
    assert.deepEqual(gh.calls(), ['GET /repos/acme/app/issues/11/comments', 'GET /user', `PATCH /repos/acme/app/issues/comments/${first.id}`]);
    assert.equal(planted.body, `${PREVIEW_MARKER}\nclick here: https://evil.example/`);
    const all = gh.commentsOn('acme', 'app', 11);
    assert.equal(all.length, 3);
    assert.deepEqual(all.find((c) => c.id === first.id)?.user, { login: 'github-actions[bot]', type: 'Bot' });
    assert.equal(all.find((c) => c.id === first.id)?.body, `${PREVIEW_MARKER}\nimages 2`);
  });

  it('a personal access token: GET /user names the author; the bot\'s and others\' marked comments are not ours', async () => {
    gh.userLogin = 'Alice';
    gh.botLogin = 'Alice';
    const bots = gh.addComment('o', 'r', 12, `${PREVIEW_MARKER}\nfrom GITHUB_TOKEN`, 'github-actions[bot]');
    const bobs = gh.addComment('o', 'r', 12, `${PREVIEW_MARKER}\nbob`, 'bob');
    const alices = gh.addComment('o', 'r', 12, `note\n${PREVIEW_MARKER}\nold`, 'alice');
    const r = await upsertPreviewComment(api, { owner: 'o', repo: 'r', pullNumber: 12, body: `${PREVIEW_MARKER}\nnew` });
    assert.deepEqual(r, { id: alices.id, created: false }, 'logins compare case-insensitively');
    assert.equal(alices.body, `${PREVIEW_MARKER}\nnew`);
    assert.equal(bots.body, `${PREVIEW_MARKER}\nfrom GITHUB_TOKEN`);
    assert.equal(bobs.body, `${PREVIEW_MARKER}\nbob`);
  });

  it('no /user lookup when no comment carries the marker; an author given is used as is', async () => {
    await upsertPreviewComment(api, { owner: 'o', repo: 'r', pullNumber: 13, body: 'x' });
    assert.deepEqual(gh.calls(), ['GET /repos/o/r/issues/13/comments', 'POST /repos/o/r/issues/13/comments']);
    gh.requests.length = 0;
    const again = await upsertPreviewComment(api, { owner: 'o', repo: 'r', pullNumber: 13, body: 'y', author: GITHUB_ACTIONS_BOT });
    assert.equal(again.created, false);
    assert.deepEqual(gh.calls(), ['GET /repos/o/r/issues/13/comments', `PATCH /repos/o/r/issues/comments/${again.id}`]);
  });

  it('when /user fails otherwise, nothing is edited or created', async () => {
    const ours = gh.addComment('o', 'r', 14, `${PREVIEW_MARKER}\nold`, 'github-actions[bot]');
    gh.fail({ method: 'GET', path: /^\/user$/, status: 502, times: 2 });
    await assert.rejects(upsertPreviewComment(api, { owner: 'o', repo: 'r', pullNumber: 14, body: 'new' }), { message: 'GitHub API GET /user: 502 injected 502' });
    assert.equal(ours.body, `${PREVIEW_MARKER}\nold`);
    assert.equal(gh.commentsOn('o', 'r', 14).length, 1);
    assert.deepEqual(gh.calls().filter((c) => !c.startsWith('GET')), []);
  });

  it('tokenIdentity: 403 means an installation token (github-actions[bot]); a login means a user', async () => {
    assert.deepEqual(await tokenIdentity(api), { login: 'github-actions[bot]', type: 'Bot' });
    gh.userLogin = 'carol';
    assert.deepEqual(await tokenIdentity(api), { login: 'carol', type: 'User' });
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
