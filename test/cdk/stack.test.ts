/** The default stack (CodeCommit source), resource by resource. */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTEXT_DEFAULTS } from '../../lib/config';
import {
  REPO_ROOT,
  Synthesized,
  actionEnvironment,
  flat,
  logicalIdOf,
  projectEnvironment,
  roleStatements,
  scanSettings,
  synth,
} from './synth';

type Json = Record<string, any>;

let s: Synthesized;
let t: Template;
let ids: {
  reports: string;
  artifacts: string;
  accessLogs: string;
  logs: string;
  role: string;
  project: string;
  pipeline: string;
  repo: string;
};

beforeAll(() => {
  s = synth();
  t = s.template;
  ids = {
    reports: logicalIdOf(t, 'AWS::S3::Bucket', 'ReportsBucket'),
    artifacts: logicalIdOf(t, 'AWS::S3::Bucket', 'Artifacts'),
    accessLogs: logicalIdOf(t, 'AWS::S3::Bucket', 'AccessLogs'),
    logs: logicalIdOf(t, 'AWS::Logs::LogGroup', 'ScanLogs'),
    role: logicalIdOf(t, 'AWS::IAM::Role', 'ScanRole'),
    project: logicalIdOf(t, 'AWS::CodeBuild::Project', 'ScanProject'),
    pipeline: logicalIdOf(t, 'AWS::CodePipeline::Pipeline', 'Pipeline'),
    repo: logicalIdOf(t, 'AWS::CodeCommit::Repository', 'InputRepository'),
  };
});

const resource = (id: string): Json => t.toJSON().Resources[id] as Json;

describe('buckets', () => {
  test('exactly three: output, artifacts, access logs', () => {
    t.resourceCountIs('AWS::S3::Bucket', 3);
  });

  test.each(['reports', 'artifacts', 'accessLogs'] as const)('%s: SSE-S3, all public access blocked, ACLs disabled', (name) => {
    const p = resource(ids[name]).Properties;
    expect(p.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(p.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(p.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(p.AccessControl).toBeUndefined();
  });

  test.each(['reports', 'artifacts', 'accessLogs'] as const)(
    '%s: bucket policy denies plain HTTP and TLS < 1.2 on the bucket and its objects',
    (name) => {
      const id = ids[name];
      const [policy] = Object.values(t.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: id } } })) as Json[];
      const both = [{ 'Fn::GetAtt': [id, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, '/*']] }];
      expect(policy!.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: both,
          },
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            Resource: both,
          },
        ]),
      );
    },
  );

  test('output bucket: versioned, reports and older versions expire after 365 days, retained with the stack', () => {
    const r = resource(ids.reports);
    expect(r.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(r.Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Status: 'Enabled', ExpirationInDays: 365, NoncurrentVersionExpiration: { NoncurrentDays: 365 } }),
        expect.objectContaining({ Status: 'Enabled', ExpiredObjectDeleteMarker: true }),
      ]),
    );
    // Kept on update and delete, not when the first create rolls back.
    expect(r.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(r.UpdateReplacePolicy).toBe('Retain');
    expect(flat(r.Properties.LoggingConfiguration.DestinationBucketName)).toBe(`\${${ids.accessLogs}}`);
    t.resourcePropertiesCountIs('Custom::S3AutoDeleteObjects', { BucketName: { Ref: ids.reports } }, 0);
  });

  test('artifact bucket: objects expire after 30 days, emptied and deleted with the stack', () => {
    const r = resource(ids.artifacts);
    expect(r.Properties.VersioningConfiguration).toBeUndefined();
    expect(r.Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ Status: 'Enabled', ExpirationInDays: 30 })]),
    );
    expect(r.DeletionPolicy).toBe('Delete');
    t.resourcePropertiesCountIs('Custom::S3AutoDeleteObjects', { BucketName: { Ref: ids.artifacts } }, 1);
    expect(flat(r.Properties.LoggingConfiguration.DestinationBucketName)).toBe(`\${${ids.accessLogs}}`);
  });

  test('access log bucket: lives and expires with the reports; S3 log delivery may write only its own prefixes', () => {
    const r = resource(ids.accessLogs);
    expect(r.Properties.LifecycleConfiguration.Rules).toEqual(expect.arrayContaining([expect.objectContaining({ ExpirationInDays: 365 })]));
    expect(r.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(r.Properties.LoggingConfiguration).toBeUndefined();
    const [policy] = Object.values(t.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: ids.accessLogs } } })) as Json[];
    const allows = (policy!.Properties.PolicyDocument.Statement as Json[]).filter((st) => st.Effect === 'Allow');
    expect(allows.map((st) => [st.Principal, st.Action, flat(st.Resource)])).toEqual([
      [{ Service: 'logging.s3.amazonaws.com' }, 's3:PutObject', `\${${ids.accessLogs}.Arn}/s3-access-logs/Reports/Bucket/*`],
      [{ Service: 'logging.s3.amazonaws.com' }, 's3:PutObject', `\${${ids.accessLogs}.Arn}/s3-access-logs/Artifacts/*`],
    ]);
    for (const st of allows) expect(st.Condition.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
  });

  test('no KMS key: same-account pipeline, SSE-S3 everywhere', () => {
    t.resourceCountIs('AWS::KMS::Key', 0);
  });
});

