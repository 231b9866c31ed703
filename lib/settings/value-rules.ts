/**
 * What a setting's value must be, one rule each: the context reader (lib/config.ts) and the
 * scanner stack's props validation both apply these, through the key table (keys.ts). A
 * rule returns what was expected when the value breaks it, else undefined; the caller adds
 * the key and the value.
 */
import { isAccountId, isRegionName, parseEcrHost } from '../../scanner/oci/ecr-host';
import { isRegistryHost } from '../../scanner/oci/reference';
import { normalizeTargetPrefix, TargetPrefixError } from '../../scanner/plan/target-name';
import { isRoleName } from '../../scanner/settings/member-role';

/** What a value was expected to be, or undefined when it is fine. */
export type Rule = (value: string) => string | undefined;

/** A rule that holds when `test` does. */
export function rule(test: (value: string) => boolean, expected: string): Rule {
  return (value) => (test(value) ? undefined : expected);
}

// One path segment of an S3 key or repository path: no `*` or `?`, which would widen
// the IAM resources built from it, and nothing that needs URL or shell escaping.
const SEGMENT = '[A-Za-z0-9_][A-Za-z0-9._-]*';
const KEY_PATH = new RegExp(`^${SEGMENT}(/${SEGMENT})*$`);
/** S3 keys are at most 1,024 bytes. */
export const MAX_S3_KEY = 1024;

/** An S3 key or a relative path of segments, `what` saying which. */
export function keyPath(what: string): Rule {
  return rule((v) => KEY_PATH.test(v), `expected ${what} of segments [A-Za-z0-9._-] separated by "/" (no leading "/", "." or "..")`);
}

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

/** The subset of git-check-ref-format that is also safe in an EventBridge pattern and a URL. */
export function isGitBranch(name: string): boolean {
  return /^[A-Za-z0-9._/-]{1,200}$/.test(name) && !/^[-/.]|\/\/|\.\.|\/\.|[/.]$|\.lock$/.test(name);
}

// The complete ARN: IAM matches a secret by it, suffix included.
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const KMS_KEY_ARN =
  /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const REPOSITORY_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;

export const isSecretArn = (v: string): boolean => SECRET_ARN.test(v);
export const isKmsKeyArn = (v: string): boolean => KMS_KEY_ARN.test(v);

/** The region field of an ARN. */
export function arnRegion(arn: string): string | undefined {
  return arn.split(':')[3];
}

/** A connection's `owner/repo`, parsed once: the owner is everything before the last `/` (a GitLab group path may hold several segments). */
export function parseRepositoryPath(repository: string): { readonly owner: string; readonly repo: string } | undefined {
  if (!REPOSITORY_PATH.test(repository)) return undefined;
  const cut = repository.lastIndexOf('/');
  return { owner: repository.slice(0, cut), repo: repository.slice(cut + 1) };
}

const ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/([\w+=,.@/-]+)$/;

/** A role ARN as IAM writes it: partition, account, then the role's path and name. */
export function parseRoleArn(
  arn: string,
): { readonly partition: string; readonly account: string; readonly pathAndName: string } | undefined {
  const m = ROLE_ARN.exec(arn);
  return m ? { partition: m[1]!, account: m[2]!, pathAndName: m[3]! } : undefined;
}

/** The scanner's own rule for --target-prefix, so synth refuses exactly what a run would. */
export function isTargetPrefix(text: string): boolean {
  try {
    normalizeTargetPrefix(text);
    return true;
  } catch (err) {
    if (err instanceof TargetPrefixError) return false;
    throw err;
  }
}

export const RULES = {
  stackName: rule((v) => /^[A-Za-z][A-Za-z0-9-]*$/.test(v), 'expected a CloudFormation stack name: a letter, then letters, digits or "-"'),
  codeCommitName: rule(
    (v) => /^[A-Za-z0-9_.-]{1,100}$/.test(v) && !v.endsWith('.git'),
    'expected a CodeCommit repository name: 1-100 of [A-Za-z0-9._-], not ending in .git',
  ),
  gitBranch: rule(isGitBranch, 'expected a git branch name'),
  // Both service prefixes name the same connections; AWS renamed CodeStar Connections to CodeConnections.
  connectionArn: rule(
    (v) => /^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[A-Za-z0-9-]+$/.test(v),
    'expected arn:aws:codeconnections:<region>:<account>:connection/<id>',
  ),
  repositoryPath: rule((v) => parseRepositoryPath(v) !== undefined, 'expected owner/repo'),
  // CodeBuild unzips its input artifacts; a bare input.txt would fail the build before the scan.
  zipKey: rule((v) => v.endsWith('.zip'), 'expected a key ending in .zip (CodePipeline hands the object to CodeBuild, which unzips it)'),
  schedule: rule(isScheduleExpression, 'expected an EventBridge schedule expression: rate(1 day), rate(6 hours) or cron(0 6 * * ? *)'),
  // No display name or comments; SNS takes the address as is.
  email: rule((v) => /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(v), 'expected an e-mail address'),
  secretArn: rule(
    isSecretArn,
    'expected the complete secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (aws secretsmanager describe-secret shows it)',
  ),
  kmsKeyArn: rule(isKmsKeyArn, 'expected a KMS key ARN, arn:aws:kms:<region>:<account>:key/<key id>'),
  vpcId: rule((v) => /^vpc-[0-9a-f]{8}([0-9a-f]{9})?$/.test(v), 'expected a VPC ID, vpc-<hex>'),
  targetPrefix: rule(isTargetPrefix, 'expected an ECR repository name prefix'),
  roleName: rule(isRoleName, 'expected an IAM role name of [A-Za-z0-9+=,.@_-]'),
  // The scanner's own grammar for the host (scanner/oci/ecr-host.ts).
  ecrHost: rule((v) => parseEcrHost(v) !== undefined, 'expected a private ECR registry host, <account>.dkr.ecr.<region>.amazonaws.com'),
  roleArn: rule((v) => parseRoleArn(v) !== undefined, 'expected an IAM role ARN, arn:aws:iam::<account>:role/<name>'),
} as const;

/** What each item of a list must be: its test, and the items in words for the message. */
export interface ItemRule {
  readonly test: (value: string) => boolean;
  /** `12-digit account IDs separated by ","`: the message says "expected <items>" and "expected at least one <items>". */
  readonly items: string;
}

export const ITEM_RULES = {
  subnetId: { test: (v) => /^subnet-[0-9a-f]{8}([0-9a-f]{9})?$/.test(v), items: 'subnet IDs, subnet-<hex>, separated by ","' },
  securityGroupId: { test: (v) => /^sg-[0-9a-f]{8}([0-9a-f]{9})?$/.test(v), items: 'security group IDs, sg-<hex>, separated by ","' },
  accountId: { test: isAccountId, items: '12-digit account IDs separated by ","' },
  // The reference grammar's own rule for a registry host: what input.txt could name is what may be listed.
  registryHost: { test: isRegistryHost, items: 'host[:port] names separated by ","' },
  // `organization` is the key's other form, read apart.
  scanAccount: { test: isAccountId, items: 'organization or 12-digit account IDs separated by ","' },
  region: { test: isRegionName, items: 'region names separated by ","' },
  organizationalUnit: {
    test: (v) => /^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/.test(v),
    items: 'organizational unit IDs (ou-…) or the root ID (r-…) separated by ","',
  },
} as const satisfies Record<string, ItemRule>;
