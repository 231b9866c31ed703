/**
 * The app's settings, read from CDK context (cdk.json, then `-c key=value`),
 * checked all at once so that one synth names every bad value.
 */
import { isRegistryHost } from '../scanner/oci/reference';
import { normalizeTargetPrefix, TargetPrefixError } from '../scanner/plan/target-name';
import { unknownKeyProblems } from './context-keys';

/** Where input.txt comes from. */
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

/** Where the build runs. */
export type ComputeConfig =
  | { readonly kind: 'lambda' }
  | {
      readonly kind: 'ec2';
      /** CodeBuild's build timeout; Lambda compute has none to set (15 minutes). */
      readonly timeoutMinutes: number;
      /** Without it the build runs outside any VPC, as on Lambda compute. */
      readonly vpc?: VpcPlacement;
    };

export interface VpcPlacement {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
}

/** A Secrets Manager secret holding a Docker config.json for private source registries. */
export interface RegistryCredentialsConfig {
  /** The complete secret ARN (with the six random characters Secrets Manager appends). */
  readonly secretArn: string;
  /** The customer-managed KMS key that encrypts the secret; absent for the AWS-managed key. */
  readonly kmsKeyArn?: string;
}

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
  readonly compute: ComputeConfig;
  /** EventBridge schedule expression that re-runs the scan; none when absent. */
  readonly schedule?: string;
  /** Address subscribed to the run summaries; no topic when absent. */
  readonly notificationEmail?: string;
  readonly registryCredentials?: RegistryCredentialsConfig;
  /** Accounts whose ECR repositories are sources (pulled with GetAuthorizationToken); may be empty. */
  readonly ecrSourceAccounts: readonly string[];
  /** `host[:port]` of registries inside the network spoken to over plain HTTP (`--insecure-registry`); may be empty. */
  readonly insecureRegistries: readonly string[];
  /** Path in the input source of a PEM bundle of private CAs that registries' certificates chain to; none when absent. */
  readonly registryCaFile?: string;
  /** `--target-prefix` of the migration plan; none when absent. */
  readonly targetPrefix?: string;
}

/**
 * The defaults: the one place they are written (cdk.json repeats them so that they
 * are visible where they are changed; a test keeps the two equal). Constructs take
 * every value explicitly and scan.sh requires them, so none is repeated elsewhere.
 * `repositoryName` has no fixed default: see `defaultRepositoryName`.
 */
export const CONTEXT_DEFAULTS = {
  stackName: 'EcrDuplicateScanner',
  source: 'codecommit',
  branch: 'main',
  inputFile: 'input.txt',
  inputObjectKey: 'input.zip',
  reportPrefix: 'reports',
  reportRetentionDays: 365,
  outputBucketRemovalPolicy: 'retain',
  compute: 'lambda',
  buildTimeoutMinutes: 60,
} as const;

/** Keys with no default: absent means "not used" (or, for repositoryName, derived). */
export const OPTIONAL_CONTEXT_KEYS = [
  'repositoryName',
  'connectionArn',
  'repository',
  'scanConcurrency',
  'vpcId',
  'subnetIds',
  'securityGroupIds',
  'schedule',
  'notificationEmail',
  'registryCredentialsSecret',
  'registryCredentialsKmsKey',
  'ecrSourceAccounts',
  'insecureRegistries',
  'registryCaFile',
  'targetPrefix',
] as const;

/** Every context key this app reads; any other key without `:` or `@` stops the synth. */
export const CONTEXT_KEYS: readonly string[] = [...Object.keys(CONTEXT_DEFAULTS), ...OPTIONAL_CONTEXT_KEYS];

type ContextKey = keyof typeof CONTEXT_DEFAULTS | (typeof OPTIONAL_CONTEXT_KEYS)[number];

/**
 * The CodeCommit repository's name when none is given: the stack name in kebab
 * case plus `-input`, so two stacks in one account do not claim the same name.
 * The default stack keeps the name it always had: `ecr-duplicate-scanner-input`.
 */
