import { ArnFormat, Aws, CfnStackSet, Fn, Stack, StackProps, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { inventoryIamActions, targetSettingsIamActions } from '../scanner/ecr/operations';
import { isRegionName } from '../scanner/oci/ecr-host';
import { roleNameProblems } from './role-name';
import { listProblems, textValueProblems } from './settings/key-checks';
import { CONTEXT_KEY_TABLE } from './settings/keys';
import { parseRoleArn } from './settings/value-rules';

/** CloudFormation's rule for a StackSet name: a letter, then letters, digits and hyphens, 128 at most. */
const STACK_SET_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;
const MAX_STACK_SET_NAME = 128;
/** The exclusions' StackSet is named after the role's; with the app's longest stack name (100) it stays within 128. */
export const EXCLUSIONS_STACK_SET_SUFFIX = '-NoPullTime';

export interface MemberReadRoleStackSetProps {
  /** Name of the role in every member account; the scanner's `--role-name`. No default (CONTEXT_DEFAULTS.memberRoleName). */
  readonly roleName: string;
  /**
   * The scanner's build role, the one principal the member roles trust (its account, held
   * to this ARN by an `aws:PrincipalArn` condition; see `memberReadRoleProps`). No default.
   */
  readonly trustedRoleArn: string;
  /** OU IDs (or the root ID) whose accounts get the role, now and when they join. No default. */
  readonly organizationalUnits: readonly string[];
  /**
   * Name of the role's StackSet; the exclusions' StackSet takes it plus `-NoPullTime`.
   * @default the stack's name
   */
  readonly stackSetName?: string;
  /**
   * The regions the scanner inventories (its `scanRegions`): in each, the read role is
   * registered as a pull-time update exclusion of every member account's registry.
   * @default [the stack's region]
   */
  readonly regions?: readonly string[];
}

/**
 * The root principal of the account `roleArn` is in: the account, not the role, so that the
 * trust survives the role being deleted and created again (IAM turns a role principal into
 * the role's unique ID, which a new role of the same name does not have). A token is split
 * by CloudFormation.
 */
function accountRootOf(roleArn: string): string {
  if (!Token.isUnresolved(roleArn)) {
    const { partition, account } = parseRoleArn(roleArn) ?? {};
    return `arn:${partition}:iam::${account}:root`;
  }
  const parts = Fn.split(':', roleArn, 6);
  return Fn.join('', ['arn:', Fn.select(1, parts), ':iam::', Fn.select(4, parts), ':root']);
}

/**
 * The read role's properties, in every member account and in the management account
 * alike: `trustedRoleArn` alone may assume it (its account trusted, the principal held
 * to that ARN by an `aws:PrincipalArn` condition, which IAM compares as text, so a
 * re-created role of the same name is trusted again), allowed the ECR read calls of the
 * inventory (scanner/ecr/operations.ts, never a hand-made list) on the account's
 * repositories in every region, and the target registry's two settings reads, nothing that writes.
 */
export function memberReadRoleProps(roleName: string, trustedRoleArn: string): iam.CfnRoleProps {
  return {
    roleName,
    description: "Lets the ECR duplicate scanner inventory this account's ECR registries (read only)",
    maxSessionDuration: 3600,
    assumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: accountRootOf(trustedRoleArn) },
          Action: 'sts:AssumeRole',
          Condition: { ArnEquals: { 'aws:PrincipalArn': trustedRoleArn } },
        },
      ],
    },
    policies: [
      {
        policyName: 'EcrInventoryRead',
        policyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: inventoryIamActions(),
              Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:*:${AWS::AccountId}:repository/*' },
            },
            // When the account holds the plan's target registry: its pull-through cache rules and
            // BLOB_MOUNTING (registry-level actions, which IAM grants on "*" only).
            { Effect: 'Allow', Action: targetSettingsIamActions(), Resource: '*' },
          ],
        },
      },
    ],
  };
}

/** The member accounts' template: the read role of `memberReadRoleProps`, and its ARN as an output. */
export function memberReadRoleTemplate(roleName: string, trustedRoleArn: string): Record<string, unknown> {
  const role = memberReadRoleProps(roleName, trustedRoleArn);
  const policies = (role.policies ?? []) as iam.CfnRole.PolicyProperty[];
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'ECR duplicate scanner: read-only ECR role assumed by the scanner build role',
    Resources: {
      ReadRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: role.roleName,
          Description: role.description,
          MaxSessionDuration: role.maxSessionDuration,
          AssumeRolePolicyDocument: role.assumeRolePolicyDocument,
          Policies: policies.map((p) => ({ PolicyName: p.policyName, PolicyDocument: p.policyDocument })),
        },
      },
    },
    Outputs: { ReadRoleArn: { Value: { 'Fn::GetAtt': ['ReadRole', 'Arn'] } } },
  };
}

