/**
 * The organization side of a scan: decide the registries (accounts x
 * regions), read them all with each one's credentials, digest cache and
 * concurrency, and join what they hold. The single-registry scan never comes
 * here.
 */
import { registryCacheKey } from './storage/s3-layout';
import { ECRClient } from '@aws-sdk/client-ecr';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { CacheLocation, loadCache, saveCache } from './ecr/cache-store';
import { EcrDuplicate, EcrInventory } from './ecr/types';
import { Logger, PhaseProgress } from './log/progress';
import { EcrRegistryId, registryLabel } from './oci/ecr-host';
import { duplicatesAcross } from './org/duplicates-across';
import { inventoryOrganization } from './org/organization-inventory';
import { RegistryFailure } from './org/registry-fault';
import { roleSessions } from './org/assumed-role';
import { TargetRegistrySettings, readTargetRegistrySettings } from './ecr/registry-settings';
import { OrganizationRequest, planOrganizationScope } from './org/scope';

export interface OrganizationRun {
  request: OrganizationRequest;
  sts: () => STSClient;
  organizations: () => OrganizationsClient;
  /** An ECR client in the registry's region, signing with these credentials (undefined: the caller's own). */
  ecrClientFor(registry: EcrRegistryId, credentials: AwsCredentialIdentityProvider | undefined, concurrency: number): ECRClient;
  /** Assumed-role credentials are renewed this long before they expire (default 5 minutes). */
  refreshBeforeMs?: number;
}

export interface OrganizationEvidence {
  inventories: EcrInventory[];
  failures: RegistryFailure[];
  duplicates: EcrDuplicate[];
  /** The plan's target registry. */
  target: EcrRegistryId;
  /** Its pull-through cache rules and blob mounting, read through its own account's session. */
  targetSettings: TargetRegistrySettings;
}

export interface OrganizationScanContext {
  concurrency: number;
  wantedTags: ReadonlySet<string>;
  logger: Logger;
  progress: PhaseProgress;
  cacheLocation?: CacheLocation;
  s3Client: () => S3Client;
}

/** Each registry keeps its own digest cache beside the one named (storage/s3-layout.ts, which the stack grants by). */
export function registryCacheLocation(location: CacheLocation, registry: EcrRegistryId): CacheLocation {
  return location.kind === 'file'
    ? { kind: 'file', path: registryCacheKey(location.path, registry) }
    : { ...location, key: registryCacheKey(location.key, registry) };
}

export async function startOrganizationScan(
  run: OrganizationRun,
  context: OrganizationScanContext,
): Promise<{ done: Promise<OrganizationEvidence> }> {
  const { logger } = context;
  const sts = run.sts();
  const scope = await planOrganizationScope(run.request, { sts, organizations: run.organizations });
  logger.info(
    `organization: ${scope.registries.length} registries (${new Set(scope.registries.map((r) => r.accountId)).size} account(s) x ` +
      `${run.request.regions.length} region(s)); plan target ${registryLabel(scope.target)}`,
  );
  const { cacheLocation } = context;
  const credentialsOf = roleSessions({ sts, ...(run.refreshBeforeMs !== undefined ? { refreshBeforeMs: run.refreshBeforeMs } : {}) });
  const targetSettings = readOrganizationTarget(run, scope.target, credentialsOf(scope.targetRoleArn));
  const inventory = inventoryOrganization({
    scope,
    sts,
    credentialsOf,
    ecrClientFor: run.ecrClientFor,
    concurrency: context.concurrency,
    wantedTags: context.wantedTags,
    ...(run.refreshBeforeMs !== undefined ? { refreshBeforeMs: run.refreshBeforeMs } : {}),
    ...(run.request.assumeRoleAdvice !== undefined ? { assumeRoleAdvice: run.request.assumeRoleAdvice } : {}),
    ...(cacheLocation
      ? {
          cacheFor: async (registry: EcrRegistryId) => {
            const loaded = await loadCache(registryCacheLocation(cacheLocation, registry), context.s3Client);
            for (const w of loaded.warnings) logger.warn(`${registryLabel(registry)}: ${w}`);
            return loaded.cache;
          },
          saveCache: async (registry: EcrRegistryId, cache) => {
            const warning = await saveCache(registryCacheLocation(cacheLocation, registry), cache, context.s3Client);
            if (warning) logger.warn(`${registryLabel(registry)}: ${warning}`);
          },
        }
      : {}),
    onWarning: (m) => logger.warn(m),
    onProgress: (p) =>
      context.progress.update(`${p.registriesDone}/${p.registries} registries, ${p.images} images`, p.registriesDone === p.registries),
  });
  const done = Promise.all([inventory, targetSettings]).then(([{ inventories, failures }, settings]) => {
    for (const f of failures) logger.warn(`registry not read: ${f.error}`);
    return { inventories, failures, duplicates: duplicatesAcross(inventories), target: scope.target, targetSettings: settings };
  });
  return { done };
}

/** The target registry's settings, with a client of its own (its account's session, its region), closed after. */
async function readOrganizationTarget(
  run: OrganizationRun,
  target: EcrRegistryId,
  credentials: AwsCredentialIdentityProvider | undefined,
): Promise<TargetRegistrySettings> {
  const client = run.ecrClientFor(target, credentials, 2);
  try {
    return await readTargetRegistrySettings(client, registryLabel(target));
  } finally {
    client.destroy();
  }
}
