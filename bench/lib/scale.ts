// Workload 8 (issue 20): monorepo scale. N generated services (scale_workspace.ts), all pushed
// multi-arch (linux/amd64 + linux/arm64) in ONE run, side by side with ko on the same services
// and with the Go floor (a bare `go build -o DIR/` of the same binaries, both arches, into a
// kept output dir), taking turns, for each N and step:
//
//   cold      warm Go cache, empty repositories (a fresh registry holding only the base)
//   no-op     the same again, nothing changed
//   one       one service's main.go changed
//   shared    a shared library every service imports changed
//
// Ours runs with $GO pointing at a wrapper that logs every go process it starts; a recording
// proxy in front of the registry counts blob uploads. Also timed: analysis alone (in a fresh
// process) of the N services and of a synthetic 2,000-target graph with macros and selects.
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { median, measure, type RecordingProxy, type Sample } from './measure.ts';
import { editService, editSharedLib, pushTargets, setRegistry, writeScaleWorkspace, writeSyntheticGraph } from './scale_workspace.ts';
import { plotPanels, type PlotPanel } from './svg.ts';

export const STEPS = ['cold', 'noop', 'one', 'shared'] as const;
export type Step = (typeof STEPS)[number];
export const STEP_TITLES: Record<Step, string> = {
  cold: 'cold push (warm Go cache, empty repositories)',
  noop: 'no-op re-run',
  one: 'one service changed → pushed',
  shared: 'shared library changed → all pushed',
};
export const TOOLS = ['ours', 'ko', 'go floor'] as const;
export type Tool = (typeof TOOLS)[number];

export interface ScaleSample {
  n: number;
  step: Step;
  tool: Tool;
  rep: number;
  seconds: number;
  treeRssKiB: number;
  /** Ours: go processes started (by first argument), blob uploads seen by the proxy. */
  goProcesses?: Record<string, number>;
  uploads?: number;
  uploadBytes?: number;
  /** Ours: services whose blobs were uploaded (repository names). */
  uploadedRepos?: string[];
  /** Ours: binaries its log says it built (the rest it found up to date). */
  builtBinaries?: number;
}

export interface ScaleContext {
  work: string;
  env: NodeJS.ProcessEnv;
  node: string;
  cli: string;
  noSbom: string[];
  ko: string;
  ns: number[];
  reps: number;
  log: (m: string) => void;
  /** A fresh registry behind a recording proxy: `host` is the proxy's. */
  freshRegistry: () => Promise<ScaleRegistry>;
  /** Seeds the base into it; returns the base as the tools should name it (through the proxy). */
  seed: (r: ScaleRegistry) => Promise<{ image: string; digest: string }>;
}

export interface ScaleRegistry {
  host: string;
  proxy?: RecordingProxy;
  drop: () => Promise<void>;
}

export interface ScaleResults {
  samples: ScaleSample[];
  analysis: Array<{ what: string; ms: number[] }>;
  notes: string[];
}

const rotate = <T>(xs: readonly T[], by: number): T[] => [...xs.slice(by % xs.length), ...xs.slice(0, by % xs.length)];

