// SBOM referrers and the attestation hand-off, run as the runner runs the action (dist/index.js
// with INPUT_* and GITHUB_OUTPUT) against a real distribution registry (Debian's docker-registry
// 2.8, which has no referrers API, so the tag-schema fallback is what is exercised), and checked
// with skopeo.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../helpers/registry.ts';
import { runCommand } from '../helpers/run.ts';
import { exampleWorkspace, repoRoot } from './workspace.ts';

let registry: TestRegistry;
before(async () => {
  for (const tool of ['skopeo', 'docker-registry', 'go']) {
    const which = await runCommand('sh', ['-c', `command -v ${tool}`]);
    assert.equal(which.code, 0, `${tool} is required for this test (install it; scripts/test does)`);
  }
  registry = await startRegistry({ mode: 'anonymous' });
});
after(async () => {
  await registry?.stop();
});

function outputs(file: string): Record<string, string> {
  const text = readFileSync(file, 'utf8');
  const out: Record<string, string> = {};
  const re = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out[m[1]!] = m[3]!;
  return out;
}

async function skopeo(args: string[]): Promise<string> {
  const r = await runCommand('skopeo', args);
  assert.equal(r.code, 0, `skopeo ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function runAction(root: string, repo: string, extra: NodeJS.ProcessEnv = {}): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'supply-action-'));
  const outFile = join(dir, 'out');
  writeFileSync(outFile, '');
  const res = await runCommand(process.execPath, [join(repoRoot, 'dist', 'index.js')], {
    env: {
      ...process.env,
      INPUT_TARGETS: '//apps/hello_world:push_supply',
      'INPUT_WORKING-DIRECTORY': root,
      'INPUT_OUTPUT-DIR': join(dir, 'o'),
      INPUT_REPOSITORY: `${registry.host}/${repo}`,
      INPUT_CACHE: 'false',
      GITHUB_OUTPUT: outFile,
      ...extra,
    },
  });
  assert.equal(res.code, 0, res.stdout + res.stderr);
  return outputs(outFile);
}

const BUILD = `
load("@rules_oci//oci:defs.bzl", "oci_push")

oci_push(
    name = "push_supply",
    image = ":image",
    remote_tags = ["v1"],
)
`;

test('subject-name / subject-digest outputs, and an SPDX SBOM per platform image attached by the tag-schema fallback', async () => {
  const root = exampleWorkspace('supply-sbom', BUILD);
  const out = await runAction(root, 'acme/app');
  assert.equal(out['subject-name'], `${registry.host}/acme/app`);
  const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/acme/app:v1`]);
  const indexDigest = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  assert.equal(out['subject-digest'], indexDigest, 'subject-digest is the pushed index');
  assert.equal(out.digest, indexDigest);
  const index = JSON.parse(raw) as { manifests: Array<{ digest: string; platform: { architecture: string } }> };
  assert.equal(index.manifests.length, 2);

  const gomod = readFileSync(join(root, 'go.mod'), 'utf8');
  const uuidVersion = /github\.com\/google\/uuid (v\S+)/.exec(gomod)?.[1];
  assert.ok(uuidVersion, 'go.mod requires github.com/google/uuid');
  const mainModule = /^module (\S+)/m.exec(gomod)?.[1];
  for (const m of index.manifests) {
    const hex = m.digest.slice('sha256:'.length);
    const fallback = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/acme/app:sha256-${hex}`])) as {
      mediaType: string;
      manifests: Array<{ digest: string; mediaType: string; artifactType: string }>;
    };
    assert.equal(fallback.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.equal(fallback.manifests.length, 1);
    const ref = fallback.manifests[0]!;
    assert.equal(ref.artifactType, 'application/spdx+json');
    assert.equal(ref.mediaType, 'application/vnd.oci.image.manifest.v1+json');

    const artifact = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/acme/app@${ref.digest}`])) as {
      artifactType: string;
      config: { mediaType: string; size: number; digest: string };
      layers: Array<{ mediaType: string; digest: string }>;
      subject: { digest: string; mediaType: string };
    };
    assert.equal(artifact.artifactType, 'application/spdx+json');
    assert.equal(artifact.config.mediaType, 'application/vnd.oci.empty.v1+json');
    assert.equal(artifact.config.size, 2);
    assert.equal(artifact.layers.length, 1);
    assert.equal(artifact.layers[0]?.mediaType, 'application/spdx+json');
    assert.equal(artifact.subject.digest, m.digest);

    // Copy the artifact out with skopeo and read the SPDX document from the OCI directory.
    const dest = mkdtempSync(join(tmpdir(), 'sbom-copy-'));
    await skopeo(['copy', '--src-tls-verify=false', `docker://${registry.host}/acme/app@${ref.digest}`, `oci:${dest}:sbom`]);
    const layer = artifact.layers[0]!.digest.slice('sha256:'.length);
    const doc = JSON.parse(readFileSync(join(dest, 'blobs', 'sha256', layer), 'utf8')) as {
      spdxVersion: string;
      dataLicense: string;
      SPDXID: string;
      name: string;
      documentNamespace: string;
      creationInfo: { created: string; creators: string[] };
      packages: Array<{ name: string; SPDXID: string; versionInfo?: string; externalRefs?: Array<{ referenceType: string; referenceLocator: string }>; checksums?: unknown[]; annotations?: Array<{ comment: string }> }>;
      relationships: Array<{ spdxElementId: string; relationshipType: string; relatedSpdxElement: string }>;
    };
    assert.equal(doc.spdxVersion, 'SPDX-2.3');
    assert.equal(doc.dataLicense, 'CC0-1.0');
    assert.equal(doc.SPDXID, 'SPDXRef-DOCUMENT');
    assert.ok(doc.name);
    assert.ok(doc.documentNamespace.endsWith(hex), 'namespace derives from the image digest');
    assert.equal(doc.creationInfo.created, '1970-01-01T00:00:00Z');
    assert.deepEqual(doc.creationInfo.creators, ['Tool: oci-build-action']);
    const ids = new Set(doc.packages.map((p) => p.SPDXID));
    for (const p of doc.packages) assert.match(p.SPDXID, /^SPDXRef-[A-Za-z0-9.-]+$/);
    for (const r of doc.relationships) {
      assert.ok(r.spdxElementId === 'SPDXRef-DOCUMENT' || ids.has(r.spdxElementId), r.spdxElementId);
      assert.ok(ids.has(r.relatedSpdxElement), r.relatedSpdxElement);
    }
    const purl = (p: (typeof doc.packages)[number]) => p.externalRefs?.find((e) => e.referenceType === 'purl')?.referenceLocator;
    const uuid = doc.packages.find((p) => p.name === 'github.com/google/uuid');
    assert.equal(uuid?.versionInfo, uuidVersion);
    assert.equal(purl(uuid!), `pkg:golang/github.com/google/uuid@${uuidVersion}`);
    assert.ok(uuid?.checksums?.length, 'h1: checksum as SHA256');
    const main = doc.packages.find((p) => p.name === mainModule);
    assert.equal(main?.versionInfo, '(devel)', 'the main module, built from source');
    assert.equal(purl(main!), `pkg:golang/${mainModule}`);
    const binary = doc.packages.find((p) => p.name === `/hello_world_linux_${m.platform.architecture}`);
    assert.ok(binary?.versionInfo?.startsWith('go1.'), 'Go version');
    const settings = (binary?.annotations ?? []).map((a) => a.comment);
    assert.ok(settings.includes(`go build setting GOARCH=${m.platform.architecture}`), settings.join('\n'));
    assert.ok(settings.includes('go build setting CGO_ENABLED=0'));
    assert.ok(settings.includes('go build setting -trimpath=true'));
  }

  // Pushing again leaves one referrer per image (read-modify-write, no duplicates) and the same SBOM.
  const again = await runAction(root, 'acme/app');
  assert.equal(again['subject-digest'], indexDigest);
  const hex = index.manifests[0]!.digest.slice('sha256:'.length);
  const fallback = JSON.parse(await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/acme/app:sha256-${hex}`])) as { manifests: unknown[] };
  assert.equal(fallback.manifests.length, 1);
});

test('sbom: false pushes no referrer', async () => {
  const root = exampleWorkspace('supply-nosbom', BUILD);
  const out = await runAction(root, 'acme/plain', { INPUT_SBOM: 'false' });
  assert.equal(out['subject-name'], `${registry.host}/acme/plain`);
  const tags = JSON.parse(await skopeo(['list-tags', '--tls-verify=false', `docker://${registry.host}/acme/plain`])) as { Tags: string[] };
  assert.deepEqual(tags.Tags, ['v1']);
});
