/**
 * The app's settings, read from CDK context (cdk.json, then `-c key=value`),
 * checked all at once so that one synth names every bad value.
 */
import { isRegionName, parseEcrHost } from '../scanner/oci/ecr-host';
import { isRegistryHost } from '../scanner/oci/reference';
import { normalizeTargetPrefix, TargetPrefixError } from '../scanner/plan/target-name';
import { unknownKeyProblems } from './context-keys';
import { MAX_PIPELINE_NAME } from './scan-pipeline';
import {
  MAX_BUILD_TIMEOUT_MINUTES,
  MAX_VPC_SECURITY_GROUPS,
  MAX_VPC_SUBNETS,
  MIN_BUILD_TIMEOUT_MINUTES,
  VpcPlacement,
} from './scan-project';
import { normalizeReportPrefix } from './scan-settings';
import { MAX_ROLE_NAME, buildRoleName, isBuildRoleName, isRoleName } from './role-name';

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

export type { VpcPlacement } from './scan-project';

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
  /** Registries of other accounts and regions; absent: this account's registry in the stack's region. */
  readonly organization?: OrganizationConfig;
  /** The member read role's StackSet, for the management account's stack; absent: no such stack. */
  readonly memberRoleStackSet?: MemberRoleStackSetConfig;
}

/** Which registries one scan reads (issue 17's `--region`, `--account`, `--organization`, `--role-name`). */
export interface OrganizationConfig {
  /** `organization`: every account of organizations:ListAccounts; else these IDs (may be empty: this account). */
  readonly accounts: 'organization' | readonly string[];
  /** Regions to inventory; empty: the stack's region. */
  readonly regions: readonly string[];
  /** The read role assumed in every other account. */
  readonly memberRoleName: string;
  /** `--target-registry`, a private ECR host; absent: the scanner's default (this account in the first region). */
  readonly targetRegistry?: string;
}

