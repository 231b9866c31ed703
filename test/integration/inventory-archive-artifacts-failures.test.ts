/**
 * The inventory against an ECR as accounts hold it in 2026, the SDK against the emulator: images of
 * every storage class, signatures/SBOMs/charts beside images, BatchGetImage failure codes, tag
 * mutability with exclusion filters.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { inventoryEcr } from '../../scanner/ecr/inventory';
import { ManifestTable } from '../../scanner/ecr/manifest-table';
import { EcrInventory } from '../../scanner/ecr/types';
import { indexInventory, matchImages, statusOf } from '../../scanner/match/match';
import {
  ArtifactType,
  cosignSignature,
  EcrEmulator,
  EcrStoreContent,
  EMPTY_CONFIG,
  helmChart,
  notationSignature,
  spdxSbom,
  startEcrEmulator,
} from '../../emulator/ecr/emulator';
import { EMULATOR_CREDENTIALS, fakeBlob, imageManifest } from '../support/emulator-content';

const signed = imageManifest('signed', true, ['v1']);
const archived = imageManifest('archived', true, ['old']);
const kms = imageManifest('kms', true, ['kms']);
const upstream = imageManifest('upstream', false, ['up']);
const novel = imageManifest('novel', true, ['new']);
const chart = helmChart('web', '1.2.0');
const signatures = [notationSignature(signed), cosignSignature(signed), spdxSbom(signed), notationSignature(archived)];

function content(): EcrStoreContent {
  return {
    'team/app': [signed, archived, kms, upstream, novel, ...signatures],
    mirror: [{ ...signed, tags: ['copy'] }],
    'charts/web': [chart],
    'charts/web-copy': [chart],
  };
}

let ecr: EcrEmulator;
let client: ECRClient;

beforeEach(async () => {
  ecr = await startEcrEmulator({ repositories: content() });
  ecr.store.setImageStatus('team/app', archived.digest, 'ARCHIVED');
  ecr.store.setImageStatus('mirror', signed.digest, 'ARCHIVED');
  // The archived image's signature went to the archive with it.
  ecr.store.setImageStatus('team/app', signatures[3]!.digest, 'ARCHIVED');
  ecr.store.setImageFailure('team/app', kms.digest, 'KmsError');
  ecr.store.setImageFailure('team/app', upstream.digest, 'UpstreamUnavailable');
  ecr.store.setImageFailure('team/app', novel.digest, 'ACodeNotYetInvented');
  ecr.store.setTagMutability('team/app', 'IMMUTABLE_WITH_EXCLUSION', ['latest', 'dev-*']);
  client = new ECRClient({ region: 'us-east-1', credentials: EMULATOR_CREDENTIALS, endpoint: ecr.endpoint, maxAttempts: 1 });
});
afterEach(async () => {
  client.destroy();
  await ecr.stop();
});

const read = (cache?: ManifestTable): Promise<EcrInventory> => inventoryEcr({ client, concurrency: 4, ...(cache ? { cache } : {}) });
const askedFor = (digest: string) =>
  ecr.log.some(
    (c) => c.operation === 'BatchGetImage' && (c.input.imageIds as Array<{ imageDigest?: string }>).some((i) => i.imageDigest === digest),
  );

test('every storage class is listed; an archived place says so and is never asked for', async () => {
  const inventory = await read();
  // Every image of every class listed, and which are archived described: one call of each per repository here.
  const filters = (operation: string) =>
    ecr.log.filter((c) => c.operation === operation).map((c) => (c.input.filter as { imageStatus?: string }).imageStatus);
  expect(filters('ListImages')).toEqual(Array(4).fill('ANY'));
  expect(filters('DescribeImages')).toEqual(Array(4).fill('ARCHIVED'));
  expect(inventory.registry.images).toBe(9 + 1 + 2);
  expect(askedFor(archived.digest)).toBe(false);
  // The mirror's copy is archived, but the same manifest was read in team/app: it is compared, and marked.
  const copies = inventory.queries.imagesWithId(fakeBlob('config signed')).map((i) => [i.repository, i.imageStatus]);
  expect(copies.sort()).toEqual([
    ['mirror', 'ARCHIVED'],
    ['team/app', undefined],
  ]);
  // The unique archived image is unread: it is found by its manifest digest, and counted as not compared.
  expect(inventory.queries.unreadWithDigest(archived.digest)).toEqual([
    { repository: 'team/app', manifestDigest: archived.digest, tags: ['old'], imageStatus: 'ARCHIVED' },
  ]);
  expect(inventory.registry.counts).toMatchObject({ archived: 3, activating: 0, notCompared: 1 });
});

test('a source held only archived is present, its match marked ARCHIVED', async () => {
  const inventory = await read();
  const source = { platform: 'linux/amd64', manifestDigest: archived.digest, imageId: fakeBlob('config archived') };
  const [matched] = matchImages([source], indexInventory([inventory]));
  expect(statusOf([matched!])).toBe('present');
  expect(matched!.matches).toEqual([
    expect.objectContaining({
      repository: 'team/app',
      matchedBy: 'manifest',
      imageStatus: 'ARCHIVED',
      imageId: fakeBlob('config archived'),
    }),
  ]);
});

test('the digest cache knows an archived manifest: it is compared by image ID without a read', async () => {
  const cache = new ManifestTable();
  cache.load(archived.digest, { kind: 'image', imageId: fakeBlob('config archived'), sizeBytes: 1329 });
  const inventory = await read(cache);
  expect(inventory.queries.imagesWithId(fakeBlob('config archived'))).toEqual([
    {
      repository: 'team/app',
      manifestDigest: archived.digest,
      imageId: fakeBlob('config archived'),
      tags: ['old'],
      imageStatus: 'ARCHIVED',
    },
  ]);
  expect(inventory.registry.counts.notCompared).toBe(0);
  expect(inventory.queries.unreadWithDigest(archived.digest)).toEqual([]);
});

test('signatures, SBOMs and charts are artifacts: counted by kind, never image duplicates, referrers known by subject', async () => {
  const inventory = await read();
  // Before: every empty-config referrer shared one "image ID" and made one giant duplicate.
  expect(inventory.queries.imagesWithId(EMPTY_CONFIG.digest)).toEqual([]);
  expect(inventory.queries.imagesWithId(fakeBlob('helm config web 1.2.0'))).toEqual([]);
  expect(inventory.queries.duplicates().map((d) => d.imageId)).toEqual([fakeBlob('config signed')]);
  expect(inventory.queries.duplicates()[0]!.locations.map((l) => l.imageStatus)).toEqual(['ARCHIVED', undefined]);
  expect(inventory.registry.counts.kinds).toEqual({ image: 2, index: 0, artifact: 6, other: 0, unknown: 4 });
  const referrers = inventory.queries.referrersOf(signed.digest);
  expect(referrers.map((r) => r.artifactType).sort()).toEqual(
    [ArtifactType.cosignBundle, ArtifactType.notationSignature, ArtifactType.spdxSbom].sort(),
  );
  expect(referrers.every((r) => r.repository === 'team/app')).toBe(true);
  // The archived signature cannot be read: DescribeImages of the archived images names it and its subject.
  expect(inventory.queries.referrersOf(archived.digest)).toEqual([
    { repository: 'team/app', digest: signatures[3]!.digest, artifactType: ArtifactType.notationSignature },
  ]);
  expect(askedFor(signatures[3]!.digest)).toBe(false);
  // Active artifacts are told by their manifests (artifactType, config type, subject).
  for (const artifact of [chart, ...signatures.slice(0, 3)]) expect(askedFor(artifact.digest)).toBe(true);
});

test('BatchGetImage failures never abort and never delete: counted by code and named', async () => {
  const warnings: string[] = [];
  const inventory = await inventoryEcr({ client, concurrency: 2, onWarning: (w) => warnings.push(w) });
  expect(inventory.registry.counts.unreadable).toEqual({
    count: 3,
    byCode: { KmsError: 1, UpstreamUnavailable: 1, ACodeNotYetInvented: 1 },
    images: expect.arrayContaining([
      { repository: 'team/app', manifestDigest: kms.digest, failureCode: 'KmsError' },
      { repository: 'team/app', manifestDigest: upstream.digest, failureCode: 'UpstreamUnavailable' },
      { repository: 'team/app', manifestDigest: novel.digest, failureCode: 'ACodeNotYetInvented' },
    ]),
  });
  // Still in ECR: a source of the same manifest digest is found there.
  expect(inventory.queries.unreadWithDigest(kms.digest)).toHaveLength(1);
  expect(warnings.join('\n')).toMatch(/3 ECR image\(s\) could not be read \(KmsError: 1, UpstreamUnavailable: 1, ACodeNotYetInvented: 1\)/);
});

test('an image archived between the listing and the read is ImageInaccessible: kept, counted; a deleted one is dropped', async () => {
  ecr.onCall('BatchGetImage', (call) => {
    if (call.input.repositoryName !== 'team/app') return;
    ecr.store.setImageStatus('team/app', signed.digest, 'ARCHIVED');
    ecr.store.deleteImage('team/app', kms.digest);
  });
  const inventory = await read();
  expect(inventory.registry.counts.unreadable.byCode).toEqual({ ImageInaccessible: 1, UpstreamUnavailable: 1, ACodeNotYetInvented: 1 });
  expect(inventory.queries.unreadWithDigest(kms.digest)).toEqual([]);
  expect(inventory.queries.unreadWithDigest(signed.digest).map((u) => u.repository)).toContain('team/app');
});

test("a repository's tag mutability and exclusion filters come from DescribeRepositories", async () => {
  const inventory = await read();
  expect(inventory.queries.tagMutability('team/app')).toEqual({
    mutability: 'IMMUTABLE_WITH_EXCLUSION',
    exclusionFilters: ['latest', 'dev-*'],
  });
  expect(inventory.queries.tagMutability('mirror')).toEqual({ mutability: 'MUTABLE', exclusionFilters: [] });
  expect(inventory.queries.tagMutability('not-there')).toBeUndefined();
});

describe('an ECR endpoint without the archive storage class gives the answers of an ECR of ACTIVE images only', () => {
  // Three repositories of small pages, so a DescribeImages that was not stopped would page.
  const plainContent = (): EcrStoreContent => ({
    'team/app': [signed, kms, novel, archived],
    mirror: [{ ...signed, tags: ['copy'] }],
    other: [imageManifest('other', true, ['1'])],
  });

  for (const archiveClass of ['filter-ignored', 'filter-refused'] as const) {
    test(`${archiveClass}: every image ACTIVE and compared, said once, and no archived image invented`, async () => {
      const old = await startEcrEmulator({ repositories: plainContent(), archiveClass, pageSize: { DescribeImages: 1 } });
      const oldClient = new ECRClient({ region: 'us-east-1', credentials: EMULATOR_CREDENTIALS, endpoint: old.endpoint, maxAttempts: 1 });
      const warnings: string[] = [];
      try {
        const inventory = await inventoryEcr({ client: oldClient, concurrency: 1, onWarning: (m) => warnings.push(m) });
        expect(inventory.registry.counts).toMatchObject({ archived: 0, activating: 0, notCompared: 0, archiveClass: 'unsupported' });
        expect(warnings.filter((w) => w.includes('archive storage class'))).toHaveLength(1);
        // Before: every image was counted archived, never read, and a source matched by image ID was "absent".
        const copies = inventory.queries.imagesWithId(fakeBlob('config signed'));
        expect(copies.map((i) => [i.repository, i.imageStatus]).sort()).toEqual([
          ['mirror', undefined],
          ['team/app', undefined],
        ]);
        expect(inventory.queries.imagesWithId(fakeBlob('config archived'))).toHaveLength(1);
        expect(inventory.registry.images).toBe(6);
        // Once the endpoint has shown it, no repository is described again, and one page at most was read.
        expect(old.log.filter((c) => c.operation === 'DescribeImages').length).toBeLessThanOrEqual(1);
        const listings = old.log.filter((c) => c.operation === 'ListImages');
        if (archiveClass === 'filter-refused') {
          // The first listing was refused and repeated without the filter; every later one went without it.
          expect(listings.filter((c) => c.input.filter !== undefined)).toHaveLength(1);
          expect(listings.filter((c) => c.input.filter === undefined)).toHaveLength(3);
        }
      } finally {
        oldClient.destroy();
        await old.stop();
      }
    });
  }

  test('an image ECR describes as ACTIVE under the ARCHIVED filter is taken as ACTIVE (the per-image field decides)', async () => {
    const inventory = await read();
    // The emulator of a current ECR answers each image's imageStatus: the archived ones are those it names.
    expect(inventory.registry.counts).toMatchObject({ archived: 3 });
    expect(inventory.registry.counts.archiveClass).toBeUndefined();
  });
});
