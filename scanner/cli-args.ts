/** Command-line parsing: every mistake is a message naming the argument, and exit status 2. */
import { FatalError } from './errors/fatal-error';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PlatformFilter } from './oci/platform';
import { CacheLocation, parseCacheLocation } from './ecr/cache-store';
import { TOPIC_ARN } from './notify/sns-summary';
import { S3Location, parseS3Uri } from './output/upload-s3';
import { normalizeTargetPrefix } from './plan/target-name';
import { DEFAULT_MEMBER_ROLE_NAME, ScopeRequest, scopeRequestProblem } from './scope/scope';
import { INPUT_FORMATS, InputFormat } from './input/read-input';
import {
  MAX_SETTINGS_FILE_BYTES,
  SETTINGS_VARIABLE_NAMES,
  SettingsFileError,
  parseSettingsFile,
  settingsOptions,
} from './settings/settings-file';
import { isRegistryHost } from './oci/reference';
// The one place the version is written is package.json: tsx and jest read it from there, and esbuild
// inlines this one field into the bundle (the build ships cli.js without package.json beside it).
import { version } from '../package.json';

/** The package's version, what `--version` prints. */
export const VERSION: string = version;

const withScope = (scope: ScopeRequest | undefined) => (scope ? { scope } : {});

export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_TIMEOUT_S = 30;

export const HELP = `Usage: ecr-duplicate-scanner --input <file> --out <dir> [options]
       (from a checkout: npm run scan -- --input <file> --out <dir> [options])

Tells, for every image reference in the input file, whether the same image
(by image ID, per platform) is already in the Amazon ECR registry of the
current AWS account and region. Reads manifests only, never layers.

Options:
  --input <file>              what to compare (repeatable; default: input.txt):
                              image references one a line, expansion lines
                              (repo:*, repo:/regex/, repo:semver(^1.25),
                              repo:latest(3), host/namespace/*), Kubernetes
                              YAML/JSON (kubectl get pods -A -o json), or a
                              compose file; the kind is told by the content
  --input-format <kind>       read every --input as text, kubernetes or compose
  --out <dir>                 where the report files (report.json, .txt, .md,
                              .html, missing.txt) and the migration plan
                              (plan.json, copy.sh, regsync.yml) are written
                              (default: report)
  --s3-uri s3://bucket/prefix also upload the report files there (repeatable);
                              each location is written whole, in the order given,
                              then its _complete.json naming the run and the files
  --notify-topic-arn <arn>    publish the run's summary (or why it failed) to this
                              SNS topic; a failed publish is only a warning
  --platform os/arch[/variant]
                              compare only these platforms (repeatable)
  --concurrency <n>           parallel requests, n >= 1 (default: ${DEFAULT_CONCURRENCY})
  --timeout <seconds>         timeout of each registry request (default: ${DEFAULT_TIMEOUT_S})
  --insecure-registry <host[:port]>
                              allow plain HTTP to this registry (repeatable);
                              loopback registries always use plain HTTP
  --target-prefix <prefix>    the plan copies each source to <prefix>/<its path>
                              in ECR (default: its path, e.g. library/nginx)
  --cache <file | s3://bucket/key>
                              keep what was read of manifests between runs so a
                              re-scan reads only new manifests (default: off)
  --region <region>           scan this region's registries (repeatable; with
                              --account or --organization; default: the SDK's region)
  --account <id>              scan this account's registries (repeatable); every
                              account but the caller's through --role-name
  --organization              scan every ACTIVE account of the organization
                              (organizations:ListAccounts), the caller's included
  --role-name <name>          the read role assumed in each other account
                              (default: ${DEFAULT_MEMBER_ROLE_NAME})
  --target-registry <host>    the plan's target, <account>.dkr.ecr.<region>.amazonaws.com
                              (default: the caller's account in the first --region)
  --assume-role-advice <text> added to the error of each registry whose read role
                              cannot be assumed: what creates the role, how to re-run
  --settings <file>           take options from a settings file the stack wrote
                              (settings.env: NAME=value lines); an option also
                              given on the command line wins, and a variable of
                              the file set in the environment wins over the file
  --execution-id <id>         pipeline execution, recorded in report.json
  --source-revision <rev>     input revision, recorded in report.json
  --quiet                     no progress lines (warnings still go to stderr)
  -h, --help                  this text
  --version                   the scanner's version

Environment: AWS_REGION / AWS_PROFILE / AWS_ACCESS_KEY_ID… select the ECR
registry; AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL_SNS
override endpoints;
registry credentials come from $DOCKER_CONFIG/config.json, else
~/.docker/config.json.

Exit status: 0 every source compared; 1 report written, some sources are
errors; 2 nothing scanned (bad arguments, unreadable input, unwritable
--out, ECR inventory failed) or the upload failed.
`;

