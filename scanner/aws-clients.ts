/** AWS SDK clients configured for the scanner: retries that absorb ECR throttling, endpoints from the environment. */
import { ECRClient } from '@aws-sdk/client-ecr';
import { S3Client } from '@aws-sdk/client-s3';

/**
 * `standard` retries with backoff and jitter. `adaptive` also rate-limits the
 * client, which measured far slower when throttling is bursty (see DESIGN.md).
 */
export const ECR_RETRY_MODE = 'standard';
export const ECR_MAX_ATTEMPTS = 10;
const S3_MAX_ATTEMPTS = 5;

export function createEcrClient(): ECRClient {
  return new ECRClient({ retryMode: ECR_RETRY_MODE, maxAttempts: ECR_MAX_ATTEMPTS });
}

/** An S3 endpoint override (an S3-compatible server) generally needs path-style addressing. */
export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const overridden = Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
  return new S3Client({ maxAttempts: S3_MAX_ATTEMPTS, ...(overridden ? { forcePathStyle: true } : {}) });
}
