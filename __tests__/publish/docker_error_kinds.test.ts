// Whether a failed incremental load is resent in full is decided by the error's class and code
// (and the daemon's own words for the digest), never by how our message is worded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerLoadError, isMissingLayerError } from '../../src/publish/docker.ts';

const omitted = `sha256:${'ab'.repeat(32)}`;
const other = `sha256:${'cd'.repeat(32)}`;

test('a load failure naming a left-out layer resends in full, whatever our message says', () => {
  class Reworded extends DockerLoadError {
    constructor(daemonMessage: string) {
      super('failed', 'the daemon refused the trimmed archive', daemonMessage);
    }
  }
  const said = `open /var/lib/docker/overlay2/${'ab'.repeat(32)}/diff: no such file or directory`;
  assert.equal(isMissingLayerError(new Reworded(said), [omitted]), true);
  assert.equal(isMissingLayerError(new DockerLoadError('failed', `docker load failed: ${said}`, said), [omitted]), true);
  // A layer that was sent, a mismatch, or no daemon reason: not a missing layer.
  assert.equal(isMissingLayerError(new Reworded(said), [other]), false);
  assert.equal(isMissingLayerError(new DockerLoadError('mismatch', `docker load reported ${said}`, said), [omitted]), false);
  assert.equal(isMissingLayerError(new DockerLoadError('failed', `docker load failed: ${said}`), [omitted]), false);
});

test('a plain Error worded like a load failure is not one', () => {
  const text = `docker load failed: layer ${'ab'.repeat(32)} not found`;
  assert.equal(isMissingLayerError(new Error(text), [omitted]), false);
});
