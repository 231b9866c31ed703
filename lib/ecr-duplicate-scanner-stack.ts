import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { defaultRepositoryName } from './config';
import { CodeCommitInput } from './input/codecommit-input';
import { ConnectionInput } from './input/connection-input';
import { S3Input } from './input/s3-input';
import { ScanInput } from './input/scan-input';
import { applyProjectFeatureFlags } from './feature-flags';
import { DeployRegionRule } from './deploy-region-rule';
import { LambdaComputeRegionRule } from './lambda-compute-region';
import { acknowledgeNag } from './nag';
import { ReportStore } from './report-store';
import { ScanNotifications } from './scan-notifications';
import { ScanPipeline } from './scan-pipeline';
import { ScanProject, ScanProjectProps, VpcPlacement } from './scan-project';
import { scanSettingsFile } from './scan-settings';
import { organizationProps, scanSettingsOf } from './scanner-stack-settings';
import { stackPropsProblems } from './scanner-stack-validation';
import { CONTEXT_DEFAULTS } from './settings/keys';
import { parseRepositoryPath } from './settings/value-rules';
import { SecretRegionRule } from './secret-region-rule';
import { ScanSchedule } from './scan-schedule';
import { ScannerArtifact } from './scanner-artifact';
import { SecureBucket } from './secure-bucket';

export { scanSettingsOf } from './scanner-stack-settings';

/** Sample input.txt and README committed to a new CodeCommit repository. */
export const SEED_DIRECTORY = join(__dirname, '..', 'seed');
/** Pipeline artifacts are only needed while an execution runs (and for a retry soon after). */
export const ARTIFACT_RETENTION_DAYS = 30;

/** Where input.txt comes from: a CodeCommit repository or an S3 bucket the stack creates, or a connection that exists. */
export type InputSourceKind = 'codecommit' | 's3' | 'connection';

/**
 * What the scan itself reads (the Scanner artifact's settings file): the part of the
 * stack's props that scan.sh receives. Every prop is the stack's, with its default.
 */
export interface ScanSettingsProps {
  /**
   * Path of input.txt inside the source (repository or zip).
   * @default 'input.txt'
   */
  readonly inputFile?: string;
  /**
   * CodeBuild compute: `lambda` starts in seconds and stops at 15 minutes; `ec2` takes
   * `buildTimeout` and `vpc`.
   * @default 'lambda'
   */
  readonly compute?: 'lambda' | 'ec2';
  /**
   * The scanner's `--concurrency`, 1 to 256.
   * @default the scanner's own default
   */
  readonly scanConcurrency?: number;
  /**
   * `host[:port]` of registries inside the network spoken to over plain HTTP (`--insecure-registry`).
   * @default none: every registry over TLS
   */
  readonly insecureRegistries?: readonly string[];
  /**
   * Path in the input source of a PEM bundle of private CAs that registries' certificates chain to.
   * @default the system's trust store only
   */
  readonly registryCaFile?: string;
  /**
   * `--target-prefix` of the migration plan.
   * @default no prefix
   */
  readonly targetPrefix?: string;
  /**
   * A Docker config.json in Secrets Manager for private source registries, named by its
   * complete ARN (`Secret.fromSecretCompleteArn`), in the stack's region.
   * @default anonymous access to source registries
   */
  readonly registryCredentials?: secretsmanager.ISecret;
  /**
   * Address subscribed to each run's summary.
   * @default no notifications (no topic)
   */
  readonly notificationEmail?: string;
  /**
   * Registries of these regions are inventoried (`--region`); empty: the stack's region.
   * @default the stack's region
   */
  readonly scanRegions?: readonly string[];
  /**
   * Registries of other accounts inventoried through `memberRoleName` there:
   * `'organization'` for every account of the organization, else account IDs.
   * @default this account only
   */
  readonly scanAccounts?: 'organization' | readonly string[];
  /**
   * The read role assumed in every other account (MemberRoleStack deploys it); only
   * with `scanAccounts` or `scanRegions`.
   * @default DEFAULT_MEMBER_ROLE_NAME, 'ecr-duplicate-scanner-read'
   */
  readonly memberRoleName?: string;
  /**
   * The migration plan's target registry (`--target-registry`), a private ECR host such
   * as `111122223333.dkr.ecr.eu-west-1.amazonaws.com`; only with `scanAccounts` or
   * `scanRegions`. It needs no permission of its own: the plan is written, never pushed,
   * and the scanner reads the target's repositories and tags only when the target is one
   * of the registries it inventories anyway (an account scanned, in a region of
   * `scanRegions`), through the same credentials. A target outside them is planned
   * blind: every target repository counts as one to create and no tag as taken.
   * @default this account in the first of `scanRegions`, else in the stack's region (the scanner's default)
   */
  readonly targetRegistry?: string;
  /**
   * The stacks that create the member read roles (this repository's app: the member
   * StackSets' stack and the management account's own, both deployed in the management
   * account), named in the error of a registry whose role cannot be assumed, with the
   * command that re-runs the pipeline; only with `scanAccounts`.
   * @default the re-run command alone
   */
  readonly memberRoleStacks?: readonly string[];
}