/** The StackSets that put the member read role, and its pull-time update exclusions, into every account of some organizational units. */
export interface MemberRoleStackSetConfig {
  /** OU IDs (`ou-…`) or the root (`r-…`) the StackSets deploy to, new accounts included. */
  readonly organizationalUnits: readonly string[];
  /** The scanner's build role (the scanner stack's BuildRoleArn output): the only principal the role trusts. */
  readonly scannerBuildRoleArn: string;
  readonly memberRoleName: string;
  /** `scanRegions`: where the role is a pull-time update exclusion; empty: the stack's region. */
  readonly regions: readonly string[];
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
  memberRoleName: 'ecr-duplicate-scanner-read',
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
  'scanAccounts',
  'scanRegions',
  'targetRegistry',
  'memberOrganizationalUnits',
  'scannerBuildRoleArn',
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
  /** `heading`: what the problems are about and where they are fixed. */
  constructor(
    readonly problems: readonly string[],
    heading = 'invalid context (fix with -c key=value or in cdk.json)',
  ) {
    super(`${heading}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
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
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;
// The stack name is also the pipeline's name, the shorter limit of the two (CloudFormation's is 128).
const MAX_STACK_NAME = MAX_PIPELINE_NAME;
const CODECOMMIT_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
// Both service prefixes name the same connections; AWS renamed CodeStar Connections to CodeConnections.
const CONNECTION_ARN = /^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[A-Za-z0-9-]+$/;
const REPOSITORY_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;
/** Bounds of reportRetentionDays and scanConcurrency, which the stack holds its props to as well. */
export const MAX_REPORT_RETENTION_DAYS = 36500;
export const MAX_SCAN_CONCURRENCY = 256;
// S3 keys are at most 1,024 bytes; a run folder adds a timestamp, a run id (36) and a file name under the prefix.
const MAX_S3_KEY = 1024;
const MAX_REPORT_PREFIX = 900;
// The longest address SNS (and RFC 5321) accepts.
const MAX_EMAIL = 254;
const ORGANIZATIONAL_UNIT = /^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]+$/;
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

/**
 * Reads one context source and collects every problem, so that one synth names
 * every bad value. The readers below each take the keys of one topic.
 */
class ContextReader {
  readonly problems: string[] = [];
  constructor(private readonly context: ContextSource) {}

  raw(key: ContextKey): string | undefined {
    const value = this.context.tryGetContext(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'object') {
      this.problems.push(`${key}: expected a single value, got ${JSON.stringify(value)}`);
      return undefined;
    }
    const text = String(value).trim();
    return text === '' ? undefined : text;
  }

  /** A list: from -c it arrives as "a,b"; cdk.json may hold a JSON array. */
  list(key: ContextKey): string[] | undefined {
    const value = this.context.tryGetContext(key);
    if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter((v) => v !== '');
    const text = this.raw(key);
    return text
      ?.split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
  }

  listOf(key: ContextKey, pattern: { test(value: string): boolean }, expected: string): string[] | undefined {
    const values = this.list(key);
    for (const v of values ?? []) this.check(key, v, pattern.test(v), `expected ${expected}`);
    if (values !== undefined && values.length === 0) this.problems.push(`${key}: expected at least one ${expected}`);
    return values;
  }

  text(key: keyof typeof CONTEXT_DEFAULTS): string {
    return this.raw(key) ?? String(CONTEXT_DEFAULTS[key]);
  }

  check(key: string, value: string, ok: boolean, expected: string): string {
    if (!ok) this.problems.push(`${key}: ${expected}, got "${value}"`);
    return value;
  }

  /** A length limit, named with the key and the limit; the value itself is not repeated (it may be long). */
  maxLength(key: string, value: string, max: number, why: string): string {
    if (value.length > max) this.problems.push(`${key}: at most ${max} characters (${why}), got ${value.length}`);
    return value;
  }

  integer(key: string, value: string, min: number, max: number): number {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      this.problems.push(`${key}: expected a whole number from ${min} to ${max}, got "${value}"`);
    return n;
  }

  keyPath(key: string, value: string, what: string): string {
    this.maxLength(key, value, MAX_S3_KEY, 'an S3 key');
    return this.check(
      key,
      value,
      KEY_PATH.test(value),
      `expected ${what} of segments [A-Za-z0-9._-] separated by "/" (no leading "/", "." or "..")`,
    );
  }
}

export function readConfig(context: ContextSource): ScannerConfig {
  const r = new ContextReader(context);
  if (context.getAllContext) r.problems.push(...unknownKeyProblems(Object.keys(context.getAllContext()), CONTEXT_KEYS));

  const stackName = readStackName(r);
  const inputFile = r.keyPath('inputFile', r.text('inputFile'), 'a relative path');
  const reportPrefix = r.keyPath('reportPrefix', normalizeReportPrefix(r.text('reportPrefix')), 'a key prefix');
  r.maxLength('reportPrefix', reportPrefix, MAX_REPORT_PREFIX, 'the run folders and file names under it must stay within an S3 key');
  const reportRetentionDays = r.integer('reportRetentionDays', r.text('reportRetentionDays'), 1, MAX_REPORT_RETENTION_DAYS);
  const removal = r.text('outputBucketRemovalPolicy').toLowerCase();
  r.check('outputBucketRemovalPolicy', removal, removal === 'retain' || removal === 'destroy', 'expected retain or destroy');
  const concurrencyText = r.raw('scanConcurrency');
  const scanConcurrency =
    concurrencyText === undefined ? undefined : r.integer('scanConcurrency', concurrencyText, 1, MAX_SCAN_CONCURRENCY);
  const source = readSource(r, stackName);
  const compute = readCompute(r);
  const schedule = readSchedule(r);
  const notificationEmail = readEmail(r);
  const registryCredentials = readRegistryCredentials(r);
  const ecrSourceAccounts = r.listOf('ecrSourceAccounts', ACCOUNT_ID, '12-digit account IDs separated by ","') ?? [];
  const network = readNetworkRegistries(r);
  const targetPrefix = readTargetPrefix(r);
  const organization = readOrganization(r);
  const memberRoleStackSet = readMemberRoleStackSet(r, stackName, organization?.regions ?? []);

  if (r.problems.length > 0 || source === undefined) throw new ConfigError(r.problems);
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
    ...(registryCredentials ? { registryCredentials } : {}),
    ecrSourceAccounts: [...new Set(ecrSourceAccounts)],
    ...network,
    ...(targetPrefix !== undefined ? { targetPrefix } : {}),
    ...(organization ? { organization } : {}),
    ...(memberRoleStackSet ? { memberRoleStackSet } : {}),
  };
}

function readStackName(r: ContextReader): string {
  const name = r.text('stackName');
  r.check('stackName', name, STACK_NAME.test(name), 'expected a CloudFormation stack name: a letter, then letters, digits or "-"');
  return r.maxLength('stackName', name, MAX_STACK_NAME, "it is also the pipeline's name, which CodePipeline limits");
}

function readBranch(r: ContextReader): string {
  const b = r.text('branch');
  return r.check('branch', b, isGitBranch(b), 'expected a git branch name');
}

function readSource(r: ContextReader, stackName: string): InputSourceConfig | undefined {
  const kind = r.text('source').toLowerCase();
  switch (kind) {
    case 'codecommit': {
      const name = r.raw('repositoryName') ?? defaultRepositoryName(stackName);
      r.check(
        'repositoryName',
        name,
        CODECOMMIT_NAME.test(name) && !name.endsWith('.git'),
        'expected a CodeCommit repository name: 1-100 of [A-Za-z0-9._-], not ending in .git',
      );
      return { kind, repositoryName: name, branch: readBranch(r) };
    }
    case 's3': {
      const objectKey = r.keyPath('inputObjectKey', r.text('inputObjectKey'), 'an S3 key');
      // CodeBuild unzips its input artifacts; a bare input.txt would fail the build before the scan.
      r.check(
        'inputObjectKey',
        objectKey,
        objectKey.endsWith('.zip'),
        'expected a key ending in .zip (CodePipeline hands the object to CodeBuild, which unzips it)',
      );
      return { kind, objectKey };
    }
    case 'connection': {
      const arn = r.raw('connectionArn');
      const repository = r.raw('repository');
      if (arn === undefined)
        r.problems.push('connectionArn: required with source=connection (the ARN of an existing, AVAILABLE CodeConnections connection)');
      else r.check('connectionArn', arn, CONNECTION_ARN.test(arn), 'expected arn:aws:codeconnections:<region>:<account>:connection/<id>');
      if (repository === undefined) r.problems.push('repository: required with source=connection, as owner/repo');
      else r.check('repository', repository, REPOSITORY_PATH.test(repository), 'expected owner/repo');
      const cut = (repository ?? '').lastIndexOf('/');
      return {
        kind,
        connectionArn: arn ?? '',
        owner: repository?.slice(0, cut) ?? '',
        repo: repository?.slice(cut + 1) ?? '',
        branch: readBranch(r),
      };
    }
    default:
      r.problems.push(`source: expected codecommit, s3 or connection, got "${kind}"`);
      return undefined;
  }
}

function readCompute(r: ContextReader): ComputeConfig {
  const kind = r.text('compute').toLowerCase();
  const timeoutMinutes = r.integer(
    'buildTimeoutMinutes',
    r.text('buildTimeoutMinutes'),
    MIN_BUILD_TIMEOUT_MINUTES,
    MAX_BUILD_TIMEOUT_MINUTES,
  );
  const vpcId = r.raw('vpcId');
  if (vpcId !== undefined) r.check('vpcId', vpcId, VPC_ID.test(vpcId), 'expected a VPC ID, vpc-<hex>');
  const subnetIds = distinctList(
    r,
    'subnetIds',
    r.listOf('subnetIds', SUBNET_ID, 'subnet IDs, subnet-<hex>, separated by ","'),
    MAX_VPC_SUBNETS,
  );
  const securityGroupIds = distinctList(
    r,
    'securityGroupIds',
    r.listOf('securityGroupIds', SECURITY_GROUP_ID, 'security group IDs, sg-<hex>, separated by ","'),
    MAX_VPC_SECURITY_GROUPS,
  );
  const given = { vpcId, subnetIds, securityGroupIds };
  const set = Object.entries(given)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k);
  if (kind === 'lambda') {
    if (set.length > 0) r.problems.push(`${set.join(', ')}: need compute=ec2 (CodeBuild's Lambda compute cannot run in a VPC)`);
    return { kind };
  }
  if (kind !== 'ec2') {
    r.problems.push(`compute: expected lambda or ec2, got "${kind}"`);
    return { kind: 'lambda' };
  }
  if (set.length > 0 && set.length < 3) {
    const missing = Object.keys(given).filter((k) => !set.includes(k));
    r.problems.push(
      `${missing.join(', ')}: required together with ${set.join(', ')} (a VPC build needs the VPC, its subnets and security groups)`,
    );
  }
  return {
    kind,
    timeoutMinutes,
    ...(vpcId && subnetIds && securityGroupIds ? { vpc: { vpcId, subnetIds, securityGroupIds } } : {}),
  };
}

/** CodeBuild's count limits on a VpcConfig list, and no ID twice. */
function distinctList(r: ContextReader, key: string, values: string[] | undefined, max: number): string[] | undefined {
  if (values === undefined) return undefined;
  const twice = values.filter((v, i) => values.indexOf(v) !== i);
  if (twice.length > 0) r.problems.push(`${key}: ${[...new Set(twice)].join(', ')} listed more than once`);
  if (values.length > max) r.problems.push(`${key}: CodeBuild takes at most ${max}, got ${values.length}`);
  return values;
}

function readSchedule(r: ContextReader): string | undefined {
  const schedule = r.raw('schedule');
  if (schedule !== undefined) {
    r.check(
      'schedule',
      schedule,
      isScheduleExpression(schedule),
      'expected an EventBridge schedule expression: rate(1 day), rate(6 hours) or cron(0 6 * * ? *)',
    );
  }
  return schedule;
}

function readEmail(r: ContextReader): string | undefined {
  const email = r.raw('notificationEmail');
  if (email === undefined) return undefined;
  r.maxLength('notificationEmail', email, MAX_EMAIL, 'the longest address SNS accepts');
  return r.check('notificationEmail', email, EMAIL.test(email), 'expected an e-mail address');
}

function readRegistryCredentials(r: ContextReader): RegistryCredentialsConfig | undefined {
  const secretArn = r.raw('registryCredentialsSecret');
  const kmsKeyArn = r.raw('registryCredentialsKmsKey');
  if (secretArn !== undefined) {
    r.check(
      'registryCredentialsSecret',
      secretArn,
      SECRET_ARN.test(secretArn),
      'expected the complete secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (aws secretsmanager describe-secret shows it)',
    );
  }
  if (kmsKeyArn !== undefined) {
    r.check(
      'registryCredentialsKmsKey',
      kmsKeyArn,
      KMS_KEY_ARN.test(kmsKeyArn),
      'expected a KMS key ARN, arn:aws:kms:<region>:<account>:key/<key id>',
    );
    if (secretArn === undefined) r.problems.push('registryCredentialsKmsKey: only meaningful with registryCredentialsSecret');
    // Secrets Manager decrypts with a key in the secret's own region.
    else if (SECRET_ARN.test(secretArn) && KMS_KEY_ARN.test(kmsKeyArn) && secretArn.split(':')[3] !== kmsKeyArn.split(':')[3])
      r.problems.push(`registryCredentialsKmsKey: must be in the secret's region (${secretArn.split(':')[3]}), got "${kmsKeyArn}"`);
  }
  if (secretArn === undefined) return undefined;
  return { secretArn, ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}) };
}

