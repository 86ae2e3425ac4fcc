// The action and the reusable workflow run end to end under act (nektos/act), the way GitHub runs
// them: `uses:` resolution, job outputs, matrices, artifacts between jobs, the post step against
// act's cache server, and the real docker/metadata-action, docker/login-action and artifact
// actions (built copies in ../shared/actions, mapped with --local-repository, never fetched).
//
//   scripts/act [flow...]     every flow, or the ones named (see FLOWS in flows.ts)
//
// What each act run talks to lives on 127.0.0.1 and is this harness's own: two docker-registry
// instances (an anonymous one holding the seed base image, as a public registry would, and an
// htpasswd one the workflows push to), a fake GitHub API recording every request, and act's cache
// and artifact servers. The action under test is bundled from src/ into a temporary copy (with
// action.yml and the reusable workflow), so a run tests the sources, not a stale dist/.
// Everything it starts is stopped, and every temporary directory removed, on the way out.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { startRegistry, freePort, USERS, type TestRegistry } from '../helpers/registry.ts';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake_github.ts';
import { seedBaseImages, type SeededBase } from '../helpers/seed.ts';
import { runCommand } from '../helpers/run.ts';
import { addBasedImage } from '../helpers/based_workspace.ts';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
/** The built third-party actions: beside the repository (CI copies shared/ next to its clone). */
export const sharedActions = resolve(repoRoot, '..', 'shared', 'actions');

/** GitHub repository the flows pretend to be. */
export const OWNER = 'acme';
export const REPO = 'app';
/** The action's own repository, as users name it in `uses:`. */
const SELF = 'oci-build-action/oci-build-action@v1';

/**
 * Every `uses:` the workflows name, mapped to a local folder. The artifact actions are the v4
 * builds: act's artifact server speaks their protocol only (see shared/actions/*\/SOURCE.md).
 */
function localRepositories(actionDir: string): string[] {
  return [
    `${SELF}=${actionDir}`,
    `docker/metadata-action@v6=${join(sharedActions, 'metadata-action')}`,
    `docker/login-action@v4=${join(sharedActions, 'login-action')}`,
    `actions/upload-artifact@v7=${join(sharedActions, 'upload-artifact')}`,
    `actions/download-artifact@v8=${join(sharedActions, 'download-artifact')}`,
  ];
}

const ACT_TIMEOUT_MS = 8 * 60 * 1000;

/** Every runs-on label the workflows use: all run on this host. */
const RUNNER_LABELS = ['ubuntu-24.04', 'ubuntu-24.04-arm'];

export interface Harness {
  tmp: string;
  /** The action bundled from src/, with action.yml and .github/workflows/oci-build.yml. */
  actionDir: string;
  /** htpasswd registry the workflows push to (user pusher). */
  registry: TestRegistry;
  /** Anonymous registry holding the seed base image (a public registry). */
  baseRegistry: TestRegistry;
  seed: SeededBase;
  github: FakeGitHub;
  /** Go caches for the workflow flows (never the host's: the action saves them to act's cache). */
  goCache: string;
  goModCache: string;
  /** act's cache server storage, shared by the flows (the post step saves there, later runs restore). */
  cacheServerDir: string;
  dockerHost: string;
  act: string;
  /** Docker images the flows created, removed at the end. */
  dockerImages: Set<string>;
  /** Wall time of each act run, for the closing line. */
  timings: Array<{ name: string; ms: number }>;
}

export function pusherSecrets(): Record<string, string> {
  return { REGISTRY_USERNAME: 'pusher', REGISTRY_PASSWORD: USERS.pusher ?? '' };
}

async function bundleAction(dir: string): Promise<void> {
  mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
  cpSync(join(repoRoot, 'action.yml'), join(dir, 'action.yml'));
  cpSync(join(repoRoot, '.github', 'workflows', 'oci-build.yml'), join(dir, '.github', 'workflows', 'oci-build.yml'));
  const res = await runCommand(process.execPath, [join(repoRoot, 'scripts', 'bundle.mjs'), join(dir, 'dist')], { cwd: repoRoot });
  if (res.code !== 0) throw new Error(`bundling the action failed: ${res.stderr || res.stdout}`);
}

