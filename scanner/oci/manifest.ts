/**
 * Typed views of the manifests we read: OCI and Docker v2 image manifests and
 * indexes. Parsing is strict about the fields identity depends on and lenient
 * about everything else.
 */
import { isOciDigest } from './digest';
import { Platform, parsePlatformObject } from './platform';
import { INDEX_MEDIA_TYPES, IMAGE_MEDIA_TYPES, MediaType, SCHEMA1_MEDIA_TYPES } from './media-types';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  kind: 'image';
  mediaType: string;
  config: Descriptor;
  /** OCI 1.1: what kind of artifact this manifest carries, when it says so. */
  artifactType?: string;
  /** OCI 1.1: the digest of the manifest this one refers to (a signature's, an SBOM's image). */
  subject?: string;
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
  artifactType?: string;
  subject?: string;
}

export type Manifest = ImageManifest | ImageIndex;

export class ManifestError extends Error {}

/** Annotation buildx puts on attestation manifests inside an index. */
export const REFERENCE_TYPE_ANNOTATION = 'vnd.docker.reference.type';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(obj: Json, key: string, where: string): string {
  const value = obj[key];
  if (typeof value !== 'string' || value === '') throw new ManifestError(`${where}: missing "${key}"`);
  return value;
}

function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw new ManifestError(`${where}: not an object`);
  const digest = stringField(value, 'digest', where);
  if (!isOciDigest(digest)) throw new ManifestError(`${where}: invalid digest "${digest}"`);
  // Built by assignment rather than spreads: ECR's inventory reads a million of these.
  const descriptor: Descriptor = {
    mediaType: typeof value.mediaType === 'string' ? value.mediaType : '',
    digest,
    size: typeof value.size === 'number' ? value.size : 0,
  };
  const platform = parsePlatformObject(value.platform);
  if (platform) descriptor.platform = platform;
  if (isObject(value.annotations)) {
    descriptor.annotations = Object.fromEntries(
      Object.entries(value.annotations).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  }
  return descriptor;
}

/**
 * Parses manifest bytes. The media type comes from the document when it names
 * one (OCI makes the field optional), else from the HTTP Content-Type, else
 * from its shape.
 */
export function parseManifest(bytes: Uint8Array, contentType?: string): Manifest {
  return manifestFromJson(parseManifestJson(Buffer.from(bytes).toString('utf8')), contentType);
}

/** JSON.parse with the manifest's error; separate so a caller holding text (ECR's BatchGetImage) skips a byte copy. */
export function parseManifestJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ManifestError(`manifest is not valid JSON (${(err as Error).message}); the response may be truncated`);
  }
}

/** Interprets a parsed manifest document, as parseManifest does. */
export function manifestFromJson(doc: unknown, contentType?: string): Manifest {
  if (!isObject(doc)) throw new ManifestError('manifest is not a JSON object');
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const header = contentType === undefined ? undefined : mediaTypeOfHeader(contentType);
  if (doc.schemaVersion === 1 || SCHEMA1_MEDIA_TYPES.includes(declared ?? '') || SCHEMA1_MEDIA_TYPES.includes(header ?? '')) {
    throw new ManifestError(
      'Docker schema 1 manifest: this legacy format has no image ID; re-push the image with a current client to compare it',
    );
  }
  const shapeType = Array.isArray(doc.manifests) ? MediaType.ociIndex : isObject(doc.config) ? MediaType.ociManifest : undefined;
  const mediaType = declared ?? (header && [...INDEX_MEDIA_TYPES, ...IMAGE_MEDIA_TYPES].includes(header) ? header : shapeType);
  if (mediaType === undefined) throw new ManifestError('document is neither an image manifest nor an index');

  let manifest: Manifest;
  if (INDEX_MEDIA_TYPES.includes(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw new ManifestError('index has no "manifests" list');
    manifest = { kind: 'index', mediaType, manifests: doc.manifests.map((m, i) => parseDescriptor(m, `manifests[${i}]`)) };
  } else if (IMAGE_MEDIA_TYPES.includes(mediaType)) {
    manifest = { kind: 'image', mediaType, config: parseDescriptor(doc.config, 'config') };
  } else {
    throw new ManifestError(`unsupported manifest media type "${mediaType}"`);
  }
  addArtifactFields(manifest, doc);
  return manifest;
}

/** The media type of a Content-Type header, lowercase and without parameters; found with indexOf, so a million ECR manifests make no split arrays. */
function mediaTypeOfHeader(contentType: string): string {
  const semicolon = contentType.indexOf(';');
  return (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/** Sets `artifactType` and the `subject` digest of an OCI 1.1 manifest, when present and well-formed. */
function addArtifactFields(manifest: Manifest, doc: Json): void {
  if (typeof doc.artifactType === 'string' && doc.artifactType !== '') manifest.artifactType = doc.artifactType;
  if (isObject(doc.subject) && typeof doc.subject.digest === 'string' && isOciDigest(doc.subject.digest))
    manifest.subject = doc.subject.digest;
}

/** Config media types of container images; any other config (Helm, the OCI empty config, SBOM tools) makes an artifact. */
export const IMAGE_CONFIG_MEDIA_TYPES: readonly string[] = [MediaType.ociConfig, MediaType.dockerConfig];

/**
 * What artifact a manifest is, or undefined for a container image (or a plain index): its
 * `artifactType`, else a config media type that is not an image config. A manifest with a
 * `subject` is a referrer (signature, SBOM, attestation) and never an image, even without a type.
 * A config without a media type is taken for an image, as registries of old did.
 */
export function artifactTypeOf(manifest: Manifest): string | undefined {
  if (manifest.artifactType !== undefined) return manifest.artifactType;
  if (manifest.kind === 'image') {
    const configType = manifest.config.mediaType;
    if (configType !== '' && !IMAGE_CONFIG_MEDIA_TYPES.includes(configType)) return configType;
  }
  if (manifest.subject !== undefined) return manifest.kind === 'image' ? manifest.config.mediaType || 'unknown' : manifest.mediaType;
  return undefined;
}

/** Index entries that are not runnable images: buildx attestations and `unknown/unknown` placeholders. */
export function isAttestation(descriptor: Descriptor): boolean {
  if (descriptor.annotations?.[REFERENCE_TYPE_ANNOTATION] !== undefined) return true;
  return descriptor.platform?.os === 'unknown' && descriptor.platform.architecture === 'unknown';
}

/** Reads os/architecture/variant from an image config blob. */
export function parseConfigPlatform(bytes: Uint8Array): Platform {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new ManifestError('image config is not valid JSON');
  }
  const platform = parsePlatformObject(doc);
  if (!platform || !platform.os || !platform.architecture) throw new ManifestError('image config names no os/architecture');
  return platform;
}
