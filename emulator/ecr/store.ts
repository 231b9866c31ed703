/**
 * In-memory content of the ECR emulator: repositories and their images.
 *
 * Deleted repositories and images leave a hole in their slot array rather than
 * being spliced out, so a nextToken (a slot position) handed out before a
 * deletion still points at the right place afterwards, as ECR's tokens do.
 */
import { createHash } from 'node:crypto';
import { INDEX_MEDIA_TYPES } from '../../scanner/oci/media-types';
import { isEcrRepositoryName as isValidRepositoryName } from '../../scanner/oci/ecr-repository-name';
import {
  ECR_TAG_MUTABILITY_SETTINGS,
  EcrTagMutability,
  EcrTagMutabilitySetting,
  isTagImmutable as tagIsImmutable,
} from '../../scanner/oci/ecr-tag-mutability';

/** One manifest stored in an ECR repository, as a test writes or reads it. */
export interface EcrImage {
  /** sha256 of the exact manifest bytes, `sha256:<hex>`. */
  digest: string;
  mediaType: string;
  manifest: Buffer;
  /** Empty for an untagged image (for instance the children of an index). */
  tags: string[];
  /** Default: the time it was stored. */
  pushedAt?: Date;
  /** Default: sum of layer sizes; for an index, the largest child in the repository (as ECR documents). */
  sizeInBytes?: number;
  /** Storage class state; default ACTIVE. An ARCHIVED or ACTIVATING image cannot be pulled (BatchGetImage: ImageInaccessible). */
  imageStatus?: ImageStatus;
}

/** ECR's storage class states (the archive class arrived 2025-11). */
export type ImageStatus = 'ACTIVE' | 'ARCHIVED' | 'ACTIVATING';
export const IMAGE_STATUSES: readonly ImageStatus[] = ['ACTIVE', 'ARCHIVED', 'ACTIVATING'];

/** ECR's tag mutability rule, shared with the scanner's plan (scanner/oci/ecr-tag-mutability.ts). */
export type TagMutability = EcrTagMutabilitySetting;
export type TagMutabilitySetting = EcrTagMutability;

/** An image without its manifest: cheap to list even for generated repositories. */
export type EcrImageSummary = Omit<EcrImage, 'manifest'>;

/** repositoryName -> images, the shape startEcrEmulator and loadFromRegistry exchange. */
export type EcrStoreContent = Record<string, EcrImage[]>;

/** An image produced on demand from its slot number, so large synthetic stores stay small in memory. */
export interface GeneratedImage {
  /** A string is hashed as UTF-8 without first becoming a Buffer, which matters at 100,000 images. */
  manifest: Buffer | string;
  mediaType: string;
  tags: string[];
  sizeInBytes: number;
  artifactMediaType?: string;
  pushedAt: Date;
}

/** Digest and byte length of another slot of the same repository: what an index needs to point at its children. */
export interface SlotReference {
  digest: string;
  size: number;
}

export interface LazyImageSource {
  readonly count: number;
  /** Must be deterministic: manifests are regenerated whenever BatchGetImage asks for them. */
  generate(slot: number, reference: (slot: number) => SlotReference): GeneratedImage;
}

/** What the store keeps per image; manifest bytes are absent for generated images. */
export interface StoredImage {
  readonly digest: string;
  readonly mediaType: string;
  tags: string[];
  readonly pushedAtMs: number;
  /** Derived from the manifest when first asked for, unless the content gave it. */
  sizeInBytes?: number | undefined;
  /** undefined: not yet derived; null: the manifest has no config (e.g. an index). */
  artifactMediaType?: string | null;
  /** The `subject` digest of a referrer; undefined: not yet derived; null: none. */
  subjectDigest?: string | null;
  imageStatus: ImageStatus;
  /** Set by BatchGetImage (ECR counts it as a pull). */
  lastRecordedPullMs?: number;
  /** A failure BatchGetImage answers for this image (KmsError, UpstreamUnavailable, …), set by a test. */
  failureCode?: string;
  readonly manifestBytes?: Buffer;
  readonly lazySlot?: number;
}

