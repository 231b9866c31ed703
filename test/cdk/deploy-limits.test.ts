/**
 * Issue 19: a first deploy that cannot trip on a limit. Action configuration size,
 * retained buckets on a failed first create, name and length limits, VPC limits,
 * the first run's summary, secrets in another region, and the organization's stacks.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { inventoryIamActions, targetSettingsIamActions } from '../../scanner/ecr/operations';
import { ReportStore } from '../../lib/report-store';
import { MAX_ACTION_CONFIGURATION_VALUE, actionConfigurationProblems } from '../../lib/scan-pipeline';
import { ScanProject } from '../../lib/scan-project';
import { SecureBucket } from '../../lib/secure-bucket';
import { CONNECTION_CONTEXT, Synthesized, flat, logicalIdOf, roleStatements, scanSettings, synth } from './synth';
import { COMBINED_CONTEXT, KMS_KEY_ARN, SECRET_ARN } from './variant-contexts';

type Json = Record<string, any>;

const LONG_STACK_NAME = 'EcrDuplicateScannerForTheWholeOrganizationInEurope'.slice(0, 49);
/** Every option on, each value as long as its rule allows or realistically gets. */
const EVERYTHING_LONG = {
  ...COMBINED_CONTEXT,
  stackName: LONG_STACK_NAME,
  insecureRegistries: 'registry-one.build.internal.example.com:5000,registry-two.build.internal.example.com:5000,10.200.300.4:5000'.replace(
    '300',
    '30',
  ),
  registryCaFile: 'certificates/corporate/root-and-intermediate-ca-bundle.pem',
  targetPrefix: 'migrated/from-dockerhub-and-quay/platform-team',
  ecrSourceAccounts: '111122223333,444455556666,777788889999',
  reportPrefix: `${'scans/'.repeat(100)}end`,
  inputFile: `${'lists/'.repeat(150)}input.txt`,
  scanAccounts: 'organization',
  scanRegions: 'eu-west-1,eu-central-1,us-east-1,us-west-2,ap-southeast-2',
};

const configurationValues = (t: Template): { key: string; value: unknown }[] => {
  const [pipeline] = Object.values(t.findResources('AWS::CodePipeline::Pipeline')) as Json[];
  return (pipeline!.Properties.Stages as Json[]).flatMap((stage) =>
    (stage.Actions as Json[]).flatMap((a) =>
      Object.entries(a.Configuration ?? {}).map(([key, value]) => ({ key: `${stage.Name}/${a.Name}/${key}`, value })),
    ),
  );
};

describe('19.1: every action configuration value stays within 1,000 characters', () => {
  test.each([
    ['defaults', {}],
    ['everything on, long values', EVERYTHING_LONG],
    ['connection, everything on, long values', { ...CONNECTION_CONTEXT, ...EVERYTHING_LONG }],
    ['s3, everything on, long values', { source: 's3', ...EVERYTHING_LONG }],
  ])('%s', (_name, context) => {
    const s = synth(context);
    for (const { key, value } of configurationValues(s.template)) {
      // Deploy-time values count at their literal text here ("${X}"); the synth-time check counts them at 256.
      expect([key, flat(value).length <= MAX_ACTION_CONFIGURATION_VALUE]).toEqual([key, true]);
    }
    expect(actionConfigurationProblems(s.stack, s.stack.pipeline.pipeline.node.defaultChild as codepipeline.CfnPipeline)).toEqual([]);
  });

  test('the long settings went into the settings file instead', () => {
    const settings = scanSettings(synth(EVERYTHING_LONG));
    expect(settings.INPUT_FILE).toBe(EVERYTHING_LONG.inputFile);
    expect(settings.SCAN_REGIONS).toBe(EVERYTHING_LONG.scanRegions);
    expect(settings.SCAN_ORGANIZATION).toBe('on');
  });

  test('a changed setting changes the Scanner artifact key, so the pipeline resource changes and re-runs', () => {
    const keyOf = (s: Synthesized): string => {
      const [pipeline] = Object.values(s.template.findResources('AWS::CodePipeline::Pipeline')) as Json[];
      return flat((pipeline!.Properties.Stages as Json[])[0].Actions.find((a: Json) => a.Name === 'Scanner').Configuration.S3ObjectKey);
    };
    const a = keyOf(synth({}));
    expect(keyOf(synth({}))).toBe(a);
    expect(keyOf(synth({ scanConcurrency: '8' }))).not.toBe(a);
  });

  test('the synth-time check refuses an oversized configuration value, naming the action and key', () => {
    const stack = new Stack(new App(), 'Oversized');
    const project = new codebuild.PipelineProject(stack, 'Project');
    const bucket = new s3.Bucket(stack, 'Bucket');
    const source = new codepipeline.Artifact('Src');
    const pipeline = new codepipeline.Pipeline(stack, 'Pipeline', {
      stages: [
        { stageName: 'Source', actions: [new actions.S3SourceAction({ actionName: 'In', bucket, bucketKey: 'k.zip', output: source })] },
        {
          stageName: 'Scan',
          actions: [
            new actions.CodeBuildAction({
              actionName: 'Scan',
              project,
              input: source,
              environmentVariables: { BIG: { value: 'x'.repeat(900) }, REF: { value: bucket.bucketName } },
            }),
          ],
        },
      ],
    });
    const problems = actionConfigurationProblems(stack, pipeline.node.defaultChild as codepipeline.CfnPipeline);
    expect(problems).toEqual([
      expect.stringMatching(
        /^pipeline action Scan\/Scan: configuration EnvironmentVariables would be up to \d+ characters; CodePipeline takes at most 1000/,
      ),
    ]);
  });
});

