// `npm run bench` — our CLI against its peers on the same machine, in the same run:
//
//   1. hello_world loaded into Docker, warm Go cache, source changed before every build:
//      ours (`oci-build run …:image_amd64_load`) vs `ko build --local` vs `go build` + classic
//      `docker build` (FROM scratch + COPY), plus a bare `go build` for "our overhead".
//   2. multi-arch (amd64+arm64) push to a loopback registry, cold (fresh registry per
//      repetition) and warm (nothing changed): ours vs `ko build --platform=…`; blob uploads
//      counted by a recording proxy in front of the registry.
//   3. a large pkg_tar layer (256 MiB --quick, 1 GiB --full) on a base: our packing vs
//      `tar c | gzip -6`; pushing the same OCI layout: ours vs `crane push` vs `skopeo copy`.
//   4. incremental: one line of main.go changed, rebuilt and pushed (multi-arch, registry of 2).
//
// Tools take turns (A B A B …, first tool rotating), medians over the repetitions. Writes
// bench/results.md and bench/results.json (or --out DIR). Needs a Docker daemon
// (scripts/services start; source /tmp/oci-build-services/env — read automatically when
// DOCKER_HOST is unset), docker-registry, skopeo, Go (ko and crane are `go install`ed into
// ${tmpdir}/oci-build-bench/bin on first use) and an up-to-date dist/ (npm run build).
//
//   node bench/run.ts [--quick | --full] [--only 1,2,3,4] [--reps N] [--skip-profile] [--out DIR]
import { cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, appendFileSync, statSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startRegistry, type TestRegistry } from '../__tests__/helpers/registry.ts';
import { seedBaseImages } from '../__tests__/helpers/seed.ts';
import { BENCH_CACHE, ensureTools, measure, median, RecordingProxy, topFrames, type Sample } from './lib/measure.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    full: { type: 'boolean' },
    only: { type: 'string' },
    reps: { type: 'string' },
    'skip-profile': { type: 'boolean' },
    out: { type: 'string' },
  },
});
const MODE = flags.full ? 'full' : 'quick';
const CFG = MODE === 'full' ? { reps1: 7, reps2: 5, reps3: 3, bigMiB: 1024 } : { reps1: 3, reps2: 3, reps3: 2, bigMiB: 256 };
if (flags.reps) CFG.reps1 = CFG.reps2 = CFG.reps3 = Number(flags.reps);
const ONLY = new Set((flags.only ?? '1,2,3,4').split(',').map((s) => s.trim()));
const REPO = resolve(import.meta.dirname, '..');
const OUT_DIR = resolve(flags.out ?? join(REPO, 'bench'));
const CLI = join(REPO, 'dist', 'cli.js');
const NODE = process.execPath;
const EXAMPLE = join(REPO, 'examples', 'monorepo');
const T0 = performance.now();

const log = (m: string) => process.stderr.write(`[bench ${((performance.now() - T0) / 1000).toFixed(0).padStart(4)}s] ${m}\n`);