export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

// Same pattern ECR quotes in its InvalidImageDigest failures.
const DIGEST_PATTERN = /^[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+$/;
export function isValidDigest(digest: string): boolean {
  return DIGEST_PATTERN.test(digest);
}

/** Builds an EcrImage from manifest bytes, taking the media type from the manifest itself. */
export function manifestImage(manifest: Buffer | string | object, tags: string[] = [], mediaType?: string): EcrImage {
  const bytes = Buffer.isBuffer(manifest)
    ? manifest
    : Buffer.from(typeof manifest === 'string' ? manifest : JSON.stringify(manifest), 'utf8');
  const declared = parseJson(bytes)?.mediaType;
  const type = mediaType ?? (typeof declared === 'string' ? declared : undefined);
  if (!type) throw new Error('manifest has no mediaType field; pass the media type explicitly');
  return { digest: sha256Digest(bytes), mediaType: type, manifest: bytes, tags: [...tags] };
}

function parseJson(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

interface Descriptor {
  digest?: unknown;
  size?: unknown;
  mediaType?: unknown;
}

function descriptors(value: unknown): Descriptor[] {
  return Array.isArray(value) ? (value.filter((d) => d && typeof d === 'object') as Descriptor[]) : [];
}

/** Child manifest digests named by an index manifest. */
export function indexChildren(manifest: Buffer): string[] {
  return descriptors(parseJson(manifest)?.manifests)
    .map((d) => d.digest)
    .filter((d): d is string => typeof d === 'string');
}

export class Repository {
  /** DescribeRepositories' imageTagMutability and its exclusion filters. */
  mutability: TagMutabilitySetting = { mutability: 'MUTABLE', exclusionFilters: [] };
  private readonly slots: Array<StoredImage | undefined> = [];
  private readonly byDigest = new Map<string, number>();
  private readonly byTag = new Map<string, number>();
  private pending: LazyImageSource | undefined;
  private source: LazyImageSource | undefined;
  private references: SlotReference[] = [];

  constructor(
    /** Changes when a repository of the same name is deleted and created again, invalidating old tokens. */
    readonly id: number,
    readonly name: string,
    readonly createdAt: Date,
    lazy?: LazyImageSource,
  ) {
    this.pending = lazy;
    this.source = lazy;
  }

  /** Generated repositories compute digests on first use, so building a large store costs nothing up front. */
  private materialize(): void {
    const source = this.pending;
    if (!source) return;
    this.pending = undefined;
    const refs: Array<SlotReference | undefined> = new Array(source.count);
    const reference = (slot: number): SlotReference => {
      let ref = refs[slot];
      if (!ref) {
        if (slot < 0 || slot >= source.count) throw new Error(`${this.name}: slot ${slot} out of range`);
        const generated = source.generate(slot, reference);
        ref = { digest: sha256Digest(generated.manifest), size: Buffer.byteLength(generated.manifest) };
        refs[slot] = ref;
      }
      return ref;
    };
    for (let slot = 0; slot < source.count; slot++) {
      const generated = source.generate(slot, reference);
      let ref = refs[slot];
      if (!ref) refs[slot] = ref = { digest: sha256Digest(generated.manifest), size: Buffer.byteLength(generated.manifest) };
      this.insert({
        digest: ref.digest,
        mediaType: generated.mediaType,
        tags: [...generated.tags],
        pushedAtMs: generated.pushedAt.getTime(),
        sizeInBytes: generated.sizeInBytes,
        artifactMediaType: generated.artifactMediaType ?? null,
        subjectDigest: null,
        imageStatus: 'ACTIVE',
        lazySlot: slot,
      });
    }
    this.references = refs as SlotReference[];
  }

  get slotCount(): number {
    this.materialize();
    return this.slots.length;
  }

  slot(position: number): StoredImage | undefined {
    this.materialize();
    return this.slots[position];
  }

  byDigestOrUndefined(digest: string): StoredImage | undefined {
    this.materialize();
    const position = this.byDigest.get(digest);
    return position === undefined ? undefined : this.slots[position];
  }

  byTagOrUndefined(tag: string): StoredImage | undefined {
    this.materialize();
    const position = this.byTag.get(tag);
    return position === undefined ? undefined : this.slots[position];
  }

  images(): StoredImage[] {
    this.materialize();
    return this.slots.filter((s): s is StoredImage => s !== undefined);
  }

  get imageCount(): number {
    this.materialize();
    return this.byDigest.size;
  }

  manifestOf(image: StoredImage): Buffer {
    if (image.manifestBytes) return image.manifestBytes;
    const source = this.source;
    if (!source || image.lazySlot === undefined) throw new Error(`${this.name}@${image.digest}: no manifest`);
    const manifest = source.generate(image.lazySlot, (slot) => this.references[slot]).manifest;
    return typeof manifest === 'string' ? Buffer.from(manifest, 'utf8') : manifest;
  }

  artifactMediaTypeOf(image: StoredImage): string | undefined {
    if (image.artifactMediaType === undefined) {
      const json = parseJson(this.manifestOf(image));
      const config = json?.config as Descriptor | undefined;
      const artifactType = json?.artifactType;
      image.artifactMediaType =
        typeof artifactType === 'string' ? artifactType : typeof config?.mediaType === 'string' ? config.mediaType : null;
    }
    return image.artifactMediaType ?? undefined;
  }

  /** The digest of the manifest's `subject` (an OCI 1.1 referrer's), as DescribeImages' subjectManifestDigest. */
  subjectOf(image: StoredImage): string | undefined {
    if (image.subjectDigest === undefined) {
      const subject = parseJson(this.manifestOf(image))?.subject as Descriptor | undefined;
      image.subjectDigest = typeof subject?.digest === 'string' ? subject.digest : null;
    }
    return image.subjectDigest ?? undefined;
  }

  sizeOf(image: StoredImage, depth = 0): number {
    if (image.sizeInBytes !== undefined) return image.sizeInBytes;
    const manifest = this.manifestOf(image);
    let size = 0;
    if (INDEX_MEDIA_TYPES.includes(image.mediaType)) {
      // Not cached: children may be pushed or deleted later, and ECR reports the current largest one.
      for (const child of indexChildren(manifest)) {
        const found = depth < 4 ? this.byDigestOrUndefined(child) : undefined;
        if (found) size = Math.max(size, this.sizeOf(found, depth + 1));
      }
      return size;
    }
    for (const layer of descriptors(parseJson(manifest)?.layers)) {
      if (typeof layer.size === 'number') size += layer.size;
    }
    image.sizeInBytes = size;
    return size;
  }

  put(image: EcrImage, nowMs: number): void {
    this.materialize();
    if (!isValidDigest(image.digest)) throw new Error(`${this.name}: invalid digest ${image.digest}`);
    for (const tag of image.tags) {
      const holder = this.byTagOrUndefined(tag);
      if (holder && holder.digest !== image.digest && tagIsImmutable(this.mutability, tag)) {
        throw new Error(`${this.name}: ImageTagAlreadyExistsException: the image tag '${tag}' already exists and cannot be overwritten`);
      }
    }
    const existing = this.byDigest.get(image.digest);
    if (existing !== undefined) {
      // Pushing the same manifest again only adds tags, as in ECR.
      for (const tag of image.tags) this.tag(existing, tag);
      return;
    }
    this.insert({
      digest: image.digest,
      mediaType: image.mediaType,
      tags: [],
      pushedAtMs: image.pushedAt?.getTime() ?? nowMs,
      sizeInBytes: image.sizeInBytes,
      manifestBytes: Buffer.from(image.manifest),
      imageStatus: image.imageStatus ?? 'ACTIVE',
    });
    const position = this.byDigest.get(image.digest) as number;
    for (const tag of image.tags) this.tag(position, tag);
  }

  private insert(image: StoredImage): void {
    const position = this.slots.length;
    this.slots.push(image);
    this.byDigest.set(image.digest, position);
    const tags = image.tags;
    image.tags = [];
    for (const tag of tags) this.tag(position, tag);
  }

  /** Tags are unique within a repository: tagging moves the tag away from any other image (MUTABLE repositories). */
  private tag(position: number, tag: string): void {
    const previous = this.byTag.get(tag);
    if (previous === position) return;
    if (previous !== undefined) {
      const other = this.slots[previous];
      if (other) other.tags = other.tags.filter((t) => t !== tag);
    }
    this.byTag.set(tag, position);
    this.slots[position]?.tags.push(tag);
  }

  delete(digest: string): boolean {
    this.materialize();
    const position = this.byDigest.get(digest);
    if (position === undefined) return false;
    const image = this.slots[position];
    for (const tag of image?.tags ?? []) this.byTag.delete(tag);
    this.byDigest.delete(digest);
    this.slots[position] = undefined;
    return true;
  }

  untag(tag: string): boolean {
    this.materialize();
    const position = this.byTag.get(tag);
    if (position === undefined) return false;
    this.byTag.delete(tag);
    const image = this.slots[position];
    if (image) image.tags = image.tags.filter((t) => t !== tag);
    return true;
  }
}

export interface CreateRepositoryOptions {
  createdAt?: Date;
  /** Default MUTABLE without exclusion filters. */
  tagMutability?: TagMutability;
  exclusionFilters?: string[];
}

/** The mutation helpers tests use on a running emulator. */
export interface EcrStoreHandle {
  /** Idempotent: an existing repository is kept as it is. */
  createRepository(name: string, options?: CreateRepositoryOptions): void;
  /** Deletes the repository and its images (like `aws ecr delete-repository --force`). */
  deleteRepository(name: string): boolean;
  /** Creates the repository if needed; an existing digest only gains the new tags. */
  putImage(repository: string, image: EcrImage): void;
  deleteImage(repository: string, digest: string): boolean;
  untagImage(repository: string, tag: string): boolean;
  /** Moves an image between storage classes (what UpdateImageStorageClass and the archive lifecycle do); false if absent. */
  setImageStatus(repository: string, digest: string, status: ImageStatus): boolean;
  /** When BatchGetImage last counted a pull of the image (ECR's lastRecordedPullTime); undefined if never. */
  lastRecordedPull(repository: string, digest: string): Date | undefined;
  /**
   * Makes BatchGetImage answer this failure code for the image (what a revoked KMS key, a pull-through
   * upstream or a code yet unknown would do); undefined clears it. False if the image does not exist.
   */
  setImageFailure(repository: string, digest: string, failureCode: string | undefined): boolean;
  /** Changes a repository's tag mutability (PutImageTagMutability); false if the repository does not exist. */
  setTagMutability(repository: string, mutability: TagMutability, exclusionFilters?: string[]): boolean;
  load(content: EcrStoreContent): void;
  repositoryNames(): string[];
  /** Current images of a repository with their manifests (generated ones included); undefined if it does not exist. */
  images(repository: string): EcrImage[] | undefined;
  /** Like images() without the manifests; lists a generated repository without regenerating them. */
  summaries(repository: string): EcrImageSummary[] | undefined;
}

function summaryOf(repo: Repository, image: StoredImage): EcrImageSummary {
  return {
    digest: image.digest,
    mediaType: image.mediaType,
    tags: [...image.tags],
    pushedAt: new Date(image.pushedAtMs),
    sizeInBytes: repo.sizeOf(image),
    imageStatus: image.imageStatus,
  };
}

export class EcrStore implements EcrStoreHandle {
  private readonly repositories: Array<Repository | undefined> = [];
  private readonly byName = new Map<string, number>();
  private nextId = 1;

  constructor(private readonly now: () => number = Date.now) {}

  get repositorySlotCount(): number {
    return this.repositories.length;
  }

  repositorySlot(position: number): Repository | undefined {
    return this.repositories[position];
  }

  repository(name: string): Repository | undefined {
    const position = this.byName.get(name);
    return position === undefined ? undefined : this.repositories[position];
  }

  private add(name: string, createdAt: Date, lazy?: LazyImageSource): Repository {
    if (!isValidRepositoryName(name)) throw new Error(`invalid ECR repository name: ${JSON.stringify(name)}`);
    const repository = new Repository(this.nextId++, name, createdAt, lazy);
    this.byName.set(name, this.repositories.length);
    this.repositories.push(repository);
    return repository;
  }

  createRepository(name: string, options: CreateRepositoryOptions = {}): void {
    if (this.repository(name)) return;
    const repository = this.add(name, options.createdAt ?? new Date(this.now()));
    if (options.tagMutability) this.setMutability(repository, options.tagMutability, options.exclusionFilters ?? []);
  }

  setTagMutability(repository: string, mutability: TagMutability, exclusionFilters: string[] = []): boolean {
    const repo = this.repository(repository);
    if (!repo) return false;
    this.setMutability(repo, mutability, exclusionFilters);
    return true;
  }

  private setMutability(repo: Repository, mutability: TagMutability, exclusionFilters: string[]): void {
    if (!ECR_TAG_MUTABILITY_SETTINGS.includes(mutability)) throw new Error(`unknown tag mutability ${mutability}`);
    repo.mutability = { mutability, exclusionFilters: [...exclusionFilters] };
  }

  setImageStatus(repository: string, digest: string, status: ImageStatus): boolean {
    const image = this.repository(repository)?.byDigestOrUndefined(digest);
    if (!image) return false;
    image.imageStatus = status;
    return true;
  }

  setImageFailure(repository: string, digest: string, failureCode: string | undefined): boolean {
    const image = this.repository(repository)?.byDigestOrUndefined(digest);
    if (!image) return false;
    if (failureCode === undefined) delete image.failureCode;
    else image.failureCode = failureCode;
    return true;
  }

  lastRecordedPull(repository: string, digest: string): Date | undefined {
    const ms = this.repository(repository)?.byDigestOrUndefined(digest)?.lastRecordedPullMs;
    return ms === undefined ? undefined : new Date(ms);
  }

  /** The emulator's clock, for the times operations record. */
  nowMs(): number {
    return this.now();
  }

  /** Registers a repository whose images are generated on first access. Replaces any repository of that name. */
  addGeneratedRepository(name: string, source: LazyImageSource, createdAt: Date): void {
    this.deleteRepository(name);
    this.add(name, createdAt, source);
  }

  deleteRepository(name: string): boolean {
    const position = this.byName.get(name);
    if (position === undefined) return false;
    this.byName.delete(name);
    this.repositories[position] = undefined;
    return true;
  }

  putImage(repository: string, image: EcrImage): void {
    this.createRepository(repository);
    (this.repository(repository) as Repository).put(image, this.now());
  }

  deleteImage(repository: string, digest: string): boolean {
    return this.repository(repository)?.delete(digest) ?? false;
  }

  untagImage(repository: string, tag: string): boolean {
    return this.repository(repository)?.untag(tag) ?? false;
  }

  load(content: EcrStoreContent): void {
    for (const [name, images] of Object.entries(content)) {
      this.createRepository(name);
      for (const image of images) this.putImage(name, image);
    }
  }

  repositoryNames(): string[] {
    return this.repositories.filter((r): r is Repository => r !== undefined).map((r) => r.name);
  }

  images(repository: string): EcrImage[] | undefined {
    const repo = this.repository(repository);
    if (!repo) return undefined;
    return repo.images().map((image) => ({ ...summaryOf(repo, image), manifest: repo.manifestOf(image) }));
  }

  summaries(repository: string): EcrImageSummary[] | undefined {
    const repo = this.repository(repository);
    if (!repo) return undefined;
    return repo.images().map((image) => summaryOf(repo, image));
  }
}
