/**
 * An EcrInventory over a plain array of platform images: for tests and for
 * small hand-made inventories. The scan's own inventory is the compact
 * InventoryStore; this one trades memory for simplicity and answers the same
 * queries the same way.
 */
import { ManifestFacts } from './manifest-facts';
import { duplicateOf, sortDuplicates } from './duplicates';
import { EcrDuplicate, EcrHeldManifest, EcrInventory, EcrInventoryCounts, EcrPlatformImage, EcrReferrer, EcrTagMutability } from './types';

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
      return sortDuplicates(result);
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
