/** report.html: self-contained, every input-derived value escaped, sections for the plan and ECR duplicates. */
import { MigrationPlan } from '../../scanner/plan/plan-types';
import { formatReference, parseReference } from '../../scanner/oci/reference';
import { formatBytes } from '../../scanner/output/format-bytes';
import { esc, renderHtml } from '../../scanner/output/render-html';
import { renderReportFiles } from '../../scanner/output/render';
import { Report } from '../../scanner/report/report-types';
import { accountTransfer } from '../../scanner/plan/transfer';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const EVIL = `<script>alert("x")</script><img src=x onerror='alert(1)'>&amp;`;

const report: Report = {
  schemaVersion: 1,
  generatedAt: '2026-11-22T10:00:00.000Z',
  provenance: { executionId: `exec${EVIL}` },
  ecr: [{ accountId: '123456789012', region: 'us-east-1', repositories: 2, images: 3, skippedRepositories: [`gone${EVIL}`] }],
  summary: { sources: 3, present: 1, partial: 0, absent: 1, error: 1 },
  sources: [
    {
      line: 1,
      input: `quay.io/org/app:1${EVIL}`,
      reference: `quay.io/org/app:1${EVIL}`,
      digest: d('a'),
      status: 'present',
      images: [
        {
          platform: `linux/amd64${EVIL}`,
          manifestDigest: d('b'),
          imageId: d('c'),
          matches: [
            {
              uri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/r${EVIL}`,
              repository: 'r',
              tags: [],
              manifestDigest: d('b'),
              imageId: d('c'),
              matchedBy: 'manifest',
            },
          ],
        },
      ],
    },
    {
      line: 2,
      input: 'quay.io/org/b:1',
      reference: 'quay.io/org/b:1',
      digest: d('d'),
      status: 'absent',
      images: [{ platform: 'linux/arm64', manifestDigest: d('d'), imageId: d('e'), matches: [] }],
    },
    { line: 3, input: `bad${EVIL}`, status: 'error', error: `invalid reference${EVIL}`, images: [] },
  ],
  ecrDuplicates: [
    {
      imageId: d('f'),
      sizeBytes: 3 * 1024 * 1024,
      locations: [
        // Copies pushed with other compression differ in size: the extra copy is the smaller one.
        { repository: `app-a${EVIL}`, manifestDigest: d('1'), tags: [`1.0${EVIL}`], sizeBytes: 3 * 1024 * 1024 },
        { repository: 'mirror', manifestDigest: d('2'), tags: [], sizeBytes: 2 * 1024 * 1024, imageStatus: 'ARCHIVED' },
      ],
    },
  ],
};

const plan: MigrationPlan = {
  schemaVersion: 1,
  target: { registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com', prefix: `p${EVIL}` },
  copies: [
    {
      line: 2,
      input: 'quay.io/org/b:1',
      reference: parseReference('quay.io/org/b:1'),
      sourceDigest: d('d'),
      status: 'absent',
      platforms: ['linux/arm64'],
      targetRepository: `org/b${EVIL}`,
      targetTag: '1',
      repositoryExists: false,
      conflict: `claimed${EVIL}`,
      bytes: 0,
      uploadBytes: 0,
      mountableBytes: 0,
      pulls: 1,
    },
  ],
  createRepositories: [`org/c${EVIL}`],
  transfer: accountTransfer([], [], '').transfer,
};

test('esc covers the five characters that matter in text and attributes', () => {
  expect(esc(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  expect(formatBytes(512)).toBe('512 B');
  expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
});

test('hostile values from input, registries and ECR are escaped everywhere; nothing external is loaded', () => {
  const html = renderHtml(report, plan);
  expect(html).not.toContain('<script');
  expect(html).not.toContain('<img');
  // No real tag (escaped text has no '<') carries an event handler or a source.
  expect(html).not.toMatch(/<[^>]*\son\w+=/i);
  expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;&amp;amp;');
  // Self-contained: no script, no fetched resource of any kind.
  expect(html).not.toMatch(/<[^>]*\s(src|srcset)=/i);
  expect(html).not.toMatch(/url\(|@import|<link|<iframe|<object|<embed/i);
  expect(html).not.toMatch(/href="(?!#)/);
  // Every place a value lands.
  for (const where of [
    'exec',
    'gone',
    'quay.io/org/app:1',
    'linux/amd64',
    '/r',
    'invalid reference',
    'app-a',
    '1.0',
    'org/b',
    'claimed',
    'org/c',
  ]) {
    expect(html).toContain(`${where}${esc(EVIL)}`);
  }
});

test('summary counts, every source, the plan, how to run it and the duplicates', () => {
  const html = renderHtml(report, plan);
  expect(html.startsWith('<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">')).toBe(true);
  expect(html).toMatch(/id="count-present"><span class="n">1</);
  expect(html).toMatch(/id="count-error"><span class="n">1</);
  expect(html.match(/<tr class="source /g)).toHaveLength(3);
  expect(html).toContain('not copied: conflict:');
  expect(html).toContain('bash copy.sh');
  expect(html).toContain(
    'aws ecr get-login-password --region us-east-1 | skopeo login --username AWS --password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com',
  );
  expect(html).toContain('CREATE_REPOSITORIES=0');
  expect(html).toContain('regsync once -c regsync.yml');
  // reclaimableBytes, as report.json sums it (not the largest size times the extra copies, 3.0 MiB).
  expect(html).toContain('2.0 MiB</strong>');
  expect(html).toMatch(/<code>mirror<\/code>.*<span class="archived">ARCHIVED<\/span>/);
  expect(html).toContain('@media print');
});

test('empty states: no plan, no duplicates looked for, none found, no sources', () => {
  const empty: Report = { ...report, summary: { sources: 0, present: 0, partial: 0, absent: 0, error: 0 }, sources: [] };
  delete empty.ecrDuplicates;
  const html = renderHtml(empty);
  expect(html).toContain('No migration plan in this run.');
  expect(html).toContain('This scan did not look for duplicates inside ECR.');
  expect(html).toContain('input.txt lists no image.');
  expect(renderHtml({ ...report, ecrDuplicates: [] })).toContain('No image is held under more than one repository and manifest digest.');
  expect(renderHtml(report, { ...plan, copies: [], createRepositories: [] })).toContain('Nothing to copy');
});

test('the rendered set holds the plan files, report.html as text/html; charset=utf-8', () => {
  const files = renderReportFiles(report, plan);
  expect(files.map((f) => [f.name, f.contentType])).toEqual([
    ['report.json', 'application/json'],
    ['report.txt', 'text/plain; charset=utf-8'],
    ['report.md', 'text/markdown; charset=utf-8'],
    ['missing.txt', 'text/plain; charset=utf-8'],
    ['report.html', 'text/html; charset=utf-8'],
    ['plan.json', 'application/json'],
    ['copy.sh', 'text/x-shellscript; charset=utf-8'],
    ['regsync.yml', 'application/yaml; charset=utf-8'],
  ]);
  // plan.json holds the references as their canonical text.
  expect(JSON.parse(files.find((f) => f.name === 'plan.json')!.body)).toEqual({
    ...plan,
    copies: plan.copies.map((c) => ({ ...c, reference: formatReference(c.reference) })),
  });
});
