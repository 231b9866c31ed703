/** Properties every variant of the stack must keep, whatever changes inside it. */
import {
  CONNECTION_CONTEXT,
  Synthesized,
  actionEnvironment,
  allStatements,
  asArray,
  flat,
  logicalIdOf,
  roleStatements,
  synth,
} from './synth';

type Json = Record<string, any>;

const VARIANTS: [string, Record<string, unknown>][] = [
  ['codecommit', {}],
  ['s3', { source: 's3' }],
  ['connection', { ...CONNECTION_CONTEXT }],
  ['codecommit, destroy, other prefix', { outputBucketRemovalPolicy: 'destroy', reportPrefix: 'team/scans' }],
];

// A name that says it holds a credential.
const SECRET_NAME = /(secret|passw(or)?d|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|auth)/i;

describe.each(VARIANTS)('%s', (_name, context) => {
  let s: Synthesized;
  let resources: Record<string, Json>;
  beforeAll(() => {
    s = synth(context);
    resources = s.template.toJSON().Resources as Record<string, Json>;
  });
  const ofType = (type: string): [string, Json][] => Object.entries(resources).filter(([, r]) => r.Type === type);

  test('no policy allows "*" or "<service>:*", and no Allow uses NotAction or NotResource', () => {
    for (const { where, statement } of allStatements(s.template)) {
      expect(statement.NotAction).toBeUndefined();
      if (statement.Effect !== 'Allow') continue;
      expect(statement.NotResource).toBeUndefined();
      for (const action of asArray<string>(statement.Action)) {
        expect({ where, action }).not.toEqual({ where, action: expect.stringMatching(/^(\*|[a-z0-9-]+:\*)$/) });
      }
    }
  });

  test("the only Deny statements are the buckets' TLS guards", () => {
    for (const { statement } of allStatements(s.template)) {
      if (statement.Effect !== 'Deny') continue;
      expect(statement.Condition).toEqual(
        expect.objectContaining(
          statement.Condition.Bool ? { Bool: { 'aws:SecureTransport': 'false' } } : { NumericLessThan: { 's3:TlsVersion': 1.2 } },
        ),
      );
    }
  });

  test('every bucket: encrypted, public access blocked, ACLs off, and a policy refusing plain HTTP', () => {
    const buckets = ofType('AWS::S3::Bucket');
    expect(buckets.length).toBeGreaterThanOrEqual(3);
    for (const [id, bucket] of buckets) {
      const p = bucket.Properties;
      expect(p.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toMatch(
        /^(AES256|aws:kms)$/,
      );
      expect(p.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(p.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
      expect(p.AccessControl).toBeUndefined();
      expect(p.WebsiteConfiguration).toBeUndefined();
      const policies = ofType('AWS::S3::BucketPolicy').filter(([, bp]) => bp.Properties.Bucket.Ref === id);
      expect(policies).toHaveLength(1);
      const denies = (policies[0]![1].Properties.PolicyDocument.Statement as Json[]).filter(
        (st) => st.Effect === 'Deny' && st.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      );
      expect(denies).toHaveLength(1);
      expect(denies[0]!.Principal).toEqual({ AWS: '*' });
      expect(denies[0]!.Action).toBe('s3:*');
      expect(denies[0]!.Resource.map(flat).sort()).toEqual([`\${${id}.Arn}`, `\${${id}.Arn}/*`]);
    }
  });

  test('no bucket policy allows anyone but named roles and the S3 log delivery service', () => {
    for (const [, bp] of ofType('AWS::S3::BucketPolicy')) {
      for (const st of bp.Properties.PolicyDocument.Statement as Json[]) {
        if (st.Effect !== 'Allow') continue;
        expect(st.Principal).not.toBe('*');
        if (st.Principal.Service) {
          expect(st.Principal.Service).toBe('logging.s3.amazonaws.com');
          expect(asArray(st.Action)).toEqual(['s3:PutObject']);
          expect(st.Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
        } else {
          expect(flat(st.Principal.AWS)).toMatch(/^\$\{[A-Za-z0-9]+\.Arn\}$/);
        }
      }
    }
  });

  test('the build role writes only under the report prefix and to the cache object, reads only ECR, its artifacts and the cache', () => {
    const role = logicalIdOf(s.template, 'AWS::IAM::Role', 'ScanRole');
    const reports = logicalIdOf(s.template, 'AWS::S3::Bucket', 'ReportsBucket');
    const artifacts = logicalIdOf(s.template, 'AWS::S3::Bucket', 'Artifacts');
    const logs = logicalIdOf(s.template, 'AWS::Logs::LogGroup', 'ScanLogs');
    const prefix = (context.reportPrefix as string | undefined) ?? 'reports';
    const allowed: Record<string, string[]> = {
      'logs:CreateLogStream': [`\${${logs}.Arn}`],
      'logs:PutLogEvents': [`\${${logs}.Arn}`],
      'ecr:DescribeRepositories': ['arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/*'],
      'ecr:ListImages': ['arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/*'],
      'ecr:DescribeImages': ['arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/*'],
      'ecr:BatchGetImage': ['arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/*'],
      // Registry-level reads (no resource type): the target's pull-through cache rules and BLOB_MOUNTING.
      'ecr:DescribePullThroughCacheRules': ['*'],
      'ecr:GetAccountSetting': ['*'],
      's3:GetObject': [`\${${artifacts}.Arn}/*`, `\${${reports}.Arn}/${prefix}/cache/digest-cache.json`],
      's3:GetObjectVersion': [`\${${artifacts}.Arn}/*`],
      // A failed multipart upload of a large cache is aborted at once, on that one object.
      's3:AbortMultipartUpload': [`\${${reports}.Arn}/${prefix}/cache/digest-cache.json`],
      's3:GetBucketAcl': [`\${${artifacts}.Arn}`],
      's3:GetBucketLocation': [`\${${artifacts}.Arn}`],
      's3:PutObject': [`\${${reports}.Arn}/${prefix}/*`, `\${${reports}.Arn}/${prefix}/cache/digest-cache.json`],
    };
    const granted: Record<string, Set<string>> = {};
    for (const st of roleStatements(s.template, role)) {
      expect(st.Effect).toBe('Allow');
      expect(st.Condition).toBeUndefined();
      for (const a of st.Action) {
        expect(a).not.toContain('*');
        for (const r of st.Resource) (granted[a] ??= new Set()).add(r);
      }
    }
    expect(Object.fromEntries(Object.entries(granted).map(([a, rs]) => [a, [...rs].sort()]))).toEqual(
      Object.fromEntries(Object.entries(allowed).map(([a, rs]) => [a, [...rs].sort()])),
    );
  });

  test('no plain-text environment variable of CodeBuild looks like a secret', () => {
    const vars: Json[] = [];
    for (const [, p] of ofType('AWS::CodeBuild::Project'))
      vars.push(
        ...(p.Properties.Environment.EnvironmentVariables ?? []).map((v: Json) => ({ name: v.Name, type: v.Type, value: v.Value })),
      );
    for (const [, pipeline] of ofType('AWS::CodePipeline::Pipeline')) {
      for (const stage of pipeline.Properties.Stages as Json[]) {
        for (const action of stage.Actions as Json[]) {
          vars.push(...actionEnvironment(action));
        }
      }
    }
    expect(vars.length).toBeGreaterThan(0);
    for (const v of vars) {
      if ((v.type ?? 'PLAINTEXT') !== 'PLAINTEXT') continue;
      expect(v.name).not.toMatch(SECRET_NAME);
      expect(flat(v.value)).not.toMatch(/^arn:aws[a-z-]*:(secretsmanager|ssm):/);
    }
  });

  test('no privileged build, no Docker, no VPC', () => {
    for (const [, p] of ofType('AWS::CodeBuild::Project')) {
      expect(p.Properties.Environment.PrivilegedMode).toBe(false);
      expect(p.Properties.VpcConfig).toBeUndefined();
    }
  });

  test('no IAM user, access key or managed policy', () => {
    expect(ofType('AWS::IAM::User')).toEqual([]);
    expect(ofType('AWS::IAM::AccessKey')).toEqual([]);
    expect(ofType('AWS::IAM::ManagedPolicy')).toEqual([]);
    for (const [id, role] of ofType('AWS::IAM::Role')) {
      // CDK's auto-delete handler is the one role with a managed policy (basic Lambda logging).
      if (id.startsWith('CustomS3AutoDeleteObjectsCustomResourceProviderRole')) continue;
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});
