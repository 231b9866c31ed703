/**
 * The plan's byte accounting and ecrDuplicates' freedBytes on hand-made manifests: the
 * contract's terms ("holds", plan order, ACTIVE only) as the numbers must follow them, through
 * the pure functions and through the compact inventory that feeds them.
 */
import { createHash } from 'node:crypto';
import { InventoryStore, RepositoryListing, STATUS_ARCHIVED } from '../../scanner/ecr/inventory-store';
import { BlobDescriptor, ManifestFacts } from '../../scanner/ecr/manifest-facts';
import { ManifestTable } from '../../scanner/ecr/manifest-table';
import { BlobHolder } from '../../scanner/ecr/types';
import { accountTransfer, CopyBlobs, dockerHubWarning } from '../../scanner/plan/transfer';
import { resolveSource } from '../../scanner/source/resolve';
import { PlatformFilter } from '../../scanner/oci/platform';
import { parseReference } from '../../scanner/oci/reference';
import { RegistryClient } from '../../scanner/registry/client';
import { distinctBlobs } from '../support/distinct-blobs';
import { freedBytesIn, RepositoryManifest } from '../support/freed-bytes';

const digest = (label: string) => `sha256:${createHash('sha256').update(label).digest('hex')}`;
const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const MiB = 1024 * 1024;

/** Blobs by label: a base layer shared by many images, an app layer, configs. */
const blob = (label: string, size: number): BlobDescriptor => ({ digest: digest(label), size });
const BASE = blob('base', 30 * MiB);
const RUNTIME = blob('runtime', 8 * MiB);
const APP_V1 = blob('app v1', 2 * MiB);
const APP_V2 = blob('app v2', 3 * MiB);

/** An image manifest's facts: its config of `configSize`, then the layers. */
function imageFacts(config: string, configSize: number, layers: BlobDescriptor[]): ManifestFacts {
  return { kind: 'image', imageId: digest(config), sizeBytes: configSize + layers.reduce((n, l) => n + l.size, 0), layers };
}

interface Place {
  manifest: string;
  facts: ManifestFacts;
  archived?: boolean;
}

/** The real compact inventory over hand-made repositories. */
function storeOf(repositories: Record<string, Place[]>): InventoryStore {
  const manifests = new ManifestTable();
  const store = new InventoryStore(manifests);
  // Archived manifests' facts too, as a digest cache would know them: known, yet holding nothing.
  for (const places of Object.values(repositories)) for (const p of places) manifests.set(digest(p.manifest), p.facts);
  for (const [name, places] of Object.entries(repositories)) {
    const listing = new RepositoryListing(manifests);
    for (const p of places) listing.add(digest(p.manifest), undefined, p.archived ? STATUS_ARCHIVED : 0);
    store.addRepository(name, listing);
  }
  store.finish();
  return store;
}

const copyOf = (targetRepository: string, blobs: BlobDescriptor[], over: Partial<CopyBlobs> = {}): CopyBlobs => ({
  targetRepository,
  made: true,
  blobs: distinctBlobs(blobs),
  pulls: 1,
  sourceRegistry: 'quay.io',
  ...over,
});

const holdersFor = (store: InventoryStore, copies: readonly CopyBlobs[]): BlobHolder[] =>
  store.blobHolders([...new Set(copies.flatMap((c) => c.blobs.map((b) => b.digest)))]);

