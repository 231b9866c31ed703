/**
 * The management account's stack: the member read role's StackSet (one region) and the
 * StackSet that registers the role as a pull-time update exclusion in every scanned
 * region, ordered after the role's both at deploy time and for accounts that join later.
 */
import { App, Fn, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readConfig } from '../../lib/config';
import { buildRoleName } from '../../lib/role-name';
import { MemberRoleStack, MemberRoleStackProps } from '../../lib/member-role-stack';
import { Synthesized, flat, logicalIdOf, synth } from './synth';
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
    expect(config.scanScope!.regions).toEqual(['us-east-1', 'eu-west-1']);
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
    const scannerBuildRoleArn = `arn:aws:iam::123456789012:role/${buildRoleName(longest, 'eu-west-1')}`;
    const s = synth({ ...MEMBER_STACK_CONTEXT, stackName: longest, scannerBuildRoleArn });
    const t = Template.fromStack(s.members!);
    expect((stackSet(t, EXCLUSIONS_STACK_SET).resource.Properties.StackSetName as string).length).toBeLessThanOrEqual(128);
    // The management account's stacks too (CDK refuses a stack name over 128 characters).
    expect([s.management!.readRole, ...s.management!.pullTimeExclusions].map((x) => x.stackName.length)).toEqual([119, 121]);
  });
});

describe('the trust: the build role by a condition on its ARN, so that a re-created build role is trusted again', () => {
  const BUILD_ROLE = MEMBER_STACK_CONTEXT.scannerBuildRoleArn;
  const TRUST = [
    {
      Effect: 'Allow',
      // The account, which IAM keeps as written, not the role, which IAM turns into its unique ID.
      Principal: { AWS: 'arn:aws:iam::123456789012:root' },
      Action: 'sts:AssumeRole',
      Condition: { ArnEquals: { 'aws:PrincipalArn': BUILD_ROLE } },
    },
  ];

  test('in every member account: the account of the build role, held to its ARN', () => {
    const role = stackSet(memberTemplate(MEMBER_STACK_CONTEXT), ROLE_STACK_SET).body.Resources.ReadRole.Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual(TRUST);
  });

  test("another partition's ARN gives that partition's account", () => {
    const arn = 'arn:aws-cn:iam::123456789012:role/EcrDuplicateScanner-ScanBuild-cn-north-1';
    const role = stackSet(memberTemplate({ ...MEMBER_STACK_CONTEXT, scannerBuildRoleArn: arn }), ROLE_STACK_SET).body.Resources.ReadRole
      .Properties;
    expect(role.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ AWS: 'arn:aws-cn:iam::123456789012:root' });
    expect(role.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({ ArnEquals: { 'aws:PrincipalArn': arn } });
  });

  test('a token ARN (a construct user): the account and partition split from it by CloudFormation', () => {
    const stack = new MemberRoleStack(new App(), 'Members', {
      roleName: 'ecr-duplicate-scanner-read',
      trustedRoleArn: Fn.importValue('ScannerBuildRoleArn'),
      organizationalUnits: ['r-ab12'],
    });
    const body = JSON.stringify(Template.fromStack(stack).toJSON());
    expect(body).toContain('Fn::Split');
    expect(body).toContain('ScannerBuildRoleArn');
  });

  test('a trusted ARN that is not a role ARN is refused by the construct', () => {
    const stack = new MemberRoleStack(new App(), 'Members', {
      roleName: 'ecr-duplicate-scanner-read',
      trustedRoleArn: 'arn:aws:iam::123456789012:user/someone',
      organizationalUnits: ['r-ab12'],
    });
    expect(() => Template.fromStack(stack)).toThrow(/MemberReadRoleStackSet: trustedRoleArn: expected an IAM role ARN/);
  });

  test('an organizational unit ID that is not one is refused in the words of -c memberOrganizationalUnits', () => {
    const stack = new MemberRoleStack(new App(), 'Members', {
      roleName: 'ecr-duplicate-scanner-read',
      trustedRoleArn: 'arn:aws:iam::123456789012:role/EcrDuplicateScanner-ScanBuild-eu-west-1',
      organizationalUnits: ['r-ab12', 'ou-nope'],
    });
    expect(() => Template.fromStack(stack)).toThrow(
      'MemberReadRoleStackSet: organizationalUnits: expected organizational unit IDs (ou-…) or the root ID (r-…) separated by ",", got "ou-nope"',
    );
  });
});

