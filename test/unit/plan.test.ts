/** The migration plan from a report: naming, prefix, conflicts, invalid names, repositories to create. */
import { buildPlan, planTarget } from '../../scanner/plan/build-plan';
import { planJson } from '../../scanner/plan/plan-json';
import {
  ecrNameProblem,
  normalizeTargetPrefix,
  planTargetTags,
  sourceRepositoryOf,
  TargetPrefixError,
} from '../../scanner/plan/target-name';
import { EcrInventory } from '../../scanner/ecr/types';
import { ReportImage } from '../../scanner/report/report-types';
import { ReferencedSource } from '../../scanner/report/build-report';
import { parseReference } from '../../scanner/oci/reference';
import { parseCliArgs, UsageError } from '../../scanner/cli-args';
import { staticInventory } from '../support/static-inventory';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const match = {
  uri: `${REGISTRY}/x:1`,
  repository: 'x',
  tags: ['1'],
  manifestDigest: d('e'),
  imageId: d('f'),
  matchedBy: 'imageId' as const,
};

const image = (platform: string, found: boolean): ReportImage => ({
  platform,
  manifestDigest: d('0'),
  imageId: d('1'),
  matches: found ? [match] : [],
});

function source(line: number, input: string, reference: string, digest: string, images: ReportImage[]): ReferencedSource {
  const found = images.filter((i) => i.matches.length > 0).length;
  const status = found === images.length ? 'present' : found > 0 ? 'partial' : 'absent';
  return { source: { line, input, reference, digest, status, images }, reference: parseReference(reference) };
}

// The plan is built from the report's sources of valid entries (an invalid line has no reference to copy).
const reportOf = (sources: ReferencedSource[]): ReferencedSource[] => sources;

const target = { registry: REGISTRY, repositoryNames: ['library/nginx', 'unrelated'] };

/** A copy's transfer fields when its source's resolution named no blobs. */
const NOTHING_KNOWN = { bytes: 0, uploadBytes: 0, mountableBytes: 0, pulls: 1 };

