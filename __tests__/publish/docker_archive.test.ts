import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import tar from 'tar-stream';
import { dockerArchiveStream, planDockerArchive } from '../../src/publish/docker_archive.ts';
import { buildTestImage, type TestImage } from './fixtures.ts';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

interface Entry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  data: Buffer;
}

async function untar(buf: Buffer): Promise<Entry[]> {
  const ex = tar.extract();
  const out: Entry[] = [];
  const done = (async () => {
    for await (const entry of ex) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      const h = entry.header;
      out.push({
        name: h.name,
        type: h.type,
        mode: h.mode,
        uid: h.uid,
        gid: h.gid,
        mtime: h.mtime.getTime(),
        data: Buffer.concat(chunks),
      });
    }
  })();
  ex.end(buf);
  await done;
  return out;
}

const hex = (d: string) => d.slice('sha256:'.length);

describe('docker save archive', () => {
  let dir: string;
  let img: TestImage;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'publish-archive-'));
    img = await buildTestImage(join(dir, 'store'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const input = (repoTags: string[]) => ({
    blobPath: img.blobPath,
    manifest: img.manifest,
    manifestJson: img.manifestJson,
    repoTags,
  });

  it('lays out a docker save (25+) archive with deterministic entries', async () => {
    const plan = await planDockerArchive(input(['hello_world', 'localhost:5000/acme/hello:v1']));
    const buf = await collect(dockerArchiveStream(plan));
    assert.equal(buf.length, plan.size, 'planned size matches the stream');
    const again = await collect(dockerArchiveStream(await planDockerArchive(input(['hello_world', 'localhost:5000/acme/hello:v1']))));
    assert.ok(buf.equals(again), 'byte-identical on a second run');

    const entries = await untar(buf);
    const blobNames = [img.manifest.digest, img.manifestJson.config.digest, img.manifestJson.layers[0]!.digest]
      .map((d) => `blobs/sha256/${hex(d)}`)
      .sort();
    assert.deepEqual(
      entries.map((e) => e.name),
      ['blobs/', 'blobs/sha256/', ...blobNames, 'index.json', 'manifest.json', 'oci-layout'],
    );
    for (const e of entries) {
      assert.equal(e.mtime, 0);
      assert.equal(e.uid, 0);
      assert.equal(e.gid, 0);
      assert.equal(e.mode, e.type === 'directory' ? 0o755 : 0o644);
      if (e.name.startsWith('blobs/sha256/') && e.type === 'file') {
        assert.equal(`sha256:${createHash('sha256').update(e.data).digest('hex')}`, `sha256:${e.name.split('/')[2]}`);
      }
    }
    const byName = new Map(entries.map((e) => [e.name, e]));
    assert.deepEqual(JSON.parse(byName.get('oci-layout')!.data.toString()), { imageLayoutVersion: '1.0.0' });
    assert.deepEqual(JSON.parse(byName.get('manifest.json')!.data.toString()), [
      {
        Config: `blobs/sha256/${hex(img.manifestJson.config.digest)}`,
        RepoTags: ['hello_world:latest', 'localhost:5000/acme/hello:v1'],
        Layers: [`blobs/sha256/${hex(img.manifestJson.layers[0]!.digest)}`],
      },
    ]);
    const index = JSON.parse(byName.get('index.json')!.data.toString()) as {
      schemaVersion: number;
      mediaType: string;
      manifests: Array<{ digest: string; size: number; mediaType: string; annotations: Record<string, string>; platform?: unknown }>;
    };
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.equal(index.manifests.length, 2);
    for (const m of index.manifests) {
      assert.equal(m.digest, img.manifest.digest);
      assert.equal(m.size, img.manifest.size);
      assert.equal(m.mediaType, img.manifest.mediaType);
      assert.deepEqual(m.platform, { architecture: img.config.architecture, os: 'linux' });
    }
    assert.deepEqual(index.manifests[0]!.annotations, {
      'io.containerd.image.name': 'docker.io/library/hello_world:latest',
      'org.opencontainers.image.ref.name': 'latest',
    });
    assert.deepEqual(index.manifests[1]!.annotations, {
      'io.containerd.image.name': 'localhost:5000/acme/hello:v1',
      'org.opencontainers.image.ref.name': 'v1',
    });
    assert.ok(byName.get(`blobs/sha256/${hex(img.manifestJson.layers[0]!.digest)}`)!.data.equals(img.layerBytes));
  });

  it('rejects an invalid tag, naming it', async () => {
    await assert.rejects(planDockerArchive(input(['ok:1', 'Bad/Name:1'])), {
      message: 'invalid image tag "Bad/Name:1": repository name must be lowercase',
    });
  });

  it('rejects blobs that do not match their descriptors', async () => {
    await assert.rejects(
      planDockerArchive({ ...input(['x']), manifest: { ...img.manifest, size: img.manifest.size + 1 } }),
      /manifest sha256:[0-9a-f]+: blob .* has \d+ bytes, descriptor says \d+/,
    );
    const layer = img.manifestJson.layers[0]!;
    await assert.rejects(
      planDockerArchive({ ...input(['x']), blobPath: (d) => (d === layer.digest ? join(dir, 'missing') : img.blobPath(d)) }),
      /layer 0 sha256:[0-9a-f]+: cannot read blob .*missing: ENOENT/,
    );
    await assert.rejects(
      planDockerArchive({
        ...input(['x']),
        manifest: { ...img.manifest, mediaType: 'application/vnd.oci.image.index.v1+json' },
      }),
      /is an image index/,
    );
  });

  it('fails the stream when a layer changes after planning', async () => {
    const d2 = await mkdtemp(join(tmpdir(), 'publish-archive-'));
    try {
      const img2 = await buildTestImage(d2, { label: 'shrink' });
      const plan = await planDockerArchive({
        blobPath: img2.blobPath,
        manifest: img2.manifest,
        manifestJson: img2.manifestJson,
        repoTags: ['x'],
      });
      await writeFile(img2.blobPath(img2.manifestJson.layers[0]!.digest), 'short');
      await assert.rejects(collect(dockerArchiveStream(plan)), /has 5 bytes, expected \d+/);
    } finally {
      await rm(d2, { recursive: true, force: true });
    }
  });
});
