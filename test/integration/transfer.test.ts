/**
 * The byte accounting against the ECR emulator: layered manifests read through BatchGetImage (the
 * emulator serves the manifests' own layer descriptors), the plan's numbers and freedBytes from that
 * inventory, the same after a re-scan from the digest cache, and the synthetic registry's layer
 * sharing the bench relies on.
 */
import { EcrImage, EcrStoreContent, manifestImage, sha256Digest, syntheticStore } from '../../emulator/ecr/emulator';
import { SyntheticStore } from '../../emulator/ecr/synthetic';
import { inventoryEcr } from '../../scanner/ecr/inventory';
import { ManifestTable } from '../../scanner/ecr/manifest-table';
import { serializeDigestCache } from '../../scanner/ecr/digest-cache';
import { parseDigestCache } from '../support/digest-cache-text';
import { BlobDescriptor } from '../../scanner/ecr/manifest-facts';
import { EcrInventory } from '../../scanner/ecr/types';
import { MediaType } from '../../scanner/oci/media-types';
import { parseReference } from '../../scanner/oci/reference';
import { buildPlan, planTarget } from '../../scanner/plan/build-plan';
import { ReferencedSource } from '../../scanner/report/build-report';
import { ReportSource } from '../../scanner/report/report-types';
import { suiteEmulators } from '../support/emulator-content';

const { emulator, client } = suiteEmulators();
const MiB = 1024 * 1024;
const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

const blob = (label: string, size: number): BlobDescriptor => ({ digest: sha256Digest(label), size });
const BASE = blob('debian base', 28 * MiB);
const PYTHON = blob('python runtime', 12 * MiB);

/** An image manifest of these layers, its config labelled. */
function layered(config: string, layers: BlobDescriptor[], tags: string[] = []): EcrImage {
  return manifestImage(
    {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha256Digest(config), size: 1000 },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
    },
    tags,
  );
}

function content(): EcrStoreContent {
  const amd = layered('cfg svc amd64', [BASE, blob('svc amd64', 3 * MiB)]);
  const arm = layered('cfg svc arm64', [blob('debian base arm64', 27 * MiB), blob('svc arm64', 3 * MiB)]);
  const attestation = manifestImage(
    {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha256Digest('cfg att'), size: 200 },
      layers: [{ mediaType: 'application/vnd.in-toto+json', digest: sha256Digest('provenance'), size: 5000 }],
    },
    [],
  );
  const index = manifestImage(
    {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        {
          mediaType: MediaType.ociManifest,
          digest: amd.digest,
          size: amd.manifest.length,
          platform: { os: 'linux', architecture: 'amd64' },
        },
        {
          mediaType: MediaType.ociManifest,
          digest: arm.digest,
          size: arm.manifest.length,
          platform: { os: 'linux', architecture: 'arm64' },
        },
        {
          mediaType: MediaType.ociManifest,
          digest: attestation.digest,
          size: attestation.manifest.length,
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd.digest },
        },
      ],
    },
    ['2.0'],
  );
  return {
    // Two releases on one base and runtime: the repository stores them once.
    'team/api': [
      layered('cfg api 1', [BASE, PYTHON, blob('api 1', 2 * MiB)], ['1']),
      layered('cfg api 2', [BASE, PYTHON, blob('api 2', 2 * MiB)], ['2']),
    ],
    // An index: its children and its attestation manifest are images of the repository.
    'team/svc': [amd, arm, attestation, index],
    // The runtime layer listed only by an archived image: held by no one.
    'team/old': [{ ...layered('cfg old', [blob('old runtime', 9 * MiB)], ['0']), imageStatus: 'ARCHIVED' }],
    // The same image ID as api 1 pushed again: a duplicate.
    mirror: [layered('cfg api 1', [BASE, PYTHON, blob('api 1', 2 * MiB)], ['1'])],
  };
}

/** A report source that is absent, for the plan, with what its resolution would have read. */
function absent(line: number, reference: string, blobs: BlobDescriptor[], pulls = 1): ReferencedSource {
  const source: ReportSource = {
    line,
    input: reference,
    reference,
    digest: sha256Digest(`source ${line}`),
    status: 'absent',
    images: [{ platform: 'linux/amd64', manifestDigest: sha256Digest(`source ${line}`), imageId: blobs[0]!.digest, matches: [] }],
  };
  return { source, reference: parseReference(reference), transfer: { blobs, pulls } };
}

