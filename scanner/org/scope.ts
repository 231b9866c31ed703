/**
 * Which registries an organization scan reads: every (account, region) of the
 * accounts asked for (or every ACTIVE account of the organization) and the
 * regions asked for, and how each is reached: the caller's own account with
 * its own credentials, every other through the member read role.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import { FatalError } from '../errors/fatal-error';
import { EcrRegistryId, isAccountId, isRegionName, parseEcrHost } from '../oci/ecr-host';
import { MAX_ROLE_NAME, isRoleName } from '../settings/member-role';

export { DEFAULT_MEMBER_ROLE_NAME } from '../settings/member-role';

/** What the command line asked for (`--region`, `--account`/`--organization`, `--role-name`, `--target-registry`). */
export interface OrganizationRequest {
  regions: string[];
  /** Account IDs, or every ACTIVE account of the organization. */
  accounts: string[] | 'organization';
  roleName: string;
  /** The plan's target host; default the caller's account in the first region. */
  targetRegistry?: string;
  /** Added to the error of each registry whose role cannot be assumed: what creates the role, how to re-run (`--assume-role-advice`). */
  assumeRoleAdvice?: string;
}

export interface PlannedRegistry extends EcrRegistryId {
  /** The role to assume; none for the caller's own account. */
  roleArn?: string;
}

export interface OrganizationScope {
  callerAccountId: string;
  /** With --organization: the management account, where service-managed StackSets never put the read role. */
  managementAccountId?: string;
  registries: PlannedRegistry[];
  target: EcrRegistryId;
  /** The role that reads the target registry's settings; none when it is in the caller's own account. */
  targetRoleArn?: string;
}

/** Scope cannot be decided (caller unknown, ListAccounts refused): nothing is scanned, exit 2. */
export class OrganizationScopeError extends FatalError {}

/** Checks what parsing alone can; returns the problem in words, or undefined. */
export function organizationRequestProblem(request: OrganizationRequest): string | undefined {
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
    throw new OrganizationScopeError(
      `--organization: organizations:ListAccounts failed (run from the management account or a delegated administrator, ` +
        `with the permission organizations:ListAccounts): ${(err as Error).name}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return { ids, ...(managementAccountId !== undefined ? { managementAccountId } : {}) };
}

export async function planOrganizationScope(
  request: OrganizationRequest,
  clients: { sts: STSClient; organizations: () => OrganizationsClient },
): Promise<OrganizationScope> {
  let identity;
  try {
    identity = await clients.sts.send(new GetCallerIdentityCommand({}));
  } catch (err) {
    throw new OrganizationScopeError(
      `cannot tell the caller's account (sts:GetCallerIdentity): ${(err as Error).name}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const callerAccountId = identity.Account;
  if (!callerAccountId) throw new OrganizationScopeError('sts:GetCallerIdentity returned no account');
  const partition = partitionOf(identity.Arn);
  let listed: readonly string[] = request.accounts === 'organization' ? [] : request.accounts;
  let managementAccountId: string | undefined;
  if (request.accounts === 'organization') ({ ids: listed, managementAccountId } = await organizationAccounts(clients.organizations()));
  // The caller's own account is always read with its own credentials; with --organization it is listed anyway.
  // No account named (`--region` alone): the caller's own account in those regions, never no registry at all.
  const own = request.accounts === 'organization' || listed.length === 0;
  const accounts = [...new Set(own ? [callerAccountId, ...listed] : listed)].sort();
  const roleOf = (accountId: string) =>
    accountId === callerAccountId ? {} : { roleArn: `arn:${partition}:iam::${accountId}:role/${request.roleName}` };
  const registries: PlannedRegistry[] = [];
  for (const accountId of accounts) {
    for (const region of request.regions) registries.push({ accountId, region, ...roleOf(accountId) });
  }
  const named = request.targetRegistry !== undefined ? parseEcrHost(request.targetRegistry) : undefined;
  const target = named ? { accountId: named.accountId, region: named.region } : { accountId: callerAccountId, region: request.regions[0]! };
  const targetRole = roleOf(target.accountId).roleArn;
  return {
    callerAccountId,
    ...(managementAccountId !== undefined ? { managementAccountId } : {}),
    registries,
    target,
    ...(targetRole !== undefined ? { targetRoleArn: targetRole } : {}),
  };
}
