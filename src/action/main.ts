import * as core from '@actions/core';
import { getInputs, type Inputs } from './inputs.ts';
import { mergeIndex } from '../publish/merge.ts';
import { RegistryPool } from '../registry/pool.ts';
import type { ExplicitCredentials } from '../registry/credentials.ts';
import { GitHubApi } from '../github/api.ts';
import { previewCommentBody, upsertPreviewComment } from '../github/pr_comment.ts';
import { cleanupFailures, deletePreviewTags } from '../github/cleanup.ts';
import { readFileSync } from 'node:fs';
import { runPipeline, type PipelineOptions, type TargetReport } from '../pipeline.ts';
import { verifyReproducible } from '../verify.ts';
import { describeError } from '../errors.ts';
import { errorAnnotation, goAnnotations, locateAt } from './annotations.ts';
import { cacheRows, failureRows, summaryRows } from './summary.ts';
import { actionOutputs } from './outputs.ts';
import { findWorkspaceRoot } from '../workspace/root.ts';
import { actionsCacheIO, planCaches, restoreCaches, type CacheStat } from './cache.ts';
import { goVersion } from '../go/toolchain.ts';
import { setupGo } from '../go/install.ts';
import { join, resolve } from 'node:path';
import { setDebugSink } from '../util/debug.ts';

/** The action: inputs → build → publish → outputs. The one place errors become a failed step. */
export async function run(): Promise<void> {
  const checkout = process.env.GITHUB_WORKSPACE ?? process.cwd();
  // "Re-run jobs with debug logging" sets RUNNER_DEBUG=1.
  if (core.isDebug()) setDebugSink((m) => core.debug(m));
  let root: string | undefined;
  try {
    const inputs = getInputs();
    if (inputs.deleteTags.length > 0) {
      await runCleanup(inputs);
      return;
    }
    if (inputs.merge.length > 0) {
      const merged = await runMerge(inputs);
      if (inputs.prComment) await commentOnPullRequest(inputs, [merged]);
      return;
    }
    try {
      root = findWorkspaceRoot(inputs.workingDirectory);
    } catch {
      // runPipeline reports it.
    }
    await setupGoToolchain(inputs, root);
    const cacheStats: CacheStat[] = [];
    if (inputs.cache && root) await restoreActionCaches(root, inputs, cacheStats);
    const pipelineOptions: PipelineOptions = {
      cwd: inputs.workingDirectory,
      targets: inputs.targets,
      outputDir: inputs.outputDir,
      load: inputs.load,
      push: inputs.push,
      repository: inputs.repository,
      tags: inputs.tags,
      pushOptionNames: 'the repository and tags inputs',
      platforms: inputs.platforms,
      credentials: inputs.credentials,
      insecureRegistries: inputs.insecureRegistries,
      chunkSize: inputs.chunkSize,
      stamp: inputs.stamp,
      configs: inputs.configs,
      pushByDigest: inputs.pushByDigest,
      metadata: { labels: inputs.labels, manifestAnnotations: inputs.annotations.manifest, indexAnnotations: inputs.annotations.index },
      fallbackCredentials: githubTokenCredentials(inputs),
      maskSecret: (s) => core.setSecret(s),
      log: {
        info: (m) => core.info(m),
        warning: (m, pos) => {
          const at = locateAt(m, pos, root, checkout);
          core.warning(m, at.file ? { file: at.file, startLine: at.line, startColumn: at.column } : {});
        },
      },
      group: (name, fn) => core.group(name, fn),
      sbom: inputs.sbom,
      layerCompression: inputs.layerCompression,
      compilationMode: inputs.compilationMode,
    };
    if (inputs.verifyReproducible) {
      await core.group('Verifying reproducibility (two builds)', () => verifyReproducible(pipelineOptions));
    }
    const result = await runPipeline(pipelineOptions);
    for (const [name, value] of Object.entries(actionOutputs(result))) core.setOutput(name, value);
    await writeSummary(result.reports, cacheStats);
    if (inputs.prComment) {
      const pushed = result.reports.filter((r) => r.action === 'pushed' && r.digest);
      await commentOnPullRequest(
        inputs,
        pushed.map((r) => ({ reference: r.tags[0] ?? r.references[0] ?? r.label, digest: r.digest ?? '', platforms: r.platforms })),
      );
    }
    for (const r of result.reports) {
      core.info(`${r.label} (${r.kind}): ${r.action}${r.digest ? ` ${r.digest}` : ''}${r.tags.length ? ` as ${r.tags.join(', ')}` : ''}`);
      if (r.blobs) core.info(`  blobs: ${r.blobs.uploaded} uploaded, ${r.blobs.skipped} skipped, ${r.blobs.mounted} mounted`);
    }
  } catch (err) {
    const message = describeError(err);
    const at = errorAnnotation(err, message, root, checkout);
    // Go's compile errors go on the .go lines Go names; the failure itself stays on the BUILD line.
    for (const g of goAnnotations(err, checkout)) {
      core.error(g.message, { file: g.file, startLine: g.line, ...(g.column ? { startColumn: g.column } : {}), title: 'go build' });
    }
    await writeFailureSummary(err, root, checkout);
    if (at.file) {
      // Placed on the BUILD/MODULE line in the pull request; one error, not two.
      core.error(message, { file: at.file, startLine: at.line, startColumn: at.column, title: 'oci-build' });
      process.exitCode = core.ExitCode.Failure;
    } else {
      core.setFailed(message);
    }
  }
}