export async function startHarness(): Promise<Harness> {
  const act = process.env.OCI_BUILD_ACT;
  if (!act || !existsSync(act)) throw new Error('OCI_BUILD_ACT must name the act binary (scripts/act installs it)');
  const dockerHost = process.env.DOCKER_HOST;
  if (!dockerHost) throw new Error('DOCKER_HOST is not set: source /tmp/oci-build-services/env (scripts/services start)');
  for (const name of ['metadata-action', 'login-action', 'upload-artifact', 'download-artifact']) {
    if (!existsSync(join(sharedActions, name, 'action.yml'))) throw new Error(`${join(sharedActions, name)}: the built ${name} is missing (shared/actions beside the repository)`);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'oci-build-act-'));
  const h: Partial<Harness> = { tmp, act, dockerHost, dockerImages: new Set(), timings: [] };
  try {
    h.actionDir = join(tmp, 'action');
    h.goCache = join(tmp, 'go', 'cache');
    h.goModCache = join(tmp, 'go', 'mod');
    h.cacheServerDir = join(tmp, 'actcache');
    mkdirSync(h.cacheServerDir, { recursive: true });
    const [registry, baseRegistry, github] = await Promise.all([
      startRegistry({ mode: 'htpasswd' }),
      startRegistry({ mode: 'anonymous' }),
      startFakeGitHub(),
      bundleAction(h.actionDir),
    ]);
    Object.assign(h, { registry, baseRegistry, github });
    github.addRepository(OWNER, REPO, 'main');
    h.seed = await seedBaseImages(baseRegistry.host);
    return h as Harness;
  } catch (err) {
    await stopHarness(h);
    throw err;
  }
}