function readNetworkRegistries(r: ContextReader): Pick<ScannerConfig, 'insecureRegistries' | 'registryCaFile'> {
  // The reference grammar's own rule for a registry host: what input.txt could name is what may be listed.
  const insecure = r.listOf('insecureRegistries', { test: isRegistryHost }, 'host[:port] names separated by ","') ?? [];
  const caText = r.raw('registryCaFile');
  const registryCaFile = caText === undefined ? undefined : r.keyPath('registryCaFile', caText, 'a relative path in the input source');
  return {
    insecureRegistries: [...new Set(insecure.map((h) => h.toLowerCase()))],
    ...(registryCaFile !== undefined ? { registryCaFile } : {}),
  };
}

function readTargetPrefix(r: ContextReader): string | undefined {
  const prefixText = r.raw('targetPrefix');
  if (prefixText === undefined) return undefined;
  // The scanner's own rule for --target-prefix, so synth refuses exactly what a run would.
  try {
    return normalizeTargetPrefix(prefixText);
  } catch (err) {
    if (!(err instanceof TargetPrefixError)) throw err;
    r.problems.push(`targetPrefix: expected an ECR repository name prefix, got "${prefixText}"`);
    return undefined;
  }
}

function readMemberRoleName(r: ContextReader): string {
  const name = r.text('memberRoleName');
  r.check('memberRoleName', name, isRoleName(name), 'expected an IAM role name of [A-Za-z0-9+=,.@_-]');
  return r.maxLength('memberRoleName', name, MAX_ROLE_NAME, "IAM's limit on a role name");
}