export interface CliOptions {
  help: boolean;
  version: boolean;
  inputPaths: string[];
  inputFormat?: InputFormat;
  outDir: string;
  s3Locations: S3Location[];
  platforms: PlatformFilter;
  concurrency: number;
  timeoutMs: number;
  insecureRegistries: string[];
  cacheLocation?: CacheLocation;
  /** `--target-prefix`, checked, without a trailing '/'; '' when not given. */
  targetPrefix: string;
  executionId?: string;
  sourceRevision?: string;
  notifyTopicArn?: string;
  /** The registries to read; absent without --region/--account/--organization/--role-name/--target-registry (the credentials' own registry). */
  scope?: ScopeRequest;
  quiet: boolean;
}

/**
 * The scope options, when any was given. `--region` alone scans the caller's account in those
 * regions; the regions default to the SDK's own.
 */
function scopeRequest(
  v: {
    region?: string[];
    account?: string[];
    organization?: boolean;
    'role-name'?: string;
    'target-registry'?: string;
    'assume-role-advice'?: string;
  },
  sdkRegion: string | undefined,
): ScopeRequest | undefined {
  const given =
    v.region !== undefined ||
    v.account !== undefined ||
    v.organization ||
    v['role-name'] !== undefined ||
    v['target-registry'] !== undefined;
  const advice = v['assume-role-advice'];
  if (!given) {
    if (advice !== undefined) throw new UsageError('--assume-role-advice is only meaningful with --account or --organization');
    return undefined;
  }
  if (v.organization && v.account !== undefined) throw new UsageError('--account and --organization exclude each other');
  const regions = [...new Set(v.region ?? (sdkRegion ? [sdkRegion] : []))];
  if (regions.length === 0) throw new UsageError('--region is needed (no AWS_REGION or AWS_DEFAULT_REGION is set)');
  const request: ScopeRequest = {
    regions,
    accounts: v.organization ? 'organization' : [...new Set(v.account ?? [])],
    roleName: v['role-name'] ?? DEFAULT_MEMBER_ROLE_NAME,
    ...(v['target-registry'] !== undefined ? { targetRegistry: v['target-registry'] } : {}),
    ...(advice !== undefined ? { assumeRoleAdvice: advice } : {}),
  };
  const problem = scopeRequestProblem(request);
  if (problem) throw new UsageError(problem);
  return request;
}

export class UsageError extends FatalError {}

/** The command line's options, as node:util parseArgs takes them. */
const OPTIONS = {
  input: { type: 'string', multiple: true },
  'input-format': { type: 'string' },
  out: { type: 'string' },
  's3-uri': { type: 'string', multiple: true },
  platform: { type: 'string', multiple: true },
  concurrency: { type: 'string' },
  timeout: { type: 'string' },
  'insecure-registry': { type: 'string', multiple: true },
  cache: { type: 'string' },
  'target-prefix': { type: 'string' },
  'execution-id': { type: 'string' },
  'source-revision': { type: 'string' },
  'notify-topic-arn': { type: 'string' },
  region: { type: 'string', multiple: true },
  account: { type: 'string', multiple: true },
  organization: { type: 'boolean' },
  'role-name': { type: 'string' },
  'target-registry': { type: 'string' },
  'assume-role-advice': { type: 'string' },
  settings: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

type ParsedValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true; allowPositionals: false }>>['values'];

