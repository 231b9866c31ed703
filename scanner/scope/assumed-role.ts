/**
 * Credentials of a member account's read role: sts:AssumeRole, kept until
 * shortly before they expire, then assumed again, so a scan that outlasts one
 * session (an organization takes a while) never signs with expired keys.
 * Concurrent callers share one AssumeRole in flight.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** Refreshed this long before expiry: more than the longest ECR call with its retries. */
export const DEFAULT_REFRESH_BEFORE_MS = 5 * 60 * 1000;
const SESSION_NAME = 'ecr-duplicate-scanner';
const SESSION_SECONDS = 3600;

/** The role could not be assumed: the registry is reported unreadable, the others are still scanned. */
export class AssumeRoleError extends Error {
  constructor(
    readonly roleArn: string,
    cause: unknown,
  ) {
    super(`cannot assume ${roleArn}: ${(cause as Error)?.name ?? 'Error'}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'AssumeRoleError';
  }
}

export interface AssumedRoleOptions {
  /** Made on first use: a scan that assumes no role makes no STS client. */
  sts: () => STSClient;
  roleArn: string;
  refreshBeforeMs?: number;
  now?: () => number;
}

export function assumedRoleCredentials(options: AssumedRoleOptions): AwsCredentialIdentityProvider {
  const refreshBefore = options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS;
  const now = options.now ?? Date.now;
  let current: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  const assume = async (): Promise<AwsCredentialIdentity> => {
    try {
      const { Credentials: c } = await options
        .sts()
        .send(new AssumeRoleCommand({ RoleArn: options.roleArn, RoleSessionName: SESSION_NAME, DurationSeconds: SESSION_SECONDS }));
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('STS returned no credentials');
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        ...(c.Expiration ? { expiration: c.Expiration } : {}),
      };
    } catch (err) {
      throw new AssumeRoleError(options.roleArn, err);
    }
  };
  return async () => {
    const fresh = current && (!current.expiration || current.expiration.getTime() - now() > refreshBefore);
    if (fresh) return current!;
    pending ??= assume().finally(() => (pending = undefined));
    current = await pending;
    return current;
  };
}

/**
 * One credentials provider per role, made on first use: the regions of an account, and the plan's
 * target registry's settings, share its session. undefined (the caller's own account) stays undefined.
 */
export function roleSessions(
  options: Omit<AssumedRoleOptions, 'roleArn'>,
): (roleArn: string | undefined) => AwsCredentialIdentityProvider | undefined {
  const providers = new Map<string, AwsCredentialIdentityProvider>();
  return (roleArn) => {
    if (roleArn === undefined) return undefined;
    let provider = providers.get(roleArn);
    if (!provider) {
      provider = assumedRoleCredentials({ ...options, roleArn });
      providers.set(roleArn, provider);
    }
    return provider;
  };
}
