/**
 * Amazon ECR as a source registry: recognising its hosts, and logging in as
 * docker-credential-ecr-login does (GetAuthorizationToken in the registry's
 * region, with the standard AWS credential chain).
 */
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { awsErrorName, classifyAwsError, isNoCredentials, isUnrecognizedClient, unrecognizedClientWhy } from '../errors/aws-error';
import { EcrEndpointKind, EcrHost } from '../oci/ecr-host';
import { CredentialError, Credentials } from './credentials';

export interface EcrLogin {
  credentials: Credentials;
  /** Where the registry API answers, as ECR says (`proxyEndpoint`). */
  endpoint: URL;
}

/** Makes an ECR client for a region and endpoint kind (the registry host's); the scanner's own factory in production, a test's in tests. */
export type EcrClientFactory = (region: string, kind: EcrEndpointKind) => ECRClient;

export async function ecrLogin(registry: EcrHost, host: string, clientFor: EcrClientFactory): Promise<EcrLogin> {
  let response;
  try {
    response = await clientFor(registry.region, registry.kind).send(new GetAuthorizationTokenCommand({}));
  } catch (err) {
    const name = awsErrorName(err) || 'Error';
    // The source's errorKind stays `credentials` (ECR's token service failed); the words say which failure it was.
    const kind = classifyAwsError(err);
    const hint = isUnrecognizedClient(err)
      ? ` (${unrecognizedClientWhy(registry.region)})`
      : kind === 'denied'
        ? ' (the scanner needs ecr:GetAuthorizationToken to read ECR sources)'
        : isNoCredentials(err)
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
