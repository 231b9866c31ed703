/** Registry credentials as the scanner passes them around: never logged, never in a report. */
import { ScanError } from '../errors/scan-error';

export interface Credentials {
  username: string;
  password: string;
  /** Where they came from, for messages ("credential helper docker-credential-pass"); never the secret. */
  source: string;
}

/**
 * Finds the credentials for a registry host; undefined means anonymous. Rejects
 * with CredentialError when the place that should know (a helper, ECR) failed:
 * that must not turn into a silent anonymous attempt.
 */
export type CredentialSource = (registry: string) => Promise<Credentials | undefined>;

export class CredentialError extends ScanError {
  constructor(message: string, cause?: unknown) {
    super(message, 'credentials', { cause });
  }
}
