import { App } from 'aws-cdk-lib';
import { ScannerConfig } from './config';
import { EcrDuplicateScannerStack } from './ecr-duplicate-scanner-stack';
import { MemberRoleStack, memberRoleStackName } from './member-role-stack';

export interface ScannerStacks {
  readonly scanner: EcrDuplicateScannerStack;
  /** Only with memberOrganizationalUnits: the management account's StackSet stack. */
  readonly members?: MemberRoleStack;
}

/** The app's stacks for one configuration: what bin/app.ts deploys and the tests synthesize. */
export function addScannerStacks(app: App, config: ScannerConfig, scannerBundleDir: string): ScannerStacks {
  const scanner = new EcrDuplicateScannerStack(app, config.stackName, {
    config,
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
    description: 'ECR duplicate image scanner: read-only ECR role in every member account (service-managed StackSet)',
  });
  return { scanner, members };
}
