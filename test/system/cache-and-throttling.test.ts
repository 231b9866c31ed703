/**
 * The digest cache and throttling must never change an answer:
 * the report is the same cold, warm, without cache and under throttling; a
 * re-scan reads no manifest; a damaged cache is ignored and rebuilt.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CacheLocation, loadCache, saveCache } from '../../scanner/ecr/cache-store';
import { ManifestTable } from '../../scanner/ecr/manifest-table';
import { parseDigestCache } from '../support/digest-cache-text';
import { Report } from '../../scanner/report/report-types';
import { EcrEmulator, startEcrEmulator } from '../../emulator/ecr/emulator';
import { FAKE_AWS_KEYS } from '../support/run-cli';
import { S3ServerHandle, startS3Server } from '../support/s3-server';
import { expectReportInvariants, scanOnce, withInputNamedPlainly } from '../support/scan-harness';
import { apiLowerBound, syntheticWorld } from '../../emulator/synthetic-world';

const world = syntheticWorld({ repositories: 6, imagesPerRepository: 120, sources: 6, planted: 4 });
const LOWER = apiLowerBound(world.store);
let ecr: EcrEmulator;
let s3: S3ServerHandle;
let work = '';
let input = '';
let cold: Report;

// registries[] counts the source requests made, which the cache exists to save; every answer must be the same.
const comparable = (r: Report) => ({ ...withInputNamedPlainly(r), generatedAt: '', registries: undefined });
/** The cache keeps the 720 ECR manifests and, since source manifests are cached too, the 6 sources' own. */
const CACHED = 720 + 6;
const sourceGets = (r: Report) => (r.registries ?? []).reduce((n, h) => n + h.requests.manifestGet + h.requests.blobGet, 0);
const scan = async (extra: { cacheLocation?: CacheLocation; concurrency?: number } = {}) => {
  ecr.resetCalls();
  const run = await scanOnce({ input, ecrEndpoint: ecr.endpoint, s3Endpoint: s3.endpoint, ...extra });
  expect(run.exitCode).toBe(0);
  expectReportInvariants(run.report!, input);
  return run;
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cache-'));
  ecr = await startEcrEmulator({ synthetic: world.store, distribution: world.distribution, pageSize: { ListImages: 50 } });
  s3 = await startS3Server(['cache-bucket'], [FAKE_AWS_KEYS]);
  const host = new URL(ecr.endpoint).host;
  input = world.sourcePaths.map((p) => `${host}/${p}:1`).join('\n');
});

afterAll(async () => {
  await Promise.allSettled([ecr?.stop(), s3?.stop()]);
  await rm(work, { recursive: true, force: true });
});

test('cold scan finds exactly the planted images, at the API lower bound', async () => {
  const run = await scan();
  cold = run.report!;
  for (const [i, path] of world.sourcePaths.entries()) {
    const source = cold.sources[i]!;
    const expected = world.expected.get(path)!;
    expect(source.status).toBe(expected.length > 0 ? 'present' : 'absent');
    expect(source.images[0]!.matches.map((m) => m.repository).sort()).toEqual(expected.map((e) => e.repository).sort());
  }
  // ListImages pages are capped at 50 here, so that part of the bound is per 50.
  expect(ecr.calls.BatchGetImage).toBe(LOWER.batchGetImage);
  expect(ecr.calls.DescribeRepositories).toBe(LOWER.describeRepositories);
});

test('a local cache: the re-scan reads no manifest and gives the same report', async () => {
  const location: CacheLocation = { kind: 'file', path: join(work, 'cache.json') };
  const first = await scan({ cacheLocation: location });
  expect(ecr.calls.BatchGetImage).toBe(LOWER.batchGetImage);
  const again = await scan({ cacheLocation: location });
  expect(ecr.calls.BatchGetImage).toBe(0);
  expect(again.stderr).toMatch(new RegExp(`digest cache: ${CACHED} manifest\\(s\\) known`));
  expect(sourceGets(again.report!)).toBe(0);
  expect(comparable(first.report!)).toEqual(comparable(cold));
  expect(comparable(again.report!)).toEqual(comparable(cold));
});

