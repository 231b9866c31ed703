import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { ComputeConfig, ScannerConfig } from './config';
import { CodeCommitInput } from './input/codecommit-input';
import { ConnectionInput } from './input/connection-input';
import { S3Input } from './input/s3-input';
import { ScanInput } from './input/scan-input';
import { LambdaComputeRegionRule } from './lambda-compute-region';
import { acknowledgeNag } from './nag';
import { ReportStore } from './report-store';
import { ScanNotifications } from './scan-notifications';
import { ScanPipeline } from './scan-pipeline';
import { ScanProject, ScanProjectProps } from './scan-project';
import { ReportLayout, ScanSettings, scanSettingsFile } from './scan-settings';
import { SecretRegionRule } from './secret-region-rule';
import { ScanSchedule } from './scan-schedule';
import { ScannerArtifact } from './scanner-artifact';
import { SecureBucket } from './secure-bucket';

/** Sample input.txt and README committed to a new CodeCommit repository. */
export const SEED_DIRECTORY = join(__dirname, '..', 'seed');
/** Pipeline artifacts are only needed while an execution runs (and for a retry soon after). */
export const ARTIFACT_RETENTION_DAYS = 30;

export interface EcrDuplicateScannerStackProps extends StackProps {
  /** The app's settings, from `readConfig` (lib/config.ts), which holds their defaults. No default. */
  readonly config: ScannerConfig;
  /** Directory of the bundled scanner and scan.sh (scripts/bundle-scanner.ts). No default. */
  readonly scannerBundleDir: string;
  /**
   * Directory committed to a new CodeCommit repository.
   * @default SEED_DIRECTORY (seed/ in this repository)
   */
  readonly seedDirectory?: string;
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
    const { config } = props;
    // Kept on update and delete, but not when the very first create rolls back: a failed
    // first attempt then leaves no empty buckets behind (DeletionPolicy RetainExceptOnCreate).
    const reportRemoval = config.outputBucketRemovalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

    if (config.compute.kind === 'lambda') new LambdaComputeRegionRule(this, 'LambdaComputeRegion');

    // The audit trail of the reports, so it expires with them. Kept even with
    // outputBucketRemovalPolicy=destroy: S3 delivers access logs late (best effort, up
    // to hours), so logs of the buckets being deleted can land after CloudFormation has
    // emptied this one and fail the delete (aws/aws-cdk#21776). The README's clean-up
    // removes it afterwards with one command; a late log cannot recreate a deleted bucket.
    const accessLogs = new SecureBucket(this, 'AccessLogs', {
      expireAfterDays: config.reportRetentionDays,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    }).bucket;
    acknowledgeNag(
      accessLogs,
      'AwsSolutions-S1',
      'This is the server access log bucket of the other buckets; logging it into itself would log its own log deliveries without end.',
    );

    this.reports = new ReportStore(this, 'Reports', {
      prefix: config.reportPrefix,
      retentionDays: config.reportRetentionDays,
      removalPolicy: reportRemoval,
      accessLogsBucket: accessLogs,
    });
    const artifactBucket = new SecureBucket(this, 'Artifacts', {
      expireAfterDays: ARTIFACT_RETENTION_DAYS,
      removalPolicy: RemovalPolicy.DESTROY,
      accessLogsBucket: accessLogs,
    }).bucket;

