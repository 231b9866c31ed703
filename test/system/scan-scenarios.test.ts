/**
 * The scan end to end through the real command line: images built by the
 * test, pushed by skopeo into Debian's docker-registry, an ECR emulator
 * holding what that registry holds, and s3rver for the upload.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Report, ReportSource } from '../../scanner/report/report-types';
import { EcrEmulator, loadFromRegistry, startEcrEmulator } from '../../emulator/ecr/emulator';
import { RegistryHandle, startRegistry } from '../support/registry';
import { CliRun, FAKE_AWS_KEYS, runCli, standInEnv } from '../support/run-cli';
import { S3ServerHandle, startS3Server } from '../support/s3-server';
import {
  ACCOUNT,
  ECR_HOST,
  lonely,
  partial,
  pushScenarios,
  relabelled,
  same,
  SCENARIO_ECR_MAPPING,
  twin,
} from '../support/scenario-images';

const INPUT = [
  '# sources to migrate',
  'SRC/same:oci', // replaced below with the registry host
  'SRC/twin:1',
  'SRC/lonely:1',
  'SRC/partial:1',
  'SRC/full:1',
  'SRC/relabelled:1',
  'Not A Reference',
  'SRC/lonely:no-such-tag',
  'SRC/twin:1   # the same reference again',
  '',
].join('\n');

let work = '';
let registry: RegistryHandle | undefined;
let ecr: EcrEmulator | undefined;
let s3: S3ServerHandle | undefined;
let run: CliRun;
let report: Report;
const out = () => join(work, 'out');
const source = (line: number): ReportSource => {
  const s = report.sources.find((x) => x.line === line);
  if (!s) throw new Error(`no entry for line ${line}`);
  return s;
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'scan-scenarios-'));
  registry = await startRegistry();
  const host = registry.host;
  await pushScenarios(work, host);
  const content = await loadFromRegistry(registry.url, SCENARIO_ECR_MAPPING);
  // Small pages, so every paginated call really pages.
  ecr = await startEcrEmulator({ accountId: ACCOUNT, repositories: content, pageSize: { DescribeRepositories: 2, ListImages: 2 } });
  ecr.store.createRepository('empty');
  expect(ecr.store.untagImage('twin-untagged', 'tmp')).toBe(true);
  s3 = await startS3Server(['reports'], [FAKE_AWS_KEYS]);

  const input = join(work, 'input.txt');
  await writeFile(input, INPUT.replace(/SRC\//g, `${host}/src/`));
  run = await runCli(
    ['--input', input, '--out', out(), '--s3-uri', 's3://reports/run-1', '--execution-id', 'exec-1'],
    standInEnv({ home: work, ecrEndpoint: ecr.endpoint, s3Endpoint: s3.endpoint }),
  );
  report = JSON.parse(await readFile(join(out(), 'report.json'), 'utf8')) as Report;
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([registry?.stop(), ecr?.stop(), s3?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

test('exit status 1 because of the error lines; summary on stdout, progress on stderr', () => {
  if (run.code !== 1) process.stdout.write(run.stderr);
  expect(run.code).toBe(1);
  expect(run.stdout).toContain('8 source(s): 3 present, 1 partial, 2 absent, 2 error');
  expect(run.stderr).toMatch(/ecr: 6\/6 repositories, \d+ images, \d+ manifests read \(done\)/);
  expect(run.stderr).toMatch(/sources: 7\/7 resolved \(done\)/);
});

test('the same image as OCI in the source and v2s2 in ECR is present by imageId', () => {
  const s = source(2);
  expect(s.status).toBe('present');
  expect(s.images).toHaveLength(1);
  expect(s.images[0]).toMatchObject({ platform: 'linux/amd64', imageId: same.configDigest, manifestDigest: same.manifestDigest });
  expect(s.images[0]!.matches).toEqual([
    expect.objectContaining({
      uri: `${ECR_HOST}/mirror:v2s2`,
      repository: 'mirror',
      tags: ['v2s2'],
      imageId: same.configDigest,
      matchedBy: 'imageId',
    }),
  ]);
  expect(s.images[0]!.matches[0]!.manifestDigest).not.toBe(same.manifestDigest);
});

test('a byte-identical push under two tags and untagged elsewhere is present by manifest', () => {
  const s = source(3);
  expect(s.status).toBe('present');
  expect(s.duplicateLines).toEqual([10]);
  expect(s.images[0]!.matches).toEqual([
    expect.objectContaining({ uri: `${ECR_HOST}/twin-untagged@${twin.manifestDigest}`, tags: [], matchedBy: 'manifest' }),
    expect.objectContaining({
      uri: `${ECR_HOST}/twin:1`,
      tags: ['1', 'stable'],
      matchedBy: 'manifest',
      manifestDigest: twin.manifestDigest,
    }),
  ]);
});

test('an image not in ECR is absent', () => {
  expect(source(4)).toMatchObject({
    status: 'absent',
    digest: lonely.manifestDigest,
    images: [{ platform: 'linux/arm64/v8', matches: [] }],
  });
});

test('a multi-arch source with one platform in ECR is partial; the attestation is not a platform', () => {
  const s = source(5);
  expect(s.status).toBe('partial');
  expect(s.digest).toBe(partial.indexDigest);
  expect(s.images.map((i) => [i.platform, i.matches.map((m) => m.uri)])).toEqual([
    ['linux/amd64', [`${ECR_HOST}/partial:amd64-only`]],
    ['linux/arm64/v8', []],
  ]);
});

test('a multi-arch source present through an ECR index reports the index tag on each platform', () => {
  const s = source(6);
  expect(s.status).toBe('present');
  expect(s.images.map((i) => [i.platform, i.matches.map((m) => [m.uri, m.tags, m.matchedBy])])).toEqual([
    ['linux/amd64', [[`${ECR_HOST}/full:release`, ['release'], 'manifest']]],
    ['linux/arm/v7', [[`${ECR_HOST}/full:release`, ['release'], 'manifest']]],
  ]);
});

test('the same layers under another config is absent: no false positive', () => {
  expect(source(7)).toMatchObject({ status: 'absent', images: [{ imageId: relabelled.configDigest, matches: [] }] });
});

test('an invalid line and a missing tag are errors with their line numbers', () => {
  expect(source(8)).toMatchObject({ status: 'error', input: 'Not A Reference', error: expect.stringMatching(/whitespace/) });
  expect(source(9)).toMatchObject({ status: 'error', error: expect.stringMatching(/tag no-such-tag not found.*404/) });
  expect(run.stderr).toMatch(/line 8: invalid reference/);
});

test('every non-comment line is accounted for once; summary equals the entries', () => {
  const lines = report.sources.flatMap((s) => [s.line, ...(s.duplicateLines ?? [])]).sort((a, b) => a - b);
  expect(lines).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(report.summary).toEqual({ sources: 8, present: 3, partial: 1, absent: 2, error: 2 });
  expect(report.ecr).toEqual([
    {
      accountId: ACCOUNT,
      region: 'us-east-1',
      repositories: 6,
      images: expect.any(Number),
      // Nothing archived, no artifact, nothing unreadable: only the counts by kind are added.
      kinds: { image: 8, index: 1, artifact: 0, other: 0, unknown: 0 },
    },
  ]);
  expect(report.provenance).toEqual({ executionId: 'exec-1' });
});

test('report.txt, report.md and missing.txt say the same', async () => {
  const txt = await readFile(join(out(), 'report.txt'), 'utf8');
  expect(txt).toContain(
    `Source image URIs:\n${registry!.host}/src/same:oci\nImage present at ECR URIs:\n\t${ECR_HOST}/mirror:v2s2\nStatus: present`,
  );
  expect(txt).toContain('Status: partial (1 of 2 platforms in ECR: linux/arm64/v8 missing)');
  const md = await readFile(join(out(), 'report.md'), 'utf8');
  expect(md).toContain('| 8 | 3 | 1 | 2 | 2 |');
  const missing = await readFile(join(out(), 'missing.txt'), 'utf8');
  const host = registry!.host;
  expect(missing).toBe(`${host}/src/lonely:1\n${host}/src/partial:1\n${host}/src/relabelled:1\n`);
});

test('the same files were uploaded to S3', async () => {
  const client = new S3Client({ region: 'us-east-1', endpoint: s3!.endpoint, forcePathStyle: true, credentials: FAKE_AWS_KEYS });
  try {
    for (const name of ['report.json', 'report.txt', 'report.md', 'missing.txt']) {
      const got = await client.send(new GetObjectCommand({ Bucket: 'reports', Key: `run-1/${name}` }));
      expect(await got.Body!.transformToString()).toBe(await readFile(join(out(), name), 'utf8'));
    }
  } finally {
    client.destroy();
  }
});

test('the ECR emulator was paged through and manifests read in batches', () => {
  expect(ecr!.calls.DescribeRepositories).toBe(3);
  expect(ecr!.calls.ListImages).toBeGreaterThan(6);
  // One DescribeImages per repository: which of its images are archived (none here).
  expect(ecr!.calls.DescribeImages).toBe(6);
  // One batch per repository with a manifest no other repository held before it (twin's manifest is in two).
  expect(ecr!.calls.BatchGetImage).toBeGreaterThanOrEqual(4);
  expect(ecr!.calls.BatchGetImage).toBeLessThanOrEqual(5);
});

describe('--platform restricts the comparison', () => {
  const scanWith = async (platforms: string[]) => {
    const input = join(work, `platform-input-${platforms.join('_').replace(/\//g, '-')}.txt`);
    await writeFile(input, `${registry!.host}/src/partial:1\n${registry!.host}/src/lonely:1\n`);
    const dir = join(work, `platform-out-${platforms.length}-${platforms.join('_').replace(/\//g, '-')}`);
    const r = await runCli(
      ['--input', input, '--out', dir, '--quiet', ...platforms.flatMap((p) => ['--platform', p])],
      standInEnv({ home: work, ecrEndpoint: ecr!.endpoint }),
    );
    return { run: r, report: JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as Report };
  };

  test('linux/amd64 only: the partial source becomes present; an arm64-only image is an error naming the filter', async () => {
    const { run: r, report: rep } = await scanWith(['linux/amd64']);
    expect(r.code).toBe(1);
    expect(rep.platforms).toEqual(['linux/amd64']);
    expect(rep.sources[0]).toMatchObject({ status: 'present', images: [{ platform: 'linux/amd64' }] });
    expect(rep.sources[1]).toMatchObject({ status: 'error', error: 'the image is linux/arm64/v8, which --platform linux/amd64 excludes' });
  });

  test('linux/arm64 (any variant): the partial source is absent, the arm64 image compared', async () => {
    const { run: r, report: rep } = await scanWith(['linux/arm64']);
    expect(r.code).toBe(0);
    expect(rep.sources.map((s) => [s.status, s.images.map((i) => i.platform)])).toEqual([
      ['absent', ['linux/arm64/v8']],
      ['absent', ['linux/arm64/v8']],
    ]);
  });

  test('a platform no source has: errors that list what the index offers', async () => {
    const { report: rep } = await scanWith(['linux/s390x']);
    expect(rep.sources[0]!.error).toBe('no platform of the index (linux/amd64, linux/arm64/v8) matches --platform linux/s390x');
  });
});