/** Stops everything the harness started; removes its temporary tree unless `keepTmp` (for a look at act's logs). */
export async function stopHarness(h: Partial<Harness>, opts: { keepTmp?: boolean } = {}): Promise<void> {
  for (const image of h.dockerImages ?? []) await runCommand('docker', ['rmi', '-f', image]).catch(() => undefined);
  await Promise.all([h.registry?.stop(), h.baseRegistry?.stop(), h.github?.stop()].map((p) => p?.catch(() => undefined)));
  if (opts.keepTmp || !h.tmp) return;
  // Go's module caches are read-only on disk.
  await runCommand('chmod', ['-R', 'u+w', h.tmp]).catch(() => undefined);
  rmSync(h.tmp, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// The user's repository

/**
 * A user's repository: the example monorepo plus an image on the seed base whose platform follows
 * the configuration (`//apps/hello_world:push`), the given workflows, committed on `main` with
 * origin github.com/acme/app (act reads the repository name from it).
 */
export async function userRepository(h: Harness, name: string, workflows: Record<string, string>): Promise<{ dir: string; sha: string }> {
  const dir = join(h.tmp, 'repos', name);
  mkdirSync(dir, { recursive: true });
  cpSync(join(repoRoot, 'examples', 'monorepo'), dir, { recursive: true, filter: (src) => !src.includes('.oci-build') });
  addBasedImage(dir, h.seed.oci, `${h.registry.host}/${OWNER}/${REPO}`, { name: 'load_seed', image: ':image_amd64', tag: `oci-build-act-${name}:latest` });
  for (const [file, text] of Object.entries(workflows)) {
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    writeFileSync(join(dir, '.github', 'workflows', file), text);
  }
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'remote', 'add', 'origin', `https://github.com/${OWNER}/${REPO}.git`);
  return { dir, sha: await commit(dir, 'initial') };
}

async function git(dir: string, ...args: string[]): Promise<string> {
  const res = await runCommand('git', ['-c', 'user.name=act harness', '-c', 'user.email=harness@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: dir });
  if (res.code !== 0) throw new Error(`git ${args.join(' ')}: ${res.stderr}`);
  return res.stdout.trim();
}

/** Commits everything (a change to main.go's comment makes a new head when asked) and returns the sha. */
export async function commit(dir: string, message: string, change = false): Promise<string> {
  if (change) writeFileSync(join(dir, 'CHANGES'), `${message}\n`);
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '--allow-empty', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

// ---------------------------------------------------------------------------------------------
// Running act

export interface ActRun {
  code: number;
  /** act's whole output (stdout and stderr, interleaved). */
  log: string;
  /** Files the workflow wrote to $HARNESS_OUT, by name. */
  out: Record<string, string>;
  /** Lines act printed for job `job` (`[workflow/job] ...`), prefix removed. */
  jobLog(job: string): string[];
  /** The artifact server's directory (uploaded artifacts). */
  artifactDir: string;
  /** $DOCKER_CONFIG of the run (login-action writes there). */
  dockerConfig: string;
}

export interface ActOptions {
  name: string;
  repo: string;
  event: 'push' | 'pull_request';
  payload: Record<string, unknown>;
  workflow: string;
  secrets?: Record<string, string>;
  env?: Record<string, string>;
  /** Go caches of this run; default the harness's shared ones. */
  goCache?: string;
  goModCache?: string;
}

export async function runAct(h: Harness, o: ActOptions): Promise<ActRun> {
  const runDir = mkdtempSync(join(h.tmp, `run-${o.name}-`));
  const out = join(runDir, 'out');
  const artifactDir = join(runDir, 'artifacts');
  const dockerConfig = join(runDir, 'docker-config');
  for (const d of [out, artifactDir, dockerConfig]) mkdirSync(d, { recursive: true });
  const eventFile = join(runDir, 'event.json');
  writeFileSync(eventFile, JSON.stringify(o.payload, null, 2));
  const [cachePort, artifactPort] = await Promise.all([freePort(), freePort()]);
  const env: Record<string, string> = {
    GITHUB_API_URL: h.github.url,
    DOCKER_HOST: h.dockerHost,
    DOCKER_CONFIG: dockerConfig,
    GOCACHE: o.goCache ?? h.goCache,
    GOMODCACHE: o.goModCache ?? h.goModCache,
    GOFLAGS: '-modcacherw',
    GOTOOLCHAIN: 'local',
    HARNESS_OUT: out,
    ...o.env,
  };
  const secrets: Record<string, string> = { GITHUB_TOKEN: h.github.token, ...o.secrets };
  const secretFile = join(runDir, 'secrets.env');
  writeFileSync(secretFile, Object.entries(secrets).map(([k, v]) => `${k}=${JSON.stringify(v)}\n`).join(''), { mode: 0o600 });
  const args = [
    o.event,
    '-W', join('.github', 'workflows', o.workflow),
    '-e', eventFile,
    ...RUNNER_LABELS.flatMap((l) => ['-P', `${l}=-self-hosted`]),
    // act's servers listen on 0.0.0.0 unless told otherwise: loopback only.
    '--cache-server-addr', '127.0.0.1', '--cache-server-port', String(cachePort), '--cache-server-path', h.cacheServerDir,
    '--artifact-server-addr', '127.0.0.1', '--artifact-server-port', String(artifactPort), '--artifact-server-path', artifactDir,
    ...localRepositories(h.actionDir).flatMap((l) => ['--local-repository', l]),
    ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    // Secrets from a file of the run's own, never on act's command line or in its environment.
    '--secret-file', secretFile,
  ];
  const nodeBin = dirname(process.execPath);
  const started = Date.now();
  const { code, log } = await new Promise<{ code: number; log: string }>((resolvePromise, reject) => {
    const child = spawn(h.act, args, {
      cwd: o.repo,
      env: {
        // Node 24 first, as the hosted runner's node24; act's own files under the run's directory.
        PATH: `${nodeBin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        HOME: process.env.HOME ?? runDir,
        XDG_CACHE_HOME: join(runDir, 'xdg-cache'),
        DOCKER_HOST: h.dockerHost,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    // An act run that hangs is ended (and fails its flow) instead of holding up the rest.
    const limit = setTimeout(() => {
      chunks.push(Buffer.from(`\nharness: act ran longer than ${ACT_TIMEOUT_MS / 1000}s; stopped\n`));
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, ACT_TIMEOUT_MS);
    child.on('close', () => clearTimeout(limit));
    child.stdout.on('data', (b: Buffer) => chunks.push(b));
    child.stderr.on('data', (b: Buffer) => chunks.push(b));
    child.on('error', reject);
    child.on('close', (c) => resolvePromise({ code: c ?? 1, log: Buffer.concat(chunks).toString('utf8') }));
  });
  h.timings.push({ name: o.name, ms: Date.now() - started });
  writeFileSync(join(h.tmp, `${o.name}.log`), log);
  const files: Record<string, string> = {};
  for (const f of readdirSync(out)) if (statSync(join(out, f)).isFile()) files[f] = readFileSync(join(out, f), 'utf8');
  return {
    code,
    log,
    out: files,
    artifactDir,
    dockerConfig,
    jobLog(job: string) {
      const re = new RegExp(`^\\[[^\\]]*/${job.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\] ?(.*)$`);
      return log.split('\n').flatMap((l) => {
        const m = re.exec(l);
        return m ? [m[1] ?? ''] : [];
      });
    },
  };
}

/** The last lines of a run's log, for a failure message. */
export function tail(run: ActRun, lines = 60): string {
  return run.log.split('\n').slice(-lines).join('\n');
}
