/**
 * buildspec/scan.yml's command under bash, with the variables CodeBuild would set and
 * a stand-in scanner that records its arguments: what the Scan stage asks of the
 * scanner, and that its exit status becomes the build's.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanSettings, reportLayout, scanSettingsFile } from '../../lib/scan-settings';
import { SETTINGS_VARIABLE_NAMES, parseSettingsFile } from '../../scanner/settings/settings-file';
import { CliOptions, parseCliArgs } from '../../scanner/cli-args';
import { SETTINGS_VARIABLES } from '../../scanner/settings/settings-file';
import { REPO_ROOT } from '../support/run-cli';
import { BUILDSPEC_COMMANDS, BUILDSPEC_TEXT } from '../support/buildspec';

let scannerDir: string;
let srcDir: string;

beforeAll(() => {
  scannerDir = mkdtempSync(join(tmpdir(), 'codebuild-scanner-'));
  srcDir = mkdtempSync(join(tmpdir(), 'codebuild-src-'));
  copyFileSync(join(REPO_ROOT, 'buildspec', 'scan.sh'), join(scannerDir, 'scan.sh'));
  writeFileSync(
    join(scannerDir, 'cli.js'),
    `const fs = require('fs');
     const config = process.env.DOCKER_CONFIG ? process.env.DOCKER_CONFIG + '/config.json' : undefined;
     const docker = config && fs.existsSync(config)
       ? { mode: fs.statSync(config).mode & 0o777, dirMode: fs.statSync(process.env.DOCKER_CONFIG).mode & 0o777, content: fs.readFileSync(config, 'utf8') }
       : undefined;
     fs.writeFileSync(process.env.FAKE_OUT, JSON.stringify({ argv: process.argv.slice(2), execArgv: process.execArgv, docker, extraCa: process.env.NODE_EXTRA_CA_CERTS,
       credentialsInEnv: 'REGISTRY_CREDENTIALS' in process.env, dockerConfig: process.env.DOCKER_CONFIG, env: process.env }));
     process.exit(Number(process.env.FAKE_EXIT || 0));\n`,
  );
  writeFileSync(join(srcDir, 'input.txt'), 'nginx:1.27\n');
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  argv?: string[];
  execArgv?: string[];
  docker?: { mode: number; dirMode: number; content: string };
  credentialsInEnv?: boolean;
  dockerConfig?: string;
  extraCa?: string;
  env?: Record<string, string>;
}

/** What the real scanner takes from the arguments (and the settings file they name) the stand-in was given. */
function optionsOf(r: Run, env: Record<string, string> = {}): CliOptions {
  return parseCliArgs(r.argv!, { ...r.env, ...env });
}

/** The settings the stack writes for its defaults; a test overrides some. */
const DEFAULT_SETTINGS: ScanSettings = {
  layout: reportLayout('reports'),
  inputFile: 'input.txt',
  compute: 'lambda',
  insecureRegistries: [],
  notifications: false,
  scanRegions: [],
  scanAccounts: [],
  organization: false,
};

function settingsFile(settings: Partial<ScanSettings>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'scan-settings-')), 'settings.env');
  writeFileSync(file, scanSettingsFile({ ...DEFAULT_SETTINGS, ...settings }));
  return file;
}

