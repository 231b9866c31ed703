/**
 * The stack as another CDK app uses it: explicit props in a plain App, no context
 * keys of this app, references (ISecret, IKey) instead of ARN strings, and each bad
 * prop refused at synth by a message that names it.
 */
import { App, Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CONTEXT_DEFAULTS, ConfigError, readConfig } from '../../lib/config';
import { EcrDuplicateScannerStack, EcrDuplicateScannerStackProps } from '../../lib/ecr-duplicate-scanner-stack';
import { KMS_KEY_ARN, SECRET_ARN } from './variant-contexts';
import { Synthesized, logicalIdOf, placeholderBundleDir, projectEnvironment, roleStatements, scanSettings, synth } from './synth';

type Json = Record<string, any>;

const bundleDir = placeholderBundleDir();

/** A stack in an App with no context at all, as a CDK app other than ours builds it. */
function plainStack(
  props: Omit<EcrDuplicateScannerStackProps, 'scannerBundleDir'> = {},
  configure?: (stack: Stack) => Partial<EcrDuplicateScannerStackProps>,
): EcrDuplicateScannerStack {
  const app = new App();
  expect(app.node.tryGetContext('stackName')).toBeUndefined();
  // References are created in a stack of the other app's own (here: a shared one), then handed over.
  const shared = new Stack(app, 'Shared');
  return new EcrDuplicateScannerStack(app, 'TeamScanner', { scannerBundleDir: bundleDir, ...props, ...(configure?.(shared) ?? {}) });
}

function synthesized(stack: EcrDuplicateScannerStack): Synthesized {
  const template = Template.fromStack(stack);
  const outdir = (stack.node.root as App).outdir;
  return { app: stack.node.root as App, stack, template, outdir, pullTimeExclusions: [] };
}

describe('explicit props in a plain App (no context)', () => {
  test('every prop left out: the documented defaults', () => {
    const s = synthesized(plainStack());
    const t = s.template;
    // repositoryName @default: the stack name in kebab case plus -input.
    t.hasResourceProperties('AWS::CodeCommit::Repository', { RepositoryName: 'team-scanner-input' });
    t.hasResourceProperties('AWS::CodeBuild::Project', { Environment: { ComputeType: 'BUILD_LAMBDA_1GB' } });
    const reports = t.toJSON().Resources[logicalIdOf(t, 'AWS::S3::Bucket', 'ReportsBucket')] as Json;
    expect(reports.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(reports.Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([expect.objectContaining({ ExpirationInDays: CONTEXT_DEFAULTS.reportRetentionDays })]),
    );
    // The same settings file as this app's context defaults give.
    expect(scanSettings(s)).toEqual(scanSettings(synth()));
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.resourceCountIs('AWS::Events::Rule', 1); // the CodeCommit push rule only: no schedule
  });

  test('references and settings as props: the secret and key from the other app, EC2 with a timeout, S3 input', () => {
    const s = synthesized(
      plainStack(
        {
          source: 's3',
          inputObjectKey: 'lists/images.zip',
          inputFile: 'images.txt',
          reportPrefix: 'scans',
          reportRetentionDays: 30,
          outputBucketRemovalPolicy: RemovalPolicy.DESTROY,
          compute: 'ec2',
          buildTimeout: Duration.minutes(120),
          scanConcurrency: 12,
          scanAccounts: 'organization',
          memberRoleName: 'scan-read',
          schedule: 'rate(1 day)',
          notificationEmail: 'team@example.com',
        },
        (shared) => ({
          registryCredentials: secretsmanager.Secret.fromSecretCompleteArn(shared, 'Creds', SECRET_ARN),
          registryCredentialsKey: kms.Key.fromKeyArn(shared, 'CredsKey', KMS_KEY_ARN),
        }),
      ),
    );
    const t = s.template;
    t.hasResourceProperties('AWS::CodeBuild::Project', { TimeoutInMinutes: 120 });
    expect(projectEnvironment(t).REGISTRY_CREDENTIALS).toEqual({ type: 'SECRETS_MANAGER', value: SECRET_ARN });
    const statements = roleStatements(t, logicalIdOf(t, 'AWS::IAM::Role', 'ScanRole'));
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: ['secretsmanager:GetSecretValue'], Resource: [SECRET_ARN] }),
        expect.objectContaining({ Action: ['kms:Decrypt'], Resource: [KMS_KEY_ARN] }),
      ]),
    );
    // The secret's region is checked by a template rule, as with the app's context.
    expect(Object.keys(t.toJSON().Rules as Json)).toEqual(expect.arrayContaining([expect.stringMatching(/^RegistryCredentialsRegion/)]));
    const reports = t.toJSON().Resources[logicalIdOf(t, 'AWS::S3::Bucket', 'ReportsBucket')] as Json;
    expect(reports.DeletionPolicy).toBe('Delete');
    t.hasOutput('InputObjectKey', { Value: 'lists/images.zip' });
    t.resourceCountIs('AWS::SNS::Topic', 1);
    expect(scanSettings(s)).toMatchObject({
      INPUT_FILE: 'images.txt',
      REPORT_PREFIX: 'scans',
      SCAN_COMPUTE: 'ec2',
      SCAN_CONCURRENCY: '12',
      REGISTRY_CREDENTIALS_SECRET: SECRET_ARN,
      NOTIFICATIONS: 'on',
      SCAN_ORGANIZATION: 'on',
      MEMBER_ROLE_NAME: 'scan-read',
    });
  });

  test('a connection source takes owner/repo, the owner possibly a group path', () => {
    const t = synthesized(
      plainStack({
        source: 'connection',
        connectionArn: 'arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
        repository: 'group/sub/images',
        branch: 'release',
      }),
    ).template;
    t.hasOutput('InputRepository', { Value: 'group/sub/images@release' });
  });
});

