/**
 * The migration plan end to end: the scan fixtures through the real CLI give
 * the exact plan.json; copy.sh runs for real (skopeo) into a second
 * docker-registry standing in for ECR; a re-scan with that registry's images
 * listed in the ECR emulator finds every copied source present.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { MigrationPlanJson } from '../../scanner/plan/plan-json';
import { Report } from '../../scanner/report/report-types';
import { EcrEmulator, EcrStoreContent, loadFromRegistry, startEcrEmulator } from '../../emulator/ecr/emulator';
import { RegistryHandle, startRegistry } from '../support/registry';
import { CliRun, FAKE_AWS_KEYS, runCli, runProcess, standInEnv } from '../support/run-cli';
import { S3ServerHandle, startS3Server } from '../support/s3-server';
import { inspectRaw, skopeoSandboxEnv } from '../support/skopeo';
import {
  ACCOUNT,
  ECR_HOST,
  lonely,
  partAmd,
  partArm,
  partial,
  pushScenarios,
  relabelled,
  SCENARIO_ECR_MAPPING,
} from '../support/scenario-images';
import { BuiltImage } from '../../emulator/oci-layout';

// The scenarios' input, and two lines more: a stale pin that claims lonely:1 with another image, and a digest-only source.
const INPUT = [
  '# sources to migrate',
  'SRC/same:oci',
  'SRC/twin:1',
  'SRC/lonely:1',
  'SRC/partial:1',
  'SRC/full:1',
  'SRC/relabelled:1',
  'Not A Reference',
  'SRC/lonely:no-such-tag',
  'SRC/twin:1   # the same reference again',
  `SRC/lonely:1@${relabelled.manifestDigest}`,
  `SRC/relabelled@${relabelled.manifestDigest}`,
  '',
].join('\n');

let work = '';
let registry: RegistryHandle | undefined;
let target: RegistryHandle | undefined;
let ecr: EcrEmulator | undefined;
let s3: S3ServerHandle | undefined;
let run: CliRun;
let plan: MigrationPlanJson;
let runReport = '';
let host = '';
const out = () => join(work, 'out');

function withTargetRepositories(content: EcrStoreContent): EcrStoreContent {
  // The target prefix's relabelled repository exists before the migration (and is empty).
  return { 'migrated/src/relabelled': [], ...content };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'plan-copy-'));
  [registry, target] = await Promise.all([startRegistry(), startRegistry()]);
  host = registry.host;
  // So that src/lonely@<relabelled digest> resolves: an older build once pushed under that name.
  await pushScenarios(work, host, [['relabelled', 'src/lonely:stale']]);

  ecr = await startEcrEmulator({
    accountId: ACCOUNT,
    repositories: withTargetRepositories(await loadFromRegistry(registry.url, SCENARIO_ECR_MAPPING)),
  });
  s3 = await startS3Server(['reports'], [FAKE_AWS_KEYS]);
  const input = join(work, 'input.txt');
  await writeFile(input, INPUT.replace(/SRC\//g, `${host}/src/`));
  run = await runCli(
    ['--input', input, '--out', out(), '--s3-uri', 's3://reports/run-1', '--target-prefix', 'migrated/'],
    standInEnv({ home: work, ecrEndpoint: ecr.endpoint, s3Endpoint: s3.endpoint }),
  );
  plan = JSON.parse(await readFile(join(out(), 'plan.json'), 'utf8')) as MigrationPlanJson;
  runReport = await readFile(join(out(), 'report.json'), 'utf8');
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([registry?.stop(), target?.stop(), ecr?.stop(), s3?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

/** An image's blobs, as its manifest lists them: the config and the layers. */
const layerBytesOf = (image: BuiltImage) => image.layers.reduce((n, l) => n + l.size, 0);
const bytesOf = (image: BuiltImage) => image.config.length + layerBytesOf(image);
const nearest = (uri: unknown, sharedBytes: number, bytes: number) => ({
  uri,
  sharedBytes,
  share: Math.round((sharedBytes / bytes) * 1000) / 1000,
});

