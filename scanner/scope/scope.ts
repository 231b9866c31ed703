/**
 * Which registries a scan reads, and how each is reached. Without options, the scope is one registry:
 * the credentials' own in the SDK's region, whose account ECR names (DescribeRepositories' registryId),
 * so no STS call is made. `--region`, `--account`/`--organization` and `--target-registry` widen it to
 * every (account, region) asked for (or every ACTIVE account of the organization): the caller's own
 * account with its own credentials, every other through the member read role. Both are the same kind
 * of scope, read, reported and failed the same way (registries-scan.ts); only how it is decided differs.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import { FatalError } from '../errors/fatal-error';
import { isAccountId, isRegionName, parseEcrHost } from '../oci/ecr-host';
import { DEFAULT_MEMBER_ROLE_NAME, MAX_ROLE_NAME, isRoleName } from '../settings/member-role';

export { DEFAULT_MEMBER_ROLE_NAME };

/** What the command line asked for (`--region`, `--account`/`--organization`, `--role-name`, `--target-registry`). */
export interface ScopeRequest {
  /** Region names; none: the SDK's region. */
  regions: string[];
  /** Account IDs (none: the caller's own), or every ACTIVE account of the organization. */
  accounts: string[] | 'organization';
  roleName: string;
  /** The plan's target host; default the first registry of the scope. */
  targetRegistry?: string;
  /** Added to the error of each registry whose role cannot be assumed: what creates the role, how to re-run (`--assume-role-advice`). */
  assumeRoleAdvice?: string;
}

/** The scope without options: the credentials' own registry in the SDK's region. */
export const OWN_REGISTRY: ScopeRequest = Object.freeze({ regions: [], accounts: [], roleName: DEFAULT_MEMBER_ROLE_NAME });

/** A registry of the scope, as known before it is read. */
export interface PlannedRegistry {
  /** Undefined when the scope was decided without STS (the credentials' own account): ECR names it. */
  accountId?: string;
  /** Undefined: the SDK's region. */
  region?: string;
  /** The role to assume; none for the caller's own account. */
  roleArn?: string;
}

export interface RegistryScope {
  /** Known when STS was asked (every scope but the credentials' own registry alone). */
  callerAccountId?: string;
  /** With --organization: the management account, where service-managed StackSets never put the read role. */
  managementAccountId?: string;
  registries: PlannedRegistry[];
  /** The plan's target: the first registry, unless --target-registry named one. */
  target: PlannedRegistry;
  /**
   * AWS accepted the caller's credentials while the scope was decided (sts:GetCallerIdentity), so an
   * UnrecognizedClientException from a registry means its region, not the key (errors/aws-error.ts).
   */
  credentialsProven: boolean;
}

/** Scope cannot be decided (caller unknown, ListAccounts refused): nothing is scanned, exit 2. */
export class ScopeError extends FatalError {}

/** --assume-role-advice is repeated in the error of every registry it applies to: one short line. */
const MAX_ASSUME_ROLE_ADVICE = 500;

/** Whether the scope has several registries: then matches, duplicates and messages name each one's registry. */
export function namesRegistries(scope: RegistryScope): boolean {
  return scope.registries.length > 1;
}

/** Checks what parsing alone can; returns the problem in words, or undefined. */
export function scopeRequestProblem(request: ScopeRequest): string | undefined {
  const advice = request.assumeRoleAdvice;
  if (advice !== undefined && (advice.length > MAX_ASSUME_ROLE_ADVICE || /\p{Cc}/u.test(advice)))
    return `--assume-role-advice expects one line of at most ${MAX_ASSUME_ROLE_ADVICE} characters`;
  const badRegion = request.regions.find((r) => !isRegionName(r));
  if (badRegion !== undefined) return `--region expects a region name such as eu-west-1, got "${badRegion}"`;
  if (request.accounts !== 'organization') {
    const bad = request.accounts.find((a) => !isAccountId(a));
    if (bad !== undefined) return `--account expects a 12-digit account ID, got "${bad}"`;
  }
  if (request.roleName.length > MAX_ROLE_NAME || !isRoleName(request.roleName))
    return `--role-name expects an IAM role name, got "${request.roleName}"`;
  if (request.targetRegistry !== undefined && !parseEcrHost(request.targetRegistry)) {
    return `--target-registry expects <account>.dkr.ecr.<region>.amazonaws.com, got "${request.targetRegistry}"`;
  }
  return undefined;
}

