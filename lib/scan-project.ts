import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ECR_SOURCE_READ_ACTIONS, inventoryIamActions } from '../scanner/ecr/operations';
import { ComputeConfig, RegistryCredentialsConfig } from './config';
import { acknowledgeNag, bucketArnFinding } from './nag';
import { ReportStore } from './report-store';

/** The buildspec the project runs, kept as a file so that it reads as YAML and can be run by hand. */
export const BUILDSPEC_PATH = join(__dirname, '..', 'buildspec', 'scan.yml');
/** The same command for EC2 compute, whose images choose Node.js by runtime-versions. */
export const EC2_BUILDSPEC_PATH = join(__dirname, '..', 'buildspec', 'scan-ec2.yml');

/** The network interface calls of a VPC build, as CDK grants them to a mutable role. */
const VPC_DESCRIBE_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeDhcpOptions',
  'ec2:DescribeVpcs',
] as const;

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
  /** Path of input.txt in the input source. No default (CONTEXT_DEFAULTS.inputFile in lib/config.ts). */
  readonly inputFile: string;
  /**
   * Parallel requests of the scanner (`--concurrency`).
   * @default the scanner's own default
   */
  readonly concurrency?: number;
  /** `--insecure-registry` hosts (registries on plain HTTP inside the network). */
  readonly insecureRegistries: readonly string[];
  /** Path in the input source of a PEM bundle of private CAs, for NODE_EXTRA_CA_CERTS; none when absent. */
  readonly registryCaFile?: string;
  /** `--target-prefix` of the migration plan; none when absent. */
  readonly targetPrefix?: string;
  /** Lambda, or EC2 with a timeout and optionally a VPC. No default (CONTEXT_DEFAULTS.compute). */
  readonly compute: ComputeConfig;
  /**
   * A Docker config.json in Secrets Manager for private source registries.
   * @default anonymous access to source registries
   */
  readonly registryCredentials?: RegistryCredentialsConfig;
  /** Accounts whose ECR repositories are sources; empty for none. No default. */
  readonly ecrSourceAccounts: readonly string[];
  /**
   * Topic that receives each run's summary.
   * @default no notifications
   */
  readonly notificationTopic?: sns.ITopic;
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
  /**
   * Every setting scan.sh reads, for the pipeline's CodeBuild action rather than the
   * project: CodePipeline re-runs itself after a deploy only when the pipeline resource
   * changes, and these values are part of it, so a changed setting gives a fresh report.
   */
  readonly actionEnvironment: Readonly<Record<string, codebuild.BuildEnvironmentVariable>>;

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
      actions: inventoryIamActions(),
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
    const credentials = props.registryCredentials;
    if (credentials) this.grantSecretRead(credentials);
    this.grantEcrSources(props.ecrSourceAccounts);
    if (props.notificationTopic) {
      // Publish only: the build neither reads nor changes the topic or its subscriptions.
      iam.Grant.addToPrincipal({ grantee: this.role, actions: ['sns:Publish'], resourceArns: [props.notificationTopic.topicArn] });
    }

    const compute = props.compute;
    this.actionEnvironment = {
      OUTPUT_BUCKET: { value: props.reports.bucket.bucketName },
      REPORT_PREFIX: { value: props.reports.prefix },
      INPUT_FILE: { value: props.inputFile },
      // The object the role may read and write, named here so both come from one place.
      DIGEST_CACHE_URI: { value: props.reports.cacheUri },
      // Named so that moving between Lambda and EC2 also re-runs the pipeline.
      SCAN_COMPUTE: { value: compute.kind },
      ...(props.concurrency !== undefined ? { SCAN_CONCURRENCY: { value: String(props.concurrency) } } : {}),
      ...(props.insecureRegistries.length > 0 ? { INSECURE_REGISTRIES: { value: props.insecureRegistries.join(',') } } : {}),
      ...(props.registryCaFile !== undefined ? { REGISTRY_CA_FILE: { value: props.registryCaFile } } : {}),
      ...(props.targetPrefix !== undefined ? { TARGET_PREFIX: { value: props.targetPrefix } } : {}),
      ...(props.notificationTopic ? { NOTIFY_TOPIC_ARN: { value: props.notificationTopic.topicArn } } : {}),
      // CodeBuild resolves the secret when the build starts (and masks its value in the
      // log); the template and the pipeline hold only the ARN. scan.sh moves the value
      // into a 0600 file and unsets the variable before the scanner starts.
      ...(credentials
        ? { REGISTRY_CREDENTIALS: { type: codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER, value: credentials.secretArn } }
        : {}),
    };
    this.project = new codebuild.PipelineProject(this, 'Project', {
      description: 'Compares the images listed in input.txt with the ECR registry and uploads the report',
      role: this.role.withoutPolicyUpdates(),
      environment:
        compute.kind === 'lambda'
          ? {
              buildImage: codebuild.LinuxLambdaBuildImage.AMAZON_LINUX_2023_NODE_22,
              computeType: props.computeType ?? codebuild.ComputeType.LAMBDA_1GB,
            }
          : { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, computeType: props.computeType ?? codebuild.ComputeType.SMALL },
      ...(compute.kind === 'ec2' ? { timeout: Duration.minutes(compute.timeoutMinutes) } : {}),
      buildSpec: new YamlBuildSpec(readFileSync(compute.kind === 'lambda' ? BUILDSPEC_PATH : EC2_BUILDSPEC_PATH, 'utf8')),
      logging: { cloudWatch: { logGroup: this.logGroup } },
      grantReportGroupPermissions: false,
    });
    if (compute.kind === 'ec2' && compute.vpc) this.placeInVpc(compute.vpc.vpcId, compute.vpc.subnetIds, compute.vpc.securityGroupIds);
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
    if (props.ecrSourceAccounts.length > 0) {
      acknowledgeNag(
        this.role,
        'AwsSolutions-IAM5',
        'ecr:GetAuthorizationToken has no resource-level permission (IAM accepts only "*"); it is granted only when ecrSourceAccounts names source accounts, and each of those accounts grants its repositories in their own policies.',
        ['Resource::*'],
      );
      acknowledgeNag(
        this.role,
        'AwsSolutions-IAM5',
        "Any image listed in input.txt may come from any repository of a named source account, in any region; the account's repository policies decide which the role may actually read.",
        props.ecrSourceAccounts.map((a) => `Resource::arn:<AWS::Partition>:ecr:*:${a}:repository/*`),
      );
    }
    acknowledgeNag(
      this.project,
      'AwsSolutions-CB4',
      'The project stores no artifacts of its own (CodePipeline keeps them in the SSE-S3 artifact bucket) and its reports go to an SSE-S3 bucket; a customer key would protect nothing more.',
    );
  }

  /** GetSecretValue on the one secret, and Decrypt on its key only as Secrets Manager uses it. */
  private grantSecretRead(credentials: RegistryCredentialsConfig): void {
    iam.Grant.addToPrincipal({ grantee: this.role, actions: ['secretsmanager:GetSecretValue'], resourceArns: [credentials.secretArn] });
    if (credentials.kmsKeyArn === undefined) return;
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [credentials.kmsKeyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }

  /**
   * Pulls from private ECR repositories of other accounts (or this one, elsewhere):
   * a registry login, which IAM grants only on "*", then the manifest reads.
   */
  private grantEcrSources(accounts: readonly string[]): void {
    if (accounts.length === 0) return;
    iam.Grant.addToPrincipal({ grantee: this.role, actions: ['ecr:GetAuthorizationToken'], resourceArns: ['*'] });
    const partition = Stack.of(this).partition;
    iam.Grant.addToPrincipal({
      grantee: this.role,
      actions: [...ECR_SOURCE_READ_ACTIONS],
      resourceArns: accounts.map((a) => `arn:${partition}:ecr:*:${a}:repository/*`),
    });
  }

  /**
   * Runs the build in existing subnets. Set on the CloudFormation resource rather than
   * through the L2 `vpc` prop: with the immutable role, the L2 would build a policy it
   * cannot attach. The statements are CDK's own for a VPC build.
   */
  private placeInVpc(vpcId: string, subnetIds: readonly string[], securityGroupIds: readonly string[]): void {
    const stack = Stack.of(this);
    (this.project.node.defaultChild as codebuild.CfnProject).vpcConfig = {
      vpcId,
      subnets: [...subnetIds],
      securityGroupIds: [...securityGroupIds],
    };
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:CreateNetworkInterfacePermission'],
        resources: [stack.formatArn({ service: 'ec2', resource: 'network-interface', resourceName: '*' })],
        conditions: {
          StringEquals: {
            'ec2:Subnet': subnetIds.map((id) => stack.formatArn({ service: 'ec2', resource: 'subnet', resourceName: id })),
            'ec2:AuthorizedService': 'codebuild.amazonaws.com',
          },
        },
      }),
    );
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...VPC_DESCRIBE_ACTIONS], resources: ['*'] }));
    acknowledgeNag(
      this.role,
      'AwsSolutions-IAM5',
      'The network interface calls CodeBuild makes to place a VPC build (as CDK grants them): the Describe calls and CreateNetworkInterface have no resource-level permission; CreateNetworkInterfacePermission is limited to the named subnets and to CodeBuild.',
      ['Resource::*', 'Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*'],
    );
  }
}