if (!process.env.DOCKER_HOST && existsSync('/tmp/oci-build-services/env')) {
  const m = /DOCKER_HOST=(\S+)/.exec(readFileSync('/tmp/oci-build-services/env', 'utf8'));
  if (m) process.env.DOCKER_HOST = m[1]!.replace(/^["']|["']$/g, '');
}
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);

// Every command runs with an empty Docker config (no ambient credentials) and Go pinned local.
mkdirSync(BENCH_CACHE, { recursive: true });
const WORK = mkdtempSync(join(tmpdir(), 'oci-build-bench-run-'));
const DOCKER_CONFIG = join(WORK, 'docker-config');
mkdirSync(DOCKER_CONFIG);
writeFileSync(join(DOCKER_CONFIG, 'config.json'), '{"auths":{}}');
const ENV: NodeJS.ProcessEnv = { ...process.env, DOCKER_CONFIG, GOTOOLCHAIN: 'local', GOFLAGS: '' };
delete ENV.NODE_OPTIONS;

// ---------------------------------------------------------------------------------------------
// Results

interface Row {
  tool: string;
  samples: Array<Sample & { extra?: Record<string, unknown> }>;
  /** Extra text for the table's notes column. */
  notes?: string;
}
interface Section {
  id: string;
  title: string;
  rows: Row[];
  /** The row ours is compared to the others with. */
  ours: string;
  lines: string[];
}
const sections: Section[] = [];

function row(section: Section, tool: string): Row {
  let r = section.rows.find((x) => x.tool === tool);
  if (!r) section.rows.push((r = { tool, samples: [] }));
  return r;
}

function lean(s: Sample, extra?: Record<string, unknown>): Sample & { extra?: Record<string, unknown> } {
  return { seconds: s.seconds, maxRssKiB: s.maxRssKiB, treeRssKiB: s.treeRssKiB, code: s.code, stdout: '', stderr: '', ...(extra ? { extra } : {}) };
}

const med = (r: Row | undefined, f: (s: Sample) => number) => (r ? median(r.samples.map(f)) : NaN);
const fmtS = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const fmtMiB = (kib: number) => (Number.isFinite(kib) ? (kib / 1024).toFixed(0) : '–');

function table(section: Section): string {
  const ours = section.rows.find((r) => r.tool === section.ours);
  const oursMed = med(ours, (s) => s.seconds);
  const out = [
    '| tool | runs | median s | min–max s | ours ÷ tool | peak RSS, largest process (MiB) | peak RSS, process tree (MiB) | notes |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of section.rows) {
    const secs = r.samples.map((s) => s.seconds);
    const m = median(secs);
    const ratio = r === ours ? '1.00' : r.tool.startsWith('ours: ') ? '–' : (oursMed / m).toFixed(2);
    out.push(
      `| ${r.tool} | ${secs.length} | ${fmtS(m)} | ${fmtS(Math.min(...secs))}–${fmtS(Math.max(...secs))} | ${ratio} | ${fmtMiB(med(r, (s) => s.maxRssKiB))} | ${fmtMiB(med(r, (s) => s.treeRssKiB))} | ${r.notes ?? ''} |`,
    );
  }
  return out.join('\n');
}

async function version(cmd: string, args: string[]): Promise<string> {
  const s = await measure(cmd, args, { env: ENV }, true);
  return (s.stdout || s.stderr).trim().split('\n')[0] ?? '?';
}

function rotate<T>(xs: T[], by: number): T[] {
  const k = by % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

// ---------------------------------------------------------------------------------------------
// Workspaces

function copyExample(name: string): string {
  const dir = join(WORK, name);
  cpSync(EXAMPLE, dir, { recursive: true, filter: (s) => !s.includes('.oci-build') });
  return dir;
}

let editCounter = 0;
/** Changes the program's string constant (one line of main.go), so every build compiles and links anew. */
function editSource(ws: string): void {
  const f = join(ws, 'apps', 'hello_world', 'main.go');
  const src = readFileSync(f, 'utf8');
  const next = src.replace(/msg := "[^"]*"/, `msg := "Hello, World! ${process.pid}-${++editCounter}"`);
  if (next === src) throw new Error(`bench: could not edit ${f}`);
  writeFileSync(f, next);
}

const KO_YAML = `builds:
- id: hello_world
  dir: .
  main: ./apps/hello_world
  env: [CGO_ENABLED=0]
  flags: [-trimpath, -buildvcs=false]
  ldflags: [-buildid=]
`;

const MODULE_ORIGINAL = readFileSync(join(EXAMPLE, 'MODULE.bazel'), 'utf8');
function setBase(ws: string, image: string, digest: string): void {
  writeFileSync(
    join(ws, 'MODULE.bazel'),
    `${MODULE_ORIGINAL}\noci = use_extension("@rules_oci//oci:extensions.bzl", "oci")\noci.pull(name = "base", digest = "${digest}", image = "${image}")\nuse_repo(oci, "base")\n`,
  );
}

function oursBlobLine(stderr: string): string {
  const m = /(\d+) blob\(s\) uploaded \((\d+) bytes\), (\d+) skipped \(already there\), (\d+) mounted/.exec(stderr);
  return m ? `${m[1]} up (${(Number(m[2]) / 1048576).toFixed(1)} MiB), ${m[3]} skipped, ${m[4]} mounted` : '?';
}

// ---------------------------------------------------------------------------------------------

// The SBOM (an SPDX referrer per image) is ours by default; ko runs with --sbom=none, so the main
// rows turn ours off too when this dist/ knows --no-sbom, and one extra row keeps the default.
const NO_SBOM = (await measure(NODE, [CLI, '--help'], { env: ENV }, true)).stdout.includes('--no-sbom') ? ['--no-sbom'] : [];
const OURS = NO_SBOM.length ? 'ours (--no-sbom)' : 'ours';
const OURS_SBOM = 'ours (default: with SBOM)';
const PUSHING = /^> Pushing/m;
const BUILDING = /^> Building/m;
const LOADING = /^> Loading/m;
const OURS_PUSH_PHASE = 'ours: push phase only (from "> Pushing" to exit)';
const OURS_LOAD_PHASE = 'ours: load phase only (from "> Loading" to exit)';

log(`mode ${MODE}: workloads ${[...ONLY].join(',')}; work dir ${WORK}`);
const tools = await ensureTools(log);
const machine = {
  date: new Date().toISOString(),
  mode: MODE,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? '?',
  memGiB: Math.round(totalmem() / 2 ** 30),
  loadavgStart: loadavg().map((x) => x.toFixed(2)).join(' '),
  node: process.version,
  go: await version('go', ['version']),
  ko: await version(tools.ko, ['version']),
  crane: await version(tools.crane, ['version']),
  skopeo: await version('skopeo', ['--version']),
  docker: await version('docker', ['version', '--format', '{{.Server.Version}}']),
  loadavgEnd: '',
};
log(`${JSON.stringify(machine)}`);

const registries: TestRegistry[] = [];
const proxies: RecordingProxy[] = [];
async function freshRegistry(withProxy: boolean): Promise<{ reg: TestRegistry; proxy?: RecordingProxy; host: string }> {
  const reg = await startRegistry({ mode: 'anonymous' });
  registries.push(reg);
  if (!withProxy) return { reg, host: reg.host };
  const proxy = new RecordingProxy(reg.port);
  await proxy.start();
  proxies.push(proxy);
  return { reg, proxy, host: proxy.host };
}
async function dropRegistry(r: { reg: TestRegistry; proxy?: RecordingProxy }): Promise<void> {
  await r.proxy?.stop();
  await r.reg.stop();
  registries.splice(registries.indexOf(r.reg), 1);
}

// The base every workload uses (ko needs one; workload 3's image sits on it).
const baseReg = await freshRegistry(false);
const baseSeed = await seedBaseImages(baseReg.host);
log(`seeded base ${baseSeed.oci.digestReference}`);
const profiles: string[] = [];

try {
  // -------------------------------------------------------------------------------------------
  // 1. hello_world into Docker, source changed every build
  if (ONLY.has('1')) {
    const ws = copyExample('w1');
    writeFileSync(join(ws, '.ko.yaml'), KO_YAML);
    const ctx = join(ws, 'docker-ctx');
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY hello_world /hello_world\nENTRYPOINT ["/hello_world"]\n');
    const goEnv = { ...ENV, CGO_ENABLED: '0', GOOS: 'linux', GOARCH: 'amd64' };
    const GO_FLAGS = '-trimpath -buildvcs=false -ldflags=-buildid=';
    const section: Section = { id: '1', title: '1. hello_world → Docker (warm Go cache, source changed before every build)', rows: [], ours: `${OURS}: oci-build run …:image_amd64_load`, lines: [] };
    sections.push(section);
    const contenders: Array<[string, () => Promise<Sample>]> = [
      [section.ours, () => measure(NODE, [CLI, 'run', ...NO_SBOM, '-C', ws, '//apps/hello_world:image_amd64_load'], { env: ENV, marks: [LOADING] })],
      ...(NO_SBOM.length ? [[OURS_SBOM, () => measure(NODE, [CLI, 'run', '-C', ws, '//apps/hello_world:image_amd64_load'], { env: ENV })] as [string, () => Promise<Sample>]] : []),
      [
        'ko build --local (seeded base)',
        () => measure(tools.ko, ['build', '--local', '--platform=linux/amd64', '--sbom=none', '--insecure-registry', './apps/hello_world'], { cwd: ws, env: { ...ENV, KO_DEFAULTBASEIMAGE: baseSeed.oci.digestReference } }),
      ],
      [
        'go build + docker build (classic, FROM scratch)',
        () => measure(`go build ${GO_FLAGS} -o ${ctx}/hello_world ./apps/hello_world && DOCKER_BUILDKIT=0 docker build -q -t bench-docker:latest ${ctx}`, [], { cwd: ws, env: goEnv, shell: true }),
      ],
      ['bare go build (same flags)', () => measure('go', ['build', '-trimpath', '-buildvcs=false', '-ldflags=-buildid=', '-o', join(ws, 'bare', 'hello_world'), './apps/hello_world'], { cwd: ws, env: goEnv })],
    ];
    log('1: warm-up (one untimed build each)');
    for (const [, fn] of contenders) {
      editSource(ws);
      await fn();
    }
    for (let rep = 0; rep < CFG.reps1; rep++) {
      for (const [name, fn] of rotate(contenders, rep)) {
        editSource(ws);
        const s = await fn();
        row(section, name).samples.push(lean(s));
        const at = s.marks?.[LOADING.source];
        if (name === section.ours && at !== undefined) row(section, OURS_LOAD_PHASE).samples.push({ ...lean(s), seconds: s.seconds - at });
        log(`1: rep ${rep + 1}/${CFG.reps1} ${name}: ${s.seconds.toFixed(2)} s, ${fmtMiB(s.maxRssKiB)}/${fmtMiB(s.treeRssKiB)} MiB`);
      }
    }
    section.lines.push('The load-phase row is the time from our `> Loading` line to exit (RSS columns there are the whole run\'s).');
    const overhead = med(row(section, section.ours), (s) => s.seconds) - med(row(section, 'bare go build (same flags)'), (s) => s.seconds);
    section.lines.push(`Our overhead beyond a bare \`go build\` of the same package with the same flags: **${overhead.toFixed(2)} s** (median minus median).`);
    section.lines.push('ko builds on the seeded distroless-like base (it needs one; one extra small layer), with `--sbom=none` and the same `-trimpath -buildvcs=false -ldflags=-buildid=` via `.ko.yaml`; ours and `docker build` produce a scratch image. Docker-daemon work (image import) is not in the RSS columns: dockerd is not a child of the command.');

    if (!flags['skip-profile']) {
      const dir = join(WORK, 'prof1');
      editSource(ws);
      await measure(NODE, ['--cpu-prof', '--cpu-prof-dir', dir, CLI, 'run', ...NO_SBOM, '-C', ws, '//apps/hello_world:image_amd64_load'], { env: ENV });
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (file) profiles.push(profileSection('workload 1, ours (dist/cli.js run …:image_amd64_load)', readFileSync(join(dir, file), 'utf8')));
    }
  }

  // -------------------------------------------------------------------------------------------
  // 2 + 4. multi-arch push: cold (fresh registry), warm (unchanged), incremental (main.go edited)
  if (ONLY.has('2') || ONLY.has('4')) {
    const ws = copyExample('w2');
    writeFileSync(join(ws, '.ko.yaml'), KO_YAML);
    appendFileSync(
      join(ws, 'apps/hello_world/BUILD.bazel'),
      `\nload("@rules_oci//oci:defs.bzl", "oci_push")\ngo_binary(name = "auto", embed = [":hello_world_lib"], pure = "on")\npkg_tar(name = "pkg_auto", srcs = [":auto"])\noci_image(name = "based", base = "@base", entrypoint = ["/auto"], tars = [":pkg_auto"])\noci_push(name = "push", image = ":based", repository = "127.0.0.1:9/unused", remote_tags = ["latest"])\n`,
    );
    const s2: Section = { id: '2', title: '2. multi-arch (linux/amd64 + linux/arm64) push to a loopback registry', rows: [], ours: `${OURS} cold`, lines: [] };
    const s4: Section = { id: '4', title: '4. incremental: one line of main.go changed, rebuilt and pushed (multi-arch)', rows: [], ours: `${OURS} incremental`, lines: [] };
    sections.push(s2, s4);
    const oursCmd = (host: string, extra: string[] = NO_SBOM) => measure(NODE, [CLI, 'run', ...extra, '-C', ws, '//apps/hello_world:push', '-p', 'linux/amd64', '-p', 'linux/arm64', '--repository', `${host}/hello-ours${extra.length ? '' : '-sbom'}`, '-t', 'latest'], { env: ENV, marks: [BUILDING, PUSHING] });
    const koCmd = (host: string, digest: string) =>
      measure(tools.ko, ['build', '--platform=linux/amd64,linux/arm64', '--bare', '--sbom=none', '--insecure-registry', '-t', 'latest', './apps/hello_world'], {
        cwd: ws,
        env: { ...ENV, KO_DOCKER_REPO: `${host}/hello-ko`, KO_DEFAULTBASEIMAGE: `${host}/base-oci@${digest}` },
      });
    const incremental: Record<string, string[]> = { [OURS]: [], ko: [] };

    const setup = async () => {
      const r = await freshRegistry(true);
      const seed = await seedBaseImages(r.reg.host);
      setBase(ws, `${r.host}/base-oci`, seed.oci.indexDigest);
      return { r, digest: seed.oci.indexDigest };
    };
    {
      log('2: warm-up on a throwaway registry');
      const { r, digest } = await setup();
      await oursCmd(r.host);
      await koCmd(r.host, digest);
      await dropRegistry(r);
    }
    for (let rep = 0; rep < CFG.reps2; rep++) {
      const { r, digest } = await setup();
      const proxy = r.proxy!;
      const pair: Array<[string, () => Promise<Sample>]> = rotate(
        [
          [OURS, () => oursCmd(r.host)],
          ['ko', () => koCmd(r.host, digest)],
          ...(NO_SBOM.length ? [[OURS_SBOM, () => oursCmd(r.host, [])] as [string, () => Promise<Sample>]] : []),
        ],
        rep,
      );
      for (const phase of ['cold', 'warm', 'incremental'] as const) {
        if (phase !== 'incremental' && !ONLY.has('2')) continue;
        if (phase === 'incremental' && !ONLY.has('4')) continue;
        for (const [name, fn] of pair) {
          if (phase === 'incremental' && name === OURS_SBOM) continue;
          if (phase === 'incremental') editSource(ws);
          const mark = proxy.mark();
          const s = await fn();
          const seen = proxy.since(mark);
          const upMiB = seen.uploads.reduce((a, u) => a + u.bytes, 0) / 1048576;
          const label = phase === 'incremental' ? `${name} incremental` : `${name} ${phase}`;
          const extra = { uploads: seen.uploads, mounts: seen.mounts, heads: seen.heads, manifestPuts: seen.manifests, requests: seen.requests, ...(name.startsWith('ours') ? { self: oursBlobLine(s.stderr) } : {}) };
          if (name.startsWith('ours')) Object.assign(extra, { goBuilds: (s.stderr.match(/: built linux\/\w+ binary/g) ?? []).length });
          row(phase === 'incremental' ? s4 : s2, label).samples.push(lean(s, extra));
          const b = s.marks?.[BUILDING.source];
          const p = s.marks?.[PUSHING.source];
          if (name === OURS && b !== undefined && p !== undefined) {
            row(phase === 'incremental' ? s4 : s2, `ours: ${phase}, start-up + analysis (to "> Building")`).samples.push({ ...lean(s), seconds: b });
            row(phase === 'incremental' ? s4 : s2, `ours: ${phase}, build phase ("> Building" to "> Pushing")`).samples.push({ ...lean(s), seconds: p - b });
            row(phase === 'incremental' ? s4 : s2, `ours: ${phase}, push phase ("> Pushing" to exit)`).samples.push({ ...lean(s), seconds: s.seconds - p });
          }
          if (phase === 'incremental') incremental[name]!.push(seen.uploads.map((u) => `${u.digest.slice(7, 19)} ${(u.bytes / 1024).toFixed(0)} KiB`).join(', '));
          log(`${phase === 'incremental' ? 4 : 2}: rep ${rep + 1}/${CFG.reps2} ${label}: ${s.seconds.toFixed(2)} s, blobs uploaded ${seen.uploads.length} (${upMiB.toFixed(1)} MiB), mounts ${seen.mounts}, HEAD ${seen.heads}, manifests ${seen.manifests}, requests ${seen.requests}${name.startsWith('ours') ? `; self-reported ${oursBlobLine(s.stderr)}` : ''}`);
        }
      }
      await dropRegistry(r);
    }
    for (const sec of [s2, s4]) {
      for (const r of sec.rows) {
        const last = r.samples[r.samples.length - 1]?.extra as { uploads: Array<{ bytes: number }>; mounts: number; heads: number; manifestPuts: number; requests: number; self?: string } | undefined;
        if (!last) continue;
        const ups = median(r.samples.map((s) => (s.extra?.uploads as unknown[]).length));
        const mib = median(r.samples.map((s) => (s.extra?.uploads as Array<{ bytes: number }>).reduce((a, u) => a + u.bytes, 0) / 1048576));
        if (r.tool.startsWith('ours: ')) continue;
        r.notes = `blob uploads ${ups} (${mib.toFixed(2)} MiB), mounts ${last.mounts}, HEADs ${last.heads}, manifest PUTs ${last.manifestPuts}, requests ${last.requests}${last.self ? `; CLI says: ${last.self}; go builds run: ${(last as { goBuilds?: number }).goBuilds}` : ''}`;
      }
    }
    const ratio = (a: string, b: string, sec: Section, other = sec) => (med(row(sec, a), (s) => s.seconds) / med(row(other, b), (s) => s.seconds)).toFixed(2);
    s2.lines.push('Each repetition starts a fresh `docker-registry` (the seeded base in `base-oci` is its only content), behind a recording proxy that counts requests; both tools push through it. Cold = empty target repository (base layers may be mounted); warm = the same push again with nothing changed. Go build cache and our blob store are warm in both (a warm-up run precedes). `ours ÷ tool` compares with the cold run of ours; ko runs with `--sbom=none`.');
    if (ONLY.has('2')) s2.lines.push(`ours warm ÷ ko warm: **${ratio(`${OURS} warm`, 'ko warm', s2)}**.`);
    if (ONLY.has('4')) {
      s4.lines.push(`Before each tool's push one line of main.go (the message constant) changes; the registry already holds the previous version (cold + warm pushes of the same repetition). ours incremental ÷ ko incremental: **${ratio(`${OURS} incremental`, 'ko incremental', s4)}**${ONLY.has('2') ? `; ours incremental ÷ ours cold: **${ratio(`${OURS} incremental`, `${OURS} cold`, s4, s2)}**; ko incremental ÷ ko cold: **${ratio('ko incremental', 'ko cold', s4, s2)}**` : ''}.`);
      s4.lines.push(`Blobs uploaded in the last incremental push — ours: ${incremental[OURS]!.at(-1) || 'none'}; ko: ${incremental.ko!.at(-1) || 'none'}.`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // 3. large layer
  if (ONLY.has('3')) {
    const data = generateData(CFG.bigMiB);
    const ws = join(WORK, 'w3');
    mkdirSync(join(ws, 'big', 'data'), { recursive: true });
    for (const f of readdirSync(data)) linkSync(join(data, f), join(ws, 'big', 'data', f));
    setBase(ws, baseSeed.oci.image, baseSeed.oci.indexDigest);
    writeFileSync(join(ws, 'BUILD.bazel'), '');
    writeFileSync(
      join(ws, 'big', 'BUILD.bazel'),
      `load("@rules_pkg//:pkg.bzl", "pkg_tar")\nload("@rules_oci//oci:defs.bzl", "oci_image", "oci_push")\npkg_tar(name = "data", srcs = glob(["data/*"]), package_dir = "data", extension = "tar.gz")\noci_image(name = "image", base = "@base", tars = [":data"])\noci_push(name = "push", image = ":image", repository = "127.0.0.1:9/unused", remote_tags = ["latest"])\n`,
    );
    const inputMiB = readdirSync(data).reduce((a, f) => a + statSync(join(data, f)).size, 0) / 1048576;
    const pack: Section = { id: '3a', title: `3a. packing a ${inputMiB.toFixed(0)} MiB layer (half text, half random) into tar.gz`, rows: [], ours: `${OURS}: oci-build build //big:image (fresh output dir)`, lines: [] };
    const push: Section = { id: '3b', title: `3b. pushing that image (${inputMiB.toFixed(0)} MiB input) from its OCI layout to an empty loopback registry`, rows: [], ours: `${OURS}: oci-build run //big:push (already built)`, lines: [] };
    sections.push(pack, push);
    const policy = join(WORK, 'policy.json');
    writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    const skopeoHome = join(WORK, 'skopeo-home');
    mkdirSync(skopeoHome);
    let layerMiB = 0;
    for (let rep = 0; rep < CFG.reps3; rep++) {
      const out = join(WORK, `w3-out-${rep}`);
      const packers: Array<[string, () => Promise<Sample>]> = [
        [pack.ours, () => measure(NODE, [CLI, 'build', ...NO_SBOM, '-C', ws, '-o', out, '//big:image'], { env: ENV })],
        ['tar c | gzip -6 (same files)', () => measure(`tar -C ${join(ws, 'big', 'data')} -cf - . | gzip -6 > ${join(WORK, 'peer.tar.gz')}`, [], { env: ENV, shell: true })],
      ];
      let layout = '';
      for (const [name, fn] of rotate(packers, rep)) {
        const s = await fn();
        row(pack, name).samples.push(lean(s, { MiBps: inputMiB / s.seconds }));
        log(`3a: rep ${rep + 1}/${CFG.reps3} ${name}: ${s.seconds.toFixed(2)} s (${(inputMiB / s.seconds).toFixed(0)} MiB/s), ${fmtMiB(s.maxRssKiB)}/${fmtMiB(s.treeRssKiB)} MiB`);
        if (name === pack.ours) layout = s.stdout.trim().split('\n').find((l) => l.startsWith('//big:image'))?.split('  ').at(-1) ?? '';
      }
      if (!layout || !existsSync(join(layout, 'index.json'))) throw new Error(`bench: no OCI layout for //big:image under ${out}`);
      layerMiB = readdirSync(join(layout, 'blobs', 'sha256')).reduce((a, f) => Math.max(a, statSync(join(layout, 'blobs', 'sha256', f)).size), 0) / 1048576;
      rmSync(join(WORK, 'peer.tar.gz'), { force: true });
      const pushers: Array<[string, (host: string) => Promise<Sample>]> = [
        [push.ours, (host) => measure(NODE, [CLI, 'run', ...NO_SBOM, '-C', ws, '-o', out, '//big:push', '--repository', `${host}/big`, '-t', 'latest'], { env: ENV, marks: [PUSHING] })],
        ['crane push (same layout)', (host) => measure(tools.crane, ['push', '--insecure', layout, `${host}/big:latest`], { env: ENV })],
        ['skopeo copy (same layout)', (host) => measure('skopeo', ['--policy', policy, 'copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}`, `docker://${host}/big:latest`], { env: { ...ENV, HOME: skopeoHome, XDG_RUNTIME_DIR: skopeoHome } })],
      ];
      for (const [name, fn] of rotate(pushers, rep)) {
        const r = await freshRegistry(false);
        const s = await fn(r.host);
        row(push, name).samples.push(lean(s, name === push.ours ? { self: oursBlobLine(s.stderr) } : undefined));
        const at = s.marks?.[PUSHING.source];
        if (name === push.ours && at !== undefined) row(push, OURS_PUSH_PHASE).samples.push({ ...lean(s), seconds: s.seconds - at });
        log(`3b: rep ${rep + 1}/${CFG.reps3} ${name}: ${s.seconds.toFixed(2)} s, ${fmtMiB(s.maxRssKiB)}/${fmtMiB(s.treeRssKiB)} MiB${name === push.ours ? `; ${oursBlobLine(s.stderr)}` : ''}`);
        await dropRegistry(r);
      }
      if (rep === CFG.reps3 - 1 && !flags['skip-profile']) {
        const dir = join(WORK, 'prof3');
        await measure(NODE, ['--cpu-prof', '--cpu-prof-dir', dir, CLI, 'build', ...NO_SBOM, '-C', ws, '-o', join(WORK, 'w3-prof-out'), '//big:image'], { env: ENV });
        const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
        if (file) profiles.push(profileSection('workload 3a, ours (dist/cli.js build //big:image, fresh output dir)', readFileSync(join(dir, file), 'utf8')));
        rmSync(join(WORK, 'w3-prof-out'), { recursive: true, force: true });
      }
      rmSync(out, { recursive: true, force: true });
    }
    for (const r of pack.rows) r.notes = `${median(r.samples.map((s) => s.extra?.MiBps as number)).toFixed(0)} MiB/s of input`;
    for (const r of push.rows) r.notes = `${(layerMiB / median(r.samples.map((s) => s.seconds))).toFixed(0)} MiB/s of the ${layerMiB.toFixed(0)} MiB layer${r.tool === push.ours ? `; CLI says: ${r.samples.at(-1)?.extra?.self as string}` : ''}`;
    pack.lines.push(`Input: ${readdirSync(data).length} files, ${inputMiB.toFixed(0)} MiB (half generated text, half random bytes); compressed layer ${layerMiB.toFixed(0)} MiB. Ours includes analysis and the whole build (base from the store); the peer is the bare pipeline.`);
    push.lines.push('A fresh registry for every push (no mounts possible). `ours` runs `run` on the already-built output dir: it has no cache of build actions across runs, so it packs the layer again before pushing; the push-phase row is the time from its `> Pushing` line to exit (RSS columns there are the whole run\'s).');
  }
} finally {
  machine.loadavgEnd = loadavg().map((x) => x.toFixed(2)).join(' ');
  for (const p of proxies) await p.stop();
  for (const r of [...registries]) await r.stop();
  writeResults();
  rmSync(WORK, { recursive: true, force: true });
  // Untag what this run loaded into Docker (ko tags every build by digest); layers go with them.
  if (ONLY.has('1')) {
    const listed = await measure('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'], { env: ENV }, true);
    const ours = listed.stdout.split('\n').filter((t) => t.startsWith('ko.local/hello_world') || t === 'bench-docker:latest');
    if (ours.length) await measure('docker', ['rmi', ...ours], { env: ENV }, true);
  }
}

function profileSection(title: string, json: string): string {
  const { totalMs: total, frames } = topFrames(json, 40);
  const special = (f: string) => f.startsWith('(idle)') || f.startsWith('(program)') || f.startsWith('(garbage collector)');
  const summary = frames.filter((f) => special(f.frame)).map((f) => `${f.frame} ${f.selfMs} ms (${f.pct} %)`).join(', ');
  return [
    `**${title}** — ${total.toFixed(0)} ms profiled; ${summary}. Top self-time frames on the main thread:`,
    '',
    '| frame | self ms | % |',
    '| --- | ---: | ---: |',
    ...frames.filter((f) => !special(f.frame)).slice(0, 12).map((f) => `| \`${f.frame}\` | ${f.selfMs} | ${f.pct} |`),
  ].join('\n');
}

function generateData(mib: number): string {
  const dir = join(BENCH_CACHE, `data-${mib}MiB`);
  const fileMiB = 8;
  const count = Math.max(2, Math.round(mib / fileMiB));
  if (existsSync(join(dir, '.done'))) return dir;
  log(`3: generating ${mib} MiB of test files in ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const words = 'the of and to in is was for on that with as by at from his it an were are which this be or has had not but have also first one their its new after who they two her she been other when there all during into school time may years more most only over city some world would where later up such used many can state about national out known university united then made'.split(' ');
  for (let i = 0; i < count; i++) {
    const name = join(dir, `file-${String(i).padStart(4, '0')}.${i % 2 ? 'bin' : 'txt'}`);
    if (i % 2) {
      writeFileSync(name, randomBytes(fileMiB << 20));
    } else {
      // Log-like lines from a seeded PRNG: compresses about 3-4x with gzip -6.
      let seed = createHash('sha256').update(String(i)).digest().readUInt32LE(0);
      const next = () => ((seed = (seed * 1664525 + 1013904223) >>> 0), seed);
      const parts: string[] = [];
      let size = 0;
      let line = 0;
      while (size < fileMiB << 20) {
        const n = 6 + (next() % 10);
        const ws: string[] = [];
        for (let k = 0; k < n; k++) ws.push(words[next() % words.length]!);
        const l = `${String(line++).padStart(8, '0')} ${(next() % 100000).toString(16)} ${ws.join(' ')}\n`;
        parts.push(l);
        size += l.length;
      }
      writeFileSync(name, parts.join('').slice(0, fileMiB << 20));
    }
  }
  writeFileSync(join(dir, '.done'), '');
  return dir;
}

function writeResults(): void {
  const md: string[] = [
    `# Benchmark results (${MODE})`,
    '',
    `Generated by \`node bench/run.ts --${MODE}\` on ${machine.date}: ${machine.cpus} × ${machine.cpuModel}, ${machine.memGiB} GiB; load average ${machine.loadavgStart} at start, ${machine.loadavgEnd} at the end (others may share the machine).`,
    `Node ${machine.node}, ${machine.go}, ko ${machine.ko}, crane ${machine.crane}, ${machine.skopeo}, Docker Engine ${machine.docker}.`,
    '',
    'Tools take turns within each repetition (A B C, B C A, …); medians over the repetitions. `ours ÷ tool` < 1 means ours is faster. Peak RSS: *largest process* is GNU time `%M` (the largest single process of the command\'s tree); *process tree* is the largest sum of RSS over the tree, sampled from /proc every 100 ms.',
    '',
  ];
  for (const s of sections) {
    if (s.rows.length === 0) continue;
    md.push(`## ${s.title}`, '', table(s), '');
    for (const l of s.lines) md.push(l, '');
  }
  if (profiles.length) {
    md.push('## Where our time goes (`node --cpu-prof`)', '');
    for (const p of profiles) md.push(p, '');
  }
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, 'results.md'), md.join('\n'));
  writeFileSync(
    join(OUT_DIR, 'results.json'),
    `${JSON.stringify({ machine, sections: sections.map((s) => ({ ...s, rows: s.rows.map((r) => ({ ...r, medianSeconds: median(r.samples.map((x) => x.seconds)), samples: r.samples.map(({ stdout: _o, stderr: _e, ...rest }) => rest) })) })), profiles }, null, 2)}\n`,
  );
  log(`wrote ${join(OUT_DIR, 'results.md')} and results.json (${((performance.now() - T0) / 1000).toFixed(0)} s in all)`);
}
