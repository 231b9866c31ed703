/**
 * The inventory of a scope's registries (one, or accounts x regions): each
 * registry is read by the registry inventory with its own ECR client,
 * credentials and concurrency bound (ECR's quotas are per account and region),
 * a few registries at a time so the memory of listings in flight stays
 * bounded. A registry that cannot be read becomes a RegistryFailure; the
 * others go on.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { mapLimited } from '../concurrency/limiter';
import { InventoryOptions, InventoryProgress, inventoryEcr } from '../ecr/inventory';
import { ManifestTable } from '../ecr/manifest-table';
import { EcrInventory } from '../ecr/types';
import { ScannedRegistryId, registryLabel } from '../oci/ecr-host';
import { RegistryFailure, registryFailure } from './registry-fault';
import { PlannedRegistry, RegistryScope, namesRegistries } from './scope';

/**
 * Registries read at once. Each reads with up to --concurrency calls in flight;
 * more registries than this gained no speed on the benchmark's machine while
 * each adds its listings in flight to the heap.
 */
export const REGISTRIES_AT_ONCE = 4;

/** How a failure names the SDK's region when the SDK has none: the read failed for that very reason. */
const NO_REGION = 'no region (set AWS_REGION)';

export interface RegistriesProgress {
  registries: number;
  registriesDone: number;
  images: number;
}

export interface RegistriesInventoryOptions {
  scope: RegistryScope;
  /** An ECR client in this region (undefined: the SDK's), signing with these credentials (undefined: the caller's own). */
  ecrClientFor(region: string | undefined, credentials: AwsCredentialIdentityProvider | undefined, concurrency: number): ECRClient;
  /** ECR calls in flight per registry. */
  concurrency: number;
  registriesAtOnce?: number;
  /** Each registry's digest cache, loaded before and saved after it is read; none without --cache. */
  cacheFor?: (registry: ScannedRegistryId) => Promise<ManifestTable | undefined>;
  saveCache?: (registry: ScannedRegistryId, cache: ManifestTable) => Promise<void>;
  wantedTags?: ReadonlySet<string>;
  /** `--assume-role-advice`, added to the error of each registry whose role cannot be assumed. */
  assumeRoleAdvice?: string;
  /** Each role's session (assumed-role.ts roleSessions), shared with the target settings' read; undefined: the caller's own. */
  credentialsOf: (roleArn: string | undefined) => AwsCredentialIdentityProvider | undefined;
  onWarning?: (message: string) => void;
  /** A scope of several registries: registries read so far (a scope of one reports onRegistryProgress instead). */
  onProgress?: (progress: Readonly<RegistriesProgress>) => void;
  /** A scope of one registry: that registry's own progress, repositories and manifests. */
  onRegistryProgress?: (progress: Readonly<InventoryProgress>) => void;
}

export interface RegistriesInventory {
  /** The registries read, in the scope's order (account, then region). */
  inventories: EcrInventory[];
  /** The registries that could not be read, in the same order. */
  failures: RegistryFailure[];
}

export async function inventoryRegistries(options: RegistriesInventoryOptions): Promise<RegistriesInventory> {
  const { scope } = options;
  const { credentialsOf } = options;
  const help = {
    ...(scope.managementAccountId !== undefined ? { managementAccountId: scope.managementAccountId } : {}),
    ...(options.assumeRoleAdvice !== undefined ? { advice: options.assumeRoleAdvice } : {}),
  };
  const progress: RegistriesProgress = { registries: scope.registries.length, registriesDone: 0, images: 0 };
  const outcomes = await mapLimited(scope.registries, options.registriesAtOnce ?? REGISTRIES_AT_ONCE, async (planned) => {
    const client = options.ecrClientFor(planned.region, credentialsOf(planned.roleArn), options.concurrency);
    // Named in a failure; the SDK's region is asked of the client, whose first call would fail the same way.
    let registry: ScannedRegistryId = {
      ...(planned.accountId !== undefined ? { accountId: planned.accountId } : {}),
      region: planned.region ?? NO_REGION,
    };
    try {
      registry = { ...registry, region: planned.region ?? (await client.config.region()) };
      const inventory = await readRegistry(options, planned, registry, client, scope.credentialsProven);
      progress.images += inventory.registry.images;
      return inventory;
    } catch (err) {
      return registryFailure(registry, err, help, { credentialsProven: scope.credentialsProven });
    } finally {
      client.destroy();
      progress.registriesDone++;
      if (namesRegistries(scope)) options.onProgress?.(progress);
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

/** One registry read with its digest cache (loaded before, saved after); throws when it cannot be read. */
async function readRegistry(
  options: RegistriesInventoryOptions,
  planned: PlannedRegistry,
  registry: ScannedRegistryId,
  client: ECRClient,
  credentialsProven: boolean,
): Promise<EcrInventory> {
  const cache = await options.cacheFor?.(registry);
  const read: InventoryOptions = {
    client,
    concurrency: options.concurrency,
    ...(cache ? { cache } : {}),
    ...(options.wantedTags ? { wantedTags: options.wantedTags } : {}),
    // A scope of one registry speaks of it alone: its messages need no label.
    onWarning: (m) => options.onWarning?.(namesRegistries(options.scope) ? `${registryLabel(registry)}: ${m}` : m),
    ...(options.onRegistryProgress && !namesRegistries(options.scope) ? { onProgress: options.onRegistryProgress } : {}),
    credentialsProven,
  };
  const inventory = await inventoryEcr(read);
  if (cache) await options.saveCache?.(registry, cache);
  // ECR names no account for a registry without repositories; where the scope knew it, it is said.
  return planned.accountId !== undefined ? { ...inventory, registry: { ...inventory.registry, accountId: planned.accountId } } : inventory;
}