async function read(endpoint: string, cache?: ManifestTable): Promise<EcrInventory> {
  process.env.AWS_ENDPOINT_URL_ECR = endpoint;
  return inventoryEcr({ client: client(endpoint), concurrency: 4, ...(cache ? { cache } : {}) });
}

const SOURCES = [
  // A rebuild of the api on the same base and runtime, into its own repository.
  absent(1, 'quay.io/team/api:3', [blob('cfg api 3', 1000), BASE, PYTHON, blob('api 3', 2 * MiB)]),
  // A new service on the same base: the base is mountable from team/api.
  absent(2, 'docker.io/library/newsvc:1', [blob('cfg newsvc', 1000), BASE, blob('newsvc', 4 * MiB)], 3),
  // The same new layer twice into one new repository, in plan order.
  absent(3, 'quay.io/fresh/one:1', [blob('cfg one 1', 1000), blob('fresh', 6 * MiB)]),
  absent(4, 'quay.io/fresh/one:2', [blob('cfg one 2', 1000), blob('fresh', 6 * MiB)]),
  // Only an archived image lists its layer: nothing to mount.
  absent(5, 'quay.io/team/old:1', [blob('cfg old 1', 1000), blob('old runtime', 9 * MiB)]),
];

test('the plan counts bytes from the layers ECR serves: upload, mountable, nearest, in plan order', async () => {
  const ecr = await emulator({ repositories: content(), accountId: '123456789012' });
  const inventory = await read(ecr.endpoint);
  const plan = buildPlan(SOURCES, planTarget(inventory), '');
  const api1 = content()['team/api']![0]!.digest;
  const api2 = content()['team/api']![1]!.digest;
  // team/api's two releases and mirror's copy of api 1 each share the base and runtime: the first URI of the three.
  const firstApi = [`${REGISTRY}/team/api@${api1}`, `${REGISTRY}/team/api@${api2}`, `${REGISTRY}/mirror@${api1}`].sort()[0]!;
  expect(
    plan.copies.map(({ bytes, uploadBytes, mountableBytes, pulls, nearest }) => ({ bytes, uploadBytes, mountableBytes, pulls, nearest })),
  ).toEqual([
    {
      bytes: 1000 + 42 * MiB,
      uploadBytes: 1000 + 2 * MiB,
      mountableBytes: 0,
      pulls: 1,
      nearest: { uri: firstApi, sharedBytes: 40 * MiB, share: 0.952 },
    },
    {
      bytes: 1000 + 32 * MiB,
      uploadBytes: 1000 + 32 * MiB,
      mountableBytes: 28 * MiB,
      pulls: 3,
      // team/api, mirror and team/svc's amd64 image all list the base: the first URI of the three ties.
      nearest: {
        uri: [
          `${REGISTRY}/team/api@${api1}`,
          `${REGISTRY}/team/api@${api2}`,
          `${REGISTRY}/mirror@${api1}`,
          `${REGISTRY}/team/svc@${content()['team/svc']![0]!.digest}`,
        ].sort()[0],
        sharedBytes: 28 * MiB,
        share: 0.875,
      },
    },
    { bytes: 1000 + 6 * MiB, uploadBytes: 1000 + 6 * MiB, mountableBytes: 0, pulls: 1 },
    { bytes: 1000 + 6 * MiB, uploadBytes: 1000, mountableBytes: 0, pulls: 1 },
    { bytes: 1000 + 9 * MiB, uploadBytes: 1000 + 9 * MiB, mountableBytes: 0, pulls: 1 },
  ]);
  expect(plan.transfer).toEqual({
    bytes: 5000 + 42 * MiB + 32 * MiB + 12 * MiB + 9 * MiB,
    uploadBytes: 5000 + 2 * MiB + 32 * MiB + 6 * MiB + 9 * MiB,
    mountableBytes: 28 * MiB,
    blobMounting: 'unknown',
    pullsBySourceRegistry: { 'docker.io': 3, 'quay.io': 4 },
    warnings: [],
  });
});

