/**
 * What each context variant adds to the template: the first-run ordering, the
 * Lambda region rule, EC2 compute and its VPC, registry credentials, ECR sources,
 * the schedule, notifications, and all of them at once.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAMBDA_COMPUTE_REGIONS } from '../../lib/lambda-compute-region';
import { COMBINED_CONTEXT, KMS_KEY_ARN, SECRET_ARN, VPC_CONTEXT } from './variant-contexts';
import {
  CONNECTION_CONTEXT,
  REPO_ROOT,
  Synthesized,
  flat,
  logicalIdOf,
  projectEnvironment,
  roleStatements,
  scanSettings,
  synth,
} from './synth';

type Json = Record<string, any>;

const resources = (t: Template): Record<string, Json> => t.toJSON().Resources as Record<string, Json>;
const project = (t: Template): Json => Object.values(t.findResources('AWS::CodeBuild::Project'))[0] as Json;
const buildRole = (t: Template): string => logicalIdOf(t, 'AWS::IAM::Role', 'ScanRole');

describe.each([
  ['codecommit', {}],
  ['s3', { source: 's3' }],
  ['connection', { ...CONNECTION_CONTEXT }],
])('first run (%s): the pipeline waits for every action role policy', (_name, context) => {
  test('DependsOn holds the DefaultPolicy of the pipeline role and of every action role', () => {
    const t = synth(context).template;
    const [pipelineId, pipeline] = Object.entries(t.findResources('AWS::CodePipeline::Pipeline'))[0] as [string, Json];
    const roleIds = new Set<string>([pipeline.Properties.RoleArn['Fn::GetAtt'][0]]);
    for (const stage of pipeline.Properties.Stages as Json[])
      for (const a of stage.Actions as Json[]) roleIds.add(a.RoleArn['Fn::GetAtt'][0]);
    expect(roleIds.size).toBe(4); // pipeline, Input, Scanner, Scan
    const policies = Object.entries(t.findResources('AWS::IAM::Policy'))
      .filter(([, p]) => (p.Properties.Roles as Json[]).some((r) => roleIds.has(r.Ref)))
      .map(([id]) => id);
    expect(policies).toHaveLength(4);
    expect(resources(t)[pipelineId]!.DependsOn).toEqual(expect.arrayContaining(policies));
  });
});

describe('regions without Lambda compute', () => {
  test('Lambda: a template rule on AWS::Region names the regions and -c compute=ec2', () => {
    const rules = synth().template.toJSON().Rules as Json;
    const rule = Object.entries(rules).find(([id]) => id.startsWith('LambdaComputeRegion'))![1];
    expect(rule.Assertions).toEqual([
      {
        Assert: { 'Fn::Contains': [[...LAMBDA_COMPUTE_REGIONS], { Ref: 'AWS::Region' }] },
        AssertDescription: expect.stringContaining('Deploy with -c compute=ec2'),
      },
    ]);
  });
  test('EC2: no such rule', () => {
    const rules = synth({ compute: 'ec2' }).template.toJSON().Rules as Json;
    expect(Object.keys(rules).filter((id) => id.startsWith('LambdaComputeRegion'))).toEqual([]);
  });
});

describe('a second stack in the same account', () => {
  test('gets its own repository name from its stack name; an explicit one is kept', () => {
    synth({ stackName: 'ScanTeamB' }).template.hasResourceProperties('AWS::CodeCommit::Repository', {
      RepositoryName: 'scan-team-b-input',
    });
    synth({ stackName: 'ScanTeamB', repositoryName: 'images' }).template.hasResourceProperties('AWS::CodeCommit::Repository', {
      RepositoryName: 'images',
    });
  });
});

describe('settings re-run the pipeline: the settings file is in the Scanner artifact, whose key is its hash', () => {
  test('concurrency, input file, prefix and compute are in the settings file', () => {
    const settings = scanSettings(synth({ scanConcurrency: '8', inputFile: 'a/b.txt', reportPrefix: 'x/y', compute: 'ec2' }));
    expect(settings).toMatchObject({ SCAN_CONCURRENCY: '8', INPUT_FILE: 'a/b.txt', REPORT_PREFIX: 'x/y', SCAN_COMPUTE: 'ec2' });
  });
  test('registries in the network and the plan prefix are in it too; absent when not set', () => {
    const settings = scanSettings(
      synth({ insecureRegistries: 'Registry.Corp:5000, 10.0.0.5', registryCaFile: 'certs/corp-ca.pem', targetPrefix: 'migrated/' }),
    );
    expect(settings).toMatchObject({
      INSECURE_REGISTRIES: 'registry.corp:5000,10.0.0.5',
      REGISTRY_CA_FILE: 'certs/corp-ca.pem',
      TARGET_PREFIX: 'migrated',
    });
    const plain = scanSettings(synth({}));
    expect(['INSECURE_REGISTRIES', 'REGISTRY_CA_FILE', 'TARGET_PREFIX'].filter((k) => k in plain)).toEqual([]);
  });
  test.each([
    [{ insecureRegistries: 'http://registry.corp' }, 'insecureRegistries'],
    [{ registryCaFile: '../etc/ca.pem' }, 'registryCaFile'],
    [{ targetPrefix: 'Upper/Case' }, 'targetPrefix'],
  ])('a bad value stops the synth naming the key: %o', (context, key) => {
    expect(() => synth(context)).toThrow(new RegExp(`${key}: expected`));
  });
});

describe('compute=ec2', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth(VPC_CONTEXT);
  });
  test('standard 7.0 image, small, the timeout, the VPC by ID (no look-up), the EC2 buildspec', () => {
    const p = project(s.template).Properties;
    expect(p.Environment).toMatchObject({
      Type: 'LINUX_CONTAINER',
      ComputeType: 'BUILD_GENERAL1_SMALL',
      Image: 'aws/codebuild/standard:7.0',
    });
    expect(p.Environment.PrivilegedMode).toBe(false);
    expect(p.TimeoutInMinutes).toBe(90);
    expect(p.VpcConfig).toEqual({
      VpcId: 'vpc-0123456789abcdef0',
      Subnets: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
      SecurityGroupIds: ['sg-0123456789abcdef0'],
    });
    expect(p.Source.BuildSpec).toBe(readFileSync(join(REPO_ROOT, 'buildspec', 'scan-ec2.yml'), 'utf8'));
    expect(p.Source.BuildSpec).toContain('bash "$CODEBUILD_SRC_DIR_Scanner/scan.sh"');
    s.template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
  });
  test("the role gets CDK's network interface statements, the permission limited to the subnets and CodeBuild", () => {
    const st = roleStatements(s.template, buildRole(s.template));
    expect(st).toContainEqual({
      Effect: 'Allow',
      Action: ['ec2:CreateNetworkInterfacePermission'],
      Resource: ['arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:network-interface/*'],
      Condition: {
        StringEquals: {
          'ec2:Subnet': [
            {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':ec2:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':subnet/subnet-0123456789abcdef0',
                ],
              ],
            },
            {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':ec2:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':subnet/subnet-0fedcba9876543210',
                ],
              ],
            },
          ],
          'ec2:AuthorizedService': 'codebuild.amazonaws.com',
        },
      },
    });
    expect(st).toContainEqual(
      expect.objectContaining({
        Action: expect.arrayContaining(['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeVpcs']),
        Resource: ['*'],
      }),
    );
  });
  test('without a VPC: no VpcConfig and no EC2 permission', () => {
    const t = synth({ compute: 'ec2' }).template;
    expect(project(t).Properties.VpcConfig).toBeUndefined();
    expect(project(t).Properties.TimeoutInMinutes).toBe(60);
    expect(roleActionsStartingWith(t, 'ec2:')).toEqual([]);
  });
});

/** The build role's actions that start with a service prefix. */
function roleActionsStartingWith(t: Template, prefix: string): string[] {
  return roleStatements(t, buildRole(t))
    .flatMap((st) => st.Action)
    .filter((a) => a.startsWith(prefix));
}