describe('build role', () => {
  test('every statement of its policy, exactly', () => {
    const account = '${AWS::AccountId}';
    expect(roleStatements(t, ids.role)).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [`\${${ids.logs}.Arn}`] },
      {
        Effect: 'Allow',
        Action: ['ecr:BatchGetImage', 'ecr:DescribeImages', 'ecr:DescribeRepositories', 'ecr:ListImages'],
        Resource: [`arn:\${AWS::Partition}:ecr:\${AWS::Region}:${account}:repository/*`],
      },
      // The plan's target registry's pull-through cache rules and BLOB_MOUNTING: no resource type, so "*".
      { Effect: 'Allow', Action: ['ecr:DescribePullThroughCacheRules', 'ecr:GetAccountSetting'], Resource: ['*'] },
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: [`\${${ids.artifacts}.Arn}/*`] },
      { Effect: 'Allow', Action: ['s3:GetBucketAcl', 's3:GetBucketLocation'], Resource: [`\${${ids.artifacts}.Arn}`] },
      { Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`\${${ids.reports}.Arn}/reports/*`] },
      {
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        Resource: [`\${${ids.reports}.Arn}/reports/cache/digest-cache.json`],
      },
    ]);
  });

  test('one policy, no inline or managed policies, no permissions boundary surprises', () => {
    const attached = Object.values(t.findResources('AWS::IAM::Policy') as Record<string, Json>).filter((p) =>
      (p.Properties.Roles ?? []).some((r: Json) => r.Ref === ids.role),
    );
    expect(attached).toHaveLength(1);
    const role = resource(ids.role).Properties;
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(role.Policies).toBeUndefined();
    t.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
  });

  test('assumable only by CodeBuild for this account', () => {
    expect(resource(ids.role).Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'codebuild.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
  });

  test('the project is created after the policy, so the first build has its permissions', () => {
    expect(resource(ids.project).DependsOn).toEqual(
      expect.arrayContaining([ids.role, logicalIdOf(t, 'AWS::IAM::Policy', 'ScanRoleDefaultPolicy')]),
    );
  });
});

