import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { withByteProgress, withHeartbeat } from '../../src/util/progress.ts';

test('byte progress reports at a steady pace, not per chunk, and passes the bytes through', async () => {
  const lines: string[] = [];
  async function* chunks() {
    for (let i = 0; i < 4; i++) {
      yield Buffer.alloc(1024 * 1024, 97);
      await sleep(30);
    }
  }
  const out = await text(withByteProgress(Readable.from(chunks()), 4 * 1024 * 1024, 'uploading x', (m) => lines.push(m), 50));
  assert.equal(out.length, 4 * 1024 * 1024);
  assert.ok(lines.length >= 1 && lines.length <= 3, lines.join('\n'));
  assert.match(lines[0] ?? '', /^uploading x: \d+\.\d MiB of 4\.0 MiB \(\d+%\)$/);
});

test('the heartbeat lists what is still running until the work settles', async () => {
  const lines: string[] = [];
  const since = Date.now();
  await withHeartbeat(sleep(130), () => [{ name: '//app:bin', since }], (m) => lines.push(m), 'building', 50);
  const after = lines.length;
  await sleep(120);
  assert.ok(after >= 1, 'reported while running');
  assert.equal(lines.length, after, 'silent once done');
  assert.match(lines[0] ?? '', /^still building: \/\/app:bin \(\d+ s\)$/);
});
