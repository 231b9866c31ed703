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

export function inventoryKnowledge(inventory: Promise<EcrInventory>, cache: ManifestTable | undefined): ManifestKnowledge {
  return {
    lookup: async (digest) => cache?.get(digest) ?? (await inventory).lookupManifest(digest),
    remember: (digest, summary) => cache?.set(digest, summary),
  };
}

export function scannedRegistry(inventory: Promise<EcrInventory>): ScannedRegistry {
  return {
    isScanned: async (registry) => {
      const ecr = parseEcrHost(registry);
      if (!ecr) return false;
      const { accountId, region } = await inventory;
      return ecr.accountId === accountId && ecr.region === region;
    },
    lookupTag: async (repository, tag) => (await inventory).lookupTag(repository, tag),
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