describe('scan project', () => {
  test('Lambda compute, Node 22 image, not privileged, no timeout or cache settings', () => {
    const p = resource(ids.project).Properties;
    expect(p.Environment).toMatchObject({
      Type: 'LINUX_LAMBDA_CONTAINER',
      ComputeType: 'BUILD_LAMBDA_1GB',
      Image: 'aws/codebuild/amazonlinux-x86_64-lambda-standard:nodejs22',
      PrivilegedMode: false,
    });
    expect(p.TimeoutInMinutes).toBeUndefined();
    expect(p.QueuedTimeoutInMinutes).toBeUndefined();
    expect(p.VpcConfig).toBeUndefined();
    expect(p.Cache).toEqual({ Type: 'NO_CACHE' });
    expect(flat(p.ServiceRole)).toBe(`\${${ids.role}.Arn}`);
  });

  test('runs buildspec/scan.yml as written', () => {
    const p = resource(ids.project).Properties;
    expect(p.Source).toEqual({ Type: 'CODEPIPELINE', BuildSpec: readFileSync(join(REPO_ROOT, 'buildspec', 'scan.yml'), 'utf8') });
    expect(p.Source.BuildSpec).toContain('- bash "$CODEBUILD_SRC_DIR_Scanner/scan.sh"');
  });

  test('its environment holds only what CloudFormation resolves (the bucket); every setting is in the Scanner artifact', () => {
    expect(resource(ids.project).Properties.Environment.EnvironmentVariables).toEqual([
      { Name: 'OUTPUT_BUCKET', Type: 'PLAINTEXT', Value: { Ref: ids.reports } },
    ]);
  });

  test('Lambda compute: Node 22 image, 1 GB, no timeout (Lambda has none), the Lambda buildspec', () => {
    expect(resource(ids.project).Properties.Environment).toMatchObject({
      Type: 'LINUX_LAMBDA_CONTAINER',
      ComputeType: 'BUILD_LAMBDA_1GB',
      Image: 'aws/codebuild/amazonlinux-x86_64-lambda-standard:nodejs22',
    });
    expect(resource(ids.project).Properties.TimeoutInMinutes).toBeUndefined();
    expect(resource(ids.project).Properties.Source.BuildSpec).toBe(readFileSync(join(REPO_ROOT, 'buildspec', 'scan.yml'), 'utf8'));
  });

  test('logs to its own log group, kept 90 days', () => {
    expect(resource(ids.project).Properties.LogsConfig).toEqual({ CloudWatchLogs: { Status: 'ENABLED', GroupName: { Ref: ids.logs } } });
    expect(resource(ids.logs).Properties.RetentionInDays).toBe(90);
  });
});

