/**
 * Proves the test-support pieces work together against the real registry and
 * skopeo, so a failing scanner test can be blamed on the scanner, not on its
 * fixtures.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MediaType } from '../../scanner/oci/media-types';
import { freePort } from '../support/free-port';
import { onPath, startGateProxy, type Behaviour } from '../support/gate-proxy';
import {
  ATTESTATION_REFERENCE_DIGEST,
  ATTESTATION_REFERENCE_TYPE,
  buildImage,
  buildIndex,
  sha256Digest,
  withConfig,
  writeOciLayout,
} from '../../emulator/oci-layout';
import { REGISTRY_TEST_PASSWORD, REGISTRY_TEST_USERNAME, startRegistry, type RegistryHandle } from '../support/registry';
import { inspectRaw, pushLayout } from '../support/skopeo';
import { startTokenServer } from '../support/token-server';

interface ManifestJson {
  mediaType?: string;
  config: { mediaType: string; digest: string };
  layers: { mediaType: string; digest: string }[];
}
interface IndexJson {
  mediaType?: string;
  manifests: { digest: string; platform?: { os: string; architecture: string }; annotations?: Record<string, string> }[];
}

const parse = <T>(bytes: Buffer): T => JSON.parse(bytes.toString('utf8')) as T;

const singleSpec = {
  os: 'linux',
  architecture: 'amd64',
  files: [
    { path: 'etc/app/version', content: '1.0.0\n' },
    { path: 'usr/local/bin/app', content: '#!/bin/sh\necho app\n', mode: 0o755 },
  ],
  labels: { 'org.opencontainers.image.title': 'fixture' },
};
const single = buildImage(singleSpec);
const relabelled = withConfig(single, { labels: { 'org.opencontainers.image.title': 'fixture-2' } });
const amd64 = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'etc/platform', content: 'amd64\n' }] });
const arm64 = buildImage({
  os: 'linux',
  architecture: 'arm64',
  variant: 'v8',
  files: [{ path: 'etc/platform', content: 'arm64\n' }],
});
const multi = buildIndex([amd64, arm64], { attest: [amd64] });

let workDir = '';
let layoutDir = '';
let registry: RegistryHandle | undefined;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fixtures-test-'));
  layoutDir = join(workDir, 'layout');
  await writeOciLayout(layoutDir, [
    { tag: 'single', target: single },
    { tag: 'relabelled', target: relabelled },
    { tag: 'multi', target: multi },
  ]);
  registry = await startRegistry();
});

afterAll(async () => {
  try {
    await registry?.stop();
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
});

function reg(): RegistryHandle {
  if (!registry) throw new Error('registry did not start');
  return registry;
}

test('freePort gives a bindable port', async () => {
  const port = await freePort();
  expect(port).toBeGreaterThan(0);
  expect(port).toBeLessThan(65536);
});

test('built images are self-consistent: diff_id is the tar digest, blobs hash to their digests', () => {
  const config = parse<{ rootfs: { diff_ids: string[] }; architecture: string; os: string }>(single.config);
  expect(config.architecture).toBe('amd64');
  expect(config.os).toBe('linux');
  expect(config.rootfs.diff_ids).toEqual([sha256Digest(gunzipSync(single.layers[0].bytes))]);
  for (const b of single.blobs) expect(sha256Digest(b.bytes)).toBe(b.digest);
  expect(sha256Digest(single.config)).toBe(single.configDigest);
  // Deterministic: building the same spec again gives the same image ID and manifest.
  const again = buildImage({ ...singleSpec, files: singleSpec.files.map((f) => ({ ...f })) });
  expect(again.manifestDigest).toBe(single.manifestDigest);
  // Same layers, another config: the case that must not count as "already there".
  expect(relabelled.layers.map((l) => l.digest)).toEqual(single.layers.map((l) => l.digest));
  expect(relabelled.configDigest).not.toBe(single.configDigest);
});

test('the index lists both platforms and a buildx-style attestation for amd64', () => {
  const index = parse<IndexJson>(multi.index);
  expect(index.mediaType).toBe(MediaType.ociIndex);
  expect(index.manifests.map((m) => m.digest)).toEqual([amd64.manifestDigest, arm64.manifestDigest, multi.attestations[0].manifestDigest]);
  const attestation = index.manifests[2];
  expect(attestation.platform).toEqual({ architecture: 'unknown', os: 'unknown' });
  expect(attestation.annotations).toEqual({
    [ATTESTATION_REFERENCE_TYPE]: 'attestation-manifest',
    [ATTESTATION_REFERENCE_DIGEST]: amd64.manifestDigest,
  });
  const manifest = parse<ManifestJson>(multi.attestations[0].manifest);
  expect(manifest.config.mediaType).toBe(MediaType.ociConfig);
  expect(manifest.layers.map((l) => l.mediaType)).toEqual(['application/vnd.in-toto+json']);
});

test('OCI and v2s2 pushes of one image share the config digest but not the manifest digest', async () => {
  const r = reg();
  await pushLayout({ layoutDir, tag: 'single', destination: `${r.host}/fixtures/oci:1` });
  await pushLayout({ layoutDir, tag: 'single', destination: `${r.host}/fixtures/v2s2:1`, format: 'v2s2' });

  const oci = await inspectRaw(`${r.host}/fixtures/oci:1`);
  const v2 = await inspectRaw(`${r.host}/fixtures/v2s2:1`);
  expect(sha256Digest(oci)).toBe(single.manifestDigest);
  expect(sha256Digest(v2)).not.toBe(single.manifestDigest);

  const ociManifest = parse<ManifestJson>(oci);
  const v2Manifest = parse<ManifestJson>(v2);
  expect(ociManifest.mediaType).toBe(MediaType.ociManifest);
  expect(v2Manifest.mediaType).toBe(MediaType.dockerManifest);
  expect(v2Manifest.config.mediaType).toBe(MediaType.dockerConfig);
  expect(ociManifest.config.digest).toBe(single.configDigest);
  expect(v2Manifest.config.digest).toBe(single.configDigest);
});

test('an index pushed with --all keeps its digest and every child, attestation included', async () => {
  const r = reg();
  await pushLayout({ layoutDir, tag: 'multi', destination: `${r.host}/fixtures/multi:1`, all: true });
  const raw = await inspectRaw(`${r.host}/fixtures/multi:1`);
  expect(sha256Digest(raw)).toBe(multi.indexDigest);
  const arm = parse<ManifestJson>(await inspectRaw(`${r.host}/fixtures/multi@${arm64.manifestDigest}`));
  expect(arm.config.digest).toBe(arm64.configDigest);
  const att = await inspectRaw(`${r.host}/fixtures/multi@${multi.attestations[0].manifestDigest}`);
  expect(sha256Digest(att)).toBe(multi.attestations[0].manifestDigest);
});

test('a relabelled image shares layer blobs but not the image ID', async () => {
  const r = reg();
  await pushLayout({ layoutDir, tag: 'relabelled', destination: `${r.host}/fixtures/oci:relabelled` });
  const m = parse<ManifestJson>(await inspectRaw(`${r.host}/fixtures/oci:relabelled`));
  expect(m.layers.map((l) => l.digest)).toEqual(single.layers.map((l) => l.digest));
  expect(m.config.digest).toBe(relabelled.configDigest);
  expect(m.config.digest).not.toBe(single.configDigest);
});

test('an htpasswd registry refuses anonymous access and accepts the sentinel credentials', async () => {
  const credentials = { username: REGISTRY_TEST_USERNAME, password: REGISTRY_TEST_PASSWORD };
  const authed = await startRegistry({ htpasswd: credentials });
  try {
    const anonymous = await fetch(`${authed.url}/v2/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    await anonymous.arrayBuffer();

    await pushLayout({ layoutDir, tag: 'single', destination: `${authed.host}/private/app:1`, credentials });
    const raw = await inspectRaw(`${authed.host}/private/app:1`, { credentials });
    expect(sha256Digest(raw)).toBe(single.manifestDigest);
    await expect(inspectRaw(`${authed.host}/private/app:1`)).rejects.toThrow(/unauthorized|authentication required/i);
  } finally {
    await authed.stop();
  }
});

test('the gate proxy challenges, accepts a token from the token server, and injects faults', async () => {
  const r = reg();
  await pushLayout({ layoutDir, tag: 'single', destination: `${r.host}/gated/app:1` });
  const tokens = await startTokenServer();
  try {
    const gate = await startGateProxy({ upstream: r.url, bearer: tokens });
    try {
      const manifestUrl = `${gate.url}/v2/gated/app/manifests/1`;
      const accept = { Accept: MediaType.ociManifest };

      const challenged = await fetch(manifestUrl, { headers: accept });
      expect(challenged.status).toBe(401);
      await challenged.arrayBuffer();
      const challenge = challenged.headers.get('www-authenticate') ?? '';
      expect(challenge).toBe(`Bearer realm="${tokens.url}/token",service="test-registry",scope="repository:gated/app:pull"`);

      const tokenRes = await fetch(`${tokens.realm}?service=test-registry&scope=${encodeURIComponent('repository:gated/app:pull')}`);
      const body = (await tokenRes.json()) as { token: string; access_token: string; expires_in: number };
      expect(body.token).toBe(body.access_token);
      expect(tokens.issuedCount).toBe(1);

      const ok = await fetch(manifestUrl, { headers: { ...accept, Authorization: `Bearer ${body.token}` } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('docker-content-digest')).toBe(single.manifestDigest);
      expect(sha256Digest(Buffer.from(await ok.arrayBuffer()))).toBe(single.manifestDigest);
      expect(gate.counts).toEqual({ served: 1, challenged: 1 });
      // The record holds the headers as the client sent them, for assertions.
      expect(gate.requests[1].headers.authorization).toBe(`Bearer ${body.token}`);

      // A token for another repository is not enough.
      const otherRepo = await fetch(`${gate.url}/v2/other/app/manifests/1`, {
        headers: { Authorization: `Bearer ${body.token}` },
      });
      expect(otherRepo.status).toBe(401);
      expect(otherRepo.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
      await otherRepo.arrayBuffer();

      const auth = { ...accept, Authorization: `Bearer ${body.token}` };
      // 429 for the first request only, then through.
      gate.setBehaviour(onPath(/\/manifests\//, { kind: 'status', status: 429, headers: { 'Retry-After': '1' } }, { times: 1 }));
      const limited = await fetch(manifestUrl, { headers: auth });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
      await limited.arrayBuffer();
      expect((await fetch(manifestUrl, { headers: auth })).status).toBe(200);

      // Corrupt: headers still claim the right digest, the bytes no longer match it.
      gate.setBehaviour(() => ({ kind: 'corrupt' }));
      const bad = await fetch(manifestUrl, { headers: auth });
      expect(bad.headers.get('docker-content-digest')).toBe(single.manifestDigest);
      const badBytes = Buffer.from(await bad.arrayBuffer());
      expect(badBytes.length).toBe(single.manifest.length);
      expect(sha256Digest(badBytes)).not.toBe(single.manifestDigest);
      expect(() => JSON.parse(badBytes.toString('utf8'))).not.toThrow();

      // Redirect a blob to another origin that records what it received.
      const elsewhere = await startGateProxy({ upstream: r.url });
      try {
        gate.setBehaviour(onPath(/\/blobs\/sha256:/, { kind: 'redirect', toOrigin: elsewhere.url }));
        const blob = await fetch(`${gate.url}/v2/gated/app/blobs/${single.configDigest}`, { headers: auth });
        expect(blob.status).toBe(200);
        expect(sha256Digest(Buffer.from(await blob.arrayBuffer()))).toBe(single.configDigest);
        expect(elsewhere.requests).toHaveLength(1);
        expect(elsewhere.requests[0].headers.authorization).toBeUndefined();
      } finally {
        await elsewhere.stop();
      }
    } finally {
      await gate.stop();
    }
  } finally {
    await tokens.stop();
  }
});

interface RawResponse {
  status?: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  error?: string;
}

/** node:http rather than fetch, so a reset or a short body shows up as an error next to what did arrive. */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let status: number | undefined;
    let got: IncomingHttpHeaders = {};
    const done = (error?: Error): void =>
      resolve({ status, headers: got, body: Buffer.concat(chunks), ...(error ? { error: error.message } : {}) });
    const req = request(url, { headers, agent: false }, (res) => {
      status = res.statusCode;
      got = res.headers;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done());
      res.on('error', done);
    });
    req.on('error', done);
    req.end();
  });
}

