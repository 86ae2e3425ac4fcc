// Hostile JSON documents beyond their digests.
// A pulled document may carry "__proto__" keys. Copying it into canonical form must keep such a
// key as a plain key (the bytes of the base survive) and never let it become the copy's
// prototype: its fields must not surface as known ones (Env, User, …) in the image we build, and
// nothing global is polluted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalConfig, serializeConfig, canonicalManifest } from '../../src/oci/json.ts';
import { buildImage } from '../../src/oci/image.ts';
import { BlobStore } from '../../src/oci/blobstore.ts';
import type { ImageConfig, ImageManifest } from '../../src/oci/types.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { parseUntrustedJson } from '../../src/oci/descriptor.ts';
import { resolveImage } from '../../src/registry/pull.ts';
import { digestOf, fakeImage, hostImage, hostIndex, OCI_MANIFEST, startHostile } from './hostile.ts';

const CONFIG_TEXT =
  '{"architecture":"amd64","os":"linux","config":{"__proto__":{"Env":["INJECTED=1"],"User":"0"}},"rootfs":{"type":"layers","diff_ids":[]},"__proto__":{"polluted":true}}';

test('"__proto__" keys in a pulled config stay plain keys', async () => {
  const parsed = JSON.parse(CONFIG_TEXT) as ImageConfig;
  const out = canonicalConfig(parsed);
  assert.equal(serializeConfig(out), CONFIG_TEXT, 'the document survives byte for byte');
  assert.equal((out.config as Record<string, unknown>).Env, undefined);
  assert.equal((out as unknown as Record<string, unknown>).polluted, undefined);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const m = canonicalManifest(JSON.parse('{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:' + 'a'.repeat(64) + '","size":1,"__proto__":{"urls":["http://evil"]}},"layers":[]}') as ImageManifest);
  assert.equal((m.config as unknown as Record<string, unknown>).urls, undefined);

  const dir = mkdtempSync(join(tmpdir(), 'hostile-json-'));
  try {
    const built = await buildImage(new BlobStore(dir), {
      base: { manifest: { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'b'.repeat(64)}`, size: 1 }, layers: [] }, config: parsed },
      env: { A: 'b' },
      layers: [],
    });
    assert.deepEqual(built.configJson.config?.Env, ['A=b'], 'no Env came out of "__proto__"');
    assert.equal(built.configJson.config?.User, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Platform words from a registry reach log lines ("@base: … (linux/amd64)") and messages: a
// newline there could start a forged workflow command (`::set-output`, `::add-mask::`).
test('platform words with control characters are refused where they enter', async () => {
  const server = await startHostile();
  const dir = mkdtempSync(join(tmpdir(), 'hostile-platform-'));
  const client = new RegistryClient(server.host, { retry: { attempts: 1 } });
  try {
    const evil = 'amd64\n::error::forged';
    const img = fakeImage();
    img.config.architecture = evil;
    img.configBytes = Buffer.from(JSON.stringify(img.config));
    (img.manifest.config as { digest: string; size: number }).digest = digestOf(img.configBytes);
    (img.manifest.config as { digest: string; size: number }).size = img.configBytes.length;
    const d = hostImage(server, 'cfg', img);
    await assert.rejects(resolveImage(client, 'cfg', d, undefined, { store: new BlobStore(join(dir, 's1')) }), (err: Error) => {
      assert.ok(!err.message.includes('\n'), err.message);
      assert.match(err.message, /architecture "amd64\\n::error::forged" is not a platform word/);
      return true;
    });
    const idx = hostIndex(server, 'idx', [{ mediaType: OCI_MANIFEST, digest: d, size: 10, platform: { os: 'linux', architecture: evil } }]);
    await assert.rejects(resolveImage(client, 'idx', idx, 'linux/amd64', { store: new BlobStore(join(dir, 's2')) }), (err: Error) => {
      assert.ok(!err.message.includes('\n'), err.message);
      assert.match(err.message, /manifests\[0\]\.platform\.architecture "amd64\\n::error::forged" is not a platform word/);
      return true;
    });
  } finally {
    await client.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a document nested past 64 levels is refused where it enters (it would overflow the stack later)', async () => {
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  assert.throws(() => parseUntrustedJson(`{"a":${deep(100_000)}}`, 'reg/app@sha256:x: config'), {
    message: 'reg/app@sha256:x: config: JSON nested deeper than 64 levels',
  });
  // Brackets inside strings (escaped quotes too) do not count; 63 levels are fine.
  assert.equal((parseUntrustedJson(`{"s":"\\"[[[[${'['.repeat(200)}","a":${deep(62)}}`, 'w') as { s: string }).s.length, 205);
  assert.throws(() => parseUntrustedJson('{"a":', 'w'), /^Error: w is not valid JSON: /);

  const server = await startHostile();
  const dir = mkdtempSync(join(tmpdir(), 'hostile-deep-'));
  const client = new RegistryClient(server.host, { retry: { attempts: 1 } });
  try {
    const img = fakeImage();
    img.configBytes = Buffer.from(JSON.stringify(img.config).replace(/\}$/, `,"x":${deep(1_000_000)}}`));
    (img.manifest.config as { digest: string; size: number }).digest = digestOf(img.configBytes);
    (img.manifest.config as { digest: string; size: number }).size = img.configBytes.length;
    const d = hostImage(server, 'deep', img);
    await assert.rejects(resolveImage(client, 'deep', d, 'linux/amd64', { store: new BlobStore(join(dir, 's')) }), {
      message: `${server.host}/deep@${d}: config ${digestOf(img.configBytes)}: JSON nested deeper than 64 levels`,
    });
  } finally {
    await client.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
