// Media types of the two families an image can belong to. rules_oci keeps the base image's
// family; a scratch image is OCI.

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';

export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar';
export const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

export type MediaTypeFamily = 'oci' | 'docker';
export type LayerCompression = 'none' | 'gzip' | 'zstd';

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST;
}

export function isManifestMediaType(mediaType: string): boolean {
  return mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST;
}

export function familyOf(mediaType: string): MediaTypeFamily {
  return mediaType.startsWith('application/vnd.docker.') ? 'docker' : 'oci';
}

export function manifestMediaType(family: MediaTypeFamily): string {
  return family === 'docker' ? DOCKER_MANIFEST : OCI_MANIFEST;
}

export function indexMediaType(family: MediaTypeFamily): string {
  return family === 'docker' ? DOCKER_MANIFEST_LIST : OCI_INDEX;
}

export function configMediaType(family: MediaTypeFamily): string {
  return family === 'docker' ? DOCKER_CONFIG : OCI_CONFIG;
}

export function layerMediaType(family: MediaTypeFamily, compression: LayerCompression): string {
  if (family === 'docker') {
    if (compression === 'zstd') return OCI_LAYER_ZSTD; // Docker has no zstd type; containerd accepts OCI's
    return compression === 'gzip' ? DOCKER_LAYER_GZIP : DOCKER_LAYER;
  }
  if (compression === 'gzip') return OCI_LAYER_GZIP;
  if (compression === 'zstd') return OCI_LAYER_ZSTD;
  return OCI_LAYER;
}

/** Compression from a blob's first bytes, as rules_oci decides a layer's media type. */
export function sniffCompression(head: Uint8Array): LayerCompression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}
