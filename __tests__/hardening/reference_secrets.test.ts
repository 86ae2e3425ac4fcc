// Issue 15, point 8: a reference input with userinfo (`user:pass@host/...`) is refused without
// echoing the secret. The error names the input and says "credentials in a reference"; the secret
// appears nowhere: not on stdout/stderr, not in the step summary or outputs, not in any file the
// run wrote. Checked for the action's inputs (repository, tags, merge), the CLI's flags and the
// BUILD/MODULE attributes that hold references.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../helpers/run.ts';
import { makeWorkspace } from './run_case.ts';
import { LOADS } from './corpus.ts';
import { parseImageReference, parseReference, parseRepoTag } from '../../src/registry/reference.ts';
import { checkPushInputs } from '../../src/publish/registry.ts';

const SECRET = 'S3cr3t-pa55w0rd-xyz';
const repoRoot = join(import.meta.dirname, '..', '..');
const cli = join(repoRoot, 'src', 'cli.ts');
const action = join(repoRoot, 'src', 'index.ts');
const HEX = 'a'.repeat(64);
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SHAPES = [
  `user:${SECRET}@ghcr.io/o/app`,
  `https://user:${SECRET}@ghcr.io/o/app`,
  `${SECRET}@ghcr.io/o/app`,
  `user:${SECRET}@127.0.0.1:5000/app:v1`,
  `user:${SECRET}@ghcr.io`,
  `user:pa/${SECRET}@ghcr.io/o/app`,
  `user:p@${SECRET}@ghcr.io/o/app:v1`,
  `user:${SECRET}@ghcr.io/o/app@sha256:${HEX}`,
];

function everyFile(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

function assertNoSecret(texts: string[], files: string[]): void {
  for (const t of texts) assert.ok(!t.includes(SECRET), `secret in output:\n${t}`);
  for (const f of files) assert.ok(!readFileSync(f).includes(SECRET), `secret in ${f}`);
}

describe('credentials in references', () => {
  test('every parser refuses each shape, redacted', () => {
    for (const s of SHAPES) {
      for (const parse of [parseReference, parseImageReference, parseRepoTag]) {
        assert.throws(() => parse(s), (err: Error) => {
          assert.match(err.message, /credentials in a reference/);
          assert.ok(!err.message.includes(SECRET), err.message);
          assert.ok(!err.message.includes('\n'));
          assert.ok(!JSON.stringify(err).includes(SECRET), 'no field of the error holds it');
          return true;
        }, s);
      }
      assert.throws(() => checkPushInputs({ repository: s.replace(/:v1$|@sha256:.*$/, ''), tags: [] }), /^Error: input "repository": .*credentials in a reference/);
      assert.throws(() => checkPushInputs({ tags: [s] }), /^Error: input "tags": .*credentials in a reference/);
    }
  });

  test('references that merely look alike are not taken for credentials', () => {
    assert.match(String(captured(() => parseReference('app@foo'))), /invalid digest "foo"/);
    assert.match(String(captured(() => parseReference('ghcr.io/o/app@sha256:../../x'))), /invalid digest "sha256:\.\.\/\.\.\/x"/);
    assert.equal(parseReference(`127.0.0.1:5000/app@sha256:${HEX}`).digest, `sha256:${HEX}`);
  });

  const WS = () =>
    makeWorkspace({
      'app/BUILD.bazel': `${LOADS}oci_image(name = "img", os = "linux", architecture = "amd64")\noci_push(name = "push", image = ":img", repository = "127.0.0.1:9/app", remote_tags = ["t"])\n`,
    });

  for (const [input, value] of [
    ['repository', `user:${SECRET}@127.0.0.1:9/app`],
    ['tags', `user:${SECRET}@127.0.0.1:9/app:v1`],
    ['merge', `user:${SECRET}@127.0.0.1:9/app@sha256:${HEX}`],
  ] as const) {
    test(`the action's input "${input}"`, async () => {
      const root = WS();
      dirs.push(root);
      const out = join(root, 'github-output');
      const summary = join(root, 'summary.md');
      writeFileSync(out, '');
      writeFileSync(summary, '');
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        'INPUT_WORKING-DIRECTORY': root,
        INPUT_CACHE: 'false',
        GITHUB_OUTPUT: out,
        GITHUB_STEP_SUMMARY: summary,
        [`INPUT_${input.toUpperCase()}`]: value,
      };
      if (input !== 'merge') env.INPUT_TARGETS = '//app:push';
      delete env.OCI_BUILD_DEBUG;
      const res = await runCommand(process.execPath, [action], { env });
      assert.equal(res.code, 1, res.stdout + res.stderr);
      const error = res.stdout.split('\n').find((l) => l.startsWith('::error::')) ?? '';
      assert.match(error, new RegExp(`input "${input}": invalid reference "\\*\\*\\*@127\\.0\\.0\\.1:9/app[^"]*": credentials in a reference`));
      assertNoSecret([res.stdout, res.stderr], everyFile(root).filter((f) => !f.endsWith('BUILD.bazel')));
    });
  }

  for (const [flag, value] of [
    ['--repository', `user:${SECRET}@127.0.0.1:9/app`],
    ['-t', `user:${SECRET}@127.0.0.1:9/app:v1`],
  ] as const) {
    test(`the CLI's ${flag}`, async () => {
      const root = WS();
      dirs.push(root);
      const res = await runCommand(process.execPath, [cli, 'run', '-C', root, flag, value, '//app:push']);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /oci-build: error: input "(repository|tags)": invalid reference "\*\*\*@127\.0\.0\.1:9\/app(:v1)?": credentials in a reference/);
      assertNoSecret([res.stdout, res.stderr], everyFile(root).filter((f) => !f.endsWith('BUILD.bazel')));
    });
  }

  for (const [what, files] of [
    ['oci_push repository', { 'app/BUILD.bazel': `${LOADS}oci_image(name = "img", os = "linux", architecture = "amd64")\noci_push(name = "push", image = ":img", repository = "bob:${SECRET}@127.0.0.1:9/app", remote_tags = ["t"])\n` }],
    ['oci_load repo_tags', { 'app/BUILD.bazel': `${LOADS}oci_image(name = "img", os = "linux", architecture = "amd64")\noci_load(name = "push", image = ":img", repo_tags = ["bob:${SECRET}@127.0.0.1:9/app:v1"])\n` }],
    [
      'oci.pull image',
      {
        'MODULE.bazel': `module(name = "t")\noci = use_extension("@rules_oci//oci:extensions.bzl", "oci")\noci.pull(name = "base", image = "bob:${SECRET}@127.0.0.1:9/base", digest = "sha256:${HEX}", platforms = ["linux/amd64"])\nuse_repo(oci, "base")\n`,
        'app/BUILD.bazel': `${LOADS}oci_image(name = "push", base = "@base")\n`,
      },
    ],
  ] as const) {
    test(`a BUILD/MODULE attribute: ${what}`, async () => {
      const root = makeWorkspace({ ...files });
      dirs.push(root);
      const res = await runCommand(process.execPath, [cli, 'build', '-C', root, '//app:push']);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /oci-build: error: .*attribute "(repository|repo_tags|image)": .*"\*\*\*@127\.0\.0\.1:9\/[^"]*": credentials in a reference/);
      assertNoSecret([res.stdout, res.stderr], everyFile(join(root, '.oci-build')));
    });
  }
});

function captured(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}
