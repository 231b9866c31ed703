/** What the inventory of one ECR registry yields: every platform image with its repository and tags. */
import { ManifestSummary } from './manifest-summary';

/** An image manifest found in ECR (never an index: indexes contribute their tags to their children). */
export interface EcrPlatformImage {
  repository: string;
  manifestDigest: string;
  imageId: string;
  /** Its own tags (sorted), then those of the indexes in the same repository that list it (sorted). */
  tags: string[];
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
  /** The registry holding it: given in organization scans, where a duplicate spans registries. */
  accountId?: string;
  region?: string;
  repository: string;
  manifestDigest: string;
  tags: string[];
  /** This copy's config plus layer sizes (copies pushed with other compression differ). */
  sizeBytes: number;
}

/** An image ID that ECR holds under more than one (repository, manifest digest). */
export interface EcrDuplicate {
  imageId: string;
  /** Config plus layer sizes, as its manifest lists them (the largest, when its copies differ). */
  sizeBytes: number;
  /** Sorted by repository, then manifest digest. */
  locations: EcrDuplicateLocation[];
}

/**
 * The ECR inventory as queries rather than arrays: a million images do not fit
 * the build's memory as objects, so they are kept compactly and an image is
 * made an object only when asked for.
 */
export interface EcrInventory {
  /** Undefined when ECR did not tell it (a registry with no repository names no account). */
  accountId?: string;
  region: string;
  repositories: number;
  images: number;
  skippedRepositories: string[];
  /** Names of the repositories read (skipped ones left out), for the migration plan. */
  repositoryNames: string[];
  /** Every platform image whose image ID (config digest) is this one, in no particular order. */
  imagesWithId(imageId: string): EcrPlatformImage[];
  /** Every platform image, made one at a time. */
  platformImages(): Iterable<EcrPlatformImage>;
  /** Image IDs held under more than one (repository, manifest digest): most reclaimable bytes first, then by image ID. */
  duplicates(): EcrDuplicate[];
  /**
   * Each image ID held here with the number of (repository, manifest digest) places holding it:
   * what joining several registries' inventories needs, without an object per image. Optional:
   * without it a join falls back to platformImages().
   */
  imageIdCounts?(): Iterable<[imageId: string, places: number]>;
  /**
   * ECR's summary of a manifest, if any repository of the registry holds that digest:
   * what a source resolving to the same digest would read, so it need not be fetched.
   */
  lookupManifest(digest: string): ManifestSummary | undefined;
  /** The digest a tag points to, for the tags the scan asked the inventory to remember (`wantedTags`). */
  lookupTag(repository: string, tag: string): string | undefined;
  /** The referrers (manifests whose `subject` is this digest) ECR holds, in any repository. */
  referrersOf(subjectDigest: string): EcrReferrer[];
}
