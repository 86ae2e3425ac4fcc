// The example monorepo copied to a temporary directory, with extra BUILD content for a test.
import { appendFileSync, cpSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const repoRoot = join(import.meta.dirname, '..', '..');

export function exampleWorkspace(prefix: string, extraBuild: string): string {
  const root = mkdtempSync(join(tmpdir(), `${prefix}-`));
  cpSync(join(repoRoot, 'examples', 'monorepo'), root, { recursive: true, filter: (src) => !src.includes('.oci-build') });
  appendFileSync(join(root, 'apps', 'hello_world', 'BUILD.bazel'), `\n${extraBuild}\n`);
  return root;
}

/** Files named `name` anywhere under `dir`. */
export function findFiles(dir: string, name: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    const s = statSync(p);
    if (s.isDirectory()) out.push(...findFiles(p, name));
    else if (e === name) out.push(p);
  }
  return out;
}

export function collectLog(): { info: (m: string) => void; warning: (m: string) => void; infos: string[]; warnings: string[] } {
  const infos: string[] = [];
  const warnings: string[] = [];
  return { info: (m) => infos.push(m), warning: (m) => warnings.push(m), infos, warnings };
}
