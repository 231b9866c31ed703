/**
 * The Scan stage for real: buildspec/scan.yml's commands under bash with the
 * variables CodeBuild sets, the bundled scanner as the pipeline ships it,
 * against the registry, the ECR emulator and s3rver. Reports must land under
 * the run's prefix and latest/, and the exit status must follow the rule:
 * uploaded even with errored sources, then the stage fails.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { bundleScanner } from '../../scripts/bundle-scanner';
import { CONTEXT_DEFAULTS } from '../../lib/config';
import { scanSettingsOf } from '../../lib/ecr-duplicate-scanner-stack';
import { SCAN_SETTINGS_FILE, reportLayout, scanSettingsFile } from '../../lib/scan-settings';
import { EcrEmulator } from '../../emulator/ecr/emulator';
import { buildImage } from '../../emulator/oci-layout';
import { RegistryHandle } from '../support/registry';
import { FAKE_AWS, FAKE_AWS_KEYS, REPO_ROOT } from '../support/run-cli';
import { S3ServerHandle, startS3Server } from '../support/s3-server';
import { SnsServerHandle, startSnsServer } from '../support/sns-server';
import { SourceFixture, startSourceFixture } from '../support/source-fixture';
import { RUN_FILES } from '../support/run-files';
import { runBuildspec } from '../support/buildspec';

const image = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'buildspec', content: 'x\n' }] });

let work = '';
let scannerDir = '';
let fixture: SourceFixture;
let registry: RegistryHandle;
let ecr: EcrEmulator;
let s3: S3ServerHandle;
let client: S3Client;
let sns: SnsServerHandle;
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:scan-summary';

beforeAll(async () => {
  fixture = await startSourceFixture({
    name: 'buildspec',
    pushes: [{ target: image, to: 'team/app:1' }],
    ecr: [{ repository: 'team/app', ecrRepository: 'app' }],
  });
  ({ work, registry, ecr } = fixture);
  scannerDir = (await bundleScanner(join(work, 'scanner'))).dir;
  // The settings file the stack writes into the Scanner artifact for its defaults.
  writeFileSync(join(scannerDir, SCAN_SETTINGS_FILE), scanSettingsFile(scanSettingsOf({}, reportLayout(CONTEXT_DEFAULTS.reportPrefix))));
  s3 = await startS3Server(['scan-output'], [FAKE_AWS_KEYS]);
  sns = await startSnsServer();
  client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: FAKE_AWS_KEYS });
}, 90_000);

afterAll(async () => {
  client?.destroy();
  await Promise.allSettled([s3?.stop(), sns?.stop()]);
  await fixture?.stop();
});

/** Runs the buildspec's commands the way CodeBuild does: bash, in order, the first failure ends the build. */
async function build(input: string, env: Record<string, string> = {}): Promise<{ status: number | null; output: string }> {
  const src = await mkdtemp(join(work, 'src-'));
  await writeFile(join(src, 'input.txt'), input);
  const run = await runBuildspec({
    cwd: src,
    env: {
      HOME: work,
      ...FAKE_AWS,
      AWS_ENDPOINT_URL_ECR: ecr.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
      DOCKER_CONFIG: join(work, 'no-docker'),
      // What CodeBuild and the project set.
      CODEBUILD_SRC_DIR: src,
      CODEBUILD_SRC_DIR_Scanner: scannerDir,
      CODEBUILD_BUILD_NUMBER: '7',
      CODEBUILD_RESOLVED_SOURCE_VERSION: 'f00dfeed',
      OUTPUT_BUCKET: 'scan-output',
      PIPELINE_EXECUTION_ID: 'exec-0001',
      ...env,
    },
  });
  return { status: run.code, output: run.stdout + run.stderr };
}

