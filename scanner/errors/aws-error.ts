/**
 * What an AWS SDK error means for a scan, decided in one place: the inventory, the registries of a
 * scope, ECR logins, the digest cache in S3 and the target registry's settings all classify by this
 * module, so one AWS error name never means two things. Classified by the error's `name` (the
 * service's error code, as the SDK sets it), never by its message, walking `cause` so a wrapped error
 * is classified as the error it wraps.
 */
import type { ErrorKind } from './scan-error';

/** The kinds an AWS error can be; every one is also a report.json `errorKind`. */
export type AwsErrorKind = Extract<
  ErrorKind,
  'denied' | 'rate-limited' | 'credentials' | 'region-not-enabled' | 'not-found' | 'invalid' | 'unsupported' | 'failed'
>;

/** An IAM policy or a resource policy refused the call (ECR and the JSON services say `…Exception`, S3 and STS the bare code). */
const DENIED = new Set(['AccessDeniedException', 'AccessDenied']);
/** The service throttled past the SDK's retries (ECR, STS's `Throttling`, S3's `SlowDown`). */
const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ThrottledException',
  'RequestLimitExceeded',
  'SlowDown',
]);
/** The SDK found no credentials at all (the chain is empty): nothing was sent. */
const NO_CREDENTIALS = 'CredentialsProviderError';
/** No credentials, or credentials AWS did not accept: expired, badly signed, an unknown key (STS, S3 name it so). */
const CREDENTIALS = new Set([
  NO_CREDENTIALS,
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
]);
/**
 * AWS answers UnrecognizedClientException both for an access key it does not know and, in a region the
 * account has not enabled, for any key (the region's endpoints know no credentials of that account).
 * The name alone cannot tell the two apart; only the caller can, when the same credentials were accepted
 * elsewhere (a scope decided with STS: GetCallerIdentity, or AssumeRole, already accepted them). So it is
 * `region-not-enabled` when the caller says the credentials were proven, else `credentials`, and the
 * message names both possibilities ({@link unrecognizedClientWhy}).
 */
const UNRECOGNIZED_CLIENT = 'UnrecognizedClientException';
/** The repository, object or image is not there (ECR, S3's GetObject). */
const NOT_FOUND = new Set(['RepositoryNotFoundException', 'NoSuchKey', 'ImageNotFoundException']);
/** The request was refused as malformed (for our own requests: a filter the endpoint does not know). */
const INVALID = new Set(['InvalidParameterException', 'ValidationException']);
/** An endpoint that predates the operation or the setting name. */
const UNSUPPORTED = new Set(['UnknownOperationException', 'UnknownOperation', 'InvalidAction']);

const CAUSES_MAX = 8;

/** The error and the errors it wraps (`cause`), outermost first, at most eight deep. */
export function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && chain.length < CAUSES_MAX; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

function nameOf(err: unknown): string {
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '';
}

/** The AWS error name that decides the kind: the outermost one in the chain this module knows, else the outermost name at all. */
export function awsErrorName(err: unknown): string {
  const names = causeChain(err).map(nameOf);
  return names.find((n) => kindOfName(n, false) !== 'failed') ?? names.find((n) => n !== '' && n !== 'Error') ?? '';
}

function kindOfName(name: string, credentialsProven: boolean): AwsErrorKind {
  if (name === UNRECOGNIZED_CLIENT) return credentialsProven ? 'region-not-enabled' : 'credentials';
  if (DENIED.has(name)) return 'denied';
  if (THROTTLED.has(name)) return 'rate-limited';
  if (CREDENTIALS.has(name)) return 'credentials';
  if (NOT_FOUND.has(name)) return 'not-found';
  if (INVALID.has(name)) return 'invalid';
  if (UNSUPPORTED.has(name)) return 'unsupported';
  return 'failed';
}

export interface AwsErrorContext {
  /** The same credentials were accepted by AWS elsewhere in this run (see {@link UNRECOGNIZED_CLIENT}). */
  credentialsProven?: boolean;
}

/** The kind of an AWS SDK error (or of the first AWS error it wraps); `failed` for any name not known here. */
export function classifyAwsError(err: unknown, context: AwsErrorContext = {}): AwsErrorKind {
  for (const e of causeChain(err)) {
    const kind = kindOfName(nameOf(e), context.credentialsProven === true);
    if (kind !== 'failed') return kind;
  }
  return 'failed';
}

/** Whether the error (or one it wraps) is UnrecognizedClientException, whose message must say what it may mean. */
export function isUnrecognizedClient(err: unknown): boolean {
  return causeChain(err).some((e) => nameOf(e) === UNRECOGNIZED_CLIENT);
}

/** Whether the SDK found no credentials (a `credentials` failure whose words say to give some, not to fix them). */
export function isNoCredentials(err: unknown): boolean {
  return causeChain(err).some((e) => nameOf(e) === NO_CREDENTIALS);
}

/** The words after an UnrecognizedClientException: the one cause when the credentials were proven, else both. */
export function unrecognizedClientWhy(region: string, context: AwsErrorContext = {}): string {
  return context.credentialsProven === true
    ? `the account has not enabled ${region} (AWS accepted the same credentials elsewhere, and refuses any key in a region not enabled)`
    : `either AWS does not know the access key, or the account has not enabled ${region} (AWS then refuses any key there)`;
}