export function defaultRepositoryName(stackName: string): string {
  const kebab = stackName
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .replace(/-+/g, '-');
  return `${kebab.slice(0, 100 - '-input'.length).replace(/-$/, '')}-input`;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid context (fix with -c key=value or in cdk.json):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** What a construct node offers; an App's `node` fits, and so does a plain map in tests. */
export interface ContextSource {
  tryGetContext(key: string): unknown;
  /** Every key set; when offered, keys that are not ours are refused. */
  getAllContext?(): Record<string, unknown>;
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
// CodeBuild's own bounds for an EC2 build's timeout.
const MIN_TIMEOUT_MINUTES = 5;
const MAX_TIMEOUT_MINUTES = 2160;
const VPC_ID = /^vpc-[0-9a-f]{8}([0-9a-f]{9})?$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8}([0-9a-f]{9})?$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8}([0-9a-f]{9})?$/;
const ACCOUNT_ID = /^\d{12}$/;
// The complete ARN: IAM matches a secret by it, suffix included.
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const KMS_KEY_ARN =
  /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
// No display name or comments; SNS takes the address as is.
const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

/** EventBridge's schedule syntax: `rate(1 day)`, `rate(5 minutes)` or a six-field `cron(...)`. */
export function isScheduleExpression(text: string): boolean {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(text);
  if (rate) {
    const n = Number(rate[1]);
    // EventBridge wants the singular unit for 1 and the plural otherwise.
    return n >= 1 && (n === 1) === !rate[2]!.endsWith('s');
  }
  const cron = /^cron\((.+)\)$/.exec(text);
  return cron !== null && cron[1]!.trim().split(/\s+/).length === 6 && /^[0-9A-Za-z*?,/#LW\s-]+$/.test(cron[1]!);
}

function isGitBranch(name: string): boolean {
  // The subset of git-check-ref-format that is also safe in an EventBridge pattern and a URL.
  return /^[A-Za-z0-9._/-]{1,200}$/.test(name) && !/^[-/.]|\/\/|\.\.|\/\.|[/.]$|\.lock$/.test(name);
}

export function readConfig(context: ContextSource): ScannerConfig {
  const problems: string[] = [];

  if (context.getAllContext) problems.push(...unknownKeyProblems(Object.keys(context.getAllContext()), CONTEXT_KEYS));

  const raw = (key: ContextKey): string | undefined => {
    const value = context.tryGetContext(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'object') {
      problems.push(`${key}: expected a single value, got ${JSON.stringify(value)}`);
      return undefined;
    }
    const text = String(value).trim();
    return text === '' ? undefined : text;
  };
  // A list from -c arrives as "a,b"; cdk.json may hold a JSON array.
  const list = (key: ContextKey): string[] | undefined => {
    const value = context.tryGetContext(key);
    if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter((v) => v !== '');
    const text = raw(key);
    return text === undefined
      ? undefined
      : text
          .split(',')
          .map((v) => v.trim())
          .filter((v) => v !== '');
  };
  const listOf = (key: ContextKey, pattern: { test(value: string): boolean }, expected: string): string[] | undefined => {
    const values = list(key);
    for (const v of values ?? []) check(key, v, pattern.test(v), `expected ${expected}`);
    if (values !== undefined && values.length === 0) problems.push(`${key}: expected at least one ${expected}`);
    return values;
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
      const name = raw('repositoryName') ?? defaultRepositoryName(stackName);
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

  const compute = readCompute();
  function readCompute(): ComputeConfig {
    const kind = text('compute').toLowerCase();
    const timeoutMinutes = integer('buildTimeoutMinutes', text('buildTimeoutMinutes'), MIN_TIMEOUT_MINUTES, MAX_TIMEOUT_MINUTES);
    const vpcId = raw('vpcId');
    if (vpcId !== undefined) check('vpcId', vpcId, VPC_ID.test(vpcId), 'expected a VPC ID, vpc-<hex>');
    const subnetIds = listOf('subnetIds', SUBNET_ID, 'subnet IDs, subnet-<hex>, separated by ","');
    const securityGroupIds = listOf('securityGroupIds', SECURITY_GROUP_ID, 'security group IDs, sg-<hex>, separated by ","');
    const given = { vpcId, subnetIds, securityGroupIds };
    const set = Object.entries(given)
      .filter(([, v]) => v !== undefined)
      .map(([k]) => k);
    if (kind === 'lambda') {
      if (set.length > 0) problems.push(`${set.join(', ')}: need compute=ec2 (CodeBuild's Lambda compute cannot run in a VPC)`);
      return { kind };
    }
    if (kind !== 'ec2') {
      problems.push(`compute: expected lambda or ec2, got "${kind}"`);
      return { kind: 'lambda' };
    }
    if (set.length > 0 && set.length < 3) {
      const missing = Object.keys(given).filter((k) => !set.includes(k));
      problems.push(
        `${missing.join(', ')}: required together with ${set.join(', ')} (a VPC build needs the VPC, its subnets and security groups)`,
      );
    }
    return {
      kind,
      timeoutMinutes,
      ...(vpcId && subnetIds && securityGroupIds ? { vpc: { vpcId, subnetIds, securityGroupIds } } : {}),
    };
  }

  const schedule = raw('schedule');
  if (schedule !== undefined) {
    check(
      'schedule',
      schedule,
      isScheduleExpression(schedule),
      'expected an EventBridge schedule expression: rate(1 day), rate(6 hours) or cron(0 6 * * ? *)',
    );
  }
  const notificationEmail = raw('notificationEmail');
  if (notificationEmail !== undefined)
    check('notificationEmail', notificationEmail, EMAIL.test(notificationEmail), 'expected an e-mail address');

  const secretArn = raw('registryCredentialsSecret');
  const kmsKeyArn = raw('registryCredentialsKmsKey');
  if (secretArn !== undefined) {
    check(
      'registryCredentialsSecret',
      secretArn,
      SECRET_ARN.test(secretArn),
      'expected the complete secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (aws secretsmanager describe-secret shows it)',
    );
  }
  if (kmsKeyArn !== undefined) {
    check(
      'registryCredentialsKmsKey',
      kmsKeyArn,
      KMS_KEY_ARN.test(kmsKeyArn),
      'expected a KMS key ARN, arn:aws:kms:<region>:<account>:key/<key id>',
    );
    if (secretArn === undefined) problems.push('registryCredentialsKmsKey: only meaningful with registryCredentialsSecret');
  }
  const ecrSourceAccounts = listOf('ecrSourceAccounts', ACCOUNT_ID, '12-digit account IDs separated by ","') ?? [];
  // The reference grammar's own rule for a registry host: what input.txt could name is what may be listed.
  const insecureRegistries = listOf('insecureRegistries', { test: isRegistryHost }, 'host[:port] names separated by ","') ?? [];
  const caText = raw('registryCaFile');
  const registryCaFile = caText === undefined ? undefined : keyPath('registryCaFile', caText, 'a relative path in the input source');
  const prefixText = raw('targetPrefix');
  let targetPrefix: string | undefined;
  if (prefixText !== undefined) {
    // The scanner's own rule for --target-prefix, so synth refuses exactly what a run would.
    try {
      targetPrefix = normalizeTargetPrefix(prefixText);
    } catch (err) {
      if (!(err instanceof TargetPrefixError)) throw err;
      problems.push(`targetPrefix: expected an ECR repository name prefix, got "${prefixText}"`);
    }
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
    compute,
    ...(schedule !== undefined ? { schedule } : {}),
    ...(notificationEmail !== undefined ? { notificationEmail } : {}),
    ...(secretArn !== undefined ? { registryCredentials: { secretArn, ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}) } } : {}),
    ecrSourceAccounts: [...new Set(ecrSourceAccounts)],
    insecureRegistries: [...new Set(insecureRegistries.map((h) => h.toLowerCase()))],
    ...(registryCaFile !== undefined ? { registryCaFile } : {}),
    ...(targetPrefix !== undefined ? { targetPrefix } : {}),
  };
}
