/**
 * Pull economy: registries count manifest GETs as pulls, so a
 * counting front door before a real registry checks what the scanner spends.
 * A tag is resolved with a HEAD; a source whose digest ECR already holds
 * costs no manifest GET; a warm cache costs no GET at all; registries[]
 * agrees with what the registry counted; a 429 with nothing remaining stops
 * every further request to that host.
 */
import { join } from 'node:path';
import { buildImage, buildIndex } from '../../emulator/oci-layout';
import { Report } from '../../scanner/report/report-types';
import { GateProxy, onPath, RecordedRequest, startGateProxy } from '../support/gate-proxy';
import { expectReportInvariants, scanOnce } from '../support/scan-harness';
import { SourceFixture, startSourceFixture } from '../support/source-fixture';

const inEcr = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'a', content: 'in ECR byte for byte\n' }] });
const amd = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'm', content: 'multi amd64\n' }] });
const arm = buildImage({ os: 'linux', architecture: 'arm64', variant: 'v8', files: [{ path: 'm', content: 'multi arm64\n' }] });
const multi = buildIndex([amd, arm], { attest: 'all' });
const notInEcr = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'b', content: 'only in the source\n' }] });

let fixture: SourceFixture;
let front: GateProxy;

beforeAll(async () => {
  fixture = await startSourceFixture({
    name: 'pull-economy',
    pushes: [
      { target: inEcr, to: 'team/same:1' },
      { target: multi, to: 'team/multi:1' },
      { target: notInEcr, to: 'team/other:1' },
    ],
    ecr: [
      { repository: 'team/same', ecrRepository: 'same' },
      { repository: 'team/multi', ecrRepository: 'multi' },
    ],
  });
  front = await startGateProxy({ upstream: fixture.registry.url });
}, 90_000);

afterAll(async () => {
  await front?.stop();
  await fixture?.stop();
});

/** What the registry saw, in the report's terms. */
function counted(requests: readonly RecordedRequest[]) {
  // Looking for signatures and SBOMs (the referrers API, HEADs of the sha256-<hex> tags) is counted apart: it reads no image.
  const referrer = (r: RecordedRequest) => /\/referrers\/|\/manifests\/sha256-/.test(r.path);
  const manifest = (r: RecordedRequest) => /\/manifests\//.test(r.path) && !referrer(r);
  const referrers = requests.filter(referrer).length;
  return {
    manifestHead: requests.filter((r) => r.method === 'HEAD' && manifest(r)).length,
    manifestGet: requests.filter((r) => r.method === 'GET' && manifest(r)).length,
    blobGet: requests.filter((r) => r.method === 'GET' && /\/blobs\//.test(r.path)).length,
    ...(referrers > 0 ? { referrers } : {}),
  };
}

const usage = (report: Report, host: string) => report.registries?.find((r) => r.host === host)?.requests;
const answers = (report: Report) => report.sources.map(({ status, digest, images }) => ({ status, digest, images }));

test('one source, byte-identical in ECR: a HEAD and no manifest GET; registries[] matches the registry count', async () => {
  front.clear();
  const input = `${front.host}/team/same:1\n${front.host}/team/multi:1\n`;
  const run = await scanOnce({ input, ecrEndpoint: fixture.ecr.endpoint });
  expectReportInvariants(run.report!, input);
  expect(run.report!.sources.map((s) => s.status)).toEqual(['present', 'present']);
  expect(run.report!.sources[1]!.images.map((i) => i.platform)).toEqual(['linux/amd64', 'linux/arm64/v8']);
  const seen = counted(front.requests);
  // The index names its children's platforms and ECR holds every child: nothing but the HEAD.
  // The single image needs its config for its platform: one blob GET, no manifest GET.
  // Each source's referrers: one referrers API GET (404: docker-registry lacks it), then four tag-schema HEADs a source.
  expect(seen).toEqual({ manifestHead: 2, manifestGet: 0, blobGet: 1, referrers: 1 + 2 * 4 });
  expect(usage(run.report!, front.host)).toEqual(seen);
});

test('with --cache, a re-scan of unchanged sources makes no manifest or blob GET and gives the same answers', async () => {
  const cache = join(fixture.work, 'cache.json');
  const input = `${front.host}/team/same:1\n${front.host}/team/multi:1\n${front.host}/team/other:1\n`;
  front.clear();
  const cold = await scanOnce({ input, ecrEndpoint: fixture.ecr.endpoint, cacheLocation: { kind: 'file', path: cache } });
  const coldSeen = counted(front.requests);
  expect(coldSeen).toEqual({ manifestHead: 3, manifestGet: 1, blobGet: 2, referrers: 1 + 3 * 4 });
  expect(usage(cold.report!, front.host)).toEqual(coldSeen);

  front.clear();
  const warm = await scanOnce({ input, ecrEndpoint: fixture.ecr.endpoint, cacheLocation: { kind: 'file', path: cache } });
  const warmSeen = counted(front.requests);
  expect(warmSeen).toEqual({ manifestHead: 3, manifestGet: 0, blobGet: 0, referrers: 1 + 3 * 4 });
  expect(usage(warm.report!, front.host)).toEqual(warmSeen);
  expect(answers(warm.report!)).toEqual(answers(cold.report!));
  expect(cold.report!.sources.map((s) => s.status)).toEqual(['present', 'present', 'absent']);
  if (process.env.SHOW_PULL_COUNTS) process.stdout.write(`cold ${JSON.stringify(coldSeen)}\nwarm ${JSON.stringify(warmSeen)}\n`);
});

test('a 429 with nothing remaining stops every request to that host; its sources fail at once, others are scanned', async () => {
  const limited = await startGateProxy({
    upstream: fixture.registry.url,
    behaviour: onPath(/\/v2\/.+/, {
      kind: 'status',
      status: 429,
      headers: { 'RateLimit-Limit': '10;w=3600', 'RateLimit-Remaining': '0;w=3600', 'Retry-After': '3600' },
      body: JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate limit.' }] }),
    }),
  });
  try {
    front.clear();
    const input = [1, 2, 3].map((n) => `${limited.host}/team/other:${n}`).join('\n') + `\n${front.host}/team/other:1\n`;
    const started = Date.now();
    const run = await scanOnce({ input, ecrEndpoint: fixture.ecr.endpoint, concurrency: 1 });
    expectReportInvariants(run.report!, input);
    // One request, refused with nothing remaining: no retry, no Retry-After wait, nothing more to that host.
    expect(limited.requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    const [a, b, c, healthy] = run.report!.sources;
    for (const s of [a, b, c]) {
      expect(s).toMatchObject({ status: 'error', errorKind: 'rate-limited' });
      expect(s!.error).toMatch(
        /pull allowance is spent \(10 a window, 0 remaining; it resets at \d{4}-\d\d-\d\dT.*\); no more requests are sent to it this run/,
      );
    }
    expect(healthy).toMatchObject({ status: 'absent' });
    expect(run.report!.registries!.find((r) => r.host === limited.host)).toEqual({
      host: limited.host,
      requests: { manifestHead: 1, manifestGet: 0, blobGet: 0 },
      rateLimit: { limit: 10, remaining: 0 },
    });
  } finally {
    await limited.stop();
  }
});
