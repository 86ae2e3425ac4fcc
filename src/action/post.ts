// The action's post step (action.yml `runs.post`): saves the caches the main step restored.
// Caching is a convenience: nothing here fails the job.
import * as core from '@actions/core';
import { actionsCacheIO, saveCaches, type CacheStat } from './cache.ts';
import { cacheRows } from './summary.ts';

// A failed upload can leak an exception out of the cache library after its promise settled
// (as actions/setup-go notes); report it, never crash.
process.on('uncaughtException', (err) => {
  core.warning(`cache save: ${err.message}`);
  process.exitCode = 0;
});

const saved: CacheStat[] = [];
try {
  await saveCaches({ ...actionsCacheIO(), record: (s) => saved.push(s) });
  if (saved.length > 0 && process.env.GITHUB_STEP_SUMMARY) await core.summary.addHeading('oci-build: caches saved', 4).addTable(cacheRows(saved)).write();
} catch (err) {
  core.warning(`Caches not saved: ${err instanceof Error ? err.message : String(err)}`);
}
process.exitCode = 0;
