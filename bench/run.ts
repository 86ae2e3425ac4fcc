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
//   5. change-to-pushed, one platform (linux/amd64): main.go changed, rebuilt and pushed to a
//      registry holding the previous version: ours vs `ko build --platform=linux/amd64`.
//   6. a second `docker load` of an image on a ~30 MiB base (source changed, fresh output dir):
//      bytes sent to the daemon (counted by a proxy on the Docker socket) vs `ko build --local`.
//   7. pushing an image on that base with an empty blob store (fresh output dir) to the base's
//      own registry and to a second one: base-layer bytes downloaded (GETs counted by a proxy).
//
// Tools take turns (A B A B …, first tool rotating), medians over the repetitions. Writes
// bench/results.md and bench/results.json (or --out DIR). Needs a Docker daemon
// (scripts/services start; source /tmp/oci-build-services/env — read automatically when
// DOCKER_HOST is unset), docker-registry, skopeo, Go (ko and crane are `go install`ed into
// ${tmpdir}/oci-build-bench/bin on first use) and an up-to-date dist/ (npm run build).
//
//   node bench/run.ts [--quick | --full] [--only 1,2,3,4,5,6,7] [--reps N] [--skip-profile] [--out DIR]
//                     [--cli PATH (instead of dist/cli.js, e.g. a bundle of another commit)]
import { cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, appendFileSync, statSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startRegistry, type TestRegistry } from '../__tests__/helpers/registry.ts';
import { seedBaseImages } from '../__tests__/helpers/seed.ts';
import { runScale, scaleMarkdown, scaleSvg, type ScaleResults } from './lib/scale.ts';
import { BENCH_CACHE, ensureTools, measure, median, RecordingProxy, topFrames, type Sample } from './lib/measure.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    full: { type: 'boolean' },
    only: { type: 'string' },
    reps: { type: 'string' },
    'skip-profile': { type: 'boolean' },
    out: { type: 'string' },
    cli: { type: 'string' },
    'scale-n': { type: 'string' },
  },
});
const MODE = flags.full ? 'full' : 'quick';
const CFG = MODE === 'full' ? { reps1: 7, reps2: 5, reps3: 3, bigMiB: 1024 } : { reps1: 3, reps2: 3, reps3: 2, bigMiB: 256 };
if (flags.reps) CFG.reps1 = CFG.reps2 = CFG.reps3 = Number(flags.reps);
const ONLY = new Set((flags.only ?? '1,2,3,4,5,6,7,8').split(',').map((s) => s.trim()));
const REPO = resolve(import.meta.dirname, '..');
const OUT_DIR = resolve(flags.out ?? join(REPO, 'bench'));
const CLI = flags.cli ? resolve(flags.cli) : join(REPO, 'dist', 'cli.js');
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
  /** The row of ours that this row's `ours ÷ tool` divides (default: the section's `ours`). */
  vs?: string;
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
    const ref = r.vs ? med(section.rows.find((x) => x.tool === r.vs), (s) => s.seconds) : oursMed;
    const ratio = r === ours || r.vs === r.tool ? '1.00' : r.tool.startsWith('ours: ') ? '–' : (ref / m).toFixed(2);
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
let lastEdit = 0;
/**
 * Waits until the last edit is older than the action cache's racy window (2 s): a build that
 * soon after an edit is not remembered (see src/go/action_cache.ts), and a real re-run of an
 * unchanged tree (CI re-runs, a second push) comes later than that.
 */