describe('19.2: retained buckets are not kept when the first create rolls back', () => {
  test('output and access-log buckets: RetainExceptOnCreate, Retain on replacement', () => {
    const t = synth().template;
    for (const prefix of ['ReportsBucket', 'AccessLogs']) {
      const r = t.toJSON().Resources[logicalIdOf(t, 'AWS::S3::Bucket', prefix)];
      expect([prefix, r.DeletionPolicy, r.UpdateReplacePolicy]).toEqual([prefix, 'RetainExceptOnCreate', 'Retain']);
    }
  });
});

describe('19.3: length limits are refused by our validation, naming the key and the limit', () => {
  test.each([
    [{ stackName: `S${'a'.repeat(100)}` }, /stackName: at most 100 characters \(it is also the pipeline's name/],
    [{ reportPrefix: 'a/'.repeat(460) + 'a' }, /reportPrefix: at most 900 characters/],
    [{ inputFile: 'a/'.repeat(520) + 'a' }, /inputFile: at most 1024 characters/],
    [{ notificationEmail: `${'a'.repeat(250)}@example.com` }, /notificationEmail: at most 254 characters/],
    [{ scanAccounts: 'organization', memberRoleName: 'r'.repeat(65) }, /memberRoleName: at most 64 characters/],
  ])('%o', (context, message) => {
    expect(() => synth(context)).toThrow(message);
  });
  test('a 100-character stack name synthesizes', () => {
    expect(synth({ stackName: `S${'a'.repeat(99)}` }).stack.stackName).toHaveLength(100);
  });
});

describe('19.5: what a VPC build can be checked for offline', () => {
  const vpc = { compute: 'ec2', vpcId: 'vpc-0123456789abcdef0', securityGroupIds: 'sg-0123456789abcdef0' };
  test('at most 16 subnets and 5 security groups, no ID twice', () => {
    const subnets = Array.from({ length: 17 }, (_, i) => `subnet-${String(i).padStart(17, '0')}`).join(',');
    expect(() => synth({ ...vpc, subnetIds: subnets })).toThrow(/subnetIds: CodeBuild takes at most 16, got 17/);
    const groups = Array.from({ length: 6 }, (_, i) => `sg-${String(i).padStart(17, '0')}`).join(',');
    expect(() => synth({ ...vpc, subnetIds: 'subnet-0123456789abcdef0', securityGroupIds: groups })).toThrow(
      /securityGroupIds: CodeBuild takes at most 5, got 6/,
    );
    expect(() => synth({ ...vpc, subnetIds: 'subnet-0123456789abcdef0,subnet-0123456789abcdef0' })).toThrow(/listed more than once/);
  });
});

describe('19.6: the first run is not lost', () => {
  test('the stack outputs the command that starts a scan', () => {
    const s = synth({ notificationEmail: 'team@example.com' });
    const o = s.template.toJSON().Outputs as Json;
    expect(flat(o.StartScanCommand.Value)).toBe(
      `aws codepipeline start-pipeline-execution --name \${${logicalIdOf(s.template, 'AWS::CodePipeline::Pipeline', 'Pipeline')}}`,
    );
    expect(o.NotificationTopicArn.Description).toMatch(/must confirm/);
  });
});

describe('19.8: a registry credentials secret in another region or account', () => {
  const OTHER_ACCOUNT_SECRET = 'arn:aws:secretsmanager:us-east-2:210987654321:secret:shared/registry-Zy9Xw8';
  test("kms:ViaService names the secret's own region; a rule refuses a deploy to another region", () => {
    const t = synth({
      registryCredentialsSecret: OTHER_ACCOUNT_SECRET,
      registryCredentialsKmsKey: 'arn:aws:kms:us-east-2:210987654321:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
    }).template;
    const st = roleStatements(t, logicalIdOf(t, 'AWS::IAM::Role', 'ScanRole')).find((x) => x.Action.includes('kms:Decrypt'))!;
    expect(st.Condition).toEqual({ StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-2.amazonaws.com' } });
    const rules = t.toJSON().Rules as Json;
    const rule = Object.entries(rules).find(([id]) => id.startsWith('RegistryCredentialsRegion'))![1];
    expect(rule.Assertions).toEqual([
      {
        Assert: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-2'] },
        AssertDescription: expect.stringContaining('replicate-secret-to-regions'),
      },
    ]);
  });
  test('a key in another region than the secret is refused at synth', () => {
    expect(() =>
      synth({ registryCredentialsSecret: SECRET_ARN, registryCredentialsKmsKey: KMS_KEY_ARN.replace('eu-west-1', 'us-east-1') }),
    ).toThrow(/registryCredentialsKmsKey: must be in the secret's region \(eu-west-1\)/);
  });
});

describe('17.5: a whole organization', () => {
  const ORG = { scanAccounts: 'organization', scanRegions: 'eu-west-1,us-east-1' };
  test('the build role may assume only the member role name, and list accounts only with organization', () => {
    const t = synth(ORG).template;
    const st = roleStatements(t, logicalIdOf(t, 'AWS::IAM::Role', 'ScanRole'));
    expect(st).toContainEqual({
      Effect: 'Allow',
      Action: ['sts:AssumeRole'],
      Resource: ['arn:${AWS::Partition}:iam::*:role/ecr-duplicate-scanner-read'],
    });
    // IAM policy minimization joins every "*" grant: the target registry's settings reads beside ListAccounts.
    expect(st).toContainEqual({
      Effect: 'Allow',
      Action: ['ecr:DescribePullThroughCacheRules', 'ecr:GetAccountSetting', 'organizations:ListAccounts'],
      Resource: ['*'],
    });
    expect(st.find((x) => x.Action.includes('ecr:ListImages'))!.Resource).toEqual([
      'arn:${AWS::Partition}:ecr:eu-west-1:${AWS::AccountId}:repository/*',
      'arn:${AWS::Partition}:ecr:us-east-1:${AWS::AccountId}:repository/*',
    ]);
  });
  test('listed accounts: AssumeRole in those accounts only, no ListAccounts; settings carry the flags', () => {
    const s = synth({ scanAccounts: '111122223333,444455556666', memberRoleName: 'scanner-reader' });
    const st = roleStatements(s.template, logicalIdOf(s.template, 'AWS::IAM::Role', 'ScanRole'));
    expect(st).toContainEqual({
      Effect: 'Allow',
      Action: ['sts:AssumeRole'],
      Resource: [
        'arn:${AWS::Partition}:iam::111122223333:role/scanner-reader',
        'arn:${AWS::Partition}:iam::444455556666:role/scanner-reader',
      ],
    });
    expect(st.flatMap((x) => x.Action)).not.toContain('organizations:ListAccounts');
    expect(scanSettings(s)).toMatchObject({ SCAN_ACCOUNTS: '111122223333,444455556666', MEMBER_ROLE_NAME: 'scanner-reader' });
  });
  test('other accounts: a registry whose role cannot be assumed will name the stacks that create it and the re-run command', () => {
    expect(scanSettings(synth(ORG)).ASSUME_ROLE_ADVICE).toBe(
      "deploy EcrDuplicateScanner-MemberReadRole and EcrDuplicateScanner-ManagementReadRole in the organization's management account, " +
        'then re-run the scan: aws codepipeline start-pipeline-execution --name EcrDuplicateScanner',
    );
    expect(scanSettings(synth({ scanAccounts: '111122223333', stackName: 'Team' })).ASSUME_ROLE_ADVICE).toMatch(
      /^deploy Team-MemberReadRole and Team-ManagementReadRole .* --name Team$/,
    );
    // This account alone, in several regions: no role to assume, nothing to advise.
    expect(scanSettings(synth({ scanRegions: 'eu-west-1,us-east-1' })).ASSUME_ROLE_ADVICE).toBeUndefined();
  });
  test('scanRegions alone: this account in those regions, no other account and no sts permission', () => {
    const s = synth({ scanRegions: 'eu-west-1,us-east-1' });
    const st = roleStatements(s.template, logicalIdOf(s.template, 'AWS::IAM::Role', 'ScanRole'));
    expect(st.flatMap((x) => x.Action).filter((a) => a.startsWith('sts:') || a.startsWith('organizations:'))).toEqual([]);
    expect(st.find((x) => x.Action.includes('ecr:ListImages'))!.Resource).toEqual([
      'arn:${AWS::Partition}:ecr:eu-west-1:${AWS::AccountId}:repository/*',
      'arn:${AWS::Partition}:ecr:us-east-1:${AWS::AccountId}:repository/*',
    ]);
    const settings = scanSettings(s);
    expect(settings).toMatchObject({ SCAN_REGIONS: 'eu-west-1,us-east-1', MEMBER_ROLE_NAME: 'ecr-duplicate-scanner-read' });
    expect(settings.SCAN_ACCOUNTS).toBeUndefined();
  });
  test('targetRegistry: --target-registry in the settings, and not one permission more', () => {
    const host = '333333333333.dkr.ecr.eu-west-1.amazonaws.com';
    const listed = { scanAccounts: '111122223333,333333333333', scanRegions: 'eu-west-1' };
    const withTarget = synth({ ...listed, targetRegistry: host });
    expect(scanSettings(withTarget)).toMatchObject({ TARGET_REGISTRY: host, SCAN_ACCOUNTS: '111122223333,333333333333' });
    const policy = (s: Synthesized) => roleStatements(s.template, logicalIdOf(s.template, 'AWS::IAM::Role', 'ScanRole'));
    const without = synth(listed);
    expect(policy(withTarget)).toEqual(policy(without));
    expect(scanSettings(without).TARGET_REGISTRY).toBeUndefined();
  });
  test('without the keys: no sts or organizations permission', () => {
    const t = synth().template;
    const actionsOf = roleStatements(t, logicalIdOf(t, 'AWS::IAM::Role', 'ScanRole')).flatMap((x) => x.Action);
    expect(actionsOf.filter((a) => a.startsWith('sts:') || a.startsWith('organizations:'))).toEqual([]);
  });
  test('memberOrganizationalUnits: a second stack with a service-managed, auto-deploying StackSet of the read role', () => {
    const buildRole = 'arn:aws:iam::123456789012:role/EcrDuplicateScanner-ScanBuild-eu-west-1';
    const s = synth({ ...ORG, memberOrganizationalUnits: 'ou-ab12-cdef3456,r-ab12', scannerBuildRoleArn: buildRole });
    expect(s.members!.stackName).toBe('EcrDuplicateScanner-MemberReadRole');
    const t = Template.fromStack(s.members!);
    const set = t.toJSON().Resources[logicalIdOf(t, 'AWS::CloudFormation::StackSet', 'MemberReadRoleStackSet')] as Json;
    expect(set!.Properties).toMatchObject({
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      StackInstancesGroup: [
        { DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-cdef3456', 'r-ab12'] }, Regions: [{ Ref: 'AWS::Region' }] },
      ],
    });
    const member = JSON.parse(set!.Properties.TemplateBody) as Json;
    const role = member.Resources.ReadRole.Properties;
    expect(role.RoleName).toBe('ecr-duplicate-scanner-read');
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::123456789012:root' },
        Action: 'sts:AssumeRole',
        Condition: { ArnEquals: { 'aws:PrincipalArn': buildRole } },
      },
    ]);
    const statements = role.Policies.flatMap((p: Json) => p.PolicyDocument.Statement) as Json[];
    // Derived from scanner/ecr/operations.ts: the inventory's read calls, nothing that writes.
    expect(statements.flatMap((x) => x.Action)).toEqual([...inventoryIamActions(), ...targetSettingsIamActions()]);
    // The repository reads on the account's repositories; the registry-level settings reads on "*" only.
    expect(statements.filter((x) => x.Resource === '*').flatMap((x) => x.Action)).toEqual(targetSettingsIamActions());
    expect(
      statements.flatMap((x) => x.Action).filter((a: string) => /:(Put|Delete|Create|Batch(Delete|Put)|Set|Tag|Untag)/.test(a)),
    ).toEqual([]);
    // cdk-nag over this stack: nag.test.ts (the member-stack variant).
  });
  test('memberOrganizationalUnits needs the build role ARN, with a message that says where it comes from', () => {
    expect(() => synth({ memberOrganizationalUnits: 'ou-ab12-cdef3456' })).toThrow(
      /scannerBuildRoleArn: required with memberOrganizationalUnits: the scanner stack's BuildRoleArn output/,
    );
    expect(() =>
      synth({
        memberOrganizationalUnits: 'ou-nope',
        scannerBuildRoleArn: 'arn:aws:iam::123456789012:role/EcrDuplicateScanner-ScanBuild-eu-west-1',
      }),
    ).toThrow(/memberOrganizationalUnits: expected organizational unit IDs/);
  });
});

describe('16.5: scans are not pulls', () => {
  test("the build role is a pull-time update exclusion (CloudFormation's own resource), before the first build", () => {
    const t = synth().template;
    const role = logicalIdOf(t, 'AWS::IAM::Role', 'ScanRole');
    const exclusions = t.findResources('AWS::ECR::PullTimeUpdateExclusion');
    expect(Object.values(exclusions).map((r: Json) => r.Properties)).toEqual([{ PrincipalArn: { 'Fn::GetAtt': [role, 'Arn'] } }]);
    const project = t.toJSON().Resources[logicalIdOf(t, 'AWS::CodeBuild::Project', 'ScanProject')];
    expect(project.DependsOn).toEqual(expect.arrayContaining(Object.keys(exclusions)));
    // No custom resource and no function: nothing in the stack may call the exclusion APIs.
    expect(Object.keys(t.findResources('AWS::Lambda::Function')).filter((id) => !id.startsWith('CustomS3AutoDelete'))).toEqual([]);
    const actionsOf = roleStatements(t, role).flatMap((x) => x.Action);
    expect(actionsOf.filter((a) => /PullTimeUpdateExclusion/.test(a))).toEqual([]);
  });
});

describe('20.5: constructs that stand on their own', () => {
  test('SecureBucket holds its bucket; deployed buckets keep their logical IDs (no replacement)', () => {
    const t = synth({ source: 's3' }).template;
    const ids = Object.keys(t.findResources('AWS::S3::Bucket')).sort();
    expect(ids).toEqual(['AccessLogs8B620ECA', 'Artifacts82DD59A1', 'InputBucket35D89CB1', 'ReportsBucket95FE29A2']);
    expect(Object.keys(t.findResources('AWS::S3::BucketPolicy')).sort()).toEqual([
      'AccessLogsPolicyABDC4D2D',
      'ArtifactsPolicy6E9058CC',
      'InputBucketPolicy9501ED46',
      'ReportsBucketPolicyDDF1E8F1',
    ]);
  });

  test('each construct validates its own props at synth', () => {
    const stack = new Stack(new App(), 'Props');
    new SecureBucket(stack, 'B', { noncurrentVersionsExpireAfterDays: 0 });
    const reports = new ReportStore(stack, 'R', { prefix: 'p', retentionDays: 1, removalPolicy: RemovalPolicy.DESTROY });
    new ScanProject(stack, 'P', {
      reports,
      artifactBucket: reports.bucket,
      timeout: Duration.minutes(30),
      vpc: { vpcId: 'vpc-0123456789abcdef0', subnetIds: [], securityGroupIds: ['sg-0123456789abcdef0'] },
    });
    const synthesize = () => Template.fromStack(stack);
    expect(synthesize).toThrow(/\[Props\/B\] SecureBucket: noncurrentVersionsExpireAfterDays must be a whole number of days/);
    expect(synthesize).toThrow(/SecureBucket: noncurrentVersionsExpireAfterDays needs versioned: true/);
    expect(synthesize).toThrow(/\[Props\/P\] ScanProject: vpc needs compute 'ec2'/);
    expect(synthesize).toThrow(/ScanProject: timeout needs compute 'ec2'/);
    expect(synthesize).toThrow(/ScanProject: a VPC build takes 1 to 16 subnets, got 0/);
  });
});
