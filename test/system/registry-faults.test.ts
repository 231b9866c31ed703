/**
 * Registry faults: each gives `error` for that source with a cause a
 * person understands, or success after retry; never `absent` by mistake.
 * The registry is the real one; faults come from a proxy in front of it.
 */
import { EcrEmulator, startEcrEmulator } from '../../emulator/ecr/emulator';
import { Behaviour, GateProxy, onPath, startGateProxy } from '../support/gate-proxy';
import { buildImage, sha256Digest } from '../../emulator/oci-layout';
import { RegistryHandle } from '../support/registry';
import { expectReportInvariants, scanOnce } from '../support/scan-harness';
import { startTokenServer, TokenServer } from '../support/token-server';
import { MediaType } from '../../scanner/oci/media-types';
import { SourceFixture, startSourceFixture } from '../support/source-fixture';

const image = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'app', content: 'fault-suite\n' }] });

let fixture: SourceFixture;
let registry: RegistryHandle;
let tokens: TokenServer;
let gated: GateProxy; // demands Bearer tokens
let open: GateProxy; // no auth, for faults that must reach the client as they are
let elsewhere: GateProxy; // another origin (localhost vs 127.0.0.1), the redirect target
let ecr: EcrEmulator;
// A manifest is fetched only when ECR lacks its digest (pull economy), so faults of a manifest body meet an ECR that holds nothing.
let emptyEcr: EcrEmulator;

beforeAll(async () => {
  fixture = await startSourceFixture({
    name: 'registry-faults',
    pushes: [{ target: image, to: 'team/app:1' }],
    ecr: [{ repository: 'team/app', ecrRepository: 'app' }],
  });
  ({ registry, ecr } = fixture);
  tokens = await startTokenServer();
  gated = await startGateProxy({ upstream: registry.url, bearer: tokens });
  open = await startGateProxy({ upstream: registry.url });
  elsewhere = await startGateProxy({ upstream: registry.url });
  emptyEcr = await startEcrEmulator({ repositories: {} });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([gated?.stop(), open?.stop(), elsewhere?.stop(), tokens?.stop(), emptyEcr?.stop()]);
  await fixture?.stop();
});

beforeEach(() => {
  for (const proxy of [gated, open, elsewhere]) {
    proxy.setBehaviour(undefined);
    proxy.clear();
  }
  tokens.setMode('ok');
});

const MANIFEST = /\/v2\/team\/app\/manifests\//;
const badManifest = (doc: object): Behaviour => {
  const body = Buffer.from(JSON.stringify(doc));
  return {
    kind: 'status',
    status: 200,
    headers: { 'Content-Type': MediaType.ociManifest, 'Docker-Content-Digest': sha256Digest(body) },
    body,
  };
};

interface FaultCase {
  name: string;
  via: () => GateProxy;
  arrange: () => void;
  timeoutMs?: number;
  /** The fault is in a manifest body, which only a GET reads: scan against an ECR that lacks the image, so the GET is made. */
  needsGet?: boolean;
  /** A message for `error`; undefined when the scan must succeed (after retries). */
  error?: RegExp;
}

