// Predicted builds: Go starts before analysis ends. A run remembers the go_binary requests it
// made (per run key: the targets and platforms asked for). The next run with the same key reads
// them at start, finds from the remembered dependency pass (deps.ts, no go process) which of
// those binaries import a package whose files changed, and starts their `go build` into a private
// directory while the BUILD files are still being analysed. When the run's own requests arrive,
// the queue (batch.ts) claims each output whose request matches exactly (same configuration key,
// so the same toolchain, flags and Go environment; same package and output) instead of building
// it; an output no request claims is dropped, and a build none of whose outputs is claimed is
// stopped. A prediction therefore only ever saves time: the binary a request gets is what
// `go build` makes of that request.
//
// Not predicted: requests whose arguments name files the run writes first (-overlay of generated
// sources, a generated -modfile) or that carry workspace status values (stamped x_defs).
import { rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { goConfigKey, RACY_WINDOW_NS } from './action_cache.ts';
import { goBuildEnv, type GoBuildRequest } from './build.ts';
import { linkPrevious, moveOut, runGoBatch } from './batch_process.ts';
import { closureTouches, packageInDir, recallPass } from './deps.ts';
import type { GoToolchain } from './toolchain.ts';
import { debug } from '../util/debug.ts';
import { writeFileAtomic } from '../util/write_atomic.ts';

/** What the queue lends its predictions. */
export interface PredictionHost {
  cacheDir: string;
  now: () => bigint;
  /** Runs a go process once `weight` link slots are free (the queue's slots). */
  inSlots: <T>(weight: number, task: () => Promise<T>) => Promise<T>;
  /** `go build` flags of a request without -o and the package (undefined: it builds alone). */
  batchFlags: (req: GoBuildRequest) => string[] | undefined;
  /** cmd/go's executable name for a package under `go build -o DIR`. */
  execName: (importPath: string, goos: string) => string;
  /** A go process was started (for the queue's stats). */
  started: () => void;
}

/** A request as remembered for the next run. */
interface Remembered {
  go: string;
  configKey: string;
  req: GoBuildRequest;
}

interface RunMemo {
  v: 1;
  requests: Remembered[];
}

/** The go build of a predicted binary failed: its output, for the error of the request claiming it. */
export class PredictedBuildFailed extends Error {
  readonly output: string;
  /** Binaries the failed go build made. */
  readonly size: number;
  constructor(output: string, size: number) {
    super('go build failed');
    this.output = output;
    this.size = size;
  }
}

/** One predicted binary: where Go writes it, and whether a request took it. */
export interface Prediction {
  /** Waits until Go has written the binary, then moves it to `out`. */
  take(out: string): Promise<void>;
}

interface Entry extends Prediction {
  claimed: boolean;
  dropped: boolean;
  /** Settles when the entry is taken (moved or failed) or dropped: then its file may go. */
  settled: Promise<void>;
  settle: () => void;
  batch: { entries: Entry[]; stop?: () => void };
}

function isRunMemo(v: unknown): v is RunMemo {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return o.v === 1 && Array.isArray(o.requests) && o.requests.every((r) => {
    const x = r as Record<string, unknown>;
    const req = x.req as Record<string, unknown> | undefined;
    return typeof x.go === 'string' && typeof x.configKey === 'string' && typeof req === 'object' && req !== null && typeof req.moduleRoot === 'string' && typeof req.packagePath === 'string' && typeof req.out === 'string' && typeof req.goos === 'string' && typeof req.goarch === 'string' && typeof req.label === 'string' && typeof req.xDefs === 'object' && Array.isArray(req.gcLinkopts) && Array.isArray(req.gcGoopts) && Array.isArray(req.tags);
  });
}

function claimKey(configKey: string, req: GoBuildRequest): string {
  return JSON.stringify([configKey, resolve(req.moduleRoot), req.packagePath, resolve(req.out)]);
}

export class PredictedBuilds {
  readonly #host: PredictionHost;
  readonly #entries = new Map<string, Entry>();
  #open = true;
  #file: string | undefined;
  #previousText: string | undefined;
  readonly #made: Remembered[] = [];

  constructor(host: PredictionHost) {
    this.#host = host;
  }

  /**
   * Starts the go builds the previous run with this key predicts, before this returns (the run's
   * analysis then holds the thread; the go processes run beside it). The promise resolves when
   * they are over and their outputs taken or dropped. Never throws: a prediction that cannot be
   * made is none.
   */
  start(runKey: string, tc: GoToolchain, env: NodeJS.ProcessEnv): Promise<void> {
    this.#file = join(this.#host.cacheDir, `run-${createHash('sha256').update(runKey).digest('hex')}.json`);
    try {
      return Promise.all(this.#launch(tc, env)).then(() => {});
    } catch (err) {
      debug(`no predicted builds: ${(err as Error).message}`);
      return Promise.resolve();
    }
  }

  #launch(tc: GoToolchain, env: NodeJS.ProcessEnv): Array<Promise<void>> {
    let memo: unknown;
    try {
      this.#previousText = readFileSync(this.#file as string, 'utf8');
      memo = JSON.parse(this.#previousText);
    } catch {
      return [];
    }
    if (!isRunMemo(memo)) return [];
    const groups = new Map<string, Remembered[]>();
    for (const r of memo.requests) if (r.go === tc.go) groups.set(r.configKey, [...(groups.get(r.configKey) ?? []), r]);
    const batches: Array<Promise<void>> = [];
    for (const [configKey, rs] of groups) {
      const first = (rs[0] as Remembered).req;
      const flags = this.#host.batchFlags(first);
      if (!flags || !this.#open) continue;
      const goEnv = goBuildEnv(first, env);
      // The same key: the same toolchain, flags and Go environment as the requests remembered.
      if (goConfigKey({ go: tc.go, moduleRoot: first.moduleRoot, flags, env: goEnv, cgo: first.cgo }) !== configKey) continue;
      const pass = recallPass({
        go: tc.go,
        moduleRoot: first.moduleRoot,
        flags,
        env: goEnv,
        packages: [...new Set(rs.map((r) => r.req.packagePath))],
        configKey,
        cacheDir: this.#host.cacheDir,
        now: this.#host.now(),
        racyWindowNs: RACY_WINDOW_NS,
      });
      if (!pass || pass.dirty.size === 0) continue;
      // One binary per executable name (Go writes each name once per build).
      const byName = new Map<string, Remembered>();
      for (const r of rs) {
        const main = packageInDir(pass.graph, resolve(r.req.moduleRoot, r.req.packagePath));
        if (!main || !closureTouches(pass.graph, main.ImportPath, pass.dirty)) continue;
        const name = this.#host.execName(main.ImportPath, r.req.goos);
        if (!byName.has(name)) byName.set(name, r);
      }
      if (byName.size > 0) batches.push(this.#build(tc, configKey, flags, goEnv, byName));
    }
    return batches;
  }

  /** Registers the predicted binaries and starts their go build (at once when slots are free). */
  #build(tc: GoToolchain, configKey: string, flags: string[], env: NodeJS.ProcessEnv, byName: Map<string, Remembered>): Promise<void> {
    const parent = dirname(resolve(this.#host.cacheDir));
    mkdirSync(parent, { recursive: true });
    const dir = mkdtempSync(join(parent, 'go-predicted-'));
    const work = join(dir, '.work');
    mkdirSync(work);
    const batch: Entry['batch'] = { entries: [] };
    // As a batch does: an output Go finds still current is kept, not linked again.
    const previous = new Map<string, bigint>();
    for (const [name, r] of byName) linkPrevious(dir, name, r.req.out, previous);
    const written = new Map<string, () => void>();
    const failed = new Map<string, (e: Error) => void>();
    for (const [name, r] of byName) {
      let wrote = () => {};
      let fail: (e: Error) => void = () => {};
      const done = new Promise<void>((ok, no) => ((wrote = ok), (fail = no)));
      done.catch(() => {});
      written.set(name, wrote);
      failed.set(name, fail);
      let settle = () => {};
      const entry: Entry = {
        claimed: false,
        dropped: false,
        settled: new Promise<void>((r) => (settle = r)),
        settle: () => settle(),
        batch,
        take: async (out) => {
          try {
            await done;
            await moveOut(dir, name, out);
          } finally {
            settle();
          }
        },
      };
      batch.entries.push(entry);
      this.#entries.set(claimKey(configKey, r.req), entry);
    }
    debug(() => `predicted go build of ${byName.size} binar${byName.size === 1 ? 'y' : 'ies'} whose packages changed since the last run`);
    const built = this.#host.inSlots(byName.size, async () => {
      if (batch.entries.every((e) => e.dropped)) return;
      this.#host.started();
      const { code, output } = await runGoBatch({
        go: tc.go,
        cwd: (byName.values().next().value as Remembered).req.moduleRoot,
        // Go's own work directory inside ours: a stopped build leaves nothing behind.
        env: { ...env, GOTMPDIR: work },
        flags,
        packages: [...byName.values()].map((r) => r.req.packagePath),
        dir,
        names: new Set(byName.keys()),
        previous,
        written: (name) => written.get(name)?.(),
        stoppable: (stop) => (batch.stop = stop),
      });
      for (const name of byName.keys()) {
        if (code === 0 && existsSync(join(dir, name))) written.get(name)?.();
        else failed.get(name)?.(new PredictedBuildFailed(output, byName.size));
      }
    });
    return built
      .catch((err: unknown) => {
        for (const f of failed.values()) f(err as Error);
      })
      .then(() => Promise.all(batch.entries.map((e) => e.settled)))
      .finally(() => rm(dir, { recursive: true, force: true }))
      .then(() => {});
  }

  /** No new predictions from here on: the run's own requests have started to arrive. */
  seal(): void {
    this.#open = false;
  }

  /** The prediction matching this request, taken for it (at most once), if any. */
  claim(configKey: string, req: GoBuildRequest): Prediction | undefined {
    const key = claimKey(configKey, req);
    const e = this.#entries.get(key);
    if (!e || e.claimed || e.dropped) return undefined;
    e.claimed = true;
    this.#entries.delete(key);
    return e;
  }

  /** Drops every prediction no request claimed, stopping builds none of whose outputs is wanted. */
  dropUnclaimed(): void {
    this.seal();
    const stopped = new Set<Entry['batch']>();
    for (const e of this.#entries.values()) {
      if (e.claimed) continue;
      e.dropped = true;
      e.settle();
      if (e.batch.entries.every((x) => x.dropped) && !stopped.has(e.batch)) {
        stopped.add(e.batch);
        e.batch.stop?.();
      }
    }
    this.#entries.clear();
  }

  /** A request of this run, to predict the next run's builds from. */
  record(go: string, configKey: string, req: GoBuildRequest): void {
    if (req.overlay !== undefined || req.modfile !== undefined || req.stamped) return;
    this.#made.push({ go, configKey, req });
  }

  /** Writes this run's requests for the next run with the same key (when they changed). */
  async remember(): Promise<void> {
    if (this.#file === undefined || this.#made.length === 0) return;
    const text = JSON.stringify({ v: 1, requests: this.#made } satisfies RunMemo);
    if (text !== this.#previousText) await writeFileAtomic(this.#file, text);
  }
}
