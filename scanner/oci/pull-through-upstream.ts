/**
 * The upstream registries an ECR pull-through cache rule can follow (2026), in one table that the
 * scanner's suggestion (scanner/plan/pull-through-cache.ts) and the ECR emulator both read: which
 * registry hosts each covers, the URL a rule names, ECR's `upstreamRegistry` value, the default
 * repository prefix, and what credentials a rule for it needs.
 */
import { DOCKER_HUB, DOCKER_HUB_API, canonicalRegistry } from './reference';
import { parseEcrHost } from './ecr-host';

/** ECR's `upstreamRegistry` enum (botocore's ecr model, 2026). */
export type UpstreamRegistryKind =
  | 'ecr'
  | 'ecr-public'
  | 'quay'
  | 'k8s'
  | 'docker-hub'
  | 'github-container-registry'
  | 'azure-container-registry'
  | 'gitlab-container-registry'
  | 'chainguard';

export interface PullThroughUpstream {
  kind: UpstreamRegistryKind;
  /** What a rule's `upstreamRegistryUrl` holds for it (Docker Hub's registry API host, not docker.io). */
  url: string;
  /** The repository prefix suggested when the target registry has no rule for this upstream yet. */
  defaultPrefix: string;
  /**
   * What a new rule under this prefix needs to reach the upstream (a secret is named after the rule's
   * prefix, which need not be the default); null when it takes none.
   */
  credentials: ((prefix: string) => string) | null;
}

/** ECR's prefix rule: 2 to 30 characters of the repository grammar, or `ROOT`. */
const PULL_THROUGH_PREFIX_PATTERN = /^((?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*\/?|ROOT)$/;
const PULL_THROUGH_PREFIX_MIN = 2;
export const PULL_THROUGH_PREFIX_MAX = 30;
/** Rules a registry may hold (a quota). */
export const PULL_THROUGH_RULES_MAX = 50;

export function pullThroughPrefixProblem(prefix: string): string | undefined {
  if (prefix.length < PULL_THROUGH_PREFIX_MIN || prefix.length > PULL_THROUGH_PREFIX_MAX)
    return `must be ${PULL_THROUGH_PREFIX_MIN} to ${PULL_THROUGH_PREFIX_MAX} characters long`;
  if (!PULL_THROUGH_PREFIX_PATTERN.test(prefix)) return `must satisfy the pattern ${PULL_THROUGH_PREFIX_PATTERN.source}`;
  return undefined;
}

const secret = (what: string) => (prefix: string) =>
  `a Secrets Manager secret named ecr-pullthroughcache/${prefix} (same account and region) holding ${what}`;

/** Fixed hosts; Azure and ECR private registries are recognised by their host patterns below. */
const FIXED: ReadonlyMap<string, PullThroughUpstream> = new Map([
  [
    DOCKER_HUB,
    {
      kind: 'docker-hub',
      url: DOCKER_HUB_API,
      defaultPrefix: 'docker-hub',
      credentials: secret('a Docker Hub user name and access token'),
    },
  ],
  ['quay.io', { kind: 'quay', url: 'quay.io', defaultPrefix: 'quay', credentials: null }],
  [
    'ghcr.io',
    {
      kind: 'github-container-registry',
      url: 'ghcr.io',
      defaultPrefix: 'ghcr',
      credentials: secret('a GitHub user name and token'),
    },
  ],
  ['registry.k8s.io', { kind: 'k8s', url: 'registry.k8s.io', defaultPrefix: 'k8s', credentials: null }],
  ['public.ecr.aws', { kind: 'ecr-public', url: 'public.ecr.aws', defaultPrefix: 'ecr-public', credentials: null }],
  [
    'registry.gitlab.com',
    {
      kind: 'gitlab-container-registry',
      url: 'registry.gitlab.com',
      defaultPrefix: 'gitlab',
      credentials: secret('a GitLab user name and access token'),
    },
  ],
  ['cgr.dev', { kind: 'chainguard', url: 'cgr.dev', defaultPrefix: 'chainguard', credentials: secret('a Chainguard pull token') }],
]);

const AZURE_HOST = /^([a-z0-9]+)\.azurecr\.io$/;

/**
 * The upstream a source registry (as references name it: `docker.io`, `quay.io`, …) or a rule's
 * upstream URL is, or undefined when no pull-through cache rule can follow it.
 */
export function pullThroughUpstreamOf(registryOrUrl: string): PullThroughUpstream | undefined {
  const host = canonicalRegistry(registryOrUrl);
  const fixed = FIXED.get(host);
  if (fixed) return fixed;
  const azure = AZURE_HOST.exec(host);
  if (azure) {
    // The prefix must stay within ECR's 30 characters.
    const prefix = `azure-${azure[1]}`.slice(0, PULL_THROUGH_PREFIX_MAX);
    return {
      kind: 'azure-container-registry',
      url: host,
      defaultPrefix: prefix,
      credentials: secret('an Azure service principal or token with pull rights'),
    };
  }
  const ecr = parseEcrHost(host);
  if (ecr) {
    return {
      kind: 'ecr',
      url: host,
      defaultPrefix: `ecr-${ecr.accountId}`,
      credentials: () => `an IAM role that ECR assumes to pull from ${host} (--custom-role-arn)`,
    };
  }
  return undefined;
}

/** Regions without pull-through cache: China (`cn-*`) and AWS GovCloud (`us-gov-*`). */
export function regionHasPullThroughCache(region: string): boolean {
  return !region.startsWith('cn-') && !region.startsWith('us-gov-');
}
