/**
 * One error base for everything a scan can report about a source: a kind a
 * script can branch on (report.json `errorKind`), the HTTP status where there
 * was one, and the cause, so wrapping never flattens an error to its text.
 */

/**
 * Every report.json `errorKind`: of a source, of an expansion line and of an `ecr[]` registry that
 * could not be read. docs/report.md lists them in one table; AWS errors are classified into them by
 * aws-error.ts.
 */
export type ErrorKind =
  /** The reference, a manifest or a config is not what the grammar or the image spec allows. */
  | 'invalid'
  /** The registry has no such repository, tag, manifest or blob. */
  | 'not-found'
  /** The registry wants credentials we do not have, or turned down the ones we sent. */
  | 'unauthorized'
  /** Authenticated, but not allowed to read it. */
  | 'denied'
  /** The registry rate-limited us past our retries, or its pull allowance is spent. */
  | 'rate-limited'
  /** A credential helper or ECR's token service failed: no credentials to try. */
  | 'credentials'
  | 'timeout'
  | 'network'
  | 'dns'
  | 'tls'
  /** A response larger than we are willing to read. */
  | 'too-large'
  /** A redirect we refuse to follow (to plain HTTP, another scheme, or too many). */
  | 'redirect'
  /** The registry answered something the protocol does not allow (bad digest, no challenge, odd status). */
  | 'protocol'
  /** The registry failed (5xx) past our retries. */
  | 'server'
  /** The image exists but no platform of it takes part (`--platform`). */
  | 'platform'
  /** The registry does not offer what the line needs (an open catalog for `host/namespace/*`). */
  | 'unsupported'
  /** sts:AssumeRole of a registry's read role failed (no such role, not trusted, denied). */
  | 'assume-role'
  /** AWS refused the credentials in a region the account has not enabled (they were accepted elsewhere). */
  | 'region-not-enabled'
  /** None of the above: the error text says what happened. */
  | 'failed';

export class ScanError extends Error {
  readonly kind: ErrorKind;
  readonly status: number | undefined;

  constructor(message: string, kind: ErrorKind, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.status = options.status;
  }
}