test('the scan fixtures give exactly this plan', () => {
  expect(run.code).toBe(1); // the two error lines
  const src = (path: string) => `${host}/src/${path}`;
  // The mirror's manifest is same's converted to Docker v2s2 by the push: its digest is the report's match of line 2.
  const mirror = (JSON.parse(runReport) as Report).sources
    .find((s) => s.line === 2)!
    .images[0]!.matches.find((m) => m.repository === 'mirror')!;
  const nearMirror = nearest(`${ECR_HOST}/mirror@${mirror.manifestDigest}`, layerBytesOf(relabelled), bytesOf(relabelled));
  const base = { status: 'absent', platforms: ['linux/amd64'] };
  expect(plan).toEqual({
    schemaVersion: 1,
    target: { registry: ECR_HOST, prefix: 'migrated' },
    copies: [
      {
        line: 4,
        input: src('lonely:1'),
        reference: src('lonely:1'),
        sourceDigest: lonely.manifestDigest,
        ...base,
        platforms: ['linux/arm64/v8'],
        targetRepository: 'migrated/src/lonely',
        targetTag: '1',
        repositoryExists: false,
        conflict: `migrated/src/lonely:1 is also claimed with another image by line 11 (${src(`lonely:1@${relabelled.manifestDigest}`)})`,
        // Not made, but it says what it would move: ECR holds none of its blobs.
        bytes: bytesOf(lonely),
        uploadBytes: bytesOf(lonely),
        mountableBytes: 0,
        pulls: 1,
      },
      {
        line: 5,
        input: src('partial:1'),
        reference: src('partial:1'),
        sourceDigest: partial.indexDigest,
        status: 'partial',
        platforms: ['linux/arm64/v8'],
        targetRepository: 'migrated/src/partial',
        targetTag: '1',
        repositoryExists: false,
        // Both platform images (attestations left out) into a new repository; ECR's partial repository holds the amd64 one.
        bytes: bytesOf(partAmd) + bytesOf(partArm),
        uploadBytes: bytesOf(partAmd) + bytesOf(partArm),
        mountableBytes: bytesOf(partAmd),
        // The index, then each of its children, attestation manifests included.
        pulls: 1 + (JSON.parse(partial.index.toString('utf8')) as { manifests: unknown[] }).manifests.length,
        nearest: nearest(`${ECR_HOST}/partial@${partAmd.manifestDigest}`, bytesOf(partAmd), bytesOf(partAmd) + bytesOf(partArm)),
      },
      {
        line: 7,
        input: src('relabelled:1'),
        reference: src('relabelled:1'),
        sourceDigest: relabelled.manifestDigest,
        ...base,
        targetRepository: 'migrated/src/relabelled',
        targetTag: '1',
        repositoryExists: true,
        // Its layer is same's, which ECR's mirror holds (re-pushed as Docker v2s2, the layer blob unchanged); its config is new.
        bytes: bytesOf(relabelled),
        uploadBytes: bytesOf(relabelled),
        mountableBytes: layerBytesOf(relabelled),
        pulls: 1,
        nearest: nearMirror,
      },
      {
        line: 11,
        input: src(`lonely:1@${relabelled.manifestDigest}`),
        reference: src(`lonely:1@${relabelled.manifestDigest}`),
        sourceDigest: relabelled.manifestDigest,
        ...base,
        targetRepository: 'migrated/src/lonely',
        targetTag: '1',
        repositoryExists: false,
        conflict: `migrated/src/lonely:1 is also claimed with another image by line 4 (${src('lonely:1')})`,
        // Line 7, earlier in the plan, carries every blob of this image into another repository.
        bytes: bytesOf(relabelled),
        uploadBytes: bytesOf(relabelled),
        mountableBytes: bytesOf(relabelled),
        pulls: 1,
        nearest: nearMirror,
      },
      {
        line: 12,
        input: src(`relabelled@${relabelled.manifestDigest}`),
        reference: src(`relabelled@${relabelled.manifestDigest}`),
        sourceDigest: relabelled.manifestDigest,
        ...base,
        targetRepository: 'migrated/src/relabelled',
        targetTag: null,
        repositoryExists: true,
        // Line 7 carries the same image into this very repository first: nothing left to upload.
        bytes: bytesOf(relabelled),
        uploadBytes: 0,
        mountableBytes: 0,
        pulls: 1,
        nearest: nearMirror,
      },
    ],
    createRepositories: ['migrated/src/partial'],
    // Sums over the copies made (lines 5, 7 and 12); BLOB_MOUNTING is the emulator's default.
    transfer: {
      bytes: bytesOf(partAmd) + bytesOf(partArm) + 2 * bytesOf(relabelled),
      uploadBytes: bytesOf(partAmd) + bytesOf(partArm) + bytesOf(relabelled),
      mountableBytes: bytesOf(partAmd) + layerBytesOf(relabelled),
      blobMounting: 'DISABLED',
      pullsBySourceRegistry: { [host]: plan.copies[1]!.pulls + 2 },
      warnings: [],
    },
    // The loopback sources are no pull-through cache upstream.
    pullThroughCache: { rules: [] },
  });
});

