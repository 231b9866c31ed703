/**
 * The compact ECR inventory: digest interning, manifest facts in columns,
 * rows per (repository, manifest digest), grouping by image ID, duplicates
 * and their sizes. No network: listings and facts are fed in directly.
 */
import { createHash } from 'node:crypto';
import { DigestTable } from '../../scanner/ecr/digest-table';
import { InventoryStore, RepositoryListing } from '../../scanner/ecr/inventory-store';
import { ManifestFacts, readManifestFacts } from '../../scanner/ecr/manifest-facts';
import { ManifestTable } from '../../scanner/ecr/manifest-table';
import { MediaType } from '../../scanner/oci/media-types';

const digest = (label: string) => `sha256:${createHash('sha256').update(label).digest('hex')}`;

describe('DigestTable', () => {
  test('interns each digest once and gives it back, across pages and rehashes', () => {
    const table = new DigestTable();
    const n = 300_000; // more than two 2^17-digest pages
    let wrong = 0;
    for (let i = 0; i < n; i++) if (table.intern(digest(`d${i}`)) !== i) wrong++;
    expect(wrong).toBe(0);
    expect(table.size).toBe(n);
    for (const i of [0, 1, 131_071, 131_072, 262_144, n - 1]) {
      expect(table.find(digest(`d${i}`))).toBe(i);
      expect(table.digestAt(i)).toBe(digest(`d${i}`));
      expect(table.intern(digest(`d${i}`))).toBe(i);
    }
    expect(table.find(digest('absent'))).toBe(-1);
  });

  test('other algorithms and malformed text are kept as text, never confused with sha256', () => {
    const table = new DigestTable();
    const sha = digest('x');
    const sha512 = `sha512:${'ab'.repeat(64)}`;
    const upper = sha.toUpperCase().replace('SHA256', 'sha256');
    const a = table.intern(sha);
    const b = table.intern(sha512);
    const c = table.intern(upper);
    expect(new Set([a, b, c]).size).toBe(3);
    expect([table.digestAt(a), table.digestAt(b), table.digestAt(c)]).toEqual([sha, sha512, upper]);
    expect(table.find(upper)).toBe(c);
    expect(() => table.digestAt(3)).toThrow(RangeError);
    // Not hex at the end or in the middle: text too, each its own id.
    const lastBad = `${sha.slice(0, -1)}g`;
    const middleBad = `${sha.slice(0, 40)}z${sha.slice(41)}`;
    const d = table.intern(lastBad);
    const e = table.intern(middleBad);
    expect(new Set([a, b, c, d, e]).size).toBe(5);
    expect([table.digestAt(d), table.digestAt(e)]).toEqual([lastBad, middleBad]);
    expect(table.find(sha)).toBe(a);
  });
});

test("DigestTable.internFrom takes another table's digests by their bytes, text ones as text", () => {
  const a = new DigestTable();
  const b = new DigestTable();
  const sha512 = `sha512:${'ab'.repeat(64)}`;
  const ids = [digest('x'), digest('y'), sha512].map((d) => a.intern(d));
  b.intern(digest('y'));
  const joined = ids.map((id) => b.internFrom(a, id));
  expect(joined.map((id) => b.digestAt(id))).toEqual([digest('x'), digest('y'), sha512]);
  expect(joined[1]).toBe(0); // y was already there
  expect(b.find(digest('x'))).toBe(joined[0]);
  expect(b.size).toBe(3);
  expect(() => b.internFrom(a, 3)).toThrow(RangeError);
});

