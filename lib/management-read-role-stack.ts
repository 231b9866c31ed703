import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DeployRegionRule } from './deploy-region-rule';
import { memberReadRoleProps, trustedRoleArnProblems } from './member-role-stack';
import { acknowledgeNag } from './nag';
import { roleNameProblems } from './role-name';

/** The management account's own read role stack, beside the scanner stack's name. */
export function managementReadRoleStackName(scannerStackName: string): string {
  return `${scannerStackName}-ManagementReadRole`;
}

/**
 * The management account's stack of the read role's pull-time update exclusion in another
 * scanned region. Short, so that it fits CloudFormation's 128 characters beside the
 * app's longest stack name (100) and any region.
 */
export function managementExclusionStackName(scannerStackName: string, region: string): string {
  return `${scannerStackName}-Management-${region}`;
}

export interface ManagementReadRoleStackProps extends StackProps {
  /** The member read role's name (the scanner's `--role-name`). No default. */
  readonly roleName: string;
  /** The scanner's build role, the one principal the role trusts. No default. */
  readonly trustedRoleArn: string;
  /**
   * The one region this template may be deployed to, when the app decided the other
   * scanned regions' stacks from it.
   * @default any region
   */
  readonly deployRegion?: string;
}

/**
 * The member read role in the organization's management account itself, as a plain
 * stack: service-managed StackSets never deploy to the management account, yet
 * `--organization` lists it. The same role as in every member account
 * (`memberReadRoleProps`), registered as a pull-time update exclusion in this stack's
 * region; the other scanned regions get a PullTimeExclusionStack each.
 */
export class ManagementReadRoleStack extends Stack {
  readonly role: iam.CfnRole;
  readonly exclusion: ecr.CfnPullTimeUpdateExclusion;

  constructor(scope: Construct, id: string, props: ManagementReadRoleStackProps) {
    super(scope, id, props);
    this.node.addValidation({
      validate: () => [
        ...roleNameProblems('ManagementReadRoleStack: roleName', props.roleName),
        ...trustedRoleArnProblems('ManagementReadRoleStack: trustedRoleArn', props.trustedRoleArn),
      ],
    });
    if (props.deployRegion !== undefined) {
      new DeployRegionRule(this, 'DeployRegion', {
        region: props.deployRegion,
        madeFor: 'the stacks that register the read role as a pull-time update exclusion in the other scanRegions',
      });
    }
    this.role = new iam.CfnRole(this, 'ReadRole', memberReadRoleProps(props.roleName, props.trustedRoleArn));
    acknowledgeNag(
      this.role,
      'AwsSolutions-IAM5',
      "The inventory's ECR read actions (DescribeRepositories, ListImages, DescribeImages, BatchGetImage and the like) on every repository of this account, in every region the scanner reads: which repositories exist is what the scan finds out. No write action.",
      ['Resource::arn:<AWS::Partition>:ecr:*:<AWS::AccountId>:repository/*'],
    );
    acknowledgeNag(
      this.role,
      'AwsSolutions-IAM5',
      'ecr:DescribePullThroughCacheRules and ecr:GetAccountSetting are registry-level reads with no resource type (IAM accepts only "*"); the scanner reads them once when this account holds the plan\'s target registry. No write action.',
      ['Resource::*'],
    );
    // CloudFormation's own resource, as in the member accounts: the deploying role registers it.
    this.exclusion = new ecr.CfnPullTimeUpdateExclusion(this, 'ReadRoleExclusion', { principalArn: this.role.attrArn });
    new CfnOutput(this, 'ReadRoleArn', {
      value: this.role.attrArn,
      description: "The management account's read role, which the scanner assumes to inventory this account's registries",
    });
  }
}
