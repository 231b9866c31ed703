/**
 * The app's settings, read from CDK context by the key table (lib/settings/keys.ts: each
 * key's type, default and rule) and checked all at once, so that one synth names every bad
 * value. The readers below each take the keys of one topic and check how keys relate.
 */
import { normalizeTargetPrefix } from '../scanner/plan/target-name';
import { buildRoleName, isBuildRoleName } from './role-name';
import { ConfigError, ContextReader, ContextSource } from './settings/context-reader';
import { listProblems, textProblems } from './settings/key-checks';
import { CONTEXT_KEY_TABLE } from './settings/keys';
import { arnRegion, isKmsKeyArn, isSecretArn, parseRoleArn } from './settings/value-rules';
import type { VpcPlacement } from './scan-project';

export { ConfigError } from './settings/context-reader';
export { CONTEXT_DEFAULTS, CONTEXT_KEYS } from './settings/keys';
export { isScheduleExpression } from './settings/value-rules';

/** Where input.txt comes from. */
export type InputSourceConfig =
  | { readonly kind: 'codecommit'; readonly repositoryName: string; readonly branch: string }
  | { readonly kind: 's3'; readonly objectKey: string }
  | {
      readonly kind: 'connection';
      readonly connectionArn: string;
      /** `owner/repo`, checked; the stack parses it (parseRepositoryPath). */
      readonly repository: string;
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
  readonly scanScope?: ScanScopeConfig;
  /** The member read role's StackSet, for the management account's stack; absent: no such stack. */
  readonly memberRoleStackSet?: MemberRoleStackSetConfig;
}

/** Which registries one scan reads (the scanner's `--region`, `--account`, `--organization`, `--role-name`). */
export interface ScanScopeConfig {
  /** `organization`: every account of organizations:ListAccounts; else these IDs (may be empty: this account). */
  readonly accounts: 'organization' | readonly string[];
  /** Regions to inventory; empty: the stack's region. */
  readonly regions: readonly string[];
  /** The read role assumed in every other account. */
  readonly memberRoleName: string;
  /** `--target-registry`, a private ECR host; absent: the scanner's default (this account in the first region). */
  readonly targetRegistry?: string;
}

/**
 * Whether a scan reads registries of other accounts: `organization`, or at least one account
 * ID. Absent or empty: this account only.
 */
export function scansOtherAccounts(accounts: ScanScopeConfig['accounts'] | undefined): boolean {
  return accounts === 'organization' || (accounts !== undefined && accounts.length > 0);
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

export function readConfig(context: ContextSource): ScannerConfig {
  const r = new ContextReader(context);
  const stackName = r.text('stackName');
  const inputFile = r.text('inputFile');
  const reportPrefix = r.text('reportPrefix');
  const reportRetentionDays = r.integer('reportRetentionDays');
  const removal = r.choice('outputBucketRemovalPolicy');
  const scanConcurrency = r.integer('scanConcurrency');
  const source = readSource(r, stackName);
  const compute = readCompute(r);
  const schedule = r.text('schedule');
  const notificationEmail = r.text('notificationEmail');
  const registryCredentials = readRegistryCredentials(r);
  const ecrSourceAccounts = r.list('ecrSourceAccounts') ?? [];
  const network = readNetworkRegistries(r);
  const targetPrefix = readTargetPrefix(r);
  const scanScope = readScanScope(r);
  const memberRoleStackSet = readMemberRoleStackSet(r, stackName, scanScope);

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
    ...(scanScope ? { scanScope } : {}),
    ...(memberRoleStackSet ? { memberRoleStackSet } : {}),
  };
}

function readSource(r: ContextReader, stackName: string): InputSourceConfig | undefined {
  const kind = r.choice('source');
  switch (kind) {
    case 'codecommit':
      return { kind, repositoryName: r.text('repositoryName') ?? defaultRepositoryName(stackName), branch: r.text('branch') };
    case 's3':
      return { kind, objectKey: r.text('inputObjectKey') };
    case 'connection': {
      const connectionArn = r.text('connectionArn');
      const repository = r.text('repository');
      if (connectionArn === undefined)
        r.problems.push('connectionArn: required with source=connection (the ARN of an existing, AVAILABLE CodeConnections connection)');
      if (repository === undefined) r.problems.push('repository: required with source=connection, as owner/repo');
      return { kind, connectionArn: connectionArn ?? '', repository: repository ?? '', branch: r.text('branch') };
    }
    default:
      // The enum check has named the value.
      return undefined;
  }
}

