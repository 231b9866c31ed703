/**
 * The pull-through cache suggestion on hand-made copies: the supported upstreams and their default
 * prefixes, an existing rule used instead, Docker Hub's `library/`, the rules with their copies,
 * bytes and credentials, no suggestion in China or GovCloud, the create command; and the report's
 * matches under an existing rule's prefix.
 */
import { ExistingPullThroughCacheRule, TargetRegistrySettings } from '../../scanner/ecr/registry-settings';
import { parseReference } from '../../scanner/oci/reference';
import { pullThroughUpstreamOf } from '../../scanner/oci/pull-through-upstream';
import { buildPlan } from '../../scanner/plan/build-plan';
import { PlannedCopy } from '../../scanner/plan/plan-types';
import { createRuleCommand, planPullThroughCache } from '../../scanner/plan/pull-through-cache';
import { ReferencedSource } from '../../scanner/report/build-report';
import { markPullThroughCacheMatches } from '../../scanner/report/pull-through-cache-matches';
import { Report } from '../../scanner/report/report-types';
import { fakeDigest as d, plannedCopy } from '../support/planned-copy';

const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const DOCKER_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/hub-AbCdEf';

const copyOf = (reference: string, bytes?: number, extra: Partial<PlannedCopy> = {}) =>
  plannedCopy(reference, { ...(bytes !== undefined ? { bytes } : {}), ...extra });

const plan = (copies: PlannedCopy[], existingRules: ExistingPullThroughCacheRule[] = [], region = 'eu-west-1', registry = REGISTRY) =>
  planPullThroughCache(copies, { registry, region, existingRules });

test('every supported upstream, with its default prefix; Docker Hub official images keep library/', () => {
  const copies = [
    copyOf('nginx:1.25', 100),
    copyOf('quay.io/prometheus/prometheus:v2.50.0', 20),
    copyOf('ghcr.io/org/tool:1'),
    copyOf('registry.k8s.io/pause:3.9'),
    copyOf('public.ecr.aws/docker/library/redis:7'),
    copyOf('myteam.azurecr.io/app/api:2'),
    copyOf('registry.gitlab.com/group/project/image:3'),
    copyOf('cgr.dev/chainguard/static:latest'),
    copyOf('210987654321.dkr.ecr.us-east-1.amazonaws.com/team/svc:4'),
    copyOf('registry.example.com/other:1'),
    copyOf('gcr.io/distroless/static:nonroot'),
  ];
  const { suggestions, rules, warnings } = plan(copies);
  expect(suggestions.map((s) => s?.uri)).toEqual([
    `${REGISTRY}/docker-hub/library/nginx:1.25`,
    `${REGISTRY}/quay/prometheus/prometheus:v2.50.0`,
    `${REGISTRY}/ghcr/org/tool:1`,
    `${REGISTRY}/k8s/pause:3.9`,
    `${REGISTRY}/ecr-public/docker/library/redis:7`,
    `${REGISTRY}/azure-myteam/app/api:2`,
    `${REGISTRY}/gitlab/group/project/image:3`,
    `${REGISTRY}/chainguard/chainguard/static:latest`,
    `${REGISTRY}/ecr-210987654321/team/svc:4`,
    undefined,
    undefined,
  ]);
  expect(suggestions.every((s) => s === undefined || s.ruleExists === false)).toBe(true);
  expect(rules.map((r) => [r.prefix, r.upstreamRegistryUrl, r.credentials === null, r.exists, r.copies])).toEqual([
    ['docker-hub', 'registry-1.docker.io', false, false, 1],
    ['quay', 'quay.io', true, false, 1],
    ['ghcr', 'ghcr.io', false, false, 1],
    ['k8s', 'registry.k8s.io', true, false, 1],
    ['ecr-public', 'public.ecr.aws', true, false, 1],
    ['azure-myteam', 'myteam.azurecr.io', false, false, 1],
    ['gitlab', 'registry.gitlab.com', false, false, 1],
    ['chainguard', 'cgr.dev', false, false, 1],
    ['ecr-210987654321', '210987654321.dkr.ecr.us-east-1.amazonaws.com', false, false, 1],
  ]);
  expect(rules[0]!.credentials).toMatch(/^a Secrets Manager secret named ecr-pullthroughcache\/docker-hub/);
  expect(rules[8]!.credentials).toMatch(/IAM role/);
  expect(warnings).toEqual([]);
});

