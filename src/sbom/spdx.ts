// SPDX 2.3 JSON for an image, from the Go build info of the Go binaries in its layers.
// Reproducible: no random namespace, no wall clock. The namespace derives from the image's
// manifest digest and `created` is SOURCE_DATE_EPOCH (or 1970-01-01 without it), so building the
// same image twice yields the same SBOM bytes, and so the same artifact digest.
import type { Digest, Platform } from '../oci/types.ts';
import type { GoBuildInfo, GoModule } from './buildinfo.ts';

export const SPDX_MEDIA_TYPE = 'application/spdx+json';
export const TOOL = 'oci-build-action';

export interface SbomBinary {
  /** Path in the image. */
  path: string;
  go: GoBuildInfo;
}

export interface SbomInput {
  /** What the image is: the target label. */
  name: string;
  digest: Digest;
  platform: Platform;
  binaries: SbomBinary[];
  /** Seconds since 1970 (SOURCE_DATE_EPOCH); default 0. */
  created?: number;
}

interface SpdxPackage {
  name: string;
  SPDXID: string;
  versionInfo?: string;
  downloadLocation: string;
  filesAnalyzed: false;
  checksums?: Array<{ algorithm: string; checksumValue: string }>;
  externalRefs?: Array<{ referenceCategory: string; referenceType: string; referenceLocator: string }>;
  primaryPackagePurpose?: string;
  comment?: string;
  annotations?: Array<{ annotationType: string; annotator: string; annotationDate: string; comment: string }>;
}

/** purl for a Go module (`pkg:golang/github.com/google/uuid@v1.6.0`); no version for (devel). */
export function goPurl(path: string, version: string): string {
  const name = path.split('/').map((s) => encodeURIComponent(s)).join('/');
  return version && version !== '(devel)' ? `pkg:golang/${name}@${encodeURIComponent(version)}` : `pkg:golang/${name}`;
}

function spdxId(kind: string, text: string): string {
  return `SPDXRef-${kind}-${text.replace(/[^A-Za-z0-9.-]+/g, '-')}`;
}

/** `h1:<base64 sha256>` → the SHA256 checksum SPDX wants (hex). */
function h1Checksum(sum: string | undefined): SpdxPackage['checksums'] {
  if (!sum?.startsWith('h1:')) return undefined;
  const bytes = Buffer.from(sum.slice(3), 'base64');
  return bytes.length === 32 ? [{ algorithm: 'SHA256', checksumValue: bytes.toString('hex') }] : undefined;
}

export function createdTimestamp(seconds: number | undefined): string {
  return new Date((seconds ?? 0) * 1000).toISOString().replace('.000Z', 'Z');
}

export function generateSpdx(input: SbomInput): Record<string, unknown> {
  const created = createdTimestamp(input.created);
  const hex = input.digest.slice('sha256:'.length);
  const plat = `${input.platform.os}/${input.platform.architecture}${input.platform.variant ? `/${input.platform.variant}` : ''}`;
  const packages: SpdxPackage[] = [];
  const relationships: Array<{ spdxElementId: string; relationshipType: string; relatedSpdxElement: string }> = [];
  const imageId = 'SPDXRef-Image';
  packages.push({
    name: input.name,
    SPDXID: imageId,
    versionInfo: input.digest,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    checksums: [{ algorithm: 'SHA256', checksumValue: hex }],
    primaryPackagePurpose: 'CONTAINER',
    comment: `OCI image manifest for ${plat}`,
  });
  relationships.push({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: imageId });

  const modules = new Map<string, string>(); // path@version → SPDXID
  const modulePackage = (m: GoModule, purpose: string): string => {
    const eff = m.replace ?? m;
    const key = `${m.path}@${m.version}`;
    const have = modules.get(key);
    if (have) return have;
    const id = spdxId('Package-go-module', `${m.path}-${m.version || 'devel'}`);
    modules.set(key, id);
    const checksums = h1Checksum(eff.sum);
    packages.push({
      name: m.path,
      SPDXID: id,
      ...(m.version ? { versionInfo: m.version } : {}),
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      ...(checksums ? { checksums } : {}),
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: goPurl(m.path, m.version) }],
      primaryPackagePurpose: purpose,
      ...(eff.sum || m.replace
        ? { comment: [eff.sum ? `go.sum ${eff.sum}` : '', m.replace ? `replaced by ${m.replace.path} ${m.replace.version}` : ''].filter(Boolean).join('; ') }
        : {}),
    });
    return id;
  };

  const binaries = [...input.binaries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const [i, b] of binaries.entries()) {
    const binId = spdxId('File-go-binary', `${i}${b.path}`);
    const main = b.go.main ?? { path: b.go.path, version: '' };
    packages.push({
      name: b.path,
      SPDXID: binId,
      versionInfo: b.go.goVersion,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'APPLICATION',
      comment: `Go binary, package ${b.go.path}, built with ${b.go.goVersion}`,
      annotations: b.go.settings.map((s) => ({
        annotationType: 'OTHER',
        annotator: `Tool: ${TOOL}`,
        annotationDate: created,
        comment: `go build setting ${s.key}=${s.value}`,
      })),
    });
    relationships.push({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: binId });
    const mainId = modulePackage(main, 'APPLICATION');
    relationships.push({ spdxElementId: binId, relationshipType: 'GENERATED_FROM', relatedSpdxElement: mainId });
    const stdId = modulePackage({ path: 'stdlib', version: b.go.goVersion.replace(/^go/, 'v') }, 'LIBRARY');
    relationships.push({ spdxElementId: binId, relationshipType: 'DEPENDS_ON', relatedSpdxElement: stdId });
    for (const d of b.go.deps) {
      relationships.push({ spdxElementId: binId, relationshipType: 'DEPENDS_ON', relatedSpdxElement: modulePackage(d, 'LIBRARY') });
    }
  }
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${input.name} ${plat}`,
    documentNamespace: `https://oci-build-action.invalid/spdx/sha256/${hex}`,
    creationInfo: {
      created,
      creators: [`Tool: ${TOOL}`],
      comment: 'created is SOURCE_DATE_EPOCH, or 1970-01-01 without it, so that the SBOM is reproducible',
    },
    documentDescribes: [imageId],
    packages,
    relationships,
  };
}
