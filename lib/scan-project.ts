import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ECR_SOURCE_LOGIN_ACTION, ECR_SOURCE_READ_ACTIONS, inventoryIamActions, targetSettingsIamActions } from '../scanner/ecr/operations';
import { acknowledgeNag, bucketArnFinding } from './nag';
import { ANY_ACCOUNT_ID } from '../scanner/storage/s3-layout';
import { CacheScope, ReportStore } from './report-store';

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

/** CodeBuild's own bounds for a VpcConfig. */
export const MAX_VPC_SUBNETS = 16;
export const MAX_VPC_SECURITY_GROUPS = 5;
/** CodeBuild's own bounds for an EC2 build's timeout, in minutes. */
export const MIN_BUILD_TIMEOUT_MINUTES = 5;
export const MAX_BUILD_TIMEOUT_MINUTES = 2160;

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

/** Existing subnets of an existing VPC, by ID (no look-up, so synth stays offline). */
export interface VpcPlacement {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
}

/** The member accounts whose registries the build reads through a role it assumes there. */
export interface MemberAccess {
  /** Name of the read role in every member account (the StackSet's role). */
  readonly roleName: string;
  /** `organization`: any account (and organizations:ListAccounts); else these account IDs. */
  readonly accounts: 'organization' | readonly string[];
}

export interface ScanProjectProps {
  /** Where the scanner writes its reports and digest cache. No default. */
  readonly reports: ReportStore;
  /** The pipeline's artifact bucket, from which the build reads its input and the scanner. No default. */
  readonly artifactBucket: s3.IBucket;
  /**
   * CodeBuild compute: `lambda` starts in seconds and has a 15-minute limit and no VPC;
   * `ec2` takes a timeout and a VPC.
   * @default 'lambda'
   */
  readonly compute?: 'lambda' | 'ec2';
  /**
   * EC2 compute only: the build's timeout, 5 minutes to 36 hours.
   * @default Duration.hours(1) for EC2 compute (Lambda compute has none to set)
   */
  readonly timeout?: Duration;
  /**
   * EC2 compute only: run the build in these subnets.
   * @default outside any VPC
   */
  readonly vpc?: VpcPlacement;
  /**
   * A Docker config.json in Secrets Manager for private source registries, resolved by
   * CodeBuild into REGISTRY_CREDENTIALS. Must be in the stack's region.
   * @default anonymous access to source registries
   */
  readonly registryCredentials?: secretsmanager.ISecret;
  /**
   * The customer-managed key of that secret.
   * @default the AWS-managed key of Secrets Manager (nothing to grant)
   */
  readonly registryCredentialsKey?: kms.IKey;
  /**
   * Accounts whose ECR repositories are sources (login and manifest reads).
   * @default none
   */
  readonly ecrSourceAccounts?: readonly string[];
  /**
   * Regions whose registries of this account are inventoried (`--region`).
   * @default the stack's region
   */
  readonly inventoryRegions?: readonly string[];
  /**
   * Other accounts whose registries are inventoried through a read role there.
   * @default this account only
   */
  readonly memberAccess?: MemberAccess;
  /**
   * Topic that receives each run's summary (NOTIFY_TOPIC_ARN).
   * @default no notifications
   */
  readonly notificationTopic?: sns.ITopic;
  /**
   * How long CloudWatch keeps the build logs.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * CodeBuild compute type; more memory also brings more CPU.
   * @default codebuild.ComputeType.LAMBDA_1GB on Lambda compute, codebuild.ComputeType.SMALL on EC2
   */
  readonly computeType?: codebuild.ComputeType;
  /**
   * Register the build role as a pull-time update exclusion of this account's registry,
   * so that the scan's BatchGetImage calls do not refresh `lastRecordedPullTime` (which
   * lifecycle rules on `sinceImagePulled` read). Removed with the stack. ECR allows 100
   * exclusions per account and region.
   * @default true
   */
  readonly excludeFromPullTime?: boolean;
  /**
   * A fixed name for the build role, for stacks in other regions that register it as a
   * pull-time update exclusion by ARN (PullTimeExclusionStack). A named role needs
   * CAPABILITY_NAMED_IAM at deploy (`cdk deploy` grants it), and renaming it replaces it.
   * iam.Role checks it against IAM's rules.
   * @default a name CloudFormation generates
   */
  readonly roleName?: string;
}

