import {
  awsErrorName,
  causeChain,
  classifyAwsError,
  isNoCredentials,
  isUnrecognizedClient,
  unrecognizedClientWhy,
} from '../../scanner/errors/aws-error';

const named = (name: string, cause?: unknown) =>
  Object.assign(new Error(`${name} said no`, cause === undefined ? {} : { cause }), { name });

describe('classifyAwsError', () => {
  test.each([
    ['AccessDeniedException', 'denied'],
    ['AccessDenied', 'denied'],
    ['ThrottlingException', 'rate-limited'],
    ['Throttling', 'rate-limited'],
    ['TooManyRequestsException', 'rate-limited'],
    ['ThrottledException', 'rate-limited'],
    ['RequestLimitExceeded', 'rate-limited'],
    ['SlowDown', 'rate-limited'],
    ['CredentialsProviderError', 'credentials'],
    ['ExpiredTokenException', 'credentials'],
    ['ExpiredToken', 'credentials'],
    ['InvalidSignatureException', 'credentials'],
    ['SignatureDoesNotMatch', 'credentials'],
    ['InvalidClientTokenId', 'credentials'],
    ['InvalidAccessKeyId', 'credentials'],
    ['RepositoryNotFoundException', 'not-found'],
    ['ImageNotFoundException', 'not-found'],
    ['NoSuchKey', 'not-found'],
    ['InvalidParameterException', 'invalid'],
    ['ValidationException', 'invalid'],
    ['UnknownOperationException', 'unsupported'],
    ['UnknownOperation', 'unsupported'],
    ['InvalidAction', 'unsupported'],
    ['ServerException', 'failed'],
    ['SomethingNewException', 'failed'],
    ['Error', 'failed'],
  ])('%s is %s', (name, kind) => {
    expect(classifyAwsError(named(name))).toBe(kind);
  });

  test('UnrecognizedClientException is credentials alone, and the region when the credentials were accepted elsewhere', () => {
    const err = named('UnrecognizedClientException');
    expect(classifyAwsError(err)).toBe('credentials');
    expect(classifyAwsError(err, { credentialsProven: false })).toBe('credentials');
    expect(classifyAwsError(err, { credentialsProven: true })).toBe('region-not-enabled');
    expect(isUnrecognizedClient(err)).toBe(true);
    expect(isUnrecognizedClient(named('AccessDenied'))).toBe(false);
  });

  test('no credentials at all is told from credentials refused, both credentials', () => {
    expect(isNoCredentials(new Error('wrapped', { cause: named('CredentialsProviderError') }))).toBe(true);
    expect(isNoCredentials(named('ExpiredTokenException'))).toBe(false);
  });

  test('a wrapped error is classified as the first AWS error it wraps, outermost first', () => {
    const chain = new Error('inventory failed', {
      cause: new Error('wrapper', { cause: named('ThrottlingException', named('AccessDenied')) }),
    });
    expect(classifyAwsError(chain)).toBe('rate-limited');
    expect(awsErrorName(chain)).toBe('ThrottlingException');
    expect(classifyAwsError(new Error('x', { cause: named('UnrecognizedClientException') }), { credentialsProven: true })).toBe(
      'region-not-enabled',
    );
    expect(isUnrecognizedClient(new Error('x', { cause: named('UnrecognizedClientException') }))).toBe(true);
  });

  test('an unknown name is still named; what is not an error is failed', () => {
    expect(awsErrorName(named('ServerException'))).toBe('ServerException');
    expect(awsErrorName(new Error('plain'))).toBe('');
    for (const value of [undefined, null, 'text', 42, {}]) expect(classifyAwsError(value)).toBe('failed');
  });

  test('a cause chain is followed at most eight deep, so a cycle ends', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(causeChain(a)).toHaveLength(8);
    expect(classifyAwsError(a)).toBe('failed');
    let deep: unknown = named('AccessDenied');
    for (let i = 0; i < 8; i++) deep = new Error('wrap', { cause: deep });
    expect(classifyAwsError(deep)).toBe('failed');
  });

  test('the words for UnrecognizedClientException name both possibilities unless the credentials were proven', () => {
    expect(unrecognizedClientWhy('me-south-1')).toMatch(
      /either AWS does not know the access key, or the account has not enabled me-south-1/,
    );
    expect(unrecognizedClientWhy('me-south-1', { credentialsProven: true })).toMatch(/^the account has not enabled me-south-1 /);
  });
});
