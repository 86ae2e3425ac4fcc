// Every go_binary of a run goes through one queue. Requests that arrive together are grouped by
// what must be equal for binaries to share one `go build` (module, the build flags without -o and
// the package — so x_defs, tags, an -overlay or a -modfile split groups — and the environment Go
// reads: GOOS, GOARCH, CGO_ENABLED, …). Per group: one dependency pass (deps.ts) gives each binary
// its own key; binaries whose key and output are unchanged run no go process; the rest are built
// by ONE `go build -o DIR pkg…` (Go loads the packages once and schedules compiles and links across
// cores). Go processes hold link slots (at most one per core in all), so builds of several
// platforms never run more links than cores.
import { copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { goBinaryKey, goConfigKey, isUpToDate, RACY_WINDOW_NS, rememberBuild } from './action_cache.ts';
import { goBuild, goBuildArgs, goBuildEnv, GoBuildError, type GoBuildRequest } from './build.ts';
import { closureOf, closureTouches, depGraphOrPrevious, packageInDir, type DepGraph, type GoGate } from './deps.ts';
import { linkPrevious, moveOut, runGoBatch } from './batch_process.ts';
import { PredictedBuildFailed, PredictedBuilds } from './predicted.ts';
import type { GoToolchain } from './toolchain.ts';
import { debug } from '../util/debug.ts';

export type GoBuildOutcome = 'built' | 'up to date';

interface Item {
  tc: GoToolchain;
  req: GoBuildRequest;
  env: NodeJS.ProcessEnv;
  /** `go build` flags without the output and the package; undefined: this request builds alone. */
  flags?: string[];
  resolve: (o: GoBuildOutcome) => void;
  reject: (e: unknown) => void;
}

export interface GoBuildQueueOptions {
  /** Where keys, outputs' identities and dependency passes are remembered. */
  cacheDir: string;
  /** Link slots (default: the machine's cores). */
  jobs?: number;
  /** How long the queue waits for more requests after the last one before it starts (ms). */
  gatherMs?: number;
  now?: () => bigint;
}

/** What the queue did, for logs and benchmarks. */
export interface GoQueueStats {
  /** `go list` passes run, and passes recalled (or derived after an edit) without a go process. */
  listed: number;
  recalled: number;
  /** `go build` processes started, and the binaries they built. */
  goBuilds: number;
  built: number;
  upToDate: number;
  /** Binaries taken from a build started before analysis ended (predicted.ts). */
  predicted: number;
}

/** One flush's groups: when each has queued its builds, and when each build holds its slots. */
interface FlushState {
  decided: Array<Promise<void>>;
  started: Array<Promise<void>>;
}

/** Waits for `weight` of `total` slots, first come first served. */
class Slots {
  #free: number;
  readonly #total: number;
  readonly #waiting: Array<{ weight: number; go: () => void }> = [];
  constructor(total: number) {
    this.#total = Math.max(1, total);
    this.#free = this.#total;
  }
  async run<T>(weight: number, task: () => Promise<T>): Promise<T> {
    const w = Math.min(Math.max(1, weight), this.#total);
    if (this.#waiting.length === 0 && this.#free >= w) this.#free -= w;
    else await new Promise<void>((go) => this.#waiting.push({ weight: w, go }));
    try {
      return await task();
    } finally {
      this.#free += w;
      while (this.#waiting.length > 0 && this.#free >= (this.#waiting[0] as { weight: number }).weight) {
        const next = this.#waiting.shift() as { weight: number; go: () => void };
        this.#free -= next.weight;
        next.go();
      }
    }
  }
}

/** cmd/go's name for a main package's executable under `go build -o DIR` (load.DefaultExecName). */
export function defaultExecName(importPath: string, goos: string): string {
  const parts = importPath.split('/');
  let elem = parts[parts.length - 1] as string;
  // example.com/cmd/v2 installs as "cmd": a major-version suffix is not a name.
  if (parts.length > 1 && /^v[0-9]+$/.test(elem) && !/^v[01]$/.test(elem) && !/^v0/.test(elem)) elem = parts[parts.length - 2] as string;
  return goos === 'windows' ? `${elem}.exe` : elem;
}

/** The flags of `goBuildArgs(req)` between `build` and `-o OUT PKG`, if it has that shape. */
function batchFlags(req: GoBuildRequest): string[] | undefined {
  const args = goBuildArgs(req);
  const o = args.lastIndexOf('-o');
  if (args[0] !== 'build' || o < 1 || args[o + 1] !== req.out || args.length !== o + 3 || args[o + 2] !== req.packagePath) return undefined;
  return args.slice(1, o);
}

/** The environment entries Go reads (as action_cache.ts keys them), in a stable order. */
function goEnvPart(env: NodeJS.ProcessEnv): string {
  return JSON.stringify(
    Object.entries(env)
      .filter(([k]) => /^(GO|CGO_)/.test(k) || ['CC', 'CXX', 'AR', 'FC', 'PKG_CONFIG', 'GCCGO', 'HOME', 'XDG_CONFIG_HOME', 'PATH', 'TMPDIR'].includes(k))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

export class GoBuildQueue {
  readonly #opts: Required<Omit<GoBuildQueueOptions, 'now'>> & { now: () => bigint };
  readonly #slots: Slots;
  #pending: Item[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #active = new Set<Promise<void>>();
  readonly stats: GoQueueStats = { listed: 0, recalled: 0, goBuilds: 0, built: 0, upToDate: 0, predicted: 0 };
  readonly #predicted: PredictedBuilds;

  constructor(opts: GoBuildQueueOptions) {
    this.#opts = {
      cacheDir: opts.cacheDir,
      jobs: opts.jobs ?? availableParallelism(),
      gatherMs: opts.gatherMs ?? 15,
      now: opts.now ?? (() => BigInt(Date.now()) * 1_000_000n),
    };
    this.#slots = new Slots(this.#opts.jobs);
    this.#predicted = new PredictedBuilds({
      cacheDir: this.#opts.cacheDir,
      now: this.#opts.now,
      inSlots: (weight, task) => this.#slots.run(weight, task),
      batchFlags,
      execName: defaultExecName,
      started: () => this.stats.goBuilds++,
    });
  }

  /**
   * Starts, before analysis ends, the builds the previous run with this key (the targets and
   * platforms asked for) predicts: its binaries whose packages changed since (predicted.ts).
   */
  predict(runKey: string, tc: GoToolchain, env: NodeJS.ProcessEnv): void {
    const run = this.#predicted.start(runKey, tc, env);
    this.#active.add(run);
    void run.finally(() => this.#active.delete(run));
  }

  /** Drops predicted builds no request claimed (the run ends, or failed before asking). */
  dropPredictions(): void {
    this.#predicted.dropUnclaimed();
  }

  /** Remembers this run's requests, to predict the next run's builds from. */
  rememberRun(): Promise<void> {
    return this.#predicted.remember();
  }

  /**
   * Resolves when nothing is queued or running: the work after the binaries are handed on (a new
   * dependency pass, remembering keys) is done too.
   */
  async idle(): Promise<void> {
    while (this.#active.size > 0 || this.#pending.length > 0) {
      if (this.#active.size > 0) await Promise.all(this.#active);
      else await new Promise((r) => setTimeout(r, this.#opts.gatherMs));
    }
  }

  /**
   * How many builds this run will ask for (its analysed go_binary targets): once that many have
   * arrived they go at once instead of after a quiet gap. A wrong count only costs time: fewer
   * arrive, the gap ends the wait; more arrive, they form another group.
   */
  expect(builds: number): void {
    this.#expected = this.#requested + builds;
  }

  #requested = 0;
  #expected: number | undefined;

  /** Builds `req.out` (or finds it up to date); resolves once that binary is in place. */
  build(tc: GoToolchain, req: GoBuildRequest, env: NodeJS.ProcessEnv = process.env): Promise<GoBuildOutcome> {
    return new Promise<GoBuildOutcome>((resolve, reject) => {
      this.#pending.push({ tc, req, env, flags: batchFlags(req), resolve, reject });
      this.#requested++;
      if (this.#timer) clearTimeout(this.#timer);
      if (this.#requested === this.#expected) {
        this.#flush();
        return;
      }
      // Requests of one run arrive within milliseconds of each other: wait until they stop coming.
      this.#timer = setTimeout(() => this.#flush(), this.#opts.gatherMs);
    });
  }

  #flush(): void {
    this.#timer = undefined;
    this.#predicted.seal();
    const items = this.#pending;
    this.#pending = [];
    const groups = new Map<string, Item[]>();
    let alone = 0;
    for (const it of items) {
      const env = goBuildEnv(it.req, it.env);
      const key = it.flags ? JSON.stringify([it.tc.go, resolve(it.req.moduleRoot), it.flags, goEnvPart(env)]) : `alone ${alone++}`;
      const g = groups.get(key) ?? [];
      g.push(it);
      groups.set(key, g);
    }
    // Every group's builds claim their link slots before any group's new dependency pass does.
    const flush: FlushState = { decided: [], started: [] };
    const decide = [...groups.values()].map(() => {
      let done = () => {};
      flush.decided.push(new Promise<void>((r) => (done = r)));
      return () => done();
    });
    for (const [k, g] of [...groups.values()].entries()) {
      const decided = decide[k] as () => void;
      const run = this.#runGroup(g, flush, decided)
        .catch((err: unknown) => {
          for (const it of g) it.reject(err);
        })
        .finally(decided);
      this.#active.add(run);
      void run.finally(() => this.#active.delete(run));
    }
    // Every group has claimed its predicted binaries by the time it has decided: the rest go.
    void Promise.all(flush.decided).then(() => this.#predicted.dropUnclaimed());
  }

  async #runGroup(items: Item[], flush: FlushState, decided: () => void): Promise<void> {
    const first = items[0] as Item;
    const env = goBuildEnv(first.req, first.env);
    const flags = first.flags ?? goBuildArgs(first.req).slice(1, -3);
    const now = this.#opts.now();
    const configKey = goConfigKey({ go: first.tc.go, moduleRoot: first.req.moduleRoot, flags, env, cgo: first.req.cgo });
    if (configKey !== undefined && first.flags) for (const it of items) this.#predicted.record(it.tc.go, configKey, it.req);
    let graph: DepGraph | undefined;
    // When only some packages changed since the remembered pass: decide with that pass now, and
    // key the rebuilt binaries with the new one (`fresh`) when it comes.
    let previous: { dirty: Set<string>; fresh: (gate?: GoGate) => Promise<DepGraph | undefined> } | undefined;
    if (configKey !== undefined && first.flags) {
      const r = await depGraphOrPrevious({
        go: first.tc.go,
        moduleRoot: first.req.moduleRoot,
        flags,
        env,
        packages: [...new Set(items.map((i) => i.req.packagePath))],
        configKey,
        cacheDir: this.#opts.cacheDir,
        now,
        racyWindowNs: RACY_WINDOW_NS,
      });
      if ('graph' in r) graph = r.graph;
      else {
        graph = r.previous;
        previous = { dirty: r.dirty, fresh: r.fresh };
      }
      // After an edit, the new pass is counted when it is known whether it needed go list.
      if (graph?.listed) this.stats.listed++;
      else if (graph && !previous) this.stats.recalled++;
    }
    const stale: Array<{ it: Item; key?: string; importPath?: string; keyLater?: boolean }> = [];
    await Promise.all(
      items.map(async (it) => {
        const main = graph ? packageInDir(graph, resolve(it.req.moduleRoot, it.req.packagePath)) : undefined;
        if (graph && main && previous && closureTouches(graph, main.ImportPath, previous.dirty)) {
          stale.push({ it, importPath: main.ImportPath, keyLater: true });
          return;
        }
        const closure = graph && main ? closureOf(graph, main.ImportPath) : undefined;
        const key = graph && closure && configKey ? goBinaryKey(configKey, it.req.out, graph.moduleFiles, closure.prints) : undefined;
        if (key !== undefined && (await isUpToDate(this.#opts.cacheDir, key, it.req.out))) {
          this.stats.upToDate++;
          it.resolve('up to date');
          return;
        }
        // Remembered only when what this binary reads is older than the racy window.
        const settled = closure !== undefined && closure.newestNs < now - RACY_WINDOW_NS;
        if (key !== undefined && closure) debug(() => `go action cache key ${key.slice(0, 16)} (${closure.prints.length} packages, ${settled ? 'settled' : 'changed within the racy window: not remembered'})`);
        stale.push({ it, key: settled ? key : undefined, importPath: main?.ImportPath });
      }),
    );
    if (stale.length === 0 && !previous) return;
    const keyLater: Item[] = [];
    const done = async (s: { it: Item; key?: string; keyLater?: boolean }): Promise<void> => {
      this.stats.built++;
      s.it.resolve('built');
      if (s.keyLater) keyLater.push(s.it);
      else if (s.key !== undefined) await rememberBuild(this.#opts.cacheDir, s.key, s.it.req.out);
    };
    // Binaries a build started before analysis ended is making (predicted.ts): taken, not built again.
    const taken = configKey === undefined || !first.flags ? [] : stale.flatMap((s) => {
      const p = this.#predicted.claim(configKey, s.it.req);
      return p ? [{ s, p }] : [];
    });
    const rest = stale.filter((s) => !taken.some((t) => t.s === s));
    // One binary, or packages go list could not name: `go build -o OUT PKG` each, as before.
    const batchable = rest.filter((s) => s.importPath !== undefined && s.it.flags);
    const single = rest.filter((s) => !batchable.includes(s));
    // Each build reports when it holds its link slots, so the new pass can queue behind them.
    const started = flush.started;
    const slotted = (): { began: () => void } => {
      let began = () => {};
      started.push(new Promise<void>((r) => (began = r)));
      return { began: () => began() };
    };
    const runs: Array<Promise<void>> = single.map((s) => {
      const st = slotted();
      return this.#slots.run(1, async () => {
        st.began();
        this.stats.goBuilds++;
        await goBuild(s.it.tc, s.it.req, s.it.env);
      }).then(() => done(s), (err: unknown) => (st.began(), s.it.reject(err)));
    });
    for (const { s, p } of taken) {
      this.stats.predicted++;
      runs.push(p.take(s.it.req.out).then(() => done(s), (err: unknown) => s.it.reject(err instanceof PredictedBuildFailed ? batchError(s.it.req, err.size, err.output) : err)));
    }
    if (batchable.length === 1) {
      const s = batchable[0] as (typeof batchable)[number];
      const st = slotted();
      runs.push(this.#slots.run(1, async () => {
        st.began();
        this.stats.goBuilds++;
        await goBuild(s.it.tc, s.it.req, s.it.env);
      }).then(() => done(s), (err: unknown) => (st.began(), s.it.reject(err))));
    } else if (batchable.length > 1) {
      for (const batch of splitByName(batchable as Array<{ it: Item; key?: string; importPath: string }>)) {
        const st = slotted();
        runs.push(this.#runBatch(batch, env, flags, done, st.began).then(() => {}, (err: unknown) => {
          st.began();
          for (const s of batch) s.it.reject(err instanceof BatchFailed ? batchError(s.it.req, batch.length, err.output) : err);
        }));
      }
    }
    // A new `go list` takes a link slot too, queued behind this group's builds: on a free core it
    // runs beside them (one binary on two cores), else after them (they need the cores more).
    // A pass derived without go (deps.ts) needs no slot. Either is remembered for the next run
    // and keys what was rebuilt here (the binaries went on without it).
    decided();
    const fresh0 = previous?.fresh;
    const gate: GoGate = (task) => this.#slots.run(1, task);
    const freshRun = fresh0 ? Promise.all(flush.decided).then(() => Promise.all(flush.started)).then(() => fresh0(gate)) : undefined;
    await Promise.all(runs);
    if (!previous || !freshRun) return;
    const fresh = await freshRun;
    if (fresh?.listed === false) this.stats.recalled++;
    else this.stats.listed++;
    if (!fresh || configKey === undefined) return;
    for (const it of keyLater) {
      const main = packageInDir(fresh, resolve(it.req.moduleRoot, it.req.packagePath));
      const closure = main ? closureOf(fresh, main.ImportPath) : undefined;
      if (!closure) continue;
      const key = goBinaryKey(configKey, it.req.out, fresh.moduleFiles, closure.prints);
      const settled = closure.newestNs < now - RACY_WINDOW_NS;
      debug(() => `go action cache key ${key.slice(0, 16)} (${closure.prints.length} packages, ${settled ? 'settled' : 'changed within the racy window: not remembered'})`);
      if (settled) await rememberBuild(this.#opts.cacheDir, key, it.req.out);
    }
  }

  /**
   * One `go build -o DIR/ pkg…` for binaries of distinct names, each moved to its own output and
   * handed to `ready` as soon as Go has written it (Go renames each finished link into DIR, which
   * a watch on DIR sees), so packing and pushing start while the other links still run.
   */
  async #runBatch<T extends { it: Item; importPath: string }>(batch: T[], env: NodeJS.ProcessEnv, flags: string[], ready: (s: T) => Promise<void>, began: () => void): Promise<void> {
    const first = (batch[0] as T).it;
    const goos = first.req.goos;
    // One build per package: the same package with the same flags is the same binary.
    const byName = new Map<string, T[]>();
    for (const s of batch) {
      const name = defaultExecName(s.importPath, goos);
      byName.set(name, [...(byName.get(name) ?? []), s]);
    }
    const parent = dirname(resolve(this.#opts.cacheDir));
    await mkdir(parent, { recursive: true });
    const dir = await mkdtemp(join(parent, 'go-batch-'));
    const placed = new Map<string, Promise<void>>();
    const previous = new Map<string, bigint>();
    const place = (name: string): Promise<void> => {
      let p = placed.get(name);
      if (!p) {
        p = (async () => {
          const outs = byName.get(name) as T[];
          const head = outs[0] as T;
          await moveOut(dir, name, head.it.req.out);
          for (const r of outs.slice(1)) {
            await mkdir(dirname(r.it.req.out), { recursive: true });
            await copyFile(head.it.req.out, `${r.it.req.out}.tmp`);
            await rename(`${r.it.req.out}.tmp`, r.it.req.out);
          }
          await Promise.all(outs.map(ready));
        })();
        placed.set(name, p);
      }
      return p;
    };
    try {
      const packages: string[] = [];
      for (const [name, outs] of byName) {
        const s = outs[0] as T;
        packages.push(s.it.req.packagePath);
        linkPrevious(dir, name, s.it.req.out, previous);
      }
      const weight = Math.min(byName.size, this.#opts.jobs);
      await this.#slots.run(weight, async () => {
        began();
        this.stats.goBuilds++;
        const { code, output } = await runGoBatch({
          go: first.tc.go,
          cwd: first.req.moduleRoot,
          env,
          flags,
          packages,
          dir,
          names: new Set(byName.keys()),
          previous,
          written: (name) => void place(name).catch(() => {}),
        });
        if (code !== 0) throw new BatchFailed(output);
      });
      for (const name of byName.keys()) await place(name);
    } finally {
      await Promise.allSettled(placed.values());
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** Go's output of a failed batch; each binary gets its own error from it (batchError). */
class BatchFailed extends Error {
  readonly output: string;
  constructor(output: string) {
    super('go build failed');
    this.output = output;
  }
}

function batchError(req: GoBuildRequest, size: number, output: string): GoBuildError {
  // Go names the package and file that failed; every binary of the batch shares that output.
  const others = size > 1 ? `; one go build with ${size - 1} other binar${size === 2 ? 'y' : 'ies'}` : '';
  return new GoBuildError(req.label, `go build failed (GOOS=${req.goos} GOARCH=${req.goarch}${others})`, output, req.moduleRoot);
}

/** Batches in which no two packages share an executable name (Go would refuse to write both). */
function splitByName<T extends { it: Item; importPath: string }>(items: T[]): T[][] {
  const batches: Array<{ names: Map<string, string>; items: T[] }> = [];
  for (const s of items) {
    const name = defaultExecName(s.importPath, s.it.req.goos);
    let b = batches.find((x) => !x.names.has(name) || x.names.get(name) === s.importPath);
    if (!b) batches.push((b = { names: new Map(), items: [] }));
    b.names.set(name, s.importPath);
    b.items.push(s);
  }
  return batches.map((b) => b.items);
}
