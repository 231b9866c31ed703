/** ecrDuplicates in report.json, its summary, and the report.md section. */
import { staticInventory } from '../support/static-inventory';
import { ManifestFacts } from '../../scanner/ecr/manifest-facts';
import { parseInput } from '../support/parse-input';
import { indexInventory } from '../../scanner/match/match';
import { summarizeDuplicates } from '../../scanner/report/build-report';
import { buildReport } from '../support/build-report';
import { formatBytes } from '../../scanner/output/format-bytes';
import { renderDuplicatesMarkdown, renderMarkdown } from '../../scanner/output/render';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const image = (config: string, sizeBytes: number): ManifestFacts => ({ kind: 'image', imageId: d(config), sizeBytes });

const inventory = staticInventory({
  accountId: '123456789012',
  region: 'us-east-1',
  repositories: 3,
  images: 4,
  platformImages: [
    { repository: 'web', manifestDigest: d('1'), imageId: d('a'), tags: ['v1'] },
    { repository: 'mirror', manifestDigest: d('1'), imageId: d('a'), tags: [] },
    { repository: 'mirror', manifestDigest: d('2'), imageId: d('a'), tags: ['zstd'] },
    { repository: 'web', manifestDigest: d('3'), imageId: d('b'), tags: ['only'] },
  ],
  manifests: new Map([
    [d('1'), image('a', 3 * 1024 * 1024)],
    [d('2'), image('a', 2 * 1024 * 1024)],
    [d('3'), image('b', 10)],
  ]),
});

const report = () =>
  buildReport({
    entries: parseInput(Buffer.from('')).entries,
    resolved: new Map(),
    inventories: [inventory],
    indexes: indexInventory([inventory]),
    generatedAt: new Date('2026-12-01T00:00:00Z'),
  });

test('report.json lists each duplicated image ID with its copies, sorted, and the bytes the extra copies take', () => {
  const r = report();
  expect(r.ecrDuplicates).toEqual([
    {
      imageId: d('a'),
      sizeBytes: 3 * 1024 * 1024,
      locations: [
        { repository: 'mirror', manifestDigest: d('1'), tags: [], sizeBytes: 3 * 1024 * 1024 },
        { repository: 'mirror', manifestDigest: d('2'), tags: ['zstd'], sizeBytes: 2 * 1024 * 1024 },
        { repository: 'web', manifestDigest: d('1'), tags: ['v1'], sizeBytes: 3 * 1024 * 1024 },
      ],
      // Deleting all but the first: mirror still lists config a (d('1') stays), web lists it no more.
      freedBytes: 3 * 1024 * 1024,
    },
  ]);
  // Keep the largest copy; the other two are reclaimable.
  expect(r.ecrDuplicateSummary).toEqual({
    images: 1,
    locations: 3,
    extraCopies: 2,
    reclaimableBytes: 5 * 1024 * 1024,
    freedBytes: 3 * 1024 * 1024,
  });
  expect(summarizeDuplicates([])).toEqual({ images: 0, locations: 0, extraCopies: 0, reclaimableBytes: 0, freedBytes: 0 });
});

test('report.md has a duplicates section built from report.json alone', () => {
  const lines = renderDuplicatesMarkdown(report());
  expect(lines[0]).toBe('## Duplicates inside ECR');
  expect(lines.join('\n')).toContain('1 image ID(s) are held in 3 places; the 2 extra copies list 5.0 MiB');
  expect(lines.filter((l) => l.startsWith('| ') && l.includes('sha256:'))).toHaveLength(3);
  expect(renderMarkdown(report())).toContain('## Duplicates inside ECR');
  expect(renderDuplicatesMarkdown({ ...report(), ecrDuplicates: undefined })).toEqual([]);
  expect(formatBytes(512)).toBe('512 B');
  expect(formatBytes(1536)).toBe('1.5 KiB');
});
