// Registry credentials the way the docker CLI finds them: `$DOCKER_CONFIG/config.json` (or
// `~/.docker/config.json`) with `auths`, per-host `credHelpers` and a default `credsStore`,
// the helpers being `docker-credential-<name>` programs speaking JSON on stdin/stdout.
// Explicit credentials for a host win over the file. Every secret found goes to `maskSecret`.

import { readFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_HUB_CREDENTIALS_KEY, DOCKER_HUB_REGISTRY, normalizeRegistry } from './reference.ts';
import { debug } from '../util/debug.ts';

export interface AuthConfig {
  username?: string;
  password?: string;
  /** OAuth2 refresh token, exchanged at the token endpoint (grant_type=refresh_token). */
  identityToken?: string;
  /** A bearer token sent as is. */
  registryToken?: string;
  /** Where they came from, for errors (never a secret): `auths in /home/u/.docker/config.json`. */
  source?: string;
}

/** Credentials for a registry (as named in references, e.g. `127.0.0.1:5000`, `index.docker.io`). */
export type CredentialsProvider = (registry: string) => Promise<AuthConfig | undefined>;

export interface ExplicitCredentials {
  registry: string;
  username: string;
  password: string;
}

export interface DockerCredentialsOptions {
  /** Directory holding config.json. Default `$DOCKER_CONFIG`, else `~/.docker`. */
  configDir?: string;
  /** Environment for finding the config and running helpers. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Credentials given directly (action inputs), overriding the file for their registry. */
  explicit?: ExplicitCredentials[];
  /** Called with every secret found, before it is used (wire to core.setSecret). */
  maskSecret?: (secret: string) => void;
  /** Kill a credential helper that takes longer. Default 30 s. */
  helperTimeoutMs?: number;
}

interface DockerConfigAuth {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export interface DockerConfigFile {
  auths?: Record<string, DockerConfigAuth>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env, configDir?: string): string {
  const dir = configDir ?? (env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'));
  return join(dir, 'config.json');
}

/** Reads a docker config file; undefined when it does not exist. Throws on invalid JSON. */
export async function readDockerConfig(path: string): Promise<DockerConfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read docker config ${path}: ${(err as Error).message}`);
  }
  if (text.trim() === '') return {};
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('not a JSON object');
    return json as DockerConfigFile;
  } catch (err) {
    throw new Error(`invalid docker config ${path}: ${(err as Error).message}`);
  }
}

/** Keys a registry's credentials may be stored under, most specific first. */
export function credentialKeys(registry: string): string[] {
  const host = normalizeRegistry(registry);
  const keys = [host, `https://${host}`, `http://${host}`];
  if (host === DOCKER_HUB_REGISTRY) {
    keys.unshift(DOCKER_HUB_CREDENTIALS_KEY);
    keys.push('docker.io', 'https://docker.io', 'registry-1.docker.io', 'https://registry-1.docker.io');
  }
  return keys;
}

/** The server URL docker hands a credential helper for this registry. */
export function helperServerUrl(registry: string): string {
  const host = normalizeRegistry(registry);
  return host === DOCKER_HUB_REGISTRY ? DOCKER_HUB_CREDENTIALS_KEY : host;
}

function lookup<T>(map: Record<string, T> | undefined, registry: string): T | undefined {
  if (!map) return undefined;
  for (const key of credentialKeys(registry)) {
    if (Object.hasOwn(map, key)) return map[key];
  }
  // As docker's ConvertToHostname: any key whose host part names the registry.
  const host = normalizeRegistry(registry);
  for (const [key, value] of Object.entries(map)) {
    if (normalizeRegistry(key) === host) return value;
  }
  return undefined;
}

function fromConfigEntry(entry: DockerConfigAuth, where: string): AuthConfig | undefined {
  const out: AuthConfig = {};
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new Error(`invalid "auth" for ${where} in docker config: expected base64 of "user:password"`);
    out.username = decoded.slice(0, colon);
    out.password = decoded.slice(colon + 1);
  } else {
    if (entry.username) out.username = entry.username;
    if (entry.password) out.password = entry.password;
  }
  if (entry.identitytoken) out.identityToken = entry.identitytoken;
  if (entry.registrytoken) out.registryToken = entry.registrytoken;
  return out.password || out.identityToken || out.registryToken ? out : undefined;
}

/**
 * Runs `docker-credential-<helper> get` with `serverUrl` on stdin. Undefined when the helper
 * has no credentials for it; throws (without the helper's output) on other failures.
 */
