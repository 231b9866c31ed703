/**
 * The Scan stage for real: buildspec/scan.yml's commands under bash with the
 * variables CodeBuild sets, the bundled scanner as the pipeline ships it,
 * against the registry, the ECR emulator and s3rver. Reports must land under
 * the run's prefix and latest/, and the exit status must follow the rule:
 * uploaded even with errored sources, then the stage fails.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { bundleScanner } from '../../scripts/bundle-scanner';
import { EcrEmulator, loadFromRegistry, startEcrEmulator } from '../../emulator/ecr/emulator';
import { buildImage, writeOciLayout } from '../../emulator/oci-layout';
import { RegistryHandle, startRegistry } from '../support/registry';
import { FAKE_AWS, FAKE_AWS_KEYS, REPO_ROOT, runProcess } from '../support/run-cli';
import { S3ServerHandle, startS3Server } from '../support/s3-server';
import { pushLayout } from '../support/skopeo';

const image = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'buildspec', content: 'x\n' }] });
// The buildspec is one phase with a list of commands; no YAML library is needed to read them.
const commands = [...readFileSync(join(REPO_ROOT, 'buildspec', 'scan.yml'), 'utf8').matchAll(/^ {6}- (.+)$/gm)].map((m) => m[1]!);

let work = '';
let scannerDir = '';
let registry: RegistryHandle;
let ecr: EcrEmulator;
let s3: S3ServerHandle;
let client: S3Client;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'buildspec-'));
  scannerDir = (await bundleScanner(join(work, 'scanner'))).dir;
  await writeOciLayout(join(work, 'layout'), [{ tag: 'app', target: image }]);
  registry = await startRegistry();
  await pushLayout({ layoutDir: join(work, 'layout'), tag: 'app', destination: `${registry.host}/team/app:1` });
  ecr = await startEcrEmulator({ repositories: await loadFromRegistry(registry.url, [{ repository: 'team/app', ecrRepository: 'app' }]) });
  s3 = await startS3Server(['scan-output'], [FAKE_AWS_KEYS]);
  client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: FAKE_AWS_KEYS });
}, 90_000);

afterAll(async () => {
  client?.destroy();
  await Promise.allSettled([ecr?.stop(), s3?.stop(), registry?.stop()]);
  await rm(work, { recursive: true, force: true });
});

/** Runs the buildspec's commands the way CodeBuild does: bash, in order, the first failure ends the build. */
async function build(input: string, env: Record<string, string> = {}): Promise<{ status: number | null; output: string }> {
  const src = await mkdtemp(join(work, 'src-'));
  await writeFile(join(src, 'input.txt'), input);
  const run = await runProcess('bash', ['-c', `set -e\n${commands.join('\n')}`], {
    cwd: src,
    env: {
      HOME: work,
      ...FAKE_AWS,
      AWS_ENDPOINT_URL_ECR: ecr.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      DOCKER_CONFIG: join(work, 'no-docker'),
      // What CodeBuild and the project set.
      CODEBUILD_SRC_DIR: src,
      CODEBUILD_SRC_DIR_Scanner: scannerDir,
      CODEBUILD_BUILD_NUMBER: '7',
      CODEBUILD_RESOLVED_SOURCE_VERSION: 'f00dfeed',
      OUTPUT_BUCKET: 'scan-output',
      REPORT_PREFIX: 'reports',
      INPUT_FILE: 'input.txt',
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
  const files = ['copy.sh', 'missing.txt', 'plan.json', 'regsync.yml', 'report.html', 'report.json', 'report.md', 'report.txt'];
  expect(await keys('reports/20261123T100000Z-exec-0001/')).toEqual(files.map((f) => `reports/20261123T100000Z-exec-0001/${f}`));
  expect(await keys('reports/latest/')).toEqual(files.map((f) => `reports/latest/${f}`));
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
  expect(await keys('reports/20261123T110000Z-exec-0002/')).toHaveLength(8);
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
  const run = await build(`${registry.host}/team/app:1\n`, { OUTPUT_BUCKET: 'no-such-bucket', DIGEST_CACHE_URI: 'off' });
  expect(run.status).toBe(2);
  expect(run.output).toMatch(/upload of s3:\/\/no-such-bucket\/reports\/.*NoSuchBucket/);
});

test('the shipped bundle is what was built: scan.sh sits beside cli.js', async () => {
  expect(await readFile(join(scannerDir, 'scan.sh'), 'utf8')).toBe(await readFile(join(REPO_ROOT, 'buildspec', 'scan.sh'), 'utf8'));
});
