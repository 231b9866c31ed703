/** The S3 and connection input sources (the CodeCommit one is in stack.test.ts). */
import { Template } from 'aws-cdk-lib/assertions';
import { CONNECTION_CONTEXT, Synthesized, actionEnvironment, flat, logicalIdOf, roleStatements, scanAction, synth } from './synth';

type Json = Record<string, any>;

const sourceStage = (t: Template): Json => {
  const [pipeline] = Object.values(t.findResources('AWS::CodePipeline::Pipeline')) as Json[];
  return (pipeline!.Properties.Stages as Json[])[0]!;
};
const scanEnvironment = (t: Template): Json[] => actionEnvironment(scanAction(t));

describe('source=s3', () => {
  let s: Synthesized;
  let t: Template;
  let bucket: string;
  let pipeline: string;
  beforeAll(() => {
    s = synth({ source: 's3' });
    t = s.template;
    bucket = logicalIdOf(t, 'AWS::S3::Bucket', 'InputBucket');
    pipeline = logicalIdOf(t, 'AWS::CodePipeline::Pipeline', 'Pipeline');
  });

  test('no CodeCommit repository', () => {
    t.resourceCountIs('AWS::CodeCommit::Repository', 0);
  });

  test('input bucket: versioned (the S3 source needs it), events to EventBridge, same baseline as every bucket', () => {
    const p = t.toJSON().Resources[bucket].Properties;
    expect(p.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(p.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    expect(p.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(p.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(p.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(p.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 365 } })]),
    );
    expect(p.LifecycleConfiguration.Rules.some((r: Json) => r.ExpirationInDays !== undefined)).toBe(false);
    expect(flat(p.LoggingConfiguration.LogFilePrefix)).toBe('s3-access-logs/Input/Bucket/');
  });

  test('no notification custom resource (the bucket property does it)', () => {
    t.resourceCountIs('Custom::S3BucketNotifications', 0);
    t.resourceCountIs('AWS::Lambda::Function', 1); // the auto-delete handler only
  });

  test('Source reads input.zip without polling, the version ID is the revision', () => {
    const [input] = sourceStage(t).Actions as Json[];
    expect(input).toMatchObject({
      Name: 'Input',
      ActionTypeId: { Category: 'Source', Owner: 'AWS', Provider: 'S3' },
      Configuration: { S3Bucket: { Ref: bucket }, S3ObjectKey: 'input.zip', PollForSourceChanges: false },
      OutputArtifacts: [{ Name: 'Input' }],
    });
    expect(scanEnvironment(t)).toContainEqual({ name: 'SOURCE_REVISION', type: 'PLAINTEXT', value: '#{SourceVariables.VersionId}' });
  });

  test('an upload of that key starts the pipeline through EventBridge, without CloudTrail', () => {
    const rules = Object.values(t.findResources('AWS::Events::Rule')) as Json[];
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.Properties;
    expect(rule.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [{ Ref: bucket }] }, object: { key: ['input.zip'] } },
    });
    expect(flat(rule.Targets[0].Arn)).toBe(`arn:\${AWS::Partition}:codepipeline:\${AWS::Region}:\${AWS::AccountId}:\${${pipeline}}`);
    t.resourceCountIs('AWS::CloudTrail::Trail', 0);
  });

  test('the input action may read only the input object (and its bucket metadata)', () => {
    const [input] = sourceStage(t).Actions as Json[];
    const roleId = input!.RoleArn['Fn::GetAtt'][0] as string;
    const reads = roleStatements(t, roleId).filter((st) => st.Action.includes('s3:GetObject*'));
    expect(reads.flatMap((st) => st.Resource)).toEqual([`\${${bucket}.Arn}`, `\${${bucket}.Arn}/input.zip`]);
  });

  test('outputs: the bucket, the key and a ready upload command', () => {
    const o = t.toJSON().Outputs as Record<string, Json>;
    expect(flat(o.InputBucketName!.Value)).toBe(`\${${bucket}}`);
    expect(o.InputObjectKey!.Value).toBe('input.zip');
    expect(flat(o.InputUploadCommand!.Value)).toBe(`zip input.zip input.txt && aws s3 cp input.zip s3://\${${bucket}}/input.zip`);
    expect(o.InputCloneUrlHttps).toBeUndefined();
  });

  test('another key and input path', () => {
    const other = synth({ source: 's3', inputObjectKey: 'scans/images.zip', inputFile: 'lists/images.txt' });
    const b = logicalIdOf(other.template, 'AWS::S3::Bucket', 'InputBucket');
    expect(flat(other.template.toJSON().Outputs.InputUploadCommand.Value)).toBe(
      `zip images.zip lists/images.txt && aws s3 cp images.zip s3://\${${b}}/scans/images.zip`,
    );
    other.template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { detail: { object: { key: ['scans/images.zip'] } } } });
  });
});