describe('registry credentials', () => {
  test('a SECRETS_MANAGER variable holding only the ARN; GetSecretValue on that secret; Decrypt via Secrets Manager with a key', () => {
    const t = synth({ registryCredentialsSecret: SECRET_ARN, registryCredentialsKmsKey: KMS_KEY_ARN }).template;
    expect(projectEnvironment(t).REGISTRY_CREDENTIALS).toEqual({ type: 'SECRETS_MANAGER', value: SECRET_ARN });
    const st = roleStatements(t, buildRole(t));
    expect(st).toContainEqual({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [SECRET_ARN] });
    expect(st).toContainEqual({
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [KMS_KEY_ARN],
      Condition: {
        // The secret's own region, from its ARN (a rule refuses a deploy to another region).
        StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' },
      },
    });
  });
  test('without a key: no KMS permission', () => {
    const t = synth({ registryCredentialsSecret: SECRET_ARN }).template;
    expect(roleActionsStartingWith(t, 'kms:')).toEqual([]);
  });
});

describe('ECR as a source', () => {
  test('GetAuthorizationToken (resource *) and the manifest reads on the named accounts only when set', () => {
    const t = synth({ ecrSourceAccounts: '111122223333,444455556666' }).template;
    const st = roleStatements(t, buildRole(t));
    // IAM policy minimization joins every "*" grant: the target registry's settings reads beside the login.
    expect(st).toContainEqual({
      Effect: 'Allow',
      Action: ['ecr:DescribePullThroughCacheRules', 'ecr:GetAccountSetting', 'ecr:GetAuthorizationToken'],
      Resource: ['*'],
    });
    expect(st).toContainEqual({
      Effect: 'Allow',
      Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Resource: ['arn:${AWS::Partition}:ecr:*:111122223333:repository/*', 'arn:${AWS::Partition}:ecr:*:444455556666:repository/*'],
    });
    const plain = synth().template;
    expect(roleStatements(plain, buildRole(plain)).flatMap((x) => x.Action)).not.toContain('ecr:GetAuthorizationToken');
  });
});

