import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWorkspaceStatus, stampValues, workspaceStatus } from '../../src/rules/stamp.ts';

const root = await mkdtemp(join(tmpdir(), 'stamp-'));

test('parseWorkspaceStatus splits at the first space and drops lines without one', () => {
  assert.deepEqual(parseWorkspaceStatus('STABLE_A one two\r\nNOVALUE\nEMPTY \nB 1\nB 2\n\n'), { B: '2', EMPTY: '', STABLE_A: 'one two' });
});

test('CI environment: SOURCE_DATE_EPOCH, tag ref, GITHUB_SHA; nothing else from env', async () => {
  const now = () => 1_700_000_000_999;
  const v = await stampValues(
    { SOURCE_DATE_EPOCH: ' 1234 ', GITHUB_REF: 'refs/tags/v1.2.3', GITHUB_SHA: '0123456789abcdef', SECRET_TOKEN: 'x', USER: 'u' },
    { cwd: root, now },
  );
  assert.equal(v.BUILD_TIMESTAMP, '1234');
  assert.equal(v.BUILD_EMBED_LABEL, '1.2.3');
  assert.equal(v.STABLE_GIT_TAG, 'v1.2.3');
  assert.equal(v.STABLE_GIT_COMMIT, '0123456789abcdef');
  assert.equal(v.STABLE_GIT_SHORT_COMMIT, '0123456');
  assert.equal(v.STABLE_BUILD_SCM_REVISION, '0123456789abcdef');
  assert.equal(v.STABLE_GIT_BRANCH, undefined);
  assert.ok(v.BUILD_USER && v.BUILD_HOST && !v.BUILD_HOST.includes('.'));
  assert.ok(!Object.values(v).includes('x'));
  const w = await stampValues({ SOURCE_DATE_EPOCH: 'junk', GITHUB_REF: 'refs/heads/main', OCI_BUILD_EMBED_LABEL: 'rc-1' }, { cwd: root, now });
  assert.deepEqual([w.BUILD_TIMESTAMP, w.BUILD_EMBED_LABEL, w.STABLE_GIT_BRANCH, w.STABLE_GIT_COMMIT], ['1700000000', 'rc-1', 'main', undefined]);
  assert.equal((await stampValues({ GITHUB_REF: 'refs/pull/7/merge' }, { cwd: root })).BUILD_EMBED_LABEL, '');
});

test('a git checkout: commit, branch, tag and status from git', async () => {
  const repo = await mkdtemp(join(tmpdir(), 'stamp-git-'));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], { cwd: repo, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'work');
  await writeFile(join(repo, 'f'), 'x');
  git('add', 'f');
  git('commit', '-q', '-m', 'c');
  git('tag', 'v9.9.9');
  const head = git('rev-parse', 'HEAD');
  const v = await stampValues({}, { cwd: repo });
  assert.deepEqual(
    [v.STABLE_GIT_COMMIT, v.STABLE_GIT_SHORT_COMMIT, v.STABLE_GIT_BRANCH, v.STABLE_GIT_TAG, v.STABLE_BUILD_SCM_STATUS, v.BUILD_EMBED_LABEL],
    [head, head.slice(0, 7), 'work', 'v9.9.9', 'clean', ''],
  );
  await writeFile(join(repo, 'f'), 'y');
  assert.equal((await stampValues({}, { cwd: repo })).STABLE_BUILD_SCM_STATUS, 'modified');
});

test('a workspace status script: run through the shell in the workspace, stdout parsed; failures are one line', async () => {
  const script = join(root, 'status.sh');
  await writeFile(script, '#!/bin/sh\necho "STABLE_WHERE $(basename "$PWD")"\necho "STABLE_VERSION 2.0 beta"\necho "INPUT_LEAK ${INPUT_TOKEN:-none}"\n');
  await chmod(script, 0o755);
  const v = await workspaceStatus({ ...process.env, INPUT_TOKEN: 'secret' }, { cwd: root, command: './status.sh' });
  assert.deepEqual([v.INPUT_LEAK, v.STABLE_VERSION, v.STABLE_WHERE], ['none', '2.0 beta', root.split('/').pop()]);
  await assert.rejects(workspaceStatus({}, { cwd: root, command: 'echo oops >&2; exit 3' }), /^Error: workspace status command "echo oops >&2; exit 3" failed with exit code 3: oops$/);
});
