// A workspace written from a file map, and an engine over it with the real Go toolchain and no
// registry credentials: the set-up that engine-level tests share.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Engine } from '../../src/engine/engine.ts';
import type { GoBuildQueue } from '../../src/go/batch.ts';
import { findGoToolchain } from '../../src/go/toolchain.ts';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { RegistryPool } from '../../src/registry/pool.ts';
import type { Logger } from '../../src/util/log.ts';
import type { Workspace } from '../../src/workspace/workspace.ts';
import { tempDirSync } from './tmp.ts';

export const quietLog: Logger = { info: () => {}, warning: () => {} };

/** Writes `files` (workspace-relative path → text) under `root`. */
export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/** A temporary directory holding `files`, removed when the test process exits. */
export function workspaceFrom(files: Record<string, string>, prefix = 'ws-'): string {
  const root = tempDirSync(prefix);
  writeFiles(root, files);
  return root;
}

/** An engine over `ws` writing to `outRoot` (default `<root>/out`), its store under it. */
export function testEngine(ws: Workspace, opts: { outRoot?: string; log?: Logger; goBuilds?: GoBuildQueue } = {}): Engine {
  const outRoot = opts.outRoot ?? join(ws.root, 'out');
  return new Engine({
    workspace: ws,
    outRoot,
    store: new BlobStore(join(outRoot, 'store')),
    log: opts.log ?? quietLog,
    env: process.env,
    goToolchain: async () => findGoToolchain(),
    registries: new RegistryPool({ explicit: [], insecureRegistries: [], log: () => {}, maskSecret: () => {} }),
    goBuilds: opts.goBuilds,
  });
}