/** `--target-registry`: a private ECR registry host, by the scanner's own grammar (scanner/oci/ecr-host.ts). */
function readTargetRegistry(r: ContextReader): string | undefined {
  const host = r.raw('targetRegistry')?.toLowerCase();
  if (host === undefined) return undefined;
  return r.check(
    'targetRegistry',
    host,
    parseEcrHost(host) !== undefined,
    'expected a private ECR registry host, <account>.dkr.ecr.<region>.amazonaws.com',
  );
}

function readOrganization(r: ContextReader): OrganizationConfig | undefined {
  const accountsList = r.list('scanAccounts');
  const regions = r.listOf('scanRegions', { test: isRegionName }, 'region names separated by ","');
  const targetRegistry = readTargetRegistry(r);
  if (accountsList === undefined && regions === undefined) {
    if (targetRegistry !== undefined) r.problems.push('targetRegistry: only meaningful with scanAccounts or scanRegions');
    return undefined;
  }
  let accounts: OrganizationConfig['accounts'] = [];
  if (accountsList !== undefined) {
    if (accountsList.length === 1 && accountsList[0] === 'organization') accounts = 'organization';
    else {
      for (const a of accountsList)
        r.check('scanAccounts', a, ACCOUNT_ID.test(a), 'expected organization or 12-digit account IDs separated by ","');
      if (accountsList.length === 0) r.problems.push('scanAccounts: expected organization or at least one account ID');
      accounts = [...new Set(accountsList)];
    }
  }
  return {
    accounts,
    regions: [...new Set(regions ?? [])],
    memberRoleName: readMemberRoleName(r),
    ...(targetRegistry !== undefined ? { targetRegistry } : {}),
  };
}