describe('schedule', () => {
  test('an EventBridge rule on the expression whose role may only start this pipeline; outputs name it', () => {
    const t = synth({ schedule: 'rate(1 day)' }).template;
    const [ruleId, rule] = Object.entries(
      t.findResources('AWS::Events::Rule', { Properties: { ScheduleExpression: 'rate(1 day)' } }),
    )[0] as [string, Json];
    const pipelineId = logicalIdOf(t, 'AWS::CodePipeline::Pipeline', 'Pipeline');
    const arn = `arn:\${AWS::Partition}:codepipeline:\${AWS::Region}:\${AWS::AccountId}:\${${pipelineId}}`;
    expect(flat(rule.Properties.Targets[0].Arn)).toBe(arn);
    expect(roleStatements(t, rule.Properties.Targets[0].RoleArn['Fn::GetAtt'][0])).toEqual([
      { Effect: 'Allow', Action: ['codepipeline:StartPipelineExecution'], Resource: [arn] },
    ]);
    const o = t.toJSON().Outputs as Json;
    expect(o.ScanSchedule.Value).toBe('rate(1 day)');
    expect(o.ScanScheduleRuleName.Value).toEqual({ Ref: ruleId });
  });
});

describe('notifications', () => {
  let t: Template;
  beforeAll(() => {
    t = synth({ notificationEmail: 'team@example.com' }).template;
  });
  test('an encrypted topic with a TLS-only policy, the address subscribed', () => {
    const [topicId, topic] = Object.entries(t.findResources('AWS::SNS::Topic'))[0] as [string, Json];
    expect(flat(topic.Properties.KmsMasterKeyId)).toMatch(/alias\/aws\/sns$/);
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'team@example.com', TopicArn: { Ref: topicId } });
    const [policy] = Object.values(t.findResources('AWS::SNS::TopicPolicy')) as Json[];
    expect(policy!.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });
  test('the build may only publish to it, and learns its ARN; the output names it', () => {
    const topicId = logicalIdOf(t, 'AWS::SNS::Topic', 'Notifications');
    const st = roleStatements(t, buildRole(t)).filter((x) => x.Action.some((a) => a.startsWith('sns:')));
    expect(st).toEqual([{ Effect: 'Allow', Action: ['sns:Publish'], Resource: [`\${${topicId}}`] }]);
    expect(projectEnvironment(t).NOTIFY_TOPIC_ARN).toEqual({ type: 'PLAINTEXT', value: `\${${topicId}}` });
    expect((t.toJSON().Outputs as Json).NotificationTopicArn.Value).toEqual({ Ref: topicId });
  });
});

describe('everything at once', () => {
  test('synthesizes with every addition in place', () => {
    const s = synth(COMBINED_CONTEXT);
    const t = s.template;
    expect(Object.keys(t.toJSON().Outputs as Json)).toEqual(
      expect.arrayContaining(['NotificationTopicArn', 'ScanSchedule', 'BuildRoleArn']),
    );
    expect(project(t).Properties.VpcConfig).toBeDefined();
    expect(Object.keys(scanSettings(s)).sort()).toEqual(
      [
        'DIGEST_CACHE_KEY',
        'INPUT_FILE',
        'LATEST_FOLDER',
        'NOTIFICATIONS',
        'REGISTRY_CREDENTIALS_SECRET',
        'REPORT_PREFIX',
        'RUN_FOLDER',
        'SCAN_COMPUTE',
        'SCAN_CONCURRENCY',
      ].sort(),
    );
    expect(Object.keys(projectEnvironment(t)).sort()).toEqual(['NOTIFY_TOPIC_ARN', 'OUTPUT_BUCKET', 'REGISTRY_CREDENTIALS']);
  });
});

describe('clean-up with outputBucketRemovalPolicy=destroy', () => {
  test('the reports go with the stack; the access-log bucket stays (late log deliveries) and is named in an output', () => {
    const t = synth({ outputBucketRemovalPolicy: 'destroy' }).template;
    const logs = logicalIdOf(t, 'AWS::S3::Bucket', 'AccessLogs');
    expect(resources(t)[logs]!.DeletionPolicy).toBe('RetainExceptOnCreate');
    t.resourcePropertiesCountIs('Custom::S3AutoDeleteObjects', { BucketName: { Ref: logs } }, 0);
    expect((t.toJSON().Outputs as Json).AccessLogsBucketName.Value).toEqual({ Ref: logs });
  });
});
