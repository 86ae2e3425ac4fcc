// Credentials from a docker config: auths, credHelpers, credsStore, explicit overrides; and
// pushes that use them against real registries.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { dockerCredentials, runCredentialHelper, type DockerConfigFile } from '../../src/registry/credentials.ts';
import { pushImage } from '../../src/registry/push.ts';
import {
  USERS,
  makeImage,
  removeDir,
  skopeo,
  startRegistry,
  tempDir,
  writeCredentialHelper,
  type TestRegistry,
} from '../helpers/registry.ts';

let work: string;
let bin: string;
let env: NodeJS.ProcessEnv;
let basic: TestRegistry;
let token: TestRegistry;
let configCount = 0;

const b64 = (s: string) => Buffer.from(s).toString('base64');

before(async () => {
  work = await tempDir('registry-creds-');
  bin = join(work, 'bin');
  [basic, token] = await Promise.all([startRegistry({ mode: 'htpasswd' }), startRegistry({ mode: 'token' })]);
  await writeCredentialHelper(bin, 'test', {
    [token.host]: { Username: 'pusher', Secret: USERS.pusher! },
    'helper.example.com': { Username: 'helper-user', Secret: 'helper-secret' },
    'https://index.docker.io/v1/': { Username: 'hub-user', Secret: 'hub-secret' },
    'identity.example.com': { Username: '<token>', Secret: 'identity-token-xyz' },
  });
  env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` };
});

after(async () => {
  await Promise.all([basic.stop(), token.stop()]);
  await removeDir(work);
});

async function configDir(config: DockerConfigFile | string): Promise<string> {
  const dir = join(work, `docker-config-${++configCount}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

async function helperCalls(): Promise<string[]> {
  try {
    return (await readFile(join(bin, 'calls.log'), 'utf8')).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

describe('docker config lookups', () => {
  it('reads base64 auth, username/password and token entries under any key form', async () => {
    const masked: string[] = [];
    const dir = await configDir({
      auths: {
        'plain.example.com': { auth: b64('alice:pa:ss:word') },
        'https://schemed.example.com': { username: 'bob', password: 'bob-pw' },
        'http://insecure.example.com:5000': { auth: b64('carol:carol-pw') },
        'https://pathed.example.com/v2/': { auth: b64('dave:dave-pw') },
        'token.example.com': { username: 'erin', identitytoken: 'erin-identity' },
        'registrytoken.example.com': { registrytoken: 'raw-bearer' },
        'empty.example.com': {},
      },
    });
    const get = dockerCredentials({ env: { HOME: work, DOCKER_CONFIG: dir, PATH: env.PATH! }, maskSecret: (s) => masked.push(s) });
    assert.deepEqual(await get('plain.example.com'), { username: 'alice', password: 'pa:ss:word', source: `auths in ${join(dir, 'config.json')}` });
    assert.deepEqual(await get('schemed.example.com'), { username: 'bob', password: 'bob-pw', source: `auths in ${join(dir, 'config.json')}` });
    assert.deepEqual(await get('insecure.example.com:5000'), { username: 'carol', password: 'carol-pw', source: `auths in ${join(dir, 'config.json')}` });
    assert.deepEqual(await get('pathed.example.com'), { username: 'dave', password: 'dave-pw', source: `auths in ${join(dir, 'config.json')}` });
    assert.deepEqual(await get('token.example.com'), { username: 'erin', identityToken: 'erin-identity', source: `auths in ${join(dir, 'config.json')}` });
    assert.deepEqual(await get('registrytoken.example.com'), { registryToken: 'raw-bearer', source: `auths in ${join(dir, 'config.json')}` });
    assert.equal(await get('empty.example.com'), undefined);
    assert.equal(await get('unknown.example.com'), undefined);
    for (const s of ['pa:ss:word', b64('alice:pa:ss:word'), 'bob-pw', 'carol-pw', 'erin-identity', 'raw-bearer']) {
      assert.ok(masked.includes(s), `masked ${s}`);
    }
  });

  it("finds Docker Hub credentials under the legacy key, whatever the hub's name", async () => {
    const dir = await configDir({ auths: { 'https://index.docker.io/v1/': { auth: b64('hubber:hub-pw') } } });
    const get = dockerCredentials({ configDir: dir, env });
    for (const name of ['docker.io', 'index.docker.io', 'registry-1.docker.io']) {
      assert.deepEqual(await get(name), { username: 'hubber', password: 'hub-pw', source: `auths in ${join(dir, 'config.json')}` }, name);
    }
  });

  it('runs credHelpers per host and credsStore for the rest', async () => {
    const dir = await configDir({
      auths: { 'file.example.com': { auth: b64('filer:file-pw') } },
      credHelpers: { 'helper.example.com': 'test', 'identity.example.com': 'test' },
      credsStore: 'test',
    });
    const masked: string[] = [];
    const get = dockerCredentials({ configDir: dir, env, maskSecret: (s) => masked.push(s) });
    assert.deepEqual(await get('helper.example.com'), { username: 'helper-user', password: 'helper-secret', source: `credHelpers "test" in ${join(dir, 'config.json')}` });
    assert.deepEqual(await get('identity.example.com'), { identityToken: 'identity-token-xyz', source: `credHelpers "test" in ${join(dir, 'config.json')}` });
    assert.deepEqual(await get('file.example.com'), { username: 'filer', password: 'file-pw', source: `auths in ${join(dir, 'config.json')}` });
    assert.deepEqual(await get('docker.io'), { username: 'hub-user', password: 'hub-secret', source: `credsStore "test" in ${join(dir, 'config.json')}` });
    assert.equal(await get('nothing.example.com'), undefined, '"credentials not found" is no credentials');
    assert.ok(masked.includes('helper-secret') && masked.includes('identity-token-xyz') && masked.includes('hub-secret'));
    const calls = await helperCalls();
    for (const server of ['helper.example.com', 'identity.example.com', 'https://index.docker.io/v1/', 'nothing.example.com']) {
      assert.ok(calls.includes(server), `helper asked for ${server}`);
    }
  });

  it('explicit credentials override the file', async () => {
    const dir = await configDir({ auths: { 'x.example.com': { auth: b64('file:file') } }, credsStore: 'test' });
    const masked: string[] = [];
    const get = dockerCredentials({
      configDir: dir,
      env,
      explicit: [{ registry: 'https://X.example.com', username: 'given', password: 'given-pw' }],
      maskSecret: (s) => masked.push(s),
    });
    assert.deepEqual(await get('x.example.com'), { username: 'given', password: 'given-pw', source: 'the registry, username and password inputs' });
    assert.ok(masked.includes('given-pw'), 'explicit secrets are masked up front');
  });

  it('reports broken configs and helpers clearly', async () => {
    const broken = await configDir('{ not json');
    await assert.rejects(dockerCredentials({ configDir: broken, env })('a.example.com'), (err: Error) => {
      assert.match(err.message, new RegExp(`^invalid docker config ${join(broken, 'config.json').replace(/[.]/g, '\\.')}: `));
      return true;
    });
    const badAuth = await configDir({ auths: { 'a.example.com': { auth: b64('no-colon') } } });
    await assert.rejects(dockerCredentials({ configDir: badAuth, env })('a.example.com'), /invalid "auth" for a\.example\.com/);
    const missing = await configDir({ credHelpers: { 'a.example.com': 'absent' } });
    await assert.rejects(dockerCredentials({ configDir: missing, env })('a.example.com'), /credential helper docker-credential-absent not found on PATH/);
    assert.equal(await dockerCredentials({ configDir: join(work, 'nowhere'), env })('a.example.com'), undefined);
    await assert.rejects(runCredentialHelper('../evil', 'x', { env }), /invalid credential helper name/);
  });
});

describe('pushing with docker config credentials', () => {
  it('uses base64 auths from $DOCKER_CONFIG for an htpasswd registry', async () => {
    const dir = await configDir({ auths: { [basic.host]: { auth: b64(`pusher:${USERS.pusher}`) } } });
    const store = new BlobStore(join(work, 'store-auths'));
    const img = await makeImage(store, { layers: [{ 'a.txt': 'from docker config\n' }] });
    const c = new RegistryClient(basic.host, { credentials: dockerCredentials({ env: { HOME: work, DOCKER_CONFIG: dir } }) });
    try {
      await pushImage(c, store, 'viaconfig', img.descriptor, ['latest']);
    } finally {
      await c.close();
    }
    const r = await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', `pusher:${USERS.pusher}`, `docker://${basic.host}/viaconfig:latest`], work);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, img.manifestBytes.toString('utf8'));
  });

  it('uses a credHelpers entry for a token registry', async () => {
    const dir = await configDir({ credHelpers: { [token.host]: 'test' } });
    const store = new BlobStore(join(work, 'store-helper'));
    const img = await makeImage(store, { layers: [{ 'h.txt': 'from a credential helper\n' }] });
    const masked: string[] = [];
    const c = new RegistryClient(token.host, {
      credentials: dockerCredentials({ configDir: dir, env, maskSecret: (s) => masked.push(s) }),
      maskSecret: (s) => masked.push(s),
    });
    try {
      const r = await pushImage(c, store, 'viahelper', img.descriptor, ['latest']);
      assert.equal(r.uploaded, 2);
    } finally {
      await c.close();
    }
    assert.ok((await helperCalls()).includes(token.host));
    assert.ok(masked.includes(USERS.pusher!));
    assert.ok(token.tokenServer!.requests.some((q) => q.user === 'pusher' && q.scopes.includes('repository:viahelper:pull,push')));
    const r = await skopeo(['inspect', '--raw', '--tls-verify=false', '--creds', `reader:${USERS.reader}`, `docker://${token.host}/viahelper:latest`], work);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, img.manifestBytes.toString('utf8'));
  });
});
