/**
 * The app's settings, read from CDK context (cdk.json, then `-c key=value`),
 * checked all at once so that one synth names every bad value.
 */

/** Where input.txt comes from. */
export type SourceKind = 'codecommit' | 's3' | 'connection';

export type InputSourceConfig =
  | { readonly kind: 'codecommit'; readonly repositoryName: string; readonly branch: string }
  | { readonly kind: 's3'; readonly objectKey: string }
  | {
      readonly kind: 'connection';
      readonly connectionArn: string;
      /** Everything before the last `/` of `repository` (a GitLab group path may hold several segments). */
      readonly owner: string;
      readonly repo: string;
      readonly branch: string;
    };

export interface ScannerConfig {
  /** CloudFormation stack name. */
  readonly stackName: string;
  readonly source: InputSourceConfig;
  /** Path of input.txt inside the source (repository or zip). */
  readonly inputFile: string;
  /** Key prefix of the reports in the output bucket, without leading or trailing `/`. */
  readonly reportPrefix: string;
  /** Days before reports (and their older versions and access logs) expire. */
  readonly reportRetentionDays: number;
  /** Whether the output bucket outlives the stack. */
  readonly outputBucketRemovalPolicy: 'retain' | 'destroy';
  /** --concurrency for the scanner; undefined leaves the scanner's default. */
  readonly scanConcurrency?: number;
}

/** The defaults, also written in cdk.json so that they are visible where they are changed. */
export const CONTEXT_DEFAULTS = {
  stackName: 'EcrDuplicateScanner',
  source: 'codecommit',
  repositoryName: 'ecr-duplicate-scanner-input',
  branch: 'main',
  inputFile: 'input.txt',
  inputObjectKey: 'input.zip',
  reportPrefix: 'reports',
  reportRetentionDays: 365,
  outputBucketRemovalPolicy: 'retain',
} as const;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid context (fix with -c key=value or in cdk.json):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** What a construct node offers; an App's `node` fits, and so does a plain map in tests. */
export interface ContextSource {
  tryGetContext(key: string): unknown;
}

// One path segment of an S3 key or repository path: no `*` or `?`, which would widen
// the IAM resources built from it, and nothing that needs URL or shell escaping.
const SEGMENT = '[A-Za-z0-9_][A-Za-z0-9._-]*';
const KEY_PATH = new RegExp(`^${SEGMENT}(/${SEGMENT})*$`);
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const CODECOMMIT_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
// Both service prefixes name the same connections; AWS renamed CodeStar Connections to CodeConnections.
const CONNECTION_ARN = /^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[A-Za-z0-9-]+$/;
const REPOSITORY_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;
const MAX_RETENTION_DAYS = 36500;
const MAX_CONCURRENCY = 256;

function isGitBranch(name: string): boolean {
  // The subset of git-check-ref-format that is also safe in an EventBridge pattern and a URL.
  return /^[A-Za-z0-9._/-]{1,200}$/.test(name) && !/^[-/.]|\/\/|\.\.|\/\.|[/.]$|\.lock$/.test(name);
}

export function readConfig(context: ContextSource): ScannerConfig {
  const problems: string[] = [];

  const raw = (key: keyof typeof CONTEXT_DEFAULTS | 'connectionArn' | 'repository' | 'scanConcurrency'): string | undefined => {
    const value = context.tryGetContext(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'object') {
      problems.push(`${key}: expected a single value, got ${JSON.stringify(value)}`);
      return undefined;
    }
    const text = String(value).trim();
    return text === '' ? undefined : text;
  };
  const text = (key: keyof typeof CONTEXT_DEFAULTS): string => raw(key) ?? String(CONTEXT_DEFAULTS[key]);
  const check = (key: string, value: string, ok: boolean, expected: string): string => {
    if (!ok) problems.push(`${key}: ${expected}, got "${value}"`);
    return value;
  };
  const integer = (key: string, value: string, min: number, max: number): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      problems.push(`${key}: expected a whole number from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
  const keyPath = (key: string, value: string, what: string): string =>
    check(key, value, KEY_PATH.test(value), `expected ${what} of segments [A-Za-z0-9._-] separated by "/" (no leading "/", "." or "..")`);

  const stackName = check(
    'stackName',
    text('stackName'),
    STACK_NAME.test(text('stackName')),
    'expected a CloudFormation stack name: a letter, then letters, digits or "-", at most 128',
  );
  const inputFile = keyPath('inputFile', text('inputFile'), 'a relative path');
  const reportPrefix = keyPath('reportPrefix', text('reportPrefix').replace(/^\/+|\/+$/g, ''), 'a key prefix');
  const reportRetentionDays = integer('reportRetentionDays', text('reportRetentionDays'), 1, MAX_RETENTION_DAYS);

  const removal = text('outputBucketRemovalPolicy').toLowerCase();
  check('outputBucketRemovalPolicy', removal, removal === 'retain' || removal === 'destroy', 'expected retain or destroy');

  const concurrencyText = raw('scanConcurrency');
  const scanConcurrency = concurrencyText === undefined ? undefined : integer('scanConcurrency', concurrencyText, 1, MAX_CONCURRENCY);

  const kind = text('source').toLowerCase();
  let source: InputSourceConfig | undefined;
  const branch = (): string => {
    const b = text('branch');
    return check('branch', b, isGitBranch(b), 'expected a git branch name');
  };
  switch (kind) {
    case 'codecommit': {
      const name = text('repositoryName');
      check(
        'repositoryName',
        name,
        CODECOMMIT_NAME.test(name) && !name.endsWith('.git'),
        'expected a CodeCommit repository name: 1-100 of [A-Za-z0-9._-], not ending in .git',
      );
      source = { kind, repositoryName: name, branch: branch() };
      break;
    }
    case 's3': {
      const objectKey = keyPath('inputObjectKey', text('inputObjectKey'), 'an S3 key');
      // CodeBuild unzips its input artifacts; a bare input.txt would fail the build before the scan.
      check(
        'inputObjectKey',
        objectKey,
        objectKey.endsWith('.zip'),
        'expected a key ending in .zip (CodePipeline hands the object to CodeBuild, which unzips it)',
      );
      source = { kind, objectKey };
      break;
    }
    case 'connection': {
      const arn = raw('connectionArn');
      const repository = raw('repository');
      if (arn === undefined)
        problems.push('connectionArn: required with source=connection (the ARN of an existing, AVAILABLE CodeConnections connection)');
      else check('connectionArn', arn, CONNECTION_ARN.test(arn), 'expected arn:aws:codeconnections:<region>:<account>:connection/<id>');
      if (repository === undefined) problems.push('repository: required with source=connection, as owner/repo');
      else check('repository', repository, REPOSITORY_PATH.test(repository), 'expected owner/repo');
      const cut = (repository ?? '').lastIndexOf('/');
      source = {
        kind,
        connectionArn: arn ?? '',
        owner: repository?.slice(0, cut) ?? '',
        repo: repository?.slice(cut + 1) ?? '',
        branch: branch(),
      };
      break;
    }
    default:
      problems.push(`source: expected codecommit, s3 or connection, got "${kind}"`);
  }

  if (problems.length > 0 || source === undefined) throw new ConfigError(problems);
  return {
    stackName,
    source,
    inputFile,
    reportPrefix,
    reportRetentionDays,
    outputBucketRemovalPolicy: removal as 'retain' | 'destroy',
    ...(scanConcurrency !== undefined ? { scanConcurrency } : {}),
  };
}
