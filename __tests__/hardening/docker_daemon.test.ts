// Issue 15 points 3, 1 and 4 (the Docker side): a hostile Engine API on a Unix socket of the
// test's own. After /images/load every tag must name the image sent; IDs and digests from the
// daemon and from the manifest that becomes the docker-archive are validated where they enter;
// replies and the load's JSON stream are capped. The happy path runs against the real dockerd.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  MAX_API_REPLY_BYTES,
  MAX_LOAD_MESSAGE_CHARS,
  MAX_LOAD_OUTPUT_BYTES,
  dockerEndpointFromEnv,
  inspectImage,
  loadImage,
  pingDocker,
  removeImage,
  type DockerEndpoint,
  type LoadImageInput,
} from '../../src/publish/docker.ts';
import { isDigest as isValidDigest, quoteUntrusted } from '../../src/oci/digest.ts';
import { blobArchivePath, planDockerArchive } from '../../src/publish/docker_archive.ts';
import { JsonMessageParser } from '../../src/publish/jsonstream.ts';
import { buildTestImage, type TestImage } from '../publish/fixtures.ts';
import { prng } from '../helpers/prng.ts';

const API = '1.43';
const OTHER = `sha256:${'b'.repeat(64)}`;
let tmp: string;
let img: TestImage;
let configDigest: string;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hostile-docker-'));
  img = await buildTestImage(join(tmp, 'img'), { label: 'hostile-daemon' });
  configDigest = img.manifestJson.config.digest;
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function inputFor(repoTags: string[], image: TestImage = img): LoadImageInput {
  return { blobPath: image.blobPath, manifest: image.manifest, manifestJson: image.manifestJson, repoTags };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

interface Fake {
  endpoint: DockerEndpoint;
  requests: string[];
  /** Bytes written by streaming handlers before the client went away. */
  written: { bytes: number };
  close(): Promise<void>;
}

/**
 * A fake Engine API on a Unix socket: /_ping answers API 1.43; `images` maps a reference (or
 * ID) to its inspect answer (absent: 404); POST /images/load and /tag go to `load` / `tag`.
 */
async function fakeEngine(opts: {
  images?: Record<string, unknown>;
  inspect?: (ref: string, res: ServerResponse, written: { bytes: number }) => boolean;
  load?: (res: ServerResponse, written: { bytes: number }) => void;
  tag?: (res: ServerResponse) => void;
}): Promise<Fake> {
  const sock = join(tmp, `engine-${Math.random().toString(36).slice(2)}.sock`);
  const requests: string[] = [];
  const written = { bytes: 0 };
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      const url = req.url ?? '';
      if (url === '/_ping') {
        res.writeHead(200, { 'API-Version': API, 'Content-Type': 'text/plain' });
        res.end('OK');
        return;
      }
      const inspect = new RegExp(`^/v${API.replace('.', '\\.')}/images/(.+)/json$`).exec(url);
      if (req.method === 'GET' && inspect) {
        const ref = decodeURIComponent(inspect[1]!);
        if (opts.inspect?.(ref, res, written)) return;
        const answer = opts.images?.[ref];
        return answer === undefined ? json(res, 404, { message: `No such image: ${ref}` }) : json(res, 200, answer);
      }
      if (req.method === 'POST' && url.startsWith(`/v${API}/images/load`)) {
        if (opts.load) return opts.load(res, written);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"stream":"Loaded image: hostile:1\\n"}\r\n');
        return;
      }
      if (req.method === 'POST' && /\/tag\?/.test(url)) {
        if (opts.tag) return opts.tag(res);
        res.writeHead(201);
        res.end();
        return;
      }
      json(res, 404, { message: 'page not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  return {
    endpoint: { socketPath: sock },
    requests,
    written,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes `piece` until the client hangs up (or `limit` bytes), counting what went out. */
function flood(res: ServerResponse, piece: string, written: { bytes: number }, limit = 256 * 1024 * 1024): void {
  const buf = Buffer.from(piece);
  let stopped = false;
  res.on('close', () => {
    stopped = true;
  });
  const pump = (): void => {
    while (!stopped && written.bytes < limit) {
      written.bytes += buf.length;
      if (!res.write(buf)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!stopped) res.end();
  };
  pump();
}

const inspectOf = (id: string, tags: string[]) => ({ Id: id, RepoTags: tags, RepoDigests: [], RootFS: { Type: 'layers', Layers: [] } });

describe('point 3: after /images/load, every tag names the image sent', () => {
  it('fails naming each tag that points elsewhere or is missing, and where', async () => {
    const fake = await fakeEngine({
      images: {
        'hostile:1': inspectOf(OTHER, ['hostile:1']),
        'hostile:2': inspectOf(configDigest, ['hostile:2']),
      },
    });
    try {
      await assert.rejects(loadImage(fake.endpoint, inputFor(['hostile:1', 'hostile:2', 'hostile:3'])), {
        message:
          `docker load reported success but hostile:1 points to ${OTHER}; hostile:3 is not in the image store ` +
          `instead of the image sent (${configDigest}) (daemon said: Loaded image: hostile:1)`,
      });
      assert.deepEqual(fake.requests.slice(-3), [`GET /v${API}/images/hostile:1/json`, `GET /v${API}/images/hostile:2/json`, `GET /v${API}/images/hostile:3/json`]);
    } finally {
      await fake.close();
    }
  });

  it('fails when the daemon reports loading another image ID', async () => {
    const fake = await fakeEngine({
      images: { 'hostile:1': inspectOf(configDigest, ['hostile:1']) },
      load: (res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(`{"stream":"Loaded image ID: ${OTHER}\\n"}\r\n`);
      },
    });
    try {
      await assert.rejects(loadImage(fake.endpoint, inputFor(['hostile:1'])), {
        message: `docker load reported loading image "${OTHER}", not the image sent (${configDigest})`,
      });
    } finally {
      await fake.close();
    }
  });

  it('an image the daemon already has is tagged, and the tags are checked too', async () => {
    const fake = await fakeEngine({
      images: { [configDigest]: inspectOf(configDigest, []), 'hostile:1': inspectOf(OTHER, ['hostile:1']) },
    });
    try {
      await assert.rejects(loadImage(fake.endpoint, inputFor(['hostile:1'])), {
        message: `docker load reported success but hostile:1 points to ${OTHER} instead of the image sent (${configDigest}) (daemon said: nothing)`,
      });
      assert.ok(!fake.requests.some((r) => r.includes('/images/load')), 'nothing loaded: only tagged');
      assert.ok(fake.requests.some((r) => r.startsWith(`POST /v${API}/images/${encodeURIComponent(configDigest)}/tag?`)));
    } finally {
      await fake.close();
    }
  });

  it('passes when every tag names the image (config digest, or manifest digest on the containerd store)', async () => {
    const fake = await fakeEngine({
      images: { 'hostile:1': inspectOf(configDigest, ['hostile:1']), 'hostile:2': inspectOf(img.manifest.digest, ['hostile:2']) },
    });
    try {
      const r = await loadImage(fake.endpoint, inputFor(['hostile:1', 'hostile:2']));
      assert.deepEqual(r.loaded, ['hostile:1', 'hostile:2']);
      assert.equal(r.imageId, configDigest);
    } finally {
      await fake.close();
    }
  });
});

describe('point 1 (Docker side): digests and IDs are validated where they enter', () => {
  const HOSTILE_IDS = ['sha256:../../../../etc/passwd', `sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(63)}`, `md5:${'a'.repeat(32)}`, '', 42, null, `sha256:${'a'.repeat(64)}\n`];
  for (const id of HOSTILE_IDS) {
    it(`an inspect reply with the image ID ${JSON.stringify(id)} is refused`, async () => {
      const fake = await fakeEngine({ images: { 'hostile:1': inspectOf(configDigest, []) }, inspect: (ref, res) => (ref === 'hostile:1' ? (json(res, 200, { Id: id, RepoTags: [] }), true) : false) });
      try {
        await assert.rejects(loadImage(fake.endpoint, inputFor(['hostile:1'])), {
          message: `Docker GET /v${API}/images/hostile:1/json: the image ID is not a digest (${quoteUntrusted(id)})`,
        });
        await assert.rejects(inspectImage(fake.endpoint, 'hostile:1'), /the image ID is not a digest \(.*\)$/);
      } finally {
        await fake.close();
      }
    });
  }

  it('a manifest naming a layer "sha256:../…" is refused before connecting, and the named file is never read', async () => {
    const canary = join(tmp, 'canary');
    await writeFile(canary, 'ghp_canaryCanaryCanary0123456789');
    const rel = 'sha256:../../../canary'; // blobPath() joins it under img/blobs/: it would name tmp/canary
    assert.equal(img.blobPath(rel), canary);
    const fake = await fakeEngine({});
    try {
      for (const where of ['layer', 'config', 'manifest'] as const) {
        const bad = structuredClone(img.manifestJson);
        let manifest = img.manifest;
        if (where === 'layer') bad.layers[0]!.digest = rel;
        if (where === 'config') bad.config.digest = rel;
        if (where === 'manifest') manifest = { ...img.manifest, digest: rel };
        const input = { blobPath: img.blobPath, manifest, manifestJson: bad, repoTags: ['hostile:1'] };
        const what = where === 'layer' ? 'layer 0' : where;
        await assert.rejects(loadImage(fake.endpoint, input), {
          message: `${what}: invalid digest "${rel}" (want sha256:<64 hex> or sha512:<128 hex>)`,
        });
      }
      assert.deepEqual(fake.requests, [], 'the daemon was never asked');
    } finally {
      await fake.close();
    }
  });

  it('a config whose diff_ids are not digests is refused', async () => {
    const dir = join(tmp, 'bad-diffid');
    const bad = await buildTestImage(dir, { diffIds: ['sha256:../../x'] });
    await assert.rejects(planDockerArchive(inputFor(['x:1'], bad)), {
      message: `config ${bad.manifestJson.config.digest}: diff_ids[0] "sha256:../../x" is not a digest`,
    });
  });

  it('isValidDigest and blobArchivePath take nothing but sha256/64 or sha512/128 lowercase hex (random and adversarial strings)', () => {
    const good = [`sha256:${'0123456789abcdef'.repeat(4)}`, `sha512:${'f'.repeat(128)}`];
    for (const d of good) {
      assert.ok(isValidDigest(d));
      assert.equal(blobArchivePath(d), `blobs/${d.replace(':', '/')}`);
    }
    const adversarial = [
      'sha256:../../x', 'sha256:/etc/passwd', `sha256:${'a'.repeat(64)}/..`, `sha256:${'a'.repeat(65)}`, `sha512:${'a'.repeat(64)}`,
      `SHA256:${'a'.repeat(64)}`, `sha256:${'a'.repeat(63)}g`, ` sha256:${'a'.repeat(64)}`, `sha256:${'a'.repeat(64)}\0`,
      `sha256+b64:${'a'.repeat(64)}`, `sha256::${'a'.repeat(63)}`, `sha384:${'a'.repeat(96)}`, 'sha256:', ':', '',
      `sha256:${'a'.repeat(32)}%2e%2e%2f${'a'.repeat(23)}`, `sha256:${'ａ'.repeat(64)}`,
    ];
    const rnd = prng(0x15);
    const alphabet = 'sha256:0123456789abcdefABCDEF./\\\0\n%:-_+=~ ';
    for (let i = 0; i < 5000; i++) {
      const len = Math.floor(rnd() * 80);
      let s = rnd() < 0.5 ? 'sha256:' : '';
      for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      adversarial.push(s);
    }
    for (const d of adversarial) {
      const valid = /^sha256:[0-9a-f]{64}$/.test(d) || /^sha512:[0-9a-f]{128}$/.test(d);
      assert.equal(isValidDigest(d), valid, JSON.stringify(d));
      if (!valid) assert.throws(() => blobArchivePath(d), /^Error: invalid digest /);
      else assert.ok(!blobArchivePath(d).includes('..'));
    }
  });
});

describe('point 4 (Docker side): replies and the load stream are capped', () => {
  it(`an inspect reply declared larger than ${MAX_API_REPLY_BYTES} bytes is refused unread`, async () => {
    const fake = await fakeEngine({
      inspect: (_ref, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(MAX_API_REPLY_BYTES + 1) });
        res.write('{"Id":"');
        return true;
      },
    });
    try {
      await assert.rejects(inspectImage(fake.endpoint, 'big:1'), {
        message: `Docker GET /v${API}/images/big:1/json: the daemon's reply is larger than 32 MiB; stopped reading`,
      });
    } finally {
      await fake.close();
    }
  });

  it('an endless chunked inspect reply is cut at the cap', async () => {
    const fake = await fakeEngine({
      inspect: (_ref, res, written) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"Id":"sha256:');
        flood(res, 'a'.repeat(64 * 1024), written);
        return true;
      },
    });
    try {
      await assert.rejects(inspectImage(fake.endpoint, 'big:2'), /the daemon's reply is larger than 32 MiB; stopped reading$/);
      assert.ok(fake.written.bytes < MAX_API_REPLY_BYTES + 16 * 1024 * 1024, `the daemon got to write ${fake.written.bytes} bytes`);
    } finally {
      await fake.close();
    }
  });

  it(`one load message longer than ${MAX_LOAD_MESSAGE_CHARS} characters fails the load`, async () => {
    const fake = await fakeEngine({
      load: (res, written) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"stream":"');
        flood(res, 'x'.repeat(16 * 1024), written);
      },
    });
    try {
      await assert.rejects(loadImage(fake.endpoint, inputFor(['flood:1'])), {
        message: `docker load failed: a message from Docker is longer than ${MAX_LOAD_MESSAGE_CHARS} characters; stopped reading`,
      });
      assert.ok(fake.written.bytes < 8 * MAX_LOAD_MESSAGE_CHARS, `the daemon got to write ${fake.written.bytes} bytes`);
    } finally {
      await fake.close();
    }
  });

  it('so does a line of plain text without end', async () => {
    const fake = await fakeEngine({
      load: (res, written) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        flood(res, 'y'.repeat(16 * 1024), written);
      },
    });
    try {
      await assert.rejects(loadImage(fake.endpoint, inputFor(['flood:2'])), { name: 'DockerLoadError', code: 'failed', message: /^docker load failed: a message from Docker is longer than/ });
    } finally {
      await fake.close();
    }
  });

  it(`small load messages adding up past ${MAX_LOAD_OUTPUT_BYTES} bytes fail the load`, async () => {
    const fake = await fakeEngine({
      load: (res, written) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        flood(res, `${'{"status":"Loading layer","progressDetail":{"current":1,"total":2}}\r\n'.repeat(200)}`, written);
      },
    });
    try {
      await assert.rejects(loadImage(fake.endpoint, inputFor(['flood:3'])), {
        message: `docker load failed: the daemon's output is larger than 16 MiB; stopped reading`,
      });
      assert.ok(fake.written.bytes < MAX_LOAD_OUTPUT_BYTES + 16 * 1024 * 1024, `the daemon got to write ${fake.written.bytes} bytes`);
    } finally {
      await fake.close();
    }
  });

  it('the parser still splits messages across chunks under the cap', () => {
    const p = new JsonMessageParser({ maxMessageChars: 40 });
    const msg = '{"stream":"0123456789012345"}';
    const out = [...p.push(msg.slice(0, 10)), ...p.push(msg.slice(10) + '\n' + msg), ...p.end()];
    assert.equal(out.length, 2);
    assert.throws(() => p.push(`{"stream":"${'z'.repeat(40)}`), /longer than 40 characters/);
  });
});

