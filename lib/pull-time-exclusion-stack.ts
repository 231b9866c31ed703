import { Aws, CfnOutput, Stack, StackProps, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';
import { isRegionName } from '../scanner/oci/ecr-host';
import { applyProjectFeatureFlags } from './feature-flags';
import { roleNameProblems } from './role-name';

/** The name of the stack that registers the scanner's build role in `region`. */
export function pullTimeExclusionStackName(scannerStackName: string, region: string): string {
  return `${scannerStackName}-NoPullTime-${region}`;
}

export interface PullTimeExclusionStackProps extends StackProps {
  /**
   * Name of the role to register, in the account the stack is deployed to (the scanner
   * stack's `buildRoleName`, or in the management account the member read role's name).
   * The role must exist: deploy this stack after the one that creates it. No default.
   */
  readonly roleName: string;
}

/**
 * One registry's pull-time update exclusion for the scanner's build role, in a region
 * other than the scanner stack's: the scanner reads its own account's registries in every
 * `scanRegions` region directly with the build role, and ECR keeps exclusions per account
 * and region, while a CloudFormation stack is regional (the scanner stack registers the
 * role in its own region only). Needs an explicit `env.region`; the account may be left
 * to the CLI (the scanner stack's, when both are deployed with one set of credentials).
 *
 * The role is named by its ARN, built here from its fixed name: the scanner stack is
 * environment-agnostic, so CDK can neither pass its `roleArn` to a stack in another
 * region (cross-region references need both regions known at synth, and write SSM
 * parameters through a custom resource) nor generate the name for it
 * (`PhysicalName.GENERATE_IF_NEEDED` refuses a stack whose region and account are
 * unresolved).
 */
export class PullTimeExclusionStack extends Stack {
  readonly exclusion: ecr.CfnPullTimeUpdateExclusion;
  /** The ARN the exclusion names: the build role's, in this stack's account and partition. */
  readonly principalArn: string;

  constructor(scope: Construct, id: string, props: PullTimeExclusionStackProps) {
    super(scope, id, props);
    applyProjectFeatureFlags(this);
    this.node.addValidation({ validate: () => pullTimeExclusionStackProblems(this.region, props.roleName) });
    // Aws.* rather than this.partition: the partition stays CloudFormation's, never a literal a flag picks.
    this.principalArn = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${props.roleName}`;
    // CloudFormation's own resource, as in the scanner stack: the deploying role registers
    // the exclusion, and deregisters it when this stack is deleted.
    this.exclusion = new ecr.CfnPullTimeUpdateExclusion(this, 'BuildRoleExclusion', { principalArn: this.principalArn });
    new CfnOutput(this, 'ExcludedPrincipalArn', {
      value: this.principalArn,
      description:
        "The principal whose ECR pulls leave lastRecordedPullTime alone in this region (the scanner stack's BuildRoleArn, or the management account's read role)",
    });
  }
}

function pullTimeExclusionStackProblems(region: string, roleName: string): string[] {
  const problems: string[] = [];
  if (Token.isUnresolved(region))
    problems.push("PullTimeExclusionStack: needs an explicit env.region (the scanner stack's own region is covered by that stack)");
  else if (!isRegionName(region)) problems.push(`PullTimeExclusionStack: expected a region name such as us-east-1, got "${region}"`);
  problems.push(...roleNameProblems('PullTimeExclusionStack: roleName', roleName));
  return problems;
}