/**
 * go-version / go-version-file: use the `go` on PATH when it satisfies the request, else the
 * tool cache, else download the official release (as actions/setup-go does). Builds then run
 * with that toolchain and GOTOOLCHAIN=local.
 */
async function setupGoToolchain(inputs: Inputs, root: string | undefined): Promise<void> {
  if (inputs.goVersion === '' && inputs.goVersionFile === '') return;
  const versionFile = inputs.goVersionFile === '' ? undefined : resolve(root ?? inputs.workingDirectory, inputs.goVersionFile);
  const result = await core.group('Setting up Go', () =>
    setupGo({
      version: inputs.goVersion || undefined,
      versionFile,
      baseUrl: inputs.goDownloadBaseUrl || undefined,
      log: (m) => core.info(m),
      warn: (m) => core.warning(m),
    }),
  );
  if (!result) return;
  core.addPath(join(result.goroot, 'bin'));
  process.env.GO = result.goBinary;
  process.env.GOTOOLCHAIN = 'local';
  core.info(`Go ${result.version} from ${result.source} (${result.goroot})`);
}

/** Restores the Go and blob-store caches; the post step saves them. Failures only warn. */
async function restoreActionCaches(root: string, inputs: Inputs, stats: CacheStat[]): Promise<void> {
  try {
    await core.group('Restoring caches', async () => {
      const outputDir = resolve(inputs.outputDir !== '' ? inputs.outputDir : join(root, '.oci-build'));
      const version = await goVersion(process.env);
      const plans = await planCaches({ workspaceRoot: root, storeDir: join(outputDir, 'store'), goVersion: version, env: process.env, warning: (m) => core.warning(m) });
      await restoreCaches(plans, { ...actionsCacheIO(), record: (s) => stats.push(s) });
    });
  } catch (err) {
    core.warning(`caches not restored: ${(err as Error).message}`);
  }
}

function registryPool(inputs: Inputs): RegistryPool {
  return new RegistryPool({
    explicit: inputs.credentials,
    insecureRegistries: inputs.insecureRegistries,
    log: (m) => core.info(m),
    maskSecret: (s) => core.setSecret(s),
    fallback: githubTokenCredentials(inputs),
  });
}

/** The github-token input as ghcr.io credentials, used when nothing else has any for it. */
function githubTokenCredentials(inputs: Inputs): ExplicitCredentials | undefined {
  return inputs.githubToken ? { registry: 'ghcr.io', username: process.env.GITHUB_ACTOR || 'github-actions', password: inputs.githubToken } : undefined;
}

function githubApi(inputs: Inputs): GitHubApi | undefined {
  return inputs.githubToken ? new GitHubApi({ token: inputs.githubToken, log: (m) => core.info(m) }) : undefined;
}

/** The pull request this run is for, from the event payload; undefined outside pull_request events. */
function pullRequest(): { owner: string; repo: string; number: number; headSha: string } | undefined {
  const path = process.env.GITHUB_EVENT_PATH;
  const [owner, repo] = (process.env.GITHUB_REPOSITORY ?? '').split('/');
  if (!path || !owner || !repo) return undefined;
  try {
    const event = JSON.parse(readFileSync(path, 'utf8')) as { pull_request?: { number?: number; head?: { sha?: string } } };
    const pr = event.pull_request;
    if (typeof pr?.number !== 'number') return undefined;
    return { owner, repo, number: pr.number, headSha: pr.head?.sha ?? process.env.GITHUB_SHA ?? '' };
  } catch {
    return undefined;
  }
}

