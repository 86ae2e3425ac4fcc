import * as core from '@actions/core';
import { getInputs } from './inputs.ts';
import { runPipeline, type TargetReport } from './pipeline.ts';
import { describeError } from './errors.ts';

function last<T>(items: T[], pred: (t: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) if (pred(items[i] as T)) return items[i];
  return undefined;
}

/** The action: inputs → build → publish → outputs. The one place errors become a failed step. */
export async function run(): Promise<void> {
  try {
    const inputs = getInputs();
    const result = await runPipeline({
      cwd: inputs.workingDirectory,
      targets: inputs.targets,
      outputDir: inputs.outputDir,
      load: inputs.load,
      push: inputs.push,
      repository: inputs.repository,
      tags: inputs.tags,
      platforms: inputs.platforms,
      credentials: inputs.credentials,
      insecureRegistries: inputs.insecureRegistries,
      chunkSize: inputs.chunkSize,
      maskSecret: (s) => core.setSecret(s),
      log: { info: (m) => core.info(m), warning: (m) => core.warning(m) },
      group: (name, fn) => core.group(name, fn),
    });
    const withDigest = (r: TargetReport): boolean => r.digest !== undefined;
    const lastImage = last(result.reports, withDigest);
    core.setOutput('digest', lastImage?.digest ?? '');
    core.setOutput('imageid', last(result.reports, (r) => r.imageId !== undefined)?.imageId ?? '');
    core.setOutput('metadata', JSON.stringify({ workspace: result.workspaceRoot, outputDir: result.outputDir, targets: result.reports }));
    for (const r of result.reports) {
      core.info(`${r.label} (${r.kind}): ${r.action}${r.digest ? ` ${r.digest}` : ''}${r.tags.length ? ` as ${r.tags.join(', ')}` : ''}`);
      if (r.blobs) core.info(`  blobs: ${r.blobs.uploaded} uploaded, ${r.blobs.skipped} skipped, ${r.blobs.mounted} mounted`);
    }
  } catch (err) {
    core.setFailed(describeError(err));
  }
}
