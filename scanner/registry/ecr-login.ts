/**
 * Amazon ECR as a source registry: recognising its hosts, and logging in as
 * docker-credential-ecr-login does (GetAuthorizationToken in the registry's
 * region, with the standard AWS credential chain).
 */
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { CredentialError, Credentials } from './credentials';

export interface EcrRegistry {
  accountId: string;
  region: string;
  fips: boolean;
}

/** `<account>.dkr.ecr[-fips].<region>.amazonaws.com`, and `.amazonaws.com.cn` in the China regions. */
const ECR_HOST = /^(\d{12})\.dkr\.ecr(-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(\.cn)?$/;

export function parseEcrHost(registry: string): EcrRegistry | undefined {
  const match = ECR_HOST.exec(registry.toLowerCase());
  if (!match) return undefined;
  const [, accountId, fips, region, china] = match as unknown as [string, string, string | undefined, string, string | undefined];
  // The China suffix belongs to the China regions only; anything else is not an ECR host.
  if (Boolean(china) !== region.startsWith('cn-')) return undefined;
  return { accountId, region, fips: Boolean(fips) };
}

export interface EcrLogin {
  credentials: Credentials;
  /** Where the registry API answers, as ECR says (`proxyEndpoint`). */
  endpoint: URL;
}

/** Makes an ECR client for a region; the scanner's own factory in production, a test's in tests. */
export type EcrClientFactory = (region: string, fips: boolean) => ECRClient;

export async function ecrLogin(registry: EcrRegistry, host: string, clientFor: EcrClientFactory): Promise<EcrLogin> {
  let response;
  try {
    response = await clientFor(registry.region, registry.fips).send(new GetAuthorizationTokenCommand({}));
  } catch (err) {
    const name = (err as { name?: string }).name ?? 'Error';
    const hint =
      name === 'AccessDeniedException'
        ? ' (the scanner needs ecr:GetAuthorizationToken to read ECR sources)'
        : name === 'CredentialsProviderError'
          ? ' (no AWS credentials)'
          : '';
    throw new CredentialError(
      `ECR GetAuthorizationToken in ${registry.region} for ${host} failed${hint}: ${name}: ${(err as Error).message}`,
      err,
    );
  }
  const data = response.authorizationData?.[0];
  const decoded = data?.authorizationToken ? Buffer.from(data.authorizationToken, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new CredentialError(`ECR GetAuthorizationToken in ${registry.region} returned no usable token for ${host}`);
  let endpoint: URL;
  try {
    endpoint = new URL(data?.proxyEndpoint ?? `https://${host}`);
  } catch (err) {
    throw new CredentialError(`ECR GetAuthorizationToken in ${registry.region} returned an invalid proxyEndpoint`, err);
  }
  return {
    credentials: {
      username: decoded.slice(0, colon),
      password: decoded.slice(colon + 1),
      source: `ECR GetAuthorizationToken (${registry.region})`,
    },
    endpoint,
  };
}
