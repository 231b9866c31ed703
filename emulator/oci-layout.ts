/**
 * Builds OCI images, image indexes and OCI image layouts on disk for tests,
 * with nothing but node:zlib, node:crypto and node:fs, so fixtures need no
 * Docker daemon, no network and no base image.
 *
 * Everything is deterministic for a given Node build: the tar bytes are ours
 * (fixed mtime, uid, order) and gzip comes from Node's bundled zlib. Another
 * Node version may compress differently, so tests compute digests from what
 * these functions return and never hard-code them.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Descriptor } from '../scanner/oci/manifest';
import type { Platform } from '../scanner/oci/platform';
import { MediaType } from '../scanner/oci/media-types';

/** Layer and attestation media types are not manifest kinds the scanner reads, so they live here. */
export const LayerMediaType = {
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  inToto: 'application/vnd.in-toto+json',
} as const;

/** The annotation an OCI layout's index.json uses to name a tag; skopeo's `oci:DIR:TAG` looks it up. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
/** What buildx puts on the index entry of an attestation manifest. */
export const ATTESTATION_REFERENCE_TYPE = 'vnd.docker.reference.type';
export const ATTESTATION_REFERENCE_DIGEST = 'vnd.docker.reference.digest';

/** Fixed so two builds of the same spec give the same image ID. */
const DEFAULT_CREATED = '2024-01-01T00:00:00Z';

// The scanner's own OCI types, so fixtures and scanner cannot drift apart.
export type { Descriptor } from '../scanner/oci/manifest';
export type { Platform } from '../scanner/oci/platform';

export interface LayerFile {
  /** Relative path inside the image, e.g. `etc/app/version`. */
  path: string;
  content: string | Uint8Array;
  /** Permission bits; 0o644 when absent. */
  mode?: number;
}

/** A content-addressed blob as it goes into `blobs/sha256/`. */
export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  bytes: Buffer;
}

export interface BuiltLayer extends Blob {
  /** sha256 of the uncompressed tar: what the config's rootfs.diff_ids lists. */
  diffId: string;
  tar: Buffer;
}

export interface ImageSpec extends Platform {
  /** The files of the image's single layer. */
  files: readonly LayerFile[];
  labels?: Readonly<Record<string, string>>;
  /** RFC 3339; a fixed date when absent so the image ID is stable. */
  created?: string;
}

export interface BuiltImage {
  readonly kind: 'image';
  platform: Platform;
  /** The config JSON; its digest is the image ID. */
  config: Buffer;
  configDigest: string;
  layers: BuiltLayer[];
  /** OCI image manifest bytes, exactly as written to the layout. */
  manifest: Buffer;
  manifestDigest: string;
  /** How an index or index.json points at this image. */
  descriptor: Descriptor;
  /** Every blob the image needs: config, layers and the manifest itself. */
  blobs: Blob[];
}

export interface BuiltAttestation {
  readonly kind: 'attestation';
  /** Manifest digest of the image this attests (the `vnd.docker.reference.digest` annotation). */
  subjectDigest: string;
  config: Buffer;
  configDigest: string;
  /** The in-toto statement, stored uncompressed as buildx does. */
  statement: Buffer;
  statementDigest: string;
  manifest: Buffer;
  manifestDigest: string;
  /** Index entry with platform unknown/unknown and the attestation annotations. */
  descriptor: Descriptor;
  blobs: Blob[];
}

export interface BuiltIndex {
  readonly kind: 'index';
  images: BuiltImage[];
  attestations: BuiltAttestation[];
  /** OCI image index bytes. */
  index: Buffer;
  indexDigest: string;
  descriptor: Descriptor;
  blobs: Blob[];
}

