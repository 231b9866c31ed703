/** The digest cache file, format 4: round trip (layer lists included), validation, the checksum trailer, and older formats rebuilt. */
import { createHash } from 'node:crypto';
import { DigestCacheReader, serializeDigestCache } from '../../scanner/ecr/digest-cache';
import { parseDigestCache } from '../support/digest-cache-text';
import { ManifestFacts } from '../../scanner/ecr/manifest-facts';
import { ManifestTable } from '../../scanner/ecr/manifest-table';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { loadCache, saveCache } from '../../scanner/ecr/cache-store';

const digest = (label: string) => `sha256:${createHash('sha256').update(label).digest('hex')}`;

const entries: Array<[string, ManifestFacts]> = [
  [
    digest('image'),
    {
      kind: 'image',
      imageId: digest('config'),
      sizeBytes: 31_457_280,
      layers: [
        { digest: digest('base'), size: 30_000_000 },
        { digest: digest('app'), size: 1_456_000 },
      ],
    },
  ],
  [
    digest('big'),
    { kind: 'image', imageId: digest('config2'), sizeBytes: 6_000_000_000, layers: [{ digest: digest('huge'), size: 5_999_999_000 }] },
  ],
  [digest('scratch'), { kind: 'image', imageId: digest('config3'), sizeBytes: 900, layers: [] }],
  [
    digest('arm'),
    {
      kind: 'image',
      imageId: digest('config4'),
      sizeBytes: 30_001_000,
      platform: 'linux/arm64',
      layers: [{ digest: digest('base'), size: 30_000_000 }],
    },
  ],
  [digest('hand-made'), { kind: 'image', imageId: digest('config5'), sizeBytes: 12 }],
  [
    digest('index'),
    {
      kind: 'index',
      children: [
        { digest: digest('image'), platform: 'linux/amd64' },
        { digest: digest('att'), platform: 'unknown/unknown', attestation: true },
        { digest: digest('plain') },
      ],
    },
  ],
  [digest('schema1'), { kind: 'other', reason: 'Docker schema 1 manifest: "quoted"\nand a newline' }],
  [digest('chart'), { kind: 'artifact', artifactType: 'application/vnd.cncf.helm.config.v1+json', sizeBytes: 4096 }],
  [
    digest('signature'),
    { kind: 'artifact', artifactType: 'application/vnd.cncf.notary.signature', sizeBytes: 1200, subject: digest('image') },
  ],
];

function tableOf(list: Array<[string, ManifestFacts]>): ManifestTable {
  const table = new ManifestTable();
  for (const [d, s] of list) table.set(d, s);
  return table;
}

const text = (table: ManifestTable) => [...serializeDigestCache(table)].join('');

test('what is saved reads back exactly, one line per entry between header and trailer', () => {
  const saved = text(tableOf(entries));
  const lines = saved.trimEnd().split('\n');
  expect(lines).toHaveLength(entries.length + 2);
  expect(JSON.parse(lines[0]!)).toEqual({ format: 'ecr-duplicate-scanner/digest-cache', version: 4 });
  // Every entry line is JSON, the fast image line included.
  for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  expect(lines[1]).toBe(
    `{"m":"${digest('image')}","i":"${digest('config')}","s":31457280,"l":["${digest('base')}",30000000,"${digest('app')}",1456000]}`,
  );
  expect(JSON.parse(lines.at(-1)!)).toMatchObject({ entries: entries.length });
  const { cache, warnings } = parseDigestCache(saved, 'test');
  expect(warnings).toEqual([]);
  expect(cache.size).toBe(entries.length);
  for (const [d, s] of entries) expect(cache.peek(d)).toEqual(s);
  // Loaded entries are not "used" until asked for, so an untouched cache would shrink to nothing.
  expect(cache.needsSave).toBe(true);
});

test('a large cache is written in chunks and still reads back', () => {
  const list: Array<[string, ManifestFacts]> = Array.from({ length: 3000 }, (_, i) => [
    digest(`m${i}`),
    { kind: 'image', imageId: digest(`c${i}`), sizeBytes: i },
  ]);
  const chunks = [...serializeDigestCache(tableOf(list))];
  expect(chunks.length).toBeGreaterThan(3);
  expect(parseDigestCache(chunks.join(''), 'test').cache.size).toBe(3000);
});

