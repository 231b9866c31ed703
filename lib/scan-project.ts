import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { acknowledgeNag, bucketArnFinding } from './nag';
import { ReportStore } from './report-store';

/** The buildspec the project runs, kept as a file so that it reads as YAML and can be run by hand. */
export const BUILDSPEC_PATH = join(__dirname, '..', 'buildspec', 'scan.yml');

/** The ECR calls of the inventory (scanner/ecr/inventory.ts), and no others. */
export const ECR_READ_ACTIONS = ['ecr:DescribeRepositories', 'ecr:ListImages', 'ecr:BatchGetImage'] as const;

/** A buildspec given as YAML text, shown in the console exactly as written. */
class YamlBuildSpec extends codebuild.BuildSpec {
  readonly isImmediate = true;
  constructor(private readonly yaml: string) {
    super();
  }
  toBuildSpec(): string {
    return this.yaml;
  }
}

export interface ScanProjectProps {
  /** Where the scanner writes its reports and digest cache. No default. */
  readonly reports: ReportStore;
  /** The pipeline's artifact bucket, from which the build reads its input and the scanner. No default. */
  readonly artifactBucket: s3.IBucket;
  /**
   * Path of input.txt in the input source.
   * @default 'input.txt'
   */
  readonly inputFile?: string;
  /**
   * Parallel requests of the scanner (`--concurrency`).
   * @default the scanner's default, 16
   */
  readonly concurrency?: number;
  /**
   * How long CloudWatch keeps the build logs.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Memory of the Lambda compute; more memory also brings more CPU.
   * @default codebuild.ComputeType.LAMBDA_1GB
   */
  readonly computeType?: codebuild.ComputeType;
}

/**
 * The CodeBuild project of the Scan stage, its role and its log group.
 *
 * Lambda compute rather than EC2: a build starts in seconds instead of a minute or
 * two of provisioning, is billed by the second, and there is no fleet to size. What
 * it cannot do does not touch this job: no Docker (manifests only), no root, no
 * `runtime-versions` (the image is Node 22), no VPC, no cache, writes only under
 * /tmp (scan.sh puts the local report there), and no timeout setting: every build
 * stops at 15 minutes, so a registry that takes longer needs a higher
 * `concurrency` or an EC2 project. It is offered in fewer regions than CodeBuild.
 *
 * The role is given to the project immutable, so that none of CodeBuild's or
 * CodePipeline's automatic grants reach it (read, list and metadata on the whole
 * artifact bucket, the default /aws/codebuild log group, report groups). Its only
 * policy is the one below; a grant made later through `project.grantPrincipal` is
 * dropped, on purpose.
 */
export class ScanProject extends Construct {
  readonly project: codebuild.PipelineProject;
  /** The build's role, with the policy this construct writes. */
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ScanProjectProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      // Build logs are operational; the reports are what is kept.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, 'Role', {
      // Only CodeBuild acting for this account may assume it (confused-deputy guard).
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Scan stage: reads ECR metadata, writes reports under one prefix',
    });
    this.logGroup.grantWrite(this.role);
    iam.Grant.addToPrincipal({
      grantee: this.role,
      actions: [...ECR_READ_ACTIONS],
      resourceArns: [stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: '*' })],
    });
    // The S3 part of the service role AWS documents for CodeBuild under CodePipeline,
    // narrowed from every bucket to this one: its objects (the input and the scanner)
    // and its ACL and location, never a listing.
    iam.Grant.addToPrincipal({
      grantee: this.role,
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resourceArns: [props.artifactBucket.arnForObjects('*')],
    });
    iam.Grant.addToPrincipal({
      grantee: this.role,
      actions: ['s3:GetBucketAcl', 's3:GetBucketLocation'],
      resourceArns: [props.artifactBucket.bucketArn],
    });
    props.reports.grantWriteReports(this.role);
    props.reports.grantCacheReadWrite(this.role);

    const environmentVariables: Record<string, codebuild.BuildEnvironmentVariable> = {
      OUTPUT_BUCKET: { value: props.reports.bucket.bucketName },
      REPORT_PREFIX: { value: props.reports.prefix },
      INPUT_FILE: { value: props.inputFile ?? 'input.txt' },
      // The object the role may read and write, named here so both come from one place.
      DIGEST_CACHE_URI: { value: props.reports.cacheUri },
      ...(props.concurrency !== undefined ? { SCAN_CONCURRENCY: { value: String(props.concurrency) } } : {}),
    };
    this.project = new codebuild.PipelineProject(this, 'Project', {
      description: 'Compares the images listed in input.txt with the ECR registry and uploads the report',
      role: this.role.withoutPolicyUpdates(),
      environment: {
        buildImage: codebuild.LinuxLambdaBuildImage.AMAZON_LINUX_2023_NODE_22,
        computeType: props.computeType ?? codebuild.ComputeType.LAMBDA_1GB,
        environmentVariables,
      },
      buildSpec: new YamlBuildSpec(readFileSync(BUILDSPEC_PATH, 'utf8')),
      logging: { cloudWatch: { logGroup: this.logGroup } },
      grantReportGroupPermissions: false,
    });
    // The immutable role hides the policy from CDK's ordering; without this the first
    // build (started as soon as the pipeline exists) could run before the policy does.
    this.project.node.addDependency(this.role);

    acknowledgeNag(
      this.role,
      'AwsSolutions-IAM5',
      'The scanner inventories every repository of the registry, which is its purpose; the three actions only read metadata and manifests.',
      ['Resource::arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/*'],
    );
    acknowledgeNag(
      this.role,
      'AwsSolutions-IAM5',
      "Pipeline artifact keys are random; the bucket holds only this pipeline's input and scanner artifacts, and the role may only get them.",
      [bucketArnFinding(props.artifactBucket, '/*')],
    );
    acknowledgeNag(
      this.role,
      'AwsSolutions-IAM5',
      'Each run writes a new folder named by time and execution ID under the report prefix; the role may only put objects there, not read, list or delete them.',
      [bucketArnFinding(props.reports.bucket, `/${props.reports.prefix}/*`)],
    );
    acknowledgeNag(
      this.project,
      'AwsSolutions-CB4',
      'The project stores no artifacts of its own (CodePipeline keeps them in the SSE-S3 artifact bucket) and its reports go to an SSE-S3 bucket; a customer key would protect nothing more.',
    );
  }
}
