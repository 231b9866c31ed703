import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface SecureBucketProps {
  /**
   * Keep every version of every object.
   * @default false
   */
  readonly versioned?: boolean;
  /**
   * Days after which current objects expire. With versioning, older versions
   * expire the same number of days after they stop being current.
   * @default objects never expire
   */
  readonly expireAfterDays?: number;
  /**
   * Days after which older object versions expire, for a versioned bucket whose
   * current objects should stay.
   * @default `expireAfterDays`, else never
   */
  readonly noncurrentVersionsExpireAfterDays?: number;
  /**
   * What CloudFormation does with the bucket when it leaves the stack.
   * `DESTROY` also empties it first (every version), since a bucket that holds
   * objects cannot be deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Bucket that receives this bucket's server access logs, under
   * `s3-access-logs/<this construct's path in the stack>/`.
   * @default no access logs (the caller then owes cdk-nag's S1 a reason)
   */
  readonly accessLogsBucket?: s3.IBucket;
  /**
   * Send this bucket's object events to EventBridge.
   * @default false
   */
  readonly eventBridgeEnabled?: boolean;
}

/**
 * An S3 bucket with the baseline every bucket of this stack shares: encrypted,
 * reachable only over TLS 1.2+, never public, ACLs disabled.
 *
 * SSE-S3 rather than KMS: nothing here is shared across accounts, and a customer
 * key would add a per-request charge and a key policy for every role that reads or
 * writes, without keeping the data from anyone the bucket policy already admits.
 *
 * It holds its bucket (composition) rather than being one, so that none of
 * `s3.Bucket`'s props can be set around the baseline. The bucket's construct ID is
 * `Default`, which CDK leaves out of logical IDs: the CloudFormation resources keep
 * the IDs they had when this class extended `s3.Bucket`, so no deployed bucket is
 * replaced.
 */
export class SecureBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: SecureBucketProps = {}) {
    super(scope, id);
    this.node.addValidation({ validate: () => secureBucketProblems(props) });
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const noncurrentDays = props.noncurrentVersionsExpireAfterDays ?? (props.versioned ? props.expireAfterDays : undefined);
    const lifecycleRules: s3.LifecycleRule[] = [{ id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(7) }];
    if (props.expireAfterDays !== undefined || noncurrentDays !== undefined) {
      lifecycleRules.push({
        id: 'Expire',
        ...(props.expireAfterDays !== undefined ? { expiration: Duration.days(props.expireAfterDays) } : {}),
        ...(noncurrentDays !== undefined ? { noncurrentVersionExpiration: Duration.days(noncurrentDays) } : {}),
      });
    }
    if (props.versioned && props.expireAfterDays !== undefined) {
      // Expiring a current version leaves a delete marker; once its older versions are gone
      // too, only this rule removes it (S3 forbids it in the rule that has Days).
      lifecycleRules.push({ id: 'RemoveExpiredDeleteMarkers', expiredObjectDeleteMarker: true });
    }
    // The path, not the id: several constructs call their bucket "Bucket".
    const stackPath = Stack.of(scope).node.path;
    const logPath = this.node.path.slice(stackPath.length).replace(/^\/+/, '');
    this.bucket = new s3.Bucket(this, 'Default', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: props.versioned ?? false,
      lifecycleRules,
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
      ...(props.accessLogsBucket
        ? { serverAccessLogsBucket: props.accessLogsBucket, serverAccessLogsPrefix: `s3-access-logs/${logPath}/` }
        : {}),
    });
    if (props.eventBridgeEnabled) {
      // The bucket's own CloudFormation property, not the L2 `eventBridgeEnabled`, which
      // deploys a notification custom resource (a Lambda function and a role allowed
      // s3:PutBucketNotification on every bucket) to do what CloudFormation does natively.
      (this.bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
        eventBridgeConfiguration: { eventBridgeEnabled: true },
      };
    }
  }
}

/** What the construct refuses in its own props. */
export function secureBucketProblems(props: SecureBucketProps): string[] {
  const problems: string[] = [];
  for (const key of ['expireAfterDays', 'noncurrentVersionsExpireAfterDays'] as const) {
    const days = props[key];
    if (days !== undefined && (!Number.isInteger(days) || days < 1))
      problems.push(`SecureBucket: ${key} must be a whole number of days, at least 1`);
  }
  if (props.noncurrentVersionsExpireAfterDays !== undefined && !props.versioned)
    problems.push('SecureBucket: noncurrentVersionsExpireAfterDays needs versioned: true');
  return problems;
}
