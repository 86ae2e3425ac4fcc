// Image references, parsed after docker/distribution's reference grammar:
//
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [ domain "/" ] path-component ( "/" path-component )*
//   domain    := host [ ":" port ]        host: DNS name, "localhost", IPv4 or "[" IPv6 "]"
//
// The first path segment is a registry only when it looks like a host: it contains "." or
// ":", is "localhost", or is a bracketed IPv6 address. Otherwise the name is on Docker Hub,
// whose single-segment names live under "library/".

import type { Digest } from '../oci/types.ts';

export const DOCKER_HUB_REGISTRY = 'index.docker.io';
/** Where Docker Hub's registry API is served. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** The key Docker Hub credentials are stored under in ~/.docker/config.json. */
export const DOCKER_HUB_CREDENTIALS_KEY = 'https://index.docker.io/v1/';

const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:.]+\\])(?::([0-9]+))?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256_RE = /^sha256:[a-f0-9]{64}$/;
const NAME_MAX = 255;

export interface ImageReference {
  /** Registry as named in references: `index.docker.io` for Docker Hub, else `host[:port]`. */
  registry: string;
  /** Host (and port) the registry API is served from: `registry-1.docker.io` for Docker Hub. */
  apiHost: string;
  /** Repository path inside the registry, e.g. `library/ubuntu`. */
  repository: string;
  tag?: string;
  digest?: Digest;
  /** Key to look credentials up by (`https://index.docker.io/v1/` for Docker Hub). */
  credentialsKey: string;
}

export class InvalidReferenceError extends Error {
  readonly input: string;
  constructor(input: string, reason: string) {
    super(`invalid reference ${JSON.stringify(input)}: ${reason}`);
    this.name = 'InvalidReferenceError';
    this.input = input;
  }
}

export function isDockerHub(registry: string): boolean {
  return HUB_ALIASES.has(registry.toLowerCase());
}

/** Splits `host[:port]`, accepting bracketed IPv6 hosts. */
export function splitHostPort(hostPort: string): { host: string; port?: string } {
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    const host = hostPort.slice(1, end);
    const rest = hostPort.slice(end + 1);
    return rest.startsWith(':') ? { host, port: rest.slice(1) } : { host };
  }
  const colon = hostPort.lastIndexOf(':');
  // No port, or a bare IPv6 address (several colons, no brackets).
  if (colon === -1 || hostPort.indexOf(':') !== colon) return { host: hostPort };
  return { host: hostPort.slice(0, colon), port: hostPort.slice(colon + 1) };
}

/** True for `localhost`, `127.0.0.0/8` and `::1`, with or without a port. */
export function isLoopbackHost(hostPort: string): boolean {
  const { host } = splitHostPort(hostPort.toLowerCase());
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

/** Canonical registry name: lowercased, Docker Hub aliases folded into `index.docker.io`. */
export function normalizeRegistry(registry: string): string {
  let r = registry.trim().toLowerCase();
  r = r.replace(/^[a-z]+:\/\//, '');
  const slash = r.indexOf('/');
  if (slash !== -1) r = r.slice(0, slash);
  return HUB_ALIASES.has(r) ? DOCKER_HUB_REGISTRY : r;
}

/** Registry API host for a registry name (Docker Hub's API lives on registry-1.docker.io). */
export function registryApiHost(registry: string): string {
  const r = normalizeRegistry(registry);
  return r === DOCKER_HUB_REGISTRY ? DOCKER_HUB_API_HOST : r;
}

function looksLikeHost(segment: string): boolean {
  return segment.includes('.') || segment.includes(':') || segment === 'localhost' || segment.startsWith('[');
}

/**
 * Parses an image reference. Throws an `InvalidReferenceError` whose message names the input and
 * the reason, on one line.
 */
export function parseReference(input: string): ImageReference {
  const fail = (reason: string): never => {
    throw new InvalidReferenceError(input, reason);
  };
  if (input.length === 0) fail('empty reference');
  if (/\s/.test(input)) fail('must not contain whitespace');

  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    const d = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (d.length === 0) fail('missing digest after "@"');
    if (!DIGEST_RE.test(d)) fail(`invalid digest "${d}"`);
    if (!d.startsWith('sha256:')) fail(`unsupported digest algorithm "${d.slice(0, d.indexOf(':'))}" (only sha256)`);
    if (!SHA256_RE.test(d)) fail(`invalid digest "${d}": expected sha256:<64 lowercase hex>`);
    digest = d as Digest;
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1 && colon > rest.lastIndexOf('/') && !rest.slice(colon).includes(']')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (tag.length === 0) fail('missing tag after ":"');
    if (!TAG_RE.test(tag)) fail(`invalid tag "${tag}": must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  }
  if (rest.length === 0) fail('missing repository name');

  let registry: string;
  let path: string;
  const slash = rest.indexOf('/');
  if (slash !== -1 && looksLikeHost(rest.slice(0, slash))) {
    const host = rest.slice(0, slash);
    path = rest.slice(slash + 1);
    const m = HOST_RE.exec(host);
    if (!m) fail(`invalid registry host "${host}"`);
    const port = m?.[1];
    if (port !== undefined && (port.length === 0 || Number(port) > 65535)) fail(`invalid port in registry host "${host}"`);
    registry = normalizeRegistry(host);
  } else {
    registry = DOCKER_HUB_REGISTRY;
    path = rest;
  }
  if (path.length === 0) fail('missing repository name');
  if (path.toLowerCase() !== path) fail('repository name must be lowercase');
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT_RE.test(component)) {
      fail(
        component.length === 0
          ? 'repository name has an empty path component'
          : `invalid repository path component "${component}"`,
      );
    }
  }
  if (registry === DOCKER_HUB_REGISTRY && !path.includes('/')) path = `library/${path}`;
  const fullName = `${registry}/${path}`;
  if (fullName.length > NAME_MAX) fail(`repository name must not be longer than ${NAME_MAX} characters`);

  const ref: ImageReference = {
    registry,
    apiHost: registryApiHost(registry),
    repository: path,
    credentialsKey: registry === DOCKER_HUB_REGISTRY ? DOCKER_HUB_CREDENTIALS_KEY : registry,
  };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** What to ask the registry for: the digest when there is one, else the tag, else `latest`. */
export function referenceTarget(ref: ImageReference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** `registry/repository[:tag][@digest]`, fully qualified. */
export function formatReference(ref: Pick<ImageReference, 'registry' | 'repository' | 'tag' | 'digest'>): string {
  let s = `${ref.registry}/${ref.repository}`;
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** Checks a tag against the reference grammar; throws naming the tag. */
export function validateTag(tag: string): string {
  if (!TAG_RE.test(tag)) throw new Error(`invalid tag "${tag}": must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  return tag;
}

/** Checks a repository path against the reference grammar; throws naming it. */
export function validateRepository(repository: string): string {
  if (repository.toLowerCase() !== repository) {
    throw new Error(`invalid repository "${repository}": repository name must be lowercase`);
  }
  if (!repository.split('/').every((c) => PATH_COMPONENT_RE.test(c))) {
    throw new Error(`invalid repository "${repository}"`);
  }
  return repository;
}
