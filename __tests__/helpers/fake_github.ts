// An in-process stand-in for the few GitHub REST endpoints the action calls, on a free loopback
// port, with in-memory state and a record of every request:
//
//   GET        /repos/{owner}/{repo}                                (repositories added with addRepository)
//   GET/POST   /repos/{owner}/{repo}/issues/{n}/comments          (paginated: per_page, page, Link)
//   PATCH      /repos/{owner}/{repo}/issues/comments/{id}
//   GET        /{orgs|users}/{owner}/packages/container/{pkg}/versions   (paginated)
//   DELETE     /{orgs|users}/{owner}/packages/container/{pkg}/versions/{id}
//
// Every call needs `Authorization: Bearer <token>` or `token <token>` (Octokit's form; else 401
// Bad credentials). Faults can be
// scripted per method and path. Package names are path segments: `a/b` arrives as `a%2Fb`.
// Also: a docker-registry whose config refuses deletes, which the shared registry helper
// (deletes enabled) does not offer.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './registry.ts';

export interface RecordedGitHubRequest {
  method: string;
  /** As sent: raw path with query (`/orgs/o/packages/container/a%2Fb/versions?per_page=100`). */
  url: string;
  /** Raw path without query. */
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  accept: string | undefined;
  apiVersion: string | undefined;
  userAgent: string | undefined;
  contentType: string | undefined;
  body: unknown;
  /** Status answered. */
  status: number;
}

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string; type: string };
  html_url: string;
  created_at: string;
  updated_at: string;
}

export interface FakeVersion {
  id: number;
  /** The image digest. */
  name: string;
  metadata: { package_type: 'container'; container: { tags: string[] } };
}

export interface FakeFault {
  method?: string;
  /** Tested against the raw path with its query. */
  path: RegExp;
  status: number;
  /** JSON body; default `{ message: <status text> }`. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Matching requests that get the fault. Default 1; Infinity for all. */
  times?: number;
}

