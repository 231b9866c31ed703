/**
 * The app's side of the stack: its settings, read from context by readConfig
 * (lib/config.ts), mapped onto the stack's props. The stack itself knows no context key.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { MemberRoleStackSetConfig, ScanScopeConfig, ScannerConfig, scansOtherAccounts } from '../lib/config';
import { scannerRegions } from '../lib/scanner-region';
import { EcrDuplicateScannerStack, EcrDuplicateScannerStackProps } from '../lib/ecr-duplicate-scanner-stack';
import { ManagementReadRoleStack, managementExclusionStackName, managementReadRoleStackName } from '../lib/management-read-role-stack';
import { MemberRoleStack, memberRoleStackName } from '../lib/member-role-stack';
import { PullTimeExclusionStack, pullTimeExclusionStackName } from '../lib/pull-time-exclusion-stack';
import { buildRoleName } from '../lib/role-name';

export interface ScannerStacks {
  readonly scanner: EcrDuplicateScannerStack;
  /** Only with memberOrganizationalUnits: the management account's StackSet stack. */
  readonly members?: MemberRoleStack;
  /**
   * Only with memberOrganizationalUnits: the management account's own read role (StackSets
   * never deploy there), and its exclusions in the other scanRegions.
   */
  readonly management?: ManagementStacks;
  /** One per scanRegions region other than the scanner stack's: the build role's pull-time update exclusion there. */
  readonly pullTimeExclusions: readonly PullTimeExclusionStack[];
}

export interface ManagementStacks {
  readonly readRole: ManagementReadRoleStack;
  /** One per scanRegions region other than the stack's: the read role's pull-time update exclusion there. */
  readonly pullTimeExclusions: readonly PullTimeExclusionStack[];
}

/** What the app knows of where the env-agnostic scanner stack goes. */
export interface ScannerDeployment {
  /**
   * The region the scanner stack is deployed to: what the CDK CLI passes the app as
   * CDK_DEFAULT_REGION, the region it deploys environment-agnostic stacks to (AWS_REGION,
   * else the profile's region, else us-east-1). Needed only with scanRegions.
   */
  readonly region?: string;
}

/** The app's stacks for one configuration: what bin/app.ts deploys and the tests synthesize. */
export function addScannerStacks(
  app: App,
  config: ScannerConfig,
  scannerBundleDir: string,
  deployment: ScannerDeployment = {},
): ScannerStacks {
  // Other regions' stacks and other accounts' read roles name the build role by ARN, so it needs a name known at synth.
  const { home, others, roleRegion } = scannerRegions(config, deployment.region);
  const roleName = roleRegion !== undefined ? buildRoleName(config.stackName, roleRegion) : undefined;
  // With scanRegions, the stack's region; else, with other accounts, the role's.
  const deployRegion = home ?? roleRegion;
  const scanner = new EcrDuplicateScannerStack(app, config.stackName, {
    ...scannerStackProps(config),
    ...(roleName !== undefined ? { buildRoleName: roleName } : {}),
    // The role's name and which scanRegions are "other" were decided for this region: the template refuses any other.
    ...(deployRegion !== undefined ? { deployRegion } : {}),
    scannerBundleDir,
    description: 'ECR duplicate image scanner: input.txt -> CodePipeline -> CodeBuild -> reports in S3',
  });
  const pullTimeExclusions =
    roleName === undefined
      ? []
      : others.map((region) => {
          const stack = new PullTimeExclusionStack(app, pullTimeExclusionStackName(config.stackName, region), {
            env: { region },
            roleName,
            description: `ECR duplicate image scanner: the build role of ${config.stackName} as a pull-time update exclusion in ${region}, so that its scans leave lastRecordedPullTime alone there`,
          });
          // `cdk deploy --all` deploys this stack after the scanner's, `cdk destroy` removes it first.
          stack.addStackDependency(scanner, 'the exclusion names the build role, which the scanner stack creates');
          return stack;
        });
  const set = config.memberRoleStackSet;
  if (!set) return { scanner, pullTimeExclusions };
  // Deployed in the organization's management account. The roles trust the build role's
  // account with a condition on its ARN, so they may come before the scanner stack.
  const members = new MemberRoleStack(app, memberRoleStackName(config.stackName), {
    roleName: set.memberRoleName,
    trustedRoleArn: set.scannerBuildRoleArn,
    organizationalUnits: set.organizationalUnits,
    ...(set.regions.length > 0 ? { regions: set.regions } : {}),
    description:
      'ECR duplicate image scanner: read-only ECR role in every member account, a pull-time update exclusion in every scanned region (service-managed StackSets)',
  });
  const management = addManagementStacks(app, config.stackName, set, { ...(home !== undefined ? { home } : {}), others });
  // `cdk deploy <stackName>-MemberReadRole` brings the management account's own role along.
  for (const stack of [management.readRole, ...management.pullTimeExclusions])
    members.addStackDependency(stack, "the management account's own read role, which the StackSets cannot put there, comes with them");
  return { scanner, members, management, pullTimeExclusions };
}

