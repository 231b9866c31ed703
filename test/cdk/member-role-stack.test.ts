/**
 * The management account's stack: the member read role's StackSet (one region) and the
 * StackSet that registers the role as a pull-time update exclusion in every scanned
 * region, ordered after the role's both at deploy time and for accounts that join later.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readConfig } from '../../lib/config';
import { MemberRoleStack, MemberRoleStackProps } from '../../lib/member-role-stack';
import { flat, logicalIdOf, synth } from './synth';
import { MEMBER_STACK_CONTEXT } from './variant-contexts';

type Json = Record<string, any>;

const ROLE_STACK_SET = 'MemberReadRoleStackSet';
/** The member stack's keys without the scanner's organization keys: no scanRegions. */
const WITHOUT_REGIONS = {
  memberOrganizationalUnits: MEMBER_STACK_CONTEXT.memberOrganizationalUnits,
  scannerBuildRoleArn: MEMBER_STACK_CONTEXT.scannerBuildRoleArn,
};
const EXCLUSIONS_STACK_SET = 'MemberReadRolePullTimeExclusions';

function memberTemplate(context: Record<string, unknown>): Template {
  const s = synth(context);
  return Template.fromStack(s.members!);
}

function stackSet(t: Template, prefix: string): { id: string; resource: Json; body: Json } {
  const id = logicalIdOf(t, 'AWS::CloudFormation::StackSet', prefix);
  const resource = t.toJSON().Resources[id] as Json;
  return { id, resource, body: JSON.parse(resource.Properties.TemplateBody as string) as Json };
}

describe('the exclusions: the read role in every scanned region, after the role', () => {
  let t: Template;
  beforeAll(() => {
    t = memberTemplate(MEMBER_STACK_CONTEXT);
  });

  test('two StackSets: the role in the stack region only, the exclusions in each scanRegions region', () => {
    t.resourceCountIs('AWS::CloudFormation::StackSet', 2);
    const role = stackSet(t, ROLE_STACK_SET);
    const exclusions = stackSet(t, EXCLUSIONS_STACK_SET);
    expect(role.resource.Properties.StackInstancesGroup).toEqual([
      { DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-cdef3456', 'r-ab12'] }, Regions: [{ Ref: 'AWS::Region' }] },
    ]);
    expect(exclusions.resource.Properties.StackInstancesGroup).toEqual([
      { DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-cdef3456', 'r-ab12'] }, Regions: ['eu-west-1', 'us-east-1'] },
    ]);
    expect(exclusions.resource.Properties).toMatchObject({
      StackSetName: 'EcrDuplicateScanner-MemberReadRole-NoPullTime',
      PermissionModel: 'SERVICE_MANAGED',
      ManagedExecution: { Active: true },
    });
    // No IAM resource in the exclusions' template, so no capability to acknowledge.
    expect(exclusions.resource.Properties.Capabilities).toBeUndefined();
  });

  test("each member stack holds one exclusion naming the role by its ARN in the member's own account and partition", () => {
    const { body } = stackSet(t, EXCLUSIONS_STACK_SET);
    expect(body.Resources).toEqual({
      ReadRoleExclusion: {
        Type: 'AWS::ECR::PullTimeUpdateExclusion',
        Properties: { PrincipalArn: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/ecr-duplicate-scanner-read' } },
      },
    });
    expect(body.Conditions).toBeUndefined();
    // What Fn::Sub makes of it in a member account matches the resource's documented pattern.
    const arn = (body.Resources.ReadRoleExclusion.Properties.PrincipalArn['Fn::Sub'] as string)
      .replace('${AWS::Partition}', 'aws')
      .replace('${AWS::AccountId}', '111122223333');
    expect(arn).toMatch(/^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)\/[\w+=,.@-]+(\/[\w+=,.@-]+)*$/);
    expect(arn.length).toBeLessThanOrEqual(200);
  });

  test('the role template is unchanged: one role, no condition, the exclusion is not in it', () => {
    const { body } = stackSet(t, ROLE_STACK_SET);
    expect(Object.values(body.Resources as Record<string, Json>).map((r) => r.Type)).toEqual(['AWS::IAM::Role']);
    expect(body.Conditions).toBeUndefined();
  });

  test('ordered after the role: a resource dependency at deploy, AutoDeployment DependsOn for accounts that join later', () => {
    const role = stackSet(t, ROLE_STACK_SET);
    const exclusions = stackSet(t, EXCLUSIONS_STACK_SET);
    expect(exclusions.resource.DependsOn).toEqual([role.id]);
    const auto = exclusions.resource.Properties.AutoDeployment as Json;
    expect([auto.Enabled, auto.RetainStacksOnAccountRemoval]).toEqual([true, false]);
    expect((auto.DependsOn as unknown[]).map(flat)).toEqual([
      `arn:\${AWS::Partition}:cloudformation:\${AWS::Region}:\${AWS::AccountId}:stackset/\${${role.id}.StackSetId}`,
    ]);
    // The role's own StackSet depends on nothing.
    expect(role.resource.DependsOn).toBeUndefined();
    expect(role.resource.Properties.AutoDeployment.DependsOn).toBeUndefined();
  });

  test('memberRoleName names the role in both templates', () => {
    const named = memberTemplate({ ...MEMBER_STACK_CONTEXT, memberRoleName: 'scan-read' });
    expect(stackSet(named, ROLE_STACK_SET).body.Resources.ReadRole.Properties.RoleName).toBe('scan-read');
    expect(stackSet(named, EXCLUSIONS_STACK_SET).body.Resources.ReadRoleExclusion.Properties.PrincipalArn).toEqual({
      'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/scan-read',
    });
  });

  test('without scanRegions: the exclusion in the stack region only', () => {
    const plain = memberTemplate(WITHOUT_REGIONS);
    expect(stackSet(plain, EXCLUSIONS_STACK_SET).resource.Properties.StackInstancesGroup[0].Regions).toEqual([{ Ref: 'AWS::Region' }]);
  });
});

describe('the regions come from scanRegions, the key the scanner stack reads', () => {
  const ctx = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key] });
  test('listed once each, in their order', () => {
    const config = readConfig(ctx({ ...MEMBER_STACK_CONTEXT, scanRegions: 'us-east-1,eu-west-1,us-east-1' }));
    expect(config.memberRoleStackSet!.regions).toEqual(['us-east-1', 'eu-west-1']);
    expect(config.organization!.regions).toEqual(['us-east-1', 'eu-west-1']);
  });
  test('absent: empty, which the stack takes as its own region', () => {
    expect(readConfig(ctx(WITHOUT_REGIONS)).memberRoleStackSet!.regions).toEqual([]);
  });
});

