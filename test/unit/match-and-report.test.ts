import { indexInventory, matchImages, statusOf } from '../../scanner/match/match';
import { staticInventory } from '../support/static-inventory';
import { ResolvedSource } from '../../scanner/source/types';
import { parseInput } from '../support/parse-input';
import { buildReport } from '../support/build-report';
import { renderMarkdown, renderMissing, renderText } from '../../scanner/output/render';

const d = (c: string) => `sha256:${c.repeat(64)}`;

const inventory = staticInventory({
  accountId: '123456789012',
  region: 'us-east-1',
  repositories: 3,
  images: 5,
  skippedRepositories: [],
  repositoryNames: ['web', 'web-copy', 'mirror', 'multi'],
  platformImages: [
    { repository: 'web', manifestDigest: d('1'), imageId: d('a'), tags: ['stable', 'v1'] },
    { repository: 'web-copy', manifestDigest: d('1'), imageId: d('a'), tags: [] },
    { repository: 'mirror', manifestDigest: d('2'), imageId: d('a'), tags: ['x'] },
    { repository: 'multi', manifestDigest: d('3'), imageId: d('b'), tags: ['1.0'] },
  ],
});
const indexes = indexInventory([inventory]);

describe('matching', () => {
  test('manifest and imageId matches, strongest first, one per repository and digest', () => {
    const [image] = matchImages([{ platform: 'linux/amd64', manifestDigest: d('1'), imageId: d('a') }], indexes);
    expect(image!.matches.map((m) => [m.uri, m.matchedBy])).toEqual([
      ['123456789012.dkr.ecr.us-east-1.amazonaws.com/web-copy@' + d('1'), 'manifest'],
      ['123456789012.dkr.ecr.us-east-1.amazonaws.com/web:stable', 'manifest'],
      ['123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror:x', 'imageId'],
    ]);
  });

  test('status is present, partial or absent per platform', () => {
    const images = matchImages(
      [
        { platform: 'linux/amd64', manifestDigest: d('9'), imageId: d('b') },
        { platform: 'linux/arm64', manifestDigest: d('8'), imageId: d('c') },
      ],
      indexes,
    );
    expect(statusOf(images)).toBe('partial');
    expect(statusOf(images.slice(0, 1))).toBe('present');
    expect(statusOf(images.slice(1))).toBe('absent');
  });
});

describe('report', () => {
  const { entries } = parseInput(Buffer.from('nginx:1\nBad Line\nredis\nnginx:1\nbusybox\n'));
  const resolved = new Map<string, ResolvedSource>([
    [
      'docker.io/library/nginx:1',
      { ok: true, digest: d('f'), images: [{ platform: 'linux/amd64', manifestDigest: d('1'), imageId: d('a') }] },
    ],
    [
      'docker.io/library/redis:latest',
      { ok: true, digest: d('e'), images: [{ platform: 'linux/amd64', manifestDigest: d('7'), imageId: d('c') }] },
    ],
    ['docker.io/library/busybox:latest', { ok: false, error: 'tag latest not found', errorKind: 'not-found' }],
  ]);
  const report = buildReport({
    entries,
    resolved,
    inventories: [inventory],
    indexes,
    generatedAt: new Date(0),
    provenance: { executionId: 'e-1' },
  });

  test('every non-comment line is accounted for and the summary adds up', () => {
    expect(report.sources.map((s) => [s.line, s.status])).toEqual([
      [1, 'present'],
      [2, 'error'],
      [3, 'absent'],
      [5, 'error'],
    ]);
    expect(report.sources[0]!.duplicateLines).toEqual([4]);
    expect(report.summary).toEqual({ sources: 4, present: 1, partial: 0, absent: 1, error: 2 });
    expect(report.provenance).toEqual({ executionId: 'e-1' });
  });

  test('report.txt keeps the original layout', () => {
    expect(renderText(report).split('\n\n')[0]).toBe(
      [
        'Source image URIs:',
        'nginx:1',
        'Image present at ECR URIs:',
        '\t123456789012.dkr.ecr.us-east-1.amazonaws.com/web-copy@' + d('1'),
        '\t123456789012.dkr.ecr.us-east-1.amazonaws.com/web:stable',
        '\t123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror:x',
        'Status: present',
      ].join('\n'),
    );
  });

  test('missing.txt lists absent and partial sources as written', () => {
    expect(renderMissing(report)).toBe('redis\n');
  });

  test('report.md has a summary table and escapes cell text', () => {
    const md = renderMarkdown(report);
    expect(md).toContain('| 4 | 1 | 0 | 1 | 2 |');
    expect(md).toContain('| 2 | Bad Line | error: invalid reference: a reference cannot contain whitespace |');
  });
});