describe('target names', () => {
  test('ECR names: its grammar and 2 to 256 characters', () => {
    // The OCI grammar ECR follows since 2026-02: `__` and runs of `-` are separators too.
    for (const ok of ['library/nginx', 'a/b', 'org/app.v2', 'x_y-z/q', 'ab', 'a'.repeat(256), 'org/my__app', 'org/my--app', 'a---b/c__d'])
      expect(ecrNameProblem(ok)).toBeUndefined();
    expect(ecrNameProblem('a')).toMatch(/shorter than ECR's minimum of 2/);
    expect(ecrNameProblem('a'.repeat(257))).toMatch(/257 characters long, over ECR's maximum of 256/);
    for (const bad of ['org/my___app', 'org/a..b', 'org/a.-b', 'org/a_-b', 'org/-a', 'Org/app', 'org//app', '/org', 'org/']) {
      expect(ecrNameProblem(bad)).toMatch(/not a valid ECR repository name/);
    }
  });

  test('--target-prefix: checked, one trailing slash dropped', () => {
    expect(normalizeTargetPrefix('')).toBe('');
    expect(normalizeTargetPrefix('mirror')).toBe('mirror');
    expect(normalizeTargetPrefix('team-a/mirror/')).toBe('team-a/mirror');
    expect(normalizeTargetPrefix('team__a/mirror--2')).toBe('team__a/mirror--2');
    for (const bad of ['/mirror', 'Mirror', 'a//b', 'a b', 'mirror//', 'a___b', 'a-.b', 'x'.repeat(255)]) {
      expect(() => normalizeTargetPrefix(bad)).toThrow(TargetPrefixError);
    }
    expect(parseCliArgs(['--target-prefix', 'mirror/']).targetPrefix).toBe('mirror');
    expect(parseCliArgs([]).targetPrefix).toBe('');
    expect(() => parseCliArgs(['--target-prefix', 'Bad'])).toThrow(UsageError);
    expect(() => parseCliArgs(['--target-prefix', 'Bad'])).toThrow(/--target-prefix "Bad" is not a valid ECR repository name prefix/);
  });

  test('the source repository of a reference: tag and digest dropped, a port kept', () => {
    expect(sourceRepositoryOf(parseReference('nginx:1.25'))).toBe('docker.io/library/nginx');
    expect(sourceRepositoryOf(parseReference('localhost:5000/a/b:1@' + d('a')))).toBe('localhost:5000/a/b');
    expect(sourceRepositoryOf(parseReference('localhost:5000/a/b@' + d('a')))).toBe('localhost:5000/a/b');
    expect(sourceRepositoryOf(parseReference('localhost:5000/a/b'))).toBe('localhost:5000/a/b');
  });
});

describe('buildPlan', () => {
  test('one copy per absent or partial source: the source path, library/ kept, the tag or null, platforms ECR lacks', () => {
    const report = reportOf([
      source(1, 'nginx:1.25', 'docker.io/library/nginx:1.25', d('a'), [image('linux/amd64', true), image('linux/arm64/v8', false)]),
      source(2, 'quay.io/org/app:1', 'quay.io/org/app:1', d('b'), [image('linux/amd64', false)]),
      source(3, 'ghcr.io/o/tool@' + d('c'), 'ghcr.io/o/tool@' + d('c'), d('c'), [image('linux/amd64', false)]),
      source(4, 'present:1', 'docker.io/library/present:1', d('d'), [image('linux/amd64', true)]),
      source(6, 'quay.io/org/app:2@' + d('9'), 'quay.io/org/app:2@' + d('9'), d('9'), [image('linux/amd64', false)]),
    ]);
    expect(buildPlan(report, target, '')).toEqual({
      schemaVersion: 1,
      target: { registry: REGISTRY, prefix: '' },
      copies: [
        {
          line: 1,
          input: 'nginx:1.25',
          reference: { registry: 'docker.io', repository: 'library/nginx', tag: '1.25' },
          sourceDigest: d('a'),
          status: 'partial',
          platforms: ['linux/arm64/v8'],
          targetRepository: 'library/nginx',
          targetTag: '1.25',
          repositoryExists: true,
          ...NOTHING_KNOWN,
        },
        {
          line: 2,
          input: 'quay.io/org/app:1',
          reference: { registry: 'quay.io', repository: 'org/app', tag: '1' },
          sourceDigest: d('b'),
          status: 'absent',
          platforms: ['linux/amd64'],
          targetRepository: 'org/app',
          targetTag: '1',
          repositoryExists: false,
          ...NOTHING_KNOWN,
        },
        {
          line: 3,
          input: 'ghcr.io/o/tool@' + d('c'),
          reference: { registry: 'ghcr.io', repository: 'o/tool', digest: d('c') },
          sourceDigest: d('c'),
          status: 'absent',
          platforms: ['linux/amd64'],
          targetRepository: 'o/tool',
          targetTag: null,
          repositoryExists: false,
          ...NOTHING_KNOWN,
        },
        expect.objectContaining({ line: 6, targetRepository: 'org/app', targetTag: '2', sourceDigest: d('9') }),
      ],
      createRepositories: ['o/tool', 'org/app'],
      // The hand-made sources name no blobs; each copy counts its one manifest GET.
      transfer: {
        bytes: 0,
        uploadBytes: 0,
        mountableBytes: 0,
        blobMounting: 'unknown',
        pullsBySourceRegistry: { 'docker.io': 1, 'ghcr.io': 1, 'quay.io': 2 },
        warnings: [],
      },
    });
  });

  test('--target-prefix goes before every target; repositoryExists looks at the prefixed name', () => {
    const report = reportOf([
      source(1, 'nginx:1.25', 'docker.io/library/nginx:1.25', d('a'), [image('linux/amd64', false)]),
      source(2, 'quay.io/org/app:1', 'quay.io/org/app:1', d('b'), [image('linux/amd64', false)]),
    ]);
    const plan = buildPlan(report, { registry: REGISTRY, repositoryNames: ['mirror/library/nginx', 'org/app'] }, 'mirror');
    expect(plan.target).toEqual({ registry: REGISTRY, prefix: 'mirror' });
    expect(plan.copies.map((c) => [c.targetRepository, c.repositoryExists])).toEqual([
      ['mirror/library/nginx', true],
      ['mirror/org/app', false],
    ]);
    expect(plan.createRepositories).toEqual(['mirror/org/app']);
  });

  test('two sources claiming one repository:tag with different images conflict on both, and neither is copied', () => {
    const report = reportOf([
      source(1, 'quay.io/org/app:1', 'quay.io/org/app:1', d('a'), [image('linux/amd64', false)]),
      source(2, 'ghcr.io/org/app:1', 'ghcr.io/org/app:1', d('b'), [image('linux/amd64', false)]),
      // The same image under the same name twice is no conflict; nor are copies by digest only.
      source(3, 'quay.io/org/same:1', 'quay.io/org/same:1', d('c'), [image('linux/amd64', false)]),
      source(4, 'ghcr.io/org/same:1', 'ghcr.io/org/same:1', d('c'), [image('linux/amd64', false)]),
      source(5, 'quay.io/org/dig@' + d('d'), 'quay.io/org/dig@' + d('d'), d('d'), [image('linux/amd64', false)]),
      source(6, 'ghcr.io/org/dig@' + d('e'), 'ghcr.io/org/dig@' + d('e'), d('e'), [image('linux/amd64', false)]),
    ]);
    const plan = buildPlan(report, target, '');
    expect(plan.copies.map((c) => c.conflict)).toEqual([
      'org/app:1 is also claimed with another image by line 2 (ghcr.io/org/app:1)',
      'org/app:1 is also claimed with another image by line 1 (quay.io/org/app:1)',
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    // The conflicting pair makes no repository either.
    expect(plan.createRepositories).toEqual(['org/dig', 'org/same']);
  });

  test('a source path ECR would refuse is kept with invalidTarget, not renamed, not copied', () => {
    const report = reportOf([
      source(2, 'quay.io/org/my--app:1', 'quay.io/org/my--app:1', d('b'), [image('linux/amd64', false)]),
      source(3, 'quay.io/a:1', 'quay.io/a:1', d('c'), [image('linux/amd64', false)]),
    ]);
    const plan = buildPlan(report, target, '');
    expect(plan.copies.map((c) => [c.targetRepository, c.invalidTarget])).toEqual([
      // A name ECR refused before 2026-02 and takes now.
      ['org/my--app', undefined],
      ['a', expect.stringMatching(/shorter than ECR's minimum/)],
    ]);
    expect(plan.copies.every((c) => c.conflict === undefined)).toBe(true);
    expect(plan.createRepositories).toEqual(['org/my--app']);
    // With a prefix the one-letter path becomes a valid name.
    expect(buildPlan(report, target, 'm').copies[1]).toMatchObject({ targetRepository: 'm/a' });
    expect(buildPlan(report, target, 'm').copies[1]!.invalidTarget).toBeUndefined();
  });

  test('the target registry comes from the inventory; unknown when ECR listed no repository', () => {
    const inv = (accountId: string | undefined, region: string, repositoryNames: string[]): EcrInventory =>
      staticInventory({
        ...(accountId !== undefined ? { accountId } : {}),
        region,
        repositories: repositoryNames.length,
        images: 0,
        repositoryNames,
        platformImages: [],
      });
    expect(planTarget(inv('123456789012', 'eu-west-1', ['a', 'b']))).toMatchObject({
      registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      repositoryNames: ['a', 'b'],
    });
    expect(planTarget(inv('123456789012', 'cn-north-1', [])).registry).toBe('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn');
    expect(planTarget(inv(undefined, 'us-east-1', [])).registry).toBeUndefined();
    expect(planTarget(undefined)).toEqual({ repositoryNames: [] });
  });
});

describe('target tags ECR already holds', () => {
  const inventory = (mutability: Parameters<typeof staticInventory>[0]['mutability']) =>
    staticInventory({
      accountId: '123456789012',
      region: 'us-east-1',
      repositories: 2,
      images: 2,
      platformImages: [],
      repositoryNames: ['org/app', 'org/locked'],
      tags: new Map([
        ['org/app:1', d('9')],
        ['org/locked:1', d('9')],
        ['org/locked:dev-3', d('9')],
        ['org/app:same', d('b')],
      ]),
      ...(mutability ? { mutability } : {}),
    });
  const report = reportOf([
    source(1, 'quay.io/org/app:1', 'quay.io/org/app:1', d('a'), [image('linux/amd64', false)]),
    source(2, 'quay.io/org/locked:1', 'quay.io/org/locked:1', d('a'), [image('linux/amd64', false)]),
    source(3, 'quay.io/org/locked:dev-3', 'quay.io/org/locked:dev-3', d('a'), [image('linux/amd64', false)]),
    // The tag already holds this very image (a partial source): the copy adds platforms, moves nothing.
    source(4, 'quay.io/org/app:same', 'quay.io/org/app:same', d('b'), [image('linux/amd64', false)]),
    source(5, 'quay.io/org/app:new', 'quay.io/org/app:new', d('c'), [image('linux/amd64', false)]),
  ]);

  test('a copy onto a tag ECR holds with another image is not made; the conflict names the image and the mutability', () => {
    const plan = buildPlan(
      report,
      planTarget(inventory(new Map([['org/locked', { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['dev-*'] }]]))),
      '',
    );
    const [app, locked, excluded, same, fresh] = plan.copies;
    expect(app!.conflict).toBe(
      `org/app:1 already exists in ECR with another image (${d('9')}); the repository's tag mutability is MUTABLE, ` +
        'so the push would move the tag away from that image, which something may deploy from',
    );
    expect(app!.tagInUse).toEqual({ manifestDigest: d('9'), tagMutability: 'MUTABLE', exclusionFilters: [], immutable: false });
    expect(locked!.conflict).toMatch(
      /tag mutability is IMMUTABLE_WITH_EXCLUSION \(exclusion filters: dev-\*\), so ECR would refuse the push/,
    );
    expect(locked!.tagInUse?.immutable).toBe(true);
    // Excluded from immutability: the push would succeed, and move the tag: still not made.
    expect(excluded!.tagInUse).toMatchObject({ immutable: false });
    expect(same!.conflict).toBeUndefined();
    expect(fresh!.conflict).toBeUndefined();
    expect(plan.copies.filter((c) => c.conflict === undefined).map((c) => c.line)).toEqual([4, 5]);
  });

  test('planTargetTags: every tagged source, under the prefix', () => {
    const sources = [{ reference: { repository: 'library/nginx', tag: '1.25' } }, { reference: { repository: 'org/app', tag: undefined } }];
    expect([...planTargetTags(sources, 'mirror')]).toEqual(['mirror/library/nginx:1.25']);
  });
});

describe('plan.json', () => {
  test("references as canonical text, an unknown registry as '', fields in the contract's order", () => {
    const plan = buildPlan(
      [source(1, 'nginx', 'docker.io/library/nginx:latest', d('a'), [image('linux/amd64', false)])],
      { repositoryNames: [] },
      '',
    );
    expect(plan.target.registry).toBeUndefined();
    const json = planJson(plan);
    expect(json.target).toEqual({ registry: '', prefix: '' });
    expect(json.copies[0]!.reference).toBe('docker.io/library/nginx:latest');
    expect(Object.keys(json)).toEqual(['schemaVersion', 'target', 'copies', 'createRepositories', 'transfer']);
    expect(Object.keys(json.copies[0]!)).toEqual([
      'line',
      'input',
      'reference',
      'sourceDigest',
      'status',
      'platforms',
      'targetRepository',
      'targetTag',
      'repositoryExists',
      'bytes',
      'uploadBytes',
      'mountableBytes',
      'pulls',
    ]);
  });
});
