/** What the inventory of one ECR registry yields: every platform image with its repository and tags. */
import { DigestTable } from './digest-table';
import { ManifestFacts } from './manifest-facts';
import { EcrTagMutability } from '../oci/ecr-tag-mutability';

export type { EcrTagMutability };

/** ECR's storage class states other than ACTIVE: such an image cannot be pulled until restored. */
export type EcrInactiveStatus = 'ARCHIVED' | 'ACTIVATING';

/** An image manifest found in ECR (never an index: indexes contribute their tags to their children). */
export interface EcrPlatformImage {
  repository: string;
  manifestDigest: string;
  imageId: string;
  /** Its own tags (sorted), then those of the indexes in the same repository that list it (sorted). */
  tags: string[];
  /** Absent for an ACTIVE image. */
  imageStatus?: EcrInactiveStatus;
}

/**
 * A manifest ECR holds whose content the inventory could not read (archived, or BatchGetImage
 * failed for it): it can still be matched by its manifest digest, which is its content.
 */
export interface EcrHeldManifest {
  repository: string;
  manifestDigest: string;
  tags: string[];
  imageStatus?: EcrInactiveStatus;
}

/** Manifests of the registry by kind, and what could not be read: `ecr[]`'s counts. */
export interface EcrInventoryCounts {
  /** Listed (repository, manifest) places by what their manifest is; `unknown`: not read (archived without cached facts, or a failure). */
  kinds: { image: number; index: number; artifact: number; other: number; unknown: number };
  /** Places whose image is ARCHIVED or ACTIVATING. */
  archived: number;
  activating: number;
  /** Archived or activating places whose manifest was never read and is in no cache: not compared by image ID. */
  notCompared: number;
  /**
   * `unsupported` when the endpoint does not know the archive storage class (it ignored or refused
   * `filter.imageStatus`, as moto and ECR look-alikes that predate the class do): every image was taken as ACTIVE.
   */
  archiveClass?: 'unsupported';
  /**
   * Images ECR still holds that BatchGetImage could not read (failures other than a deleted image), by failure code,
   * and the first of them named. "Unreadable" means only this; a manifest read but not an image is `kinds.other`.
   */
  unreadable: {
    count: number;
    byCode: Record<string, number>;
    images: Array<{ repository: string; manifestDigest: string; failureCode: string }>;
  };
}

/** An OCI 1.1 referrer ECR holds beside its subject: a signature, an SBOM, an attestation. */
export interface EcrReferrer {
  repository: string;
  /** The referrer manifest's own digest. */
  digest: string;
  /** Its `artifactType`, else its config media type. */
  artifactType: string;
}

/** One place an image ID is held in ECR. */
export interface EcrDuplicateLocation {
  /** The registry holding it: given in a scope of several registries, where a duplicate may span them. */
  accountId?: string;
  region?: string;
  repository: string;
  manifestDigest: string;
  tags: string[];
  /** This copy's config plus layer sizes (copies pushed with other compression differ). */
  sizeBytes: number;
  /** Absent for an ACTIVE copy. */
  imageStatus?: EcrInactiveStatus;
}

/** An image ID that ECR holds under more than one (repository, manifest digest). */
export interface EcrDuplicate {
  imageId: string;
  /** Config plus layer sizes, as its manifest lists them (the largest, when its copies differ). */
  sizeBytes: number;
  /** Sorted by repository, then manifest digest. */
  locations: EcrDuplicateLocation[];
  /**
   * What deleting every location but the first frees: in each repository, the blobs the deleted
   * manifests list that no remaining ACTIVE manifest of that repository lists (ECR stores a
   * repository's blobs once). Set by every inventory the scan makes.
   */
  freedBytes?: number;
}

/** An ACTIVE manifest of a registry that the inventory read and that lists some blob asked about. */
export interface BlobHolder {
  repository: string;
  manifestDigest: string;
  /** A platform image (not an index's attestation manifest): what the plan's `nearest` may name. */
  image: boolean;
  /** Of the digests asked about, those it lists (config or layer). */
  blobs: readonly string[];
}

/** A (repository, manifest digest) place of a registry. */
export interface EcrPlace {
  repository: string;
  manifestDigest: string;
}

/** Places per image ID of one registry, by the ids of its own image-ID table. */
export interface ImageIdCounts {
  imageIds: DigestTable;
  places: Int32Array;
}

/** What `ecr[]` says of one registry: which it is, how much it holds, what could not be read. */
export interface EcrRegistryFacts {
  /** Undefined when ECR did not tell it (a registry with no repository names no account) and the scope did not know it. */
  accountId?: string;
  region: string;
  repositories: number;
  images: number;
  skippedRepositories: string[];
  /** Names of the repositories read (skipped ones left out), for the migration plan. */
  repositoryNames: string[];
  /** Counts by kind and status. */
  counts: EcrInventoryCounts;
}

/**
 * The questions a scan asks of one registry's images. A million images do not fit the build's memory
 * as objects, so they are kept compactly (InventoryStore) and an image is made an object only when asked for.
 */
export interface EcrImageQueries {
  /** Every platform image whose image ID (config digest) is this one, in no particular order. */
  imagesWithId(imageId: string): EcrPlatformImage[];
  /** The places holding this manifest digest whose content was not read (so imagesWithId cannot find them). */
  unreadWithDigest(manifestDigest: string): EcrHeldManifest[];
  /** The repository's tag mutability; undefined for a repository the inventory did not list. */
  tagMutability(repository: string): EcrTagMutability | undefined;
  /** Image IDs held under more than one (repository, manifest digest): most reclaimable bytes first, then by image ID. */
  duplicates(): EcrDuplicate[];
  /**
   * Each image ID held here with the number of (repository, manifest digest) places holding it:
   * what joining several registries' inventories needs, without an object or a string per image.
   * `places[id]` counts the places of image ID `id` of `imageIds` (0: held by no platform image).
   */
  imageIdCounts(): ImageIdCounts;
  /**
   * ECR's facts of a manifest, if any repository of the registry holds that digest:
   * what a source resolving to the same digest would read, so it need not be fetched.
   */
  lookupManifest(digest: string): ManifestFacts | undefined;
  /** The digest a tag points to, for the tags the scan asked the inventory to remember (`wantedTags`: ECR sources' and plan targets'). */
  lookupTag(repository: string, tag: string): string | undefined;
  /** The referrers (manifests whose `subject` is this digest) ECR holds, in any repository. */
  referrersOf(subjectDigest: string): EcrReferrer[];
  /** Every ACTIVE manifest read that lists any of these blob digests (config or layer), with the ones it lists: what the plan's byte accounting asks of its target. */
  blobHolders(digests: readonly string[]): BlobHolder[];
  /** For each set of places of this registry: the bytes deleting them frees (see EcrDuplicate.freedBytes). */
  freedBytes(deletions: ReadonlyArray<readonly EcrPlace[]>): number[];
}

/** One registry's inventory: what the report says of the registry, apart from the questions asked of its images. */
export interface EcrInventory {
  readonly registry: EcrRegistryFacts;
  readonly queries: EcrImageQueries;
}