describe('the real dockerd', () => {
  const endpoint = dockerEndpointFromEnv();
  const tag = `oci-build-test/hostile-retag:${process.pid}`;
  after(async () => {
    await removeImage(endpoint, tag, { force: true }).catch(() => false);
  });

  it('a tag that named another image before the load names the new one after it, verified', async () => {
    const ping = await pingDocker(endpoint);
    assert.ok(ping?.ok, `no Docker daemon at DOCKER_HOST=${process.env.DOCKER_HOST ?? 'unset'}`);
    const a = await buildTestImage(join(tmp, 'real-a'), { label: `hostile-a-${process.pid}` });
    const b = await buildTestImage(join(tmp, 'real-b'), { label: `hostile-b-${process.pid}` });
    const first = await loadImage(endpoint, inputFor([tag], a));
    assert.equal(first.imageId, a.manifestJson.config.digest);
    const second = await loadImage(endpoint, inputFor([tag], b));
    assert.equal(second.imageId, b.manifestJson.config.digest);
    assert.equal((await inspectImage(endpoint, tag))?.Id, b.manifestJson.config.digest);
    // Loading A again: the daemon has it, so it is only tagged, and the tag check passes.
    const again = await loadImage(endpoint, inputFor([tag], a));
    assert.equal(again.bytesSent, 0);
    assert.equal((await inspectImage(endpoint, tag))?.Id, a.manifestJson.config.digest);
    await removeImage(endpoint, a.manifestJson.config.digest, { force: true });
    await removeImage(endpoint, b.manifestJson.config.digest, { force: true });
  });
});

describe('beyond the issue: the daemon cannot issue workflow commands through the log', () => {
  it('lines that look like runner commands are shown behind a prefix, terminal escapes dropped', async () => {
    const fake = await fakeEngine({
      images: { 'hostile:1': inspectOf(configDigest, ['hostile:1']) },
      load: (res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write(JSON.stringify({ stream: '::stop-commands::pwned\n  ::add-mask::Loaded\n\u001b[2K##[error]fake failure\nLoaded image: hostile:1\n' }));
        res.end(`\r\n${JSON.stringify({ status: '\u001b]0;title\u0007::set-output name=x::y' })}\r\n`);
      },
    });
    try {
      const lines: string[] = [];
      await loadImage(fake.endpoint, inputFor(['hostile:1']), (l) => lines.push(l));
      assert.deepEqual(lines, [
        '(docker said) ::stop-commands::pwned',
        '(docker said) ::add-mask::Loaded',
        '(docker said) ##[error]fake failure',
        'Loaded image: hostile:1',
        '(docker said) ::set-output name=x::y',
      ]);
      for (const l of lines) assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(l), JSON.stringify(l));
    } finally {
      await fake.close();
    }
  });
});
