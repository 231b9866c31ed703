/**
 * The app's side of the stack: its settings, read from context by readConfig
 * (lib/config.ts), mapped onto the stack's props. The stack itself knows no context key.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { OrganizationConfig, ScannerConfig } from '../lib/config';
import { EcrDuplicateScannerStack, EcrDuplicateScannerStackProps } from '../lib/ecr-duplicate-scanner-stack';
import { MemberRoleStack, memberRoleStackName } from '../lib/member-role-stack';

export interface ScannerStacks {
  readonly scanner: EcrDuplicateScannerStack;
  /** Only with memberOrganizationalUnits: the management account's StackSet stack. */
  readonly members?: MemberRoleStack;
}

/** The app's stacks for one configuration: what bin/app.ts deploys and the tests synthesize. */
export function addScannerStacks(app: App, config: ScannerConfig, scannerBundleDir: string): ScannerStacks {
  const scanner = new EcrDuplicateScannerStack(app, config.stackName, {
    ...scannerStackProps(config),
    scannerBundleDir,
    description: 'ECR duplicate image scanner: input.txt -> CodePipeline -> CodeBuild -> reports in S3',
  });
  const set = config.memberRoleStackSet;
  if (!set) return { scanner };
  // Deployed in the organization's management account, after the scanner stack (it names its build role).
  const members = new MemberRoleStack(app, memberRoleStackName(config.stackName), {
    roleName: set.memberRoleName,
    trustedRoleArn: set.scannerBuildRoleArn,
    organizationalUnits: set.organizationalUnits,
    ...(set.regions.length > 0 ? { regions: set.regions } : {}),
    description:
      'ECR duplicate image scanner: read-only ECR role in every member account, a pull-time update exclusion in every scanned region (service-managed StackSets)',
  });
  return { scanner, members };
}

/** The stack's props for the context's settings (readConfig has applied the defaults and checked every value). */
export function scannerStackProps(config: ScannerConfig): Omit<EcrDuplicateScannerStackProps, 'scannerBundleDir'> {
  const { source, compute, organization, registryCredentials } = config;
  return {
    source: source.kind,
    ...(source.kind === 'codecommit' ? { repositoryName: source.repositoryName, branch: source.branch } : {}),
    ...(source.kind === 's3' ? { inputObjectKey: source.objectKey } : {}),
    ...(source.kind === 'connection'
      ? { connectionArn: source.connectionArn, repository: `${source.owner}/${source.repo}`, branch: source.branch }
      : {}),
    inputFile: config.inputFile,
    reportPrefix: config.reportPrefix,
    reportRetentionDays: config.reportRetentionDays,
    outputBucketRemovalPolicy:
      config.outputBucketRemovalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    ...(config.scanConcurrency !== undefined ? { scanConcurrency: config.scanConcurrency } : {}),
    compute: compute.kind,
    ...(compute.kind === 'ec2'
      ? { buildTimeout: Duration.minutes(compute.timeoutMinutes), ...(compute.vpc ? { vpc: compute.vpc } : {}) }
      : {}),
    ...(config.schedule !== undefined ? { schedule: config.schedule } : {}),
    ...(config.notificationEmail !== undefined ? { notificationEmail: config.notificationEmail } : {}),
    ...(registryCredentials ? importedRegistryCredentials(registryCredentials.secretArn, registryCredentials.kmsKeyArn) : {}),
    ecrSourceAccounts: config.ecrSourceAccounts,
    insecureRegistries: config.insecureRegistries,
    ...(config.registryCaFile !== undefined ? { registryCaFile: config.registryCaFile } : {}),
    ...(config.targetPrefix !== undefined ? { targetPrefix: config.targetPrefix } : {}),
    ...(organization ? organizationStackProps(organization) : {}),
  };
}

/**
 * The organization keys as props. No account list (scanRegions alone) leaves scanAccounts
 * out: this account only, which the stack takes from an absent prop, never from an empty list.
 */
function organizationStackProps(
  organization: OrganizationConfig,
): Pick<EcrDuplicateScannerStackProps, 'scanAccounts' | 'scanRegions' | 'memberRoleName' | 'targetRegistry'> {
  const { accounts } = organization;
  return {
    ...(accounts === 'organization' || accounts.length > 0 ? { scanAccounts: accounts } : {}),
    scanRegions: organization.regions,
    memberRoleName: organization.memberRoleName,
    ...(organization.targetRegistry !== undefined ? { targetRegistry: organization.targetRegistry } : {}),
  };
}

/**
 * The secret and key named in context, as references. An import by ARN creates no
 * resource but needs a stack as its scope, and the scanner stack does not exist before
 * its props: a stack outside the app holds them, so it is never synthesized.
 */
function importedRegistryCredentials(
  secretArn: string,
  kmsKeyArn: string | undefined,
): Pick<EcrDuplicateScannerStackProps, 'registryCredentials' | 'registryCredentialsKey'> {
  const references = new Stack(undefined, 'ContextReferences');
  return {
    registryCredentials: secretsmanager.Secret.fromSecretCompleteArn(references, 'RegistryCredentials', secretArn),
    ...(kmsKeyArn !== undefined ? { registryCredentialsKey: kms.Key.fromKeyArn(references, 'RegistryCredentialsKey', kmsKeyArn) } : {}),
  };
}