async function keys(prefix: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: 'scan-output', Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

async function object(key: string): Promise<string> {
  const got = await client.send(new GetObjectCommand({ Bucket: 'scan-output', Key: key }));
  return got.Body!.transformToString();
}

test('a clean run: exit 0, reports under the run prefix and latest/, provenance recorded, cache saved', async () => {
  const run = await build(`${registry.host}/team/app:1\n`, { SCAN_TIMESTAMP: '20261123T100000Z' });
  expect(run.status).toBe(0);
  const files = ['_complete.json', ...RUN_FILES];
  expect(await keys('reports/20261123T100000Z-exec-0001/')).toEqual(files.map((f) => `reports/20261123T100000Z-exec-0001/${f}`));
  expect(await keys('reports/latest/')).toEqual(files.map((f) => `reports/latest/${f}`));
  const marker = JSON.parse(await object('reports/latest/_complete.json'));
  expect(marker).toMatchObject({
    executionId: 'exec-0001',
    run: 's3://scan-output/reports/20261123T100000Z-exec-0001/',
    location: 's3://scan-output/reports/latest/',
  });
  expect(marker.files.map((f: { name: string }) => f.name).sort()).toEqual(files.slice(1));
  // The end of the build log says where the report is.
  expect(run.output).toContain("scan.sh: this run's report: s3://scan-output/reports/20261123T100000Z-exec-0001/");
  expect(run.output).toContain(
    'scan.sh: open it in the S3 console: https://s3.console.aws.amazon.com/s3/object/scan-output?region=us-east-1&prefix=reports/latest/report.html',
  );
  const report = JSON.parse(await object('reports/latest/report.json'));
  expect(report.provenance).toEqual({ executionId: 'exec-0001', sourceRevision: 'f00dfeed' });
  expect(report.summary).toMatchObject({ sources: 1, present: 1 });
  expect(await keys('reports/cache/')).toEqual(['reports/cache/digest-cache.json']);
});

test('errored sources: the report is uploaded, then the build fails with 1', async () => {
  const run = await build(`${registry.host}/team/app:1\nNot Valid\n`, {
    SCAN_TIMESTAMP: '20261123T110000Z',
    PIPELINE_EXECUTION_ID: 'exec-0002',
  });
  expect(run.status).toBe(1);
  expect(await keys('reports/20261123T110000Z-exec-0002/')).toHaveLength(9);
  const latest = JSON.parse(await object('reports/latest/report.json'));
  expect(latest.provenance.executionId).toBe('exec-0002');
  expect(latest.summary).toMatchObject({ sources: 2, present: 1, error: 1 });
  expect(run.output).toMatch(/scanner exited with 1/);
});

test('nothing scanned (ECR denies access): the build fails with 2 and uploads nothing', async () => {
  ecr.setFaults('DescribeRepositories', { code: 'AccessDeniedException' });
  try {
    const run = await build(`${registry.host}/team/app:1\n`, { SCAN_TIMESTAMP: '20261123T120000Z', PIPELINE_EXECUTION_ID: 'exec-0003' });
    expect(run.status).toBe(2);
    expect(run.output).toMatch(/needs the IAM permission ecr:DescribeRepositories/);
    expect(await keys('reports/20261123T120000Z-exec-0003/')).toEqual([]);
  } finally {
    ecr.setFaults('DescribeRepositories', undefined);
  }
});

test('the upload fails (no such bucket): exit 2', async () => {
  const run = await build(`${registry.host}/team/app:1\n`, { OUTPUT_BUCKET: 'no-such-bucket', DIGEST_CACHE_KEY: 'off' });
  expect(run.status).toBe(2);
  expect(run.output).toMatch(/upload of s3:\/\/no-such-bucket\/reports\/.*NoSuchBucket/);
});

test('the shipped scanner reads the settings file itself: an unknown name in it fails the build with 2 before any scan', async () => {
  const settings = join(await mkdtemp(join(work, 'settings-')), 'settings.env');
  await writeFile(settings, `${await readFile(join(scannerDir, SCAN_SETTINGS_FILE), 'utf8')}NODE_OPTIONS=--inspect\n`);
  const run = await build(`${registry.host}/team/app:1\n`, { SCAN_SETTINGS: settings, SCAN_TIMESTAMP: '20261123T130000Z' });
  expect(run.status).toBe(2);
  expect(run.output).toContain(`error: --settings ${settings}: unknown setting NODE_OPTIONS`);
  expect(await keys('reports/20261123T130000Z-')).toEqual([]);
});

test('a setting of the file reaches the shipped scanner as its option (SCAN_CONCURRENCY as --concurrency)', async () => {
  const settings = join(await mkdtemp(join(work, 'settings-')), 'settings.env');
  await writeFile(settings, `${await readFile(join(scannerDir, SCAN_SETTINGS_FILE), 'utf8')}SCAN_CONCURRENCY=0\n`);
  const run = await build(`${registry.host}/team/app:1\n`, { SCAN_SETTINGS: settings });
  expect(run.status).toBe(2);
  expect(run.output).toContain('error: --concurrency must be a whole number >= 1, got "0"');
});

test('the shipped bundle is what was built: scan.sh sits beside cli.js', async () => {
  expect(await readFile(join(scannerDir, 'scan.sh'), 'utf8')).toBe(await readFile(join(REPO_ROOT, 'buildspec', 'scan.sh'), 'utf8'));
});

describe('notifications (NOTIFY_TOPIC_ARN) through the SNS stand-in', () => {
  test('a run publishes its summary: counts, what to migrate, where the report is', async () => {
    const before = sns.published.length;
    const run = await build(`${registry.host}/team/app:1\nquay.invalid/none/such:1\n`, {
      SCAN_TIMESTAMP: '20261124T100000Z',
      PIPELINE_EXECUTION_ID: 'exec-0101',
      NOTIFY_TOPIC_ARN: TOPIC,
    });
    expect(run.status).toBe(1);
    expect(sns.published).toHaveLength(before + 1);
    const m = sns.published.at(-1)!;
    expect(m.topicArn).toBe(TOPIC);
    expect(m.subject).toBe('ECR duplicate scan: 1 error(s), 0 to migrate, 1 present of 2');
    expect(m.message).toContain('ECR duplicate scan (execution exec-0101): 2 source(s) compared with ECR.');
    expect(m.message).toContain('  to migrate in all (absent + partial): 0');
    expect(m.message).toContain('  s3://scan-output/reports/20261124T100000Z-exec-0101/');
    expect(m.message).toContain('  s3://scan-output/reports/latest/');
    expect(run.output).toContain(`published the summary to ${TOPIC}`);
  });

  test('a failed run (exit 2) says why', async () => {
    ecr.setFaults('DescribeRepositories', { code: 'AccessDeniedException' });
    try {
      const run = await build(`${registry.host}/team/app:1\n`, { PIPELINE_EXECUTION_ID: 'exec-0102', NOTIFY_TOPIC_ARN: TOPIC });
      expect(run.status).toBe(2);
      const m = sns.published.at(-1)!;
      expect(m.subject).toMatch(/^ECR duplicate scan FAILED: /);
      expect(m.subject!.length).toBeLessThanOrEqual(100);
      expect(m.message).toContain('The ECR duplicate scan failed (execution exec-0102): nothing new was uploaded.');
      expect(m.message).toMatch(/Why: .*ecr:DescribeRepositories/);
    } finally {
      ecr.setFaults('DescribeRepositories', undefined);
    }
  });

  test("a publish that fails is a warning; the exit status stays the scan's", async () => {
    sns.failWith('AuthorizationError');
    try {
      const run = await build(`${registry.host}/team/app:1\n`, {
        PIPELINE_EXECUTION_ID: 'exec-0103',
        NOTIFY_TOPIC_ARN: TOPIC,
        AWS_MAX_ATTEMPTS: '1',
      });
      expect(run.status).toBe(0);
      expect(run.output).toMatch(
        /warning: could not publish the summary to arn:aws:sns:us-east-1:123456789012:scan-summary: AuthorizationError/,
      );
    } finally {
      sns.failWith(undefined);
    }
  });
});

describe('registry credentials (REGISTRY_CREDENTIALS, as CodeBuild resolves the secret)', () => {
  test('the scan runs with them and no secret value reaches the log or the report', async () => {
    const username = 'sentinel-registry-user-7f3a';
    const password = 'sentinel-registry-password-91bc';
    const auth = Buffer.from(`${username}:${password}`).toString('base64');
    const config = JSON.stringify({ auths: { [registry.host]: { auth }, 'quay.io': { username, password } } });
    const run = await build(`${registry.host}/team/app:1\n`, {
      SCAN_TIMESTAMP: '20261124T110000Z',
      PIPELINE_EXECUTION_ID: 'exec-0201',
      REGISTRY_CREDENTIALS: config,
    });
    expect(run.status).toBe(0);
    expect(run.output).toMatch(/registry credentials from Secrets Manager in .*\/config\.json \(mode 0600\)/);
    const prefix = 'reports/20261124T110000Z-exec-0201/';
    const texts = [run.output, ...(await Promise.all((await keys(prefix)).map(object)))];
    for (const text of texts) for (const secret of [username, password, auth]) expect(text).not.toContain(secret);
  });
});