test('an existing rule for the upstream is used (its prefix, ruleExists, its credential ARN); bytes sum the copies', () => {
  const existing: ExistingPullThroughCacheRule[] = [
    { ecrRepositoryPrefix: 'hub', upstreamRegistryUrl: 'registry-1.docker.io', credentialArn: DOCKER_SECRET },
    // A rule holding the default prefix of another upstream: the suggestion takes the next free one.
    { ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'public.ecr.aws' },
  ];
  const copies = [
    copyOf('nginx:1.25', 100),
    copyOf('docker.io/bitnami/redis:7', 50),
    copyOf('quay.io/org/app:1', 7),
    copyOf('public.ecr.aws/x/y:1'),
    copyOf('nginx@' + d('c'), 5),
  ];
  const { suggestions, rules } = plan(copies, existing);
  expect(suggestions).toEqual([
    { prefix: 'hub', uri: `${REGISTRY}/hub/library/nginx:1.25`, ruleExists: true },
    { prefix: 'hub', uri: `${REGISTRY}/hub/bitnami/redis:7`, ruleExists: true },
    { prefix: 'quay-2', uri: `${REGISTRY}/quay-2/org/app:1`, ruleExists: false },
    { prefix: 'quay', uri: `${REGISTRY}/quay/x/y:1`, ruleExists: true },
    { prefix: 'hub', uri: `${REGISTRY}/hub/library/nginx@${d('a')}`, ruleExists: true },
  ]);
  expect(rules).toEqual([
    { prefix: 'hub', upstreamRegistryUrl: 'registry-1.docker.io', credentials: DOCKER_SECRET, exists: true, copies: 3, bytes: 155 },
    { prefix: 'quay-2', upstreamRegistryUrl: 'quay.io', credentials: null, exists: false, copies: 1, bytes: 7 },
    { prefix: 'quay', upstreamRegistryUrl: 'public.ecr.aws', credentials: null, exists: true, copies: 1, bytes: 0 },
  ]);
});

test('a rule under another prefix than the default (the default taken by another upstream) names the secret of its own prefix', () => {
  const { rules } = plan([copyOf('nginx:1.25', 100)], [{ ecrRepositoryPrefix: 'docker-hub', upstreamRegistryUrl: 'quay.io' }]);
  const rule = rules.find((r) => !r.exists)!;
  expect(rule.prefix).toBe('docker-hub-2');
  // The rule's words and its create command name the same secret.
  expect(rule.credentials).toMatch(/^a Secrets Manager secret named ecr-pullthroughcache\/docker-hub-2 /);
  expect(createRuleCommand(rule)).toContain("--credential-arn '<ARN of the secret ecr-pullthroughcache/docker-hub-2>'");
});

test('a ROOT rule maps paths to themselves; an ECR rule with an upstream namespace maps only that namespace', () => {
  const upstream = '210987654321.dkr.ecr.us-east-1.amazonaws.com';
  const existing: ExistingPullThroughCacheRule[] = [
    { ecrRepositoryPrefix: 'ROOT', upstreamRegistryUrl: 'registry.k8s.io' },
    {
      ecrRepositoryPrefix: 'prod',
      upstreamRegistryUrl: upstream,
      upstreamRepositoryPrefix: 'team',
      customRoleArn: 'arn:aws:iam::1:role/r',
    },
  ];
  const { suggestions, rules } = plan(
    [copyOf('registry.k8s.io/pause:3.9'), copyOf(`${upstream}/team/svc:1`), copyOf(`${upstream}/other/svc:1`)],
    existing,
  );
  expect(suggestions.map((s) => s?.uri)).toEqual([
    `${REGISTRY}/pause:3.9`,
    `${REGISTRY}/prod/svc:1`,
    `${REGISTRY}/ecr-210987654321/other/svc:1`,
  ]);
  expect(rules.find((r) => r.prefix === 'prod')?.credentials).toBe('arn:aws:iam::1:role/r');
});

test('no suggestion in China or GovCloud; none for a copy not made; the registry unknown reads $TARGET_REGISTRY', () => {
  for (const region of ['cn-north-1', 'cn-northwest-1', 'us-gov-west-1']) {
    const none = plan([copyOf('nginx:1')], [], region);
    expect(none.suggestions).toEqual([undefined]);
    expect(none.rules).toEqual([]);
  }
  expect(plan([copyOf('nginx:1', 1, { conflict: 'taken' })]).suggestions).toEqual([undefined]);
  const unknown = planPullThroughCache([copyOf('nginx:1')], { region: 'eu-west-1', existingRules: [] });
  expect(unknown.suggestions[0]?.uri).toBe('$TARGET_REGISTRY/docker-hub/library/nginx:1');
});

