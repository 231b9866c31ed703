import { Aws, CfnStackSet, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { inventoryIamActions } from '../scanner/ecr/operations';

/** IAM's limit on a role name. */
const MAX_ROLE_NAME = 64;

export interface MemberReadRoleStackSetProps {
  /** Name of the role in every member account; the scanner's `--role-name`. No default (CONTEXT_DEFAULTS.memberRoleName). */
  readonly roleName: string;
  /** The scanner's build role, the one principal the member roles trust. No default. */
  readonly trustedRoleArn: string;
  /** OU IDs (or the root ID) whose accounts get the role, now and when they join. No default. */
  readonly organizationalUnits: readonly string[];
  /**
   * Name of the StackSet.
   * @default the stack's name
   */
  readonly stackSetName?: string;
}

/**
 * The member accounts' template: one role that the scanner's build role alone may
 * assume, allowed the ECR read calls of the inventory (scanner/ecr/operations.ts,
 * never a hand-made list) on the account's repositories in every region, nothing
 * that writes.
 */
export function memberReadRoleTemplate(roleName: string, trustedRoleArn: string): Record<string, unknown> {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'ECR duplicate scanner: read-only ECR role assumed by the scanner build role',
    Resources: {
      ReadRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: roleName,
          Description: "Lets the ECR duplicate scanner inventory this account's ECR registries (read only)",
          MaxSessionDuration: 3600,
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { AWS: trustedRoleArn }, Action: 'sts:AssumeRole' }],
          },
          Policies: [
            {
              PolicyName: 'EcrInventoryRead',
              PolicyDocument: {
                Version: '2012-10-17',
                Statement: [
                  {
                    Effect: 'Allow',
                    Action: inventoryIamActions(),
                    Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:*:${AWS::AccountId}:repository/*' },
                  },
                ],
              },
            },
          ],
        },
      },
    },
    Outputs: { ReadRoleArn: { Value: { 'Fn::GetAtt': ['ReadRole', 'Arn'] } } },
  };
}

/**
 * A service-managed StackSet that puts the member read role into every account of
 * the given organizational units, and into every account that joins them later
 * (auto-deployment); a leaving account loses it. IAM is global, so one region (the
 * stack's) suffices. Deployed in the organization's management account.
 */
export class MemberReadRoleStackSet extends Construct {
  readonly stackSet: CfnStackSet;

  constructor(scope: Construct, id: string, props: MemberReadRoleStackSetProps) {
    super(scope, id);
    this.node.addValidation({
      validate: () => {
        const problems: string[] = [];
        if (props.roleName.length > MAX_ROLE_NAME)
          problems.push(`MemberReadRoleStackSet: roleName is over IAM's ${MAX_ROLE_NAME} characters`);
        if (props.organizationalUnits.length === 0) problems.push('MemberReadRoleStackSet: name at least one organizational unit');
        return problems;
      },
    });
    this.stackSet = new CfnStackSet(this, 'StackSet', {
      stackSetName: props.stackSetName ?? Stack.of(this).stackName,
      description: 'ECR duplicate scanner: read-only ECR role in every member account',
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { Active: true },
      operationPreferences: { failureTolerancePercentage: 10, maxConcurrentPercentage: 25, regionConcurrencyType: 'PARALLEL' },
      stackInstancesGroup: [{ deploymentTargets: { organizationalUnitIds: [...props.organizationalUnits] }, regions: [Aws.REGION] }],
      templateBody: JSON.stringify(memberReadRoleTemplate(props.roleName, props.trustedRoleArn)),
    });
  }
}

export interface MemberRoleStackProps extends StackProps {
  readonly roleName: string;
  readonly trustedRoleArn: string;
  readonly organizationalUnits: readonly string[];
}

/** The management account's stack: the member read role's StackSet and nothing else. */
export class MemberRoleStack extends Stack {
  readonly roles: MemberReadRoleStackSet;

  constructor(scope: Construct, id: string, props: MemberRoleStackProps) {
    super(scope, id, props);
    this.roles = new MemberReadRoleStackSet(this, 'MemberReadRole', {
      roleName: props.roleName,
      trustedRoleArn: props.trustedRoleArn,
      organizationalUnits: props.organizationalUnits,
    });
  }
}

/** The member stack's name beside the scanner stack's. */
export function memberRoleStackName(scannerStackName: string): string {
  return `${scannerStackName}-MemberReadRole`;
}
