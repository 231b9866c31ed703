/** Why one registry of a scope could not be read, in words and as a kind a script can branch on. */
import { ScannedRegistryId, registryLabel } from '../oci/ecr-host';
import { AwsErrorContext, causeChain, classifyAwsError, unrecognizedClientWhy } from '../errors/aws-error';
import type { ErrorKind } from '../errors/scan-error';
import { AssumeRoleError } from './assumed-role';

export interface RegistryFailure {
  registry: ScannedRegistryId;
  error: string;
  errorKind: ErrorKind;
}

/**
 * The kind of a registry's failure. When the scope was decided with STS GetCallerIdentity (and, in
 * other accounts, AssumeRole) accepting the credentials, an UnrecognizedClientException is a region the
 * account has not enabled, never an unknown key; otherwise it may be either (errors/aws-error.ts).
 */
export function classifyRegistryError(err: unknown, context: AwsErrorContext = {}): ErrorKind {
  if (causeChain(err).some((e) => e instanceof AssumeRoleError)) return 'assume-role';
  return classifyAwsError(err, context);
}

/** What the scan knows that helps with a role that cannot be assumed. */
export interface AssumeRoleHelp {
  /** The organization's management account, when --organization learnt it. */
  managementAccountId?: string;
  /** `--assume-role-advice`: what creates the role and how to re-run (the pipeline names its stacks). */
  advice?: string;
}

/** The words after an assume-role error: why the management account has no role, and what to do. */
function assumeRoleWhy(registry: ScannedRegistryId, help: AssumeRoleHelp): string {
  const management =
    registry.accountId === help.managementAccountId
      ? ` (${registry.accountId} is the organization's management account, where service-managed StackSets never deploy: its read role comes from a stack of its own there)`
      : '';
  return `${management}${help.advice !== undefined ? `; to read it: ${help.advice}` : ''}`;
}

export function registryFailure(
  registry: ScannedRegistryId,
  err: unknown,
  help: AssumeRoleHelp = {},
  context: AwsErrorContext = {},
): RegistryFailure {
  const errorKind = classifyRegistryError(err, context);
  const why =
    errorKind === 'region-not-enabled'
      ? ` (${unrecognizedClientWhy(registry.region, context)})`
      : errorKind === 'assume-role'
        ? assumeRoleWhy(registry, help)
        : '';
  return { registry, errorKind, error: `${registryLabel(registry)}: ${(err as Error)?.message ?? String(err)}${why}` };
}
