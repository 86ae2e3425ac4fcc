// A second load of an image the daemon already holds only tags it: no archive is sent.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerEndpointFromEnv, inspectImage, loadImage, removeImage } from '../../src/publish/docker.ts';
import { HELLO_TEXT, buildTestImage, execFileP } from './fixtures.ts';
import { requireDocker } from '../helpers/docker.ts';

const endpoint = dockerEndpointFromEnv();
const tags = ['oci-build-fastpath:first', 'oci-build-fastpath:second'];

after(async () => {
  for (const t of tags) await removeImage(endpoint, t, { force: true }).catch(() => false);
});

test('loading an image the daemon already has sends 0 bytes and only adds the tags', async () => {
  await requireDocker();
  const img = await buildTestImage(mkdtempSync(join(tmpdir(), 'fastpath-')));
  const input = (repoTags: string[]) => ({ blobPath: img.blobPath, manifest: img.manifest, manifestJson: img.manifestJson, repoTags });
  for (const t of tags) await removeImage(endpoint, t, { force: true }).catch(() => false);
  await removeImage(endpoint, img.manifestJson.config.digest, { force: true }).catch(() => false);

  const first = await loadImage(endpoint, input([tags[0] ?? '']));
  assert.ok(first.bytesSent > 0);
  const lines: string[] = [];
  const second = await loadImage(endpoint, input([tags[1] ?? '']), (l) => lines.push(l));
  assert.equal(second.bytesSent, 0);
  assert.equal(second.imageId, img.manifestJson.config.digest);
  assert.deepEqual(second.loaded, [tags[1]]);
  assert.match(lines.join('\n'), /already loaded: tagged oci-build-fastpath:second \(0 bytes sent\)/);
  assert.equal((await inspectImage(endpoint, tags[1] ?? ''))?.Id, img.manifestJson.config.digest);
  const { stdout } = await execFileP('docker', ['run', '--rm', '--network=none', tags[1] ?? '']);
  assert.equal(stdout.trim(), HELLO_TEXT);
});