function readCompute(r: ContextReader): ComputeConfig {
  const kind = r.choice('compute');
  const timeoutMinutes = r.integer('buildTimeoutMinutes');
  const given = { vpcId: r.text('vpcId'), subnetIds: r.list('subnetIds'), securityGroupIds: r.list('securityGroupIds') };
  const set = Object.entries(given)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k);
  if (kind === 'lambda') {
    if (set.length > 0) r.problems.push(`${set.join(', ')}: need compute=ec2 (CodeBuild's Lambda compute cannot run in a VPC)`);
    return { kind };
  }
  if (kind !== 'ec2') return { kind: 'lambda' };
  if (set.length > 0 && set.length < 3) {
    const missing = Object.keys(given).filter((k) => !set.includes(k));
    r.problems.push(
      `${missing.join(', ')}: required together with ${set.join(', ')} (a VPC build needs the VPC, its subnets and security groups)`,
    );
  }
  const { vpcId, subnetIds, securityGroupIds } = given;
  return { kind, timeoutMinutes, ...(vpcId && subnetIds && securityGroupIds ? { vpc: { vpcId, subnetIds, securityGroupIds } } : {}) };
}

function readRegistryCredentials(r: ContextReader): RegistryCredentialsConfig | undefined {
  const secretArn = r.text('registryCredentialsSecret');
  const kmsKeyArn = r.text('registryCredentialsKmsKey');
  if (kmsKeyArn !== undefined) {
    if (secretArn === undefined) r.problems.push('registryCredentialsKmsKey: only meaningful with registryCredentialsSecret');
    // Secrets Manager decrypts with a key in the secret's own region.
    else if (isSecretArn(secretArn) && isKmsKeyArn(kmsKeyArn) && arnRegion(secretArn) !== arnRegion(kmsKeyArn))
      r.problems.push(`registryCredentialsKmsKey: must be in the secret's region (${arnRegion(secretArn)}), got "${kmsKeyArn}"`);
  }
  if (secretArn === undefined) return undefined;
  return { secretArn, ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}) };
}

function readNetworkRegistries(r: ContextReader): Pick<ScannerConfig, 'insecureRegistries' | 'registryCaFile'> {
  const insecure = r.list('insecureRegistries') ?? [];
  const registryCaFile = r.text('registryCaFile');
  return {
    insecureRegistries: [...new Set(insecure.map((h) => h.toLowerCase()))],
    ...(registryCaFile !== undefined ? { registryCaFile } : {}),
  };
}

function readTargetPrefix(r: ContextReader): string | undefined {
  const before = r.problems.length;
  const prefix = r.text('targetPrefix');
  // The rule has checked it with the scanner's own normalization, which gives the value the plan uses.
  return prefix === undefined || r.problems.length > before ? undefined : normalizeTargetPrefix(prefix);
}

function readScanScope(r: ContextReader): ScanScopeConfig | undefined {
  const accountsList = r.rawList('scanAccounts');
  const regions = r.list('scanRegions');
  const targetRegistry = r.text('targetRegistry');
  if (accountsList === undefined && regions === undefined) {
    if (targetRegistry !== undefined) r.problems.push('targetRegistry: only meaningful with scanAccounts or scanRegions');
    return undefined;
  }
  let accounts: ScanScopeConfig['accounts'] = [];
  if (accountsList !== undefined) {
    if (accountsList.length === 1 && accountsList[0] === 'organization') accounts = 'organization';
    else if (accountsList.length === 0) r.problems.push('scanAccounts: expected organization or at least one account ID');
    else {
      r.report('scanAccounts', listProblems(CONTEXT_KEY_TABLE.scanAccounts, accountsList));
      accounts = [...new Set(accountsList)];
    }
  }
  return {
    accounts,
    regions: [...new Set(regions ?? [])],
    memberRoleName: r.text('memberRoleName'),
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
  const { partition, account, pathAndName } = parseRoleArn(roleArn)!;
  if (isBuildRoleName(stackName, pathAndName)) return;
  const region = regions[0] ?? 'us-east-1';
  r.problems.push(
    `scannerBuildRoleArn: expected the build role of the scanner stack ${stackName} (its BuildRoleArn output), ` +
      `arn:${partition}:iam::${account}:role/${buildRoleName(stackName, region)} if that stack is in ${region} ` +
      `(the app names the role <stackName>-ScanBuild-<the scanner stack's region>; give the same stackName here), got "${roleArn}"`,
  );
}

/**
 * `scanScope`: as readScanScope read it; its regions are checked there, duplicates dropped,
 * and its memberRoleName is read and checked there too (read here only without a scope).
 */
function readMemberRoleStackSet(
  r: ContextReader,
  stackName: string,
  scanScope: ScanScopeConfig | undefined,
): MemberRoleStackSetConfig | undefined {
  const units = r.list('memberOrganizationalUnits');
  // scannerBuildRoleArn has no default and no normalization: the raw text is its value.
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
  const roleArnProblems = textProblems(CONTEXT_KEY_TABLE.scannerBuildRoleArn, roleArn);
  r.report('scannerBuildRoleArn', roleArnProblems);
  const regions = scanScope?.regions ?? [];
  if (roleArnProblems.length === 0) buildRoleArnProblem(r, stackName, roleArn, regions);
  return {
    organizationalUnits: [...new Set(units)],
    scannerBuildRoleArn: roleArn,
    memberRoleName: scanScope?.memberRoleName ?? r.text('memberRoleName'),
    regions,
  };
}