describe('a bad prop is refused at synth, by name', () => {
  const CONNECTION_ARN = 'arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789';
  test.each<[string, Omit<EcrDuplicateScannerStackProps, 'scannerBundleDir'>, RegExp]>([
    [
      'connection without its ARN',
      { source: 'connection', repository: 'o/r' },
      /EcrDuplicateScannerStack: connectionArn: required with source connection/,
    ],
    [
      'connection without owner/repo',
      { source: 'connection', connectionArn: CONNECTION_ARN, repository: 'images' },
      /repository: expected owner\/repo, got "images"/,
    ],
    ['a prop of another source', { source: 's3', repositoryName: 'images' }, /repositoryName: only meaningful with source codecommit/],
    ['an input object that is not a zip', { source: 's3', inputObjectKey: 'input.txt' }, /inputObjectKey: expected a key ending in \.zip/],
    ['retention of no days', { reportRetentionDays: 0 }, /reportRetentionDays: expected a whole number from 1 to 36500, got 0/],
    ['a fractional concurrency', { scanConcurrency: 2.5 }, /scanConcurrency: expected a whole number from 1 to 256, got 2.5/],
    [
      'a schedule EventBridge refuses',
      { schedule: 'daily' },
      /schedule: expected an EventBridge schedule expression: rate\(1 day\).*got "daily"/,
    ],
    ['no accounts to scan', { scanAccounts: [] }, /scanAccounts: expected 'organization' or at least one account ID/],
    [
      'a member role without a scan of others',
      { memberRoleName: 'scan-read' },
      /memberRoleName: only meaningful with scanAccounts or scanRegions/,
    ],
    [
      'member role stacks without other accounts',
      { scanRegions: ['eu-west-1'], memberRoleStacks: ['Members'] },
      /memberRoleStacks: only meaningful with scanAccounts/,
    ],
    [
      'a plan target without a scan of others',
      { targetRegistry: '333333333333.dkr.ecr.eu-west-1.amazonaws.com' },
      /targetRegistry: only meaningful with scanAccounts or scanRegions/,
    ],
    [
      'a plan target that is not a private ECR host',
      { scanRegions: ['eu-west-1'], targetRegistry: 'public.ecr.aws' },
      /targetRegistry: expected a private ECR registry host, <account>\.dkr\.ecr\.<region>\.amazonaws\.com, got "public\.ecr\.aws"/,
    ],
    [
      'a plan target known only at deploy',
      { scanRegions: ['eu-west-1'], targetRegistry: `${Aws.ACCOUNT_ID}.dkr.ecr.eu-west-1.amazonaws.com` },
      /targetRegistry: expected a host known at synth, not a token/,
    ],
    [
      'a VPC with Lambda compute',
      { vpc: { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'] } },
      /ScanProject: vpc needs compute 'ec2'/,
    ],
    ['a timeout with Lambda compute', { buildTimeout: Duration.minutes(30) }, /ScanProject: timeout needs compute 'ec2'/],
  ])('%s', (_name, props, message) => {
    const stack = plainStack(props);
    expect(() => Template.fromStack(stack)).toThrow(message);
  });

  test('a secret named without its complete ARN (IAM and the settings file need the suffix)', () => {
    const stack = plainStack({}, (shared) => ({
      registryCredentials: secretsmanager.Secret.fromSecretNameV2(shared, 'Creds', 'registry/creds'),
    }));
    expect(() => Template.fromStack(stack)).toThrow(
      /EcrDuplicateScannerStack: registryCredentials: expected a secret named by its complete ARN/,
    );
  });

  test('a key without a secret', () => {
    const stack = plainStack({}, (shared) => ({ registryCredentialsKey: kms.Key.fromKeyArn(shared, 'Key', KMS_KEY_ARN) }));
    expect(() => Template.fromStack(stack)).toThrow(/ScanProject: registryCredentialsKey is only meaningful with registryCredentials/);
  });

  test('every problem at once, each on its own line', () => {
    const stack = plainStack({ reportRetentionDays: 40000, scanConcurrency: 0, inputObjectKey: 'x.zip' });
    expect(() => Template.fromStack(stack)).toThrow(
      /reportRetentionDays[\s\S]*scanConcurrency[\s\S]*inputObjectKey|inputObjectKey[\s\S]*reportRetentionDays[\s\S]*scanConcurrency/,
    );
  });
});

describe("a prop that breaks its context key's rule is refused in the words a -c user gets, naming the prop", () => {
  const CONNECTION_ARN = 'arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-4e5f-6789-abcd-ef0123456789';
  /** The problems readConfig finds in these -c values. */
  function contextProblems(values: Record<string, string>): string[] {
    try {
      readConfig({ tryGetContext: (key: string) => values[key] });
    } catch (err) {
      if (err instanceof ConfigError) return [...err.problems];
      throw err;
    }
    return [];
  }
  test.each<[string, Record<string, string>, Omit<EcrDuplicateScannerStackProps, 'scannerBundleDir'>]>([
    [
      'repository',
      { source: 'connection', connectionArn: CONNECTION_ARN, repository: 'images' },
      { source: 'connection', connectionArn: CONNECTION_ARN, repository: 'images' },
    ],
    ['schedule', { schedule: 'daily' }, { schedule: 'daily' }],
    ['inputFile', { inputFile: '../input.txt' }, { inputFile: '../input.txt' }],
    ['notificationEmail', { notificationEmail: 'nobody' }, { notificationEmail: 'nobody' }],
    ['targetPrefix', { targetPrefix: 'Upper Case' }, { targetPrefix: 'Upper Case' }],
    ['scanRegions', { scanRegions: 'mars-1' }, { scanRegions: ['mars-1'] }],
    ['insecureRegistries', { insecureRegistries: 'http://registry' }, { insecureRegistries: ['http://registry'] }],
    ['ecrSourceAccounts', { ecrSourceAccounts: '1234' }, { ecrSourceAccounts: ['1234'] }],
    [
      'memberRoleName',
      { scanRegions: 'eu-west-1', memberRoleName: 'x'.repeat(65) },
      { scanRegions: ['eu-west-1'], memberRoleName: 'x'.repeat(65) },
    ],
  ])('%s', (key, context, props) => {
    const own = contextProblems(context).filter((p) => p.startsWith(`${key}: `));
    expect(own).toHaveLength(1);
    expect(() => Template.fromStack(plainStack(props))).toThrow(`EcrDuplicateScannerStack: ${own[0]}`);
  });
});
