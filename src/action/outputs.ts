import type { PipelineResult, TargetReport } from '../pipeline.ts';

function last<T>(items: T[], pred: (t: T) => boolean): T | undefined {
  for (let i = items.length - 1; i >= 0; i--) if (pred(items[i] as T)) return items[i];
  return undefined;
}

/** The action's outputs for a build (names as in action.yml). */
export function actionOutputs(result: PipelineResult): Record<string, string> {
  const reports = result.reports;
  const lastImage = last(reports, (r: TargetReport) => r.digest !== undefined);
  // For actions/attest-build-provenance: the repository and digest of the last push.
  const lastPush = last(reports, (r) => r.action === 'pushed' && r.references.length > 0);
  const pushedRef = lastPush?.references[0] ?? '';
  return {
    digest: lastImage?.digest ?? '',
    'subject-name': pushedRef.includes('@') ? pushedRef.slice(0, pushedRef.indexOf('@')) : '',
    'subject-digest': lastPush?.digest ?? '',
    // As docker/build-push-action's (buildx's iidfile): an image's config digest, an index's own digest.
    imageid: lastImage ? (lastImage.imageId ?? lastImage.digest ?? '') : '',
    metadata: JSON.stringify({ workspace: result.workspaceRoot, outputDir: result.outputDir, targets: reports }),
    images: reports.flatMap((r) => [...r.tags, ...r.references]).join('\n'),
    tags: reports.flatMap((r) => r.tags).join('\n'),
  };
}
