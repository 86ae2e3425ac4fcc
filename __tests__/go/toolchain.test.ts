// `go env` costs a process start (about 40 ms): a cross-build for a set platform must not pay it,
// and a build for the host asks once. A wrapper $GO records every call to the real go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../../src/pipeline.ts';
import { findGoToolchain } from '../../src/go/toolchain.ts';
import { runCommand } from '../helpers/run.ts';

const example = join(import.meta.dirname, '..', '..', 'examples', 'monorepo');
const quiet = { info: () => {}, warning: () => {} };

async function recordingGo(): Promise<{ go: string; calls: () => string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'go-calls-'));
  const real = (await runCommand('sh', ['-c', 'command -v go'])).stdout.trim();
  assert.ok(real !== '', 'go is not on PATH');
  const log = join(dir, 'calls.log');
  const go = join(dir, 'go');
  writeFileSync(go, `#!/bin/sh\necho "$1 $2" >> '${log}'\nexec '${real}' "$@"\n`);
  chmodSync(go, 0o755);
  writeFileSync(log, '');
  return { go, calls: () => readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') };
}

test('a build for a set platform runs go list and go build only; a build for the host asks go env once', async () => {
  const { go, calls } = await recordingGo();
  const env = { ...process.env, GO: go };
  const out = mkdtempSync(join(tmpdir(), 'go-calls-out-'));
  await runPipeline({ cwd: example, targets: ['//apps/hello_world:hello_world_linux_amd64'], outputDir: out, load: false, env, log: quiet });
  // The dependency pass (go list) keys the binary by its import closure (src/go/deps.ts).
  assert.deepEqual(calls(), ['list -e', 'build -trimpath']);

  // For the host: one go env; on a linux/amd64 host the remembered pass answers (no second list).
  await runPipeline({ cwd: example, targets: ['//apps/hello_world:hello_world'], outputDir: out, load: false, env, log: quiet });
  assert.deepEqual(calls().slice(2).filter((c) => c !== 'list -e'), ['env -json', 'build -trimpath']);
});

test('a go that is not there: the host question fails with the one-line message', async () => {
  const tc = findGoToolchain({ ...process.env, GO: '/nonexistent/go' });
  await assert.rejects(tc.host(), { message: 'Go toolchain not found: "/nonexistent/go" is not on PATH (install Go or set $GO)' });
});