describe('accountTransfer on the inventory', () => {
  const registry = storeOf({
    // A repository of two releases on one base: the base layer is stored once.
    'team/app': [
      { manifest: 'app 1', facts: imageFacts('cfg app 1', 1000, [BASE, RUNTIME, APP_V1]) },
      { manifest: 'app 2', facts: imageFacts('cfg app 2', 1000, [BASE, RUNTIME, APP_V2]) },
    ],
    // The same base layer in another repository.
    'team/worker': [{ manifest: 'worker', facts: imageFacts('cfg worker', 500, [BASE, blob('worker', MiB)]) }],
    // An archived image listing the runtime layer: archived holds nothing (ACTIVE only).
    'team/old': [{ manifest: 'old', facts: imageFacts('cfg old', 500, [RUNTIME]), archived: true }],
  });

  test('a rebuild into a repository holding its base and runtime uploads only its own layer and config', () => {
    const config = blob('cfg app 3', 1000);
    const copies = [copyOf('team/app', [config, BASE, RUNTIME, blob('app v3', 4 * MiB)])];
    const {
      copies: [numbers],
    } = accountTransfer(copies, holdersFor(registry, copies), REGISTRY);
    expect(numbers).toEqual({
      bytes: 1000 + 30 * MiB + 8 * MiB + 4 * MiB,
      uploadBytes: 1000 + 4 * MiB,
      mountableBytes: 0,
      pulls: 1,
      // Both releases share 38 MiB; the tie goes to the first URI in text order.
      nearest: { uri: `${REGISTRY}/team/app@${[digest('app 1'), digest('app 2')].sort()[0]}`, sharedBytes: 38 * MiB, share: 0.905 },
    });
  });

  test('a blob another repository holds is mountable; one only an archived image lists is uploaded, not mountable', () => {
    const copies = [copyOf('fresh/app', [blob('cfg new', 100), BASE, RUNTIME])];
    const {
      copies: [numbers],
      transfer,
    } = accountTransfer(copies, holdersFor(registry, copies), REGISTRY);
    // BASE is held by team/app and team/worker; RUNTIME by team/app (ACTIVE) too: both mountable.
    expect(numbers).toMatchObject({ uploadBytes: 100 + 38 * MiB, mountableBytes: 38 * MiB });
    const onlyArchived = [copyOf('fresh/app', [blob('cfg new', 100), blob('only archived', 5)])];
    const old = storeOf({ 'team/old': [{ manifest: 'old', facts: imageFacts('cfg old', 5, [blob('only archived', 5)]), archived: true }] });
    expect(old.blobHolders([digest('only archived')])).toEqual([]);
    expect(accountTransfer(onlyArchived, holdersFor(old, onlyArchived), REGISTRY).copies[0]).toEqual({
      bytes: 105,
      uploadBytes: 105,
      mountableBytes: 0,
      pulls: 1,
    });
    expect(transfer).toEqual({
      bytes: 100 + 38 * MiB,
      uploadBytes: 100 + 38 * MiB,
      mountableBytes: 38 * MiB,
      blobMounting: 'unknown',
      pullsBySourceRegistry: { 'quay.io': 1 },
      warnings: [],
    });
  });

  test('two copies into one repository in plan order: the second uploads nothing the first carried; a third elsewhere may mount it', () => {
    const shared = blob('shared new layer', 7 * MiB);
    const copies = [
      copyOf('new/one', [blob('cfg a', 10), shared]),
      copyOf('new/one', [blob('cfg b', 20), shared]),
      copyOf('new/two', [blob('cfg c', 30), shared]),
    ];
    const result = accountTransfer(copies, holdersFor(registry, copies), REGISTRY);
    expect(result.copies.map((c) => [c.uploadBytes, c.mountableBytes])).toEqual([
      [10 + 7 * MiB, 0],
      [20, 0],
      [30 + 7 * MiB, 7 * MiB],
    ]);
    // No ECR image lists any of these blobs: no nearest.
    expect(result.copies.every((c) => c.nearest === undefined)).toBe(true);
    expect(result.transfer).toMatchObject({ uploadBytes: 60 + 14 * MiB, mountableBytes: 7 * MiB });
  });

  test('a copy not made carries nothing forward and is left out of the sums, but says what it would move', () => {
    const layer = blob('conflicted layer', 1000);
    const copies = [copyOf('new/one', [layer], { made: false }), copyOf('new/one', [layer])];
    const result = accountTransfer(copies, [], REGISTRY);
    expect(result.copies.map((c) => c.uploadBytes)).toEqual([1000, 1000]);
    expect(result.transfer).toMatchObject({ bytes: 1000, uploadBytes: 1000, pullsBySourceRegistry: { 'quay.io': 1 } });
  });
});

describe('nearest', () => {
  const holder = (repository: string, manifest: string, blobs: BlobDescriptor[], image = true): BlobHolder => ({
    repository,
    manifestDigest: digest(manifest),
    image,
    blobs: blobs.map((b) => b.digest),
  });

  test('the image sharing the most bytes; share to 3 decimals; an attestation manifest is never named', () => {
    const copies = [copyOf('b', [blob('c', 1), BASE, RUNTIME, APP_V1])];
    const holders = [
      holder('a', 'base only', [BASE]),
      holder('b', 'base and runtime', [BASE, RUNTIME]),
      holder('b', 'attestation', [BASE, RUNTIME, APP_V1], false),
    ];
    const [numbers] = accountTransfer(copies, holders, REGISTRY).copies;
    const bytes = 1 + 40 * MiB;
    expect(numbers!.nearest).toEqual({
      uri: `${REGISTRY}/b@${digest('base and runtime')}`,
      sharedBytes: 38 * MiB,
      share: Math.round((38 * MiB * 1000) / bytes) / 1000,
    });
    expect(numbers!.nearest!.share).toBe(0.95);
    // The attestation's blobs still count as held in b: only the config is uploaded.
    expect(numbers!.uploadBytes).toBe(1);
  });
});

describe('pulls and the Docker Hub warning', () => {
  test('pulls by source registry host, sorted; the warning only past 100 at docker.io', () => {
    const hub = (pulls: number) => copyOf('x', [], { sourceRegistry: 'docker.io', pulls });
    const at100 = accountTransfer([hub(60), hub(40), copyOf('y', [], { pulls: 3 })], [], REGISTRY).transfer;
    expect(at100.pullsBySourceRegistry).toEqual({ 'docker.io': 100, 'quay.io': 3 });
    expect(Object.keys(at100.pullsBySourceRegistry)).toEqual(['docker.io', 'quay.io']);
    expect(at100.warnings).toEqual([]);
    const over = accountTransfer([hub(60), hub(41)], [], REGISTRY).transfer;
    expect(over.warnings).toEqual([dockerHubWarning(101)]);
    expect(over.warnings[0]).toMatch(
      /^docker\.io: 101 manifest pulls; Docker Hub allows 100 per 6 hours anonymous \(per IP\), 200 for a personal account/,
    );
  });

  test('the target settings seam: blobMounting and warnings from outside the inventory come first', () => {
    const hub = copyOf('x', [], { sourceRegistry: 'docker.io', pulls: 101 });
    const { transfer } = accountTransfer([hub], [], REGISTRY, { blobMounting: 'ENABLED', warnings: ['GetAccountSetting was denied'] });
    expect(transfer.blobMounting).toBe('ENABLED');
    expect(transfer.warnings).toEqual(['GetAccountSetting was denied', dockerHubWarning(101)]);
  });
});

