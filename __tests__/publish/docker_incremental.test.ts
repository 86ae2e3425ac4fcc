// Incremental docker load against the real daemon: layers the daemon already holds (by
// chain ID) are left out of the archive, so a second image on the same base sends little.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import {
  chainIds,
  dockerArchiveStream,
  planDockerArchive,
  skipLeadingLayers,
  type LoadImageInput,
} from '../../src/publish/docker_archive.ts';
import {
  describeDockerEndpoint,
  dockerEndpointFromEnv,
  formatLoadSummary,
  inspectImage,
  loadImage,
  removeImage,
} from '../../src/publish/docker.ts';
import { requireDocker } from '../helpers/docker.ts';
import { HELLO_TEXT, execFileP, goArch, helloBinary, sha256 } from './fixtures.ts';

const run = `${process.pid}-${Date.now().toString(36)}`;
const endpoint = dockerEndpointFromEnv();
const dockerEnv = { ...process.env, DOCKER_HOST: describeDockerEndpoint(endpoint) };
const BASE_BYTES = 6 * 1024 * 1024;

let tmp: string;
const toRemove: string[] = [];

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'docker-incremental-'));
});
after(async () => {
  for (const ref of toRemove.reverse()) await removeImage(endpoint, ref, { force: true }).catch(() => false);
  await rm(tmp, { recursive: true, force: true });
});

interface Entry {
  name: string;
  data: Buffer;
  mode?: number;
}

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: e.name, mode: e.mode ?? 0o644, mtime: new Date(0), uid: 0, gid: 0, size: e.data.length }, e.data, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function untar(data: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      out.set(entry.header.name, Buffer.concat(chunks));
    }
  })();
  extract.end(data);
  await done;
  return out;
}

interface Layer {
  /** The blob as stored (maybe gzip). */
  blob: Buffer;
  diffId: string;
  mediaType: string;
}

async function makeLayer(entries: Entry[], gzip: boolean): Promise<Layer> {
  const plain = await tarOf(entries);
  return {
    blob: gzip ? gzipSync(plain, { level: 1 }) : plain,
    diffId: sha256(plain),
    mediaType: gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar',
  };
}

/** Writes an image's blobs into the shared store `dir` and returns the loadImage input (no tags). */
async function makeImage(dir: string, layers: Layer[], label: string): Promise<Omit<LoadImageInput, 'repoTags'>> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = async (data: Buffer): Promise<{ digest: string; size: number }> => {
    const digest = sha256(data);
    await writeFile(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), data);
    return { digest, size: data.length };
  };
  const layerDescs = [];
  for (const l of layers) layerDescs.push({ mediaType: l.mediaType, ...(await put(l.blob)) });
  const config = {
    architecture: goArch(),
    os: 'linux',
    config: { Entrypoint: ['/hello'], Env: ['PATH=/'], Labels: { 'test.label': label } },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created: '1970-01-01T00:00:00Z', created_by: 'incremental test' })),
  };
  const configDesc = { mediaType: 'application/vnd.oci.image.config.v1+json', ...(await put(Buffer.from(JSON.stringify(config)))) };
  const manifestJson = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: configDesc, layers: layerDescs };
  const manifest = { mediaType: manifestJson.mediaType, ...(await put(Buffer.from(JSON.stringify(manifestJson)))) };
  return { blobPath: (d) => join(dir, 'blobs', ...d.split(':')), manifest, manifestJson };
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The files at `paths` inside the image, read from a created (never started) container. */
function filesInImage(tag: string, paths: string[]): Promise<Map<string, Buffer>> {
  const id = execFileSync('docker', ['create', '--network=none', tag], { env: dockerEnv }).toString().trim();
  try {
    const out = new Map<string, Buffer>();
    return (async () => {
      for (const p of paths) {
        const archive = execFileSync('docker', ['cp', `${id}:${p}`, '-'], { env: dockerEnv, maxBuffer: 64 * 1024 * 1024 });
        for (const [name, data] of await untar(archive)) out.set(name, data);
      }
      return out;
    })().finally(() => execFileSync('docker', ['rm', '-f', id], { env: dockerEnv }));
  } catch (err) {
    execFileSync('docker', ['rm', '-f', id], { env: dockerEnv });
    throw err;
  }
}

