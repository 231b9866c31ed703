import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ReportLayout, reportLayout } from './scan-settings';
import { SecureBucket } from './secure-bucket';

export interface ReportStoreProps {
  /** Key prefix of everything the scanner writes. No default (CONTEXT_DEFAULTS.reportPrefix in lib/config.ts). */
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
   * Lets the grantee read and replace the digest cache object and no other.
   * Without s3:ListBucket a missing cache reads as 403 AccessDenied rather than
   * 404 NoSuchKey: the first run warns that it cannot read the cache and goes on
   * without it, as the scanner does for any cache failure.
   */
  grantCacheReadWrite(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      // A large cache is uploaded in parts; a failed upload's parts are aborted at once (the lifecycle rule is the backstop).
      actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
      resourceArns: [this.bucket.arnForObjects(this.cacheKey)],
    });
  }
}