export type OwnerKind = 'orgs' | 'users';

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export class FakeGitHub {
  /** A token shaped like an installation token. */
  readonly token = `ghs_${randomBytes(18).toString('hex')}`;
  readonly requests: RecordedGitHubRequest[] = [];
  /** Comments by `owner/repo#number`. */
  readonly comments = new Map<string, FakeComment[]>();
  /** Package versions by `orgs:owner/pkg` or `users:owner/pkg`. */
  readonly packages = new Map<string, FakeVersion[]>();
  /** Owners and their kind; /orgs/{user} and /users/{org} answer 404 as for an unknown owner. */
  readonly owners = new Map<string, OwnerKind>();
  /** Repositories by `owner/repo`, as GET /repos/{owner}/{repo} answers them. */
  readonly repositories = new Map<string, Record<string, unknown>>();
  /** Login that authored comments made with the token. */
  botLogin = 'github-actions[bot]';
  /**
   * What GET /user answers: undefined for an installation token such as GITHUB_TOKEN (403
   * "Resource not accessible by integration"), a login for a user token (then set botLogin too).
   */
  userLogin: string | undefined;
  url = '';
  #faults: Array<FakeFault & { left: number }> = [];
  #nextId = 1000;
  #server: Server | undefined;

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => send(res, 500, { message: `fake server error: ${String(err)}` }));
    });
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', reject);
      this.#server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.#server) return;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server!.close(() => resolve()));
  }

  /** Forgets requests, faults, comments and packages. */
  reset(): void {
    this.requests.length = 0;
    this.#faults = [];
    this.comments.clear();
    this.packages.clear();
    this.owners.clear();
    this.botLogin = 'github-actions[bot]';
    this.userLogin = undefined;
    this.repositories.clear();
  }

  /** A repository GET /repos/{owner}/{repo} knows (docker/metadata-action reads its default branch). */
  addRepository(owner: string, repo: string, defaultBranch = 'main'): void {
    const id = this.#nextId++;
    this.repositories.set(`${owner}/${repo}`, {
      id,
      name: repo,
      full_name: `${owner}/${repo}`,
      owner: { login: owner, type: 'Organization' },
      private: false,
      default_branch: defaultBranch,
      html_url: `https://github.com/${owner}/${repo}`,
      description: null,
      license: null,
      topics: [],
    });
  }

  fail(fault: FakeFault): void {
    this.#faults.push({ ...fault, left: fault.times ?? 1 });
  }

  addComment(owner: string, repo: string, issue: number, body: string, login = 'someone'): FakeComment {
    const list = this.commentsOn(owner, repo, issue);
    const now = new Date().toISOString();
    const id = this.#nextId++;
    const c: FakeComment = {
      id,
      body,
      user: { login, type: login.endsWith('[bot]') ? 'Bot' : 'User' },
      html_url: `https://github.com/${owner}/${repo}/pull/${issue}#issuecomment-${id}`,
      created_at: now,
      updated_at: now,
    };
    list.push(c);
    return c;
  }

  commentsOn(owner: string, repo: string, issue: number): FakeComment[] {
    const key = `${owner}/${repo}#${issue}`;
    let list = this.comments.get(key);
    if (!list) {
      list = [];
      this.comments.set(key, list);
    }
    return list;
  }

  /** Creates a container package; each version gets an id and (unless given) a made-up digest. */
  addPackage(kind: OwnerKind, owner: string, name: string, versions: Array<{ tags: string[]; name?: string }>): FakeVersion[] {
    this.owners.set(owner, kind);
    const list = versions.map((v) => ({
      id: this.#nextId++,
      name: v.name ?? `sha256:${randomBytes(32).toString('hex')}`,
      metadata: { package_type: 'container' as const, container: { tags: [...v.tags] } },
    }));
    this.packages.set(`${kind}:${owner}/${name}`, list);
    return list;
  }

  versionsOf(kind: OwnerKind, owner: string, name: string): FakeVersion[] | undefined {
    return this.packages.get(`${kind}:${owner}/${name}`);
  }

  /** Requests as `METHOD /raw/path` (no query). */
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }

  #page<T>(req: IncomingMessage, res: ServerResponse, items: T[], defaultPerPage: number): void {
    const u = new URL(req.url ?? '/', this.url);
    const perPage = Math.min(100, Math.max(1, Number(u.searchParams.get('per_page') ?? defaultPerPage) || defaultPerPage));
    const page = Math.max(1, Number(u.searchParams.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number) => {
      const l = new URL(u);
      l.searchParams.set('per_page', String(perPage));
      l.searchParams.set('page', String(p));
      return `<${l.toString()}>`;
    };
    const rels: string[] = [];
    if (page < last) rels.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
    if (page > 1) rels.push(`${link(1)}; rel="first"`, `${link(page - 1)}; rel="prev"`);
    send(res, 200, items.slice((page - 1) * perPage, page * perPage), rels.length > 0 ? { link: rels.join(', ') } : {});
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/';
    const u = new URL(raw, this.url);
    const text = await readBody(req);
    let body: unknown;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const rec: RecordedGitHubRequest = {
      method: req.method ?? 'GET',
      url: raw,
      path: raw.split('?')[0]!,
      query: u.searchParams,
      authorization: req.headers.authorization,
      accept: req.headers.accept,
      apiVersion: req.headers['x-github-api-version'] as string | undefined,
      userAgent: req.headers['user-agent'],
      contentType: req.headers['content-type'],
      body,
      status: 0,
    };
    this.requests.push(rec);
    const reply = (status: number, payload?: unknown, headers?: Record<string, string>) => {
      rec.status = status;
      send(res, status, payload, headers);
    };

    if (req.headers.authorization !== `Bearer ${this.token}` && req.headers.authorization !== `token ${this.token}`) {
      return reply(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    }
    for (const f of this.#faults) {
      if (f.left <= 0 || (f.method && f.method !== req.method) || !f.path.test(raw)) continue;
      f.left--;
      return reply(f.status, f.body ?? { message: `injected ${f.status}` }, f.headers);
    }
    const notFound = () => reply(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    const seg = rec.path.split('/').slice(1).map((s) => decodeURIComponent(s));
    const m = req.method;

    if (rec.path === '/user' && m === 'GET') {
      if (this.userLogin === undefined) return reply(403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' });
      return reply(200, { login: this.userLogin, id: 1, type: 'User' });
    }
    if (seg[0] === 'repos' && seg.length === 3 && m === 'GET') {
      const r = this.repositories.get(`${seg[1]}/${seg[2]}`);
      return r ? reply(200, r) : notFound();
    }

    // /repos/{owner}/{repo}/issues/...
    if (seg[0] === 'repos' && seg[3] === 'issues') {
      const [, owner, repo] = seg as [string, string, string];
      if (seg.length === 6 && seg[5] === 'comments' && /^\d+$/.test(seg[4]!)) {
        const n = Number(seg[4]);
        if (m === 'GET') {
          rec.status = 200;
          return this.#page(req, res, this.commentsOn(owner, repo, n), 30);
        }
        if (m === 'POST') {
          const b = body as { body?: unknown } | undefined;
          if (typeof b?.body !== 'string') return reply(422, { message: 'Validation Failed', errors: [{ resource: 'IssueComment', field: 'body', code: 'missing_field' }] });
          return reply(201, this.addComment(owner, repo, n, b.body, this.botLogin));
        }
      }
      if (seg.length === 6 && seg[4] === 'comments' && /^\d+$/.test(seg[5]!) && m === 'PATCH') {
        const id = Number(seg[5]);
        for (const [key, list] of this.comments) {
          if (!key.startsWith(`${owner}/${repo}#`)) continue;
          const c = list.find((x) => x.id === id);
          if (!c) continue;
          const b = body as { body?: unknown } | undefined;
          if (typeof b?.body !== 'string') return reply(422, { message: 'Validation Failed' });
          c.body = b.body;
          c.updated_at = new Date().toISOString();
          return reply(200, c);
        }
        return notFound();
      }
      return notFound();
    }

    // /{orgs|users}/{owner}/packages/container/{pkg}/versions[/{id}]
    if ((seg[0] === 'orgs' || seg[0] === 'users') && seg[2] === 'packages' && seg[3] === 'container' && seg[5] === 'versions') {
      const kind = seg[0] as OwnerKind;
      const owner = seg[1]!;
      const pkg = seg[4]!;
      if (this.owners.get(owner) !== kind) return notFound();
      const versions = this.versionsOf(kind, owner, pkg);
      if (!versions) return notFound();
      if (seg.length === 6 && m === 'GET') {
        rec.status = 200;
        return this.#page(req, res, versions, 30);
      }
      if (seg.length === 7 && m === 'DELETE') {
        const i = versions.findIndex((v) => String(v.id) === seg[6]);
        if (i === -1) return notFound();
        versions.splice(i, 1);
        return reply(204);
      }
      return notFound();
    }
    return notFound();
  }
}

export async function startFakeGitHub(): Promise<FakeGitHub> {
  const gh = new FakeGitHub();
  await gh.start();
  return gh;
}

// ---------------------------------------------------------------------------------------------
// A docker-registry that refuses deletes (storage.delete disabled, distribution's default).

export interface NoDeleteRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  stop(): Promise<void>;
}

export async function startRegistryWithoutDeletes(): Promise<NoDeleteRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'registry-nodelete-'));
  const port = await freePort();
  const config = {
    version: '0.1',
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: join(dir, 'data') },
      delete: { enabled: false },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: `127.0.0.1:${port}`, secret: 'test-http-secret' },
  };
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, JSON.stringify(config, null, 2)); // JSON is YAML.
  const lines: string[] = [];
  const child: ChildProcess = spawn('docker-registry', ['serve', configPath], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (b: Buffer) => lines.push(...b.toString('utf8').split('\n').filter(Boolean));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry exited with ${child.exitCode}:\n${lines.join('\n')}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const r = httpRequest(`http://127.0.0.1:${port}/v2/`, { agent: false, timeout: 1000 }, (res) => {
        res.resume();
        resolve(true);
      });
      r.on('error', () => resolve(false));
      r.on('timeout', () => r.destroy());
      r.end();
    });
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not become ready:\n${lines.join('\n')}`);
    }
    await sleep(50);
  }
  return { host: `127.0.0.1:${port}`, stop };
}
