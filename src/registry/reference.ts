// Image references, parsed after the grammar of github.com/distribution/reference (regexp.go).
// This is the one parser of it and the one home of references: the registry client's view
// (`parseReference`: registry, API host, credentials key) and Docker's view for `docker load`
// (`parseImageReference` / `parseRepoTag`: the "latest" default, familiar and full names).
//
//   reference      := name [ ":" tag ] [ "@" digest ]
//   name           := [ domain "/" ] path-component ( "/" path-component )*     at most 255 chars
//   domain         := host [ ":" port ]      host: DNS name, IPv4 or "[" IPv6 "]" (hex and ":")
//   path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
//   tag            := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
//   digest         := algorithm ":" hex      (only sha256:<64 lowercase hex> and sha512:<128 lowercase hex>)
//
// As in Docker's splitDockerDomain, the first segment is a registry only when it contains "." or
// ":" or is "localhost"; otherwise the name is on Docker Hub, whose single-segment names live
// under "library/". One deliberate difference: Docker also takes an uppercase first segment
// ("Foo/bar") for a host; here that is refused as not lowercase, which is nearly always meant.

import type { Digest } from '../oci/types.ts';
import { isDigest } from '../oci/digest.ts';

export const DOCKER_HUB_REGISTRY = 'index.docker.io';
/** Where Docker Hub's registry API is served. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** The key Docker Hub credentials are stored under in ~/.docker/config.json. */
export const DOCKER_HUB_CREDENTIALS_KEY = 'https://index.docker.io/v1/';

const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::([0-9]+))?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const PATH_COMPONENT_RULE = 'path components are lowercase letters and digits, separated by ".", "_", "__" or dashes';
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const TAG_RULE = 'must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/** Longest name (`domain/path` as Docker normalises it, e.g. `docker.io/library/x`) the grammar allows. */
const NAME_MAX = 255;
/** The domain Docker names Docker Hub by (`docker.io/library/ubuntu`). */
export const DOCKER_DOMAIN = 'docker.io';
/** The legacy Docker Hub domain Docker folds into `docker.io`. */
const LEGACY_DOCKER_DOMAIN = 'index.docker.io';

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

/**
 * A reference checked against the grammar and split the way Docker's `ParseNormalizedNamed` does,
 * before any registry-specific folding: what `docker tag` / `docker load` name an image by.
 */
export interface ReferenceParts {
  /** `host[:port]` as written; `docker.io` when the name has none or names `index.docker.io`. */
  domain: string;
  /** Repository path; single-component Docker Hub names get `library/`. */
  path: string;
  tag?: string;
  digest?: Digest;
}