test('more rules than ECR allows is a warning', () => {
  const existing = Array.from({ length: 50 }, (_, i) => ({ ecrRepositoryPrefix: `r${i}`, upstreamRegistryUrl: 'quay.io' }));
  expect(plan([copyOf('nginx:1')], existing).warnings).toEqual([
    "the target registry holds 50 pull-through cache rule(s); the 1 suggested would pass ECR's 50 a registry",
  ]);
});

test('the create command names the prefix, URL, region, and a credential placeholder where one is needed', () => {
  const rule = { prefix: 'docker-hub', upstreamRegistryUrl: 'registry-1.docker.io', credentials: 'x', exists: false, copies: 1, bytes: 0 };
  expect(createRuleCommand(rule, 'eu-west-1')).toBe(
    "aws ecr create-pull-through-cache-rule --ecr-repository-prefix docker-hub --upstream-registry-url registry-1.docker.io --credential-arn '<ARN of the secret ecr-pullthroughcache/docker-hub>' --region eu-west-1",
  );
  expect(createRuleCommand({ ...rule, prefix: 'quay', upstreamRegistryUrl: 'quay.io', credentials: null }, 'us-east-1')).toBe(
    'aws ecr create-pull-through-cache-rule --ecr-repository-prefix quay --upstream-registry-url quay.io --region us-east-1',
  );
  expect(pullThroughUpstreamOf('a'.repeat(40) + '.azurecr.io')?.defaultPrefix).toHaveLength(30);
});

test('buildPlan: the settings fill transfer.blobMounting and warnings, copies[].pullThroughCache and the rules', () => {
  const ref = parseReference('nginx:1.25');
  const sources: ReferencedSource[] = [
    {
      source: { line: 1, input: 'nginx:1.25', reference: 'docker.io/library/nginx:1.25', digest: d('a'), status: 'absent', images: [] },
      reference: ref,
    },
  ];
  const settings: TargetRegistrySettings = {
    region: 'eu-west-1',
    blobMounting: 'unknown',
    pullThroughCacheAvailable: true,
    pullThroughCacheRules: [],
    warnings: ['ECR GetAccountSetting was denied'],
  };
  const made = buildPlan(sources, { registry: REGISTRY, repositoryNames: [] }, '', settings);
  expect(made.transfer).toMatchObject({ blobMounting: 'unknown', warnings: ['ECR GetAccountSetting was denied'] });
  expect(made.copies[0]!.pullThroughCache).toEqual({
    prefix: 'docker-hub',
    uri: `${REGISTRY}/docker-hub/library/nginx:1.25`,
    ruleExists: false,
  });
  expect(made.pullThroughCache?.rules.map((r) => r.prefix)).toEqual(['docker-hub']);
  const china = buildPlan(sources, { repositoryNames: [] }, '', { ...settings, region: 'cn-north-1', pullThroughCacheAvailable: false });
  expect(china.pullThroughCache).toBeUndefined();
  expect(china.copies[0]!.pullThroughCache).toBeUndefined();
  // Without the settings (an older endpoint, or none read): the accounting still stands, mounting unknown.
  expect(buildPlan(sources, { repositoryNames: [] }, '').transfer).toMatchObject({ blobMounting: 'unknown', warnings: [] });
});

test('report.json: a match under an existing rule’s prefix (in the target registry) carries pullThroughCache: true', () => {
  const m = (repository: string, accountId?: string) => ({
    ...(accountId ? { accountId, region: 'eu-west-1' } : {}),
    uri: `x/${repository}`,
    repository,
    tags: [],
    manifestDigest: d('b'),
    imageId: d('c'),
    matchedBy: 'imageId' as const,
  });
  const matches = [
    m('hub/library/nginx'),
    m('hubble/nginx'),
    m('hub/library/nginx', '210987654321'),
    m('hub/library/nginx', '123456789012'),
  ];
  const image = { platform: 'linux/amd64', manifestDigest: d('b'), imageId: d('c'), matches };
  const report = { sources: [{ line: 1, input: 'nginx', status: 'present', images: [image] }] } as unknown as Report;
  markPullThroughCacheMatches(report, REGISTRY, [
    { ecrRepositoryPrefix: 'hub', upstreamRegistryUrl: 'registry-1.docker.io' },
    { ecrRepositoryPrefix: 'ROOT', upstreamRegistryUrl: 'quay.io' },
  ]);
  expect(report.sources[0]!.images[0]!.matches.map((x) => x.pullThroughCache)).toEqual([true, undefined, undefined, true]);
});
