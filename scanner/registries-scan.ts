/**
 * The registries side of every scan: decide the scope (the credentials' own registry, or accounts x
 * regions), read each registry with its own credentials, digest cache and concurrency, read the plan's
 * target registry's settings, and join what they hold. One registry is a scope of one: it is read,
 * reported and failed exactly as the same registry named with --region/--account.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { CacheLocation, loadCache, saveCache } from './ecr/cache-store';
import { InventoryProgress } from './ecr/inventory';
import { ManifestTable } from './ecr/manifest-table';
import { TargetRegistrySettings, readTargetRegistrySettings } from './ecr/registry-settings';
import { EcrDuplicate, EcrInventory } from './ecr/types';
import { FatalError } from './errors/fatal-error';
import { Logger, PhaseProgress } from './log/progress';
import { ScannedRegistryId, registryLabel } from './oci/ecr-host';
import { roleSessions } from './scope/assumed-role';
import { duplicatesAcross } from './scope/duplicates-across';
import { inventoryRegistries } from './scope/registries-inventory';
import { RegistryFailure } from './scope/registry-fault';
import { PlannedRegistry, RegistryScope, ScopeRequest, namesRegistries, planScope } from './scope/scope';
import { registryCacheKey } from './storage/s3-layout';

/** The AWS clients a scan makes. */
export interface AwsClients {
  /** An ECR client in this region (undefined: the SDK's), signing with these credentials (undefined: the caller's own); the scan destroys it. */
  ecrClientFor(region: string | undefined, credentials: AwsCredentialIdentityProvider | undefined, concurrency: number): ECRClient;
  /** Asked for only when the scope needs the caller's account or another account's role (scope.ts). */
  sts: () => STSClient;
  /** Asked for only with --organization. */
  organizations: () => OrganizationsClient;
  /** Assumed-role credentials are renewed this long before they expire (default 5 minutes). */
  refreshBeforeMs?: number;
}

export interface RegistriesEvidence {
  /** The registries read, in the scope's order. */
  inventories: EcrInventory[];
  /** The registries that could not be read (never all of them: then the scan stops). */
  failures: RegistryFailure[];
  /** Duplicates across the registries (each location naming its registry) in a scope of many, else the registry's own. */
  duplicates: EcrDuplicate[];
  /** The scope has more than one registry: matches and duplicate locations name theirs. */
  nameRegistries: boolean;
  /** The plan's target registry (its account unknown only when the scope did not ask STS and ECR named none). */
  target: ScannedRegistryId;
  /** The target's inventory, when it was among the registries read. */
  targetInventory?: EcrInventory;
  /** Its pull-through cache rules and blob mounting, read through its own account's session. */
  targetSettings: TargetRegistrySettings;
}

export interface RegistriesScanContext {
  request: ScopeRequest;
  aws: AwsClients;
  concurrency: number;
  wantedTags: ReadonlySet<string>;
  logger: Logger;
  progress: PhaseProgress;
  cacheLocation?: CacheLocation;
  /** The digest cache loaded from cacheLocation itself (the sources'); the credentials' own registry, read alone, keeps its manifests there too. */
  sourcesCache?: ManifestTable;
  s3Client: () => S3Client;
}

/** No registry of the scope could be read: nothing could be compared, the scan stops with exit status 2. */
export class ScopeUnreadError extends FatalError {}

/**
 * A registry whose account the scope knew keeps its own digest cache beside the one named (storage/s3-layout.ts,
 * which the stack grants by); the credentials' own registry read alone has none of its own (undefined): its
 * manifests live beside the sources', in the table the scan saves.
 */
function registryCacheLocation(location: CacheLocation, { accountId, region }: ScannedRegistryId): CacheLocation | undefined {
  if (accountId === undefined) return undefined;
  return location.kind === 'file'
    ? { kind: 'file', path: registryCacheKey(location.path, { accountId, region }) }
    : { ...location, key: registryCacheKey(location.key, { accountId, region }) };
}

/** Where each registry's digest cache comes from and goes to; none without --cache. */
function registryCaches(context: RegistriesScanContext) {
  const { cacheLocation, logger } = context;
  if (!cacheLocation) return {};
  return {
    cacheFor: async (registry: ScannedRegistryId) => {
      const own = registryCacheLocation(cacheLocation, registry);
      if (!own) return context.sourcesCache;
      const loaded = await loadCache(own, context.s3Client);
      for (const w of loaded.warnings) logger.warn(`${registryLabel(registry)}: ${w}`);
      return loaded.cache;
    },
    saveCache: async (registry: ScannedRegistryId, cache: ManifestTable) => {
      const own = registryCacheLocation(cacheLocation, registry);
      if (!own) return;
      const warning = await saveCache(own, cache, context.s3Client);
      if (warning) logger.warn(`${registryLabel(registry)}: ${warning}`);
    },
  };
}