/**
 * The CodeBuild project of the Scan stage, its role and its log group.
 *
 * Lambda compute (the default) starts a build in seconds instead of a minute or two
 * of provisioning, is billed by the second, and has no fleet to size; what it cannot
 * do does not touch this job (no Docker, no root, no `runtime-versions`, no VPC,
 * writes only under /tmp) except its fixed 15-minute limit. EC2 compute is there for
 * longer scans and for registries reachable only from a VPC.
 *
 * The role is given to the project immutable, so that none of CodeBuild's or
 * CodePipeline's automatic grants reach it (read, list and metadata on the whole
 * artifact bucket, the default /aws/codebuild log group, report groups). Its only
 * policy is the one written here; a grant made later through `project.grantPrincipal`
 * is dropped, on purpose.
 *
 * What the scan itself reads (input file, prefixes, options) is not here: it travels
 * in the Scanner artifact's settings file (lib/scan-settings.ts). The project passes
 * only what CloudFormation resolves: the bucket, the topic and the secret.
 */
export class ScanProject extends Construct {
  readonly project: codebuild.PipelineProject;
  /** The build's role, with the policy this construct writes. */
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The build role's pull-time update exclusion; absent with `excludeFromPullTime: false`. */
  readonly pullTimeExclusion?: ecr.CfnPullTimeUpdateExclusion;
  private readonly props: ScanProjectProps;

  constructor(scope: Construct, id: string, props: ScanProjectProps) {
    super(scope, id);
    this.props = props;
    this.node.addValidation({ validate: () => scanProjectProblems(props) });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      // Build logs are operational; the reports are what is kept.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = this.createRole();
    this.project = this.createProject();
    const vpc = props.vpc;
    if (vpc && (props.compute ?? 'lambda') === 'ec2') this.placeInVpc(vpc);
    if (props.excludeFromPullTime ?? true) {
      // CloudFormation's own resource (no custom resource, no Lambda): the deploying role
      // registers the exclusion, and deregisters it when the stack is deleted. The build
      // role itself gets no ecr:*PullTimeUpdateExclusion permission.
      this.pullTimeExclusion = new ecr.CfnPullTimeUpdateExclusion(this, 'PullTimeExclusion', { principalArn: this.role.roleArn });
      // The first build must not pull before the exclusion exists.
      this.project.node.addDependency(this.pullTimeExclusion);
    }
    // The immutable role hides the policy from CDK's ordering; without this the first
    // build (started as soon as the pipeline exists) could run before the policy does.
    this.project.node.addDependency(this.role);
    acknowledgeNag(
      this.project,
      'AwsSolutions-CB4',
      'The project stores no artifacts of its own (CodePipeline keeps them in the SSE-S3 artifact bucket) and its reports go to an SSE-S3 bucket; a customer key would protect nothing more.',
    );
  }

