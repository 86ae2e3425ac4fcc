// Measuring one command: wall time, peak RSS of the largest process in its tree (GNU time's %M,
// i.e. the children's ru_maxrss) and the peak of the whole tree's summed RSS (sampled from /proc
// every 100 ms). Also: medians, the peer tools (ko, crane) built into a cache dir, and a
// recording HTTP proxy that counts what each tool sends to a registry.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BENCH_CACHE = join(tmpdir(), 'oci-build-bench');
export const BIN_DIR = join(BENCH_CACHE, 'bin');
const PAGE = 4096;

export interface Sample {
  seconds: number;
  /** KiB: the largest single process of the tree (GNU time %M). */
  maxRssKiB: number;
  /** KiB: the largest sum of RSS over the whole process tree seen while sampling. */
  treeRssKiB: number;
  code: number;
  stdout: string;
  stderr: string;
  /** Seconds from the start until stderr first held each of RunOptions.marks (by source). */
  marks?: Record<string, number>;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run through `sh -c`. */
  shell?: boolean;
  /** Note when stderr first matches each (e.g. /^> Pushing/m: where the push phase starts). */
  marks?: RegExp[];
}

function children(): Map<number, number[]> {
  const kids = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = kids.get(ppid) ?? [];
      list.push(Number(name));
      kids.set(ppid, list);
    } catch {
      // gone
    }
  }
  return kids;
}

function treeRss(root: number): number {
  const kids = children();
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    try {
      total += Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE;
    } catch {
      // gone
    }
    stack.push(...(kids.get(pid) ?? []));
  }
  return Math.round(total / 1024);
}

/** Runs cmd under /usr/bin/time; throws with its output when it fails (unless allowFail). */
export async function measure(cmd: string, args: string[], opts: RunOptions = {}, allowFail = false): Promise<Sample> {
  const rssFile = join(BENCH_CACHE, `time-${process.pid}-${Date.now()}.txt`);
  mkdirSync(BENCH_CACHE, { recursive: true });
  const argv = opts.shell ? ['sh', '-c', [cmd, ...args].join(' ')] : [cmd, ...args];
  const started = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%M', '-o', rssFile, ...argv], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  const marks: Record<string, number> = {};
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString('utf8');
    for (const re of opts.marks ?? []) if (marks[re.source] === undefined && re.test(stderr)) marks[re.source] = (performance.now() - started) / 1000;
  });
  let peak = 0;
  const timer = setInterval(() => {
    if (child.pid) peak = Math.max(peak, treeRss(child.pid));
  }, 100);
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  let maxRssKiB = 0;
  try {
    const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
    maxRssKiB = Number(lines[lines.length - 1]) || 0;
  } catch {
    // time did not write it
  }
  rmSync(rssFile, { force: true });
  if (code !== 0 && !allowFail) {
    throw new Error(`${argv.join(' ')} exited with ${code}:\n${(stderr || stdout).trim().slice(-4000)}`);
  }
  return { seconds, maxRssKiB, treeRssKiB: Math.max(peak, maxRssKiB), code, stdout, stderr, marks };
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** ko and crane, built with `go install` into ${tmpdir}/oci-build-bench/bin (once). */
export async function ensureTools(log: (m: string) => void): Promise<{ ko: string; crane: string }> {
  const tools = { ko: 'github.com/google/ko@v0.19.1', crane: 'github.com/google/go-containerregistry/cmd/crane@latest' };
  const out: Record<string, string> = {};
  for (const [name, pkg] of Object.entries(tools)) {
    const path = join(BIN_DIR, name);
    if (!existsSync(path)) {
      log(`installing ${name} (go install ${pkg}) into ${BIN_DIR}`);
      await measure('go', ['install', pkg], { cwd: tmpdir(), env: { ...process.env, GOBIN: BIN_DIR } });
    }
    out[name] = path;
  }
  return out as { ko: string; crane: string };
}

// ---------------------------------------------------------------------------------------------
// Recording proxy in front of a registry

export interface ProxyRecord {
  method: string;
  path: string;
  status: number;
  /** Request body bytes. */
  bytes: number;
  /** Response body bytes (what the client downloaded). */
  resBytes: number;
}

export class RecordingProxy {
  readonly log: ProxyRecord[] = [];
  /** `127.0.0.1:PORT`, or `unix://PATH` when listening on a unix socket. */
  host = '';
  #server: Server | undefined;
  /** A loopback port, or the path of a unix socket (e.g. the Docker daemon's). */
  readonly target: number | string;
  readonly #listenPath: string | undefined;