test('only entries this run used are saved', () => {
  const { cache } = parseDigestCache(text(tableOf(entries)), 'test');
  cache.get(digest('image'));
  cache.set(digest('new'), { kind: 'image', imageId: digest('c-new'), sizeBytes: 5 });
  const again = parseDigestCache(text(cache), 'test').cache;
  expect(again.size).toBe(2);
  expect(again.peek(digest('index'))).toBeUndefined();
});

test.each([
  ['a missing trailer (cut short)', (t: string) => t.slice(0, t.lastIndexOf('{"entries"')), /checksum mismatch/],
  ['an edited entry', (t: string) => t.replace('"s":31457280', '"s":31457281'), /checksum mismatch/],
  [
    'a format 1 file',
    () => `${JSON.stringify({ format: 'ecr-duplicate-scanner/digest-cache', version: 1, entries: 0, checksum: 'x' })}\n{}\n`,
    /format version 1, expected 4/,
  ],
  [
    // Format 2 took a signature for an image of the empty config: its entries are not trusted.
    'a format 2 file',
    () => `${JSON.stringify({ format: 'ecr-duplicate-scanner/digest-cache', version: 2 })}\n`,
    /format version 2, expected 4/,
  ],
  [
    // Format 3 kept no layer lists: the plan's byte accounting needs them, so it is read no more.
    'a format 3 file',
    (t: string) => t.replace('"version":4', '"version":3'),
    /format version 3, expected 4/,
  ],
  ['another file', () => '{"name":"something else"}\n', /not a digest cache file/],
])('%s is ignored and rebuilt', (_name, damage, why) => {
  const { cache, warnings } = parseDigestCache(damage(text(tableOf(entries))), 'here');
  expect(cache.size).toBe(0);
  expect(warnings).toEqual([expect.stringMatching(why)]);
  expect(warnings[0]).toMatch(/it will be rebuilt/);
});

test('entries whose values are invalid are skipped, the rest kept', () => {
  const header = JSON.stringify({ format: 'ecr-duplicate-scanner/digest-cache', version: 4 });
  const body = [
    `{"m":"${digest('ok')}","i":"${digest('c')}","s":3}`,
    `{"m":"${digest('bad-layer')}","i":"${digest('c')}","s":3,"l":["sha256:short",1]}`,
    `{"m":"${digest('odd-layers')}","i":"${digest('c')}","s":3,"l":["${digest('l')}"]}`,
    `{"m":"${digest('zero-layer')}","i":"${digest('c')}","s":3,"l":["${digest('l')}",0]}`,
    `{"m":"${digest('bad-subject')}","t":"application/x","s":3,"j":"sha256:short"}`,
    `{"m":"${digest('bad-type')}","t":"","s":3}`,
    `{"m":"${digest('bad-id')}","i":"sha256:nothex","s":3}`,
    `{"m":"${digest('bad-size')}","i":"${digest('c')}","s":-1}`,
    `{"m":"${digest('bad-child')}","c":[{"d":"nope"}]}`,
  ]
    .map((l) => `${l}\n`)
    .join('');
  const checksum = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const { cache, warnings } = parseDigestCache(`${header}\n${body}${JSON.stringify({ entries: 9, checksum })}\n`, 'here');
  expect(cache.size).toBe(1);
  expect(warnings).toEqual(['digest cache here: 8 invalid entries ignored']);
});

test('no file yet is an empty cache without a warning', () => {
  expect(parseDigestCache(undefined, 'x')).toMatchObject({ warnings: [] });
  expect(parseDigestCache('', 'x').cache.size).toBe(0);
});

test('read in chunks of any size, lines split anywhere, it reads back the same', () => {
  const list: Array<[string, ManifestFacts]> = [
    ...entries,
    ...Array.from({ length: 200 }, (_, i): [string, ManifestFacts] => [
      digest(`m${i}`),
      { kind: 'image', imageId: digest(`c${i}`), sizeBytes: i * 7919 + 5, layers: [{ digest: digest(`l${i % 7}`), size: (i % 7) + 1 }] },
    ]),
  ];
  const bytes = Buffer.from(text(tableOf(list)), 'utf8');
  for (const size of [1, 2, 7, 70, 71, 160, 4096, bytes.length]) {
    const reader = new DigestCacheReader('chunks');
    for (let at = 0; at < bytes.length; at += size) reader.push(bytes.subarray(at, at + size));
    const { cache, warnings } = reader.end();
    expect({ size, warnings }).toEqual({ size, warnings: [] });
    expect(cache.size).toBe(list.length);
    for (const [d, s] of list) expect(cache.peek(d)).toEqual(s);
  }
});