  private createRole(): iam.Role {
    const props = this.props;
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'Role', {
      ...(props.roleName !== undefined ? { roleName: props.roleName } : {}),
      // Only CodeBuild acting for this account may assume it (confused-deputy guard).
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Scan stage: reads ECR metadata, writes reports under one prefix',
    });
    this.logGroup.grantWrite(role);
    this.grantInventory(role);
    this.grantArtifactRead(role);
    props.reports.grantWriteReports(role);
    props.reports.grantCacheReadWrite(role, this.cacheScope());
    if (props.registryCredentials) this.grantSecretRead(role, props.registryCredentials, props.registryCredentialsKey);
    this.grantEcrSources(role, props.ecrSourceAccounts ?? []);
    if (props.memberAccess) this.grantMemberAccess(role, props.memberAccess);
    if (props.notificationTopic) {
      // Publish only: the build neither reads nor changes the topic or its subscriptions.
      iam.Grant.addToPrincipal({ grantee: role, actions: ['sns:Publish'], resourceArns: [props.notificationTopic.topicArn] });
    }
    return role;
  }

  private createProject(): codebuild.PipelineProject {
    const props = this.props;
    const ec2 = (props.compute ?? 'lambda') === 'ec2';
    return new codebuild.PipelineProject(this, 'Project', {
      description: 'Compares the images listed in input.txt with the ECR registry and uploads the report',
      role: this.role.withoutPolicyUpdates(),
      environment: ec2
        ? { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, computeType: props.computeType ?? codebuild.ComputeType.SMALL }
        : {
            buildImage: codebuild.LinuxLambdaBuildImage.AMAZON_LINUX_2023_NODE_22,
            computeType: props.computeType ?? codebuild.ComputeType.LAMBDA_1GB,
          },
      environmentVariables: this.environment(),
      ...(ec2 ? { timeout: props.timeout ?? Duration.hours(1) } : {}),
      buildSpec: new YamlBuildSpec(readFileSync(ec2 ? EC2_BUILDSPEC_PATH : BUILDSPEC_PATH, 'utf8')),
      logging: { cloudWatch: { logGroup: this.logGroup } },
      grantReportGroupPermissions: false,
    });
  }

  /**
   * What only CloudFormation can resolve; everything else is in the settings file.
   * These change only with the resources they name, which are not settings.
   */
  private environment(): Record<string, codebuild.BuildEnvironmentVariable> {
    const props = this.props;
    return {
      OUTPUT_BUCKET: { value: props.reports.bucket.bucketName },
      ...(props.notificationTopic ? { NOTIFY_TOPIC_ARN: { value: props.notificationTopic.topicArn } } : {}),
      // CodeBuild resolves the secret when the build starts (and masks its value in the
      // log); the template holds only the ARN. scan.sh moves the value into a 0600 file
      // and unsets the variable before the scanner starts.
      ...(props.registryCredentials
        ? {
            REGISTRY_CREDENTIALS: {
              type: codebuild.BuildEnvironmentVariableType.SECRETS_MANAGER,
              value: props.registryCredentials.secretArn,
            },
          }
        : {}),
    };
  }

  /** The inventory's read actions on every repository of this account, in each inventoried region. */
  private grantInventory(role: iam.Role): void {
    const stack = Stack.of(this);
    const regions = this.props.inventoryRegions ?? [];
    const resourceArns =
      regions.length === 0
        ? [stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: '*' })]
        : regions.map((region) => stack.formatArn({ service: 'ecr', region, resource: 'repository', resourceName: '*' }));
    iam.Grant.addToPrincipal({ grantee: role, actions: inventoryIamActions(), resourceArns });
    acknowledgeNag(
      role,
      'AwsSolutions-IAM5',
      'The scanner inventories every repository of the registry, which is its purpose; the actions only read metadata and manifests.',
      regions.length === 0
        ? ['Resource::arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/*']
        : regions.map((r) => `Resource::arn:<AWS::Partition>:ecr:${r}:<AWS::AccountId>:repository/*`),
    );
    // The plan's target registry's pull-through cache rules and blob mounting: registry-level reads.
    iam.Grant.addToPrincipal({ grantee: role, actions: targetSettingsIamActions(), resourceArns: ['*'] });
    acknowledgeNag(
      role,
      'AwsSolutions-IAM5',
      'ecr:DescribePullThroughCacheRules and ecr:GetAccountSetting have no resource-level permission (IAM accepts only "*"); they read the registry\'s pull-through cache rules and its BLOB_MOUNTING setting, nothing else.',
      ['Resource::*'],
    );
  }

  /**
   * The S3 part of the service role AWS documents for CodeBuild under CodePipeline,
   * narrowed from every bucket to this one: its objects (the input and the scanner)
   * and its ACL and location, never a listing.
   */
  private grantArtifactRead(role: iam.Role): void {
    const bucket = this.props.artifactBucket;
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resourceArns: [bucket.arnForObjects('*')],
    });
    iam.Grant.addToPrincipal({ grantee: role, actions: ['s3:GetBucketAcl', 's3:GetBucketLocation'], resourceArns: [bucket.bucketArn] });
    acknowledgeNag(
      role,
      'AwsSolutions-IAM5',
      "Pipeline artifact keys are random; the bucket holds only this pipeline's input and scanner artifacts, and the role may only get them.",
      [bucketArnFinding(bucket, '/*')],
    );
    acknowledgeNag(
      role,
      'AwsSolutions-IAM5',
      'Each run writes a new folder named by time and execution ID under the report prefix; the role may only put objects there, not read, list or delete them.',
      [bucketArnFinding(this.props.reports.bucket, `/${this.props.reports.prefix}/*`)],
    );
  }

  /**
   * GetSecretValue on the one secret, and Decrypt on its key only as Secrets Manager
   * uses it, in the secret's own region (named by its ARN).
   */
  private grantSecretRead(role: iam.Role, secret: secretsmanager.ISecret, key: kms.IKey | undefined): void {
    iam.Grant.addToPrincipal({ grantee: role, actions: ['secretsmanager:GetSecretValue'], resourceArns: [secret.secretArn] });
    if (key === undefined) return;
    const region = Token.isUnresolved(secret.secretArn)
      ? Stack.of(this).region
      : Arn.split(secret.secretArn, ArnFormat.COLON_RESOURCE_NAME).region;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
      }),
    );
  }

  /**
   * Pulls from private ECR repositories of other accounts (or this one, elsewhere):
   * a registry login, which IAM grants only on "*", then the manifest reads.
   */
  private grantEcrSources(role: iam.Role, accounts: readonly string[]): void {
    if (accounts.length === 0) return;
    iam.Grant.addToPrincipal({ grantee: role, actions: [ECR_SOURCE_LOGIN_ACTION], resourceArns: ['*'] });
    const partition = Stack.of(this).partition;
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: [...ECR_SOURCE_READ_ACTIONS],
      resourceArns: accounts.map((a) => `arn:${partition}:ecr:*:${a}:repository/*`),
    });
    acknowledgeNag(
      role,
      'AwsSolutions-IAM5',
      'ecr:GetAuthorizationToken has no resource-level permission (IAM accepts only "*"); it is granted only when ecrSourceAccounts names source accounts, and each of those accounts grants its repositories in their own policies.',
      ['Resource::*'],
    );
    acknowledgeNag(
      role,
      'AwsSolutions-IAM5',
      "Any image listed in input.txt may come from any repository of a named source account, in any region; the account's repository policies decide which the role may actually read.",
      accounts.map((a) => `Resource::arn:<AWS::Partition>:ecr:*:${a}:repository/*`),
    );
  }

  /** The registries whose caches a run keeps, when it scans more than the build's own (then it names each with --region/--account). */
  private cacheScope(): CacheScope | undefined {
    const { inventoryRegions, memberAccess } = this.props;
    if (inventoryRegions === undefined && memberAccess === undefined) return undefined;
    const stack = Stack.of(this);
    const accounts =
      memberAccess === undefined ? [stack.account] : memberAccess.accounts === 'organization' ? [ANY_ACCOUNT_ID] : memberAccess.accounts;
    return { accounts, regions: inventoryRegions ?? [stack.region] };
  }

  /**
   * sts:AssumeRole on the member read role's name only (in the listed accounts, or in
   * any account of the organization), and organizations:ListAccounts only for the
   * organization, which IAM grants only on "*".
   */
  private grantMemberAccess(role: iam.Role, access: MemberAccess): void {
    const partition = Stack.of(this).partition;
    const accounts = access.accounts === 'organization' ? ['*'] : access.accounts;
    const roleArns = accounts.map((a) => `arn:${partition}:iam::${a}:role/${access.roleName}`);
    iam.Grant.addToPrincipal({ grantee: role, actions: ['sts:AssumeRole'], resourceArns: roleArns });
    if (access.accounts !== 'organization') return;
    iam.Grant.addToPrincipal({ grantee: role, actions: ['organizations:ListAccounts'], resourceArns: ['*'] });
    acknowledgeNag(
      role,
      'AwsSolutions-IAM5',
      'organizations:ListAccounts has no resource-level permission (IAM accepts only "*"); it is granted only with scanAccounts=organization. The read role of every member account is assumed by its one name; the member roles trust this role alone.',
      ['Resource::*', `Resource::arn:<AWS::Partition>:iam::*:role/${access.roleName}`],
    );
  }

  /**
   * Runs the build in existing subnets. Set on the CloudFormation resource rather than
   * through the L2 `vpc` prop: with the immutable role, the L2 would build a policy it
   * cannot attach. The statements are CDK's own for a VPC build.
   */
  private placeInVpc(vpc: VpcPlacement): void {
    const stack = Stack.of(this);
    (this.project.node.defaultChild as codebuild.CfnProject).vpcConfig = {
      vpcId: vpc.vpcId,
      subnets: [...vpc.subnetIds],
      securityGroupIds: [...vpc.securityGroupIds],
    };
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:CreateNetworkInterfacePermission'],
        resources: [stack.formatArn({ service: 'ec2', resource: 'network-interface', resourceName: '*' })],
        conditions: {
          StringEquals: {
            'ec2:Subnet': vpc.subnetIds.map((id) => stack.formatArn({ service: 'ec2', resource: 'subnet', resourceName: id })),
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

/** What the construct refuses in its own props (run at synth by node.addValidation). */
export function scanProjectProblems(props: ScanProjectProps): string[] {
  const problems: string[] = [];
  const ec2 = (props.compute ?? 'lambda') === 'ec2';
  if (!ec2 && props.vpc) problems.push("ScanProject: vpc needs compute 'ec2' (CodeBuild's Lambda compute cannot run in a VPC)");
  if (!ec2 && props.timeout) problems.push("ScanProject: timeout needs compute 'ec2' (Lambda compute stops every build at 15 minutes)");
  if (props.timeout && !props.timeout.isUnresolved()) {
    const minutes = props.timeout.toMinutes();
    if (minutes < MIN_BUILD_TIMEOUT_MINUTES || minutes > MAX_BUILD_TIMEOUT_MINUTES)
      problems.push(`ScanProject: timeout must be ${MIN_BUILD_TIMEOUT_MINUTES} to ${MAX_BUILD_TIMEOUT_MINUTES} minutes`);
  }
  if (props.vpc) {
    const { subnetIds, securityGroupIds } = props.vpc;
    if (subnetIds.length < 1 || subnetIds.length > MAX_VPC_SUBNETS)
      problems.push(`ScanProject: a VPC build takes 1 to ${MAX_VPC_SUBNETS} subnets, got ${subnetIds.length}`);
    if (securityGroupIds.length < 1 || securityGroupIds.length > MAX_VPC_SECURITY_GROUPS)
      problems.push(`ScanProject: a VPC build takes 1 to ${MAX_VPC_SECURITY_GROUPS} security groups, got ${securityGroupIds.length}`);
  }
  if (props.registryCredentialsKey && !props.registryCredentials)
    problems.push('ScanProject: registryCredentialsKey is only meaningful with registryCredentials');
  return problems;
}
