/**
 * What source resolution may learn from the ECR inventory and the digest
 * cache instead of a source registry: manifests ECR holds by the same digest,
 * and sources that live in the scanned registry itself.
 */
import { ManifestTable } from '../ecr/manifest-table';
import { EcrInventory } from '../ecr/types';
import { ValidSource } from '../input/input-file';
import { parseEcrHost } from '../oci/ecr-host';
import { ManifestKnowledge, ScannedRegistry } from './resolve';

/** ECR's facts of a digest from any registry scanned (one, or each of a scope of several). */
export function inventoryKnowledge(inventories: Promise<readonly EcrInventory[]>, cache: ManifestTable | undefined): ManifestKnowledge {
  return {
    lookup: async (digest) => {
      const cached = cache?.get(digest);
      if (cached) return cached;
      for (const inventory of await inventories) {
        const facts = inventory.queries.lookupManifest(digest);
        if (facts) return facts;
      }
      return undefined;
    },
    remember: (digest, facts) => cache?.set(digest, facts),
  };
}

/** Sources in one of the registries scanned are answered from its inventory, not the registry API. */
export function scannedRegistry(inventories: Promise<readonly EcrInventory[]>): ScannedRegistry {
  const inventoryOf = async (registry: string) => {
    const ecr = parseEcrHost(registry);
    if (!ecr) return undefined;
    return (await inventories).find((i) => i.registry.accountId === ecr.accountId && i.registry.region === ecr.region);
  };
  return {
    isScanned: async (registry) => (await inventoryOf(registry)) !== undefined,
    lookupTag: async (registry, repository, tag) => (await inventoryOf(registry))?.queries.lookupTag(repository, tag),
  };
}

/** `repository:tag` of every tagged source on an ECR host: the only tags the inventory must remember. */
export function scannedRegistryTags(sources: readonly ValidSource[]): Set<string> {
  const wanted = new Set<string>();
  for (const { reference } of sources) {
    if (reference.tag !== undefined && reference.digest === undefined && parseEcrHost(reference.registry)) {
      wanted.add(`${reference.repository}:${reference.tag}`);
    }
  }
  return wanted;
}