describe("a source's blobs and pulls from its resolution", () => {
  test('an index: every platform image read, attestation manifests left out of the blobs but counted as pulls', async () => {
    const index = digest('index');
    const amd = digest('amd64 image');
    const arm = digest('arm64 image');
    const att = digest('attestation');
    const known = new Map<string, ManifestFacts>([
      [
        index,
        {
          kind: 'index',
          children: [
            { digest: amd, platform: 'linux/amd64' },
            { digest: arm, platform: 'linux/arm64' },
            { digest: att, platform: 'unknown/unknown', attestation: true },
          ],
        },
      ],
      [amd, imageFacts('cfg amd', 10, [BASE, APP_V1])],
      [arm, imageFacts('cfg arm', 20, [blob('arm base', 5), APP_V1])],
      [att, imageFacts('cfg att', 1, [blob('in-toto', 999)])],
    ]);
    const result = await resolveSource(
      {
        // Everything is known, so the registry is never asked.
        client: {} as RegistryClient,
        filter: new PlatformFilter([]),
        known: { lookup: (d) => Promise.resolve(known.get(d)), remember: () => undefined },
      },
      parseReference(`quay.io/org/app@${index}`),
    );
    expect(result.ok && result.transfer).toEqual({
      blobs: [blob('cfg amd', 10), BASE, APP_V1, blob('cfg arm', 20), blob('arm base', 5)],
      pulls: 4,
    });
  });
});

describe('freedBytes', () => {
  /** The same repositories as the store sees them and as freedBytesIn does. */
  const repositories: Record<string, Place[]> = {
    // Two builds of one image ID (gzip and zstd) on one base, plus another image on that base.
    app: [
      { manifest: 'gzip', facts: imageFacts('cfg X', 100, [BASE, blob('gzip app', 2000)]) },
      { manifest: 'zstd', facts: imageFacts('cfg X', 100, [blob('zstd base', 900), blob('zstd app', 1500)]) },
      { manifest: 'other', facts: imageFacts('cfg Y', 100, [BASE]) },
      // Archived, listing the zstd base: it does not keep it.
      { manifest: 'archived', facts: imageFacts('cfg Z', 100, [blob('zstd base', 900)]), archived: true },
    ],
    mirror: [{ manifest: 'gzip', facts: imageFacts('cfg X', 100, [BASE, blob('gzip app', 2000)]) }],
  };

  const asPlain = (repository: string): RepositoryManifest[] =>
    repositories[repository]!.map((p) => ({
      manifestDigest: digest(p.manifest),
      active: !p.archived,
      blobs: p.facts.kind !== 'image' ? undefined : [{ digest: p.facts.imageId, size: 100 }, ...p.facts.layers!],
    }));

  test('deleting all but the first location frees, per repository, what no remaining ACTIVE manifest lists', () => {
    const store = storeOf(repositories);
    const [dup] = store.duplicates();
    // Locations sorted by repository, then manifest digest (zstd's sorts first); the first stays.
    expect(dup!.locations.map((l) => `${l.repository}@${l.manifestDigest === digest('gzip') ? 'gzip' : 'zstd'}`)).toEqual([
      'app@zstd',
      'app@gzip',
      'mirror@gzip',
    ]);
    // app: gzip's app layer (config X stays listed by zstd, BASE by other); mirror: all it held.
    const expected = 2000 + (100 + 30 * MiB + 2000);
    expect(dup!.freedBytes).toBe(expected);
    const plain = freedBytesIn(asPlain('app'), new Set([digest('gzip')])) + freedBytesIn(asPlain('mirror'), new Set([digest('gzip')]));
    expect(plain).toBe(expected);
  });

  test('a blob another remaining image of the repository lists is not freed; deleting it too frees it', () => {
    const store = storeOf(repositories);
    const place = (manifest: string) => ({ repository: 'app', manifestDigest: digest(manifest) });
    const deletions = [[place('gzip')], [place('gzip'), place('other')], [place('zstd')]];
    const expected = [
      // gzip alone: its app layer (config X and BASE stay listed by zstd and other).
      2000,
      2000 + 30 * MiB + 100,
      // zstd: its base too, which only an archived manifest lists besides.
      900 + 1500,
    ];
    expect(store.freedBytes(deletions)).toEqual(expected);
    expect(deletions.map((d) => freedBytesIn(asPlain('app'), new Set(d.map((p) => p.manifestDigest))))).toEqual(expected);
  });
});