/**
 * The stack's settings, each one a plain prop: another CDK app sets them directly;
 * this repository's app (bin/) maps its context keys onto them.
 */
export interface EcrDuplicateScannerStackProps extends StackProps, ScanSettingsProps {
  /** Directory of the bundled scanner and scan.sh (scripts/bundle-scanner.ts). No default. */
  readonly scannerBundleDir: string;
  /**
   * Where input.txt comes from: `codecommit` (a repository the stack creates), `s3`
   * (a bucket the stack creates) or `connection` (GitHub, GitLab or Bitbucket through
   * an existing CodeConnections connection: `connectionArn` and `repository`).
   * @default 'codecommit'
   */
  readonly source?: InputSourceKind;
  /**
   * `codecommit` only: the name of the repository the stack creates.
   * @default the stack name in kebab case plus `-input` (`ecr-duplicate-scanner-input` for EcrDuplicateScanner)
   */
  readonly repositoryName?: string;
  /**
   * `codecommit` and `connection`: the branch whose pushes start a scan.
   * @default 'main'
   */
  readonly branch?: string;
  /**
   * `s3` only: key of the zip holding input.txt (CodeBuild unzips its input).
   * @default 'input.zip'
   */
  readonly inputObjectKey?: string;
  /** `connection` only, and required there: the ARN of an AVAILABLE connection. @default none */
  readonly connectionArn?: string;
  /** `connection` only, and required there: `owner/repo` (the owner may be a GitLab group path). @default none */
  readonly repository?: string;
  /**
   * Directory committed to a new CodeCommit repository.
   * @default SEED_DIRECTORY (seed/ in this repository)
   */
  readonly seedDirectory?: string;
  /**
   * Key prefix of the reports in the output bucket.
   * @default 'reports'
   */
  readonly reportPrefix?: string;
  /**
   * Days before reports (their older versions, the input's older versions and the access logs) expire.
   * @default 365
   */
  readonly reportRetentionDays?: number;
  /**
   * What happens to the output bucket when the stack is deleted.
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE (kept, except when the first create rolls back)
   */
  readonly outputBucketRemovalPolicy?: RemovalPolicy;
  /**
   * EC2 compute only: the build's timeout.
   * @default Duration.minutes(60)
   */
  readonly buildTimeout?: Duration;
  /**
   * EC2 compute only: existing subnets and security groups the build runs in.
   * @default outside any VPC
   */
  readonly vpc?: VpcPlacement;
  /**
   * EventBridge schedule expression (`rate(1 day)`, `cron(0 6 ? * MON-FRI *)`) that re-runs the scan.
   * @default no schedule: runs on input changes and by hand
   */
  readonly schedule?: string;
  /**
   * The customer-managed KMS key of `registryCredentials`.
   * @default the AWS-managed key of Secrets Manager
   */
  readonly registryCredentialsKey?: kms.IKey;
  /**
   * Accounts whose ECR repositories are sources (pulled with GetAuthorizationToken).
   * @default none
   */
  readonly ecrSourceAccounts?: readonly string[];
  /**
   * A fixed name for the build role, so that stacks in other regions can register it as a
   * pull-time update exclusion by its ARN (PullTimeExclusionStack; this repository's app
   * uses `buildRoleName(stackName, region)`). Deploying a named role needs
   * CAPABILITY_NAMED_IAM, which `cdk deploy` grants; setting or changing the name replaces
   * the role, and with it the `BuildRoleArn` output.
   * @default a name CloudFormation generates
   */
  readonly buildRoleName?: string;
  /**
   * The one region this template may be deployed to: a template rule refuses any other
   * before anything is created. For an app that decided something beside the stack from
   * its region at synth (the build role's name, the exclusion stacks of the other
   * `scanRegions`). The stack stays environment-agnostic otherwise.
   * @default any region
   */
  readonly deployRegion?: string;
}

/**
 * input.txt in a repository or bucket -> CodePipeline (Source, Scan) -> reports in
 * the output bucket. Environment-agnostic: it synthesizes without an account.
 */
