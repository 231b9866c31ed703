/**
 * What deleting manifests of one repository frees, by the scanner contract's definition: the
 * blobs the deleted manifests list that no remaining ACTIVE manifest of that repository lists (ECR
 * stores a repository's blobs once). The definition as plain data; InventoryStore computes the
 * same over its typed arrays, and the unit tests hold the two to each other.
 */
import { BlobDescriptor } from '../../scanner/ecr/manifest-facts';

/** A manifest of the repository: its blobs (config and layers), undefined when they are not known. */
export interface RepositoryManifest {
  manifestDigest: string;
  active: boolean;
  blobs: readonly BlobDescriptor[] | undefined;
}

export function freedBytesIn(manifests: readonly RepositoryManifest[], deleted: ReadonlySet<string>): number {
  const stillListed = new Set<string>();
  for (const m of manifests) if (m.active && !deleted.has(m.manifestDigest)) for (const b of m.blobs ?? []) stillListed.add(b.digest);
  const freed = new Map<string, number>();
  for (const m of manifests) {
    if (!deleted.has(m.manifestDigest)) continue;
    for (const b of m.blobs ?? []) if (!stillListed.has(b.digest) && !freed.has(b.digest)) freed.set(b.digest, b.size);
  }
  let bytes = 0;
  for (const size of freed.values()) bytes += size;
  return bytes;
}