async function settleSources(): Promise<void> {
  const wait = lastEdit + 2100 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
/** Changes the program's string constant (one line of main.go), so every build compiles and links anew. */
function editSource(ws: string): void {
  lastEdit = Date.now();
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
  ldflags: [-s, -w]
`;

const MODULE_ORIGINAL = readFileSync(join(EXAMPLE, 'MODULE.bazel'), 'utf8');
function setBase(ws: string, image: string, digest: string): void {
  writeFileSync(
    join(ws, 'MODULE.bazel'),
    `${MODULE_ORIGINAL}\noci = use_extension("@rules_oci//oci:extensions.bzl", "oci")\noci.pull(name = "base", digest = "${digest}", image = "${image}")\nuse_repo(oci, "base")\n`,
  );
}

// Workloads 5-7 add a one-platform (linux/amd64) image on @base to hello_world's package.
const LOAD_TAG_OURS = 'oci-build-bench-based:latest';
const LOAD_REPO_KO = 'ko.local/oci-build-bench-based-ko';
/**
 * Removes workload 6's tags and every image holding base-big's own layer (only bench runs make
 * such images): a re-tagged image stays behind as a dangling one and keeps the base's layers.
 */
async function removeLoaded(): Promise<void> {
  const listed = await measure('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'], { env: ENV }, true);
  const tags = listed.stdout.split('\n').filter((t) => t === LOAD_TAG_OURS || t.startsWith(`${LOAD_REPO_KO}:`));
  if (tags.length) await measure('docker', ['rmi', ...tags], { env: ENV }, true);
  const diffId = bigBase?.diffIds.at(-1);
  if (!diffId) return;
  const ids = [...new Set((await measure('docker', ['images', '-aq', '--no-trunc'], { env: ENV }, true)).stdout.split('\n').filter(Boolean))];
  if (!ids.length) return;
  const inspected = await measure('docker', ['image', 'inspect', '--format', '{{.Id}} {{json .RootFS.Layers}}', ...ids], { env: ENV }, true);
  const holding = inspected.stdout.split('\n').filter((l) => l.includes(diffId)).map((l) => l.split(' ')[0]!);
  if (holding.length) await measure('docker', ['rmi', ...holding], { env: ENV }, true);
}
const BASED_BUILD = `\nload("@rules_oci//oci:defs.bzl", "oci_push")\ngo_binary(name = "auto", embed = [":hello_world_lib"], goarch = "amd64", goos = "linux", pure = "on")\npkg_tar(name = "pkg_auto", srcs = [":auto"])\noci_image(name = "based", base = "@base", entrypoint = ["/auto"], tars = [":pkg_auto"])\noci_load(name = "based_load", image = ":based", repo_tags = ["${LOAD_TAG_OURS}"])\noci_push(name = "push", image = ":based", repository = "127.0.0.1:9/unused", remote_tags = ["latest"])\n`;

const fmtBytes = (n: number) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);
const UNITS: Record<string, number> = { bytes: 1, byte: 1, B: 1, KiB: 1024, MiB: 1048576, GiB: 1073741824 };

/** Our load line: "sent 10.0 KiB of 31.4 MiB to Docker (…)" (newer), or "(N bytes sent)" (older CLIs). */
function oursLoadLine(stderr: string): { sent: number; of?: number; text: string } | undefined {
  const m = /: loaded \S+: (sent ([\d.]+) (\w+) of ([\d.]+) (\w+) to Docker[^\n]*)/.exec(stderr);
  if (m) return { sent: Number(m[2]) * (UNITS[m[3]!] ?? NaN), of: Number(m[4]) * (UNITS[m[5]!] ?? NaN), text: m[1]! };
  const old = /: loaded [^\n]*\((\d+) bytes sent\)/.exec(stderr);
  return old ? { sent: Number(old[1]), text: `${old[1]} bytes sent (no "of … to Docker" line in this dist/)` } : undefined;
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
  cli: `${CLI.startsWith(`${REPO}/`) ? CLI.slice(REPO.length + 1) : CLI} (modified ${statSync(CLI).mtime.toISOString()})`,
  head: await version('git', ['-C', REPO, 'log', '-1', '--format=%h %cI %s']),
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

// A base of a realistic size for workloads 6 and 7: the seeded base's linux/amd64 image plus one
// layer of 48 MiB of files (half random, half generated text; ~33 MiB as crane gzips it), appended with
// `crane append` and pushed to the base registry as base-big once per run, then copied (same
// digest) into each fresh registry that needs it.
interface BigBase {
  /** Manifest digest (one platform, linux/amd64). */
  digest: string;
  layers: Array<{ digest: string; size: number }>;
  /** The config's rootfs.diff_ids (what the Docker daemon knows the layers by). */
  diffIds: string[];
  /** Layers + config + manifest, bytes. */
  bytes: number;
}
let bigBase: BigBase | undefined;
async function ensureBigBase(): Promise<BigBase> {
  if (bigBase) return bigBase;
  const data = generateData(48);
  const files = readdirSync(data).filter((f) => f.startsWith('file-')).sort();
  const tar = join(WORK, 'base-big-layer.tar');
  await measure('tar', ['-C', data, '-cf', tar, '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--transform', 's,^,opt/base-data/,', ...files], { env: ENV });
  const appended = await measure(tools.crane, ['append', '--insecure', '--platform', 'linux/amd64', '-b', baseSeed.oci.digestReference, '-f', tar, '-t', `${baseReg.host}/base-big:latest`], { env: ENV });
  rmSync(tar, { force: true });
  const digest = await craneDigest(`${baseReg.host}/base-big:latest`);
  if (!appended.stdout.includes(digest)) log(`crane append said ${appended.stdout.trim()}; the registry serves ${digest}`);
  const raw = (await measure(tools.crane, ['manifest', '--insecure', `${baseReg.host}/base-big@${digest}`], { env: ENV })).stdout;
  const m = JSON.parse(raw) as { config: { size: number }; layers: Array<{ digest: string; size: number }> };
  const layers = m.layers.map((l) => ({ digest: l.digest, size: l.size }));
  const config = JSON.parse((await measure(tools.crane, ['config', '--insecure', `${baseReg.host}/base-big@${digest}`], { env: ENV })).stdout) as { rootfs: { diff_ids: string[] } };
  bigBase = { digest, layers, diffIds: config.rootfs.diff_ids, bytes: layers.reduce((a, l) => a + l.size, 0) + m.config.size + Buffer.byteLength(raw) };
  log(`base-big ${digest}: layers ${layers.map((l) => `${(l.size / 1048576).toFixed(1)} MiB`).join(' + ')}`);
  return bigBase;
}
async function craneDigest(ref: string): Promise<string> {
  return (await measure(tools.crane, ['digest', '--insecure', ref], { env: ENV })).stdout.trim();
}
/** Copies base-big into the registry at host (straight to it, not through its proxy). */
async function copyBigBase(host: string): Promise<void> {
  await measure(tools.crane, ['copy', '--insecure', `${baseReg.host}/base-big@${bigBase!.digest}`, `${host}/base-big:latest`], { env: ENV });
}
const profiles: string[] = [];
let scale: ScaleResults | undefined;

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
    // Ours links as rules_go does under bazel's defaults (fastbuild: -s -w); the peers get the same flags.
    const GO_FLAGS = "-trimpath -buildvcs=false '-ldflags=-s -w'";
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
      ['bare go build (same flags)', () => measure('go', ['build', '-trimpath', '-buildvcs=false', '-ldflags=-s -w', '-o', join(ws, 'bare', 'hello_world'), './apps/hello_world'], { cwd: ws, env: goEnv })],
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
    // Issue 20 restates this bar as what Go and Docker do not already bound: the load phase is
    // Docker's import of the archive we stream (plus the streaming itself, so this is a lower bound).
    const loadPhase = med(row(section, OURS_LOAD_PHASE), (s) => s.seconds);
    const beyond = overhead - loadPhase;
    section.lines.push(`Overhead beyond \`go build\` plus Docker's own import of the same archive (ours − bare go build − our load phase, medians): **${beyond.toFixed(2)} s** — target (issue 20) ≤ 0.15 s: ${beyond <= 0.15 ? 'met' : 'missed'}.`);
    section.lines.push('ko builds on the seeded distroless-like base (it needs one; one extra small layer), with `--sbom=none` and the same `-trimpath -buildvcs=false -ldflags=-s -w` via `.ko.yaml` (our default fastbuild mode links with `-s -w`, as rules_go does under Bazel defaults); ours and `docker build` produce a scratch image. Docker-daemon work (image import) is not in the RSS columns: dockerd is not a child of the command.');

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
      await settleSources();
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
          if (name.startsWith('ours')) Object.assign(extra, { goBuilds: (s.stderr.match(/: built linux\/\w+ binary/g) ?? []).length, goSkipped: (s.stderr.match(/: linux\/\w+ binary up to date/g) ?? []).length });
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
        r.notes = `blob uploads ${ups} (${mib.toFixed(2)} MiB), mounts ${last.mounts}, HEADs ${last.heads}, manifest PUTs ${last.manifestPuts}, requests ${last.requests}${last.self ? `; CLI says: ${last.self}; go builds run: ${(last as { goBuilds?: number }).goBuilds}, skipped as up to date: ${(last as { goSkipped?: number }).goSkipped}` : ''}`;
      }
    }
    const ratio = (a: string, b: string, sec: Section, other = sec) => (med(row(sec, a), (s) => s.seconds) / med(row(other, b), (s) => s.seconds)).toFixed(2);
    s2.lines.push('Each repetition starts a fresh `docker-registry` (the seeded base in `base-oci` is its only content), behind a recording proxy that counts requests; both tools push through it. Cold = empty target repository (base layers may be mounted); warm = the same push again with nothing changed. Go build cache and our blob store are warm in both (a warm-up run precedes); the last source edit is at least 2 s old when the cold push starts (ours remembers a Go build only when its inputs are older than that, against racy timestamps: see `src/go/action_cache.ts`). `ours ÷ tool` compares with the cold run of ours; ko runs with `--sbom=none`.');
    if (ONLY.has('2')) s2.lines.push(`ours warm ÷ ko warm: **${ratio(`${OURS} warm`, 'ko warm', s2)}**.`);
    if (ONLY.has('4')) {
      s4.lines.push(`Before each tool's push one line of main.go (the message constant) changes; the registry already holds the previous version (cold + warm pushes of the same repetition). ours incremental ÷ ko incremental: **${ratio(`${OURS} incremental`, 'ko incremental', s4)}** (target, issue 20: ≤ 0.9×)${ONLY.has('2') ? `; ours incremental ÷ ours cold: **${ratio(`${OURS} incremental`, `${OURS} cold`, s4, s2)}**; ko incremental ÷ ko cold: **${ratio('ko incremental', 'ko cold', s4, s2)}**` : ''}.`);
      s4.lines.push(`Blobs uploaded in the last incremental push — ours: ${incremental[OURS]!.at(-1) || 'none'}; ko: ${incremental.ko!.at(-1) || 'none'}.`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // 5. change-to-pushed, one platform: main.go edited, rebuilt and pushed (registry holds the last)
  if (ONLY.has('5')) {
    const ws = copyExample('w5');
    writeFileSync(join(ws, '.ko.yaml'), KO_YAML);
    appendFileSync(
      join(ws, 'apps/hello_world/BUILD.bazel'),
      `\nload("@rules_oci//oci:defs.bzl", "oci_push")\ngo_binary(name = "auto", embed = [":hello_world_lib"], pure = "on")\npkg_tar(name = "pkg_auto", srcs = [":auto"])\noci_image(name = "based", base = "@base", entrypoint = ["/auto"], tars = [":pkg_auto"])\noci_push(name = "push", image = ":based", repository = "127.0.0.1:9/unused", remote_tags = ["latest"])\n`,
    );
    const s5: Section = { id: '5', title: '5. change-to-pushed, one platform (linux/amd64): one line of main.go changed, rebuilt and pushed', rows: [], ours: `${OURS} change-to-pushed`, lines: [] };
    sections.push(s5);
    const oursCmd = (host: string) => measure(NODE, [CLI, 'run', ...NO_SBOM, '-C', ws, '//apps/hello_world:push', '-p', 'linux/amd64', '--repository', `${host}/hello-ours`, '-t', 'latest'], { env: ENV, marks: [BUILDING, PUSHING] });
    const koCmd = (host: string, digest: string) =>
      measure(tools.ko, ['build', '--platform=linux/amd64', '--bare', '--sbom=none', '--insecure-registry', '-t', 'latest', './apps/hello_world'], {
        cwd: ws,
        env: { ...ENV, KO_DOCKER_REPO: `${host}/hello-ko`, KO_DEFAULTBASEIMAGE: `${host}/base-oci@${digest}` },
      });
    const lastUploads: Record<string, string> = {};
    for (let rep = 0; rep < CFG.reps2; rep++) {
      const r = await freshRegistry(true);
      const seed = await seedBaseImages(r.reg.host);
      setBase(ws, `${r.host}/base-oci`, seed.oci.indexDigest);
      const contenders: Array<[string, () => Promise<Sample>]> = [
        [s5.ours, () => oursCmd(r.host)],
        ['ko change-to-pushed', () => koCmd(r.host, seed.oci.indexDigest)],
      ];
      // Untimed: the registry gets the current version (and the caches are warm).
      for (const [, fn] of contenders) {
        editSource(ws);
        await fn();
      }
      for (const [name, fn] of rotate(contenders, rep)) {
        editSource(ws);
        const mark = r.proxy!.mark();
        const s = await fn();
        const seen = r.proxy!.since(mark);
        const ours = name === s5.ours;
        row(s5, name).samples.push(lean(s, { uploads: seen.uploads, mounts: seen.mounts, heads: seen.heads, manifestPuts: seen.manifests, requests: seen.requests, ...(ours ? { self: oursBlobLine(s.stderr) } : {}) }));
        const b = s.marks?.[BUILDING.source];
        const p = s.marks?.[PUSHING.source];
        if (ours && b !== undefined && p !== undefined) {
          row(s5, 'ours: start-up + analysis (to "> Building")').samples.push({ ...lean(s), seconds: b });
          row(s5, 'ours: build phase ("> Building" to "> Pushing")').samples.push({ ...lean(s), seconds: p - b });
          row(s5, 'ours: push phase ("> Pushing" to exit)').samples.push({ ...lean(s), seconds: s.seconds - p });
        }
        lastUploads[ours ? 'ours' : 'ko'] = seen.uploads.map((u) => `${u.digest.slice(7, 19)} ${(u.bytes / 1024).toFixed(0)} KiB`).join(', ') || 'none';
        log(`5: rep ${rep + 1}/${CFG.reps2} ${name}: ${s.seconds.toFixed(2)} s, ${fmtMiB(s.maxRssKiB)}/${fmtMiB(s.treeRssKiB)} MiB, blobs uploaded ${seen.uploads.length}, requests ${seen.requests}${ours ? `; ${oursBlobLine(s.stderr)}` : ''}`);
      }
      await dropRegistry(r);
    }
    for (const r of s5.rows) {
      if (r.tool.startsWith('ours: ')) continue;
      const last = r.samples.at(-1)?.extra as { mounts: number; heads: number; manifestPuts: number; requests: number; self?: string };
      const ups = median(r.samples.map((s) => (s.extra?.uploads as unknown[]).length));
      const mib = median(r.samples.map((s) => (s.extra?.uploads as Array<{ bytes: number }>).reduce((a, u) => a + u.bytes, 0) / 1048576));
      r.notes = `blob uploads ${ups} (${mib.toFixed(2)} MiB), mounts ${last.mounts}, HEADs ${last.heads}, manifest PUTs ${last.manifestPuts}, requests ${last.requests}${last.self ? `; CLI says: ${last.self}` : ''}`;
    }
    const oursS = med(row(s5, s5.ours), (s) => s.seconds);
    const koS = med(row(s5, 'ko change-to-pushed'), (s) => s.seconds);
    s5.lines.push('Each repetition starts a fresh `docker-registry` with the seeded base (`base-oci`) behind a recording proxy; both tools first push the current version untimed (warm Go cache, warm blob store, the registry holds the previous image), then, taking turns, change one line of main.go and push again: a one-platform (linux/amd64) image on the base, ours with `-p linux/amd64`, ko with `--platform=linux/amd64 --sbom=none`.');
    s5.lines.push(`Target (issue 10): **≤ 2 s and ≤ 0.5× ko** — ours ${oursS.toFixed(2)} s (${oursS <= 2 ? 'met' : 'missed'}), ours ÷ ko = **${(oursS / koS).toFixed(2)}** (${oursS / koS <= 0.5 ? 'met' : 'missed'}).`);
    s5.lines.push(`Blobs uploaded in the last timed push — ours: ${lastUploads.ours ?? '?'}; ko: ${lastUploads.ko ?? '?'}.`);
  }

  // -------------------------------------------------------------------------------------------
  // 6. second docker load of an image on a ~30 MiB base: source changed, fresh output dir
  if (ONLY.has('6')) {
    const big = await ensureBigBase();
    const ws = copyExample('w6');
    writeFileSync(join(ws, '.ko.yaml'), KO_YAML);
    appendFileSync(join(ws, 'apps/hello_world/BUILD.bazel'), BASED_BUILD);
    setBase(ws, `${baseReg.host}/base-big`, big.digest);
    const s6: Section = { id: '6', title: `6. second \`docker load\` of an image on a ${(big.bytes / 1048576).toFixed(0)} MiB base (source changed, fresh output dir)`, rows: [], ours: `${OURS} second load`, lines: [] };
    sections.push(s6);
    // Bytes sent to the daemon, whatever the tool says: a recording proxy on a unix socket in
    // front of the daemon's (POST /images/load request bodies).
    const dockerSock = /^unix:\/\/(.+)$/.exec(process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock')?.[1];
    const dproxy = dockerSock ? new RecordingProxy(dockerSock, join(WORK, 'docker-proxy.sock')) : undefined;
    if (dproxy) {
      await dproxy.start();
      proxies.push(dproxy);
    }
    const env6 = { ...ENV, ...(dproxy ? { DOCKER_HOST: dproxy.host } : {}) };
    let outN = 0;
    const oursLoad = () => measure(NODE, [CLI, 'run', ...NO_SBOM, '-C', ws, '-o', join(WORK, `w6-out-${++outN}`), '//apps/hello_world:based_load'], { env: env6, marks: [LOADING] });
    const koLoad = () =>
      measure(tools.ko, ['build', '--local', '--bare', '--platform=linux/amd64', '--sbom=none', '--insecure-registry', '-t', 'latest', './apps/hello_world'], {
        cwd: ws,
        env: { ...env6, KO_DOCKER_REPO: LOAD_REPO_KO, KO_DEFAULTBASEIMAGE: `${baseReg.host}/base-big@${big.digest}` },
      });
    const contenders: Array<[string, string, () => Promise<Sample>]> = [
      ['ours', OURS, oursLoad],
      ['ko', 'ko build --local', koLoad],
    ];
    /** The image's size (compressed layers + config + manifest) from the layout our CLI prints. */
    const oursImageBytes = (stdout: string): number => {
      const layout = stdout.trim().split('\n').find((l) => l.startsWith('//apps/hello_world:based_load'))?.split('  ').at(-1) ?? '';
      try {
        const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; size: number }> };
        const d = index.manifests[0]!;
        const m = JSON.parse(readFileSync(join(layout, 'blobs', 'sha256', d.digest.slice(7)), 'utf8')) as { config: { size: number }; layers: Array<{ size: number }> };
        return m.layers.reduce((a, l) => a + l.size, 0) + m.config.size + d.size;
      } catch {
        return NaN;
      }
    };
    let koLog = '';
    const driver = (await measure('docker', ['info', '--format', '{{.Driver}}'], { env: ENV }, true)).stdout.trim() || '?';
    log('6: warm-up (one untimed load each)');
    for (const [, , fn] of contenders) {
      editSource(ws);
      await fn();
    }
    for (let rep = 0; rep < CFG.reps2; rep++) {
      for (const [who, label, fn] of rotate(contenders, rep)) {
        await removeLoaded();
        for (const phase of ['first', 'second'] as const) {
          editSource(ws);
          const mark = dproxy?.mark() ?? 0;
          const s = await fn();
          // Every request body the client sent the daemon (in practice: the POST /images/load archive).
          const sent = dproxy ? dproxy.since(mark).bytes : NaN;
          const self = who === 'ours' ? oursLoadLine(s.stderr) : undefined;
          const image = who === 'ours' ? (self?.of ?? oursImageBytes(s.stdout)) : NaN;
          row(s6, `${label} ${phase} load`).samples.push(lean(s, { sentBytes: sent, imageBytes: image, ...(self ? { self: self.text } : {}) }));
          const at = s.marks?.[LOADING.source];
          if (who === 'ours' && phase === 'second' && at !== undefined) row(s6, 'ours: second load, load phase (from "> Loading" to exit)').samples.push({ ...lean(s), seconds: s.seconds - at });
          if (who === 'ko') koLog = s.stderr;
          log(`6: rep ${rep + 1}/${CFG.reps2} ${label} ${phase} load: ${s.seconds.toFixed(2)} s, ${fmtMiB(s.maxRssKiB)}/${fmtMiB(s.treeRssKiB)} MiB; sent to Docker ${fmtBytes(sent)}${self ? `; CLI: ${self.text}` : ''}`);
        }
      }
    }
    await removeLoaded();
    const sentOf = (r: Row) => median(r.samples.map((s) => s.extra?.sentBytes as number));
    const oursImage = median(row(s6, s6.ours).samples.map((s) => s.extra?.imageBytes as number));
    const koFull = sentOf(row(s6, 'ko build --local first load'));
    // `ours ÷ tool` compares like with like: first loads with ours' first, second with ours' second.
    row(s6, `${OURS} first load`).vs = `${OURS} first load`;
    row(s6, 'ko build --local first load').vs = `${OURS} first load`;
    for (const r of s6.rows) {
      if (r.tool.startsWith('ours: ')) continue;
      const sent = sentOf(r);
      const whole = r.tool.startsWith('ko') ? koFull : oursImage;
      const self = r.samples.at(-1)?.extra?.self as string | undefined;
      r.notes = `sent to Docker ${fmtBytes(sent)}${Number.isFinite(whole) ? ` = ${((100 * sent) / whole).toFixed(1)} % of ${fmtBytes(whole)}` : ''}${self ? `; CLI says: ${self}` : ''}`;
    }
    const share = (100 * sentOf(row(s6, s6.ours))) / oursImage;
    s6.lines.push(`The image: the seeded base's linux/amd64 layer plus one ${fmtBytes(big.layers.at(-1)!.size)} layer (${fmtBytes(big.bytes)} in all, \`crane append\` of 48 MiB of files, half random, half text), and the program's layer. Each repetition, for each tool in turn: \`docker rmi\` of both tools' bench tags and of every image that holds the base's big layer (dangling ones too: a re-tagged image stays behind and keeps the layers), a first load, one line of main.go changed, a second load — ours into a fresh \`-o\` output dir every time (an empty blob store, as on a fresh CI runner with a warm Go cache). Bytes sent are the request bodies the tool sent the daemon (the \`POST /images/load\` archive), counted by a proxy on a unix socket in front of the daemon's (DOCKER_HOST pointed at it); percentages are of the image's compressed bytes (layers + config + manifest; for ko: its first load). \`ours ÷ tool\` compares like with like (first load with first load, second with second).`);
    s6.lines.push(`Target (issue 10): **≤ 10 % of the image's bytes** sent on the second load — ours sent ${fmtBytes(sentOf(row(s6, s6.ours)))} of ${fmtBytes(oursImage)}: **${share.toFixed(1)} %** (${share <= 10 ? 'met' : 'missed'}).`);
    const koSecond = sentOf(row(s6, 'ko build --local second load'));
    s6.lines.push(`ko sent ${fmtBytes(koSecond)} on its second load, ${((100 * koSecond) / koFull).toFixed(0)} % of what it sent on the first${/Loading ko\.local/.test(koLog) ? ` (its log: "${/[^\n]*Loading ko\.local[^\n]*/.exec(koLog)?.[0]?.replace(/^.*?Loading/, 'Loading').trim()}")` : ''}: ${koSecond >= 0.9 * koFull ? 'it sends the whole image every time' : 'it left something out'}. The Docker daemon's storage driver: ${driver}.`);
  }

  // -------------------------------------------------------------------------------------------
  // 7. pushing an image on the big base with an empty blob store: to the base's own registry and
  //    to another one; what is downloaded from the base registry
  if (ONLY.has('7')) {
    const big = await ensureBigBase();
    const baseLayers = new Set(big.layers.map((l) => l.digest));
    const ws = copyExample('w7');
    writeFileSync(join(ws, '.ko.yaml'), KO_YAML);
    appendFileSync(join(ws, 'apps/hello_world/BUILD.bazel'), BASED_BUILD);
    const s7: Section = { id: '7', title: `7. pushing an image on a ${(big.bytes / 1048576).toFixed(0)} MiB base with an empty blob store (fresh output dir), to the base's registry and to another`, rows: [], ours: `${OURS} same registry`, lines: [] };
    sections.push(s7);
    let outN = 0;
    const oursPush = (host: string, _baseHost?: string) => measure(NODE, [CLI, 'run', ...NO_SBOM, '-C', ws, '-o', join(WORK, `w7-out-${++outN}`), '//apps/hello_world:push', '--repository', `${host}/hello-ours`, '-t', 'latest'], { env: ENV, marks: [BUILDING, PUSHING] });
    const koPush = (host: string, baseHost: string) =>
      measure(tools.ko, ['build', '--platform=linux/amd64', '--bare', '--sbom=none', '--insecure-registry', '-t', 'latest', './apps/hello_world'], {
        cwd: ws,
        env: { ...ENV, KO_DOCKER_REPO: `${host}/hello-ko`, KO_DEFAULTBASEIMAGE: `${baseHost}/base-big@${big.digest}` },
      });
    type Target = 'same registry' | 'cross-registry';
    const contenders: Array<[string, Target, (host: string, baseHost: string) => Promise<Sample>]> = [
      [`${OURS} same registry`, 'same registry', oursPush],
      [`${OURS} cross-registry`, 'cross-registry', oursPush],
      ['ko same registry', 'same registry', koPush],
      ['ko cross-registry', 'cross-registry', koPush],
    ];
    for (let rep = 0; rep < CFG.reps2; rep++) {
      // The base registry: base-big only (it carries the seeded base's layer), behind a proxy
      // that counts what is downloaded from it.
      const a = await freshRegistry(true);
      await copyBigBase(a.reg.host);
      setBase(ws, `${a.host}/base-big`, big.digest);
      if (rep === 0) {
        log('7: warm-up (one untimed push each, Go build cache)');
        await oursPush(`${a.host}/warm`, a.host);
        await koPush(`${a.host}/warm`, a.host);
      }
      for (const [name, target, fn] of rotate(contenders, rep)) {
        // Cross-registry: a fresh, empty registry each time (nothing to mount from).
        const b = target === 'cross-registry' ? await freshRegistry(true) : a;
        const markA = a.proxy!.mark();
        const markB = b.proxy!.mark();
        const s = await fn(b.host, a.host);
        const fromBase = a.proxy!.since(markA);
        const toTarget = b.proxy!.since(markB);
        const baseDown = fromBase.downloads.filter((d) => baseLayers.has(d.digest));
        const extra = {
          baseLayerGets: baseDown.length,
          baseLayerBytes: baseDown.reduce((x, d) => x + d.bytes, 0),
          blobGets: fromBase.downloads.length,
          blobGetBytes: fromBase.downloads.reduce((x, d) => x + d.bytes, 0),
          uploads: toTarget.uploads.length,
          uploadBytes: toTarget.uploads.reduce((x, u) => x + u.bytes, 0),
          baseLayerUploadBytes: toTarget.uploads.filter((u) => baseLayers.has(u.digest)).reduce((x, u) => x + u.bytes, 0),
          mounts: toTarget.mounts,
          ...(name.startsWith('ours') ? { self: oursBlobLine(s.stderr) } : {}),
        };
        row(s7, name).samples.push(lean(s, extra));
        const bm = s.marks?.[BUILDING.source];
        const pm = s.marks?.[PUSHING.source];
        if (name.startsWith('ours') && bm !== undefined && pm !== undefined) {
          row(s7, `ours: ${target}, start-up + analysis + build (to "> Pushing")`).samples.push({ ...lean(s), seconds: pm });
          row(s7, `ours: ${target}, push phase ("> Pushing" to exit)`).samples.push({ ...lean(s), seconds: s.seconds - pm });
        }
        log(`7: rep ${rep + 1}/${CFG.reps2} ${name}: ${s.seconds.toFixed(2)} s, ${fmtMiB(s.maxRssKiB)}/${fmtMiB(s.treeRssKiB)} MiB; from the base registry: base layers ${fmtBytes(extra.baseLayerBytes)} (${extra.baseLayerGets} GETs), all blobs ${fmtBytes(extra.blobGetBytes)}; to the target: ${extra.uploads} uploads (${fmtBytes(extra.uploadBytes)}, base layers ${fmtBytes(extra.baseLayerUploadBytes)}), ${extra.mounts} mounts${name.startsWith('ours') ? `; CLI: ${extra.self}` : ''}`);
        if (b !== a) await dropRegistry(b);
      }
      await dropRegistry(a);
    }
    const mid = (r: Row, k: string) => median(r.samples.map((s) => s.extra?.[k] as number));
    // `ours ÷ tool` compares like with like: ko cross-registry with ours cross-registry.
    row(s7, `${OURS} cross-registry`).vs = `${OURS} cross-registry`;
    row(s7, 'ko cross-registry').vs = `${OURS} cross-registry`;
    for (const r of s7.rows) {
      if (r.tool.startsWith('ours: ')) continue;
      const self = r.samples.at(-1)?.extra?.self as string | undefined;
      r.notes = `downloaded from the base registry: base layers ${fmtBytes(mid(r, 'baseLayerBytes'))} (${mid(r, 'baseLayerGets')} GETs), all blobs ${fmtBytes(mid(r, 'blobGetBytes'))}; uploaded to the target: ${mid(r, 'uploads')} blobs (${fmtBytes(mid(r, 'uploadBytes'))}; base layers ${fmtBytes(mid(r, 'baseLayerUploadBytes'))}), mounts ${mid(r, 'mounts')}${self ? `; CLI says: ${self}` : ''}`;
    }
    const same = mid(row(s7, `${OURS} same registry`), 'baseLayerBytes');
    const crossDown = mid(row(s7, `${OURS} cross-registry`), 'baseLayerBytes');
    const crossUp = mid(row(s7, `${OURS} cross-registry`), 'baseLayerUploadBytes');
    s7.lines.push(`Each repetition starts a fresh base registry holding only \`base-big\` (the seeded base's linux/amd64 layer plus a ${fmtBytes(big.layers.at(-1)!.size)} layer; ${fmtBytes(big.bytes)} in all), behind a recording proxy that counts blob GETs and the bytes of their responses. \`same registry\` pushes into that registry (another repository); \`cross-registry\` into a second, fresh and empty registry (also behind a proxy) for every push. Ours runs \`run …:push\` with a fresh \`-o\` output dir each time (an empty blob store, as on a fresh CI runner; the Go build cache is warm); ko with \`--platform=linux/amd64 --sbom=none\` (it keeps no blobs between runs).`);
    s7.lines.push(`Target (issue 10): **0 base-layer bytes downloaded** for the same-registry push — ours downloaded ${fmtBytes(same)} (${same === 0 ? 'met' : 'missed'}). Cross-registry, ours downloaded ${fmtBytes(crossDown)} of base layers from the base registry and uploaded ${fmtBytes(crossUp)} of base layers to the target (the bytes copied registry to registry). \`ours ÷ tool\` compares like with like (same registry with same registry, cross with cross).`);
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
      `load("@rules_pkg//:pkg.bzl", "pkg_tar")\nload("@rules_oci//oci:defs.bzl", "oci_image", "oci_push")\npkg_tar(name = "data", srcs = glob(["data/*"]), package_dir = "data")\noci_image(name = "image", base = "@base", tars = [":data"])\noci_push(name = "push", image = ":image", repository = "127.0.0.1:9/unused", remote_tags = ["latest"])\n`,
    );
    const inputMiB = readdirSync(data).reduce((a, f) => a + statSync(join(data, f)).size, 0) / 1048576;
    const pack: Section = { id: '3a', title: `3a. packing a ${inputMiB.toFixed(0)} MiB layer (half text, half random) into a gzip layer`, rows: [], ours: `${OURS}: oci-build build //big:image (fresh output dir; default gzip -1, parallel)`, lines: [] };
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
        ['ours --compression-level 6 (fresh output dir)', () => measure(NODE, [CLI, 'build', ...NO_SBOM, '--compression-level', '6', '-C', ws, '-o', `${out}-l6`, '//big:image'], { env: ENV })],
        ['tar c | gzip -6 (same files)', () => measure(`tar -C ${join(ws, 'big', 'data')} -cf - . | gzip -6 > ${join(WORK, 'peer.tar.gz')}`, [], { env: ENV, shell: true })],
        ['tar c | gzip -1 (same files)', () => measure(`tar -C ${join(ws, 'big', 'data')} -cf - . | gzip -1 > ${join(WORK, 'peer.tar.gz')}`, [], { env: ENV, shell: true })],
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
      rmSync(`${out}-l6`, { recursive: true, force: true });
    }
    for (const r of pack.rows) r.notes = `${median(r.samples.map((s) => s.extra?.MiBps as number)).toFixed(0)} MiB/s of input`;
    for (const r of push.rows) r.notes = `${(layerMiB / median(r.samples.map((s) => s.seconds))).toFixed(0)} MiB/s of the ${layerMiB.toFixed(0)} MiB layer${r.tool === push.ours ? `; CLI says: ${r.samples.at(-1)?.extra?.self as string}` : ''}`;
    pack.lines.push(`Input: ${readdirSync(data).length} files, ${inputMiB.toFixed(0)} MiB (half generated text, half random bytes); compressed layer ${layerMiB.toFixed(0)} MiB. Ours includes analysis and the whole build: pkg_tar writes the uncompressed tar (its default extension), oci_image compresses it (gzip level 1 by default, 1 MiB chunks on every core, one gzip member); the peers are the bare pipelines, single-threaded.`);
    push.lines.push('A fresh registry for every push (no mounts possible). `ours` runs `run` on the already-built output dir: it has no cache of build actions across runs, so it packs the layer again before pushing; the push-phase row is the time from its `> Pushing` line to exit (RSS columns there are the whole run\'s).');
  }

  // -------------------------------------------------------------------------------------------
  // 8. monorepo scale (issue 20): N services, ours vs ko vs the Go floor, as a curve
  if (ONLY.has('8')) {
    const ns = (flags['scale-n'] ?? '10,20,50').split(',').map((x) => Number(x.trim()));
    const reps = flags.reps ? Number(flags.reps) : MODE === 'full' ? 3 : 1;
    scale = await runScale({
      work: WORK,
      env: ENV,
      node: NODE,
      cli: CLI,
      noSbom: NO_SBOM,
      ko: tools.ko,
      ns,
      reps,
      log,
      freshRegistry: async () => {
        const r = await freshRegistry(true);
        return { host: r.host, proxy: r.proxy, drop: () => dropRegistry(r) };
      },
      seed: async (r) => {
        const direct = registries.find((x) => r.proxy && x.port === r.proxy.target);
        // Copied from the base registry (the seed's build cache is shared with test runs on this
        // machine, which may clear it under a long run); same index digest.
        await measure(tools.crane, ['copy', '--insecure', `${baseReg.host}/base-oci@${baseSeed.oci.indexDigest}`, `${direct?.host ?? r.host}/base-oci:latest`], { env: ENV });
        return { image: `${r.host}/base-oci`, digest: baseSeed.oci.indexDigest };
      },
    });
    const svg = 'scale.svg';
    mkdirSync(OUT_DIR, { recursive: true });
    writeFileSync(join(OUT_DIR, svg), scaleSvg(scale, ns));
    sections.push({
      id: '8',
      title: `8. monorepo scale: N services (HTTP server on an oci.pull base, two shared libraries), linux/amd64 + linux/arm64, one oci_push each, all in one run (${reps} rep${reps === 1 ? '' : 's'}, medians)`,
      rows: [],
      ours: '',
      lines: [
        ...scaleMarkdown(scale, ns, svg),
        `Ours: \`oci-build run --no-sbom -p linux/amd64 -p linux/arm64 //svc/s001:push … //svc/sNNN:push\` with its output dir kept between runs (the Go action cache and blob store of a developer machine or a CI cache), \`$GO\` a wrapper counting go processes; ko: \`ko build -B --platform=linux/amd64,linux/arm64 --sbom=none -t latest ./svc/s001 … ./svc/sNNN\` (same -trimpath -buildvcs=false -ldflags=-s -w via .ko.yaml); go floor: \`go build -trimpath -buildvcs=false -ldflags='-s -w' -o DIR/ ./svc/...\` for amd64 then arm64 into a kept DIR (for cold and no-op that is Go's own up-to-date check of every binary). Each cold step starts a fresh registry holding only the base (behind a recording proxy); tools take turns (the first rotates by step and repetition); before each tool's turn of "one" and "shared" a new edit is made (service s001's main.go, or libs/greet), so every tool builds a change. From the second repetition on, each cold step is preceded by an untimed catch-up run of every tool (the tools that went first in "shared" have not built the later edits), so cold measures empty repositories, not a rebuild. Before cold and no-op the last edit is at least 2 s old (the action cache remembers a build only then).`,
      ],
    });
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
  if (ONLY.has('6')) await removeLoaded();
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
  log(`generating ${mib} MiB of test files in ${dir}`);
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
    `Ours: ${machine.cli}; the repository's HEAD then: ${machine.head}.`,
    '',
    'Tools take turns within each repetition (A B C, B C A, …); medians over the repetitions. `ours ÷ tool` < 1 means ours is faster. Peak RSS: *largest process* is GNU time `%M` (the largest single process of the command\'s tree); *process tree* is the largest sum of RSS over the tree, sampled from /proc every 100 ms.',
    '',
  ];
  for (const s of sections) {
    if (s.rows.length === 0 && s.lines.length === 0) continue;
    md.push(`## ${s.title}`, '');
    if (s.rows.length) md.push(table(s), '');
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
    `${JSON.stringify({ machine, sections: sections.map((s) => ({ ...s, rows: s.rows.map((r) => ({ ...r, medianSeconds: median(r.samples.map((x) => x.seconds)), samples: r.samples.map(({ stdout: _o, stderr: _e, ...rest }) => rest) })) })), profiles, scale }, null, 2)}\n`,
  );
  log(`wrote ${join(OUT_DIR, 'results.md')} and results.json (${((performance.now() - T0) / 1000).toFixed(0)} s in all)`);
}
