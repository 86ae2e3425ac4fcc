// Docker image tags ("name[:tag][@digest]") for `docker load`. The grammar is checked by
// src/registry/reference.ts; this adds what Docker does on top of it: the "latest" default tag,
// refusing image IDs, and the familiar / fully qualified names Docker prints.

import {
  DOCKER_DOMAIN,
  InvalidReferenceError as GrammarError,
  parseReferenceParts,
  refuseCredentials,
  type ReferenceParts,
} from '../registry/reference.ts';

export const DEFAULT_DOMAIN = DOCKER_DOMAIN;
export const DEFAULT_TAG = 'latest';

const IMAGE_ID_RE = /^[a-f0-9]{64}$/;

export interface ImageReference {
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

/** A refused image tag: `invalid image tag "X": reason`, on one line. */
export class InvalidReferenceError extends GrammarError {
  readonly reference: string;
  constructor(reference: string, reason: string) {
    super(reference, reason);
    this.message = `invalid image tag ${JSON.stringify(reference)}: ${reason}`;
    this.reference = reference;
  }
}

function parts(ref: string): ReferenceParts {
  if (typeof ref === 'string' && IMAGE_ID_RE.test(ref)) {
    throw new InvalidReferenceError(ref, 'cannot be a 64-character hexadecimal string (that is an image ID, not a name)');
  }
  try {
    return parseReferenceParts(ref);
  } catch (err) {
    // err.input, not ref: a reference with credentials in it is shown redacted.
    if (err instanceof GrammarError) throw new InvalidReferenceError(err.input, err.reason);
    throw err;
  }
}

/**
 * Parses a reference the way Docker's ParseNormalizedNamed does. A reference with neither
 * tag nor digest gets the tag "latest". Throws InvalidReferenceError (one line, naming the
 * reference) when it does not follow the grammar.
 */
export function parseImageReference(ref: string): ImageReference {
  const { domain, path, tag: written, digest } = parts(ref);
  const tag = written ?? (digest === undefined ? DEFAULT_TAG : undefined);
  // Docker's FamiliarName: Docker Hub drops its domain, and "library/" before a single component.
  let familiarName = `${domain}/${path}`;
  if (domain === DEFAULT_DOMAIN) familiarName = /^library\/[^/]+$/.test(path) ? path.slice('library/'.length) : path;
  const suffix = `${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
  const result: ImageReference = { domain, path, familiar: familiarName + suffix, full: `${domain}/${path}${suffix}` };
  if (tag !== undefined) result.tag = tag;
  if (digest !== undefined) result.digest = digest;
  return result;
}

/**
 * Validates a tag for `docker load` (repository plus tag, no digest) and returns it parsed.
 * "hello_world" becomes "hello_world:latest".
 */
export function parseRepoTag(ref: string): ImageReference & { tag: string } {
  if (typeof ref === 'string') {
    try {
      refuseCredentials(ref);
    } catch (err) {
      if (err instanceof GrammarError) throw new InvalidReferenceError(err.input, err.reason);
      throw err;
    }
  }
  if (typeof ref === 'string' && ref.includes('@')) {
    throw new InvalidReferenceError(ref, 'a loaded image can be tagged, not pinned by digest: drop the "@..." part');
  }
  return parseImageReference(ref) as ImageReference & { tag: string };
}
