// Preloaded into the test runner and every test file's process (`node --import` in package.json's
// test:unit; node --test passes it on): each gets a TMPDIR of its own, removed when it exits.
// What a test forgets in os.tmpdir() — and what the CLIs, go builds and registries it starts
// write there, since they inherit TMPDIR — no longer piles up in /tmp.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempDirSync } from './tmp.ts';

// The caches meant to outlive a run (the seeded base's files, Go downloads) stay where they were.
process.env.OCI_BUILD_TEST_CACHE ??= join(tmpdir(), 'oci-build-test-cache');
process.env.TMPDIR = tempDirSync('oci-build-test-');
