// .bazelrc reading: syntax (imports, %workspace%, continuations, quoting, comments, ${VAR}),
// which sections apply to a build, --config expansion in place, and one-line errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readBazelrc, tokenizeRcLine } from '../../src/workspace/bazelrc.ts';
import { platformFromName } from '../../src/workspace/constraints.ts';

function workspace(t: { after: (fn: () => void) => void }, files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'bazelrc-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('words split like Bazel: quotes, escapes, comments', () => {
  assert.deepEqual(tokenizeRcLine(`build --stamp # trailing comment`), ['build', '--stamp']);
  assert.deepEqual(tokenizeRcLine(`build "--workspace_status_command=bash tools/status.sh" --define='k=a b'`), [
    'build',
    '--workspace_status_command=bash tools/status.sh',
    '--define=k=a b',
  ]);
  assert.deepEqual(tokenizeRcLine(`build --embed_label=a\\ b "x\\"y"`), ['build', '--embed_label=a b', 'x"y']);
  assert.deepEqual(tokenizeRcLine(`# only a comment`), []);
  assert.deepEqual(tokenizeRcLine(`build --define="k=#1"`), ['build', '--define=k=#1']);
});

test('common and build lines apply, --config expands build:NAME in place, later options win', (t) => {
  const root = workspace(t, {
    '.bazelrc': [
      '# defaults',
      'common --enable_bzlmod',
      'build --nostamp --define=env=dev \\',
      '    --define=region=eu',
      'test --stamp',
      'run --embed_label=from-run',
      'build:release --stamp',
      'build:release --workspace_status_command=%workspace%/tools/status.sh',
      'build:release --config=opt --define env=prod',
      'build:opt -c opt',
      'build:arm --platforms=//platforms:linux_arm64,//platforms:other',
      'import %workspace%/tools/ci.bazelrc',
      'try-import %workspace%/user.bazelrc',
      '',
    ].join('\n'),
    'tools/ci.bazelrc': 'build:ci --embed_label="${CI_LABEL}"\nbuild:ci --config=release\n',
  });
  const base = readBazelrc(root, [], {});
  assert.equal(base.stamp, false);
  assert.deepEqual(base.defines, { env: 'dev', region: 'eu' });
  assert.equal(base.workspaceStatusCommand, undefined);
  assert.equal(base.embedLabel, undefined);
  assert.deepEqual(base.files, ['.bazelrc', 'tools/ci.bazelrc']);

  const ci = readBazelrc(root, ['ci'], { CI_LABEL: '1.2.3' });
  assert.equal(ci.stamp, true);
  assert.equal(ci.embedLabel, '1.2.3');
  assert.equal(ci.workspaceStatusCommand, `${root}/tools/status.sh`);
  assert.equal(ci.compilationMode, 'opt');
  assert.deepEqual(ci.defines, { env: 'prod', region: 'eu' });
  assert.ok(ci.applied.includes('.bazelrc:9: --define=env=prod'), ci.applied.join('\n'));

  // An unset ${VAR} stays as written, as Bazel leaves it.
  assert.equal(readBazelrc(root, ['ci'], {}).embedLabel, '${CI_LABEL}');
  assert.equal(readBazelrc(root, ['arm'], {}).platforms, '//platforms:linux_arm64');
  // --enable_platform_specific_config applies build:linux on a Linux host (and nothing when undefined).
  const plat = workspace(t, { '.bazelrc': 'common --enable_platform_specific_config\nbuild:linux --define=os=linux\nbuild:macos --define=os=mac\n' });
  assert.deepEqual(readBazelrc(plat, [], {}).defines, process.platform === 'linux' ? { os: 'linux' } : process.platform === 'darwin' ? { os: 'mac' } : {});
  const platNone = workspace(t, { '.bazelrc': 'common --enable_platform_specific_config\n' });
  assert.deepEqual(readBazelrc(platNone, [], {}).defines, {});
  // An empty value unsets the status command (a later config resetting an earlier one).
  const reset = workspace(t, { '.bazelrc': 'build --workspace_status_command=tools/s.sh\nbuild:plain --workspace_status_command=\n' });
  assert.equal(readBazelrc(reset, [], {}).workspaceStatusCommand, 'tools/s.sh');
  assert.equal(readBazelrc(reset, ['plain'], {}).workspaceStatusCommand, undefined);
});

test('bad rc files and unknown configs are one-line errors naming file:line', (t) => {
  const root = workspace(t, {
    '.bazelrc': 'build -c fast\n',
    'loop/.bazelrc': 'import %workspace%/a.rc\n',
    'loop/a.rc': 'import %workspace%/.bazelrc\n',
    'missing/.bazelrc': '\nimport %workspace%/nope.rc\n',
    'define/.bazelrc': 'build --define=novalue\n',
    'dangling/.bazelrc': 'build --workspace_status_command\n',
    'cfg/.bazelrc': 'build:other --stamp\n',
  });
  assert.throws(() => readBazelrc(root), { message: '.bazelrc:1: --compilation_mode: expected fastbuild, opt or dbg, got "fast"' });
  assert.throws(() => readBazelrc(join(root, 'loop')), /^BuildError: a\.rc:1: import loop: \.bazelrc -> a\.rc -> \.bazelrc$|a\.rc:1: import loop/);
  assert.throws(() => readBazelrc(join(root, 'missing')), { message: '.bazelrc:2: import: cannot read nope.rc' });
  assert.throws(() => readBazelrc(join(root, 'define')), { message: '.bazelrc:1: --define: expected KEY=VALUE, got "novalue"' });
  assert.throws(() => readBazelrc(join(root, 'dangling')), { message: '.bazelrc:1: --workspace_status_command needs a value' });
  assert.throws(() => readBazelrc(join(root, 'cfg'), ['release']), /config input: config value 'release' is not defined in any \.rc file \(\.bazelrc\)/);
  const empty = workspace(t, {});
  assert.deepEqual(readBazelrc(empty), { defines: {}, applied: [], files: [] });
  assert.throws(() => readBazelrc(empty, ['x']), /no \.bazelrc in the workspace/);
});

test('a --platforms label in a repository not read here: the platform its name says, else nothing', () => {
  assert.deepEqual(platformFromName('linux_arm64'), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(platformFromName('linux-x86_64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(platformFromName('aarch64_linux_gnu'), { os: 'linux', architecture: 'arm64' });
  assert.deepEqual(platformFromName('linux_armv7'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.equal(platformFromName('host'), undefined);
  assert.equal(platformFromName('arm64'), undefined);
});