export async function runScale(ctx: ScaleContext): Promise<ScaleResults> {
  // BENCH_SCALE_TOOLS=ours,go floor leaves ko out: its N = 50 turns take minutes and ours is what changes.
  const tools = process.env.BENCH_SCALE_TOOLS ? TOOLS.filter((t) => process.env.BENCH_SCALE_TOOLS!.split(',').includes(t)) : [...TOOLS];
  const results: ScaleResults = { samples: [], analysis: [], notes: [] };
  const goLog = join(ctx.work, 'scale-go-calls.log');
  const goWrapper = join(ctx.work, 'scale-go');
  const realGo = (await measure('sh', ['-c', 'command -v go'], { env: ctx.env })).stdout.trim();
  writeFileSync(goWrapper, `#!/bin/sh\necho "$1" >> '${goLog}'\nexec '${realGo}' "$@"\n`);
  chmodSync(goWrapper, 0o755);
  const goCalls = (): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const l of readFileSync(goLog, 'utf8').split('\n')) if (l) counts[l] = (counts[l] ?? 0) + 1;
    return counts;
  };
  let lastEdit = 0;
  const settle = async () => {
    // The Go action cache remembers a binary only when its inputs are older than 2 s (racy
    // timestamps); a re-run comes later than that in practice.
    const wait = lastEdit + 2100 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };
  let editCount = 0;
  const tag = () => `e${process.pid}-${++editCount}`;

  for (const n of ctx.ns) {
    const ws = join(ctx.work, `scale-${n}`);
    const reg0 = await ctx.freshRegistry();
    const seed0 = await ctx.seed(reg0);
    writeScaleWorkspace(ws, n, seed0, reg0.host);
    writeFileSync(join(ws, '.ko.yaml'), 'defaultPlatforms: [linux/amd64, linux/arm64]\nbuilds:\n' + pushTargets(n).map((_, k) => `- id: s${k + 1}\n  dir: .\n  main: ./svc/${`s${String(k + 1).padStart(3, '0')}`}\n  env: [CGO_ENABLED=0]\n  flags: [-trimpath, -buildvcs=false]\n  ldflags: [-s, -w]\n`).join(''));
    const floorOut = join(ctx.work, `scale-${n}-floor`);
    const targets = pushTargets(n);

    // Analysis alone, in a fresh process (3 times; the median is reported).
    const analysisMs: number[] = [];
    for (let k = 0; k < 3; k++) {
      const s = await measure(ctx.node, [resolve(import.meta.dirname, 'analyze.ts'), ws, 'linux/amd64,linux/arm64', ...targets], { env: ctx.env });
      analysisMs.push((JSON.parse(s.stdout) as { ms: number }).ms);
    }
    results.analysis.push({ what: `N = ${n}: ${n} oci_push targets × 2 platforms (${n * 4 + n} targets, macros from a .bzl)`, ms: analysisMs });
    ctx.log(`8: N=${n} analysis ${median(analysisMs).toFixed(0)} ms`);

    let reg = reg0;
    let base = seed0;
    const useRegistry = async (r: ScaleRegistry, seeded?: { image: string; digest: string }) => {
      reg = r;
      base = seeded ?? (await ctx.seed(r));
      setRegistry(ws, r.host);
      writeFileSync(join(ws, 'MODULE.bazel'), readFileSync(join(ws, 'MODULE.bazel'), 'utf8').replace(/oci\.pull\([^)]*\)/, `oci.pull(name = "base", digest = "${base.digest}", image = "${base.image}", platforms = ["linux/amd64", "linux/arm64"])`));
    };
    await useRegistry(reg0, seed0);

    const run = async (tool: Tool): Promise<Sample & { calls?: Record<string, number> }> => {
      if (tool === 'ours') {
        writeFileSync(goLog, '');
        const s = await measure(ctx.node, [...(process.env.BENCH_SCALE_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SCALE_CPU_PROF] : []), ctx.cli, 'run', ...ctx.noSbom, '-C', ws, '-p', 'linux/amd64', '-p', 'linux/arm64', ...targets], { env: { ...ctx.env, GO: goWrapper } });
        return { ...s, calls: goCalls() };
      }
      if (tool === 'ko') {
        return measure(ctx.ko, ['build', '-B', '--platform=linux/amd64,linux/arm64', '--sbom=none', '--insecure-registry', '-t', 'latest', ...targets.map((t) => `./${t.slice(2, t.indexOf(':'))}`)], {
          cwd: ws,
          env: { ...ctx.env, KO_DOCKER_REPO: `${reg.host}/ko`, KO_DEFAULTBASEIMAGE: `${base.image}@${base.digest}` },
        });
      }
      return measure('sh', ['-c', `for a in amd64 arm64; do GOOS=linux GOARCH=$a CGO_ENABLED=0 go build -trimpath -buildvcs=false '-ldflags=-s -w' -o ${floorOut}/$a/ ./svc/... || exit 1; done`], { cwd: ws, env: ctx.env });
    };

    // The tree was just written: a warm-up now would leave ours' keys unremembered (racy window).
    lastEdit = Date.now();
    await settle();
    ctx.log(`8: N=${n} warm-up (each tool once, untimed)`);
    for (const tool of tools) await run(tool);

    for (let rep = 0; rep < ctx.reps; rep++) {
      for (const step of STEPS) {
        if (step === 'cold') {
          // Each tool's turn of the last step came after its own edit, so the tools that went
          // first have not built the others' edits: an untimed catch-up run of each (into the
          // registry about to be dropped) leaves every tool's outputs current, and the cold step
          // measures empty repositories alone, not a rebuild.
          if (rep > 0) {
            await settle();
            for (const tool of tools) await run(tool);
          }
          await reg.drop();
          await useRegistry(await ctx.freshRegistry());
        }
        if (step === 'cold' || step === 'noop') await settle();
        for (const tool of rotate(tools, rep + STEPS.indexOf(step))) {
          if (step === 'one') editService(ws, 1, tag());
          if (step === 'shared') editSharedLib(ws, tag());
          if (step === 'one' || step === 'shared') lastEdit = Date.now();
          const mark = reg.proxy?.mark() ?? 0;
          const s = await run(tool);
          const sample: ScaleSample = { n, step, tool, rep, seconds: s.seconds, treeRssKiB: s.treeRssKiB };
          if (tool === 'ours') {
            const seen = reg.proxy?.since(mark);
            sample.goProcesses = s.calls;
            sample.builtBinaries = (s.stderr.match(/: built linux\/\w+ binary/g) ?? []).length;
            sample.uploads = seen?.uploads.length;
            sample.uploadBytes = seen?.uploads.reduce((a, u) => a + u.bytes, 0);
            sample.uploadedRepos = [...new Set((reg.proxy?.log.slice(mark) ?? []).filter((r) => r.method === 'PUT' && r.path.includes('/blobs/uploads/')).map((r) => /^\/v2\/(.+)\/blobs\/uploads\//.exec(r.path)?.[1] ?? '?'))].sort();
          }
          results.samples.push(sample);
          ctx.log(`8: N=${n} rep ${rep + 1}/${ctx.reps} ${step} ${tool}: ${s.seconds.toFixed(2)} s, tree ${(s.treeRssKiB / 1024).toFixed(0)} MiB${tool === 'ours' ? `; go processes ${JSON.stringify(sample.goProcesses)}, ${sample.uploads} uploads (${sample.uploadedRepos?.join(' ')})` : ''}`);
        }
      }
    }
    await reg.drop();
    rmSync(ws, { recursive: true, force: true });
    rmSync(floorOut, { recursive: true, force: true });
  }

  const syn = join(ctx.work, 'synthetic');
  const synTargets = writeSyntheticGraph(syn, 400);
  const ms: number[] = [];
  for (let k = 0; k < 3; k++) {
    const s = await measure(ctx.node, [resolve(import.meta.dirname, 'analyze.ts'), syn, '-', ...synTargets], { env: ctx.env });
    ms.push((JSON.parse(s.stdout) as { ms: number }).ms);
  }
  results.analysis.push({ what: 'synthetic: 400 services × 5 targets (go_library, go_binary, pkg_tar, oci_image, oci_push) = 2,000 targets from a .bzl macro with select()s', ms });
  rmSync(syn, { recursive: true, force: true });
  return results;
}

const med = (xs: number[]) => median(xs);

function cell(r: ScaleResults, n: number, step: Step, tool: Tool): number {
  return med(r.samples.filter((s) => s.n === n && s.step === step && s.tool === tool).map((s) => s.seconds));
}

/** Markdown for results.md: one table per step (N across), the targets of issue 20, the plot's name. */
export function scaleMarkdown(r: ScaleResults, ns: number[], svgName: string): string[] {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
  const lines: string[] = [];
  lines.push(`![time against N per step: ours, ko, go floor](${svgName})`);
  lines.push(
    [
      `| step | tool | ${ns.map((n) => `N = ${n}`).join(' | ')} | ours ÷ tool at N = ${ns[ns.length - 1]} |`,
      `| --- | --- | ${ns.map(() => '---:').join(' | ')} | ---: |`,
      ...STEPS.flatMap((step) =>
        TOOLS.map((tool) => {
          const last = ns[ns.length - 1] as number;
          const ratio = tool === 'ours' ? '1.00' : (cell(r, last, step, 'ours') / cell(r, last, step, tool)).toFixed(2);
          return `| ${STEP_TITLES[step]} | ${tool} | ${ns.map((n) => f(cell(r, n, step, tool))).join(' | ')} | ${ratio} |`;
        }),
      ),
    ].join('\n'),
  );
  const ours = (n: number, step: Step) => r.samples.filter((s) => s.n === n && s.step === step && s.tool === 'ours');
  const goText = (ss: ScaleSample[]) => ss.map((s) => Object.entries(s.goProcesses ?? {}).map(([k, v]) => `${v} ${k}`).join(' + ') || '0').join('; ');
  lines.push(
    [
      '| N | ours: go processes (per rep) — no-op | one service | shared lib | binaries built — one service | uploads — no-op | one service (repositories) | peak RSS of the tree, largest step (MiB) |',
      '| ---: | --- | --- | --- | --- | --- | --- | ---: |',
      ...ns.map((n) => {
        const one = ours(n, 'one');
        const rss = Math.max(...r.samples.filter((s) => s.n === n && s.tool === 'ours').map((s) => s.treeRssKiB)) / 1024;
        return `| ${n} | ${goText(ours(n, 'noop'))} | ${goText(one)} | ${goText(ours(n, 'shared'))} | ${one.map((s) => s.builtBinaries).join('; ')} | ${ours(n, 'noop').map((s) => s.uploads).join('; ')} | ${one.map((s) => `${s.uploads} (${s.uploadedRepos?.join(' ')})`).join('; ')} | ${rss.toFixed(0)} |`;
      }),
    ].join('\n'),
  );
  lines.push(
    [
      '| analysis alone (fresh process, median of 3) | ms |',
      '| --- | ---: |',
      ...r.analysis.map((a) => `| ${a.what} | ${med(a.ms).toFixed(0)} |`),
    ].join('\n'),
  );
  const big = ns[ns.length - 1] as number;
  const one = ours(big, 'one');
  const oneOk = one.every((s) => (s.goProcesses?.build ?? 0) <= 2 && s.builtBinaries === 2 && s.uploads === 4 && s.uploadedRepos?.length === 1);
  const noop = ours(big, 'noop');
  const noopOk = noop.every((s) => Object.keys(s.goProcesses ?? {}).length === 0 && s.uploads === 0);
  const maxRss = Math.max(...r.samples.filter((s) => s.tool === 'ours').map((s) => s.treeRssKiB)) / 1024;
  const synMs = med(r.analysis[r.analysis.length - 1]?.ms ?? []);
  const anMs = med(r.analysis.find((a) => a.what.startsWith(`N = ${big}:`))?.ms ?? []);
  const verdict = (ok: boolean) => (ok ? 'met' : 'missed');
  lines.push(
    [
      `Targets of issue 20 at N = ${big}:`,
      '',
      `- one service changed → pushed ≤ 1.0 s: ${f(cell(r, big, 'one', 'ours'))} s (${verdict(cell(r, big, 'one', 'ours') <= 1)}); exactly that service's blobs uploaded and no go build for the others: ${verdict(oneOk)}.`,
      `- shared library changed ≤ 1.5× the bare go build in the same run: ${f(cell(r, big, 'shared', 'ours'))} s ÷ ${f(cell(r, big, 'shared', 'go floor'))} s = ${(cell(r, big, 'shared', 'ours') / cell(r, big, 'shared', 'go floor')).toFixed(2)}× (${verdict(cell(r, big, 'shared', 'ours') <= 1.5 * cell(r, big, 'shared', 'go floor'))}).`,
      `- no-op ≤ 1.0 s, zero go processes, zero uploads: ${f(cell(r, big, 'noop', 'ours'))} s (${verdict(cell(r, big, 'noop', 'ours') <= 1)}); zero go processes and uploads: ${verdict(noopOk)}.`,
      Number.isFinite(cell(r, big, 'cold', 'ko'))
        ? `- cold push ≤ 0.3× ko: ${(cell(r, big, 'cold', 'ours') / cell(r, big, 'cold', 'ko')).toFixed(2)}× (${verdict(cell(r, big, 'cold', 'ours') <= 0.3 * cell(r, big, 'cold', 'ko'))}).`
        : '- cold push ≤ 0.3× ko: ko not run (BENCH_SCALE_TOOLS).',
      `- analysis ≤ 0.25 s: ${(anMs / 1000).toFixed(2)} s (${verdict(anMs <= 250)}); synthetic 2,000-target graph ≤ 1 s: ${(synMs / 1000).toFixed(2)} s (${verdict(synMs <= 1000)}).`,
      `- peak RSS of the process tree ≤ 300 MB: ${maxRss.toFixed(0)} MiB at most over every run of ours (${verdict(maxRss * 1.048576 <= 300)}).`,
    ].join('\n'),
  );
  return lines;
}

export function scaleSvg(r: ScaleResults, ns: number[]): string {
  const colors: Record<Tool, string> = { ours: '#1f77b4', ko: '#d62728', 'go floor': '#2ca02c' };
  const panels: PlotPanel[] = STEPS.map((step) => ({
    title: STEP_TITLES[step],
    series: TOOLS.map((tool) => ({ tool: tool === 'go floor' ? 'bare go build (both arches)' : tool, color: colors[tool], points: new Map(ns.map((n) => [n, cell(r, n, step, tool)])) })),
  }));
  return plotPanels('Monorepo scale: N services, multi-arch, one run (median seconds)', ns, panels);
}
