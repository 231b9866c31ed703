/** AWS SDK clients configured for the scanner: retries that absorb ECR throttling, endpoints from the environment. */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ECRClient } from '@aws-sdk/client-ecr';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { PlainJsonProtocol } from './ecr/plain-json-protocol';

/**
 * `standard` retries with backoff and jitter. `adaptive` also rate-limits the
 * client, which measured far slower when throttling is bursty (41 s against 3.6 s
 * for 101 calls with every 5th throttled; docs/performance.md, CHANGELOG.md).
 */
export const ECR_RETRY_MODE = 'standard';
export const ECR_MAX_ATTEMPTS = 10;
/**
 * Attempts of every other client (S3, STS, Organizations, SNS): a few calls a run, so a few more
 * than the SDK's 3 ride out a brief fault, and fewer than ECR's 10, which absorb sustained throttling.
 */
const OTHER_CLIENTS_MAX_ATTEMPTS = 5;
/** The scanner's default --concurrency. */
const DEFAULT_SOCKETS = 16;

export interface EcrClientPlace {
  /** Requests in flight at most: one kept-alive socket each. */
  concurrency?: number;
  /** Another region than the environment's (an ECR source registry's). */
  region?: string;
  useFipsEndpoint?: boolean;
  useDualstackEndpoint?: boolean;
  /** Another identity than the environment's (a member account's assumed role). */
  credentials?: AwsCredentialIdentityProvider;
}

/**
 * The SDK's own AWS_RETRY_MODE / AWS_MAX_ATTEMPTS win when set, so an operator can still choose.
 * One kept-alive socket per concurrent call: the SDK's default agent caps at 50 sockets, which
 * would silently hold --concurrency 64 to 50, and a socket per call made anew costs a handshake.
 */
export function createEcrClient(env: NodeJS.ProcessEnv = process.env, place: EcrClientPlace = {}): ECRClient {
  const { concurrency = DEFAULT_SOCKETS, ...where } = place;
  const agent = { keepAlive: true, maxSockets: concurrency };
  const client = new ECRClient({
    ...where,
    ...(env.AWS_RETRY_MODE ? {} : { retryMode: ECR_RETRY_MODE }),
    ...(env.AWS_MAX_ATTEMPTS ? {} : { maxAttempts: ECR_MAX_ATTEMPTS }),
    requestHandler: { httpAgent: new HttpAgent(agent), httpsAgent: new HttpsAgent(agent) },
    protocol: PlainJsonProtocol,
    // The middleware chain is resolved once per command class rather than on every call (the SDK
    // otherwise copies and sorts the stack per call); the stack is final before the first call.
    cacheMiddleware: true,
  });
  // The logger middleware copies every response through a sensitive-data filter for a
  // logger we never configure: measured at ~4% of CPU for 100,000 images.
  client.middlewareStack.remove('loggerMiddleware');
  // Per call, these build a User-Agent string from the features used and look for a Lambda
  // trace ID; neither changes an answer, and at one call per 100 images they add up.
  client.middlewareStack.remove('getUserAgentMiddleware');
  client.middlewareStack.remove('recursionDetectionMiddleware');
  return client;
}

/** STS for the caller's identity and the member roles; regional (AWS_ENDPOINT_URL_STS is honoured by the SDK). */
export function createStsClient(region: string | undefined, env: NodeJS.ProcessEnv = process.env): STSClient {
  return new STSClient({
    ...(region ? { region } : {}),
    ...(env.AWS_MAX_ATTEMPTS ? {} : { maxAttempts: OTHER_CLIENTS_MAX_ATTEMPTS }),
  });
}

/** Organizations has one endpoint, in us-east-1 (AWS_ENDPOINT_URL_ORGANIZATIONS is honoured by the SDK). */
export function createOrganizationsClient(env: NodeJS.ProcessEnv = process.env): OrganizationsClient {
  return new OrganizationsClient({ region: 'us-east-1', ...(env.AWS_MAX_ATTEMPTS ? {} : { maxAttempts: OTHER_CLIENTS_MAX_ATTEMPTS }) });
}

/** An S3 endpoint override (an S3-compatible server) generally needs path-style addressing. */
export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const overridden = Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
  return new S3Client({
    ...(env.AWS_MAX_ATTEMPTS ? {} : { maxAttempts: OTHER_CLIENTS_MAX_ATTEMPTS }),
    ...(overridden ? { forcePathStyle: true } : {}),
  });
}

/** In the topic's own region (from its ARN); AWS_ENDPOINT_URL_SNS is honoured by the SDK. */
export function createSnsClient(region: string | undefined, env: NodeJS.ProcessEnv = process.env): SNSClient {
  return new SNSClient({
    ...(region ? { region } : {}),
    ...(env.AWS_MAX_ATTEMPTS ? {} : { maxAttempts: OTHER_CLIENTS_MAX_ATTEMPTS }),
  });
}