/**
 * The member roles trust the ARN exactly, and a wrong one fails only later, in every
 * member account. The app gives the build role its name (`buildRoleName`: the stack name
 * and the scanner stack's region), so any other name is refused here, naming the ARN
 * expected. The account cannot be checked: the scanner's is not known in the management
 * account's synth.
 */
function buildRoleArnProblem(r: ContextReader, stackName: string, roleArn: string, regions: readonly string[]): void {
  const [, partition, , , account] = roleArn.split(':');
  const roleName = roleArn.slice(roleArn.indexOf(':role/') + ':role/'.length);
  if (isBuildRoleName(stackName, roleName)) return;
  const region = regions[0] ?? 'us-east-1';
  r.problems.push(
    `scannerBuildRoleArn: expected the build role of the scanner stack ${stackName} (its BuildRoleArn output), ` +
      `arn:${partition}:iam::${account}:role/${buildRoleName(stackName, region)} if that stack is in ${region} ` +
      `(the app names the role <stackName>-ScanBuild-<the scanner stack's region>; give the same stackName here), got "${roleArn}"`,
  );
}

/** `regions`: scanRegions as readOrganization read them (checked there, duplicates dropped). */
function readMemberRoleStackSet(r: ContextReader, stackName: string, regions: readonly string[]): MemberRoleStackSetConfig | undefined {
  const units = r.listOf(
    'memberOrganizationalUnits',
    ORGANIZATIONAL_UNIT,
    'organizational unit IDs (ou-…) or the root ID (r-…) separated by ","',
  );
  const roleArn = r.raw('scannerBuildRoleArn');
  if (units === undefined) {
    if (roleArn !== undefined) r.problems.push('scannerBuildRoleArn: only meaningful with memberOrganizationalUnits');
    return undefined;
  }
  if (roleArn === undefined) {
    r.problems.push(
      "scannerBuildRoleArn: required with memberOrganizationalUnits: the scanner stack's BuildRoleArn output (deploy the scanner stack first)",
    );
    return undefined;
  }
  r.check('scannerBuildRoleArn', roleArn, ROLE_ARN.test(roleArn), 'expected an IAM role ARN, arn:aws:iam::<account>:role/<name>');
  if (ROLE_ARN.test(roleArn)) buildRoleArnProblem(r, stackName, roleArn, regions);
  return { organizationalUnits: [...new Set(units)], scannerBuildRoleArn: roleArn, memberRoleName: readMemberRoleName(r), regions };
}

