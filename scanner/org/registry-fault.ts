/** Why one registry of an organization scan could not be read, in words and as a kind a script can branch on. */
import { EcrRegistryId, registryLabel } from '../oci/ecr-host';
import { AssumeRoleError } from './assumed-role';

export type RegistryErrorKind =
  /** sts:AssumeRole of the member read role failed (no such role, not trusted, denied). */
  | 'assume-role'
  /** The account has not enabled the region (AWS refuses any credentials there). */
  | 'region-not-enabled'
  /** An ECR read action was denied. */
  | 'denied'
  /** ECR throttled past the SDK's retries. */
  | 'rate-limited'
  /** Credentials missing, expired or refused. */
  | 'credentials'
  | 'failed';

export interface RegistryFailure {
  registry: EcrRegistryId;
  error: string;
  errorKind: RegistryErrorKind;
}

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && chain.length < 8; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

const nameOf = (e: unknown) => (e as { name?: string })?.name ?? '';

export function classifyRegistryError(err: unknown): RegistryErrorKind {
  const chain = causes(err);
  if (chain.some((e) => e instanceof AssumeRoleError)) return 'assume-role';
  const names = new Set(chain.map(nameOf));
  if (names.has('UnrecognizedClientException')) return 'region-not-enabled';
  if (names.has('AccessDeniedException') || names.has('AccessDenied')) return 'denied';
  if (names.has('ThrottlingException') || names.has('TooManyRequestsException')) return 'rate-limited';
  if (['ExpiredTokenException', 'ExpiredToken', 'InvalidSignatureException', 'CredentialsProviderError'].some((n) => names.has(n)))
    return 'credentials';
  return 'failed';
}

/** What the scan knows that helps with a role that cannot be assumed. */
export interface AssumeRoleHelp {
  /** The organization's management account, when --organization learnt it. */
  managementAccountId?: string;
  /** `--assume-role-advice`: what creates the role and how to re-run (the pipeline names its stacks). */
  advice?: string;
}

/** The words after an assume-role error: why the management account has no role, and what to do. */
function assumeRoleWhy(registry: EcrRegistryId, help: AssumeRoleHelp): string {
  const management =
    registry.accountId === help.managementAccountId
      ? ` (${registry.accountId} is the organization's management account, where service-managed StackSets never deploy: its read role comes from a stack of its own there)`
      : '';
  return `${management}${help.advice !== undefined ? `; to read it: ${help.advice}` : ''}`;
}

export function registryFailure(registry: EcrRegistryId, err: unknown, help: AssumeRoleHelp = {}): RegistryFailure {
  const errorKind = classifyRegistryError(err);
  const why =
    errorKind === 'region-not-enabled'
      ? ' (is the region enabled for the account?)'
      : errorKind === 'assume-role'
        ? assumeRoleWhy(registry, help)
        : '';
  return { registry, errorKind, error: `${registryLabel(registry)}: ${(err as Error)?.message ?? String(err)}${why}` };
}
