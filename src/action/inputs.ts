import * as core from '@actions/core';
import { parseAnnotations, parseBool, parseByteCount, parseCompilationMode, parseCompression, parseCsvList, parseKeyValues, parseList, parsePlatforms } from '../util/parse.ts';
import type { LayerCompressionSetting } from '../oci/layer.ts';
import type { CompilationMode } from '../go/build.ts';
import type { Platform } from '../oci/types.ts';
import type { ExplicitCredentials } from '../registry/credentials.ts';

/** The action's inputs, typed and parsed in one place. */
export interface Inputs {
  targets: string[];
  workingDirectory: string;
  outputDir: string;
  load: boolean;
  push: boolean;
  repository: string;
  tags: string[];
  platforms: Platform[];
  credentials: ExplicitCredentials[];
  insecureRegistries: string[];
  chunkSize?: number;
  /** Unset (empty input): the .bazelrc decides, as bazel does. */
  stamp?: boolean;
  /** .bazelrc configs (`build:NAME` lines) to apply, as bazel --config=NAME. */
  configs: string[];
  labels: Record<string, string>;
  annotations: { manifest: Record<string, string>; index: Record<string, string> };
  githubToken: string;
  pushByDigest: boolean;
  cache: boolean;
  goVersion: string;
  goVersionFile: string;
  goDownloadBaseUrl: string;
  prComment: boolean;
  /** Cleanup mode: full `registry/repo:tag` references to delete (no build). */
  deleteTags: string[];
  /** Merge mode: `registry/repo@sha256:…` images to combine into one index (no build). */
  merge: string[];
  sbom: boolean;
  verifyReproducible: boolean;
  layerCompression: LayerCompressionSetting;
  /** Unset (empty input): the .bazelrc's --compilation_mode, else fastbuild. */
  compilationMode?: CompilationMode;
}

function secret(value: string): string {
  if (value !== '') core.setSecret(value);
  return value;
}

export function getInputs(): Inputs {
  const targets = parseList(core.getInput('targets'));
  const merge = parseList(core.getInput('merge'));
  const deleting = parseList(core.getInput('delete-tags')).length > 0;
  if (targets.length === 0 && merge.length === 0 && !deleting) {
    throw new Error('input "targets" is required: name at least one BUILD target, e.g. //apps/app:image_load');
  }
  if (targets.length > 0 && merge.length > 0) throw new Error('inputs "targets" and "merge" exclude each other: merge combines images pushed earlier');
  const username = core.getInput('username');
  const password = core.getInput('password');
  if (password !== '') core.setSecret(password);
  const registry = core.getInput('registry');
  const credentials: ExplicitCredentials[] = [];
  if (username !== '' || password !== '') {
    if (username === '' || password === '') throw new Error('inputs "username" and "password" go together');
    if (registry === '') throw new Error('input "registry" is required with "username" and "password" (e.g. ghcr.io)');
    credentials.push({ registry, username, password });
  }
  return {
    targets,
    workingDirectory: core.getInput('working-directory') || '.',
    outputDir: core.getInput('output-dir'),
    load: parseBool('load', core.getInput('load'), true),
    push: parseBool('push', core.getInput('push'), true),
    repository: core.getInput('repository'),
    tags: parseList(core.getInput('tags')),
    platforms: parsePlatforms(core.getInput('platforms')),
    credentials,
    insecureRegistries: parseCsvList(core.getInput('insecure-registries')),
    chunkSize: parseByteCount('upload-chunk-size', core.getInput('upload-chunk-size')),
    stamp: core.getInput('stamp').trim() === '' ? undefined : parseBool('stamp', core.getInput('stamp'), false),
    configs: parseCsvList(core.getInput('config')),
    labels: parseKeyValues('labels', core.getInput('labels')),
    annotations: parseAnnotations(core.getInput('annotations')),
    githubToken: secret(core.getInput('github-token')),
    pushByDigest: parseBool('push-by-digest', core.getInput('push-by-digest'), false),
    cache: parseBool('cache', core.getInput('cache'), true),
    goVersion: core.getInput('go-version'),
    goVersionFile: core.getInput('go-version-file'),
    goDownloadBaseUrl: core.getInput('go-download-base-url'),
    prComment: parseBool('pr-comment', core.getInput('pr-comment'), false),
    deleteTags: parseList(core.getInput('delete-tags')),
    merge,
    sbom: parseBool('sbom', core.getInput('sbom'), true),
    verifyReproducible: parseBool('verify-reproducible', core.getInput('verify-reproducible'), false),
    compilationMode:
      core.getInput('compilation-mode').trim() === '' ? undefined : parseCompilationMode('input "compilation-mode"', core.getInput('compilation-mode')),
    layerCompression: parseCompression('input "compression"', core.getInput('compression'), 'input "compression-level"', core.getInput('compression-level')),
  };
}