/**
 * The management account's own read role (service-managed StackSets never deploy there)
 * in the region the CLI deploys to, and its pull-time update exclusion in each other
 * scanned region, deployed in the management account like the StackSets' stack.
 */
function addManagementStacks(
  app: App,
  scannerStackName: string,
  set: MemberRoleStackSetConfig,
  regions: { readonly home?: string; readonly others: readonly string[] },
): ManagementStacks {
  const readRole = new ManagementReadRoleStack(app, managementReadRoleStackName(scannerStackName), {
    roleName: set.memberRoleName,
    trustedRoleArn: set.scannerBuildRoleArn,
    ...(regions.home !== undefined && regions.others.length > 0 ? { deployRegion: regions.home } : {}),
    description:
      "ECR duplicate image scanner: the read role in the organization's management account, where service-managed StackSets never deploy",
  });
  const pullTimeExclusions = regions.others.map((region) => {
    const stack = new PullTimeExclusionStack(app, managementExclusionStackName(scannerStackName, region), {
      env: { region },
      roleName: set.memberRoleName,
      description: `ECR duplicate image scanner: the management account's read role as a pull-time update exclusion in ${region}`,
    });
    stack.addStackDependency(readRole, 'the exclusion names the read role, which that stack creates');
    return stack;
  });
  return { readRole, pullTimeExclusions };
}

/** The stack's props for the context's settings (readConfig has applied the defaults and checked every value). */
export function scannerStackProps(config: ScannerConfig): Omit<EcrDuplicateScannerStackProps, 'scannerBundleDir'> {
  const { source, compute, scanScope, registryCredentials } = config;
  return {
    source: source.kind,
    ...(source.kind === 'codecommit' ? { repositoryName: source.repositoryName, branch: source.branch } : {}),
    ...(source.kind === 's3' ? { inputObjectKey: source.objectKey } : {}),
    ...(source.kind === 'connection' ? { connectionArn: source.connectionArn, repository: source.repository, branch: source.branch } : {}),
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
    ...(scanScope ? scanScopeStackProps(scanScope, config.stackName) : {}),
  };
}

/**
 * The scope keys as props. No account list (scanRegions alone) leaves scanAccounts
 * out: this account only, which the stack takes from an absent prop, never from an empty list.
 */
function scanScopeStackProps(
  scope: ScanScopeConfig,
  stackName: string,
): Pick<EcrDuplicateScannerStackProps, 'scanAccounts' | 'scanRegions' | 'memberRoleName' | 'targetRegistry' | 'memberRoleStacks'> {
  const { accounts } = scope;
  return {
    // The stacks this app makes for the management account, named where a member role is missing.
    ...(scansOtherAccounts(accounts)
      ? { scanAccounts: accounts, memberRoleStacks: [memberRoleStackName(stackName), managementReadRoleStackName(stackName)] }
      : {}),
    scanRegions: scope.regions,
    memberRoleName: scope.memberRoleName,
    ...(scope.targetRegistry !== undefined ? { targetRegistry: scope.targetRegistry } : {}),
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
