/**
 * The EcrInventory a finished InventoryStore answers, given what the store itself does not hold
 * (the registry's identity, what was listed and skipped, tag mutability, the remembered tags).
 * One place for it, so the scan's reader (inventory.ts) and the tests' hand-made inventories
 * answer through the same code rather than through two that can drift apart.
 */
import type { InventoryStore } from './inventory-store';
import { EcrInventory, EcrInventoryCounts, EcrRegistryFacts, EcrTagMutability } from './types';

/** What the inventory says besides the store's rows: learned while listing, or given by a test. */
export interface StoreInventoryFacts extends EcrRegistryFacts {
  /** Repositories whose tags are not all MUTABLE; every other listed repository is MUTABLE. */
  mutability: ReadonlyMap<string, EcrTagMutability>;
  /** `repository:tag` -> manifest digest, for the tags the scan asked to remember. */
  digestByTag: ReadonlyMap<string, string>;
}

const NO_UNREADABLE: EcrInventoryCounts['unreadable'] = { count: 0, byCode: {}, images: [] };

/**
 * The counts of a finished store's rows, with what only the reader knows: the images BatchGetImage could
 * not read (none by default) and whether the endpoint lacks the archive storage class.
 */
export function storeCounts(
  store: InventoryStore,
  unreadable: EcrInventoryCounts['unreadable'] = NO_UNREADABLE,
  archiveClass?: 'unsupported',
): EcrInventoryCounts {
  const { archived, activating, notCompared, ...kinds } = store.countRows();
  return { kinds, archived, activating, notCompared, unreadable, ...(archiveClass !== undefined ? { archiveClass } : {}) };
}

/** The inventory of a store whose finish() was called. */
export function inventoryFromStore(store: InventoryStore, facts: StoreInventoryFacts): EcrInventory {
  // A skipped repository was still listed, so its mutability is known (repositoryNames leaves it out).
  const listed = new Set([...facts.repositoryNames, ...facts.skippedRepositories]);
  const { mutability, digestByTag, ...registry } = facts;
  return {
    registry,
    queries: {
      imagesWithId: (imageId) => store.imagesWithId(imageId),
      unreadWithDigest: (manifestDigest) => store.unreadWithDigest(manifestDigest),
      tagMutability: (repository) =>
        listed.has(repository) ? (mutability.get(repository) ?? { mutability: 'MUTABLE', exclusionFilters: [] }) : undefined,
      duplicates: () => store.duplicates(),
      imageIdCounts: () => store.imageIdCounts(),
      lookupManifest: (digest) => store.manifests.peek(digest),
      lookupTag: (repository, tag) => digestByTag.get(`${repository}:${tag}`),
      referrersOf: (subjectDigest) => store.referrersOf(subjectDigest),
      blobHolders: (digests) => store.blobHolders(digests),
      freedBytes: (deletions) => store.freedBytes(deletions),
    },
  };
}
