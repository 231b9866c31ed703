/**
 * The plan's transfer, nearest ECR images and pull-through cache rules as report.md, report.html and
 * copy.sh show them: every number where the plan has it, nothing where it does not, the create
 * command for each rule missing, hostile text escaped.
 */
import { execFileSync } from 'node:child_process';
import { renderHtml } from '../../scanner/output/render-html';
import { renderMarkdown } from '../../scanner/output/render';
import { movingSummary, renderCopyScript } from '../../scanner/plan/copy-script';
import { MigrationPlan, PlannedCopy } from '../../scanner/plan/plan-types';
import { Report } from '../../scanner/report/report-types';
import { fakeDigest as d, plannedCopy } from '../support/planned-copy';

const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const EVIL = '<img src=x onerror=alert(1)>';

// The report's own sections are other tests' concern: an empty one.
const summary = { sources: 0, present: 0, partial: 0, absent: 0, error: 0 };
const report: Report = { schemaVersion: 1, generatedAt: '2026-12-06T10:00:00.000Z', ecr: [], summary, sources: [] };

const copy = (line: number, reference: string, extra: Partial<PlannedCopy>) => plannedCopy(reference, { line, ...extra });

const withTransfer: MigrationPlan = {
  schemaVersion: 1,
  target: { registry: ECR, prefix: '' },
  copies: [
    copy(1, 'nginx:1.25', {
      bytes: 31457280,
      nearest: { uri: `${ECR}/web@${d('b')}`, sharedBytes: 29360128, share: 0.933 },
      pullThroughCache: { prefix: 'docker-hub', uri: `${ECR}/docker-hub/library/nginx:1.25`, ruleExists: false },
    }),
    copy(2, 'quay.io/org/app:1', {
      bytes: 1048576,
      nearest: { uri: `${ECR}/other@${d('c')}`, sharedBytes: 100, share: 0.4 },
      pullThroughCache: { prefix: 'quay', uri: `${ECR}/quay/org/app:1`, ruleExists: true },
    }),
  ],
  createRepositories: ['library/nginx', 'org/app'],
  transfer: {
    bytes: 32505856,
    uploadBytes: 2097152,
    mountableBytes: 1048576,
    blobMounting: 'DISABLED',
    pullsBySourceRegistry: { 'docker.io': 3, 'quay.io': 1 },
    warnings: [`docker.io: 3 manifest pulls ${EVIL}`],
  },
  pullThroughCache: {
    rules: [
      {
        prefix: 'docker-hub',
        upstreamRegistryUrl: 'registry-1.docker.io',
        credentials: 'a Secrets Manager secret named ecr-pullthroughcache/docker-hub',
        exists: false,
        copies: 1,
        bytes: 31457280,
      },
      { prefix: 'quay', upstreamRegistryUrl: 'quay.io', credentials: null, exists: true, copies: 1, bytes: 1048576 },
    ],
  },
};

test('report.md: the transfer, pulls per registry, the warnings, nearest from half the bytes, the rules and the command', () => {
  const md = renderMarkdown(report, withTransfer);
  expect(md).toContain('## What the copies move');
  expect(md).toContain('The 2 copies carry 31.0 MiB of distinct blobs. 2.0 MiB of them are not in their target repository yet');
  expect(md).toContain('1.0 MiB of those are in another repository of the target registry. BLOB\\_MOUNTING is DISABLED');
  expect(md).toContain('| docker.io | 3 |\n| quay.io | 1 |');
  expect(md).toContain('- **Warning:** docker.io: 3 manifest pulls \\<img src=x onerror=alert(1)\\>');
  expect(md).toContain(`| 1 | nginx:1.25 | ${ECR}/web@${d('b')} | 28.0 MiB (93%) |`);
  expect(md).not.toContain(`${ECR}/other@`);
  expect(md).toContain('## Pull-through cache instead of a copy');
  expect(md).toContain(
    '| docker-hub | registry-1.docker.io | to create | 1 | 30.0 MiB | a Secrets Manager secret named ecr-pullthroughcache/docker-hub |',
  );
  expect(md).toContain('| quay | quay.io | exists | 1 | 1.0 MiB | none |');
  expect(md).toContain(
    "```\naws ecr create-pull-through-cache-rule --ecr-repository-prefix docker-hub --upstream-registry-url registry-1.docker.io --credential-arn '<ARN of the secret ecr-pullthroughcache/docker-hub>' --region eu-west-1\n```",
  );
  expect(md).not.toContain('--ecr-repository-prefix quay');
});

