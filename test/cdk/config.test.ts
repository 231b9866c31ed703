/** Context values: defaults, parsing of -c strings, and one clear message per bad value. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTEXT_DEFAULTS, CONTEXT_KEYS, ConfigError, defaultRepositoryName, isScheduleExpression, readConfig } from '../../lib/config';
import { parseCliArgs } from '../../scanner/cli-args';
import { REPO_ROOT, cdkJsonContext } from './synth';

const ctx = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key] });
const problemsOf = (values: Record<string, unknown>): string[] => {
  try {
    readConfig(ctx(values));
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ConfigError');
};

test('cdk.json holds exactly the documented defaults', () => {
  const json = cdkJsonContext();
  for (const [key, value] of Object.entries(CONTEXT_DEFAULTS)) expect([key, json[key]]).toEqual([key, value]);
});

test('defaults with no context at all', () => {
  expect(readConfig(ctx({}))).toEqual({
    stackName: 'EcrDuplicateScanner',
    source: { kind: 'codecommit', repositoryName: 'ecr-duplicate-scanner-input', branch: 'main' },
    inputFile: 'input.txt',
    reportPrefix: 'reports',
    reportRetentionDays: 365,
    outputBucketRemovalPolicy: 'retain',
    compute: { kind: 'lambda' },
    ecrSourceAccounts: [],
    insecureRegistries: [],
  });
});

test('-c values arrive as strings and are parsed', () => {
  const c = readConfig(
    ctx({ reportRetentionDays: '30', scanConcurrency: '8', outputBucketRemovalPolicy: 'DESTROY', reportPrefix: '/a/b/', source: 'S3' }),
  );
  expect(c).toMatchObject({
    reportRetentionDays: 30,
    scanConcurrency: 8,
    outputBucketRemovalPolicy: 'destroy',
    reportPrefix: 'a/b',
    source: { kind: 's3', objectKey: 'input.zip' },
  });
});

test('an empty -c value means the default', () => {
  expect(readConfig(ctx({ scanConcurrency: '', branch: ' ' }))).toMatchObject({ source: { branch: 'main' } });
  expect(readConfig(ctx({ scanConcurrency: '' })).scanConcurrency).toBeUndefined();
});

test('connection: repository kept as owner/repo, parsed once by the stack', () => {
  const c = readConfig(
    ctx({
      source: 'connection',
      connectionArn: 'arn:aws:codestar-connections:us-east-1:123456789012:connection/abc',
      repository: 'org/repo',
    }),
  );
  expect(c.source).toEqual({
    kind: 'connection',
    connectionArn: 'arn:aws:codestar-connections:us-east-1:123456789012:connection/abc',
    repository: 'org/repo',
    branch: 'main',
  });
});

test.each([
  [{ source: 'github' }, 'source: expected codecommit, s3 or connection, got "github"'],
  [{ stackName: '1stack' }, 'stackName'],
  [{ repositoryName: 'repo.git' }, 'repositoryName'],
  [{ branch: 'feature..x' }, 'branch'],
  [{ branch: '-x' }, 'branch'],
  [{ inputFile: '/etc/passwd' }, 'inputFile'],
  [{ inputFile: '../input.txt' }, 'inputFile'],
  [{ reportPrefix: 'reports/*' }, 'reportPrefix'],
  [{ reportPrefix: '' }, undefined],
  [{ reportRetentionDays: '0' }, 'reportRetentionDays: expected a whole number from 1 to 36500, got "0"'],
  [{ reportRetentionDays: '1.5' }, 'reportRetentionDays'],
  [{ outputBucketRemovalPolicy: 'snapshot' }, 'outputBucketRemovalPolicy: expected retain or destroy, got "snapshot"'],
  [{ scanConcurrency: '0' }, 'scanConcurrency'],
  [{ source: 's3', inputObjectKey: 'input.txt' }, 'inputObjectKey: expected a key ending in .zip'],
  [{ source: 'connection', repository: 'org/repo' }, 'connectionArn: required with source=connection'],
  [
    { source: 'connection', connectionArn: 'arn:aws:codestar-connections:us-east-1:123456789012:connection/abc' },
    'repository: required with source=connection, as owner/repo',
  ],
  [
    { source: 'connection', connectionArn: 'arn:aws:iam::123456789012:role/x', repository: 'org/repo' },
    'connectionArn: expected arn:aws:codeconnections',
  ],
  [
    { source: 'connection', connectionArn: 'arn:aws:codeconnections:us-east-1:123456789012:connection/abc', repository: 'justrepo' },
    'repository: expected owner/repo',
  ],
])('rejects %j', (values, message) => {
  if (message === undefined) {
    // An empty prefix falls back to the default rather than writing at the bucket root.
    expect(readConfig(ctx(values)).reportPrefix).toBe('reports');
    return;
  }
  const problems = problemsOf(values);
  expect(problems).toHaveLength(1);
  expect(problems[0]).toContain(message);
});

test('every bad value is named in one message', () => {
  const problems = problemsOf({ stackName: '-', reportRetentionDays: 'x', source: 'connection' });
  expect(problems).toHaveLength(4);
  expect(new ConfigError(problems).message).toMatch(/^invalid context \(fix with -c key=value or in cdk\.json\):\n {2}- stackName/);
});

test('cdk synth with a bad value fails with the message, not a stack trace', () => {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'bin/app.ts'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), reportRetentionDays: 'forever' }) },
  });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('reportRetentionDays: expected a whole number from 1 to 36500, got "forever"');
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

describe('the repository name follows the stack name unless given', () => {
  test.each([
    ['EcrDuplicateScanner', 'ecr-duplicate-scanner-input'],
    ['ScanTeamB', 'scan-team-b-input'],
    ['ECRScan2', 'ecr-scan2-input'],
    ['my-stack', 'my-stack-input'],
  ])('%s -> %s', (stackName, name) => {
    expect(defaultRepositoryName(stackName)).toBe(name);
    expect(readConfig(ctx({ stackName })).source).toMatchObject({ repositoryName: name });
  });
  test('at most 100 characters, never ending in "-" before -input', () => {
    const name = defaultRepositoryName(`A${'b'.repeat(120)}`);
    expect(name.length).toBeLessThanOrEqual(100);
    expect(name).toMatch(/^[a-z]+-input$/);
  });
  test('an explicit repositoryName is kept', () => {
    expect(readConfig(ctx({ stackName: 'ScanTeamB', repositoryName: 'shared-images' })).source).toMatchObject({
      repositoryName: 'shared-images',
    });
  });
});

const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry/creds-AbC123';
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789';
const VPC = {
  compute: 'ec2',
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: 'subnet-0123456789abcdef0, subnet-89abcdef',
  securityGroupIds: 'sg-0123456789abcdef0',
};

describe('compute, schedule, notifications, registry credentials, ECR sources', () => {
  test('compute=ec2 with a VPC, lists from -c strings or cdk.json arrays, the timeout', () => {
    expect(readConfig(ctx({ ...VPC, buildTimeoutMinutes: '90' })).compute).toEqual({
      kind: 'ec2',
      timeoutMinutes: 90,
      vpc: { vpcId: VPC.vpcId, subnetIds: ['subnet-0123456789abcdef0', 'subnet-89abcdef'], securityGroupIds: ['sg-0123456789abcdef0'] },
    });
    expect(readConfig(ctx({ ...VPC, subnetIds: ['subnet-0123456789abcdef0'] })).compute).toMatchObject({
      vpc: { subnetIds: ['subnet-0123456789abcdef0'] },
    });
  });
  test('compute=ec2 without a VPC runs outside one, with the default timeout', () => {
    expect(readConfig(ctx({ compute: 'EC2' })).compute).toEqual({ kind: 'ec2', timeoutMinutes: CONTEXT_DEFAULTS.buildTimeoutMinutes });
  });
  test('schedule, e-mail, secret with its key, ECR source accounts (duplicates dropped)', () => {
    const c = readConfig(
      ctx({
        schedule: 'cron(0 6 ? * MON-FRI *)',
        notificationEmail: 'team+scans@example.com',
        registryCredentialsSecret: SECRET,
        registryCredentialsKmsKey: KEY,
        ecrSourceAccounts: '111122223333,444455556666,111122223333',
      }),
    );
    expect(c).toMatchObject({
      schedule: 'cron(0 6 ? * MON-FRI *)',
      notificationEmail: 'team+scans@example.com',
      registryCredentials: { secretArn: SECRET, kmsKeyArn: KEY },
      ecrSourceAccounts: ['111122223333', '444455556666'],
    });
  });
  test.each([
    ['rate(1 day)', true],
    ['rate(6 hours)', true],
    ['rate(5 minutes)', true],
    ['cron(0 6 * * ? *)', true],
    ['rate(1 days)', false],
    ['rate(2 day)', false],
    ['rate(0 hours)', false],
    ['cron(0 6 * * ?)', false],
    ['every day', false],
    ['at(2026-01-01T00:00:00)', false],
  ])('schedule %s: %s', (expression, ok) => {
    expect(isScheduleExpression(expression)).toBe(ok);
  });
  test.each([
    [{ compute: 'fargate' }, 'compute: expected lambda or ec2'],
    [
      { vpcId: VPC.vpcId, subnetIds: VPC.subnetIds, securityGroupIds: VPC.securityGroupIds },
      "vpcId, subnetIds, securityGroupIds: need compute=ec2 (CodeBuild's Lambda compute cannot run in a VPC)",
    ],
    [{ compute: 'ec2', vpcId: VPC.vpcId }, 'subnetIds, securityGroupIds: required together with vpcId'],
    [{ ...VPC, vpcId: 'vpc-xyz' }, 'vpcId: expected a VPC ID'],
    [{ ...VPC, subnetIds: 'subnet-0123456789abcdef0,sg-0123456789abcdef0' }, 'subnetIds: expected subnet IDs'],
    [{ ...VPC, securityGroupIds: ',' }, 'securityGroupIds: expected at least one'],
    [{ compute: 'ec2', buildTimeoutMinutes: '3' }, 'buildTimeoutMinutes: expected a whole number from 5 to 2160'],
    [{ schedule: 'daily' }, 'schedule: expected an EventBridge schedule expression'],
    [{ notificationEmail: 'team' }, 'notificationEmail: expected an e-mail address'],
    [
      { registryCredentialsSecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:creds' },
      'registryCredentialsSecret: expected the complete secret ARN',
    ],
    [{ registryCredentialsKmsKey: KEY }, 'registryCredentialsKmsKey: only meaningful with registryCredentialsSecret'],
    [
      { registryCredentialsSecret: SECRET, registryCredentialsKmsKey: 'alias/aws/secretsmanager' },
      'registryCredentialsKmsKey: expected a KMS key ARN',
    ],
    [{ ecrSourceAccounts: '1234' }, 'ecrSourceAccounts: expected 12-digit account IDs'],
  ])('rejects %j', (values, message) => {
    const problems = problemsOf(values);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });
});

describe('targetRegistry: the plan target of an organization scan', () => {
  const ORG = { scanAccounts: '111122223333,333333333333', scanRegions: 'eu-west-1' };
  test.each([
    ['333333333333.dkr.ecr.eu-west-1.amazonaws.com', '333333333333.dkr.ecr.eu-west-1.amazonaws.com'],
    ['333333333333.DKR.ECR.eu-west-1.amazonaws.com', '333333333333.dkr.ecr.eu-west-1.amazonaws.com'],
    ['333333333333.dkr-ecr-fips.us-east-1.on.aws', '333333333333.dkr-ecr-fips.us-east-1.on.aws'],
    ['333333333333.dkr.ecr.cn-north-1.amazonaws.com.cn', '333333333333.dkr.ecr.cn-north-1.amazonaws.com.cn'],
  ])('%s is a host the scanner takes', (host, kept) => {
    expect(readConfig(ctx({ ...ORG, targetRegistry: host })).scanScope).toMatchObject({ targetRegistry: kept });
  });
  test('absent: the scanner decides (no key in the config)', () => {
    expect(readConfig(ctx(ORG)).scanScope).not.toHaveProperty('targetRegistry');
  });
  test.each([
    'public.ecr.aws',
    'registry.example.com',
    '3333.dkr.ecr.eu-west-1.amazonaws.com',
    '333333333333.dkr.ecr.eu-west-1.amazonaws.com.cn',
    '333333333333.dkr.ecr.eu-west-1.amazonaws.com/team',
  ])('refuses %s, as the scanner would', (host) => {
    expect(problemsOf({ ...ORG, targetRegistry: host })).toEqual([
      `targetRegistry: expected a private ECR registry host, <account>.dkr.ecr.<region>.amazonaws.com, got "${host}"`,
    ]);
  });
  test('only meaningful with scanAccounts or scanRegions', () => {
    expect(problemsOf({ targetRegistry: '333333333333.dkr.ecr.eu-west-1.amazonaws.com' })).toEqual([
      'targetRegistry: only meaningful with scanAccounts or scanRegions',
    ]);
    expect(
      readConfig(ctx({ scanRegions: 'eu-west-1', targetRegistry: '333333333333.dkr.ecr.eu-west-1.amazonaws.com' })).scanScope,
    ).toMatchObject({ accounts: [], targetRegistry: '333333333333.dkr.ecr.eu-west-1.amazonaws.com' });
  });
});

describe('unknown keys', () => {
  const all = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key], getAllContext: () => values });
  test('a key of ours that is not known stops the synth, naming it and the nearest known key', () => {
    let problems: readonly string[] = [];
    try {
      readConfig(all({ reportPrefx: 'x', colour: 'blue' }));
    } catch (err) {
      problems = (err as ConfigError).problems;
    }
    expect(problems).toEqual([
      'reportPrefx: not a setting of this app; did you mean reportPrefix?',
      expect.stringMatching(/^colour: not a setting of this app; the settings are stackName, source, /),
    ]);
  });
  test("CDK's own keys pass: feature flags, aws:cdk:*, look-up caches, acknowledged-issue-numbers", () => {
    expect(() =>
      readConfig(
        all({
          ...cdkJsonContext(),
          'aws:cdk:enable-path-metadata': true,
          'aws:cdk:version-reporting': false,
          'aws:cdk:bundling-stacks': ['**'],
          'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a'],
          'acknowledged-issue-numbers': [12345],
          'cdk-toolkit-qualifier': 'x',
          'assets-bucket': 'x',
        }),
      ),
    ).not.toThrow();
  });
  test('every key of ours is in the table of docs/context-keys.md', () => {
    const readme = readFileSync(join(REPO_ROOT, 'docs', 'context-keys.md'), 'utf8');
    // The first cell of a table row names one key or several (`vpcId`, `subnetIds`, ...).
    const firstCells = readme
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => l.split('|')[1]!);
    for (const key of CONTEXT_KEYS) expect([key, firstCells.some((c) => c.includes(`\`${key}\``))]).toEqual([key, true]);
  });
  test('a real `cdk synth` (the CLI injects its own keys) works, and a typo stops it', () => {
    const cdk = join(REPO_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');
    const out = mkdtempSync(join(tmpdir(), 'cdk-cli-'));
    // --no-validation: the template checks (CDK's own and cdk-nag) are nag.test.ts's, over every variant;
    // this is about the context the CLI hands the app, and the checks' start-up would double its time.
    const ok = spawnSync(process.execPath, [cdk, 'synth', '--quiet', '--no-validation', '--output', out], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
    });
    expect([ok.status, ok.stderr.slice(-2000)]).toEqual([0, expect.any(String)]);
    const bad = spawnSync(process.execPath, [cdk, 'synth', '--quiet', '--no-validation', '--output', out, '-c', 'scheduel=rate(1 day)'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('scheduel: not a setting of this app; did you mean schedule?');
  }, 180_000);
});

test('--insecure-registry and the insecureRegistries key accept and refuse the same hosts (one rule)', () => {
  const cliAccepts = (host: string): boolean => {
    try {
      parseCliArgs([`--insecure-registry=${host}`], {});
      return true;
    } catch (err) {
      expect((err as Error).message).toContain(`got "${host}"`);
      return false;
    }
  };
  const stackAccepts = (host: string): boolean => {
    try {
      readConfig(ctx({ insecureRegistries: host }));
      return true;
    } catch (err) {
      if (err instanceof ConfigError) return false;
      throw err;
    }
  };
  const accepted = ['registry.local', 'harbor.corp.example:8443', 'REG-1.example', '10.0.0.5:5000', '[fd00::1]:5000', 'localhost'];
  const refused = ['-bad', 'bad-', 'a..b', '.lead', 'trail.', 'a_b.example', 'host:port', 'host:', '[zz::1]', 'a/b', 'x y'];
  for (const host of accepted) expect([host, cliAccepts(host), stackAccepts(host)]).toEqual([host, true, true]);
  for (const host of refused) expect([host, cliAccepts(host), stackAccepts(host)]).toEqual([host, false, false]);
});
