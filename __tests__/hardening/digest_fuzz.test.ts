// Issue 15, point 1: random and adversarial digest strings through every parser that accepts a
// digest. Each must accept exactly `sha256:` + 64 lowercase hex or `sha512:` + 128 lowercase hex
// (an oracle written apart from the validator decides), refuse everything else with one line
// (no raw newline or NUL from the input), and never form a path outside the blob store.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { prng } from '../helpers/prng.ts';
import { isDigest, parseDigest, digestHex } from '../../src/oci/digest.ts';
import { BlobStore } from '../../src/oci/blobstore.ts';
import { checkConfig, checkDescriptor, checkIndex, checkManifest } from '../../src/oci/descriptor.ts';
import { readManifest } from '../../src/oci/image.ts';
import { readIndex } from '../../src/oci/imageindex.ts';
import { addLayerCached, layerByIdentity } from '../../src/oci/layer.ts';
import { parseReference } from '../../src/registry/reference.ts';
import { mergeIndex } from '../../src/publish/merge.ts';
import { ociPullRule } from '../../src/rules/oci_pull.ts';
import { fallbackTag } from '../../src/sbom/referrers.ts';
import type { RegistryPool } from '../../src/registry/pool.ts';
import type { Digest } from '../../src/oci/types.ts';
import { tarLayer } from '../helpers/registry.ts';

/** The rule, written without regular expressions so it does not share the validator's mistakes. */
function oracle(s: string): boolean {
  const parts = s.split(':');
  if (parts.length !== 2) return false;
  const [alg, hex] = parts as [string, string];
  const want = alg === 'sha256' ? 64 : alg === 'sha512' ? 128 : -1;
  if (want < 0 || hex.length !== want) return false;
  for (const ch of hex) if (!'0123456789abcdef'.includes(ch)) return false;
  return true;
}

const HEX64 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const HEX128 = 'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e';

const ADVERSARIAL: string[] = [
  `sha256:${HEX64}`,
  `sha512:${HEX128}`,
  '',
  'sha256:',
  'sha256',
  HEX64,
  `sha256:${HEX64.toUpperCase()}`,
  `SHA256:${HEX64}`,
  `sha256:${HEX64.slice(1)}`,
  `sha256:${HEX64}0`,
  `sha512:${HEX64}`,
  `sha256:${HEX128}`,
  `sha384:${HEX128.slice(0, 96)}`,
  `md5:${HEX64.slice(0, 32)}`,
  `sha1:${HEX64.slice(0, 40)}`,
  'sha256:../../../../etc/passwd',
  `sha256:../${HEX64.slice(3)}`,
  `sha256:${HEX64.slice(0, 62)}/.`,
  `sha256:${HEX64}/../../x`,
  `sha256:..\\..\\${HEX64.slice(6)}`,
  `sha256:${HEX64.slice(0, 63)}\0`,
  `sha256:${HEX64}\0`,
  `sha256:${HEX64}\n`,
  `sha256:${HEX64}\r\nX-Injected: 1`,
  ` sha256:${HEX64}`,
  `sha256:${HEX64} `,
  `sha256: ${HEX64.slice(1)}`,
  `sha256:${HEX64.slice(0, 63)}\t`,
  `sha256\u200b:${HEX64}`,
  `sha256:${HEX64.slice(0, 63)}\uff10`, // fullwidth digit zero
  `sha256:${HEX64.slice(0, 63)}é`,
  `sha256:${'٠'.repeat(64)}`, // Arabic-Indic digits
  `sha256:${HEX64.slice(0, 63)}g`,
  `sha256::${HEX64.slice(1)}`,
  `sha256:${HEX64}:`,
  `sha256:${HEX64}?x=1`,
  `sha256:${HEX64}#frag`,
  `sha256:%2e%2e%2f${HEX64.slice(9)}`,
  `sha256:${HEX64}`.repeat(2),
  `sha256:${'a'.repeat(100_000)}`,
  `sha256+b64u:${'A'.repeat(43)}`,
  `sha512:${HEX128.slice(0, 127)}`,
  `sha512:${HEX128}${HEX128}`,
  'sha256:.',
  'sha256:/',
  '../sha256',
];

const ALPHABET = ['a', 'f', '0', '9', 'g', 'A', 'F', '/', '.', '..', '\\', '\0', '\n', ' ', '\t', ':', '@', '%', 'é', '\u0660', '\uff10', '\u200b', '-', '+', '_', '~'];

