/**
 * Docker's image reference grammar and normalisation, as the contract asks
 * (`nginx` -> `docker.io/library/nginx:latest`). Mirrors the rules of the
 * distribution project's `reference` package so that what we scan is what
 * `docker pull` would pull.
 */

export const DOCKER_HUB = 'docker.io';
const LEGACY_DOCKER_HUB = 'index.docker.io';
const NAME_TOTAL_LENGTH_MAX = 255;

/** Digest algorithms we can verify, with the length of their hex encoding. */
export const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };

export interface ImageReference {
  /** Registry host as written after normalisation, with port (`docker.io`, `localhost:5000`). */
  registry: string;
  /** Repository path inside the registry (`library/nginx`). */
  repository: string;
  /** Tag, `latest` when neither tag nor digest was given; absent when only a digest was. */
  tag?: string;
  /** `algorithm:hex` when pinned; it decides what is resolved, as in Docker. */
  digest?: string;
}

export class ReferenceError extends Error {}

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN_RE = new RegExp(`^${HOST}(?::[0-9]+)?$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

/** Checks an `algorithm:hex` digest the way the OCI image spec defines it for the algorithms we support. */
export function validateDigest(digest: string): void {
  if (!DIGEST_RE.test(digest)) throw new ReferenceError(`invalid digest "${digest}"`);
  const [algorithm, hex] = digest.split(':') as [string, string];
  const expected = DIGEST_HEX_LENGTH[algorithm];
  if (expected === undefined) {
    throw new ReferenceError(`unsupported digest algorithm "${algorithm}" (expected sha256 or sha512)`);
  }
  if (hex.length !== expected) {
    throw new ReferenceError(`${algorithm} digest must have ${expected} hex characters, got ${hex.length}`);
  }
  if (!/^[a-f0-9]+$/.test(hex)) throw new ReferenceError(`digest "${digest}" must be lowercase hex`);
}

/** Splits off the registry the way Docker does: the first component is a host only if it looks like one. */
function splitDomain(name: string): { registry: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const looksLikeHost = slash !== -1 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first);
  let registry = looksLikeHost ? first : DOCKER_HUB;
  let path = looksLikeHost ? name.slice(slash + 1) : name;
  if (registry === LEGACY_DOCKER_HUB) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  return { registry, path };
}

/** Parses and normalises one reference; throws ReferenceError with a message a person can act on. */
export function parseReference(text: string): ImageReference {
  if (text.length === 0) throw new ReferenceError('empty reference');
  if (/\s/.test(text)) throw new ReferenceError('a reference cannot contain whitespace');
  if (text.length > 1024) throw new ReferenceError(`reference is ${text.length} characters long; that is not an image reference`);

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    validateDigest(digest);
  }

  // A tag is the text after the last ':' that is not followed by '/', so a registry port is not a tag.
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw new ReferenceError(`invalid tag "${tag}"`);
  }

  if (rest.length === 0) throw new ReferenceError('missing repository name');
  if (/^[a-f0-9]{64}$/.test(rest)) {
    throw new ReferenceError('a bare 64-character hex string is an image ID, not a repository name');
  }
  const { registry, path } = splitDomain(rest);
  if (!DOMAIN_RE.test(registry)) throw new ReferenceError(`invalid registry host "${registry}"`);
  if (path.toLowerCase() !== path) {
    throw new ReferenceError(`repository name "${path}" must be lowercase`);
  }
  if (!PATH_RE.test(path)) throw new ReferenceError(`invalid repository name "${path}"`);
  const fullName = `${registry}/${path}`;
  if (fullName.length > NAME_TOTAL_LENGTH_MAX) {
    throw new ReferenceError(`repository name is longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { registry, repository: path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The canonical text of a reference: `docker.io/library/nginx:1.25@sha256:…`. */
export function formatReference(ref: ImageReference): string {
  let text = `${ref.registry}/${ref.repository}`;
  if (ref.tag !== undefined) text += `:${ref.tag}`;
  if (ref.digest !== undefined) text += `@${ref.digest}`;
  return text;
}
