// Docker image references ("name[:tag][@digest]"), checked against the grammar of
// github.com/distribution/reference and normalised the way `docker tag` / `docker load` do.

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteNameRe = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainRe = new RegExp(`^(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const tagRe = /^[\w][\w.-]{0,127}$/;
const digestRe = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const hex64Re = /^[a-f0-9]{64}$/;
const nameTotalLengthMax = 255;

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';

export interface ImageReference {
  /** Registry host, e.g. "docker.io", "localhost:5000", "ghcr.io". */
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

export class InvalidReferenceError extends Error {
  readonly reference: string;
  constructor(reference: string, reason: string) {
    super(`invalid image tag ${JSON.stringify(reference)}: ${reason}`);
    this.name = 'InvalidReferenceError';
    this.reference = reference;
  }
}

/**
 * Parses a reference the way Docker's ParseNormalizedNamed does. A reference with neither
 * tag nor digest gets the tag "latest". Throws InvalidReferenceError (one line, naming the
 * reference) when it does not follow the grammar.
 */
export function parseImageReference(ref: string): ImageReference {
  const fail = (reason: string): never => {
    throw new InvalidReferenceError(ref, reason);
  };
  if (typeof ref !== 'string' || ref === '') fail('empty reference');
  if (ref !== ref.trim() || /\s/.test(ref)) fail('must not contain whitespace');
  if (hex64Re.test(ref)) fail('cannot be a 64-character hexadecimal string (that is an image ID, not a name)');

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestRe.test(digest)) fail(`invalid digest ${JSON.stringify(digest)}`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagRe.test(tag)) fail(`invalid tag ${JSON.stringify(tag)} (allowed: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})`);
  }
  if (rest === '') fail('missing repository name');
  if (rest.length > nameTotalLengthMax) fail(`repository name is longer than ${nameTotalLengthMax} characters`);

  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first;
      path = rest.slice(slash + 1);
      if (!domainRe.test(domain)) fail(`invalid registry host ${JSON.stringify(domain)}`);
    }
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (path.toLowerCase() !== path) fail('repository name must be lowercase');
  if (!remoteNameRe.test(path)) {
    fail(
      'invalid reference format (name components are lowercase letters and digits separated by ".", "_", "__" or "-", joined by "/")',
    );
  }
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;

  let familiarName: string;
  if (domain === DEFAULT_DOMAIN) {
    familiarName = path.startsWith('library/') && path.split('/').length === 2 ? path.slice('library/'.length) : path;
  } else {
    familiarName = `${domain}/${path}`;
  }
  const suffix = `${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
  const result: ImageReference = {
    domain,
    path,
    familiar: familiarName + suffix,
    full: `${domain}/${path}${suffix}`,
  };
  if (tag !== undefined) result.tag = tag;
  if (digest !== undefined) result.digest = digest;
  return result;
}

/**
 * Validates a tag for `docker load` (repository plus tag, no digest) and returns it parsed.
 * "hello_world" becomes "hello_world:latest".
 */
export function parseRepoTag(ref: string): ImageReference & { tag: string } {
  const parsed = parseImageReference(ref);
  if (parsed.digest !== undefined) {
    throw new InvalidReferenceError(ref, 'a loaded image can be tagged, not pinned by digest: drop the "@..." part');
  }
  return parsed as ImageReference & { tag: string };
}
