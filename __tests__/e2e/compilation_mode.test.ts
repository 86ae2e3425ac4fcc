// Bazel's compilation modes on real Go builds: fastbuild (the default) links without a symbol
// table or DWARF, as rules_go does under bazel's default --strip=sometimes; opt keeps them. Both
// binaries run and keep Go's build info (what the SBOM reads).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipeline } from '../../src/pipeline.ts';
import { runCommand } from '../helpers/run.ts';

const example = join(import.meta.dirname, '..', '..', 'examples', 'monorepo');

/** Section names of a 64-bit little-endian ELF file. */
function sectionNames(file: string): string[] {
  const b = readFileSync(file);
  assert.equal(b.subarray(0, 4).toString('latin1'), '\x7fELF');
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  const shstrndx = b.readUInt16LE(0x3e);
  const strtab = Number(b.readBigUInt64LE(shoff + shstrndx * shentsize + 0x18));
  const names: string[] = [];
  for (let i = 0; i < shnum; i++) {
    const nameOff = b.readUInt32LE(shoff + i * shentsize);
    const start = strtab + nameOff;
    names.push(b.subarray(start, b.indexOf(0, start)).toString('latin1'));
  }
  return names;
}

async function build(mode: 'fastbuild' | 'opt'): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), `cmode-${mode}-`));
  await runPipeline({ cwd: example, targets: ['//apps/hello_world:hello_world_linux_amd64'], outputDir: out, load: false, compilationMode: mode, log: { info: () => {}, warning: () => {} } });
  return join(out, 'bin', 'host', 'apps', 'hello_world', 'hello_world_linux_amd64_', 'hello_world_linux_amd64');
}

test('fastbuild strips symbols and DWARF, opt keeps them; both run and carry Go build info', async () => {
  const fast = await build('fastbuild');
  const opt = await build('opt');
  const fastSections = sectionNames(fast);
  const optSections = sectionNames(opt);
  assert.ok(!fastSections.includes('.symtab'), fastSections.join(' '));
  assert.ok(!fastSections.some((s) => s.includes('debug_info')), fastSections.join(' '));
  assert.ok(optSections.includes('.symtab'), optSections.join(' '));
  assert.ok(optSections.some((s) => s.includes('debug_info')), optSections.join(' '));
  assert.ok(readFileSync(fast).length < readFileSync(opt).length * 0.8);
  for (const bin of [fast, opt]) {
    const ran = await runCommand(bin, []);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^Hello, World!/);
    const info = await runCommand('go', ['version', '-m', bin]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /\tpath\texample\.com\/monorepo\/apps\/hello_world\n/);
  }
});
