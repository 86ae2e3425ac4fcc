// Builds tiny single-layer images by hand for the publish tests: a static Go binary in a
// layer tar, a config and a manifest with sha256 digests, blobs in a content-addressed dir.
// Uses nothing from the project's other modules.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

export const execFileP = promisify(execFile);

export const HELLO_TEXT = 'hello from the oci-build publish test';

const HELLO_GO = `package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("${HELLO_TEXT}")
	for _, a := range os.Args[1:] {
		fmt.Println("arg:", a)
	}
}
`;

export function goArch(): string {
  switch (process.arch) {
    case 'x64':
      return 'amd64';
    case 'arm64':
      return 'arm64';
    case 'arm':
      return 'arm';
    case 'ia32':
      return '386';
    default:
      return process.arch;
  }
}

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Builds (once, cached under the OS temp dir by source + Go version) a static hello binary. */
async function goCommand(): Promise<string> {
  for (const candidate of [process.env.GO, 'go', '/usr/local/go/bin/go', '/usr/lib/go/bin/go']) {
    if (candidate === undefined || candidate === '') continue;
    try {
      await execFileP(candidate, ['version']);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new Error('the publish tests need a Go toolchain to build their test binary: `go` is not on PATH');
}

export async function helloBinary(): Promise<Buffer> {
  const go = await goCommand();
  const { stdout: goVersion } = await execFileP(go, ['version']);
  const key = createHash('sha256').update(HELLO_GO).update(goVersion).update(goArch()).digest('hex').slice(0, 16);
  const cacheDir = join(process.env.OCI_BUILD_TEST_CACHE ?? join(tmpdir(), 'oci-build-test-cache'), 'publish-hello');
  const bin = join(cacheDir, `hello-${key}`);
  try {
    if ((await stat(bin)).size > 0) return await readFile(bin);
  } catch {
    // build it
  }
  await mkdir(cacheDir, { recursive: true });
  const src = await mkdtemp(join(cacheDir, 'src-'));
  try {
    await writeFile(join(src, 'go.mod'), 'module example.com/hello\n\ngo 1.21\n');
    await writeFile(join(src, 'main.go'), HELLO_GO);
    const out = join(src, 'hello');
    await execFileP(go, ['build', '-trimpath', '-ldflags=-buildid= -s -w', '-o', out, '.'], {
      cwd: src,
      env: {
        ...process.env,
        CGO_ENABLED: '0',
        GOOS: 'linux',
        GOARCH: goArch(),
        GOTOOLCHAIN: 'local',
        GOFLAGS: '',
        GOCACHE: process.env.GOCACHE ?? join(cacheDir, 'gocache'),
        GOPATH: process.env.GOPATH ?? join(cacheDir, 'gopath'),
      },
    });
    await rename(out, bin);
  } finally {
    await rm(src, { recursive: true, force: true });
  }
  return readFile(bin);
}

/** A tar holding /hello (0755) and an empty /tmp dir, deterministic headers. */
export async function layerTar(binary: Buffer): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  const mtime = new Date(0);
  await new Promise<void>((resolve, reject) =>
    pack.entry({ name: 'hello', mode: 0o755, mtime, uid: 0, gid: 0, size: binary.length }, binary, (e) =>
      e ? reject(e) : resolve(),
    ),
  );
  await new Promise<void>((resolve, reject) =>
    pack.entry({ name: 'tmp/', type: 'directory', mode: 0o1777, mtime, uid: 0, gid: 0 }, (e) => (e ? reject(e) : resolve())),
  );
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface TestImage {
  dir: string;
  blobPath: (digest: string) => string;
  manifest: Descriptor;
  manifestJson: { schemaVersion: 2; mediaType: string; config: Descriptor; layers: Descriptor[] };
  config: Record<string, unknown>;
  layerBytes: Buffer;
}

export interface ImageOptions {
  /** "oci" (default) or "docker" media types. */
  flavor?: 'oci' | 'docker';
  /** Gzip the layer (default true). */
  gzip?: boolean;
  /** Replace the config's diff_ids (to make the daemon reject the image). */
  diffIds?: string[];
  /** Extra label, to make image IDs unique per test. */
  label?: string;
}

async function putBlob(dir: string, data: Buffer | string): Promise<{ digest: string; size: number }> {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const digest = sha256(buf);
  const file = join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(file, buf);
  return { digest, size: buf.length };
}

/** Writes a one-layer hello image's blobs into `dir` (created if missing). */
export async function buildTestImage(dir: string, options: ImageOptions = {}): Promise<TestImage> {
  const flavor = options.flavor ?? 'oci';
  const gzip = options.gzip ?? true;
  const plain = await layerTar(await helloBinary());
  const layerBytes = gzip ? gzipSync(plain, { level: 6 }) : plain;
  const layerType =
    flavor === 'oci'
      ? gzip
        ? 'application/vnd.oci.image.layer.v1.tar+gzip'
        : 'application/vnd.oci.image.layer.v1.tar'
      : gzip
        ? 'application/vnd.docker.image.rootfs.diff.tar.gzip'
        : 'application/vnd.docker.image.rootfs.diff.tar';
  const layer = await putBlob(dir, layerBytes);
  const config = {
    architecture: goArch(),
    os: 'linux',
    config: {
      Entrypoint: ['/hello'],
      Env: ['PATH=/'],
      Labels: { 'test.label': options.label ?? 'publish' },
    },
    rootfs: { type: 'layers', diff_ids: options.diffIds ?? [sha256(plain)] },
    history: [{ created: '1970-01-01T00:00:00Z', created_by: 'publish test' }],
  };
  const configType =
    flavor === 'oci' ? 'application/vnd.oci.image.config.v1+json' : 'application/vnd.docker.container.image.v1+json';
  const configBlob = await putBlob(dir, JSON.stringify(config));
  const manifestType =
    flavor === 'oci' ? 'application/vnd.oci.image.manifest.v1+json' : 'application/vnd.docker.distribution.manifest.v2+json';
  const manifestJson = {
    schemaVersion: 2 as const,
    mediaType: manifestType,
    config: { mediaType: configType, ...configBlob },
    layers: [{ mediaType: layerType, ...layer }],
  };
  const manifestBlob = await putBlob(dir, JSON.stringify(manifestJson));
  return {
    dir,
    blobPath: (digest) => join(dir, 'blobs', ...digest.split(':')),
    manifest: { mediaType: manifestType, ...manifestBlob },
    manifestJson,
    config,
    layerBytes,
  };
}
