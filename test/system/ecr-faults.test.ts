/**
 * ECR faults and upload faults: throttling completes with the same
 * report, AccessDenied stops with exit 2 naming the permission, deletions
 * during the scan are handled, an empty registry makes every source absent,
 * and a failed upload is exit 2 with the local files complete.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Report } from '../../scanner/report/report-types';
import { EcrEmulator, EcrStoreContent, loadFromRegistry, startEcrEmulator } from '../../emulator/ecr/emulator';
import { buildImage, buildIndex, writeOciLayout } from '../../emulator/oci-layout';
import { RegistryHandle, startRegistry } from '../support/registry';
import { FAKE_AWS_KEYS } from '../support/run-cli';
import { S3ServerHandle, startS3Server } from '../support/s3-server';
import { expectReportInvariants, scanOnce, withInputNamedPlainly } from '../support/scan-harness';
import { pushLayout } from '../support/skopeo';
import { RUN_FILES } from '../support/run-files';

const a = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'a', content: 'a\n' }] });
const b = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'b', content: 'b\n' }] });
const bArm = buildImage({ os: 'linux', architecture: 'arm64', files: [{ path: 'b', content: 'b-arm\n' }] });
const multi = buildIndex([b, bArm]);

let work = '';
let registry: RegistryHandle;
let content: EcrStoreContent;
let s3: S3ServerHandle;
let input = '';
const emulators: EcrEmulator[] = [];

async function emulator(options: Parameters<typeof startEcrEmulator>[0] = {}): Promise<EcrEmulator> {
  const e = await startEcrEmulator({ repositories: content, pageSize: { DescribeRepositories: 2, ListImages: 2 }, ...options });
  emulators.push(e);
  return e;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ecr-faults-'));
  const layout = join(work, 'layout');
  await writeOciLayout(layout, [
    { tag: 'a', target: a },
    { tag: 'multi', target: multi },
  ]);
  registry = await startRegistry();
  const push = (tag: string, dest: string, all = false) =>
    pushLayout({ layoutDir: layout, tag, destination: `${registry.host}/${dest}`, all });
  await push('a', 'src/a:1');
  await push('multi', 'src/multi:1', true);
  // Eight ECR repositories so throttling and paging have something to bite on.
  for (let i = 0; i < 6; i++) await push('a', `ecr/a-${i}:v${i}`);
  await push('multi', 'ecr/multi:release', true);
  await push('a', 'ecr/doomed:1');
  content = await loadFromRegistry(
    registry.url,
    [...Array.from({ length: 6 }, (_, i) => `a-${i}`), 'multi', 'doomed'].map((r) => ({ repository: `ecr/${r}`, ecrRepository: r })),
  );
  s3 = await startS3Server(['reports'], [FAKE_AWS_KEYS]);
  input = `${registry.host}/src/a:1\n${registry.host}/src/multi:1\n`;
}, 90_000);

afterAll(async () => {
  await Promise.allSettled([...emulators.map((e) => e.stop()), registry?.stop(), s3?.stop()]);
  await rm(work, { recursive: true, force: true });
});

/** The report without what legitimately differs between runs. */
const comparable = (report: Report) => ({ ...withInputNamedPlainly(report), generatedAt: '' });

let baseline: Report;

test('baseline scan: both sources present', async () => {
  const ecr = await emulator();
  const run = await scanOnce({ input, ecrEndpoint: ecr.endpoint });
  expect(run.exitCode).toBe(0);
  baseline = run.report!;
  expectReportInvariants(baseline, input);
  expect(baseline.summary).toMatchObject({ present: 2 });
  expect(baseline.ecr[0]).toMatchObject({ repositories: 8 });
});

test.each([
  ['a rate limit (token bucket)', { ratePerSecond: 20, burst: 2 }],
  ['every 10th call', { everyNth: 10 }],
  ['every 3rd call', { everyNth: 3 }],
])('throttling as %s: completes with the same report', async (_name, throttle) => {
  const ecr = await emulator({ throttle });
  const run = await scanOnce({ input, ecrEndpoint: ecr.endpoint, concurrency: 8 });
  expect(ecr.calls.throttled).toBeGreaterThan(0);
  expect(run.exitCode).toBe(0);
  expect(comparable(run.report!)).toEqual(comparable(baseline));
});

test.each([
  ['DescribeRepositories', 'ecr:DescribeRepositories'],
  ['ListImages', 'ecr:ListImages'],
  ['DescribeImages', 'ecr:DescribeImages'],
  ['BatchGetImage', 'ecr:BatchGetImage'],
] as const)('AccessDenied on %s: exit 2, the message names %s, no report', async (operation, permission) => {
  const ecr = await emulator({ faults: { [operation]: { code: 'AccessDeniedException' } } });
  const run = await scanOnce({ input, ecrEndpoint: ecr.endpoint });
  expect(run.exitCode).toBe(2);
  expect(run.message).toContain(`needs the IAM permission ${permission}`);
  // Every action the scanner uses is named, so one policy change grants them all.
  expect(run.message).toContain('; and ecr:DescribePullThroughCacheRules, ecr:GetAccountSetting on "*" for the plan\'s target registry)');
  expect(run.report).toBeUndefined();
  expect(run.files).toEqual([]);
});

