import { RemovalPolicy } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SecureBucket } from '../secure-bucket';
import { INPUT_ARTIFACT_NAME, INPUT_VARIABLES_NAMESPACE, InputOutput, ScanInput } from './scan-input';

export interface S3InputProps {
  /**
   * Key of the zip that holds input.txt. A zip, not input.txt itself: CodePipeline
   * passes the object to CodeBuild as the input artifact, and CodeBuild unzips it.
   * No default (CONTEXT_DEFAULTS.inputObjectKey in lib/settings/keys.ts).
   */
  readonly objectKey: string;
  /**
   * Path of input.txt inside the zip; only used in the upload command shown to the user.
   * No default (CONTEXT_DEFAULTS.inputFile).
   */
  readonly inputFile: string;
  /**
   * Days an overwritten upload is kept. Each report records the version ID it
   * scanned, so keeping versions as long as reports lets one find its input.
   * No default (the stack passes CONTEXT_DEFAULTS.reportRetentionDays or its override).
   */
  readonly noncurrentVersionRetentionDays: number;
  /**
   * Bucket that receives the input bucket's server access logs.
   * @default no access logs
   */
  readonly accessLogsBucket?: s3.IBucket;
}

/**
 * A versioned input bucket created by the stack (CodePipeline's S3 source needs
 * versioning). Uploading the zip starts the pipeline: the bucket sends its object
 * events to EventBridge and a rule matching this one key starts the pipeline. That
 * needs no CloudTrail trail, which the action's own `S3Trigger.EVENTS` would.
 */
export class S3Input extends Construct implements ScanInput {
  readonly bucket: s3.Bucket;
  readonly objectKey: string;
  readonly artifact = new codepipeline.Artifact(INPUT_ARTIFACT_NAME);
  /** The action's role (ScanInput.role). */
  readonly role: iam.Role;
  readonly action: actions.S3SourceAction;
  readonly revision: string;
  readonly outputs: Readonly<Record<string, InputOutput>>;

  constructor(scope: Construct, id: string, props: S3InputProps) {
    super(scope, id);
    this.objectKey = props.objectKey;
    const inputFile = props.inputFile;
    this.bucket = new SecureBucket(this, 'Bucket', {
      versioned: true,
      noncurrentVersionsExpireAfterDays: props.noncurrentVersionRetentionDays,
      eventBridgeEnabled: true,
      // Inputs go with the stack, as the CodeCommit repository does; reports stay.
      removalPolicy: RemovalPolicy.DESTROY,
      ...(props.accessLogsBucket ? { accessLogsBucket: props.accessLogsBucket } : {}),
    }).bucket;
    // What CDK would create for the action: a role the pipeline's role may assume.
    this.role = new iam.Role(this, 'ActionRole', { assumedBy: new iam.AccountRootPrincipal() });
    this.action = new actions.S3SourceAction({
      role: this.role,
      actionName: 'Input',
      bucket: this.bucket,
      bucketKey: this.objectKey,
      output: this.artifact,
      // NONE turns polling off; the EventBridge rule in bindTrigger starts the pipeline.
      trigger: actions.S3Trigger.NONE,
      variablesNamespace: INPUT_VARIABLES_NAMESPACE,
    });
    this.revision = this.action.variables.versionId;
    const zipName = this.objectKey.split('/').pop()!;
    this.outputs = {
      InputBucketName: { value: this.bucket.bucketName, description: 'Bucket that takes the input zip' },
      InputObjectKey: { value: this.objectKey, description: `Key of the zip holding ${inputFile}; uploading it starts a scan` },
      InputUploadCommand: {
        value: `zip ${zipName} ${inputFile} && aws s3 cp ${zipName} s3://${this.bucket.bucketName}/${this.objectKey}`,
        description: `Run where ${inputFile} is to start a scan`,
      },
    };
  }

  bindTrigger(pipeline: codepipeline.IPipeline): void {
    new events.Rule(this, 'Uploaded', {
      description: `Starts the scan pipeline when s3://<input bucket>/${this.objectKey} is written`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [this.bucket.bucketName] }, object: { key: [this.objectKey] } },
      },
      targets: [new targets.CodePipeline(pipeline)],
    });
  }
}