test('gate proxy faults and token server modes behave as documented', async () => {
  const r = reg();
  await pushLayout({ layoutDir, tag: 'single', destination: `${r.host}/faults/app:1` });
  const gate = await startGateProxy({ upstream: r.url });
  const tokens = await startTokenServer({ basicAuth: { username: 'robot', password: 'robot-pass' } });
  try {
    const url = `${gate.url}/v2/faults/app/manifests/1`;
    const accept = { Accept: MediaType.ociManifest };
    const withBehaviour = (b: Behaviour): Promise<RawResponse> => {
      gate.setBehaviour(() => b);
      return rawGet(url, accept);
    };

    expect((await withBehaviour({ kind: 'reset' })).error).toMatch(/ECONNRESET|socket hang up/);

    const bare401 = await withBehaviour({ kind: 'unauthorized-no-challenge' });
    expect(bare401.status).toBe(401);
    expect(bare401.headers['www-authenticate']).toBeUndefined();

    expect((await withBehaviour({ kind: 'status', status: 500 })).status).toBe(500);

    const short = await withBehaviour({ kind: 'truncate' });
    expect(short.headers['content-length']).toBe(String(single.manifest.length));
    expect(short.body.length).toBe(Math.floor(single.manifest.length / 2));
    expect(short.error).toBeDefined();
    const chunked = await withBehaviour({ kind: 'truncate', framing: 'chunked' });
    expect(chunked.headers['content-length']).toBeUndefined();
    expect(chunked.error).toBeDefined();

    const huge = await withBehaviour({ kind: 'huge' });
    expect(huge.body.length).toBe(5 * 1024 * 1024);
    expect(huge.headers['docker-content-digest']).toBe(sha256Digest(huge.body));

    expect((await withBehaviour({ kind: 'content-type', contentType: 'text/html' })).headers['content-type']).toBe('text/html');

    const started = Date.now();
    expect((await withBehaviour({ kind: 'delay', ms: 200 })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);

    expect(gate.requests.map((q) => q.outcome)).toEqual([
      'reset',
      'unauthorized-no-challenge',
      'status',
      'truncate',
      'truncate',
      'huge',
      'content-type',
      'delay',
    ]);

    const scope = encodeURIComponent('repository:faults/app:pull');
    const basic = { Authorization: `Basic ${Buffer.from('robot:robot-pass').toString('base64')}` };
    expect((await rawGet(`${tokens.realm}?service=test-registry&scope=${scope}`)).status).toBe(401);
    tokens.setMode('fail', 1);
    expect((await rawGet(`${tokens.realm}?service=test-registry&scope=${scope}`, basic)).status).toBe(500);
    tokens.setMode('no-token');
    const empty = JSON.parse((await rawGet(`${tokens.realm}?scope=${scope}`, basic)).body.toString('utf8')) as object;
    expect(empty).not.toHaveProperty('token');
    expect(empty).not.toHaveProperty('access_token');
    tokens.setMode('ok');
    const issued = await rawGet(`${tokens.realm}?service=test-registry&scope=${scope}`, basic);
    expect(issued.status).toBe(200);
    expect(tokens.issuedCount).toBe(1);
    expect(tokens.requests.map((q) => q.outcome)).toEqual(['unauthorized', 'failed', 'no-token', 'issued']);
  } finally {
    await Promise.allSettled([gate.stop(), tokens.stop()]);
  }
});