function parseOptions(args: readonly string[]): ParsedValues {
  try {
    return parseArgs({ args: [...args], strict: true, allowPositionals: false, options: OPTIONS }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A settings file's text, read up to its bound (the file is the stack's, a few hundred bytes). */
function readSettingsText(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_SETTINGS_FILE_BYTES) throw new SettingsFileError(`larger than ${MAX_SETTINGS_FILE_BYTES} bytes`);
    const buffer = Buffer.alloc(size);
    const read = readSync(fd, buffer, 0, size, 0);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * The options the settings file stands for, as `--name=value` arguments (the `=` form, so
 * that a value starting with `-` stays a value), for every option the command line leaves
 * out: the command line wins. A variable of the file set in the environment wins over the
 * file (as a CodeBuild environment override of one build does).
 */
function settingsArguments(path: string, given: ParsedValues, env: NodeJS.ProcessEnv): string[] {
  let options;
  try {
    const values = parseSettingsFile(readSettingsText(path));
    for (const name of SETTINGS_VARIABLE_NAMES) if (env[name] !== undefined) values[name] = env[name];
    options = settingsOptions(values);
  } catch (err) {
    const why =
      err instanceof SettingsFileError ? err.message : `not readable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    throw new UsageError(`--settings ${path}: ${why}`);
  }
  const args: string[] = [];
  for (const [option, value] of Object.entries(options)) {
    if ((given as Record<string, unknown>)[option] !== undefined) continue;
    if (value === true) args.push(`--${option}`);
    else if (Array.isArray(value)) args.push(...value.map((v) => `--${option}=${v}`));
    else if (typeof value === 'string') args.push(`--${option}=${value}`);
  }
  return args;
}

function positiveInteger(value: string, option: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new UsageError(`${option} must be a whole number >= 1, got "${value}"`);
  }
  return Number(value);
}

function positiveNumber(value: string, option: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`${option} must be a number > 0, got "${value}"`);
  return n;
}

export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const given = parseOptions(argv);
  const v = given.settings === undefined ? given : parseOptions([...settingsArguments(given.settings, given, env), ...argv]);
  let platforms: PlatformFilter;
  let s3Locations: S3Location[];
  let cacheLocation: CacheLocation | undefined;
  let targetPrefix: string;
  try {
    targetPrefix = normalizeTargetPrefix(v['target-prefix'] ?? '');
    platforms = new PlatformFilter(v.platform ?? []);
    s3Locations = (v['s3-uri'] ?? []).map(parseS3Uri);
    cacheLocation = v.cache !== undefined ? parseCacheLocation(v.cache) : undefined;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const insecureRegistries = v['insecure-registry'] ?? [];
  // The rule the stack's insecureRegistries context key uses (lib/config.ts), so a host one accepts the other does too.
  for (const host of insecureRegistries) {
    if (!isRegistryHost(host)) {
      throw new UsageError(
        `--insecure-registry expects host[:port] (labels of letters, digits and inner '-', joined by '.'; or [IPv6]), got "${host}"`,
      );
    }
  }
  const inputFormat = v['input-format'];
  if (inputFormat !== undefined && !(INPUT_FORMATS as readonly string[]).includes(inputFormat)) {
    throw new UsageError(`--input-format expects ${INPUT_FORMATS.join(', ')}, got "${inputFormat}"`);
  }
  const notifyTopicArn = v['notify-topic-arn'];
  if (notifyTopicArn !== undefined && !TOPIC_ARN.test(notifyTopicArn)) {
    throw new UsageError(`--notify-topic-arn expects arn:aws:sns:<region>:<account>:<topic>, got "${notifyTopicArn}"`);
  }
  return {
    help: v.help ?? false,
    version: v.version ?? false,
    inputPaths: v.input && v.input.length > 0 ? v.input : ['input.txt'],
    ...(inputFormat !== undefined ? { inputFormat: inputFormat as InputFormat } : {}),
    outDir: v.out ?? 'report',
    s3Locations,
    platforms,
    concurrency: v.concurrency !== undefined ? positiveInteger(v.concurrency, '--concurrency') : DEFAULT_CONCURRENCY,
    timeoutMs: (v.timeout !== undefined ? positiveNumber(v.timeout, '--timeout') : DEFAULT_TIMEOUT_S) * 1000,
    insecureRegistries,
    ...(cacheLocation ? { cacheLocation } : {}),
    targetPrefix,
    ...(v['execution-id'] ? { executionId: v['execution-id'] } : {}),
    ...(v['source-revision'] ? { sourceRevision: v['source-revision'] } : {}),
    ...(notifyTopicArn ? { notifyTopicArn } : {}),
    ...withScope(scopeRequest(v, env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined)),
    quiet: v.quiet ?? false,
  };
}
