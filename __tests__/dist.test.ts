import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

test('dist/ is what the bundler produces from src/ (run npm run build and commit dist/)', () => {
  const out = mkdtempSync(join(tmpdir(), 'dist-check-'));
  try {
    execFileSync(process.execPath, [join(root, 'scripts/bundle.mjs'), out], { cwd: root, stdio: 'pipe' });
    for (const file of ['index.js', 'index-main.js', 'post.js', 'cli.js', 'cli-main.js', 'licenses.txt']) {
      const fresh = readFileSync(join(out, file), 'utf8');
      const committed = readFileSync(join(root, 'dist', file), 'utf8');
      assert.ok(fresh === committed, `dist/${file} is stale: run "npm run build" and commit dist/`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