/** A refused reference: `invalid reference "X": reason` (or `invalid image tag ...`), on one line. */
export class InvalidReferenceError extends Error {
  /** The reference as shown in the message (credentials in it redacted). */
  readonly input: string;
  /** Why the reference was refused, without the reference itself. */
  readonly reason: string;
  /** `what` names the reference in the message: "reference", or "image tag" for `docker load` tags. */
  constructor(input: string, reason: string, what = 'reference') {
    super(`invalid ${what} ${JSON.stringify(input)}: ${reason}`);
    this.name = 'InvalidReferenceError';
    this.input = input;
    this.reason = reason;
  }
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

/** Whether a name's first segment is a registry host (as in distribution's splitDockerDomain). */
function looksLikeHost(segment: string): boolean {
  return segment.includes('.') || segment.includes(':') || segment === 'localhost';
}

/** What is wrong with a repository path, or undefined when it follows the grammar. */
function pathProblem(path: string): string | undefined {
  if (path.length === 0) return 'missing repository name';
  if (path.toLowerCase() !== path) return 'repository name must be lowercase';
  for (const component of path.split('/')) {
    if (component.length === 0) return 'repository name has an empty path component';
    if (!PATH_COMPONENT_RE.test(component)) return `invalid repository path component "${component}" (${PATH_COMPONENT_RULE})`;
  }
  return undefined;
}

/**
 * `user:password@host/...` (or `https://user:password@...`, `token@host/...`): the grammar has no
 * `@` but the one before a digest, so another `@` after a `user:password` or before a path is
 * userinfo. Refused without echoing it: the error shows
 * `***@` and what follows the last `@` (host and path), never what precedes it.
 */
export function refuseCredentials(input: string): void {
  const trailingDigest = /@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/.exec(input);
  const rest = trailingDigest ? input.slice(0, trailingDigest.index) : input;
  const at = rest.lastIndexOf('@');
  if (at === -1) return;
  const before = rest.slice(0, at);
  const after = rest.slice(at + 1);
  const beforeSlash = !before.includes('/');
  // `name@notadigest` and `repo@sha256:../x` stay bad digests. Userinfo: an `@` before the
  // first `/` after `user:password` or before a path, or any `@` followed by a host and path.
  const userinfo =
    (beforeSlash && (before.includes(':') || after.includes('/'))) || (after.includes('/') && !/^(sha\d*|md5|blake\d*)\b/i.test(after));
  if (!userinfo) return;
  const shown = `***@${input.slice(at + 1)}`;
  throw new InvalidReferenceError(
    shown,
    'credentials in a reference are not allowed (remove "user:password@"; give credentials by docker login or a Docker config file)',
  );
}

/**
 * Checks a reference against the grammar and splits it as Docker does (see `ReferenceParts`).
 * Only sha256 digests are accepted. Throws an `InvalidReferenceError` whose message names the
 * input and the reason, on one line.
 */
export function parseReferenceParts(input: string): ReferenceParts {
  const fail = (reason: string): never => {
    throw new InvalidReferenceError(input, reason);
  };
  if (typeof input !== 'string') fail('reference must be a string');
  refuseCredentials(input);
  if (input.length === 0) fail('empty reference');
  // Control characters (NUL, escapes) never reach a message or a URL.
  if (/[\u0000-\u001f\u007f]/.test(input)) fail('must not contain control characters');
  if (/\s/.test(input)) fail('must not contain whitespace');

  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    const d = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (d.length === 0) fail('missing digest after "@"');
    if (!DIGEST_RE.test(d)) fail(`invalid digest "${d}"`);
    const algorithm = d.slice(0, d.indexOf(':'));
    if (algorithm !== 'sha256' && algorithm !== 'sha512') fail(`unsupported digest algorithm "${algorithm}" (only sha256 and sha512)`);
    if (!isDigest(d)) fail(`invalid digest "${d}": expected ${algorithm}:<${algorithm === 'sha256' ? 64 : 128} lowercase hex>`);
    digest = d as Digest;
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1 && colon > rest.lastIndexOf('/') && !rest.slice(colon).includes(']')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (tag.length === 0) fail('missing tag after ":"');
    if (!TAG_RE.test(tag)) fail(`invalid tag "${tag}": ${TAG_RULE}`);
  }
  if (rest.length === 0) fail('missing repository name');

  let domain = DOCKER_DOMAIN;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash !== -1 && looksLikeHost(rest.slice(0, slash))) {
    const host = rest.slice(0, slash);
    path = rest.slice(slash + 1);
    const m = HOST_RE.exec(host);
    if (!m) fail(`invalid registry host "${host}"`);
    const port = m?.[1];
    if (port !== undefined && Number(port) > 65535) fail(`invalid port in registry host "${host}"`);
    if (host !== LEGACY_DOCKER_DOMAIN) domain = host;
  }
  const problem = pathProblem(path);
  if (problem !== undefined) fail(problem);
  if (domain === DOCKER_DOMAIN && !path.includes('/')) path = `library/${path}`;
  if (domain.length + 1 + path.length > NAME_MAX) fail(`repository name must not be longer than ${NAME_MAX} characters`);

  const parts: ReferenceParts = { domain, path };
  if (tag !== undefined) parts.tag = tag;
  if (digest !== undefined) parts.digest = digest;
  return parts;
}

/**
 * Parses an image reference for the registry client: the registry is lowercased and Docker Hub's
 * aliases fold into `index.docker.io`, whose single-component names live under `library/`.
 * Throws an `InvalidReferenceError` whose message names the input and the reason, on one line.
 */