  /** listenPath: listen on this unix socket instead of a loopback port (for a unix-socket target). */
  constructor(target: number | string, listenPath?: string) {
    this.target = target;
    this.#listenPath = listenPath;
  }

  async start(): Promise<void> {
    const upstream = typeof this.target === 'number' ? { host: '127.0.0.1', port: this.target } : { socketPath: this.target };
    this.#server = createServer((req, res) => {
      const rec: ProxyRecord = { method: req.method ?? 'GET', path: req.url ?? '/', status: 0, bytes: 0, resBytes: 0 };
      this.log.push(rec);
      req.on('data', (c: Buffer) => (rec.bytes += c.length));
      const up = httpRequest({ ...upstream, method: req.method, path: req.url, headers: req.headers });
      up.on('error', () => req.socket.destroy());
      up.on('response', (ures) => {
        rec.status = ures.statusCode ?? 0;
        res.writeHead(ures.statusCode ?? 502, ures.headers);
        ures.on('data', (c: Buffer) => (rec.resBytes += c.length));
        ures.pipe(res);
      });
      req.pipe(up);
    });
    if (this.#listenPath) {
      rmSync(this.#listenPath, { force: true });
      await new Promise<void>((resolve) => this.#server!.listen(this.#listenPath, () => resolve()));
      this.host = `unix://${this.#listenPath}`;
    } else {
      await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', () => resolve()));
      this.host = `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    }
  }

  mark(): number {
    return this.log.length;
  }

  /**
   * What happened since mark: blob uploads finished (PUT …/blobs/uploads/…?digest=), mounts, HEADs,
   * blob downloads (GET …/blobs/<digest> answered 2xx, with the response body bytes), bytes sent
   * (request bodies) and received (response bodies) in all.
   */
  since(mark: number): {
    uploads: Array<{ digest: string; bytes: number }>;
    downloads: Array<{ digest: string; bytes: number }>;
    mounts: number;
    heads: number;
    manifests: number;
    requests: number;
    bytes: number;
    resBytes: number;
  } {
    const recs = this.log.slice(mark);
    const uploads: Array<{ digest: string; bytes: number }> = [];
    const downloads: Array<{ digest: string; bytes: number }> = [];
    const pending = new Map<string, number>();
    let mounts = 0;
    for (const r of recs) {
      const url = new URL(r.path, 'http://x');
      const get = r.method === 'GET' ? /^\/v2\/.+\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname) : null;
      if (get && r.status >= 200 && r.status < 300) downloads.push({ digest: get[1]!, bytes: r.resBytes });
      if (!url.pathname.includes('/blobs/uploads/')) continue;
      const session = url.pathname.slice(url.pathname.indexOf('/blobs/uploads/'));
      if (r.method === 'POST' && url.searchParams.has('mount') && r.status === 201) mounts++;
      pending.set(session, (pending.get(session) ?? 0) + r.bytes);
      if (r.method === 'PUT' && r.status === 201) {
        uploads.push({ digest: url.searchParams.get('digest') ?? '?', bytes: pending.get(session) ?? r.bytes });
      } else if (r.method === 'POST' && url.searchParams.has('digest') && r.status === 201) {
        uploads.push({ digest: url.searchParams.get('digest') ?? '?', bytes: r.bytes }); // monolithic POST
      }
    }
    return {
      uploads,
      downloads,
      mounts,
      heads: recs.filter((r) => r.method === 'HEAD').length,
      manifests: recs.filter((r) => r.method === 'PUT' && r.path.includes('/manifests/')).length,
      requests: recs.length,
      bytes: recs.reduce((a, r) => a + r.bytes, 0),
      resBytes: recs.reduce((a, r) => a + r.resBytes, 0),
    };
  }

  async stop(): Promise<void> {
    if (!this.#server) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
  }
}

/** Summarises a V8 .cpuprofile: self time per function (name file:line), highest first. */
export function topFrames(profileJson: string, n = 12): { totalMs: number; frames: Array<{ frame: string; selfMs: number; pct: number }> } {
  const p = JSON.parse(profileJson) as {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(p.nodes.map((nd) => [nd.id, nd]));
  const self = new Map<string, number>();
  let total = 0;
  for (const [i, id] of p.samples.entries()) {
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const cf = byId.get(id)?.callFrame;
    if (!cf) continue;
    const file = cf.url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
    const key = `${cf.functionName || '(anonymous)'} ${file ? `${file}:${cf.lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const frames = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([frame, ms]) => ({ frame, selfMs: Math.round(ms), pct: Math.round((ms / total) * 1000) / 10 }));
  return { totalMs: Math.round(total), frames };
}
