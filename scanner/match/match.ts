/** Compares resolved source images with the ECR inventory by image ID, per platform. Pure functions. */
import { EcrHeldManifest, EcrInactiveStatus, EcrInventory, EcrPlatformImage } from '../ecr/types';
import { EcrRegistryId, formatEcrHost } from '../oci/ecr-host';
import { SourceImage } from '../source/types';

export type MatchedBy = 'manifest' | 'imageId';
export type SourceStatus = 'present' | 'partial' | 'absent' | 'error';

export interface EcrMatch {
  /** The registry of the match: given in a scope of several registries, where matches come from several. */
  accountId?: string;
  region?: string;
  uri: string;
  repository: string;
  tags: string[];
  manifestDigest: string;
  imageId: string;
  matchedBy: MatchedBy;
  /** ARCHIVED or ACTIVATING: in ECR, but not pullable until restored. Absent for ACTIVE. */
  imageStatus?: EcrInactiveStatus;
  /** The repository is under a pull-through cache rule's prefix: a cache refreshed from upstream, not a copy. */
  pullThroughCache?: true;
}

export interface MatchedImage extends SourceImage {
  matches: EcrMatch[];
}

/** One registry's platform images, looked up by image ID (the inventory answers; nothing is copied). */
export interface EcrIndex {
  registryHost: string;
  /** Set when matches are to name their registry (a scope of several registries). */
  registry?: EcrRegistryId;
  imagesWithId(imageId: string): readonly EcrPlatformImage[];
  /** Places holding the digest whose manifest the inventory could not read (archived ones): a manifest match only. */
  unreadWithDigest(manifestDigest: string): readonly EcrHeldManifest[];
}

/** With `nameRegistries`, each match carries its accountId and region (a scope of several registries). */
export function indexInventory(inventories: readonly EcrInventory[], nameRegistries = false): EcrIndex[] {
  return inventories.map((inventory) => {
    const { accountId, region } = inventory.registry;
    // A registry with no repository names no account; it has no image either, so its host is never used.
    const registry = accountId !== undefined ? { accountId, region } : undefined;
    return {
      registryHost: registry ? formatEcrHost(registry) : '',
      ...(nameRegistries && registry ? { registry } : {}),
      imagesWithId: (imageId: string) => inventory.queries.imagesWithId(imageId),
      unreadWithDigest: (manifestDigest: string) => inventory.queries.unreadWithDigest(manifestDigest),
    };
  });
}

/** An ECR place as a match; a place whose manifest was not read has the source's image ID, as the same digest is the same content. */
function toMatch(source: SourceImage, ecr: EcrPlatformImage | EcrHeldManifest, index: EcrIndex): EcrMatch {
  const ref = ecr.tags.length > 0 ? `:${ecr.tags[0]}` : `@${ecr.manifestDigest}`;
  return {
    ...(index.registry ? { accountId: index.registry.accountId, region: index.registry.region } : {}),
    uri: `${index.registryHost}/${ecr.repository}${ref}`,
    repository: ecr.repository,
    tags: ecr.tags,
    manifestDigest: ecr.manifestDigest,
    imageId: 'imageId' in ecr ? ecr.imageId : source.imageId,
    matchedBy: ecr.manifestDigest === source.manifestDigest ? 'manifest' : 'imageId',
    ...(ecr.imageStatus ? { imageStatus: ecr.imageStatus } : {}),
  };
}

function byStrength(a: EcrMatch, b: EcrMatch): number {
  if (a.matchedBy !== b.matchedBy) return a.matchedBy === 'manifest' ? -1 : 1;
  return a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0;
}

export function matchImages(images: readonly SourceImage[], indexes: readonly EcrIndex[]): MatchedImage[] {
  return images.map((image) => ({
    ...image,
    matches: indexes
      .flatMap((index) => [
        ...index.imagesWithId(image.imageId).map((ecr) => toMatch(image, ecr, index)),
        ...index.unreadWithDigest(image.manifestDigest).map((ecr) => toMatch(image, ecr, index)),
      ])
      .sort(byStrength),
  }));
}

/** Status of a source whose images were all compared: errors are decided before matching. */
export function statusOf(images: readonly MatchedImage[]): Exclude<SourceStatus, 'error'> {
  const found = images.filter((i) => i.matches.length > 0).length;
  if (images.length > 0 && found === images.length) return 'present';
  return found > 0 ? 'partial' : 'absent';
}