const cases: FaultCase[] = [
  {
    name: '401 without a challenge',
    via: () => open,
    arrange: () => open.setBehaviour(onPath(MANIFEST, { kind: 'unauthorized-no-challenge' })),
    error: /401 Unauthorized without an authentication challenge/,
  },
  { name: 'token endpoint fails', via: () => gated, arrange: () => tokens.setMode('fail'), error: /token server .* answered HTTP 500/ },
  { name: 'token endpoint returns no token', via: () => gated, arrange: () => tokens.setMode('no-token'), error: /returned no token/ },
  {
    name: '404 for the tag',
    via: () => gated,
    arrange: () => open.setBehaviour(undefined),
    error: /tag gone not found in .*team\/app \(HTTP 404\)/,
  },
  {
    name: '429 with Retry-After, then success',
    via: () => gated,
    arrange: () => gated.setBehaviour(onPath(MANIFEST, { kind: 'status', status: 429, headers: { 'Retry-After': '1' } }, { times: 1 })),
  },
  {
    name: '500 then success',
    via: () => gated,
    arrange: () => gated.setBehaviour(onPath(MANIFEST, { kind: 'status', status: 500 }, { times: 1 })),
  },
  {
    name: '500 forever',
    via: () => gated,
    arrange: () => gated.setBehaviour(onPath(MANIFEST, { kind: 'status', status: 500 })),
    error: /failed with HTTP 500 after retries/,
  },
  {
    name: 'connection reset once, then success',
    via: () => gated,
    arrange: () => gated.setBehaviour(onPath(MANIFEST, { kind: 'reset' }, { times: 1 })),
  },
  {
    name: 'connection reset every time',
    via: () => gated,
    arrange: () => gated.setBehaviour(onPath(MANIFEST, { kind: 'reset' })),
    error: /connection to .* failed/,
  },
  {
    name: 'a response slower than the timeout',
    via: () => gated,
    timeoutMs: 300,
    arrange: () => gated.setBehaviour(onPath(MANIFEST, { kind: 'delay', ms: 1500 })),
    error: /timed out/,
  },
  {
    name: 'truncated body (connection closed mid-JSON)',
    via: () => gated,
    arrange: () => gated.setBehaviour(onPath(MANIFEST, { kind: 'truncate' })),
    needsGet: true,
    error: /cut short|failed/,
  },
  {
    name: 'truncated JSON in a complete response',
    via: () => gated,
    arrange: () =>
      gated.setBehaviour(
        onPath(MANIFEST, {
          kind: 'status',
          status: 200,
          headers: { 'Content-Type': MediaType.ociManifest },
          body: '{"schemaVersion":2,"config":{"dig',
        }),
      ),
    error: /not valid JSON.*truncated/,
  },
  {
    name: 'manifest bytes that do not hash to the digest',
    via: () => gated,
    arrange: () => gated.setBehaviour(onPath(MANIFEST, { kind: 'corrupt' })),
    needsGet: true,
    error: /do not hash to sha256:/,
  },
  {
    name: 'a manifest over the size cap',
    via: () => gated,
    arrange: () => gated.setBehaviour(onPath(MANIFEST, { kind: 'huge' })),
    error: /over the 4194304-byte limit/,
  },
  {
    name: 'a manifest over the cap without Content-Length',
    via: () => gated,
    arrange: () => gated.setBehaviour(onPath(MANIFEST, { kind: 'huge', declareLength: false })),
    error: /over the 4194304-byte limit/,
  },
  {
    name: 'an unknown media type',
    via: () => gated,
    arrange: () =>
      gated.setBehaviour(onPath(MANIFEST, badManifest({ schemaVersion: 2, mediaType: 'application/vnd.example.unknown+json' }))),
    error: /unsupported manifest media type "application\/vnd.example.unknown\+json"/,
  },
  {
    name: 'a schema 1 manifest',
    via: () => gated,
    arrange: () => gated.setBehaviour(onPath(MANIFEST, badManifest({ schemaVersion: 1, name: 'team/app', tag: '1', fsLayers: [] }))),
    error: /schema 1/,
  },
  {
    name: 'a registry that refuses HEAD (405): the tag is resolved with a GET',
    via: () => gated,
    arrange: () => gated.setBehaviour(onPath(MANIFEST, { kind: 'status', status: 405 }, { method: 'HEAD' })),
  },
  {
    name: 'a HEAD without Docker-Content-Digest: the tag is resolved with a GET',
    via: () => gated,
    arrange: () =>
      gated.setBehaviour(
        onPath(MANIFEST, { kind: 'status', status: 200, headers: { 'Content-Type': MediaType.ociManifest } }, { method: 'HEAD' }),
      ),
  },
  {
    name: 'a redirect to another host (Authorization must not follow)',
    via: () => gated,
    arrange: () => gated.setBehaviour(onPath(MANIFEST, { kind: 'redirect', toOrigin: `http://localhost:${elsewhere.port}` })),
  },
];