describe('pipeline', () => {
  const pipeline = (): Json => resource(ids.pipeline).Properties;

  test('V2, queued, restarted when a deploy changes it, artifacts in the artifact bucket', () => {
    expect(pipeline()).toMatchObject({
      PipelineType: 'V2',
      ExecutionMode: 'QUEUED',
      RestartExecutionOnUpdate: true,
      Name: CONTEXT_DEFAULTS.stackName,
      ArtifactStore: { Type: 'S3', Location: { Ref: ids.artifacts } },
    });
    expect(pipeline().ArtifactStore.EncryptionKey).toBeUndefined();
  });

  test('exactly two stages, Source then Scan', () => {
    expect((pipeline().Stages as Json[]).map((st) => st.Name)).toEqual(['Source', 'Scan']);
  });

  test('Source: the CodeCommit input on main (no polling) and the scanner asset (no polling)', () => {
    const [source] = pipeline().Stages as Json[];
    expect(source!.Actions).toHaveLength(2);
    const [input, scanner] = source!.Actions as Json[];
    expect(input).toMatchObject({
      Name: 'Input',
      Namespace: 'SourceVariables',
      ActionTypeId: { Category: 'Source', Owner: 'AWS', Provider: 'CodeCommit' },
      Configuration: { BranchName: 'main', PollForSourceChanges: false, RepositoryName: { 'Fn::GetAtt': [ids.repo, 'Name'] } },
      OutputArtifacts: [{ Name: 'Input' }],
    });
    expect(scanner).toMatchObject({
      Name: 'Scanner',
      ActionTypeId: { Category: 'Source', Owner: 'AWS', Provider: 'S3' },
      Configuration: { PollForSourceChanges: false, S3ObjectKey: expect.stringMatching(/^[0-9a-f]{64}\.zip$/) },
      OutputArtifacts: [{ Name: 'Scanner' }],
    });
    expect(flat(scanner!.Configuration.S3Bucket)).toBe('cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}');
  });

  test('Scan: CodeBuild with the input as primary source, the scanner as CODEBUILD_SRC_DIR_Scanner, execution ID and commit passed', () => {
    const [, scan] = pipeline().Stages as Json[];
    expect(scan!.Actions).toHaveLength(1);
    const [action] = scan!.Actions as Json[];
    expect(action).toMatchObject({
      Name: 'Scan',
      ActionTypeId: { Category: 'Build', Owner: 'AWS', Provider: 'CodeBuild' },
      InputArtifacts: [{ Name: 'Input' }, { Name: 'Scanner' }],
      Configuration: { ProjectName: { Ref: ids.project }, PrimarySource: 'Input' },
    });
    // Only the pipeline's own variables: the settings are in the Scanner artifact, the bucket on the project.
    expect(actionEnvironment(action!)).toEqual([
      { name: 'PIPELINE_EXECUTION_ID', type: 'PLAINTEXT', value: '#{codepipeline.PipelineExecutionId}' },
      { name: 'SOURCE_REVISION', type: 'PLAINTEXT', value: '#{SourceVariables.CommitId}' },
    ]);
    expect(projectEnvironment(t)).toEqual({ OUTPUT_BUCKET: { type: 'PLAINTEXT', value: `\${${ids.reports}}` } });
    expect(scanSettings(s)).toEqual({
      INPUT_FILE: 'input.txt',
      REPORT_PREFIX: 'reports',
      RUN_FOLDER: 'reports/{timestamp}-{run}/',
      LATEST_FOLDER: 'reports/latest/',
      DIGEST_CACHE_KEY: 'reports/cache/digest-cache.json',
      SCAN_COMPUTE: 'lambda',
    });
  });

  test('a push to main starts it through EventBridge', () => {
    const rules = Object.values(t.findResources('AWS::Events::Rule') as Record<string, Json>);
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.Properties;
    expect(rule.EventPattern).toEqual({
      source: ['aws.codecommit'],
      'detail-type': ['CodeCommit Repository State Change'],
      resources: [{ 'Fn::GetAtt': [ids.repo, 'Arn'] }],
      detail: { event: ['referenceCreated', 'referenceUpdated'], referenceName: ['main'] },
    });
    expect(rule.Targets).toHaveLength(1);
    expect(flat(rule.Targets[0].Arn)).toBe(`arn:\${AWS::Partition}:codepipeline:\${AWS::Region}:\${AWS::AccountId}:\${${ids.pipeline}}`);
  });

  test('the EventBridge role may only start this pipeline', () => {
    const rule = Object.values(t.findResources('AWS::Events::Rule') as Record<string, Json>)[0]!.Properties;
    const roleId = rule.Targets[0].RoleArn['Fn::GetAtt'][0] as string;
    expect(roleStatements(t, roleId)).toEqual([
      {
        Effect: 'Allow',
        Action: ['codepipeline:StartPipelineExecution'],
        Resource: [`arn:\${AWS::Partition}:codepipeline:\${AWS::Region}:\${AWS::AccountId}:\${${ids.pipeline}}`],
      },
    ]);
  });
});

