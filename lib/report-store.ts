import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ReportLayout, digestCacheKeys, reportLayout } from '../scanner/storage/s3-layout';
import { SecureBucket } from './secure-bucket';

/**
 * Days an overwritten digest cache is kept. Each run replaces it (about 170 MB per million images), so
 * the report retention of a year would keep hundreds of copies; a few days still undo a bad run.
 */
export const CACHE_NONCURRENT_DAYS = 3;

/** The registries a run scans, when it scans more than the build's own: its caches are one object per registry. */
export interface CacheScope {
  /** Account IDs, or `ANY_ACCOUNT_ID` for every account of an organization. */
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
}

export interface ReportStoreProps {
  /** Key prefix of everything the scanner writes. No default (CONTEXT_DEFAULTS.reportPrefix in lib/settings/keys.ts). */
  readonly prefix: string;
  /** Days after which a report (and an older version of one) expires. No default (CONTEXT_DEFAULTS.reportRetentionDays). */
  readonly retentionDays: number;
  /** What happens to the bucket, and the reports in it, when the stack is deleted. No default (CONTEXT_DEFAULTS.outputBucketRemovalPolicy). */
  readonly removalPolicy: RemovalPolicy;
  /**
   * Bucket that receives the output bucket's server access logs: who read which report.
   * @default no access logs
   */
  readonly accessLogsBucket?: s3.IBucket;
}

/**
 * The output bucket and the grants on the scanner's objects in it. The layout
 * (`<prefix>/<UTC timestamp>-<run id>/` per run, `<prefix>/latest/`, one digest
 * cache object) is lib/scan-settings.ts's, which scan.sh reads too.
 */
export class ReportStore extends Construct {
  readonly bucket: s3.Bucket;
  readonly prefix: string;
  /** Key of the scanner's digest cache, read and rewritten by every run. */
  readonly cacheKey: string;
  readonly layout: ReportLayout;

  constructor(scope: Construct, id: string, props: ReportStoreProps) {
    super(scope, id);
    this.layout = reportLayout(props.prefix);
    this.prefix = this.layout.prefix;
    this.cacheKey = this.layout.cacheKey;
    // Versioned so that a run overwriting latest/ (or a mistaken delete) loses nothing
    // until the retention period has passed for the older version too.
    this.bucket = new SecureBucket(this, 'Bucket', {
      versioned: true,
      expireAfterDays: props.retentionDays,
      removalPolicy: props.removalPolicy,
      ...(props.accessLogsBucket ? { accessLogsBucket: props.accessLogsBucket } : {}),
    }).bucket;
    // Shorter than the bucket's rule for the same versions; S3 honours the shorter expiration where rules overlap.
    this.bucket.addLifecycleRule({
      id: 'ExpireOverwrittenCaches',
      prefix: this.layout.cacheFolder,
      noncurrentVersionExpiration: Duration.days(CACHE_NONCURRENT_DAYS),
    });
  }

  /** `s3://bucket/<prefix>/cache/digest-cache.json`, the scanner's `--cache`. */
  get cacheUri(): string {
    return `s3://${this.bucket.bucketName}/${this.cacheKey}`;
  }

  /** `s3://bucket/<prefix>/latest/`: what the newest run wrote. */
  get latestUri(): string {
    return `s3://${this.bucket.bucketName}/${this.layout.latestFolder}`;
  }

  /** Lets the grantee put objects under the prefix and nowhere else: no read, list or delete. */
  grantWriteReports(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [this.bucket.arnForObjects(`${this.prefix}/*`)] });
  }

  /**
   * Lets the grantee read and replace the digest cache objects of a run and no other: the one
   * named for a scan of the build's own registry, else one per registry of `scope` (the keys
   * the scanner uses, from the same module). Without s3:ListBucket a missing cache reads as
   * 403 AccessDenied rather than 404 NoSuchKey: the first run warns that it cannot read the
   * cache and goes on without it, as the scanner does for any cache failure.
   */
  grantCacheReadWrite(grantee: iam.IGrantable, scope?: CacheScope): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      // A large cache is uploaded in parts; a failed upload's parts are aborted at once (the lifecycle rule is the backstop).
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
      resourceArns: digestCacheKeys(this.cacheKey, scope).map((key) => this.bucket.arnForObjects(key)),
    });
  }
}
