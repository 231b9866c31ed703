/**
 * The inventory of many registries (accounts x regions): each registry is read
 * by the single-registry inventory with its own ECR client, credentials and
 * concurrency bound (ECR's quotas are per account and region), a few
 * registries at a time so the memory of listings in flight stays bounded. A
 * registry that cannot be read becomes a RegistryFailure; the others go on.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { mapLimited } from '../concurrency/limiter';
import { InventoryOptions, inventoryEcr } from '../ecr/inventory';
import { ManifestTable } from '../ecr/manifest-table';
import { EcrInventory } from '../ecr/types';
import { EcrRegistryId, registryLabel } from '../oci/ecr-host';
import { roleSessions } from './assumed-role';
import { RegistryFailure, registryFailure } from './registry-fault';
import { OrganizationScope } from './scope';

/**
 * Registries read at once. Each reads with up to --concurrency calls in flight;
 * more registries than this gained no speed on the benchmark's machine while
 * each adds its listings in flight to the heap.
 */
export const REGISTRIES_AT_ONCE = 4;

export interface OrganizationProgress {
  registries: number;
  registriesDone: number;
  images: number;
}

export interface OrganizationInventoryOptions {
  scope: OrganizationScope;
  sts: STSClient;
  /** An ECR client in the registry's region, signing with these credentials (undefined: the caller's own). */
  ecrClientFor(registry: EcrRegistryId, credentials: AwsCredentialIdentityProvider | undefined, concurrency: number): ECRClient;
  /** ECR calls in flight per registry. */
  concurrency: number;
  registriesAtOnce?: number;
  /** Each registry's digest cache, loaded before and saved after it is read; none without --cache. */
  cacheFor?: (registry: EcrRegistryId) => Promise<ManifestTable | undefined>;
  saveCache?: (registry: EcrRegistryId, cache: ManifestTable) => Promise<void>;
  wantedTags?: ReadonlySet<string>;
  refreshBeforeMs?: number;
  /** `--assume-role-advice`, added to the error of each registry whose role cannot be assumed. */
  assumeRoleAdvice?: string;
  /** Role sessions shared with the caller (roleSessions); default: the inventory's own. */
  credentialsOf?: (roleArn: string | undefined) => AwsCredentialIdentityProvider | undefined;
  onWarning?: (message: string) => void;
  onProgress?: (progress: Readonly<OrganizationProgress>) => void;
}

export interface OrganizationInventory {
  /** The registries read, in the scope's order (account, then region). */
  inventories: EcrInventory[];
  /** The registries that could not be read, in the same order. */
  failures: RegistryFailure[];
}

export async function inventoryOrganization(options: OrganizationInventoryOptions): Promise<OrganizationInventory> {
  const { scope } = options;
  const credentialsOf =
    options.credentialsOf ??
    roleSessions({ sts: options.sts, ...(options.refreshBeforeMs !== undefined ? { refreshBeforeMs: options.refreshBeforeMs } : {}) });
  const help = {
    ...(scope.managementAccountId !== undefined ? { managementAccountId: scope.managementAccountId } : {}),
    ...(options.assumeRoleAdvice !== undefined ? { advice: options.assumeRoleAdvice } : {}),
  };
  const progress: OrganizationProgress = { registries: scope.registries.length, registriesDone: 0, images: 0 };
  const outcomes = await mapLimited(scope.registries, options.registriesAtOnce ?? REGISTRIES_AT_ONCE, async (planned) => {
    const registry = { accountId: planned.accountId, region: planned.region };
    const client = options.ecrClientFor(registry, credentialsOf(planned.roleArn), options.concurrency);
    try {
      const cache = await options.cacheFor?.(registry);
      const read: InventoryOptions = {
        client,
        concurrency: options.concurrency,
        ...(cache ? { cache } : {}),
        ...(options.wantedTags ? { wantedTags: options.wantedTags } : {}),
        onWarning: (m) => options.onWarning?.(`${registryLabel(registry)}: ${m}`),
        // The scope was learnt with these credentials (sts:GetCallerIdentity), or AssumeRole issued them.
        credentialsProven: true,
      };
      const inventory = await inventoryEcr(read);
      if (cache) await options.saveCache?.(registry, cache);
      progress.images += inventory.images;
      // ECR names no account for a registry without repositories; here it is known.
      return { ...inventory, accountId: registry.accountId, region: registry.region };
    } catch (err) {
      return registryFailure(registry, err, help);
    } finally {
      client.destroy();
      progress.registriesDone++;
      options.onProgress?.(progress);
    }
  });
  const inventories: EcrInventory[] = [];
  const failures: RegistryFailure[] = [];
  for (const outcome of outcomes) {
    if ('errorKind' in outcome) failures.push(outcome);
    else inventories.push(outcome);
  }
  return { inventories, failures };
}