export interface LayoutEntry {
  tag: string;
  target: BuiltImage | BuiltIndex;
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function blob(mediaType: string, bytes: Buffer): Blob {
  return { mediaType, digest: sha256Digest(bytes), size: bytes.length, bytes };
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

// ---------------------------------------------------------------- tar (ustar)

const BLOCK = 512;

function normalisePath(path: string): string {
  const clean = path.replace(/^(\.\/|\/)+/, '');
  if (clean === '' || clean.split('/').some((part) => part === '..' || part === '')) {
    throw new Error(`tar: unusable path ${JSON.stringify(path)}`);
  }
  return clean;
}

/** ustar keeps names in 100 bytes, or a 155-byte prefix plus 100 split at a '/'. */
function splitName(name: string): { prefix: string; name: string } {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') return { prefix, name: rest };
  }
  throw new Error(`tar: path too long for ustar: ${name}`);
}

function octal(value: number, width: number): string {
  // width includes the trailing NUL the format expects.
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(path: string, type: 'file' | 'dir', size: number, mode: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  const { prefix, name } = splitName(path);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii'); // mtime: fixed so the diff_id is stable
  h.write('        ', 148, 'ascii'); // checksum counts as spaces while summing
  h.write(type === 'dir' ? '5' : '0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK, 0);
}

/**
 * An uncompressed ustar archive of the files, with their parent directories
 * added first, as real layers have them (some extractors need them).
 */
export function tarFiles(files: readonly LayerFile[]): Buffer {
  const parts: Buffer[] = [];
  const seenDirs = new Set<string>();
  for (const file of files) {
    const path = normalisePath(file.path);
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const dir = segments.slice(0, i).join('/') + '/';
      if (!seenDirs.has(dir)) {
        seenDirs.add(dir);
        parts.push(header(dir, 'dir', 0, 0o755));
      }
    }
    const content = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : Buffer.from(file.content);
    parts.push(header(path, 'file', content.length, file.mode ?? 0o644), content, padding(content.length));
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0)); // end-of-archive marker
  return Buffer.concat(parts);
}

export function buildLayer(files: readonly LayerFile[]): BuiltLayer {
  const tar = tarFiles(files);
  const gz = gzipSync(tar, { level: 9 });
  return { ...blob(LayerMediaType.ociLayerGzip, gz), diffId: sha256Digest(tar), tar };
}

// ---------------------------------------------------------------- images

function platformOf(spec: Platform): Platform {
  return spec.variant === undefined
    ? { architecture: spec.architecture, os: spec.os }
    : { architecture: spec.architecture, os: spec.os, variant: spec.variant };
}

function sortedLabels(labels: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
  if (labels === undefined) return undefined;
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

interface ConfigInputs {
  platform: Platform;
  layers: readonly BuiltLayer[];
  labels?: Readonly<Record<string, string>> | undefined;
  created?: string | undefined;
}

function imageConfig({ platform, layers, labels, created }: ConfigInputs): Buffer {
  const when = created ?? DEFAULT_CREATED;
  const config: Record<string, unknown> = {
    Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    Cmd: ['/bin/sh'],
  };
  const sorted = sortedLabels(labels);
  if (sorted !== undefined) config.Labels = sorted;
  return json({
    created: when,
    architecture: platform.architecture,
    ...(platform.variant === undefined ? {} : { variant: platform.variant }),
    os: platform.os,
    config,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created: when, created_by: 'test/support/oci-layout' })),
  });
}

function assembleImage(platform: Platform, layers: BuiltLayer[], config: Buffer): BuiltImage {
  const configBlob = blob(MediaType.ociConfig, config);
  const manifest = json({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: configBlob.mediaType, digest: configBlob.digest, size: configBlob.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  });
  const manifestBlob = blob(MediaType.ociManifest, manifest);
  return {
    kind: 'image',
    platform,
    config,
    configDigest: configBlob.digest,
    layers,
    manifest,
    manifestDigest: manifestBlob.digest,
    descriptor: { mediaType: MediaType.ociManifest, digest: manifestBlob.digest, size: manifestBlob.size, platform },
    blobs: [configBlob, ...layers, manifestBlob],
  };
}

/** A single-layer OCI image; `configDigest` is its image ID. */
export function buildImage(spec: ImageSpec): BuiltImage {
  const platform = platformOf(spec);
  const layers = [buildLayer(spec.files)];
  return assembleImage(platform, layers, imageConfig({ platform, layers, labels: spec.labels, created: spec.created }));
}

/**
 * The same layer blobs under another config (new labels or created date), so
 * the image ID differs while every layer digest matches: the case where a
 * layer-based comparison would give a false "already there".
 */
export function withConfig(image: BuiltImage, change: { labels?: Readonly<Record<string, string>>; created?: string }): BuiltImage {
  const config = imageConfig({ platform: image.platform, layers: image.layers, labels: change.labels, created: change.created });
  if (sha256Digest(config) === image.configDigest) {
    throw new Error('withConfig: the change leaves the config identical; pass different labels or created');
  }
  return assembleImage(image.platform, image.layers, config);
}

// ---------------------------------------------------------------- attestations and indexes

/**
 * An attestation manifest shaped like the ones buildx adds to an index: an OCI
 * manifest whose config says unknown/unknown and whose one layer is an
 * in-toto statement about the subject image. It has a config digest of its
 * own, which must never be mistaken for an image ID.
 */
