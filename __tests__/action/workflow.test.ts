// The action's metadata and the reusable workflow, read as YAML: what users `uses:` must agree
// with what the action accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '..', '..');

interface ActionYml {
  runs: { using: string; main: string; post?: string };
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
}
interface Step {
  uses?: string;
  with?: Record<string, unknown>;
  run?: string;
}
interface Job {
  if?: string;
  needs?: string | string[];
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, { inputs?: Record<string, unknown>; outputs?: Record<string, unknown>; secrets?: Record<string, unknown> }>;
  jobs: Record<string, Job>;
}

const action = parse(readFileSync(join(root, 'action.yml'), 'utf8')) as ActionYml;
const workflowText = readFileSync(join(root, '.github', 'workflows', 'oci-build.yml'), 'utf8');
const workflow = parse(workflowText) as Workflow;

test('action.yml runs the committed bundle on node24 and documents every input and output', () => {
  assert.equal(action.runs.using, 'node24');
  assert.equal(action.runs.main, 'dist/index.js');
  for (const [name, spec] of Object.entries(action.inputs)) {
    assert.ok(spec.description && spec.description.length > 20, `input ${name} needs a description`);
    assert.ok(spec.required === true || spec.default !== undefined, `input ${name} needs a default`);
  }
  for (const [name, spec] of Object.entries(action.outputs)) assert.ok(spec.description, `output ${name} needs a description`);
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  for (const name of [...Object.keys(action.inputs), ...Object.keys(action.outputs)]) {
    assert.ok(readme.includes(`\`${name}\``), `README documents ${name}`);
  }
});

test('the reusable workflow is workflow_call only and passes only inputs the action has', () => {
  assert.deepEqual(Object.keys(workflow.on), ['workflow_call']);
  const code = workflowText.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');
  assert.ok(!code.includes('pull_request_target'), 'never pull_request_target');
  const call = workflow.on.workflow_call;
  for (const name of ['targets', 'working-directory', 'platforms', 'repository', 'go-version-file', 'runners', 'distribute']) {
    assert.ok(call?.inputs && name in call.inputs, `workflow input ${name}`);
  }
  assert.ok(call?.outputs && 'digest' in call.outputs && 'images' in call.outputs);
  let uses = 0;
  for (const [jobName, job] of Object.entries(workflow.jobs)) {
    for (const step of job.steps) {
      if (!step.uses?.endsWith('/oci-build-action@v1')) continue;
      uses++;
      for (const key of Object.keys(step.with ?? {})) {
        assert.ok(key in action.inputs, `job ${jobName} passes "${key}", which action.yml does not declare`);
      }
    }
  }
  assert.ok(uses >= 4, 'build, build-platform, merge and cleanup use the action');
});

test('forks build without pushing; only same-repository pull requests get write steps', () => {
  const plan = workflow.jobs.plan;
  const repoStep = plan?.steps.find((s) => s.run?.includes('push=false'));
  assert.ok(repoStep, 'plan decides push from whether the head repository is this one');
  const build = workflow.jobs.build;
  const action = build?.steps.find((s) => s.uses?.endsWith('/oci-build-action@v1'));
  assert.equal(action?.with?.push, '${{ needs.plan.outputs.push }}');
  assert.ok(build?.steps.some((s) => s.uses?.startsWith('actions/upload-artifact@')), 'forks upload the OCI layout');
  assert.match(workflow.jobs.cleanup?.if ?? '', /head\.repo\.full_name == github\.repository/);
  assert.match(workflow.jobs['build-platform']?.if ?? '', /needs\.plan\.outputs\.push == 'true'/);
  // Forks build on one runner even in distributed mode (they cannot push per-platform digests).
  assert.match(build?.if ?? '', /needs\.plan\.outputs\.push != 'true'/);
});

test('logins need credentials, digests travel per platform, merge checks platforms, cleanup logs in; current majors', () => {
  const jobs = workflow.jobs;
  for (const name of ['build', 'build-platform', 'merge', 'cleanup']) {
    const login = jobs[name]?.steps.find((s) => s.uses?.startsWith('docker/login-action@'));
    assert.ok(login, `${name} has a login step`);
    assert.match((login as Step & { if?: string }).if ?? '', /env\.HAS_CREDENTIALS == 'true'/, `${name} logs in only with credentials`);
  }
  const upload = jobs['build-platform']?.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
  assert.equal(upload?.with?.name, '${{ steps.digests.outputs.artifact }}', 'named by platform, not strategy.job-index');
  const merge = jobs.merge?.steps.find((s) => s.uses?.endsWith('/oci-build-action@v1'));
  assert.equal(merge?.with?.platforms, '${{ inputs.platforms }}');
  const majors: Record<string, string> = {
    'actions/checkout': 'v6',
    'docker/metadata-action': 'v6',
    'docker/login-action': 'v4',
    'actions/upload-artifact': 'v7',
    'actions/download-artifact': 'v8',
  };
  for (const job of Object.values(jobs)) {
    for (const step of job.steps) {
      const [name, ref] = (step.uses ?? '').split('@');
      if (name && name in majors) assert.equal(ref, majors[name], step.uses);
    }
  }
});
