// Entry of scripts/act: runs the flows named on the command line (all by default), each in turn,
// prints what failed with the end of act's log, and closes with `N passed, N failed` (exit 1 on
// any failure). Not a *.test.ts file: the unit test run does not pick it up; scripts/test calls
// scripts/act after it.
import { FLOWS } from './flows.ts';
import { startHarness, stopHarness, type Harness } from './harness.ts';

const wanted = process.argv.slice(2);
if (wanted.includes('-h') || wanted.includes('--help')) {
  console.log(`usage: scripts/act [flow...]\n\nflows:\n${FLOWS.map((f) => `  ${f.name.padEnd(11)} ${f.what}`).join('\n')}`);
  process.exit(0);
}
const unknown = wanted.filter((w) => !FLOWS.some((f) => f.name === w));
if (unknown.length > 0) {
  console.error(`scripts/act: no flow named ${unknown.join(', ')} (flows: ${FLOWS.map((f) => f.name).join(', ')})`);
  process.exit(2);
}
const flows = wanted.length > 0 ? FLOWS.filter((f) => wanted.includes(f.name)) : FLOWS;

// Interrupted: stop the registries and servers and remove the temporary tree before going.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`act flows: interrupted (${signal})`);
    const done = harness ? stopHarness(harness) : Promise.resolve();
    void done.finally(() => process.exit(130));
  });
}

const FLOW_TIMEOUT_MS = Number(process.env.OCI_BUILD_ACT_FLOW_TIMEOUT ?? 600) * 1000;
const started = Date.now();
let passed = 0;
let failed = 0;
let harness: Harness | undefined;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
try {
  harness = await startHarness();
  console.log(`act harness ready in ${seconds(Date.now() - started)} (registry ${harness.registry.host}, fake GitHub ${harness.github.url})`);
  for (const flow of flows) {
    const t = Date.now();
    console.log(`▶ ${flow.name}: ${flow.what}`);
    try {
      // A flow that hangs fails, with the others still run.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${flow.name}: no result after ${FLOW_TIMEOUT_MS / 1000}s`)), FLOW_TIMEOUT_MS);
      });
      await Promise.race([flow.run(harness), timeout]).finally(() => clearTimeout(timer));
      passed++;
      console.log(`✔ ${flow.name} (${seconds(Date.now() - t)})`);
    } catch (err) {
      failed++;
      console.log(`✖ ${flow.name} (${seconds(Date.now() - t)})\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
} catch (err) {
  failed = flows.length - passed;
  console.log(`✖ harness: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  if (harness) {
    for (const t of harness.timings) console.log(`  act run ${t.name}: ${seconds(t.ms)}`);
    const keepTmp = Boolean(process.env.OCI_BUILD_ACT_KEEP);
    await stopHarness(harness, { keepTmp });
    if (keepTmp) console.log(`kept ${harness.tmp} (OCI_BUILD_ACT_KEEP)`);
  }
}
console.log(`act flows took ${seconds(Date.now() - started)}`);
console.log(`act: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
