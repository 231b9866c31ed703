/**
 * The environment of a process run against the stand-ins (emulators, s3rver): shared by the tests
 * and the bench, so neither imports the other.
 */

/** Keeps the developer's own AWS configuration and instance metadata out of every child process. */
export const ISOLATED_AWS_ENV = {
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** Fake AWS identity for the emulators; the SDK signs requests with it, nothing checks the signature. */
export const FAKE_AWS = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIASENTINELKEY00001',
  AWS_SECRET_ACCESS_KEY: 's3ntinel-aws-secret-key-9c1d',
};