export function buildAttestation(subject: BuiltImage): BuiltAttestation {
  const statement = json({
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType: 'https://slsa.dev/provenance/v0.2',
    subject: [{ name: '_', digest: { sha256: subject.manifestDigest.slice('sha256:'.length) } }],
    predicate: { builder: { id: 'test/support/oci-layout' }, buildType: 'https://mobyproject.org/buildkit@v1' },
  });
  const statementBlob = blob(LayerMediaType.inToto, statement);
  const configBlob = blob(
    MediaType.ociConfig,
    json({ architecture: 'unknown', os: 'unknown', config: {}, rootfs: { type: 'layers', diff_ids: [statementBlob.digest] } }),
  );
  const manifest = json({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: configBlob.mediaType, digest: configBlob.digest, size: configBlob.size },
    layers: [
      {
        mediaType: statementBlob.mediaType,
        digest: statementBlob.digest,
        size: statementBlob.size,
        annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' },
      },
    ],
  });
  const manifestBlob = blob(MediaType.ociManifest, manifest);
  return {
    kind: 'attestation',
    subjectDigest: subject.manifestDigest,
    config: configBlob.bytes,
    configDigest: configBlob.digest,
    statement,
    statementDigest: statementBlob.digest,
    manifest,
    manifestDigest: manifestBlob.digest,
    descriptor: {
      mediaType: MediaType.ociManifest,
      digest: manifestBlob.digest,
      size: manifestBlob.size,
      platform: { architecture: 'unknown', os: 'unknown' },
      annotations: {
        [ATTESTATION_REFERENCE_DIGEST]: subject.manifestDigest,
        [ATTESTATION_REFERENCE_TYPE]: 'attestation-manifest',
      },
    },
    blobs: [configBlob, statementBlob, manifestBlob],
  };
}

/**
 * An OCI image index over the images, in order, followed (as buildx orders
 * them) by one attestation manifest per image listed in `attest`.
 */
export function buildIndex(
  images: readonly BuiltImage[],
  opts: { attest?: readonly BuiltImage[] | 'all'; annotations?: Record<string, string> } = {},
): BuiltIndex {
  if (images.length === 0) throw new Error('buildIndex: an index needs at least one image');
  const subjects = opts.attest === 'all' ? images : (opts.attest ?? []);
  for (const s of subjects) {
    if (!images.includes(s)) throw new Error('buildIndex: can only attest images that are in the index');
  }
  const attestations = subjects.map(buildAttestation);
  const index = json({
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [...images.map((i) => i.descriptor), ...attestations.map((a) => a.descriptor)],
    ...(opts.annotations === undefined ? {} : { annotations: opts.annotations }),
  });
  const indexBlob = blob(MediaType.ociIndex, index);
  return {
    kind: 'index',
    images: [...images],
    attestations,
    index,
    indexDigest: indexBlob.digest,
    descriptor: { mediaType: MediaType.ociIndex, digest: indexBlob.digest, size: indexBlob.size },
    blobs: [...images.flatMap((i) => i.blobs), ...attestations.flatMap((a) => a.blobs), indexBlob],
  };
}

// ---------------------------------------------------------------- layout on disk

/**
 * Writes an OCI image layout: `oci-layout`, `blobs/sha256/*` and an
 * `index.json` with one entry per tag (the ref.name annotation), each pointing
 * at an image manifest or an image index. Creates `dir` if needed.
 */
export async function writeOciLayout(dir: string, entries: readonly LayoutEntry[]): Promise<void> {
  const tags = new Set<string>();
  for (const { tag } of entries) {
    if (tags.has(tag)) throw new Error(`writeOciLayout: tag ${tag} given twice`);
    tags.add(tag);
  }
  const blobDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  const blobs = new Map<string, Buffer>();
  for (const { target } of entries) for (const b of target.blobs) blobs.set(b.digest, b.bytes);
  for (const [digest, bytes] of blobs) await writeFile(join(blobDir, digest.slice('sha256:'.length)), bytes);
  await writeFile(join(dir, 'oci-layout'), json({ imageLayoutVersion: '1.0.0' }));
  const manifests = entries.map(({ tag, target }) => ({
    ...target.descriptor,
    annotations: { ...target.descriptor.annotations, [REF_NAME_ANNOTATION]: tag },
  }));
  await writeFile(join(dir, 'index.json'), json({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }));
}
