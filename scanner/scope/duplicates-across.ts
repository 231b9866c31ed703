/**
 * Duplicates over several registries: an image ID held in more than one
 * (registry, repository, manifest digest). Each registry already knows its own
 * duplicates; what is added is the image IDs that two or more registries hold,
 * found by counting, per image ID, the registries holding it (image IDs
 * interned as 32 bytes, not kept as strings), then gathering their places.
 */
import { DigestTable } from '../ecr/digest-table';
import { duplicateOf, sortDuplicates } from '../ecr/duplicates';
import { grown } from '../ecr/typed-array';
import { EcrDuplicate, EcrDuplicateLocation, EcrInventory } from '../ecr/types';

function locationsIn(inventory: EcrInventory, imageId: string): EcrDuplicateLocation[] {
  const { accountId, region } = inventory.registry;
  return inventory.queries.imagesWithId(imageId).map((image) => {
    const summary = inventory.queries.lookupManifest(image.manifestDigest);
    return {
      ...(accountId !== undefined ? { accountId } : {}),
      region,
      repository: image.repository,
      manifestDigest: image.manifestDigest,
      tags: image.tags,
      sizeBytes: summary?.kind === 'image' ? summary.sizeBytes : 0,
    };
  });
}

/**
 * Each joined duplicate's freedBytes: deleting every location but the first frees, in each
 * registry, what that registry's inventory says deleting its locations frees (blobs are stored
 * per registry and repository, so the registries add up).
 */
function addFreedBytes(duplicates: EcrDuplicate[], inventories: readonly EcrInventory[]): void {
  for (const d of duplicates) d.freedBytes = 0;
  for (const inventory of inventories) {
    const inThis = (l: EcrDuplicateLocation) => l.accountId === inventory.registry.accountId && l.region === inventory.registry.region;
    const freed = inventory.queries.freedBytes(duplicates.map((d) => d.locations.slice(1).filter(inThis)));
    duplicates.forEach((d, k) => (d.freedBytes! += freed[k]!));
  }
}

/** Every image ID held more than once across these registries, locations naming their registry; sorted as within one. */
export function duplicatesAcross(inventories: readonly EcrInventory[]): EcrDuplicate[] {
  const ids = new DigestTable();
  let registriesHolding: Uint16Array = new Uint16Array(1024);
  const holds = (id: number) => {
    registriesHolding = grown(registriesHolding, id + 1);
    registriesHolding[id]!++;
  };
  for (const inventory of inventories) {
    const { imageIds, places } = inventory.queries.imageIdCounts();
    for (let id = 0; id < places.length; id++) if (places[id]! > 0) holds(ids.internFrom(imageIds, id));
  }
  const shared = new Set<string>();
  for (let id = 0; id < ids.size; id++) if (registriesHolding[id]! > 1) shared.add(ids.digestAt(id));
  const result: EcrDuplicate[] = [];
  // Held in one registry only: that registry's own answer, its locations naming it.
  for (const inventory of inventories) {
    const { accountId, region } = inventory.registry;
    for (const d of inventory.queries.duplicates()) {
      if (shared.has(d.imageId)) continue;
      const locations = d.locations.map((l) => ({ ...(accountId !== undefined ? { accountId } : {}), region, ...l }));
      result.push({ ...duplicateOf(d.imageId, locations), ...(d.freedBytes !== undefined ? { freedBytes: d.freedBytes } : {}) });
    }
  }
  const joined: EcrDuplicate[] = [];
  for (const imageId of shared)
    joined.push(
      duplicateOf(
        imageId,
        inventories.flatMap((inventory) => locationsIn(inventory, imageId)),
      ),
    );
  addFreedBytes(joined, inventories);
  return sortDuplicates([...result, ...joined]);
}
