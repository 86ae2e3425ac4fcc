// Decisions on errors are taken by class and code, never by wording: a subclass that words its
// message differently is treated the same, and a plain Error that only looks like one is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BlobContentError, BlobStore } from '../../src/oci/blobstore.ts';
import { sha256 } from '../../src/oci/digest.ts';
import type { Digest } from '../../src/oci/types.ts';
import { RegistryClient } from '../../src/registry/client.ts';
import { removeDir, startRecordingServer, tempDir } from '../helpers/registry.ts';

/** A store whose writes fail with `make()` after reading the body, counting the attempts. */
class FailingStore extends BlobStore {
  attempts = 0;
  readonly make: () => Error;
  constructor(root: string, make: () => Error) {
    super(root);
    this.make = make;
  }
  override async writeStream(source: Readable | AsyncIterable<Uint8Array>): Promise<never> {
    this.attempts++;
    for await (const _ of source) void _;
    throw this.make();
  }
}

test('getBlob names the blob on a BlobContentError by its class, whatever the message says, and does not retry it', async (t) => {
  const server = await startRecordingServer();
  const dir = await tempDir('error-kinds-');
  t.after(async () => {
    await server.stop();
    await removeDir(dir);
  });
  const bytes = Buffer.from('some layer bytes');
  const digest = sha256(bytes) as Digest;
  server.files.set(`/v2/r/blobs/${digest}`, bytes);
  const host = server.url.slice('http://'.length);
  const client = new RegistryClient(host, { retry: { attempts: 3, minDelayMs: 1, maxDelayMs: 2 } });
  t.after(() => client.close());

  class Reworded extends BlobContentError {
    constructor() {
      super('CONTENT_MISMATCH', 'these bytes are not what was asked for');
    }
  }
  const typed = new FailingStore(join(dir, 'a'), () => new Reworded());
  await assert.rejects(client.getBlob('r', digest, typed, bytes.length), (err: Error) => {
    assert.equal(err.message, `blob ${digest} from ${host}/r: these bytes are not what was asked for`);
    assert.ok(err.cause instanceof Reworded);
    return true;
  });
  assert.equal(typed.attempts, 1);

  // The old wording on a plain Error is not a content error: it passes through untouched.
  const lookalike = new Error(`content mismatch: expected ${digest} (1 bytes), got ${digest} (2 bytes)`);
  const plain = new FailingStore(join(dir, 'b'), () => lookalike);
  await assert.rejects(client.getBlob('r', digest, plain, bytes.length), (err: Error) => err === lookalike);
});

test('the blob store fails with BlobContentError codes on wrong bytes and on too many bytes', async (t) => {
  const dir = await tempDir('error-kinds-store-');
  t.after(() => removeDir(dir));
  const store = new BlobStore(dir);
  const bytes = Buffer.from('abc');
  const wrong = sha256(Buffer.from('abd')) as Digest;
  await assert.rejects(store.writeStream(Readable.from([bytes]), { digest: wrong, size: 3 }), (err: unknown) => err instanceof BlobContentError && err.code === 'CONTENT_MISMATCH');
  await assert.rejects(store.writeStream(Readable.from([bytes]), { digest: wrong, size: 2 }), (err: unknown) => err instanceof BlobContentError && err.code === 'CONTENT_MISMATCH');
  await assert.rejects(store.writeStream(Readable.from([bytes]), undefined, { maxSize: 2 }), (err: unknown) => err instanceof BlobContentError && err.code === 'TOO_LARGE');
});