/** Partition of the caller's ARN (arn:aws:…, arn:aws-cn:…), so role ARNs are in the same one. */
function partitionOf(arn: string | undefined): string {
  return /^arn:([^:]+):/.exec(arn ?? '')?.[1] ?? 'aws';
}

/** An account's ARN names the organization's management account: arn:aws:organizations::<management>:account/o-…/<id>. */
const ACCOUNT_ARN = /^arn:[^:]+:organizations::(\d{12}):account\//;

/** The ACTIVE accounts, and the management account as their ARNs name it. */
async function organizationAccounts(client: OrganizationsClient): Promise<{ ids: string[]; managementAccountId?: string }> {
  const ids: string[] = [];
  let managementAccountId: string | undefined;
  try {
    for await (const page of paginateListAccounts({ client }, {})) {
      for (const account of page.Accounts ?? []) {
        managementAccountId ??= ACCOUNT_ARN.exec(account.Arn ?? '')?.[1];
        // State supersedes Status (2025); either says whether the account can be read.
        const state = (account as { State?: string }).State ?? account.Status;
        if (account.Id && state === 'ACTIVE') ids.push(account.Id);
      }
    }
  } catch (err) {
    throw new ScopeError(
      `--organization: organizations:ListAccounts failed (run from the management account or a delegated administrator, ` +
        `with the permission organizations:ListAccounts): ${(err as Error).name}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return { ids, ...(managementAccountId !== undefined ? { managementAccountId } : {}) };
}

/**
 * Whether deciding the scope needs the caller's account: to name other accounts' roles, to tell
 * whether a named target is the caller's, or to keep a digest cache per (account, region).
 */
function needsCallerAccount(request: ScopeRequest): boolean {
  return (
    request.accounts === 'organization' || request.accounts.length > 0 || request.targetRegistry !== undefined || request.regions.length > 1
  );
}

async function callerIdentity(sts: STSClient): Promise<{ accountId: string; partition: string }> {
  let identity;
  try {
    identity = await sts.send(new GetCallerIdentityCommand({}));
  } catch (err) {
    throw new ScopeError(`cannot tell the caller's account (sts:GetCallerIdentity): ${(err as Error).name}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!identity.Account) throw new ScopeError('sts:GetCallerIdentity returned no account');
  return { accountId: identity.Account, partition: partitionOf(identity.Arn) };
}

export async function planScope(
  request: ScopeRequest,
  clients: { sts: () => STSClient; organizations: () => OrganizationsClient },
): Promise<RegistryScope> {
  if (!needsCallerAccount(request)) {
    // The credentials' own account in one region: nothing to assume, nothing to tell apart.
    const own: PlannedRegistry = request.regions[0] !== undefined ? { region: request.regions[0] } : {};
    return { registries: [own], target: own, credentialsProven: false };
  }
  const caller = await callerIdentity(clients.sts());
  let listed: readonly string[] = request.accounts === 'organization' ? [] : request.accounts;
  let managementAccountId: string | undefined;
  if (request.accounts === 'organization') ({ ids: listed, managementAccountId } = await organizationAccounts(clients.organizations()));
  // The caller's own account is always read with its own credentials; with --organization it is listed anyway.
  // No account named (`--region` alone): the caller's own account in those regions, never no registry at all.
  const own = request.accounts === 'organization' || listed.length === 0;
  const accounts = [...new Set(own ? [caller.accountId, ...listed] : listed)].sort();
  const reach = (accountId: string, region: string | undefined): PlannedRegistry => ({
    accountId,
    ...(region !== undefined ? { region } : {}),
    ...(accountId === caller.accountId ? {} : { roleArn: `arn:${caller.partition}:iam::${accountId}:role/${request.roleName}` }),
  });
  // No region named: the SDK's, as for the credentials' own registry.
  const regions: Array<string | undefined> = request.regions.length > 0 ? request.regions : [undefined];
  const registries = accounts.flatMap((accountId) => regions.map((region) => reach(accountId, region)));
  const named = request.targetRegistry !== undefined ? parseEcrHost(request.targetRegistry) : undefined;
  return {
    callerAccountId: caller.accountId,
    ...(managementAccountId !== undefined ? { managementAccountId } : {}),
    registries,
    target: named ? reach(named.accountId, named.region) : reach(caller.accountId, regions[0]),
    credentialsProven: true,
  };
}
