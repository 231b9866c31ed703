/**
 * An EcrInventory over a plain array of platform images: for tests and for
 * small hand-made inventories. The scan's own inventory is the compact
 * InventoryStore; this one trades memory for simplicity and answers the same
 * queries the same way.
 */
import { imageBlobs, ManifestFacts } from './manifest-facts';
import { duplicateOf, sortDuplicates } from './duplicates';
import { freedBytesIn, RepositoryManifest } from './freed-bytes';
import {
  BlobHolder,
  EcrDuplicate,
  EcrHeldManifest,
  EcrInventory,
  EcrInventoryCounts,
  EcrPlace,
  EcrPlatformImage,
  EcrReferrer,
  EcrTagMutability,
} from './types';

export interface StaticInventoryInput {
  /** Absent: ECR did not tell it (a registry with no repository). */
  accountId?: string;
  region: string;
  repositories: number;
  images: number;
  skippedRepositories?: string[];
  platformImages: EcrPlatformImage[];
  /** Manifest facts by digest, for lookupManifest and duplicate sizes. */
  manifests?: ReadonlyMap<string, ManifestFacts>;
  /** `repository:tag` -> manifest digest, for lookupTag; default: the platform images' own tags. */
  tags?: ReadonlyMap<string, string>;
  /** Default: the platform images' repositories. */
  repositoryNames?: string[];
  /** Referrers by subject digest, for referrersOf; default none. */
  referrers?: ReadonlyMap<string, EcrReferrer[]>;
  /** Places whose content was not read, for unreadWithDigest; default none. */
  unread?: EcrHeldManifest[];
  /** Tag mutability by repository; default MUTABLE for every listed repository. */
  mutability?: ReadonlyMap<string, EcrTagMutability>;
  counts?: EcrInventoryCounts;
}

export function staticInventory(input: StaticInventoryInput): EcrInventory {
  const byImageId = new Map<string, EcrPlatformImage[]>();
  for (const image of input.platformImages) {
    const list = byImageId.get(image.imageId);
    if (list) list.push(image);
    else byImageId.set(image.imageId, [image]);
  }
  const sizeOf = (digest: string) => {
    const facts = input.manifests?.get(digest);
    return facts?.kind === 'image' ? facts.sizeBytes : 0;
  };
  const blobsOf = (digest: string) => {
    const facts = input.manifests?.get(digest);
    return facts?.kind === 'image' ? imageBlobs(facts) : undefined;
  };
  const manifestsIn = (repository: string): RepositoryManifest[] =>
    input.platformImages
      .filter((i) => i.repository === repository)
      .map((i) => ({ manifestDigest: i.manifestDigest, active: i.imageStatus === undefined, blobs: blobsOf(i.manifestDigest) }));
  const freedBytes = (deletions: ReadonlyArray<readonly EcrPlace[]>): number[] =>
    deletions.map((places) => {
      let bytes = 0;
      for (const repository of new Set(places.map((p) => p.repository))) {
        const deleted = new Set(places.filter((p) => p.repository === repository).map((p) => p.manifestDigest));
        bytes += freedBytesIn(manifestsIn(repository), deleted);
      }
      return bytes;
    });
  return {
    ...(input.accountId !== undefined ? { accountId: input.accountId } : {}),
    region: input.region,
    repositories: input.repositories,
    images: input.images,
    skippedRepositories: input.skippedRepositories ?? [],
    repositoryNames: input.repositoryNames ?? [...new Set(input.platformImages.map((i) => i.repository))].sort(),
    imagesWithId: (imageId) => [...(byImageId.get(imageId) ?? [])],
    platformImages: () => input.platformImages,
    duplicates(): EcrDuplicate[] {
      const result: EcrDuplicate[] = [];
      for (const [imageId, images] of byImageId) {
        if (images.length < 2) continue;
        const locations = images.map((i) => ({
          repository: i.repository,
          manifestDigest: i.manifestDigest,
          tags: i.tags,
          sizeBytes: sizeOf(i.manifestDigest),
          ...(i.imageStatus ? { imageStatus: i.imageStatus } : {}),
        }));
        result.push(duplicateOf(imageId, locations));
      }
      const freed = freedBytes(result.map((d) => d.locations.slice(1)));
      result.forEach((d, k) => (d.freedBytes = freed[k]!));
      return sortDuplicates(result);
    },
    freedBytes,
    blobHolders(digests): BlobHolder[] {
      const asked = new Set(digests);
      return input.platformImages.flatMap((i) => {
        const listed = i.imageStatus === undefined ? (blobsOf(i.manifestDigest) ?? []).filter((b) => asked.has(b.digest)) : [];
        return listed.length > 0
          ? [{ repository: i.repository, manifestDigest: i.manifestDigest, image: true, blobs: [...new Set(listed.map((b) => b.digest))] }]
          : [];
      });
    },
    lookupManifest: (digest) => input.manifests?.get(digest),
    lookupTag: (repository, tag) =>
      input.tags?.get(`${repository}:${tag}`) ??
      input.platformImages.find((i) => i.repository === repository && i.tags.includes(tag))?.manifestDigest,
    referrersOf: (subjectDigest) => input.referrers?.get(subjectDigest) ?? [],
    unreadWithDigest: (manifestDigest) => (input.unread ?? []).filter((u) => u.manifestDigest === manifestDigest),
    tagMutability(repository) {
      const known = input.mutability?.get(repository);
      if (known) return known;
      const listed = input.repositoryNames ?? input.platformImages.map((i) => i.repository);
      return listed.includes(repository) ? { mutability: 'MUTABLE', exclusionFilters: [] } : undefined;
    },
    ...(input.counts ? { counts: input.counts } : {}),
  };
}