describe('scannerBuildRoleArn is checked at synth against the name the app gives the build role', () => {
  const withArn =
    (scannerBuildRoleArn: string, extra: Record<string, unknown> = {}) =>
    () =>
      synth({ ...MEMBER_STACK_CONTEXT, scannerBuildRoleArn, ...extra });

  test("the scanner stack's own BuildRoleArn, for whatever region it is in, is taken", () => {
    // The name the scanner stack gives its role, synthesized in us-west-2 with scanAccounts (no other region).
    const scanner = synth({ scanAccounts: 'organization' }, { region: 'us-west-2' });
    const roles = Object.values(scanner.template.findResources('AWS::IAM::Role')).map((r: Json) => r.Properties.RoleName);
    expect(roles).toContain('EcrDuplicateScanner-ScanBuild-us-west-2');
    expect(withArn('arn:aws:iam::123456789012:role/EcrDuplicateScanner-ScanBuild-us-west-2')).not.toThrow();
  });

  test.each([
    ['a generated name', 'arn:aws:iam::123456789012:role/EcrDuplicateScanner-ScanRole4DA95A7E-AbCdEf'],
    ['another stack name', 'arn:aws:iam::123456789012:role/TeamScanner-ScanBuild-eu-west-1'],
    ['not a region after the infix', 'arn:aws:iam::123456789012:role/EcrDuplicateScanner-ScanBuild-moon'],
    ['a path before the name', 'arn:aws:iam::123456789012:role/ops/EcrDuplicateScanner-ScanBuild-eu-west-1'],
  ])('%s: refused, naming the ARN expected', (_name, arn) => {
    expect(withArn(arn)).toThrow(
      new RegExp(
        'scannerBuildRoleArn: expected the build role of the scanner stack EcrDuplicateScanner \\(its BuildRoleArn output\\), ' +
          'arn:aws:iam::123456789012:role/EcrDuplicateScanner-ScanBuild-eu-west-1 if that stack is in eu-west-1',
      ),
    );
  });

  test('scanAccounts names the build role after the region, so an app run outside the CLI without one is stopped, saying why', () => {
    expect(() => synth({ scanAccounts: '111122223333' }, { region: null })).toThrow(
      /^scanAccounts needs the region the scanner stack is deployed to[^\n]*:\n {2}- CDK_DEFAULT_REGION is not set/,
    );
  });

  test('a stack name given here decides the name expected', () => {
    expect(withArn('arn:aws:iam::123456789012:role/TeamScanner-ScanBuild-eu-west-1', { stackName: 'TeamScanner' })).not.toThrow();
  });

  test('a stack name too long for the plain name: the shortened name with its hash is expected, and a wrong hash refused', () => {
    const long = `S${'a'.repeat(60)}`;
    const name = buildRoleName(long, 'us-east-1');
    expect(name).toMatch(/-[0-9a-f]{8}-ScanBuild-us-east-1$/);
    expect(withArn(`arn:aws:iam::123456789012:role/${name}`, { stackName: long })).not.toThrow();
    const wrongHash = name.replace(/-[0-9a-f]{8}-/, '-00000000-');
    expect(withArn(`arn:aws:iam::123456789012:role/${wrongHash}`, { stackName: long })).toThrow(
      new RegExp(
        `expected the build role of the scanner stack ${long} .*role/${buildRoleName(long, 'eu-west-1')} if that stack is in eu-west-1`,
      ),
    );
  });
});

describe("the management account's own read role: service-managed StackSets never deploy there", () => {
  /** The template's own rules, CDK's bootstrap version check left out. */
  const rulesOf = (stack: Stack) =>
    Object.keys(Template.fromStack(stack).toJSON().Rules ?? {}).filter((id) => id !== 'CheckBootstrapVersion');
  let s: Synthesized;
  beforeAll(() => {
    s = synth(MEMBER_STACK_CONTEXT);
  });

  test('a plain stack with the same role as the members get, and its exclusion in the stack region', () => {
    const t = Template.fromStack(s.management!.readRole);
    expect(s.management!.readRole.stackName).toBe('EcrDuplicateScanner-ManagementReadRole');
    const [role] = Object.values(t.findResources('AWS::IAM::Role')) as Json[];
    const member = stackSet(memberTemplate(MEMBER_STACK_CONTEXT), ROLE_STACK_SET).body.Resources.ReadRole.Properties as Json;
    // One source for both: the same name, trust, actions and resources.
    expect(role!.Properties).toEqual(member);
    const roleId = logicalIdOf(t, 'AWS::IAM::Role', 'ReadRole');
    expect(Object.values(t.findResources('AWS::ECR::PullTimeUpdateExclusion')).map((r: Json) => r.Properties)).toEqual([
      { PrincipalArn: { 'Fn::GetAtt': [roleId, 'Arn'] } },
    ]);
  });

  test('each other scanRegions region gets a stack with the exclusion; the template refuses another region than the synth one', () => {
    const regional = s.management!.pullTimeExclusions;
    expect(regional.map((x) => [x.stackName, x.region])).toEqual([['EcrDuplicateScanner-Management-us-east-1', 'us-east-1']]);
    expect(regional[0]!.exclusion.principalArn).toMatch(/:role\/ecr-duplicate-scanner-read$/);
    expect(regional[0]!.dependencies).toEqual([s.management!.readRole]);
    expect(rulesOf(s.management!.readRole)).toEqual([expect.stringMatching(/^DeployRegion/)]);
  });

  test('without scanRegions: the one stack, deployable to any region', () => {
    const plain = synth(WITHOUT_REGIONS);
    expect(plain.management!.pullTimeExclusions).toEqual([]);
    expect(rulesOf(plain.management!.readRole)).toEqual([]);
  });

  test('the member stack depends on them, so that deploying it by name brings them along', () => {
    expect(s.members!.dependencies.map((d) => d.stackName).sort()).toEqual([
      'EcrDuplicateScanner-Management-us-east-1',
      'EcrDuplicateScanner-ManagementReadRole',
    ]);
  });

  test("the scanner account's stacks have none of them", () => {
    expect(synth({ scanAccounts: 'organization' }).management).toBeUndefined();
  });
});