describe('chain IDs and trimmed archives', () => {
  it('computes chain IDs as the layer store does', () => {
    const a = `sha256:${'a'.repeat(64)}`;
    const b = `sha256:${'b'.repeat(64)}`;
    const c = `sha256:${'c'.repeat(64)}`;
    const ab = `sha256:${createHash('sha256').update(`${a} ${b}`).digest('hex')}`;
    const abc = `sha256:${createHash('sha256').update(`${ab} ${c}`).digest('hex')}`;
    assert.deepEqual(chainIds([a, b, c]), [a, ab, abc]);
    assert.deepEqual(chainIds([]), []);
    // Worked out independently (Python hashlib) for sha256("sha256:aaa… sha256:bbb…").
    assert.equal(ab, 'sha256:ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c');
  });

  it('leaves out the blobs of skipped layers, keeps manifest.json whole, and its size is exact', async () => {
    const dir = join(tmp, 'unit');
    const base = await makeLayer([{ name: 'base.txt', data: Buffer.from('base') }], true);
    const shared = await makeLayer([{ name: 'shared.txt', data: Buffer.from('shared') }], false);
    const top = await makeLayer([{ name: 'top.txt', data: Buffer.from('top') }], false);
    // `shared` appears below and above the cut: its blob must stay.
    const input = { ...(await makeImage(dir, [base, shared, top, shared], 'unit')), repoTags: ['unit:1'] };
    const full = await planDockerArchive(input);
    assert.equal(full.layersSkipped, 0);
    assert.equal(full.fullSize, full.size);
    assert.deepEqual(full.diffIds, [base, shared, top, shared].map((l) => l.diffId));

    const trimmed = skipLeadingLayers(full, 2);
    assert.equal(trimmed.layersSkipped, 2);
    assert.equal(trimmed.fullSize, full.size);
    const bytes = await collect(dockerArchiveStream(trimmed));
    assert.equal(bytes.length, trimmed.size);
    assert.deepEqual(await collect(dockerArchiveStream(trimmed)), bytes, 'deterministic');
    const files = await untar(bytes);
    const manifest = JSON.parse(files.get('manifest.json')?.toString() ?? '') as Array<{ Layers: string[] }>;
    const path = (l: Layer) => `blobs/sha256/${sha256(l.blob).slice(7)}`;
    assert.deepEqual(manifest[0]?.Layers, [base, shared, top, shared].map(path));
    assert.equal(files.has(path(base)), false);
    assert.equal(files.has(path(shared)), true);
    assert.equal(files.has(path(top)), true);
    assert.equal(full.size - trimmed.size, 512 + Math.ceil(base.blob.length / 512) * 512);

    const all = skipLeadingLayers(full, 4);
    assert.equal((await collect(dockerArchiveStream(all))).length, all.size);
    assert.equal(skipLeadingLayers(full, 0), full);
    assert.throws(() => skipLeadingLayers(trimmed, 1), /needs the complete archive plan/);
  });
});

