/** Context values: defaults, parsing of -c strings, and one clear message per bad value. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CONTEXT_DEFAULTS, ConfigError, readConfig } from '../../lib/config';
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

test('connection: owner and repo from repository', () => {
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
    owner: 'org',
    repo: 'repo',
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
