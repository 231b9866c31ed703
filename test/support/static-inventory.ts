/**
 * A hand-made EcrInventory for tests, built on the scan's own InventoryStore: the places given become
 * the store's rows and the facts given its ManifestTable's, and the inventory is the one
 * inventoryFromStore makes. A test's inventory thus answers every query (matches, duplicates and their
 * sizes, freed bytes, blob holders, referrers, unread places, counts) through the code the scan uses,
 * so it cannot answer what a real inventory of the same images would not.
 */
import { InventoryStore, RepositoryListing, STATUS_ACTIVATING, STATUS_ARCHIVED } from '../../scanner/ecr/inventory-store';
import { ManifestFacts } from '../../scanner/ecr/manifest-facts';
import { inventoryFromStore, storeCounts } from '../../scanner/ecr/store-inventory';
import {
  EcrHeldManifest,
  EcrInactiveStatus,
  EcrInventory,
  EcrInventoryCounts,
  EcrPlatformImage,
  EcrReferrer,
  EcrTagMutability,
} from '../../scanner/ecr/types';

export interface StaticInventoryInput {
  /** Absent: ECR did not tell it (a registry with no repository). */
  accountId?: string;
  region: string;
  repositories: number;
  images: number;
  skippedRepositories?: string[];
  /** Each a row of its repository; its tags are the row's own (the store sorts them). */
  platformImages: EcrPlatformImage[];
  /**
   * Manifest facts by digest. A platform image given none is an image of its imageId, of 0 bytes and
   * no known layers; facts given for it must say it is an image of that imageId.
   */
  manifests?: ReadonlyMap<string, ManifestFacts>;
  /** `repository:tag` -> manifest digest, for lookupTag (no row is made for it); default: the platform images' tags. */
  tags?: ReadonlyMap<string, string>;
  /** Default: the platform images' repositories, sorted. Each is a repository of the store, rows or none. */
  repositoryNames?: string[];
  /** Referrers by subject digest: each an artifact row of its repository (facts made for it unless given). */
  referrers?: ReadonlyMap<string, EcrReferrer[]>;
  /** Places whose content was not read: rows whose manifest has no facts (so none may be given for it). */
  unread?: EcrHeldManifest[];
  /** Tag mutability by repository; default MUTABLE for every listed repository. */
  mutability?: ReadonlyMap<string, EcrTagMutability>;
  /** Default: what the store counts of its rows, nothing unreadable. */
  counts?: EcrInventoryCounts;
}

/** A (repository, manifest digest) place, as a listing adds it. */
interface Place {
  repository: string;
  manifestDigest: string;
  tags: readonly string[];
  status: number;
}

function statusFlags(status: EcrInactiveStatus | undefined): number {
  if (status === 'ARCHIVED') return STATUS_ARCHIVED;
  if (status === 'ACTIVATING') return STATUS_ACTIVATING;
  return 0;
}

/**
 * Records the facts given, and those the platform images and referrers imply. An input that contradicts
 * itself is refused: the store would answer from the facts, and the test would check something else than it says.
 */
function storeFacts(store: InventoryStore, input: StaticInventoryInput): void {
  const table = store.manifests;
  for (const [digest, facts] of input.manifests ?? []) table.set(digest, facts);
  for (const image of input.platformImages) {
    const facts = table.peek(image.manifestDigest);
    if (facts === undefined) table.set(image.manifestDigest, { kind: 'image', imageId: image.imageId, sizeBytes: 0 });
    else if (facts.kind !== 'image' || facts.imageId !== image.imageId)
      throw new Error(`staticInventory: ${image.manifestDigest} is given as an image of ${image.imageId}, but its facts say otherwise`);
  }
  for (const [subject, referrers] of input.referrers ?? []) {
    for (const referrer of referrers) {
      const facts = table.peek(referrer.digest);
      if (facts === undefined) table.set(referrer.digest, { kind: 'artifact', artifactType: referrer.artifactType, sizeBytes: 0, subject });
      else if (facts.kind !== 'artifact' || facts.subject !== subject || facts.artifactType !== referrer.artifactType)
        throw new Error(`staticInventory: ${referrer.digest} is given as a referrer of ${subject}, but its facts say otherwise`);
    }
  }
  for (const held of input.unread ?? []) {
    // Content-addressed: facts known for the digest anywhere make every place of it read.
    if (table.peek(held.manifestDigest) !== undefined)
      throw new Error(`staticInventory: ${held.manifestDigest} is given as unread, but facts are known for it`);
  }
}

/** Every place the input names, in its order: platform images, unread places, referrers. */
function placesOf(input: StaticInventoryInput): Place[] {
  const referrers = [...(input.referrers?.values() ?? [])].flat();
  return [
    ...input.platformImages.map((i) => ({
      repository: i.repository,
      manifestDigest: i.manifestDigest,
      tags: i.tags,
      status: statusFlags(i.imageStatus),
    })),
    ...(input.unread ?? []).map((u) => ({
      repository: u.repository,
      manifestDigest: u.manifestDigest,
      tags: u.tags,
      status: statusFlags(u.imageStatus),
    })),
    ...referrers.map((r) => ({ repository: r.repository, manifestDigest: r.digest, tags: [], status: 0 })),
  ];
}

/** One listing per repository, in the order repositories first appear; named repositories without a place are empty ones. */
function addRepositories(store: InventoryStore, places: readonly Place[], repositoryNames: readonly string[]): void {
  const listings = new Map<string, RepositoryListing>();
  for (const place of places) {
    let listing = listings.get(place.repository);
    if (!listing) listings.set(place.repository, (listing = new RepositoryListing(store.manifests)));
    listing.add(place.manifestDigest, place.tags, place.status);
  }
  for (const name of repositoryNames) if (!listings.has(name)) listings.set(name, new RepositoryListing(store.manifests));
  for (const [name, listing] of listings) store.addRepository(name, listing);
}

/** The tags lookupTag knows: those given, else the platform images' (the first image naming a tag has it). */
function digestByTag(input: StaticInventoryInput): Map<string, string> {
  const byTag = new Map<string, string>();
  for (const image of input.platformImages) {
    for (const tag of image.tags)
      if (!byTag.has(`${image.repository}:${tag}`)) byTag.set(`${image.repository}:${tag}`, image.manifestDigest);
  }
  for (const [key, digest] of input.tags ?? []) byTag.set(key, digest);
  return byTag;
}

export function staticInventory(input: StaticInventoryInput): EcrInventory {
  const store = new InventoryStore();
  storeFacts(store, input);
  addRepositories(store, placesOf(input), input.repositoryNames ?? []);
  store.finish();
  return inventoryFromStore(store, {
    ...(input.accountId !== undefined ? { accountId: input.accountId } : {}),
    region: input.region,
    repositories: input.repositories,
    images: input.images,
    skippedRepositories: input.skippedRepositories ?? [],
    repositoryNames: input.repositoryNames ?? [...new Set(input.platformImages.map((i) => i.repository))].sort(),
    counts: input.counts ?? storeCounts(store),
    mutability: input.mutability ?? new Map(),
    digestByTag: digestByTag(input),
  });
}