describe('bad props are refused at synth, by name', () => {
  const PROPS: MemberRoleStackProps = {
    roleName: 'ecr-duplicate-scanner-read',
    trustedRoleArn: MEMBER_STACK_CONTEXT.scannerBuildRoleArn,
    organizationalUnits: ['r-ab12'],
  };
  const build = (props: Partial<MemberRoleStackProps>, stackName = 'Members'): (() => Template) => {
    const stack = new MemberRoleStack(new App(), stackName, { ...PROPS, ...props });
    return () => Template.fromStack(stack);
  };

  test('the documented default: the stack region', () => {
    const t = build({})();
    expect(stackSet(t, EXCLUSIONS_STACK_SET).resource.Properties.StackInstancesGroup[0].Regions).toEqual([{ Ref: 'AWS::Region' }]);
  });
  test.each<[string, Partial<MemberRoleStackProps>, RegExp]>([
    ['no region', { regions: [] }, /MemberReadRoleStackSet: regions: name at least one region/],
    ['a region twice', { regions: ['eu-west-1', 'us-east-1', 'eu-west-1'] }, /regions: eu-west-1 listed more than once/],
    ['not a region', { regions: ['eu-west-1', 'Europe'] }, /regions: expected region names such as eu-west-1, got "Europe"/],
    ['a role name Fn::Sub would read', { roleName: 'read-${AWS::Region}' }, /roleName: expected an IAM role name/],
    ['no organizational unit', { organizationalUnits: [] }, /name at least one organizational unit/],
  ])('%s', (_name, props, message) => {
    expect(build(props)).toThrow(message);
  });
  test('a StackSet name that leaves no room for the exclusions suffix', () => {
    expect(build({}, `M${'e'.repeat(117)}`)).toThrow(
      /stackSetName: at most 117 characters \(the exclusions' StackSet adds -NoPullTime\), got 118/,
    );
    expect(build({}, `M${'e'.repeat(116)}`)).not.toThrow();
  });
  test("the app's longest stack name fits", () => {
    const longest = `S${'a'.repeat(99)}`;
    const s = synth({ ...MEMBER_STACK_CONTEXT, stackName: longest });
    const t = Template.fromStack(s.members!);
    expect((stackSet(t, EXCLUSIONS_STACK_SET).resource.Properties.StackSetName as string).length).toBeLessThanOrEqual(128);
  });
});