export function runCredentialHelper(
  helper: string,
  serverUrl: string,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<AuthConfig | undefined> {
  if (!/^[A-Za-z0-9_.-]+$/.test(helper)) return Promise.reject(new Error(`invalid credential helper name "${helper}"`));
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    debug(`${program} get (for ${serverUrl})`);
    const child = spawn(program, ['get'], { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    // Not spawn's own `timeout`: its timer outlives a helper that failed to start.
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    timer.unref();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new Error(
          e.code === 'ENOENT'
            ? `credential helper ${program} not found on PATH (configured in docker config for ${serverUrl})`
            : `credential helper ${program} failed to start: ${e.message}`,
        ),
      );
    });
    child.stdin.on('error', () => {});
    child.stdin.end(serverUrl);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8').trim();
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (code !== 0) {
        // The protocol's "no credentials" answer (exit 1 with this message on stdout).
        if (/credentials not found/i.test(stdout) || /credentials not found/i.test(stderr)) return resolve(undefined);
        const why = signal ? `killed by ${signal}` : `exit code ${code}`;
        return reject(new Error(`credential helper ${program} failed for ${serverUrl} (${why})`));
      }
      let parsed: { Username?: unknown; Secret?: unknown };
      try {
        parsed = JSON.parse(stdout) as { Username?: unknown; Secret?: unknown };
      } catch {
        return reject(new Error(`credential helper ${program} returned invalid JSON for ${serverUrl}`));
      }
      const username = typeof parsed.Username === 'string' ? parsed.Username : '';
      const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
      if (!secret) return resolve(undefined);
      resolve(username === '<token>' ? { identityToken: secret } : { username, password: secret });
    });
  });
}

/** Secrets of a config, for masking. */
export function secretsOf(auth: AuthConfig): string[] {
  const out: string[] = [];
  if (auth.password) {
    out.push(auth.password);
    if (auth.username !== undefined) out.push(Buffer.from(`${auth.username}:${auth.password}`).toString('base64'));
  }
  if (auth.identityToken) out.push(auth.identityToken);
  if (auth.registryToken) out.push(auth.registryToken);
  return out;
}

/**
 * A provider reading the docker config (once, lazily) and running helpers as needed; results
 * are cached per registry.
 */
export function dockerCredentials(options: DockerCredentialsOptions = {}): CredentialsProvider {
  const env = options.env ?? process.env;
  const mask = options.maskSecret ?? (() => {});
  const explicit = new Map<string, AuthConfig>();
  for (const e of options.explicit ?? []) {
    const auth: AuthConfig = { username: e.username, password: e.password };
    for (const s of secretsOf(auth)) mask(s);
    explicit.set(normalizeRegistry(e.registry), auth);
  }
  let config: Promise<DockerConfigFile | undefined> | undefined;
  const cache = new Map<string, Promise<AuthConfig | undefined>>();

  const resolveFor = async (registry: string): Promise<AuthConfig | undefined> => {
    const host = normalizeRegistry(registry);
    const given = explicit.get(host);
    if (given) return { ...given, source: 'the registry, username and password inputs' };
    const path = dockerConfigPath(env, options.configDir);
    config ??= readDockerConfig(path);
    const file = await config;
    if (!file) return undefined;
    const helperOpts = { env, timeoutMs: options.helperTimeoutMs ?? 30_000 };
    const from = (source: string) => (a: AuthConfig | undefined) => (a ? { ...a, source } : undefined);
    const helper = lookup(file.credHelpers, host);
    if (helper) return runCredentialHelper(helper, helperServerUrl(host), helperOpts).then(from(`credHelpers "${helper}" in ${path}`));
    const entry = lookup(file.auths, host);
    const fromFile = entry ? fromConfigEntry(entry, host) : undefined;
    if (fromFile) return { ...fromFile, source: `auths in ${path}` };
    if (file.credsStore) return runCredentialHelper(file.credsStore, helperServerUrl(host), helperOpts).then(from(`credsStore "${file.credsStore}" in ${path}`));
    return undefined;
  };

  return (registry: string) => {
    const key = normalizeRegistry(registry);
    let p = cache.get(key);
    if (!p) {
      p = resolveFor(key).then((auth) => {
        if (auth) for (const s of secretsOf(auth)) mask(s);
        return auth;
      });
      cache.set(key, p);
    }
    return p;
  };
}