export class EcrDuplicateScannerStack extends Stack {
  readonly reports: ReportStore;
  readonly input: ScanInput;
  readonly scan: ScanProject;
  /** The scanner bundle and the settings file, as the Scan stage receives them. */
  readonly scanner: ScannerArtifact;
  readonly pipeline: ScanPipeline;
  readonly notifications?: ScanNotifications;
  readonly schedule?: ScanSchedule;

  constructor(scope: Construct, id: string, props: EcrDuplicateScannerStackProps) {
    super(scope, id, props);
    applyProjectFeatureFlags(this);
    this.node.addValidation({ validate: () => stackPropsProblems(props, this.stackName) });
    const retentionDays = props.reportRetentionDays ?? CONTEXT_DEFAULTS.reportRetentionDays;
    const compute = props.compute ?? CONTEXT_DEFAULTS.compute;
    this.addRegionRules(props, compute);

    const accessLogs = this.createAccessLogs(retentionDays);
    this.reports = new ReportStore(this, 'Reports', {
      prefix: props.reportPrefix ?? CONTEXT_DEFAULTS.reportPrefix,
      retentionDays,
      // Kept on update and delete, but not when the very first create rolls back: a failed
      // first attempt then leaves no empty buckets behind (DeletionPolicy RetainExceptOnCreate).
      removalPolicy: props.outputBucketRemovalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      accessLogsBucket: accessLogs,
    });
    const artifactBucket = new SecureBucket(this, 'Artifacts', {
      expireAfterDays: ARTIFACT_RETENTION_DAYS,
      removalPolicy: RemovalPolicy.DESTROY,
      accessLogsBucket: accessLogs,
    }).bucket;

    this.input = this.createInput(props, accessLogs, retentionDays);
    this.scanner = new ScannerArtifact(this, 'Scanner', {
      bundleDir: props.scannerBundleDir,
      // ScanPipeline names the pipeline after the stack.
      settings: scanSettingsFile(scanSettingsOf(props, this.reports.layout, this.stackName)),
    });
    if (props.notificationEmail !== undefined) {
      this.notifications = new ScanNotifications(this, 'Notifications', { email: props.notificationEmail });
    }
    this.scan = this.createScan(props, compute, artifactBucket);
    this.pipeline = new ScanPipeline(this, 'Pipeline', { artifactBucket, input: this.input, scanner: this.scanner, scan: this.scan });
    if (props.schedule !== undefined) {
      this.schedule = new ScanSchedule(this, 'Schedule', { pipeline: this.pipeline.pipeline, expression: props.schedule });
    }
    this.addOutputs(accessLogs, props.notificationEmail);
  }

  /** Template rules that refuse a region the stack cannot work in, before anything is created. */
  private addRegionRules(props: EcrDuplicateScannerStackProps, compute: string): void {
    if (compute === 'lambda') new LambdaComputeRegionRule(this, 'LambdaComputeRegion');
    if (props.deployRegion === undefined) return;
    new DeployRegionRule(this, 'DeployRegion', {
      region: props.deployRegion,
      madeFor:
        props.buildRoleName !== undefined
          ? `the build role's name, ${props.buildRoleName}, and the stacks that register it as a pull-time update exclusion in the other scanRegions`
          : "which scanRegions are other regions than the stack's own",
    });
  }

  /**
   * The audit trail of the reports, so it expires with them. Kept even when the output
   * bucket is destroyed: S3 delivers access logs late (best effort, up to hours), so logs of
   * the buckets being deleted can land after CloudFormation has emptied this one and fail
   * the delete (aws/aws-cdk#21776). docs/deploying.md's clean-up removes it afterwards with one
   * command; a late log cannot recreate a deleted bucket.
   */
  private createAccessLogs(retentionDays: number): s3.IBucket {
    const accessLogs = new SecureBucket(this, 'AccessLogs', {
      expireAfterDays: retentionDays,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    }).bucket;
    acknowledgeNag(
      accessLogs,
      'AwsSolutions-S1',
      'This is the server access log bucket of the other buckets; logging it into itself would log its own log deliveries without end.',
    );
    return accessLogs;
  }

  private createScan(props: EcrDuplicateScannerStackProps, compute: 'lambda' | 'ec2', artifactBucket: s3.IBucket): ScanProject {
    return new ScanProject(this, 'Scan', {
      reports: this.reports,
      artifactBucket,
      compute,
      // Passed on whenever given, so that ScanProject refuses them with Lambda compute.
      ...(compute === 'ec2' || props.buildTimeout
        ? { timeout: props.buildTimeout ?? Duration.minutes(CONTEXT_DEFAULTS.buildTimeoutMinutes) }
        : {}),
      ...(props.vpc ? { vpc: props.vpc } : {}),
      ...(props.buildRoleName !== undefined ? { roleName: props.buildRoleName } : {}),
      ecrSourceAccounts: props.ecrSourceAccounts ?? [],
      ...organizationProps(props),
      ...this.registryCredentialsProps(props),
      ...(this.notifications ? { notificationTopic: this.notifications.topic } : {}),
    });
  }