describe('source=connection', () => {
  let s: Synthesized;
  let t: Template;
  beforeAll(() => {
    s = synth({ ...CONNECTION_CONTEXT });
    t = s.template;
  });

  test('no repository, no input bucket, no EventBridge rule: the connection pushes', () => {
    t.resourceCountIs('AWS::CodeCommit::Repository', 0);
    t.resourceCountIs('AWS::S3::Bucket', 3);
    t.resourceCountIs('AWS::Events::Rule', 0);
  });

  test('Source uses the connection on the branch and starts on push (webhook, not polling)', () => {
    const [input] = sourceStage(t).Actions as Json[];
    expect(input).toMatchObject({
      Name: 'Input',
      ActionTypeId: { Category: 'Source', Owner: 'AWS', Provider: 'CodeStarSourceConnection' },
      Configuration: {
        ConnectionArn: CONNECTION_CONTEXT.connectionArn,
        FullRepositoryId: CONNECTION_CONTEXT.repository,
        BranchName: 'release',
        DetectChanges: true,
      },
    });
    expect(scanEnvironment(t)).toContainEqual({ name: 'SOURCE_REVISION', type: 'PLAINTEXT', value: '#{SourceVariables.CommitId}' });
  });

  test('the action role may use this connection only, under both service prefixes', () => {
    const roleId = logicalIdOf(t, 'AWS::IAM::Role', 'InputActionRole');
    const use = roleStatements(t, roleId).filter((st) => st.Action.some((a) => a.endsWith(':UseConnection')));
    expect(use).toEqual([
      {
        Effect: 'Allow',
        Action: ['codeconnections:UseConnection', 'codestar-connections:UseConnection'],
        Resource: [CONNECTION_CONTEXT.connectionArn],
      },
    ]);
  });

  test('an older codestar-connections ARN gets the one permission it needs', () => {
    const arn = 'arn:aws:codestar-connections:us-east-1:123456789012:connection/abc-123';
    const other = synth({ ...CONNECTION_CONTEXT, connectionArn: arn });
    const roleId = logicalIdOf(other.template, 'AWS::IAM::Role', 'InputActionRole');
    const use = roleStatements(other.template, roleId).filter((st) => st.Action.some((a) => a.endsWith(':UseConnection')));
    expect(use).toEqual([{ Effect: 'Allow', Action: ['codestar-connections:UseConnection'], Resource: [arn] }]);
  });

  test('the build role gets nothing from the connection (no full clone)', () => {
    const roleId = logicalIdOf(t, 'AWS::IAM::Role', 'ScanRole');
    expect(
      roleStatements(t, roleId)
        .flatMap((st) => st.Action)
        .filter((a) => a.includes('connection')),
    ).toEqual([]);
  });

  test('outputs: the repository and branch', () => {
    const o = t.toJSON().Outputs as Record<string, Json>;
    expect(o.InputRepository!.Value).toBe('example-org/image-lists@release');
    expect(Object.keys(o).sort()).toEqual([
      'AccessLogsBucketName',
      'BuildRoleArn',
      'DownloadLatestReportCommand',
      'InputRepository',
      'LatestReportUri',
      'OutputBucketName',
      'PipelineConsoleUrl',
      'StartScanCommand',
    ]);
  });

  test('GitLab subgroups: owner is everything before the last slash', () => {
    const other = synth({ ...CONNECTION_CONTEXT, repository: 'group/sub/images' });
    const [input] = sourceStage(other.template).Actions as Json[];
    expect(input!.Configuration.FullRepositoryId).toBe('group/sub/images');
  });
});