/**
 * The scanner stack's region and the scanRegions beside it. The stack is
 * environment-agnostic, so its region is the deploying CLI's; without scanRegions it does
 * not matter. With them it must be known: only then can the app tell the other regions
 * (each gets a PullTimeExclusionStack) from the stack's own (which the stack covers itself;
 * a second exclusion of the same role there would fail, and its removal would take the
 * stack's away).
 */
export function scanRegionsBeside(
  config: ScannerConfig,
  region: string | undefined,
): { readonly home?: string; readonly others: readonly string[] } {
  const regions = config.organization?.regions ?? [];
  if (regions.length === 0) return { others: [] };
  const home = deployRegion(
    region,
    "scanRegions needs the region the scanner stack is deployed to, to tell the other regions (each gets a stack that registers the build role as a pull-time update exclusion there) from the stack's own",
  );
  return { home, others: regions.filter((r) => r !== home) };
}

/**
 * The region the build role's fixed name is made for (`buildRoleName`), or undefined when
 * the role keeps the name CloudFormation generates. Named when something outside the
 * scanner stack must name it before it exists or without a reference: the exclusion
 * stacks of the other scanRegions, and the member read roles of other accounts, whose
 * trust names its ARN (scannerBuildRoleArn, checked against this name at synth, so that
 * the member stacks may even be deployed first).
 */
export function buildRoleRegion(config: ScannerConfig, region: string | undefined): string | undefined {
  const { home, others } = scanRegionsBeside(config, region);
  if (others.length > 0) return home;
  const accounts = config.organization?.accounts ?? [];
  if (accounts !== 'organization' && accounts.length === 0) return undefined;
  return (
    home ??
    deployRegion(
      region,
      "scanAccounts needs the region the scanner stack is deployed to: the build role, which the member accounts' read roles trust by its ARN, is named after it",
    )
  );
}

/** The CLI's deploy region (CDK_DEFAULT_REGION), required; `heading` says what needs it. */
function deployRegion(region: string | undefined, heading: string): string {
  if (region === undefined || region === '')
    throw new ConfigError(
      [
        "CDK_DEFAULT_REGION is not set: run the app through the CDK CLI (npx cdk …), which sets it to the region it deploys to (AWS_REGION, else the profile's region, else us-east-1)",
      ],
      heading,
    );
  if (!isRegionName(region))
    throw new ConfigError([`CDK_DEFAULT_REGION: expected a region name such as eu-west-1, got "${region}"`], heading);
  return region;
}