function runBuild(env: Record<string, string | undefined>, settings: Partial<ScanSettings> = {}): Run {
  const record = join(mkdtempSync(join(tmpdir(), 'scan-record-')), 'run.json');
  const vars: Record<string, string> = { PATH: process.env.PATH ?? '', FAKE_OUT: record };
  for (const [k, v] of Object.entries({
    CODEBUILD_SRC_DIR: srcDir,
    CODEBUILD_SRC_DIR_Scanner: scannerDir,
    SCAN_SETTINGS: settingsFile(settings),
    OUTPUT_BUCKET: 'reports-bucket',
    PIPELINE_EXECUTION_ID: '3f1c0c5e-0000-4000-8000-1234567890ab',
    SOURCE_REVISION: 'abc123',
    SCAN_TIMESTAMP: '20260122T101500Z',
    REPORT_DIR: mkdtempSync(join(tmpdir(), 'scan-report-')),
    ...env,
  })) {
    if (v !== undefined) vars[k] = v;
  }
  // Commands run one after another and the first non-zero status fails the build, as in CodeBuild.
  // No stdin: on a socket stdin without SHLVL, bash takes itself for an rsh session and sources
  // ~/.bashrc, which is neither CodeBuild's environment nor quick (0.35 s a run here).
  const r = spawnSync('bash', ['-c', `set -e\n${BUILDSPEC_COMMANDS.join('\n')}`], {
    env: vars,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let recorded: Partial<Run> | undefined;
  try {
    recorded = JSON.parse(readFileSync(record, 'utf8'));
  } catch {
    recorded = undefined;
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ...(recorded ?? {}) };
}

test('the buildspec runs scan.sh from the Scanner artifact and nothing else', () => {
  expect(BUILDSPEC_COMMANDS).toEqual(['bash "$CODEBUILD_SRC_DIR_Scanner/scan.sh"']);
  // Lambda compute takes no runtime-versions, and the build installs nothing.
  const yaml = BUILDSPEC_TEXT.split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n');
  expect(yaml).toBe('version: 0.2\nphases:\n  build:\n    commands:\n      - bash "$CODEBUILD_SRC_DIR_Scanner/scan.sh"\n');
});

test('the scanner gets the input, a local report dir, both S3 locations and the provenance', () => {
  const reportDir = mkdtempSync(join(tmpdir(), 'scan-report-'));
  const r = runBuild({ REPORT_DIR: reportDir });
  expect(r.status).toBe(0);
  expect(r.argv).toEqual([
    '--settings',
    expect.stringMatching(/settings\.env$/),
    '--input',
    join(srcDir, 'input.txt'),
    '--out',
    reportDir,
    '--s3-uri',
    's3://reports-bucket/reports/20260122T101500Z-3f1c0c5e-0000-4000-8000-1234567890ab/',
    '--s3-uri',
    's3://reports-bucket/reports/latest/',
    '--execution-id',
    '3f1c0c5e-0000-4000-8000-1234567890ab',
    '--source-revision',
    'abc123',
    '--cache',
    's3://reports-bucket/reports/cache/digest-cache.json',
  ]);
  expect(r.execArgv).toEqual(['--enable-source-maps']);
});

test.each([0, 1, 2])("the scanner's exit status %i is the build's", (code) => {
  const r = runBuild({ FAKE_EXIT: String(code) });
  expect(r.status).toBe(code);
  expect(r.stdout).toContain(`scanner exited with ${code}`);
});

test('concurrency, a nested prefix and an absolute input path', () => {
  const r = runBuild({}, { concurrency: 48, layout: reportLayout('/team/scans/'), inputFile: join(srcDir, 'input.txt') });
  expect(r.status).toBe(0);
  expect(r.argv).toEqual(expect.arrayContaining(['--input', join(srcDir, 'input.txt')]));
  expect(optionsOf(r).concurrency).toBe(48);
  expect(r.argv).toContain('s3://reports-bucket/team/scans/latest/');
  expect(r.argv).toContain('s3://reports-bucket/team/scans/20260122T101500Z-3f1c0c5e-0000-4000-8000-1234567890ab/');
});

test('the digest cache: the key of the layout in the output bucket, or none', () => {
  const cacheOf = (r: Run): string | undefined => (r.argv!.includes('--cache') ? r.argv![r.argv!.indexOf('--cache') + 1] : undefined);
  expect(cacheOf(runBuild({}, { layout: reportLayout('team/scans') }))).toBe('s3://reports-bucket/team/scans/cache/digest-cache.json');
  expect(cacheOf(runBuild({ DIGEST_CACHE_KEY: 'off' }))).toBeUndefined();
});

test('the settings file: the environment wins; an unknown name is refused by the scanner, never exported; a missing file fails with 2', () => {
  expect(optionsOf(runBuild({ SCAN_CONCURRENCY: '3' }, { concurrency: 48 })).concurrency).toBe(3);
  expect(runBuild({ INPUT_FILE: join(srcDir, 'other.txt') }).argv).toEqual(expect.arrayContaining(['--input', join(srcDir, 'other.txt')]));
  const dir = mkdtempSync(join(tmpdir(), 'scan-settings-'));
  const bad = join(dir, 'bad.env');
  writeFileSync(bad, `${readFileSync(settingsFile({}), 'utf8')}PATH=/tmp/evil\n`);
  const unknown = runBuild({ SCAN_SETTINGS: bad });
  expect(unknown.env!.PATH).toBe(process.env.PATH);
  expect(unknown.argv!.slice(0, 2)).toEqual(['--settings', bad]);
  expect(() => optionsOf(unknown)).toThrow(`--settings ${bad}: unknown setting PATH`);
  const missing = runBuild({ SCAN_SETTINGS: join(dir, 'none.env') });
  expect(missing.status).toBe(2);
  expect(missing.stderr).toContain('settings file');
});

test('a whole organization: --region and --account for each, --organization, --role-name', () => {
  const r = runBuild({}, { scanRegions: ['eu-west-1', 'us-east-1'], scanAccounts: ['111122223333'], memberRoleName: 'reader' });
  expect(optionsOf(r).scope).toEqual({ regions: ['eu-west-1', 'us-east-1'], accounts: ['111122223333'], roleName: 'reader' });
  expect(optionsOf(runBuild({}, { organization: true }), { AWS_REGION: 'eu-west-1' }).scope).toEqual({
    regions: ['eu-west-1'],
    accounts: 'organization',
    roleName: 'ecr-duplicate-scanner-read',
  });
  expect(optionsOf(runBuild({})).scope).toBeUndefined();
});

test('the advice for a member role that cannot be assumed becomes --assume-role-advice, one argument', () => {
  const advice = 'deploy A and B in the management account, then re-run the scan: aws codepipeline start-pipeline-execution --name A';
  const r = runBuild({}, { scanAccounts: ['111122223333'], assumeRoleAdvice: advice });
  expect(optionsOf(r, { AWS_REGION: 'eu-west-1' }).scope?.assumeRoleAdvice).toBe(advice);
  expect(optionsOf(runBuild({}, { scanAccounts: ['111122223333'] }), { AWS_REGION: 'eu-west-1' }).scope).not.toHaveProperty(
    'assumeRoleAdvice',
  );
});

test('the plan target of an organization scan becomes --target-registry', () => {
  const host = '333333333333.dkr.ecr.eu-west-1.amazonaws.com';
  const r = runBuild({}, { scanRegions: ['eu-west-1'], targetRegistry: host });
  expect(optionsOf(r).scope).toMatchObject({ regions: ['eu-west-1'], targetRegistry: host });
  expect(optionsOf(runBuild({}, { scanRegions: ['eu-west-1'] })).scope).not.toHaveProperty('targetRegistry');
});

test('outside a pipeline: build number or "local" as the run id, the resolved source version as the revision', () => {
  const inBuild = runBuild({
    PIPELINE_EXECUTION_ID: undefined,
    SOURCE_REVISION: undefined,
    CODEBUILD_BUILD_NUMBER: '17',
    CODEBUILD_RESOLVED_SOURCE_VERSION: 'def456',
  });
  expect(inBuild.argv).toEqual(expect.arrayContaining(['--execution-id', 'build-17', '--source-revision', 'def456']));
  const local = runBuild({ PIPELINE_EXECUTION_ID: undefined, SOURCE_REVISION: undefined });
  expect(local.argv).toEqual(expect.arrayContaining(['--execution-id', 'local']));
  expect(local.argv).not.toContain('--source-revision');
});

test('an execution id with unsafe characters is cleaned for the key, kept as is in the report', () => {
  const r = runBuild({ PIPELINE_EXECUTION_ID: 'a b/../c' });
  expect(r.argv).toContain('s3://reports-bucket/reports/20260122T101500Z-a-b-..-c/');
  expect(r.argv).toEqual(expect.arrayContaining(['--execution-id', 'a b/../c']));
});

test('the timestamp defaults to now, in UTC basic ISO form', () => {
  const r = runBuild({ SCAN_TIMESTAMP: undefined });
  const run = r.argv!.find((a) => a.startsWith('s3://') && !a.endsWith('/latest/'))!;
  expect(run).toMatch(/^s3:\/\/reports-bucket\/reports\/\d{8}T\d{6}Z-3f1c0c5e-/);
});

test('without REPORT_DIR the local report goes to a new directory under TMPDIR', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'scan-tmp-'));
  const r = runBuild({ REPORT_DIR: undefined, TMPDIR: tmp });
  const out = r.argv![r.argv!.indexOf('--out') + 1]!;
  expect(out.startsWith(`${tmp}/ecr-scan.`)).toBe(true);
});

