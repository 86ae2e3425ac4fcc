import type { Platform } from '../oci/types.ts';

/**
 * A configuration is what Bazel analyses a target under. Today that is the target platform;
 * `undefined` platform means "the host", as Bazel's default target platform is.
 */
export interface Configuration {
  readonly platform?: Platform;
}

export const HOST_CONFIG: Configuration = Object.freeze({});

export function configKey(cfg: Configuration): string {
  const p = cfg.platform;
  if (!p) return 'host';
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== '').join('_');
}

export function withPlatform(platform: Platform): Configuration {
  return Object.freeze({ platform });
}