test('a repository deleted between listing and reading: skipped with a warning, counted, exit unchanged', async () => {
  const ecr = await emulator();
  // Listed by DescribeRepositories, gone by the time its images are asked for.
  ecr.onCall('ListImages', (call) => {
    if (call.input.repositoryName === 'doomed') ecr.store.deleteRepository('doomed');
  });
  const run = await scanOnce({ input, ecrEndpoint: ecr.endpoint });
  expect(run.exitCode).toBe(0);
  expect(run.report!.ecr[0]).toMatchObject({ repositories: 7, skippedRepositories: ['doomed'] });
  expect(run.stderr).toMatch(/warning: repository doomed was deleted while the scan read it; skipped/);
  expect(run.report!.summary).toMatchObject({ present: 2 });
  expect(run.written['report.md']).toContain('Skipped (deleted during the scan): doomed.');
});

test('an image deleted between the listing and BatchGetImage: left out via failures, no crash', async () => {
  const ecr = await emulator();
  // a's manifest (in a-0 … a-5 and doomed) is read once, in whichever repository asks first (the others know it then): delete it there.
  let deletedFrom: string | undefined;
  ecr.onCall('BatchGetImage', (call) => {
    const repository = String(call.input.repositoryName);
    const ids = call.input.imageIds as Array<{ imageDigest?: string }>;
    if (deletedFrom === undefined && ids.some((i) => i.imageDigest === a.manifestDigest)) {
      deletedFrom = repository;
      ecr.store.deleteImage(repository, a.manifestDigest);
    }
  });
  const run = await scanOnce({ input, ecrEndpoint: ecr.endpoint });
  expect(run.exitCode).toBe(0);
  expect(run.stderr).toMatch(/1 image\(s\) were deleted while the scan read them; left out/);
  const uris = run.report!.sources[0]!.images[0]!.matches.map((m) => m.repository);
  expect(deletedFrom).toBeDefined();
  expect(uris).not.toContain(deletedFrom);
  expect(uris).toHaveLength(6);
});

test('an empty registry: every source absent, exit 0', async () => {
  const ecr = await startEcrEmulator({});
  emulators.push(ecr);
  const run = await scanOnce({ input, ecrEndpoint: ecr.endpoint });
  expect(run.exitCode).toBe(0);
  expect(run.report!.summary).toMatchObject({ sources: 2, absent: 2 });
  expect(run.report!.ecr[0]).toMatchObject({ repositories: 0, images: 0 });
});

test('a server error on ECR that persists: exit 2, nothing reported as absent', async () => {
  const ecr = await emulator({ faults: { ListImages: { code: 'ServerException' } } });
  const run = await scanOnce({ input, ecrEndpoint: ecr.endpoint, ecrMaxAttempts: 2 });
  expect(run.exitCode).toBe(2);
  expect(run.message).toMatch(/ECR ListImages failed on repository .*ServerException/);
  expect(run.report).toBeUndefined();
});

describe('upload', () => {
  test('uploads when the bucket exists', async () => {
    const ecr = await emulator();
    const run = await scanOnce({ input, ecrEndpoint: ecr.endpoint, s3Endpoint: s3.endpoint, s3Uris: ['s3://reports/x/'] });
    expect(run.exitCode).toBe(0);
    // The report's five files and the plan's three, then the _complete.json marker, last.
    expect(run.uploaded).toHaveLength(9);
    expect(run.uploaded.at(-1)).toBe('s3://reports/x/_complete.json');
  });

  test('an upload that keeps failing: retried, exit 2, local files complete', async () => {
    const ecr = await emulator();
    // An S3 endpoint that answers every request with 503 SlowDown, counting them.
    let attempts = 0;
    const failing = createServer((req, res) => {
      attempts++;
      req.resume();
      res.writeHead(503, { 'Content-Type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
      );
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
    let run;
    try {
      run = await scanOnce({ input, ecrEndpoint: ecr.endpoint, s3Endpoint: endpoint, s3Uris: ['s3://reports/x/'] });
    } finally {
      await new Promise((resolve) => failing.close(resolve));
    }
    // The harness's S3 client makes 3 attempts, as the CLI's makes 5: the failure was retried before it was reported.
    expect(attempts).toBe(3);
    expect(run.exitCode).toBe(2);
    expect(run.message).toMatch(/upload of s3:\/\/reports\/x\/report.json failed/);
    expect(run.stderr).toMatch(/the local report in .* is complete/);
    expect(Object.keys(run.written).sort()).toEqual(RUN_FILES);
    expect(JSON.parse(run.written['report.json']!).summary).toMatchObject({ present: 2 });
  });
});