/** What is refused in a trusted role ARN known at synth (a token is CloudFormation's to resolve). */
export function trustedRoleArnProblems(what: string, trustedRoleArn: string): string[] {
  // The rule of the context key that gives it (scannerBuildRoleArn), in the same words.
  return textValueProblems(CONTEXT_KEY_TABLE.scannerBuildRoleArn, trustedRoleArn).map((p) => `${what}: ${p}`);
}

/**
 * The member accounts' template for one region: the read role registered as a pull-time
 * update exclusion of the account's registry there, so that the scanner's BatchGetImage
 * calls through the role leave `lastRecordedPullTime` alone (ECR keeps exclusions per
 * account and region). The role lives in another StackSet's stack (IAM is global), so it
 * is named by its ARN. No permission to grant: StackSets runs a member's stacks as the
 * `stacksets-exec-*` role it creates there (AdministratorAccess, through the
 * AWSServiceRoleForCloudFormationStackSetsOrgMember service-linked role), which may call
 * ecr:RegisterPullTimeUpdateExclusion and ecr:DeregisterPullTimeUpdateExclusion.
 */
export function memberPullTimeExclusionTemplate(roleName: string): Record<string, unknown> {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: "ECR duplicate scanner: the read role's ECR pulls leave lastRecordedPullTime alone in this region",
    Resources: {
      ReadRoleExclusion: {
        Type: 'AWS::ECR::PullTimeUpdateExclusion',
        Properties: { PrincipalArn: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${roleName}` } },
      },
    },
  };
}

/**
 * Two service-managed StackSets for every account of the given organizational units,
 * and every account that joins them later (auto-deployment); a leaving account loses
 * both. Deployed in the organization's management account.
 *
 * - `stackSet`: the read role, in the stack's region only (IAM is global).
 * - `exclusions`: the role as a pull-time update exclusion, in every scanned region
 *   (ECR keeps exclusions per account and region).
 *
 * An exclusion names the role, so the role comes first: CloudFormation creates the
 * exclusions' StackSet after the role's (a resource dependency), and for an account that
 * joins later the exclusions' auto-deployment waits for the role's (AutoDeployment
 * DependsOn). One StackSet with the role behind a region Condition could not promise
 * that order: operation preferences (RegionOrder, SEQUENTIAL) do not apply to
 * auto-deployments.
 */
export class MemberReadRoleStackSet extends Construct {
  /** The read role's StackSet. */
  readonly stackSet: CfnStackSet;
  /** The pull-time update exclusions' StackSet. */
  readonly exclusions: CfnStackSet;

  constructor(scope: Construct, id: string, props: MemberReadRoleStackSetProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const stackSetName = props.stackSetName ?? stack.stackName;
    const regions = props.regions ?? [Aws.REGION];
    this.node.addValidation({ validate: () => memberStackSetProblems(props, stackSetName, regions) });
    const organizationalUnitIds = [...props.organizationalUnits];
    const autoDeployment = { enabled: true, retainStacksOnAccountRemoval: false };
    const operationPreferences = { failureTolerancePercentage: 10, maxConcurrentPercentage: 25, regionConcurrencyType: 'PARALLEL' };
    this.stackSet = new CfnStackSet(this, 'StackSet', {
      stackSetName,
      description: 'ECR duplicate scanner: read-only ECR role in every member account',
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment,
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { Active: true },
      operationPreferences,
      stackInstancesGroup: [{ deploymentTargets: { organizationalUnitIds }, regions: [Aws.REGION] }],
      templateBody: JSON.stringify(memberReadRoleTemplate(props.roleName, props.trustedRoleArn)),
    });
    // The role StackSet's ARN, as AutoDeployment DependsOn takes it: arn:…:stackset/<StackSetId> (which is <name>:<uuid>).
    const roleStackSetArn = stack.formatArn({
      service: 'cloudformation',
      resource: 'stackset',
      resourceName: this.stackSet.attrStackSetId,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.exclusions = new CfnStackSet(this, 'PullTimeExclusions', {
      stackSetName: `${stackSetName}${EXCLUSIONS_STACK_SET_SUFFIX}`,
      description: "ECR duplicate scanner: the member read role's pulls leave lastRecordedPullTime alone, in every scanned region",
      permissionModel: 'SERVICE_MANAGED',
      autoDeployment: { ...autoDeployment, dependsOn: [roleStackSetArn] },
      managedExecution: { Active: true },
      operationPreferences,
      stackInstancesGroup: [{ deploymentTargets: { organizationalUnitIds }, regions: [...regions] }],
      templateBody: JSON.stringify(memberPullTimeExclusionTemplate(props.roleName)),
    });
    // Created after the role's StackSet, deleted before it.
    this.exclusions.node.addDependency(this.stackSet);
  }
}

/** What the construct refuses in its props (run at synth by node.addValidation). */
function memberStackSetProblems(props: MemberReadRoleStackSetProps, stackSetName: string, regions: readonly string[]): string[] {
  const problems: string[] = [];
  const problem = (text: string): void => {
    problems.push(`MemberReadRoleStackSet: ${text}`);
  };
  // Written into the member templates' JSON (and an Fn::Sub), so it must be known at synth.
  if (Token.isUnresolved(props.roleName)) problem('roleName: expected a name known at synth, not a token');
  else problems.push(...roleNameProblems('MemberReadRoleStackSet: roleName', props.roleName));
  problems.push(...trustedRoleArnProblems('MemberReadRoleStackSet: trustedRoleArn', props.trustedRoleArn));
  if (props.organizationalUnits.length === 0) problem('name at least one organizational unit');
  const units = props.organizationalUnits.filter((u) => !Token.isUnresolved(u));
  for (const p of listProblems(CONTEXT_KEY_TABLE.memberOrganizationalUnits, units)) problem(`organizationalUnits: ${p}`);
  if (!Token.isUnresolved(stackSetName)) {
    const longest = MAX_STACK_SET_NAME - EXCLUSIONS_STACK_SET_SUFFIX.length;
    if (!STACK_SET_NAME.test(stackSetName)) problem(`stackSetName: expected a letter, then letters, digits or "-", got "${stackSetName}"`);
    if (stackSetName.length > longest)
      problem(
        `stackSetName: at most ${longest} characters (the exclusions' StackSet adds ${EXCLUSIONS_STACK_SET_SUFFIX}), got ${stackSetName.length}`,
      );
  }
  if (regions.length === 0) problem("regions: name at least one region (leave it out for the stack's region)");
  const named = regions.filter((r) => !Token.isUnresolved(r));
  for (const r of named) if (!isRegionName(r)) problem(`regions: expected region names such as eu-west-1, got "${r}"`);
  const twice = [...new Set(named.filter((r, i) => named.indexOf(r) !== i))];
  if (twice.length > 0) problem(`regions: ${twice.join(', ')} listed more than once`);
  return problems;
}

export interface MemberRoleStackProps extends StackProps {
  readonly roleName: string;
  readonly trustedRoleArn: string;
  readonly organizationalUnits: readonly string[];
  /**
   * The scanner's `scanRegions`: where the role is a pull-time update exclusion.
   * @default [the stack's region]
   */
  readonly regions?: readonly string[];
}

/** The management account's stack: the member read role's StackSets and nothing else. */
export class MemberRoleStack extends Stack {
  readonly roles: MemberReadRoleStackSet;

  constructor(scope: Construct, id: string, props: MemberRoleStackProps) {
    super(scope, id, props);
    this.roles = new MemberReadRoleStackSet(this, 'MemberReadRole', {
      roleName: props.roleName,
      trustedRoleArn: props.trustedRoleArn,
      organizationalUnits: props.organizationalUnits,
      ...(props.regions !== undefined ? { regions: props.regions } : {}),
    });
  }
}

/** The member stack's name beside the scanner stack's. */
export function memberRoleStackName(scannerStackName: string): string {
  return `${scannerStackName}-MemberReadRole`;
}