test('plan.json, copy.sh, regsync.yml and report.html are written and uploaded, report.html as text/html; charset=utf-8', async () => {
  const client = new S3Client({ region: 'us-east-1', endpoint: s3!.endpoint, forcePathStyle: true, credentials: FAKE_AWS_KEYS });
  try {
    for (const name of ['plan.json', 'copy.sh', 'regsync.yml', 'report.html']) {
      const got = await client.send(new GetObjectCommand({ Bucket: 'reports', Key: `run-1/${name}` }));
      expect(await got.Body!.transformToString()).toBe(await readFile(join(out(), name), 'utf8'));
      if (name === 'report.html') expect(got.ContentType).toBe('text/html; charset=utf-8');
    }
  } finally {
    client.destroy();
  }
  const regsync = await readFile(join(out(), 'regsync.yml'), 'utf8');
  expect(regsync).toContain(
    `  - source: "${host}/src/partial@${partial.indexDigest}"\n    target: "${ECR_HOST}/migrated/src/partial:1"\n    type: image\n`,
  );
  expect(regsync.match(/^ {2}- source: /gm)).toHaveLength(3);
});

/** skopeo sealed in a temp dir, as test/support/skopeo.ts runs it: no $HOME, /etc/containers or /var/lib/containers state. */
test('copy.sh copies for real into a stand-in registry, then a re-scan finds every copied source present', async () => {
  const copy = await runProcess('bash', [join(out(), 'copy.sh')], {
    cwd: work,
    env: {
      ...(await skopeoSandboxEnv(join(work, 'skopeo'))),
      TARGET_REGISTRY: target!.host,
      SKOPEO_FLAGS: '--insecure-policy --src-tls-verify=false --dest-tls-verify=false --quiet',
      CREATE_REPOSITORIES: '0',
    },
    timeoutMs: 120_000,
  });
  if (copy.code !== 0) process.stdout.write(`${copy.stdout}\n${copy.stderr}`);
  expect(copy.code).toBe(0);
  expect(copy.stdout).toContain('copy.sh: 3 of 3 copies made');

  // Digests preserved: the whole index (attestations included), and the digest-only copy by digest.
  const raw = (ref: string) => inspectRaw(`${target!.host}/${ref}`);
  expect((await raw('migrated/src/partial:1')).equals(partial.index)).toBe(true);
  expect((await raw('migrated/src/relabelled:1')).equals(relabelled.manifest)).toBe(true);
  expect((await raw(`migrated/src/relabelled@${relabelled.manifestDigest}`)).equals(relabelled.manifest)).toBe(true);
  await expect(raw('migrated/src/lonely:1')).rejects.toThrow(); // in conflict: not copied

  const migrated = await loadFromRegistry(target!.url, [{ repository: 'migrated/src/partial' }, { repository: 'migrated/src/relabelled' }]);
  const after = await startEcrEmulator({
    accountId: ACCOUNT,
    repositories: { ...(await loadFromRegistry(registry!.url, SCENARIO_ECR_MAPPING)), ...migrated },
  });
  try {
    const rescanOut = join(work, 'rescan');
    const rescanRun = await runCli(
      ['--input', join(work, 'input.txt'), '--out', rescanOut, '--target-prefix', 'migrated', '--quiet'],
      standInEnv({ home: work, ecrEndpoint: after.endpoint }),
    );
    expect(rescanRun.code).toBe(1);
    const written = async (name: string) => readFile(join(rescanOut, name), 'utf8');
    const rescan = { report: JSON.parse(await written('report.json')) as Report };
    const status = (line: number) => rescan.report.sources.find((s) => s.line === line)!.status;
    for (const copied of plan.copies.filter((c) => c.conflict === undefined))
      expect([copied.line, status(copied.line)]).toEqual([copied.line, 'present']);
    // Line 11 pinned the relabelled image, which line 7's copy brought: present now. Line 4 was not copied.
    expect([status(4), status(11)]).toEqual(['absent', 'present']);
    const relabelledMatch = rescan.report.sources.find((s) => s.line === 7)!.images[0]!.matches[0]!;
    expect(relabelledMatch).toMatchObject({ uri: `${ECR_HOST}/migrated/src/relabelled:1`, matchedBy: 'manifest' });
    // The new plan holds only what is still missing, and with its rival gone lonely:1 is no longer in conflict.
    const again = JSON.parse(await written('plan.json')) as MigrationPlanJson;
    expect(again.copies).toEqual([expect.objectContaining({ line: 4, targetRepository: 'migrated/src/lonely', targetTag: '1' })]);
    expect(again.copies[0]!.conflict).toBeUndefined();
    expect(again.createRepositories).toEqual(['migrated/src/lonely']);
    expect(rescan.report.summary).toEqual({ sources: 10, present: 7, partial: 0, absent: 1, error: 2 });
  } finally {
    await after.stop();
  }
}, 180_000);