test('a cache in S3 works the same way', async () => {
  const location: CacheLocation = { kind: 's3', bucket: 'cache-bucket', key: 'reports/cache/digest-cache.json' };
  await scan({ cacheLocation: location });
  const again = await scan({ cacheLocation: location });
  expect(ecr.calls.BatchGetImage).toBe(0);
  expect(comparable(again.report!)).toEqual(comparable(cold));
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: FAKE_AWS_KEYS });
  const object = await client.send(new GetObjectCommand({ Bucket: 'cache-bucket', Key: location.key }));
  expect(parseDigestCache(await object.Body!.transformToString(), 's3').cache.size).toBe(CACHED);
  client.destroy();
});

describe.each([
  [
    'corrupt (one character changed)',
    (text: string) => text.replace(/":"sha256:([0-9a-f])/, (_m, c: string) => `":"sha256:${c === 'a' ? 'b' : 'a'}`),
    /checksum mismatch/,
  ],
  ['truncated', (text: string) => text.slice(0, Math.floor(text.length / 2)), /checksum mismatch/],
  ['cut inside its header', (text: string) => text.slice(0, 30), /not valid JSON/],
  ['foreign', () => JSON.stringify({ name: 'some other tool', entries: [] }), /not a digest cache file/],
  ['binary', () => '\u0000\u0001garbage', /not valid JSON/],
])('a %s cache file', (_name, damage, warning) => {
  test('is ignored with a warning, rebuilt, and the report does not change', async () => {
    const path = join(work, `damaged-${_name.split(' ')[0]}.json`);
    await scan({ cacheLocation: { kind: 'file', path } });
    await writeFile(path, damage(await readFile(path, 'utf8')));
    const run = await scan({ cacheLocation: { kind: 'file', path } });
    expect(run.stderr).toMatch(warning);
    expect(run.stderr).toMatch(/it will be rebuilt/);
    expect(ecr.calls.BatchGetImage).toBe(LOWER.batchGetImage);
    expect(comparable(run.report!)).toEqual(comparable(cold));
    expect(parseDigestCache(await readFile(path, 'utf8'), path).warnings).toEqual([]);
  });
});

test.each([
  // A bucket of 2: the listings of six repositories start in the same tick, so it trips however loaded the machine is.
  ['a rate limit', { ratePerSecond: 10, burst: 2 }],
  ['every 10th call', { everyNth: 10 }],
])('throttling as %s gives the same report', async (_name, throttle) => {
  ecr.setThrottle(throttle);
  try {
    const run = await scan({ concurrency: 16 });
    expect(ecr.calls.throttled).toBeGreaterThan(0);
    expect(comparable(run.report!)).toEqual(comparable(cold));
  } finally {
    ecr.setThrottle(undefined);
  }
});

test('a cache larger than one S3 part is uploaded in parts and reads back whole', async () => {
  const digest = (label: string) => `sha256:${createHash('sha256').update(label).digest('hex')}`;
  const table = new ManifestTable();
  // About 170 bytes a line: 60,000 entries are some 10 MB, more than one 8 MiB part.
  for (let i = 0; i < 60_000; i++) table.set(digest(`m${i}`), { kind: 'image', imageId: digest(`c${i}`), sizeBytes: i });
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: FAKE_AWS_KEYS });
  try {
    const location: CacheLocation = { kind: 's3', bucket: 'cache-bucket', key: 'big/digest-cache.json' };
    expect(await saveCache(location, table, () => client)).toBeUndefined();
    const loaded = await loadCache(location, () => client);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.cache.size).toBe(60_000);
    expect(loaded.cache.peek(digest('m59999'))).toEqual({ kind: 'image', imageId: digest('c59999'), sizeBytes: 59_999 });
  } finally {
    client.destroy();
  }
});