describe('CodeCommit input', () => {
  test('repository named from context, seeded on main from seed/', () => {
    const p = resource(ids.repo).Properties;
    expect(p.RepositoryName).toBe('ecr-duplicate-scanner-input');
    expect(p.Code.BranchName).toBe('main');
    expect(p.Code.S3.Key).toMatch(/^[0-9a-f]{64}\.zip$/);
  });

  test('seed has a sample input.txt and a README', () => {
    const input = readFileSync(join(REPO_ROOT, 'seed', 'input.txt'), 'utf8');
    expect(input.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#')).length).toBeGreaterThan(0);
    expect(readFileSync(join(REPO_ROOT, 'seed', 'README.md'), 'utf8')).toContain('git push');
  });
});

describe('outputs', () => {
  test('clone URLs, output bucket, download command, console URL', () => {
    const outputs = t.toJSON().Outputs as Record<string, Json>;
    const values = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, flat(v.Value)]));
    expect(values).toEqual({
      InputCloneUrlHttps: `\${${ids.repo}.CloneUrlHttp}`,
      InputCloneUrlGrc: `codecommit::\${AWS::Region}://\${${ids.repo}.Name}`,
      OutputBucketName: `\${${ids.reports}}`,
      LatestReportUri: `s3://\${${ids.reports}}/reports/latest/`,
      DownloadLatestReportCommand: `aws s3 cp --recursive s3://\${${ids.reports}}/reports/latest/ ./report`,
      AccessLogsBucketName: `\${${ids.accessLogs}}`,
      BuildRoleArn: `\${${ids.role}.Arn}`,
      StartScanCommand: `aws codepipeline start-pipeline-execution --name \${${ids.pipeline}}`,
      PipelineConsoleUrl: `https://\${AWS::Region}.console.aws.amazon.com/codesuite/codepipeline/pipelines/\${${ids.pipeline}}/view?region=\${AWS::Region}`,
    });
    for (const o of Object.values(outputs)) expect(o.Description).toEqual(expect.any(String));
  });
});

describe('settings from context', () => {
  let other: Synthesized;
  let o: { reports: string; role: string; project: string };
  beforeAll(() => {
    other = synth({
      stackName: 'ScanTeamB',
      repositoryName: 'team-b-images',
      branch: 'develop',
      inputFile: 'lists/images.txt',
      reportPrefix: '/ecr/scans/',
      reportRetentionDays: '30',
      outputBucketRemovalPolicy: 'destroy',
      scanConcurrency: '48',
    });
    o = {
      reports: logicalIdOf(other.template, 'AWS::S3::Bucket', 'ReportsBucket'),
      role: logicalIdOf(other.template, 'AWS::IAM::Role', 'ScanRole'),
      project: logicalIdOf(other.template, 'AWS::CodeBuild::Project', 'ScanProject'),
    };
  });

  test('stack and pipeline names', () => {
    expect(other.stack.stackName).toBe('ScanTeamB');
    other.template.hasResourceProperties('AWS::CodePipeline::Pipeline', { Name: 'ScanTeamB' });
  });

  test('repository, branch and input file', () => {
    other.template.hasResourceProperties('AWS::CodeCommit::Repository', {
      RepositoryName: 'team-b-images',
      Code: Match.objectLike({ BranchName: 'develop' }),
    });
    other.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: Match.objectLike({ referenceName: ['develop'] }) }),
    });
    expect(scanSettings(other).INPUT_FILE).toBe('lists/images.txt');
  });

  test('prefix (slashes trimmed) moves every grant, the environment and the outputs', () => {
    const resources = roleStatementsOf(other, o.role)
      .filter((st) => st.Action.some((a) => a === 's3:PutObject'))
      .flatMap((st) => st.Resource);
    expect(resources).toEqual([`\${${o.reports}.Arn}/ecr/scans/*`, `\${${o.reports}.Arn}/ecr/scans/cache/digest-cache.json`]);
    expect(scanSettings(other).REPORT_PREFIX).toBe('ecr/scans');
    expect(flat(other.template.toJSON().Outputs.DownloadLatestReportCommand.Value)).toBe(
      `aws s3 cp --recursive s3://\${${o.reports}}/ecr/scans/latest/ ./report`,
    );
  });

  test('retention days and destroy policy', () => {
    const r = other.template.toJSON().Resources[o.reports];
    expect(r.Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ ExpirationInDays: 30, NoncurrentVersionExpiration: { NoncurrentDays: 30 } })]),
    );
    expect(r.DeletionPolicy).toBe('Delete');
    other.template.resourcePropertiesCountIs('Custom::S3AutoDeleteObjects', { BucketName: { Ref: o.reports } }, 1);
  });

  test('scan concurrency reaches the build', () => {
    expect(scanSettings(other).SCAN_CONCURRENCY).toBe('48');
  });
});

function roleStatementsOf(x: Synthesized, roleId: string) {
  return roleStatements(x.template, roleId);
}
