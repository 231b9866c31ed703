/** Why one registry of an organization scan could not be read, in words and as a kind a script can branch on. */
import { EcrRegistryId, registryLabel } from '../oci/ecr-host';
import { causeChain, classifyAwsError, unrecognizedClientWhy } from '../errors/aws-error';
import type { ErrorKind } from '../errors/scan-error';
import { AssumeRoleError } from './assumed-role';

export interface RegistryFailure {
  registry: EcrRegistryId;
  error: string;
  errorKind: ErrorKind;
}

/**
 * The kind of a registry's failure. Every registry of a scope is read after STS GetCallerIdentity (and,
 * in other accounts, AssumeRole) accepted the credentials, so an UnrecognizedClientException here is a
 * region the account has not enabled, never an unknown key.
 */
const PROVEN = { credentialsProven: true } as const;

export function classifyRegistryError(err: unknown): ErrorKind {
  if (causeChain(err).some((e) => e instanceof AssumeRoleError)) return 'assume-role';
  return classifyAwsError(err, PROVEN);
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
      ? ` (${unrecognizedClientWhy(registry.region, PROVEN)})`
      : errorKind === 'assume-role'
        ? assumeRoleWhy(registry, help)
        : '';
  return { registry, errorKind, error: `${registryLabel(registry)}: ${(err as Error)?.message ?? String(err)}${why}` };
}
