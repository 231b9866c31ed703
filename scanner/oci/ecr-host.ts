/**
 * Amazon ECR's registry hosts: the one place that knows their grammar.
 *
 *   <account>.dkr.ecr.<region>.amazonaws.com            standard (IPv4)
 *   <account>.dkr.ecr-fips.<region>.amazonaws.com       FIPS
 *   <account>.dkr-ecr.<region>.on.aws                   dual-stack (IPv4 and IPv6)
 *   <account>.dkr-ecr-fips.<region>.on.aws              dual-stack FIPS
 *   ...amazonaws.com.cn, ...on.amazonwebservices.com.cn China regions (cn-*) only
 *
 * Parsing and formatting live together so a host the scanner writes (a match's URI, the plan's
 * target) is always one it would read back.
 */

/** The registry of one AWS account in one region. */
export interface EcrRegistryId {
  /** 12 digits. */
  accountId: string;
  region: string;
}

export type EcrEndpointKind = 'standard' | 'fips' | 'dualstack' | 'dualstack-fips';

export interface EcrHost extends EcrRegistryId {
  kind: EcrEndpointKind;
}

const ACCOUNT = '(\\d{12})';
const REGION = '([a-z]{2}(?:-[a-z]+)+-\\d+)';
const IPV4_HOST = new RegExp(`^${ACCOUNT}\\.dkr\\.ecr(-fips)?\\.${REGION}\\.amazonaws\\.com(\\.cn)?$`);
const DUALSTACK_HOST = new RegExp(`^${ACCOUNT}\\.dkr-ecr(-fips)?\\.${REGION}\\.(on\\.aws|on\\.amazonwebservices\\.com\\.cn)$`);

const ACCOUNT_ID = /^\d{12}$/;
const REGION_NAME = new RegExp(`^${REGION}$`);

export function isAccountId(value: string): boolean {
  return ACCOUNT_ID.test(value);
}

export function isRegionName(value: string): boolean {
  return REGION_NAME.test(value);
}

function isChina(region: string): boolean {
  return region.startsWith('cn-');
}

/** The ECR registry a host names, or undefined when it is not an ECR private registry host. */
export function parseEcrHost(host: string): EcrHost | undefined {
  const lower = host.toLowerCase();
  const ipv4 = IPV4_HOST.exec(lower);
  if (ipv4) {
    const [, accountId, fips, region, china] = ipv4 as unknown as [string, string, string | undefined, string, string | undefined];
    // A partition's suffix belongs to its own regions only; anything else is not an ECR host.
    if (Boolean(china) !== isChina(region)) return undefined;
    return { accountId, region, kind: fips ? 'fips' : 'standard' };
  }
  const dual = DUALSTACK_HOST.exec(lower);
  if (dual) {
    const [, accountId, fips, region, suffix] = dual as unknown as [string, string, string | undefined, string, string];
    if ((suffix !== 'on.aws') !== isChina(region)) return undefined;
    return { accountId, region, kind: fips ? 'dualstack-fips' : 'dualstack' };
  }
  return undefined;
}

/** The host of a registry; the standard (IPv4) form unless another kind is asked for. */
export function formatEcrHost(registry: EcrRegistryId, kind: EcrEndpointKind = 'standard'): string {
  const { accountId, region } = registry;
  const china = isChina(region);
  switch (kind) {
    case 'standard':
    case 'fips':
      return `${accountId}.dkr.ecr${kind === 'fips' ? '-fips' : ''}.${region}.amazonaws.com${china ? '.cn' : ''}`;
    case 'dualstack':
    case 'dualstack-fips':
      return `${accountId}.dkr-ecr${kind === 'dualstack-fips' ? '-fips' : ''}.${region}.${china ? 'on.amazonwebservices.com.cn' : 'on.aws'}`;
  }
}

/** A registry a scan reads: its account is unknown until ECR names it when the scan did not ask STS. */
export interface ScannedRegistryId {
  accountId?: string;
  region: string;
}

/** `account/region` (the region alone while the account is unknown), the short name a report or a log line gives a registry. */
export function registryLabel(registry: ScannedRegistryId): string {
  return registry.accountId !== undefined ? `${registry.accountId}/${registry.region}` : registry.region;
}

/**
 * The same grammar as a bash `[[ =~ ]]` pattern (ERE), for copy.sh, which needs the target's region.
 * The region is BASH_REMATCH[3] for the IPv4 forms and BASH_REMATCH[6] for the dual-stack ones
 * (the other is empty).
 */
export const ECR_HOST_BASH_PATTERN =
  '^[0-9]{12}\\.(dkr\\.ecr(-fips)?\\.([a-z0-9-]+)\\.amazonaws\\.com(\\.cn)?|dkr-ecr(-fips)?\\.([a-z0-9-]+)\\.on\\.(aws|amazonwebservices\\.com\\.cn))$';