/** Valid digests, near misses (one edit of a valid one) and noise, from a seed. */
function generated(seed: number, n: number): string[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const hex = (len: number) => Array.from({ length: len }, () => '0123456789abcdef'[Math.floor(rnd() * 16)]).join('');
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const kind = rnd();
    const valid = rnd() < 0.5 ? `sha256:${hex(64)}` : `sha512:${hex(128)}`;
    if (kind < 0.25) {
      out.push(valid);
    } else if (kind < 0.75) {
      const chars = [...valid];
      const at = Math.floor(rnd() * (chars.length + 1));
      const op = rnd();
      if (op < 0.33) chars.splice(at, 1, pick(ALPHABET));
      else if (op < 0.66) chars.splice(at, 0, pick(ALPHABET));
      else chars.splice(at, 1);
      out.push(chars.join(''));
    } else {
      const len = Math.floor(rnd() * 140);
      out.push(`${pick(['sha256:', 'sha512:', '', 'sha384:', 'SHA256:'])}${Array.from({ length: len }, () => pick(ALPHABET)).join('')}`);
    }
  }
  return out;
}

const SEED = Number(process.env.DIGEST_FUZZ_SEED ?? 15);
const CASES = [...ADVERSARIAL, ...generated(SEED, 2000)];

function assertOneLine(err: unknown, input: string): true {
  const m = (err as Error).message;
  assert.ok(!m.includes('\n') && !m.includes('\r') && !m.includes('\0'), `message for ${JSON.stringify(input.slice(0, 80))} is not one clean line: ${JSON.stringify(m.slice(0, 200))}`);
  return true;
}