function logScope(scope: RegistryScope, context: RegistriesScanContext): void {
  if (!namesRegistries(scope)) return;
  const accounts = new Set(scope.registries.map((r) => r.accountId)).size;
  const regions = new Set(scope.registries.map((r) => r.region)).size;
  const target =
    scope.target.accountId !== undefined && scope.target.region !== undefined
      ? `; plan target ${registryLabel({ ...scope.target, region: scope.target.region })}`
      : '';
  context.logger.info(`scope: ${scope.registries.length} registries (${accounts} account(s) x ${regions} region(s))${target}`);
}

function registryProgressLine(p: Readonly<InventoryProgress>): string {
  return (
    `${p.repositoriesDone}/${p.repositoriesListed}${p.listingDone ? '' : '+'} repositories, ${p.images} images, ` +
    `${p.manifestsFetched} manifests read${p.manifestsFromCache ? `, ${p.manifestsFromCache} from cache` : ''}`
  );
}

/**
 * Decides the scope (a failure there is fatal), then reads its registries and the target's settings
 * while the caller resolves sources. `done` rejects with a ScopeUnreadError when no registry could be read.
 */
export async function startRegistriesScan(context: RegistriesScanContext): Promise<{ done: Promise<RegistriesEvidence> }> {
  const { logger, aws } = context;
  let sts: STSClient | undefined;
  const stsClient = () => (sts ??= aws.sts());
  const scope = await planScope(context.request, { sts: stsClient, organizations: aws.organizations });
  logScope(scope, context);
  const credentialsOf = roleSessions({
    sts: stsClient,
    ...(aws.refreshBeforeMs !== undefined ? { refreshBeforeMs: aws.refreshBeforeMs } : {}),
  });
  const targetSettings = readTarget(aws, scope, credentialsOf(scope.target.roleArn));
  // Observed below; this keeps an early failure from being reported as unhandled meanwhile.
  targetSettings.catch(() => undefined);
  const inventory = inventoryRegistries({
    scope,
    credentialsOf,
    ecrClientFor: aws.ecrClientFor,
    concurrency: context.concurrency,
    wantedTags: context.wantedTags,
    ...(context.request.assumeRoleAdvice !== undefined ? { assumeRoleAdvice: context.request.assumeRoleAdvice } : {}),
    ...registryCaches(context),
    onWarning: (m) => logger.warn(m),
    onProgress: (p) =>
      context.progress.update(`${p.registriesDone}/${p.registries} registries, ${p.images} images`, p.registriesDone === p.registries),
    onRegistryProgress: (p) =>
      context.progress.update(registryProgressLine(p), p.listingDone && p.repositoriesDone === p.repositoriesListed),
  });
  const done = inventory.then(async ({ inventories, failures }) => {
    if (inventories.length === 0) {
      await targetSettings.catch(() => undefined);
      throw new ScopeUnreadError(
        failures.length === 1 ? failures[0]!.error : `no registry of the scope could be read: ${failures.map((f) => f.error).join('; ')}`,
      );
    }
    for (const f of failures) logger.warn(`registry not read: ${f.error}`);
    const nameRegistries = namesRegistries(scope);
    const { settings, region } = await targetSettings;
    const targetInventory = inventoryOf(scope.target, inventories);
    const accountId = scope.target.accountId ?? targetInventory?.registry.accountId;
    return {
      inventories,
      failures,
      duplicates: nameRegistries ? duplicatesAcross(inventories) : inventories.flatMap((i) => i.queries.duplicates()),
      nameRegistries,
      target: { ...(accountId !== undefined ? { accountId } : {}), region },
      ...(targetInventory ? { targetInventory } : {}),
      targetSettings: settings,
    };
  });
  return { done };
}

/** The inventory of the planned registry: the only one in a scope that did not ask STS, else the one of its account and region. */
function inventoryOf(planned: PlannedRegistry, inventories: readonly EcrInventory[]): EcrInventory | undefined {
  if (planned.accountId === undefined) return inventories[0];
  return inventories.find(
    (i) => i.registry.accountId === planned.accountId && (planned.region === undefined || i.registry.region === planned.region),
  );
}

/** The target registry's settings and region, with a client of its own (its account's session, its region), closed after. */
async function readTarget(
  aws: AwsClients,
  scope: RegistryScope,
  credentials: AwsCredentialIdentityProvider | undefined,
): Promise<{ settings: TargetRegistrySettings; region: string }> {
  const client = aws.ecrClientFor(scope.target.region, credentials, 2);
  try {
    const region = scope.target.region ?? (await client.config.region());
    // A scope of one speaks of its registry alone: its warnings need no label.
    const label = namesRegistries(scope) ? registryLabel({ ...scope.target, region }) : undefined;
    return { settings: await readTargetRegistrySettings(client, label), region };
  } finally {
    client.destroy();
  }
}
