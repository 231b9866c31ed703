/**
 * Docker's image reference grammar and normalisation, as the contract asks
 * (`nginx` -> `docker.io/library/nginx:latest`). Mirrors the rules of the
 * distribution project's `reference` package so that what we scan is what
 * `docker pull` would pull.
 */

import { DigestError, validateDigest } from './digest';

/** Docker Hub as references name it. */
export const DOCKER_HUB = 'docker.io';
/** Where Docker Hub's registry API answers: references say docker.io, the API lives elsewhere. */
export const DOCKER_HUB_API = 'registry-1.docker.io';
const LEGACY_DOCKER_HUB = 'index.docker.io';
/** Every name that config.json files and old clients use for Docker Hub. */
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set([DOCKER_HUB, LEGACY_DOCKER_HUB, DOCKER_HUB_API, 'registry.hub.docker.com']);
const NAME_TOTAL_LENGTH_MAX = 255;

/** Reduces a registry name or URL (`https://index.docker.io/v1/`, `Registry.Example.com:5000`) to its host[:port], Docker Hub's aliases to `docker.io`. */
export function canonicalRegistry(nameOrUrl: string): string {
  const host = nameOrUrl
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}

/** The host the registry API of a reference's registry answers on. */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

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

export class InvalidReferenceError extends Error {}

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN_RE = new RegExp(`^${HOST}(?::[0-9]+)?$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;

/** `https://`, `docker://`, `oci://`: no reference holds `://`, so a line that starts so was pasted from a browser or a tool. */
const URL_SCHEME_RE = /^([a-z][a-z0-9+.-]*):\/\//i;

/** The scheme of a text written as a URL (`https`, `docker`); undefined for anything else. */
export function urlSchemeOf(text: string): string | undefined {
  return URL_SCHEME_RE.exec(text)?.[1];
}

/** True for `host[:port]` as a reference names a registry (a domain, or a bracketed IPv6 address). */
export function isRegistryHost(text: string): boolean {
  return DOMAIN_RE.test(text);
}

/** True for a tag as the grammar allows it (`1.25-alpine`): no `/`, so a tag never leaves its repository's path. */
export function isTag(text: string): boolean {
  return TAG_RE.test(text);
}

/** True for a repository path (`team/app`) that the grammar allows in that registry, its length included. */
export function isRepositoryPath(registry: string, path: string): boolean {
  return PATH_RE.test(path) && registry.length + 1 + path.length <= NAME_TOTAL_LENGTH_MAX;
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

/** Parses and normalises one reference; throws InvalidReferenceError with a message a person can act on. */
export function parseReference(text: string): ImageReference {
  if (text.length === 0) throw new InvalidReferenceError('empty reference');
  if (/\s/.test(text)) throw new InvalidReferenceError('a reference cannot contain whitespace');
  if (text.length > 1024) throw new InvalidReferenceError(`reference is ${text.length} characters long; that is not an image reference`);
  const scheme = urlSchemeOf(text);
  if (scheme !== undefined) {
    throw new InvalidReferenceError(
      `not an image reference (a URL, ${scheme}://…); name an image as [registry/]repository[:tag] without a scheme, e.g. ${text.slice(scheme.length + 3) || 'nginx:1.25'}`,
    );
  }

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    try {
      validateDigest(digest);
    } catch (err) {
      if (err instanceof DigestError) throw new InvalidReferenceError(err.message, { cause: err });
      throw err;
    }
  }

  // A tag is the text after the last ':' that is not followed by '/', so a registry port is not a tag.
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw new InvalidReferenceError(`invalid tag "${tag}"`);
  }

  if (rest.length === 0) throw new InvalidReferenceError('missing repository name');
  if (/^[a-f0-9]{64}$/.test(rest)) {
    throw new InvalidReferenceError('a bare 64-character hex string is an image ID, not a repository name');
  }
  const { registry, path } = splitDomain(rest);
  if (!DOMAIN_RE.test(registry)) throw new InvalidReferenceError(`invalid registry host "${registry}"`);
  if (path.toLowerCase() !== path) {
    throw new InvalidReferenceError(`repository name "${path}" must be lowercase`);
  }
  if (!PATH_RE.test(path)) throw new InvalidReferenceError(`invalid repository name "${path}"`);
  const fullName = `${registry}/${path}`;
  if (fullName.length > NAME_TOTAL_LENGTH_MAX) {
    throw new InvalidReferenceError(`repository name is longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
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