  private addOutputs(accessLogs: s3.IBucket, notificationEmail: string | undefined): void {
    for (const [name, output] of Object.entries(this.input.outputs)) {
      new CfnOutput(this, name, { value: output.value, description: output.description });
    }
    new CfnOutput(this, 'OutputBucketName', { value: this.reports.bucket.bucketName, description: 'Bucket holding the reports' });
    new CfnOutput(this, 'LatestReportUri', { value: this.reports.latestUri, description: 'The newest report' });
    new CfnOutput(this, 'DownloadLatestReportCommand', {
      value: `aws s3 cp --recursive ${this.reports.latestUri} ./report`,
      description: 'Downloads the newest report into ./report',
    });
    new CfnOutput(this, 'AccessLogsBucketName', {
      value: accessLogs.bucketName,
      description: 'Server access logs of the other buckets; kept when the stack is deleted (see the README clean-up)',
    });
    new CfnOutput(this, 'BuildRoleArn', {
      value: this.scan.role.roleArn,
      description: 'Role of the scan build: the principal a cross-account ECR repository policy must allow',
    });
    if (this.notifications) {
      new CfnOutput(this, 'NotificationTopicArn', {
        value: this.notifications.topic.topicArn,
        description: `Run summaries go here; ${notificationEmail} must confirm the subscription mail first`,
      });
    }
    if (this.schedule) this.addScheduleOutputs(this.schedule);
    new CfnOutput(this, 'StartScanCommand', {
      value: `aws codepipeline start-pipeline-execution --name ${this.pipeline.pipeline.pipelineName}`,
      description:
        'Starts a scan now: after confirming the notification subscription (the run on creation mails no one yet), or after a Source/Scan failure you have fixed',
    });
    new CfnOutput(this, 'PipelineConsoleUrl', {
      value: `https://${this.region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/${this.pipeline.pipeline.pipelineName}/view?region=${this.region}`,
      description: 'The pipeline in the AWS console: runs, their status and logs',
    });
  }

  private addScheduleOutputs(schedule: ScanSchedule): void {
    new CfnOutput(this, 'ScanSchedule', { value: schedule.expression, description: 'The scan re-runs on this EventBridge schedule' });
    new CfnOutput(this, 'ScanScheduleRuleName', {
      value: schedule.rule.ruleName,
      description: 'EventBridge rule that starts the scheduled runs',
    });
  }

  /** The secret and key as the project takes them; a secret outside the stack's region is refused before anything is created. */
  private registryCredentialsProps(
    props: EcrDuplicateScannerStackProps,
  ): Pick<ScanProjectProps, 'registryCredentials' | 'registryCredentialsKey'> {
    const secret = props.registryCredentials;
    const key = props.registryCredentialsKey;
    // Without a secret the key is passed on alone, for ScanProject to refuse.
    if (!secret) return key ? { registryCredentialsKey: key } : {};
    if (!Token.isUnresolved(secret.secretArn)) new SecretRegionRule(this, 'RegistryCredentialsRegion', { secret });
    return { registryCredentials: secret, ...(key ? { registryCredentialsKey: key } : {}) };
  }

  private createInput(props: EcrDuplicateScannerStackProps, accessLogs: s3.IBucket, retentionDays: number): ScanInput {
    const branch = props.branch ?? CONTEXT_DEFAULTS.branch;
    switch (props.source ?? CONTEXT_DEFAULTS.source) {
      case 'codecommit':
        return new CodeCommitInput(this, 'Input', {
          repositoryName: props.repositoryName ?? defaultRepositoryName(this.stackName),
          branch,
          seedDirectory: props.seedDirectory ?? SEED_DIRECTORY,
        });
      case 's3':
        return new S3Input(this, 'Input', {
          objectKey: props.inputObjectKey ?? CONTEXT_DEFAULTS.inputObjectKey,
          inputFile: props.inputFile ?? CONTEXT_DEFAULTS.inputFile,
          noncurrentVersionRetentionDays: retentionDays,
          accessLogsBucket: accessLogs,
        });
      case 'connection': {
        // Refused by the validation when absent or malformed; placeholders keep construction going until it runs.
        const { owner, repo } = parseRepositoryPath(props.repository ?? '') ?? { owner: '', repo: '' };
        return new ConnectionInput(this, 'Input', { connectionArn: props.connectionArn ?? '', owner, repo, branch });
      }
    }
  }
}