test('report.html: the two sections, each copy’s cache path and nearest image, hostile text escaped', () => {
  const html = renderHtml(report, withTransfer);
  expect(html).toContain('<section id="transfer">');
  expect(html).toContain('<section id="pull-through-cache">');
  expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  expect(html).not.toContain(EVIL);
  expect(html).toContain(`or through the pull-through cache (rule to create):</span> <code>${ECR}/docker-hub/library/nginx:1.25</code>`);
  expect(html).toContain(`ECR holds 93% of its bytes in</span> <code>${ECR}/web@${d('b')}</code>`);
  expect(html).not.toContain(`${ECR}/other@`);
  expect(html).toContain('aws ecr create-pull-through-cache-rule --ecr-repository-prefix docker-hub');
});

test('no copy to make and no warning: no transfer section; a warning alone is still told', () => {
  const nothing: MigrationPlan = {
    ...withTransfer,
    copies: [],
    transfer: { bytes: 0, uploadBytes: 0, mountableBytes: 0, blobMounting: 'unknown', pullsBySourceRegistry: {}, warnings: [] },
  };
  delete nothing.pullThroughCache;
  expect(renderMarkdown(report, nothing)).not.toMatch(/What the copies move|Pull-through cache/);
  expect(renderHtml(report, nothing)).not.toMatch(/id="transfer"|id="pull-through-cache"|pull-through cache/);
  const warned: MigrationPlan = { ...nothing, transfer: { ...nothing.transfer, warnings: ['ECR GetAccountSetting was denied'] } };
  expect(renderMarkdown(report, warned)).toContain('## What the copies move\n\n- **Warning:** ECR GetAccountSetting was denied');
  expect(renderHtml(report, warned)).toContain('<h2>What the copies move</h2><p class="warning">ECR GetAccountSetting was denied</p>');
});

test("copies while the target's BLOB_MOUNTING is not known: the page says so", () => {
  const unknownMounting: MigrationPlan = { ...withTransfer, transfer: { ...withTransfer.transfer, blobMounting: 'unknown' } };
  expect(renderMarkdown(report, unknownMounting)).toContain('Whether the target registry mounts them (BLOB\\_MOUNTING) is not known.');
});

test('copy.sh says what it will move before it starts, and bash reads it as the words written', () => {
  const lines = movingSummary(withTransfer, 2);
  expect(lines).toEqual([
    "echo 'copy.sh: 2 copies to make: 32505856 bytes in all, 2097152 bytes to upload, 1048576 bytes mountable'",
    "echo 'copy.sh: target registry BLOB_MOUNTING: DISABLED'",
    "echo 'copy.sh: manifest pulls by source registry: docker.io 3, quay.io 1'",
    `echo 'copy.sh: warning: docker.io: 3 manifest pulls ${EVIL}' >&2`,
  ]);
  const script = renderCopyScript(withTransfer);
  expect(script.indexOf(lines[0]!)).toBeLessThan(script.indexOf('copy_image '));
  const out = execFileSync('bash', ['-c', `exec 2>&1\n${lines.join('\n')}`], { encoding: 'utf8' });
  expect(out.split('\n')[3]).toBe(`copy.sh: warning: docker.io: 3 manifest pulls ${EVIL}`);
});
