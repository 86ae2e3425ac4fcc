// Independent checkers for tar output: Python's tarfile (names, metadata, content hashes) and
// GNU tar.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

export interface PyMember {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  size: number;
  linkname: string;
  /** File content as UTF-8 (files only). */
  data?: string;
}

const LISTER = `
import json, sys, tarfile
out = []
with tarfile.open(sys.argv[1], 'r:*') as t:
    for m in t:
        kind = 'file' if m.isreg() else 'dir' if m.isdir() else 'symlink' if m.issym() else 'hardlink' if m.islnk() else 'other'
        e = dict(name=m.name, type=kind, mode=m.mode, uid=m.uid, gid=m.gid, uname=m.uname, gname=m.gname,
                 mtime=m.mtime, size=m.size, linkname=m.linkname)
        if m.isreg():
            e['data'] = t.extractfile(m).read().decode('utf-8', 'replace')
        out.append(e)
print(json.dumps(out))
`;

export function pyList(path: string): PyMember[] {
  return JSON.parse(execFileSync('python3', ['-c', LISTER, path], { encoding: 'utf8' })) as PyMember[];
}

/** Runs a Python snippet (argv available as sys.argv[1:]). */
export function python(code: string, ...args: string[]): string {
  return execFileSync('python3', ['-c', code, ...args], { encoding: 'utf8' });
}

export function gnuTarList(path: string, gzip = false): string[] {
  return execFileSync('tar', [gzip ? '-tzf' : '-tf', path], { encoding: 'utf8' }).split('\n').filter((l) => l);
}

export function sha256sum(path: string): string {
  return execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0];
}

/** A fresh temporary directory, removed when the test file finishes. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
  after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