export function parseReference(input: string): ImageReference {
  const { domain, path, tag, digest } = parseReferenceParts(input);
  const registry = normalizeRegistry(domain);
  const repository = registry === DOCKER_HUB_REGISTRY && !path.includes('/') ? `library/${path}` : path;
  const ref: ImageReference = {
    registry,
    apiHost: registryApiHost(registry),
    repository,
    credentialsKey: registry === DOCKER_HUB_REGISTRY ? DOCKER_HUB_CREDENTIALS_KEY : registry,
  };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** Checks a tag against the reference grammar; throws naming the tag. */
export function validateTag(tag: string): string {
  if (!TAG_RE.test(tag)) throw new Error(`invalid tag "${tag}": ${TAG_RULE}`);
  return tag;
}

// ---------------------------------------------------------------------------------------------
// Docker's names, for `docker load`: what Docker adds on top of the grammar is the "latest"
// default tag, refusing image IDs, and the familiar / fully qualified names Docker prints.
// ---------------------------------------------------------------------------------------------

const DEFAULT_TAG = 'latest';
const IMAGE_ID_RE = /^[a-f0-9]{64}$/;

/** A reference as Docker names images (ParseNormalizedNamed): what `docker tag` / `docker load` print. */
export interface DockerImageName {
  /** Registry host as written ("docker.io" for Docker Hub), e.g. "localhost:5000", "ghcr.io". */
  domain: string;
  /** Repository path within the registry, e.g. "library/hello_world", "acme/app". */
  path: string;
  /** Tag, "latest" when the input had neither tag nor digest. */
  tag?: string;
  digest?: string;
  /** Short form as docker prints it: "hello_world:latest", "acme/app:1", "ghcr.io/a/b:2". */
  familiar: string;
  /** Fully qualified form: "docker.io/library/hello_world:latest". */
  full: string;
}

/** The same refusal, worded for an image tag. */
function asImageTagError(err: unknown): unknown {
  return err instanceof InvalidReferenceError ? new InvalidReferenceError(err.input, err.reason, 'image tag') : err;
}

/**
 * Parses a reference the way Docker's ParseNormalizedNamed does. A reference with neither
 * tag nor digest gets the tag "latest". Throws InvalidReferenceError (`invalid image tag "X":
 * reason`, one line) when it does not follow the grammar.
 */
export function parseImageReference(ref: string): DockerImageName {
  if (typeof ref === 'string' && IMAGE_ID_RE.test(ref)) {
    throw new InvalidReferenceError(ref, 'cannot be a 64-character hexadecimal string (that is an image ID, not a name)', 'image tag');
  }
  let parts: ReferenceParts;
  try {
    parts = parseReferenceParts(ref);
  } catch (err) {
    throw asImageTagError(err);
  }
  const { domain, path, tag: written, digest } = parts;
  const tag = written ?? (digest === undefined ? DEFAULT_TAG : undefined);
  // Docker's FamiliarName: Docker Hub drops its domain, and "library/" before a single component.
  let familiarName = `${domain}/${path}`;
  if (domain === DOCKER_DOMAIN) familiarName = /^library\/[^/]+$/.test(path) ? path.slice('library/'.length) : path;
  const suffix = `${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
  const result: DockerImageName = { domain, path, familiar: familiarName + suffix, full: `${domain}/${path}${suffix}` };
  if (tag !== undefined) result.tag = tag;
  if (digest !== undefined) result.digest = digest;
  return result;
}

/**
 * Validates a tag for `docker load` (repository plus tag, no digest) and returns it parsed.
 * "hello_world" becomes "hello_world:latest".
 */
export function parseRepoTag(ref: string): DockerImageName & { tag: string } {
  if (typeof ref === 'string') {
    try {
      refuseCredentials(ref);
    } catch (err) {
      throw asImageTagError(err);
    }
    if (ref.includes('@')) {
      throw new InvalidReferenceError(ref, 'a loaded image can be tagged, not pinned by digest: drop the "@..." part', 'image tag');
    }
  }
  return parseImageReference(ref) as DockerImageName & { tag: string };
}