let work: string;
let store: BlobStore;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'digest-fuzz-'));
  store = new BlobStore(join(work, 'store'));
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe(`digest fuzz (seed ${SEED}, ${CASES.length} strings)`, () => {
  test('the corpus holds both valid and invalid strings', () => {
    const valid = CASES.filter(oracle).length;
    assert.ok(valid > 300 && CASES.length - valid > 1000, `${valid} valid of ${CASES.length}`);
  });

  test('isDigest / parseDigest / digestHex', () => {
    for (const s of CASES) {
      assert.equal(isDigest(s), oracle(s), JSON.stringify(s.slice(0, 80)));
      if (oracle(s)) {
        assert.equal(parseDigest(s), s);
        assert.equal(digestHex(s as Digest), s.slice(7));
      } else {
        assert.throws(() => parseDigest(s, 'layer digest'), (e) => assertOneLine(e, s));
        assert.throws(() => digestHex(s as Digest), (e) => assertOneLine(e, s));
      }
    }
  });

  test('references (registry/repo@digest)', () => {
    for (const s of CASES) {
      const input = `127.0.0.1:5000/app@${s}`;
      if (oracle(s)) assert.equal(parseReference(input).digest, s);
      else assert.throws(() => parseReference(input), (e) => assertOneLine(e, s));
    }
  });

  test('descriptors, manifests, indexes and configs from outside', () => {
    const where = 'reg.example/app@sha256:0';
    for (const s of CASES) {
      const d = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: s, size: 1 };
      const docs: Array<() => unknown> = [
        () => checkDescriptor(d, where, 'layers[0]'),
        () => checkManifest({ schemaVersion: 2, config: { ...d, digest: `sha256:${HEX64}` }, layers: [d] }, where),
        () => checkManifest({ schemaVersion: 2, config: d, layers: [] }, where),
        () => checkManifest({ schemaVersion: 2, config: { ...d, digest: `sha256:${HEX64}` }, layers: [], subject: d }, where),
        () => checkIndex({ schemaVersion: 2, manifests: [d] }, where),
        () => checkConfig({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [s] } }, where, 1),
      ];
      for (const f of docs) {
        if (oracle(s)) f();
        else assert.throws(f, (e) => assertOneLine(e, s) && /is not a valid digest/.test((e as Error).message));
      }
    }
  });

  test('descriptor sizes and media types from outside are checked with the digest', () => {
    const good = { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${HEX64}`, size: 0 };
    checkDescriptor(good, 'w', 'layers[0]');
    for (const size of [-1, 1.5, 2 ** 53, Number.NaN, Infinity, '10', null, undefined, [1], {}]) {
      assert.throws(() => checkDescriptor({ ...good, size }, 'w', 'layers[0]'), /^Error: w: layers\[0\]\.size .* is not a non-negative integer$/, String(size));
    }
    for (const mediaType of [undefined, 1, null, ['x']]) {
      assert.throws(() => checkDescriptor({ ...good, mediaType }, 'w', 'config'), /^Error: w: config\.mediaType is /);
    }
    for (const notObject of [null, 'sha256:x', 1, [good]]) {
      assert.throws(() => checkDescriptor(notObject, 'w', 'manifests[3]'), /^Error: w: manifests\[3\] is not a descriptor object$/);
    }
  });

  test('oci.pull digest attribute, merge inputs and the referrers fallback tag', async () => {
    const pool = {
      client() {
        throw new Error('the registry must not be asked about an invalid digest');
      },
    } as unknown as RegistryPool;
    for (const s of CASES) {
      const attrs = { string: (name: string, def?: string) => (name === 'image' ? 'reg.example/app' : name === 'digest' ? s : def), stringList: () => [] };
      const validate = () => ociPullRule.validate!(attrs as never, {} as never);
      if (oracle(s)) {
        validate();
        assert.match(fallbackTag(s as Digest), /^sha(256|512)-[0-9a-f]+$/);
      } else {
        assert.throws(validate, (e) => assertOneLine(e, s));
        assert.throws(() => fallbackTag(s as Digest), (e) => assertOneLine(e, s));
        await assert.rejects(mergeIndex(pool, { sources: [`reg.example/app@${s}`], tags: [] }, () => {}), (e) => assertOneLine(e, s) && !/must not be asked/.test((e as Error).message));
      }
    }
  });

  test('the blob store refuses an invalid digest before it forms a path, and writes nothing for it', async () => {
    const blobs = resolve(store.root, 'blobs');
    const victim = join(work, 'victim');
    for (const s of CASES) {
      if (oracle(s)) {
        assert.ok(store.path(s as Digest).startsWith(`${blobs}/`), s);
        assert.equal(await store.has(s as Digest), undefined);
        continue;
      }
      assert.throws(() => store.path(s as Digest), (e) => assertOneLine(e, s));
      await assert.rejects(store.has(s as Digest), (e) => assertOneLine(e, s));
      await assert.rejects(store.writeStream(Readable.from([Buffer.from('x')]), { digest: s as Digest, size: 1 }), (e) => assertOneLine(e, s));
      writeFileSync(victim, 'victim');
      await assert.rejects(store.linkTo(s as Digest, victim), (e) => assertOneLine(e, s));
      assert.equal(readFileSync(victim, 'utf8'), 'victim', 'linkTo removed its destination for an invalid digest');
    }
    const tmp = join(store.root, 'tmp');
    assert.deepEqual(existsSync(tmp) ? readdirSync(tmp) : [], [], 'no temporary file left');
  });

  test('documents read back from the store are checked too', async () => {
    const d = { mediaType: 'application/vnd.oci.image.layer.v1.tar', size: 1 };
    for (const s of [...ADVERSARIAL, ...generated(SEED + 1, 200)].filter((x) => !oracle(x))) {
      const m = await store.writeBytes(JSON.stringify({ schemaVersion: 2, config: { ...d, digest: `sha256:${HEX64}` }, layers: [{ ...d, digest: s }] }));
      await assert.rejects(readManifest(store, m.digest), (e) => assertOneLine(e, s) && /layers\[0\]\.digest/.test((e as Error).message));
      const i = await store.writeBytes(JSON.stringify({ schemaVersion: 2, manifests: [{ ...d, digest: s }] }));
      await assert.rejects(readIndex(store, i.digest), (e) => assertOneLine(e, s) && /manifests\[0\]\.digest/.test((e as Error).message));
    }
  });

  test('a layer cache entry naming a path-like digest is a miss, never a file outside the store', async () => {
    const tar = join(work, 'layer.tar');
    writeFileSync(tar, tarLayer({ 'hello.txt': 'hello' }));
    const first = await addLayerCached(store, tar, 'oci');
    assert.equal((await layerByIdentity(store, tar, 'oci'))?.descriptor.digest, first.descriptor.digest);
    const dir = join(store.root, 'cache', 'layers');
    const [entry] = readdirSync(dir);
    assert.ok(entry);
    // An outside file with exactly the size the entry claims: the old check (present, same size) passed.
    const outside = join(work, 'outside-secret');
    writeFileSync(outside, 'secret bytes the build must never take for a layer');
    const size = statSync(outside).size;
    const hostile = [`sha256:${'../'.repeat(20)}${outside.slice(1)}`, ...generated(SEED + 2, 100).filter((x) => !oracle(x))];
    for (const s of hostile) {
      for (const bad of [
        { ...first, descriptor: { ...first.descriptor, digest: s, size } },
        { ...first, diffId: s },
      ]) {
        writeFileSync(join(dir, entry), JSON.stringify(bad));
        assert.equal(await layerByIdentity(store, tar, 'oci'), undefined, JSON.stringify(s.slice(0, 80)));
      }
    }
  });
});