describe('ManifestTable', () => {
  test('keeps facts exactly, while its columns grow', () => {
    const table = new ManifestTable();
    const facts = new Map<string, ManifestFacts>();
    for (let i = 0; i < 5000; i++) {
      const s: ManifestFacts =
        i % 10 === 0
          ? {
              kind: 'index',
              children: [
                { digest: digest(`c${i}a`), platform: 'linux/amd64' },
                { digest: digest(`c${i}b`), platform: 'linux/arm64/v8' },
                { digest: digest(`c${i}c`), platform: 'unknown/unknown', attestation: true },
                { digest: digest(`c${i}d`) },
              ],
            }
          : i % 10 === 1
            ? { kind: 'other', reason: 'Docker schema 1 manifest' }
            : { kind: 'image', imageId: digest(`config${i}`), sizeBytes: i * 1_000_003 };
      table.set(digest(`m${i}`), s);
      facts.set(digest(`m${i}`), s);
    }
    for (const [d, s] of facts) expect(table.peek(d)).toEqual(s);
    expect(table.size).toBe(5000);
    expect(table.peek(digest('never'))).toBeUndefined();
  });

  test('a loaded entry is saved only when this run asked for it', () => {
    const table = new ManifestTable();
    table.load(digest('a'), { kind: 'image', imageId: digest('ca'), sizeBytes: 1 });
    table.load(digest('b'), { kind: 'image', imageId: digest('cb'), sizeBytes: 2 });
    expect(table.needsSave).toBe(true); // b is not used: saving drops it
    expect(table.get(digest('a'))).toEqual({ kind: 'image', imageId: digest('ca'), sizeBytes: 1 });
    expect(table.peek(digest('b'))).toBeDefined(); // a look-up that does not count as use
    expect([...table.usedIds()].map((id) => table.digestAt(id))).toEqual([digest('a')]);
  });

  test("the cache's image line takes lowercase sha256 digests only, and adds nothing when it refuses one", () => {
    const table = new ManifestTable();
    // The two digests' texts, as the cache line holds them: at 0 and 71 of one buffer.
    const line = (m: string, i: string) => Buffer.from(`${m}${i}`, 'latin1');
    const noLayers = { count: 0, at: new Int32Array(0), sizes: new Float64Array(0) };
    expect(table.loadImageText(line(digest('a'), digest('ca')), 0, 71, 7, noLayers)).toBe(true);
    expect(table.peek(digest('a'))).toEqual({ kind: 'image', imageId: digest('ca'), sizeBytes: 7, layers: [] });
    const upper = digest('b').toUpperCase().replace('SHA256', 'sha256');
    for (const bytes of [
      line(upper, digest('cb')),
      line(digest('b'), upper),
      line(digest('b'), `${digest('cb').slice(0, -1)}g`),
      line(digest('b'), digest('cb')).subarray(0, 141), // cut short: no reading past the end
    ]) {
      expect(table.loadImageText(bytes, 0, 71, 1, noLayers)).toBe(false);
    }
    // Refused before anything was interned: neither table grew.
    expect(table.digests.size).toBe(1);
    expect(table.imageIds.size).toBe(1);
    expect(table.findId(digest('b'))).toBe(-1);
    // The same digest loaded again keeps its id.
    expect(table.loadImageText(line(digest('a'), digest('ca')), 0, 71, 7, noLayers)).toBe(true);
    expect(table.digests.size).toBe(1);
  });
});

describe('ManifestTable: layer lists', () => {
  test('a layer two images list is interned once, with its size; each image keeps its own list and config size', () => {
    const table = new ManifestTable();
    const layer = (label: string, size: number) => ({ digest: digest(`layer ${label}`), size });
    table.set(digest('a'), {
      kind: 'image',
      imageId: digest('ca'),
      sizeBytes: 10 + 300 + 20,
      layers: [layer('base', 300), layer('a', 20)],
    });
    table.set(digest('b'), { kind: 'image', imageId: digest('cb'), sizeBytes: 7 + 300 + 40, layers: [layer('base', 300), layer('b', 40)] });
    table.set(digest('hand-made'), { kind: 'image', imageId: digest('cc'), sizeBytes: 5 });
    expect(table.layers.size).toBe(3);
    const listed = (label: string) => {
      const out: Array<[string, number]> = [];
      table.forEachLayer(table.findId(digest(label)), (id, size) => out.push([table.layers.digestAt(id), size]));
      return out;
    };
    expect(listed('a')).toEqual([
      [digest('layer base'), 300],
      [digest('layer a'), 20],
    ]);
    expect(listed('b')[0]).toEqual(listed('a')[0]);
    expect([table.configSizeAt(table.findId(digest('a'))), table.configSizeAt(table.findId(digest('b')))]).toEqual([10, 7]);
    // Facts without layers (hand-made) are not known to have none.
    expect(table.hasLayers(table.findId(digest('hand-made')))).toBe(false);
    expect(table.hasLayers(table.findId(digest('a')))).toBe(true);
    expect(table.peek(digest('hand-made'))).toEqual({ kind: 'image', imageId: digest('cc'), sizeBytes: 5 });
  });
});