/** One preview comment per pull request, updated in place; failures only warn. */
async function commentOnPullRequest(inputs: Inputs, images: Array<{ reference: string; digest: string; platforms: string[] }>): Promise<void> {
  const pr = pullRequest();
  const api = githubApi(inputs);
  if (!pr || !api || images.length === 0) {
    if (!pr) core.info('pr-comment: not a pull_request event; no comment');
    return;
  }
  try {
    const server = process.env.GITHUB_SERVER_URL ?? 'https://github.com';
    const runUrl = process.env.GITHUB_RUN_ID ? `${server}/${pr.owner}/${pr.repo}/actions/runs/${process.env.GITHUB_RUN_ID}` : undefined;
    const body = previewCommentBody({ images, commitSha: pr.headSha, runUrl });
    const { id, created } = await upsertPreviewComment(api, { owner: pr.owner, repo: pr.repo, pullNumber: pr.number, body });
    core.info(`${created ? 'commented on' : 'updated the comment on'} pull request #${pr.number} (comment ${id})`);
  } catch (err) {
    core.warning(`could not comment on pull request #${pr.number}: ${(err as Error).message}`);
  }
}

/** Cleanup mode: delete a closed pull request's preview tags; tags already gone are fine. */
async function runCleanup(inputs: Inputs): Promise<void> {
  const pool = registryPool(inputs);
  try {
    const results = await core.group('Deleting preview tags', () =>
      deletePreviewTags({ api: githubApi(inputs), pool, references: inputs.deleteTags, log: (m) => core.info(m), warn: (m) => core.warning(m) }),
    );
    core.setOutput('metadata', JSON.stringify({ deleted: results }));
    // A tag left behind by an error (unauthorized, unreachable) fails the step; shared images,
    // tags already gone and registries refusing deletes only warn.
    const failed = cleanupFailures(results);
    if (failed.length > 0) throw new Error(`cleanup: ${failed.length} of ${results.length} tag(s) not deleted: ${failed.map((r) => `${r.reference} (${r.message})`).join('; ')}`);
  } finally {
    await pool.close();
  }
}

/** Merge mode: the index over images pushed by digest on other runners, then the tags. */
async function runMerge(inputs: Inputs): Promise<{ reference: string; digest: string; platforms: string[] }> {
  const pool = registryPool(inputs);
  try {
    // Tags as build mode reads them: bare, or full references naming their own repository.
    const result = await core.group('Merging platform images into an index', () =>
      mergeIndex(
        pool,
        { sources: inputs.merge, repository: inputs.repository || undefined, tags: inputs.tags, platforms: inputs.platforms, annotations: inputs.annotations.index },
        (m) => core.info(m),
      ),
    );
    core.setOutput('digest', result.digest);
    core.setOutput('subject-name', result.reference.slice(0, result.reference.lastIndexOf('@')));
    core.setOutput('subject-digest', result.digest);
    core.setOutput('images', [...result.tagged, ...result.references].join('\n'));
    core.setOutput('tags', result.tagged.join('\n'));
    core.setOutput('metadata', JSON.stringify({ merge: result }));
    return { reference: result.tagged[0] ?? result.reference, digest: result.digest, platforms: result.platforms };
  } finally {
    await pool.close();
  }
}

/** On failure the summary says where and why (from the error's fields); writing it only warns. */
async function writeFailureSummary(err: unknown, root: string | undefined, checkout: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  try {
    await core.summary.addHeading('oci-build failed', 3).addTable(failureRows(err, root, checkout)).write();
  } catch (e) {
    core.warning(`could not write the job summary: ${(e as Error).message}`);
  }
}

/** The job summary is a convenience: failing to write it only warns. */
async function writeSummary(reports: TargetReport[], cacheStats: CacheStat[]): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  try {
    const summary = core.summary.addHeading('oci-build', 3).addTable(summaryRows(reports));
    if (cacheStats.length > 0) summary.addHeading('Caches restored', 4).addTable(cacheRows(cacheStats));
    await summary.write();
  } catch (err) {
    core.warning(`could not write the job summary: ${(err as Error).message}`);
  }
}
