// Missing and rejected credentials get different messages: which host had none, or whose
// credentials (from where) it refused, and where credentials are set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryPool } from '../../src/registry/pool.ts';
import { startRegistry, USERS } from '../helpers/registry.ts';

function poolWith(t: { after: (fn: () => Promise<void> | void) => void }, config: object | undefined, extra: Partial<ConstructorParameters<typeof RegistryPool>[0]> = {}): RegistryPool {
  const dir = mkdtempSync(join(tmpdir(), 'auth-messages-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  if (config) writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const pool = new RegistryPool({ explicit: [], insecureRegistries: [], log: () => {}, maskSecret: () => {}, env: { DOCKER_CONFIG: dir, PATH: process.env.PATH }, retry: { attempts: 1 }, ...extra });
  t.after(() => pool.close());
  return pool;
}

async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  return assert.fail('expected an error');
}

for (const mode of ['htpasswd', 'token'] as const) {
  test(`no credentials vs rejected credentials are told apart (${mode})`, async (t) => {
    const registry = await startRegistry({ mode });
    t.after(() => registry.stop());
    const host = registry.host;

    const none = await errorOf(poolWith(t, undefined).client(host).listTags('app'));
    assert.match(none, /^unauthorized: /);
    assert.ok(
      none.includes(`(no credentials found for ${host}; give them with "docker login ${host}" (or docker/login-action), DOCKER_CONFIG (the directory of the config.json to use), or the action's registry, username and password inputs)`),
      none,
    );

    const wrong = 'Wrong-pw-for-test-77';
    const pool = poolWith(t, { auths: { [host]: { auth: Buffer.from(`pusher:${wrong}`).toString('base64') } } });
    const rejected = await errorOf(pool.client(host).listTags('app'));
    assert.match(rejected, new RegExp(`${host.replace(/\./g, '\\.')} rejected the credentials from auths in \\S+/config\\.json, or they do not allow this; check them, or give others with "docker login `));
    assert.ok(!rejected.includes(wrong), 'no password in the message');

    const given = await errorOf(poolWith(t, undefined, { explicit: [{ registry: host, username: 'pusher', password: wrong }] }).client(host).listTags('app'));
    assert.match(given, /rejected the credentials from the registry, username and password inputs, or they do not allow this/);

    const fallback = await errorOf(poolWith(t, undefined, { fallback: { registry: host, username: 'x', password: wrong } }).client(host).listTags('app'));
    assert.match(fallback, /rejected the credentials from the github-token input, or they do not allow this/);

    // And with the right ones, no error at all.
    assert.deepEqual(await poolWith(t, { auths: { [host]: { username: 'pusher', password: USERS.pusher } } }).client(host).listTags('app'), []);
  });
}