describe('incremental load against the real daemon', () => {
  let baseLayer: Layer;
  let dir: string;
  const baseData = randomBytes(BASE_BYTES);

  before(async () => {
    await requireDocker();
    dir = join(tmp, 'real');
    // Random bytes: a base no daemon can already have from an earlier run.
    baseLayer = await makeLayer(
      [
        { name: 'hello', data: await helloBinary(), mode: 0o755 },
        { name: 'data/base.bin', data: baseData },
      ],
      true,
    );
  });

  const topLayer = (name: string): Promise<Layer> =>
    makeLayer([{ name: 'top.txt', data: Buffer.from(`${name} ${run}\n`) }], false);

  async function image(name: string): Promise<LoadImageInput & { configDigest: string }> {
    const img = await makeImage(dir, [baseLayer, await topLayer(name)], `${run}-${name}`);
    const tag = `oci-build-test/incremental-${name}:${run}`;
    toRemove.push(tag, img.manifestJson.config.digest);
    return { ...img, repoTags: [tag], configDigest: img.manifestJson.config.digest };
  }

  it('sends only the new top layer when the base is already loaded, and the image is whole', async () => {
    const first = await image('first');
    const second = await image('second');
    const r1 = await loadImage(endpoint, first);
    assert.equal(r1.layersSkipped, 0);
    assert.equal(r1.bytesSent, r1.imageBytes);

    const lines: string[] = [];
    const r2 = await loadImage(endpoint, second, (l) => lines.push(l));
    console.log(`full archive ${r2.imageBytes} bytes, sent ${r2.bytesSent} bytes: ${formatLoadSummary(r2)}`);
    assert.equal(r2.layers, 2);
    assert.equal(r2.layersSkipped, 1);
    assert.equal(r2.resentFull, false);
    assert.ok(r2.imageBytes > BASE_BYTES);
    assert.ok(r2.bytesSent < r2.imageBytes / 10, `${r2.bytesSent} of ${r2.imageBytes} bytes sent`);
    assert.equal(r2.imageId, second.configDigest);
    assert.match(lines.join('\n'), /Docker already has 1 of 2 layers: sending \d+(?:\.\d)? KiB of 6(?:\.\d)? MiB/);
    assert.match(formatLoadSummary(r2), /^sent \d+(?:\.\d)? KiB of 6(?:\.\d)? MiB to Docker \(1 of 2 layers already there\)$/);

    const info = await inspectImage(endpoint, second.repoTags[0] ?? '');
    assert.equal(info?.Id, second.configDigest);
    assert.deepEqual(info?.RootFS?.Layers, [baseLayer.diffId, (await topLayer('second')).diffId]);
    const { stdout } = await execFileP('docker', ['run', '--rm', '--network=none', second.repoTags[0] ?? ''], { env: dockerEnv });
    assert.equal(stdout, `${HELLO_TEXT}\n`);
    const files = await filesInImage(second.repoTags[0] ?? '', ['/top.txt', '/data/base.bin']);
    assert.equal(files.get('top.txt')?.toString(), `second ${run}\n`);
    assert.ok(files.get('base.bin')?.equals(baseData), 'the base layer content is intact');
  });

  it('sends the full archive once the daemon no longer has the base', async () => {
    const third = await image('third');
    for (const ref of toRemove) await removeImage(endpoint, ref, { force: true }).catch(() => false);
    const r = await loadImage(endpoint, third);
    assert.equal(r.layersSkipped, 0);
    assert.equal(r.bytesSent, r.imageBytes);
    assert.match(formatLoadSummary(r), /^sent 6(?:\.\d)? MiB of 6(?:\.\d)? MiB to Docker \(0 of 2 layers already there\)$/);
    const { stdout } = await execFileP('docker', ['run', '--rm', '--network=none', third.repoTags[0] ?? ''], { env: dockerEnv });
    assert.equal(stdout, `${HELLO_TEXT}\n`);
  });

  it('resends the full archive when the base disappears between asking and loading', async () => {
    // "third" (loaded above) is the only image holding the base.
    const third = await image('third');
    const fourth = await image('fourth');
    const lines: string[] = [];
    const r = await loadImage(endpoint, fourth, (l) => {
      lines.push(l);
      // The daemon was asked already; remove the base's only image before the archive goes out.
      if (l.startsWith('Docker already has')) execFileSync('docker', ['rmi', '-f', third.repoTags[0] ?? ''], { env: dockerEnv });
    });
    console.log(lines.find((l) => l.startsWith('docker load failed')));
    assert.equal(r.resentFull, true, lines.join('\n'));
    assert.equal(r.layersSkipped, 0);
    assert.ok(r.bytesSent > r.imageBytes, `${r.bytesSent} bytes sent in two attempts`);
    assert.match(lines.join('\n'), /^docker load failed: .*: sending the full archive \(6(?:\.\d)? MiB\)$/m);
    const { stdout } = await execFileP('docker', ['run', '--rm', '--network=none', fourth.repoTags[0] ?? ''], { env: dockerEnv });
    assert.equal(stdout, `${HELLO_TEXT}\n`);
  });

  it('sends no layer at all when the daemon has every one (a config-only change)', async () => {
    // "fourth" (loaded above) holds the base; this image is the base alone with another config.
    const img = await makeImage(dir, [baseLayer], `${run}-config-only`);
    const tag = `oci-build-test/incremental-config-only:${run}`;
    toRemove.push(tag, img.manifestJson.config.digest);
    const r = await loadImage(endpoint, { ...img, repoTags: [tag] });
    assert.equal(r.layers, 1);
    assert.equal(r.layersSkipped, 1);
    assert.ok(r.bytesSent < 8 * 1024, `${r.bytesSent} bytes sent`);
    assert.deepEqual((await inspectImage(endpoint, tag))?.RootFS?.Layers, [baseLayer.diffId]);
    const { stdout } = await execFileP('docker', ['run', '--rm', '--network=none', tag], { env: dockerEnv });
    assert.equal(stdout, `${HELLO_TEXT}\n`);
  });
});
