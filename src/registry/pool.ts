import { RegistryClient } from './client.ts';
import { dockerCredentials, type CredentialsProvider, type ExplicitCredentials } from './credentials.ts';
import { Transport, type RetryOptions } from './transport.ts';
import { normalizeRegistry } from './reference.ts';

export interface RegistryAccess {
  /** Credentials given as inputs; they win over the Docker config for their registry. */
  explicit: ExplicitCredentials[];
  insecureRegistries: string[];
  /** Upload in chunks of this many bytes (PATCH) instead of one PUT. */
  chunkSize?: number;
  log: (message: string) => void;
  maskSecret: (secret: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Retry and timeout settings for every request (defaults: 5 attempts, backoff from 250 ms). */
  retry?: RetryOptions;
  /** Credentials for one registry used only when neither inputs nor the Docker config have any. */
  fallback?: ExplicitCredentials;
}

/** One client per registry host for the whole run: tokens and connections are shared. */
export class RegistryPool {
  readonly #access: RegistryAccess;
  readonly #transport: Transport;
  readonly #clients = new Map<string, RegistryClient>();
  readonly #credentials: CredentialsProvider;

  constructor(access: RegistryAccess) {
    this.#access = access;
    this.#transport = new Transport({ insecureRegistries: access.insecureRegistries, log: access.log, retry: access.retry });
    const fromConfig = dockerCredentials({ env: access.env, explicit: access.explicit, maskSecret: access.maskSecret });
    const fallback = access.fallback;
    if (fallback) access.maskSecret(fallback.password);
    this.#credentials = fallback
      ? async (registry: string) =>
          (await fromConfig(registry)) ??
          (normalizeRegistry(registry) === normalizeRegistry(fallback.registry)
            ? { username: fallback.username, password: fallback.password, source: 'the github-token input' }
            : undefined)
      : fromConfig;
  }

  client(registry: string): RegistryClient {
    const host = normalizeRegistry(registry);
    let c = this.#clients.get(host);
    if (!c) {
      c = new RegistryClient(host, {
        credentials: this.#credentials,
        insecureRegistries: this.#access.insecureRegistries,
        transport: this.#transport,
        retry: this.#access.retry,
        chunkSize: this.#access.chunkSize,
        log: this.#access.log,
        maskSecret: this.#access.maskSecret,
      });
      this.#clients.set(host, c);
    }
    return c;
  }

  async close(): Promise<void> {
    for (const c of this.#clients.values()) await c.close();
    await this.#transport.close();
  }
}