test('freedBytes from the layers ECR serves; a re-scan from the digest cache answers the same without BatchGetImage', async () => {
  const ecr = await emulator({ repositories: content(), accountId: '123456789012' });
  const cache = new ManifestTable();
  const cold = await read(ecr.endpoint, cache);
  const [duplicate] = cold.queries.duplicates();
  // mirror and team/api hold api 1; deleting the second location (team/api's, sorted after mirror) frees
  // only api 1's own config and layer: api 2 still lists the base and runtime there.
  expect(duplicate!.locations.map((l) => l.repository)).toEqual(['mirror', 'team/api']);
  expect(duplicate!.freedBytes).toBe(1000 + 2 * MiB);

  const saved = Buffer.concat([...serializeDigestCache(cache)]).toString('utf8');
  const loaded = parseDigestCache(saved, 'test');
  expect(loaded.warnings).toEqual([]);
  ecr.resetCalls();
  const warm = await read(ecr.endpoint, loaded.cache);
  expect(ecr.calls.BatchGetImage).toBe(0);
  expect(warm.queries.duplicates()).toEqual(cold.queries.duplicates());
  const target = (inventory: EcrInventory) => buildPlan(SOURCES, planTarget(inventory), '');
  expect(target(warm)).toEqual(target(cold));
});

test("the index's attestation manifest holds its blobs but is never the nearest image", async () => {
  const ecr = await emulator({ repositories: content(), accountId: '123456789012' });
  const inventory = await read(ecr.endpoint);
  const holders = inventory.queries.blobHolders([sha256Digest('provenance'), sha256Digest('svc arm64')]);
  expect(holders.map((h) => [h.repository, h.image, h.blobs.length])).toEqual([
    ['team/svc', true, 1],
    ['team/svc', false, 1],
  ]);
  const plan = buildPlan([absent(1, 'quay.io/x/y:1', [blob('cfg y', 10), blob('provenance', 5000)])], planTarget(inventory), '');
  expect(plan.copies[0]).toMatchObject({ uploadBytes: 5010, mountableBytes: 5000 });
  expect(plan.copies[0]!.nearest).toBeUndefined();
});

test('the synthetic registry shares layers as real ones do: a distro layer across repositories, a base within one', async () => {
  const store = syntheticStore({ repositories: 16, imagesPerRepository: 60, seed: 7 });
  const ecr = await emulator({ synthetic: store, accountId: '123456789012' });
  const inventory = await read(ecr.endpoint);
  const repo0 = firstImageLayers(inventory, store, 'bench/repo-0000');
  const repo8 = firstImageLayers(inventory, store, 'bench/repo-0008');
  const repo1 = firstImageLayers(inventory, store, 'bench/repo-0001');
  // Layer 0: the distro, shared by repositories 0 and 8, not 1; layer 1: each repository's own base.
  expect(repo0[0]).toBe(repo8[0]);
  expect(repo0[0]).not.toBe(repo1[0]);
  expect(repo0[1]).not.toBe(repo8[1]);
  const holders = inventory.queries.blobHolders([repo0[0]!, repo0[1]!]);
  const repositoriesHolding = (digest: string) => new Set(holders.filter((h) => h.blobs.includes(digest)).map((h) => h.repository));
  expect([...repositoriesHolding(repo0[0]!)].sort()).toEqual(['bench/repo-0000', 'bench/repo-0008']);
  expect([...repositoriesHolding(repo0[1]!)]).toEqual(['bench/repo-0000']);
  // The base is listed by every image of the repository (the index's children included).
  expect(holders.filter((h) => h.blobs.includes(repo0[1]!)).length).toBeGreaterThan(50);
});

/** The layer digests of a repository's first plain image (found by its image ID, the store's config digest), as the inventory read them. */
function firstImageLayers(inventory: EcrInventory, store: SyntheticStore, repository: string): string[] {
  let k = 0;
  while (store.kindAt(repository, k) !== 'image') k++;
  const image = inventory.queries.imagesWithId(store.configDigestAt(repository, k)!).find((i) => i.repository === repository);
  const facts = inventory.queries.lookupManifest(image!.manifestDigest);
  return facts?.kind === 'image' ? (facts.layers ?? []).map((l) => l.digest) : [];
}
