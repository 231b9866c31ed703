import { indexInventory } from '../../scanner/match/match';
import { staticInventory } from '../support/static-inventory';
import { ResolvedSource } from '../../scanner/source/types';
import { parseInput } from '../support/parse-input';
import { buildReportWithReferences } from '../../scanner/report/build-report';
import { buildPlan } from '../../scanner/plan/build-plan';
import { renderCopyScript } from '../../scanner/plan/copy-script';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const SIG = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const SBOM = 'application/spdx+json';

// ECR holds web byte for byte (d1) with a signature, and app only re-pushed (d2, same image ID as the source's d3).
const inventory = staticInventory({
  accountId: '123456789012',
  region: 'us-east-1',
  repositories: 2,
  images: 2,
  platformImages: [
    { repository: 'web', manifestDigest: d('1'), imageId: d('a'), tags: ['1'] },
    { repository: 'app', manifestDigest: d('2'), imageId: d('b'), tags: ['1'] },
  ],
  referrers: new Map([[d('1'), [{ repository: 'web', digest: d('9'), artifactType: SIG }]]]),
});

function scan(resolved: Array<[string, ResolvedSource]>) {
  const { entries } = parseInput(Buffer.from(resolved.map(([ref]) => ref).join('\n')));
  const { report, referenced } = buildReportWithReferences({
    entries,
    resolved: new Map(resolved.map(([ref, r]) => [`docker.io/library/${ref}`, r])),
    inventories: [inventory],
    indexes: indexInventory([inventory]),
    generatedAt: new Date(0),
  });
  return {
    report,
    plan: buildPlan(referenced, { registry: '123456789012.dkr.ecr.us-east-1.amazonaws.com', repositoryNames: ['web', 'app'] }, ''),
  };
}

test('inEcr: a referrer of the same type for the byte-identical image counts; another type or another digest does not', () => {
  const { report, plan } = scan([
    [
      'web:1',
      {
        ok: true,
        digest: d('1'),
        images: [{ platform: 'linux/amd64', manifestDigest: d('1'), imageId: d('a') }],
        referrers: [
          { digest: d('5'), artifactType: SIG, via: 'api' },
          { digest: d('6'), artifactType: SBOM, via: 'api' },
        ],
      },
    ],
    [
      'app:1',
      {
        ok: true,
        digest: d('3'),
        images: [{ platform: 'linux/amd64', manifestDigest: d('3'), imageId: d('b') }],
        referrers: [{ digest: d('7'), artifactType: SIG, via: 'cosign-tag', tag: `sha256-${'3'.repeat(64)}.sig` }],
      },
    ],
  ]);
  expect(report.sources.map((s) => [s.status, s.referrers!.map((r) => [r.artifactType, r.inEcr])])).toEqual([
    [
      'present',
      [
        [SIG, true],
        [SBOM, false],
      ],
    ],
    ['present', [[SIG, false]]],
  ]);
  expect(report.referrerSummary).toEqual({ sources: 2, referrers: 3, missingInEcr: 2, presentLackingReferrers: 2 });
  // Only what ECR lacks travels; a copy matched by image ID only cannot carry a signature of another digest.
  expect(plan.copies).toEqual([]);
  expect(plan.referrerCopies).toEqual([
    expect.objectContaining({ line: 1, targetRepository: 'web', referrers: [{ digest: d('6'), artifactType: SBOM, via: 'api' }] }),
    expect.objectContaining({ line: 2, targetRepository: null, reason: expect.stringMatching(/only under other manifest digests/) }),
  ]);
  const script = renderCopyScript(plan);
  expect(script).toContain('# signatures/SBOMs not copied, line 2: app:1: ECR holds this image only under other manifest digests');
  expect(script).toMatch(/PLAN_COPIES=0\n/);
});

test('no referrers anywhere: report and plan are as before (no referrerSummary, no referrerCopies)', () => {
  const { report, plan } = scan([
    ['web:1', { ok: true, digest: d('1'), images: [{ platform: 'linux/amd64', manifestDigest: d('1'), imageId: d('a') }], referrers: [] }],
  ]);
  expect(report.referrerSummary).toBeUndefined();
  expect(report.sources[0]!.referrers).toBeUndefined();
  expect(plan.referrerCopies).toBeUndefined();
});