    this.input = this.createInput(config, accessLogs, props.seedDirectory ?? SEED_DIRECTORY);
    const scanner = (this.scanner = new ScannerArtifact(this, 'Scanner', {
      bundleDir: props.scannerBundleDir,
      settings: scanSettingsFile(scanSettingsOf(config, this.reports.layout)),
    }));
    if (config.notificationEmail !== undefined) {
      this.notifications = new ScanNotifications(this, 'Notifications', { email: config.notificationEmail });
    }
    this.scan = new ScanProject(this, 'Scan', {
      reports: this.reports,
      artifactBucket,
      ...computeProps(config.compute),
      ecrSourceAccounts: config.ecrSourceAccounts,
      ...organizationProps(config),
      ...this.registryCredentialsProps(config),
      ...(this.notifications ? { notificationTopic: this.notifications.topic } : {}),
    });
    this.pipeline = new ScanPipeline(this, 'Pipeline', { artifactBucket, input: this.input, scanner, scan: this.scan });
    if (config.schedule !== undefined) {
      this.schedule = new ScanSchedule(this, 'Schedule', { pipeline: this.pipeline.pipeline, expression: config.schedule });
    }

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
        description: `Run summaries go here; ${config.notificationEmail} must confirm the subscription mail first`,
      });
    }
    if (this.schedule) {
      new CfnOutput(this, 'ScanSchedule', {
        value: this.schedule.expression,
        description: 'The scan re-runs on this EventBridge schedule',
      });
      new CfnOutput(this, 'ScanScheduleRuleName', {
        value: this.schedule.rule.ruleName,
        description: 'EventBridge rule that starts the scheduled runs',
      });
    }
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

  /** The secret and key as references; a secret outside the stack's region is refused before anything is created. */
  private registryCredentialsProps(config: ScannerConfig): Pick<ScanProjectProps, 'registryCredentials' | 'registryCredentialsKey'> {
    const credentials = config.registryCredentials;
    if (!credentials) return {};
    new SecretRegionRule(this, 'RegistryCredentialsRegion', { secretArn: credentials.secretArn });
    return {
      registryCredentials: secretsmanager.Secret.fromSecretCompleteArn(this, 'RegistryCredentials', credentials.secretArn),
      ...(credentials.kmsKeyArn !== undefined
        ? { registryCredentialsKey: kms.Key.fromKeyArn(this, 'RegistryCredentialsKey', credentials.kmsKeyArn) }
        : {}),
    };
  }

  private createInput(config: ScannerConfig, accessLogs: s3.IBucket, seedDirectory: string): ScanInput {
    const source = config.source;
    switch (source.kind) {
      case 'codecommit':
        return new CodeCommitInput(this, 'Input', { repositoryName: source.repositoryName, branch: source.branch, seedDirectory });
      case 's3':
        return new S3Input(this, 'Input', {
          objectKey: source.objectKey,
          inputFile: config.inputFile,
          noncurrentVersionRetentionDays: config.reportRetentionDays,
          accessLogsBucket: accessLogs,
        });
      case 'connection':
        return new ConnectionInput(this, 'Input', {
          connectionArn: source.connectionArn,
          owner: source.owner,
          repo: source.repo,
          branch: source.branch,
        });
    }
  }
}

/** What scan.sh reads from the Scanner artifact's settings file. */
export function scanSettingsOf(config: ScannerConfig, layout: ReportLayout): ScanSettings {
  return {
    layout,
    inputFile: config.inputFile,
    compute: config.compute.kind,
    ...(config.scanConcurrency !== undefined ? { concurrency: config.scanConcurrency } : {}),
    insecureRegistries: config.insecureRegistries,
    ...(config.registryCaFile !== undefined ? { registryCaFile: config.registryCaFile } : {}),
    ...(config.targetPrefix !== undefined ? { targetPrefix: config.targetPrefix } : {}),
    ...(config.registryCredentials ? { registryCredentialsSecretArn: config.registryCredentials.secretArn } : {}),
    notifications: config.notificationEmail !== undefined,
    scanRegions: config.organization?.regions ?? [],
    scanAccounts: Array.isArray(config.organization?.accounts) ? (config.organization.accounts as readonly string[]) : [],
    organization: config.organization?.accounts === 'organization',
    ...(config.organization ? { memberRoleName: config.organization.memberRoleName } : {}),
  };
}

function organizationProps(config: ScannerConfig): Pick<ScanProjectProps, 'inventoryRegions' | 'memberAccess'> {
  const org = config.organization;
  if (!org) return {};
  const others = org.accounts === 'organization' || org.accounts.length > 0;
  return {
    inventoryRegions: org.regions,
    ...(others ? { memberAccess: { roleName: org.memberRoleName, accounts: org.accounts } } : {}),
  };
}

function computeProps(compute: ComputeConfig): Pick<ScanProjectProps, 'compute' | 'timeout' | 'vpc'> {
  if (compute.kind === 'lambda') return { compute: 'lambda' };
  return { compute: 'ec2', timeout: Duration.minutes(compute.timeoutMinutes), ...(compute.vpc ? { vpc: compute.vpc } : {}) };
}