test('missing settings fail with 2 before the scanner runs (their defaults live in lib/settings/keys.ts only)', () => {
  for (const setting of ['OUTPUT_BUCKET', 'INPUT_FILE', 'RUN_FOLDER', 'LATEST_FOLDER', 'DIGEST_CACHE_KEY']) {
    const missing = runBuild({ [setting]: '' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`${setting} is not set`);
    expect(missing.argv).toBeUndefined();
  }
  const emptyDir = mkdtempSync(join(tmpdir(), 'no-scanner-'));
  mkdirSync(join(emptyDir, 'x'));
  copyFileSync(join(REPO_ROOT, 'buildspec', 'scan.sh'), join(emptyDir, 'scan.sh'));
  const noBundle = runBuild({ CODEBUILD_SRC_DIR_Scanner: emptyDir });
  expect(noBundle.status).toBe(2);
  expect(noBundle.stderr).toContain('scanner bundle');
});

test('registry credentials: a 0600 file in a 0700 directory becomes DOCKER_CONFIG, the variable is gone, the value never printed', () => {
  const secret = '{"auths":{"registry.example.com":{"auth":"c2VudGluZWw6czNjcjN0LXZhbHVl"}}}';
  const tmp = mkdtempSync(join(tmpdir(), 'scan-tmp-'));
  const r = runBuild({ REGISTRY_CREDENTIALS: secret, TMPDIR: tmp });
  expect(r.status).toBe(0);
  expect(r.docker).toEqual({ mode: 0o600, dirMode: 0o700, content: secret });
  expect(r.dockerConfig!.startsWith(`${tmp}/docker-config.`)).toBe(true);
  expect(r.credentialsInEnv).toBe(false);
  expect(r.stdout + r.stderr).not.toContain('c2VudGluZWw6czNjcjN0LXZhbHVl');
  // Removed when the build step ends.
  expect(existsSync(r.dockerConfig!)).toBe(false);
});

test('without registry credentials DOCKER_CONFIG is left alone', () => {
  const r = runBuild({});
  expect(r.docker).toBeUndefined();
  expect(r.dockerConfig).toBeUndefined();
});

test('the notification topic becomes --notify-topic-arn', () => {
  const topic = 'arn:aws:sns:eu-west-1:123456789012:EcrDuplicateScanner-Topic';
  expect(runBuild({ NOTIFY_TOPIC_ARN: topic }).argv).toEqual(expect.arrayContaining(['--notify-topic-arn', topic]));
  expect(runBuild({}).argv).not.toContain('--notify-topic-arn');
});

test('registries in the network: --insecure-registry for each listed host, a private CA file as NODE_EXTRA_CA_CERTS', () => {
  writeFileSync(join(srcDir, 'corp-ca.pem'), '-----BEGIN CERTIFICATE-----\n');
  const run = runBuild({}, { insecureRegistries: ['registry.corp:5000', '10.0.0.5'], registryCaFile: 'corp-ca.pem' });
  expect(run.status).toBe(0);
  expect(optionsOf(run).insecureRegistries).toEqual(['registry.corp:5000', '10.0.0.5']);
  expect(run.extraCa).toBe(join(srcDir, 'corp-ca.pem'));
  const plain = runBuild({});
  expect([optionsOf(plain).insecureRegistries, plain.extraCa]).toEqual([[], undefined]);
  const missing = runBuild({}, { registryCaFile: 'no-such.pem' });
  expect(missing.status).toBe(2);
  expect(missing.stderr).toMatch(/REGISTRY_CA_FILE .*no-such.pem is not a readable file/);
});

test('the plan prefix becomes --target-prefix', () => {
  expect(optionsOf(runBuild({}, { targetPrefix: 'migrated/hub' })).targetPrefix).toBe('migrated/hub');
  expect(optionsOf(runBuild({})).targetPrefix).toBe('');
});

test('the log ends with where the report is and its S3 console link', () => {
  const ok = runBuild({ AWS_REGION: 'eu-west-1' });
  const tail = ok.stdout.trim().split('\n').slice(-3);
  expect(tail).toEqual([
    "scan.sh: this run's report: s3://reports-bucket/reports/20260122T101500Z-3f1c0c5e-0000-4000-8000-1234567890ab/",
    'scan.sh: the newest report: s3://reports-bucket/reports/latest/report.html (latest/_complete.json names the run it holds)',
    'scan.sh: open it in the S3 console: https://s3.console.aws.amazon.com/s3/object/reports-bucket?region=eu-west-1&prefix=reports/latest/report.html',
  ]);
  const failed = runBuild({ FAKE_EXIT: '2' });
  expect(failed.stdout).toContain("no new report was uploaded; s3://reports-bucket/reports/latest/ still holds the previous run's, if any");
});

test("scan.sh takes exactly the settings file's names marked as its own, and the stack writes no name outside the table", () => {
  const script = readFileSync(join(REPO_ROOT, 'buildspec', 'scan.sh'), 'utf8');
  const taken = /case "\$name" in\s*\n([\s\S]*?)\)\n/
    .exec(script)![1]!
    .split(/[|\\\s]+/)
    .filter((n) => n !== '');
  const own = Object.entries(SETTINGS_VARIABLES)
    .filter(([, use]) => use.by === 'scan.sh')
    .map(([name]) => name);
  expect(taken.sort()).toEqual(own.sort());
  const everything: ScanSettings = {
    ...DEFAULT_SETTINGS,
    concurrency: 4,
    insecureRegistries: ['r:5000'],
    registryCaFile: 'ca.pem',
    targetPrefix: 't',
    registryCredentialsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbC123',
    notifications: true,
    scanRegions: ['eu-west-1'],
    scanAccounts: ['111122223333'],
    organization: true,
    memberRoleName: 'reader',
    targetRegistry: '333333333333.dkr.ecr.eu-west-1.amazonaws.com',
    assumeRoleAdvice: 'deploy X, then re-run',
  };
  expect(Object.keys(parseSettingsFile(scanSettingsFile(everything))).sort()).toEqual([...SETTINGS_VARIABLE_NAMES].sort());
  expect(() => scanSettingsFile({ ...DEFAULT_SETTINGS, inputFile: 'a\nPATH=/tmp' })).toThrow(/INPUT_FILE holds a line break/);
});