describe.each(cases)('$name', (c) => {
  test(c.error ? 'is an error with a cause a person understands' : 'succeeds after retry', async () => {
    c.arrange();
    const tag = c.name === '404 for the tag' ? 'gone' : '1';
    const input = `# one source\n${c.via().host}/team/app:${tag}\n`;
    const run = await scanOnce({
      input,
      ecrEndpoint: (c.needsGet ? emptyEcr : ecr).endpoint,
      ...(c.timeoutMs ? { timeoutMs: c.timeoutMs } : {}),
    });
    const report = run.report!;
    expectReportInvariants(report, input);
    const [source] = report.sources;
    if (c.error) {
      expect(run.exitCode).toBe(1);
      expect(source).toMatchObject({ line: 2, status: 'error', images: [] });
      expect(source!.error).toMatch(c.error);
    } else {
      expect(run.exitCode).toBe(0);
      expect(source).toMatchObject({ status: c.needsGet ? 'absent' : 'present', images: [{ imageId: image.configDigest }] });
    }
    // A fault never becomes an answer: status is error, or the real comparison.
    expect(source!.status === 'error' ? Boolean(c.error) : !c.error).toBe(true);
    if (process.env.SHOW_FAULT_MESSAGES) process.stdout.write(`${c.name}: ${source!.error ?? 'ok'}\n`);
  });
});

test('Retry-After is honoured before the retry', async () => {
  gated.setBehaviour(onPath(MANIFEST, { kind: 'status', status: 429, headers: { 'Retry-After': '1' } }, { times: 1 }));
  const started = Date.now();
  const run = await scanOnce({ input: `${gated.host}/team/app:1\n`, ecrEndpoint: ecr.endpoint });
  expect(run.exitCode).toBe(0);
  const manifestRequests = gated.requests.filter((r) => MANIFEST.test(r.path) && r.outcome !== 'challenged');
  expect(manifestRequests.length).toBeGreaterThanOrEqual(2);
  expect(Date.now() - started).toBeGreaterThanOrEqual(950);
});

test('Authorization is sent to the registry but not to the redirect target on another origin', async () => {
  gated.setBehaviour(onPath(MANIFEST, { kind: 'redirect', toOrigin: `http://localhost:${elsewhere.port}` }));
  const run = await scanOnce({ input: `${gated.host}/team/app:1\n`, ecrEndpoint: ecr.endpoint });
  expect(run.report!.sources[0]!.status).toBe('present');
  const redirected = gated.requests.filter((r) => r.outcome === 'redirect');
  expect(redirected.length).toBeGreaterThan(0);
  expect(redirected.every((r) => typeof r.headers.authorization === 'string')).toBe(true);
  expect(elsewhere.requests.length).toBeGreaterThan(0);
  expect(elsewhere.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
});

test('one token per repository scope, shared by concurrent requests', async () => {
  const input = [
    `${gated.host}/team/app:1`,
    `${gated.host}/team/app@${image.manifestDigest}`,
    `${gated.host}/team/app:1@${image.manifestDigest}`,
  ].join('\n');
  const before = tokens.requests.length;
  const run = await scanOnce({ input, ecrEndpoint: ecr.endpoint, concurrency: 8 });
  expect(run.report!.summary).toMatchObject({ sources: 3, present: 3 });
  expect(tokens.requests.length - before).toBe(1);
  // Each digest at most once per run: the manifest by digest and the config blob.
  const served = gated.requests.filter((r) => r.outcome !== 'challenged').map((r) => r.path);
  expect(served.filter((p) => p === `/v2/team/app/manifests/${image.manifestDigest}`).length).toBeLessThanOrEqual(1);
  expect(served.filter((p) => p === `/v2/team/app/blobs/${image.configDigest}`)).toHaveLength(1);
});