describe('readManifestFacts', () => {
  test('an image: its config digest and config plus layer sizes', () => {
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: digest('cfg'), size: 1000 },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digest('l1'), size: 20_000 },
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digest('l2'), size: 300_000 },
      ],
    };
    expect(readManifestFacts(JSON.stringify(manifest), undefined)).toEqual({
      kind: 'image',
      imageId: digest('cfg'),
      sizeBytes: 321_000,
      // The manifest's own descriptors (their media type rides along): no copy per manifest.
      layers: manifest.layers.map((l) => expect.objectContaining({ digest: l.digest, size: l.size }) as unknown),
    });
  });

  test("an index: each child's platform, attestations marked", () => {
    const index = {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [
        { mediaType: MediaType.ociManifest, digest: digest('amd'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: MediaType.ociManifest, digest: digest('arm'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
        {
          mediaType: MediaType.ociManifest,
          digest: digest('att'),
          size: 1,
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': digest('amd') },
        },
        { mediaType: MediaType.ociManifest, digest: digest('bare'), size: 1 },
      ],
    };
    expect(readManifestFacts(Buffer.from(JSON.stringify(index)), undefined)).toEqual({
      kind: 'index',
      children: [
        { digest: digest('amd'), platform: 'linux/amd64' },
        { digest: digest('arm'), platform: 'linux/arm/v7' },
        { digest: digest('att'), platform: 'unknown/unknown', attestation: true },
        { digest: digest('bare') },
      ],
    });
  });

  test('schema 1 is "other", kept so it is not fetched again', () => {
    expect(readManifestFacts('{"schemaVersion":1,"name":"x"}', undefined)).toMatchObject({ kind: 'other' });
  });
});

/** A store from plain data: repository -> [digest, tags], and facts by digest. */
function storeOf(repositories: Record<string, Array<[string, string[]]>>, facts: Record<string, ManifestFacts>): InventoryStore {
  const manifests = new ManifestTable();
  for (const [d, s] of Object.entries(facts)) manifests.set(d, s);
  const store = new InventoryStore(manifests);
  for (const [name, entries] of Object.entries(repositories)) {
    const listing = new RepositoryListing(manifests);
    for (const [d, tags] of entries) {
      if (tags.length === 0) listing.add(d, undefined);
      for (const t of tags) listing.add(d, t);
    }
    store.addRepository(name, listing);
  }
  store.finish();
  return store;
}

const image = (config: string, sizeBytes: number): ManifestFacts => ({ kind: 'image', imageId: digest(config), sizeBytes });

describe('InventoryStore: grouping and duplicates', () => {
  const m = (label: string) => digest(`manifest ${label}`);

  test('the same image ID in two repositories (other manifest digests) is a duplicate', () => {
    const store = storeOf({ a: [[m('1'), ['v1']]], b: [[m('2'), []]] }, { [m('1')]: image('X', 100), [m('2')]: image('X', 100) });
    expect(store.duplicates()).toEqual([
      {
        imageId: digest('X'),
        sizeBytes: 100,
        locations: [
          { repository: 'a', manifestDigest: m('1'), tags: ['v1'], sizeBytes: 100 },
          { repository: 'b', manifestDigest: m('2'), tags: [], sizeBytes: 100 },
        ],
        // Hand-made facts name no layers: the config blob alone, of the whole size, and b holds nothing else.
        freedBytes: 100,
      },
    ]);
  });

  test('the same manifest digest in two repositories is a duplicate', () => {
    const store = storeOf({ b: [[m('1'), ['x']]], a: [[m('1'), ['y', 'latest']]] }, { [m('1')]: image('X', 7) });
    const [dup] = store.duplicates();
    expect(dup!.locations.map((l) => [l.repository, l.tags])).toEqual([
      ['a', ['latest', 'y']],
      ['b', ['x']],
    ]);
  });

  test('one repository holding the image under two digests is a duplicate; sizes may differ per copy', () => {
    const store = storeOf(
      {
        a: [
          [m('gzip'), ['1']],
          [m('zstd'), ['1-zstd']],
        ],
      },
      { [m('gzip')]: image('X', 500), [m('zstd')]: image('X', 400) },
    );
    const [dup] = store.duplicates();
    expect(dup!.sizeBytes).toBe(500);
    expect(dup!.locations.map((l) => l.sizeBytes).sort()).toEqual([400, 500]);
  });

  test('a single location is not a duplicate; indexes and unread manifests are not images', () => {
    const store = storeOf(
      {
        a: [
          [m('1'), ['v1']],
          [m('index'), ['multi']],
          [m('unread'), []],
        ],
        b: [[m('2'), []]],
      },
      { [m('1')]: image('X', 1), [m('2')]: image('Y', 1), [m('index')]: { kind: 'index', children: [{ digest: m('1') }] } },
    );
    expect(store.duplicates()).toEqual([]);
    expect(store.imagesWithId(digest('X'))).toEqual([
      { repository: 'a', manifestDigest: m('1'), imageId: digest('X'), tags: ['v1', 'multi'] },
    ]);
    expect([...store.platformImages()].map((i) => i.manifestDigest).sort()).toEqual([m('1'), m('2')].sort());
  });

  test("an index's children carry its tags; its attestations are no images; the children duplicate across repositories", () => {
    const index: ManifestFacts = {
      kind: 'index',
      children: [
        { digest: m('amd'), platform: 'linux/amd64' },
        { digest: m('arm'), platform: 'linux/arm64' },
        { digest: m('att'), platform: 'unknown/unknown', attestation: true },
      ],
    };
    const facts = {
      [m('index')]: index,
      [m('amd')]: image('AMD', 10),
      [m('arm')]: image('ARM', 20),
      // Attestations often share one config: without the mark they would be a false duplicate.
      [m('att')]: image('ATT', 1),
    };
    const listing: Array<[string, string[]]> = [
      [m('index'), ['2.0', 'latest']],
      [m('amd'), []],
      [m('arm'), ['arm-only']],
      [m('att'), []],
    ];
    const store = storeOf(
      {
        app: listing,
        mirror: [
          [m('index'), ['2.0']],
          [m('amd'), []],
          [m('arm'), []],
          [m('att'), []],
        ],
      },
      facts,
    );
    expect(store.imagesWithId(digest('ARM')).sort((a, b) => (a.repository < b.repository ? -1 : 1))).toEqual([
      { repository: 'app', manifestDigest: m('arm'), imageId: digest('ARM'), tags: ['arm-only', '2.0', 'latest'] },
      { repository: 'mirror', manifestDigest: m('arm'), imageId: digest('ARM'), tags: ['2.0'] },
    ]);
    expect(store.imagesWithId(digest('ATT'))).toEqual([]);
    // Most reclaimable bytes first.
    expect(store.duplicates().map((d) => [d.imageId, d.sizeBytes, d.locations.length])).toEqual([
      [digest('ARM'), 20, 2],
      [digest('AMD'), 10, 2],
    ]);
  });

  test('a dropped row (deleted during the scan) is in no answer', () => {
    const manifests = new ManifestTable();
    manifests.set(m('1'), image('X', 1));
    const store = new InventoryStore(manifests);
    for (const name of ['a', 'b']) {
      const listing = new RepositoryListing(manifests);
      listing.add(m('1'), undefined);
      store.addRepository(name, listing);
    }
    store.drop(1);
    store.finish();
    expect(store.duplicates()).toEqual([]);
    expect(store.imagesWithId(digest('X')).map((i) => i.repository)).toEqual(['a']);
  });
});
