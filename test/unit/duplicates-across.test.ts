/** Duplicates over several registries: shared image IDs joined, one registry's own kept, every location naming its registry. */
import { duplicatesAcross } from '../../scanner/scope/duplicates-across';
import { staticInventory } from '../support/static-inventory';
import { EcrPlatformImage } from '../../scanner/ecr/types';
import { ManifestFacts } from '../../scanner/ecr/manifest-facts';
import { InventoryStore, RepositoryListing } from '../../scanner/ecr/inventory-store';

const id = (c: string) => `sha256:${c.repeat(64)}`;
const image = (repository: string, digest: string, imageId: string): EcrPlatformImage => ({
  repository,
  manifestDigest: digest,
  imageId,
  tags: [],
});
const summary = (imageId: string, sizeBytes: number): ManifestFacts => ({ kind: 'image', imageId, sizeBytes }) as ManifestFacts;

function registry(accountId: string, region: string, images: EcrPlatformImage[], sizes: Record<string, number>) {
  return staticInventory({
    accountId,
    region,
    repositories: 1,
    images: images.length,
    platformImages: images,
    manifests: new Map(images.map((i) => [i.manifestDigest, summary(i.imageId, sizes[i.manifestDigest] ?? 0)])),
  });
}

test('an image ID in two registries is one duplicate; one held twice in one registry stays its own', () => {
  const prod = registry(
    '222222222222',
    'us-east-1',
    [image('app', id('1'), id('a')), image('x', id('2'), id('b')), image('y', id('3'), id('b'))],
    {
      [id('1')]: 100,
      [id('2')]: 10,
      [id('3')]: 10,
    },
  );
  const shared = registry('111111111111', 'eu-west-1', [image('mirror/app', id('4'), id('a'))], { [id('4')]: 120 });
  const lonely = registry('333333333333', 'us-east-1', [image('z', id('5'), id('c'))], {});
  const dups = duplicatesAcross([prod, shared, lonely]);
  expect(dups.map((d) => d.imageId)).toEqual([id('a'), id('b')]);
  expect(dups[0]).toEqual({
    imageId: id('a'),
    sizeBytes: 120,
    locations: [
      { accountId: '111111111111', region: 'eu-west-1', repository: 'mirror/app', manifestDigest: id('4'), tags: [], sizeBytes: 120 },
      { accountId: '222222222222', region: 'us-east-1', repository: 'app', manifestDigest: id('1'), tags: [], sizeBytes: 100 },
    ],
    // The second location, deleted, was all its repository held of it.
    freedBytes: 100,
  });
  expect(dups[1]!.locations.map((l) => [l.accountId, l.repository])).toEqual([
    ['222222222222', 'x'],
    ['222222222222', 'y'],
  ]);
});

test('no registries, or none sharing anything: no duplicates', () => {
  expect(duplicatesAcross([])).toEqual([]);
  expect(duplicatesAcross([registry('111111111111', 'us-east-1', [image('a', id('1'), id('a'))], {})])).toEqual([]);
});

test("registries' image-ID tables interned in other orders join by the image ID, not by each table's ids", () => {
  const images = [
    [image('app', id('1'), id('a')), image('x', id('2'), id('b')), image('y', id('3'), id('b'))],
    [image('mirror/app', id('4'), id('a')), image('mirror/y', id('3'), id('b'))],
    [image('z', id('5'), id('c'))],
  ];
  const inOrder = images.map((list, k) => registry(`${k + 1}`.repeat(12), 'us-east-1', list, {}));
  const byCounts = images.map((list, k) => {
    const store = new InventoryStore();
    // Image IDs interned in another order than the join's, so the ids differ between tables.
    store.manifests.imageIds.intern(id('f'));
    for (const i of list) store.manifests.set(i.manifestDigest, summary(i.imageId, 0));
    for (const repository of new Set(list.map((i) => i.repository))) {
      const listing = new RepositoryListing(store.manifests);
      for (const i of list.filter((x) => x.repository === repository)) listing.add(i.manifestDigest, undefined);
      store.addRepository(repository, listing);
    }
    store.finish();
    const counts = store.imageIdCounts();
    expect(counts.places[counts.imageIds.find(id('f'))]).toBe(0);
    return { ...inOrder[k]!, queries: { ...inOrder[k]!.queries, imageIdCounts: () => counts } };
  });
  const joined = duplicatesAcross(byCounts);
  expect(joined).toEqual(duplicatesAcross(inOrder));
  expect(joined.map((d) => [d.imageId, d.locations.length])).toEqual([
    [id('a'), 2],
    [id('b'), 3],
  ]);
});