test('a file whose last line has no newline still reads; CRLF line ends do not pass the checksum', () => {
  const saved = text(tableOf(entries));
  expect(parseDigestCache(saved.slice(0, -1), 'x')).toMatchObject({ warnings: [] });
  expect(parseDigestCache(saved.slice(0, -1), 'x').cache.size).toBe(entries.length);
  const crlf = parseDigestCache(saved.replace(/\n/g, '\r\n'), 'x');
  expect(crlf.cache.size).toBe(0);
  expect(crlf.warnings).toEqual([expect.stringMatching(/checksum mismatch/)]);
});

test('image lines the fast path must refuse still go through the full checks', () => {
  const header = JSON.stringify({ format: 'ecr-duplicate-scanner/digest-cache', version: 4 });
  const upper = digest('u').toUpperCase().replace('SHA256', 'sha256');
  const l = digest('layer');
  const body = [
    `{"m":"${digest('ok')}","i":"${digest('c')}","s":0,"l":[]}`,
    `{"m":"${upper}","i":"${digest('c')}","s":3,"l":[]}`, // uppercase: not a digest the scanner writes
    `{"m":"${digest('lead')}","i":"${digest('c')}","s":03,"l":[]}`, // not JSON
    `{"m":"${digest('long')}","i":"${digest('c')}","s":10000000000000000,"l":[]}`, // 17 digits: JSON, valid
    `{"m":"${digest('space')}","i":"${digest('c')}","s": 4,"l":[]}`, // JSON, valid, not the written shape
    `{"m":"${digest('short')}","i":"${digest('c').slice(0, -1)}","s":4,"l":[]}`,
    `{"m":"${digest('layers')}","i":"${digest('c')}","s":9,"l":["${l}",5,"${l}",2]}`, // the same layer twice: kept as listed
    `{"m":"${digest('short-layer')}","i":"${digest('c')}","s":9,"l":["${l.slice(0, -1)}",5]}`, // JSON, refused by the full checks
    `{"m":"${digest('cut')}","i":"${digest('c')}","s":9,"l":["${l}",5}`, // not JSON: the list is not closed
    `{"m":"${digest('trail')}","i":"${digest('c')}","s":9,"l":["${l}",5],"x":1}`, // JSON, valid, not the written shape
  ]
    .map((line) => `${line}\n`)
    .join('');
  const checksum = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const { cache, warnings } = parseDigestCache(`${header}\n${body}${JSON.stringify({ entries: 10, checksum })}\n`, 'here');
  expect([digest('ok'), digest('long'), digest('space'), digest('layers'), digest('trail')].map((d) => cache.peek(d))).toEqual([
    { kind: 'image', imageId: digest('c'), sizeBytes: 0, layers: [] },
    { kind: 'image', imageId: digest('c'), sizeBytes: 1e16, layers: [] },
    { kind: 'image', imageId: digest('c'), sizeBytes: 4, layers: [] },
    {
      kind: 'image',
      imageId: digest('c'),
      sizeBytes: 9,
      layers: [
        { digest: l, size: 5 },
        { digest: l, size: 5 },
      ],
    },
    { kind: 'image', imageId: digest('c'), sizeBytes: 9, layers: [{ digest: l, size: 5 }] },
  ]);
  expect(cache.size).toBe(5);
  expect(warnings).toEqual(['digest cache here: 5 invalid entries ignored']);
});

test('a format 3 cache file is rebuilt once: refused with the message, then saved as format 4 and read without one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'digest-cache-'));
  try {
    const location = { kind: 'file' as const, path: join(dir, 'cache.json') };
    const noS3 = () => {
      throw new Error('no S3 for a file cache');
    };
    const v3 = text(tableOf(entries)).replace('"version":4', '"version":3');
    await writeFile(location.path, v3);
    const first = await loadCache(location, noS3 as () => S3Client);
    expect(first.warnings).toEqual([`digest cache ${location.path} ignored (format version 3, expected 4); it will be rebuilt`]);
    expect(first.cache.size).toBe(0);
    // What the cold run learns is saved in the new format.
    for (const [d, f] of entries) first.cache.set(d, f);
    expect(await saveCache(location, first.cache, noS3 as () => S3Client)).toBeUndefined();
    expect(JSON.parse((await readFile(location.path, 'utf8')).split('\n')[0]!)).toMatchObject({ version: 4 });
    const again = await loadCache(location, noS3 as () => S3Client);
    expect(again.warnings).toEqual([]);
    for (const [d, f] of entries) expect(again.cache.peek(d)).toEqual(f);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
