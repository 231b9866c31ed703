/**
 * Which copies a pull-through cache rule of the target registry could serve instead: a copy whose
 * source registry is an upstream ECR supports (scanner/oci/pull-through-upstream.ts) gets the cache
 * path it would be pulled from, under the target's existing rule for that upstream or the default
 * prefix; the plan lists one rule per upstream used, existing or to create. Pure: the rules come in,
 * nothing is asked. A cache is not a copy (it follows the upstream tag, and its first pull needs the
 * internet), so the copies stay in the plan; this is the alternative beside each.
 */
import { ExistingPullThroughCacheRule } from '../ecr/registry-settings';
import { parseEcrHost } from '../oci/ecr-host';
import {
  PULL_THROUGH_PREFIX_MAX,
  PULL_THROUGH_RULES_MAX,
  PullThroughUpstream,
  pullThroughUpstreamOf,
  regionHasPullThroughCache,
} from '../oci/pull-through-upstream';
import { PlannedCopy, PlannedPullThroughCacheRule, PullThroughCacheSuggestion, isCopyMade } from './plan-types';
import { ecrNameProblem } from './target-name';

export interface PullThroughCacheTarget {
  /** The target registry host; absent when the scan could not learn the account. */
  registry?: string;
  region: string;
  existingRules: readonly ExistingPullThroughCacheRule[];
}

export interface PullThroughCachePlan {
  /** Per copy, in the plan's order: where a rule would serve it from, or undefined. */
  suggestions: Array<PullThroughCacheSuggestion | undefined>;
  rules: PlannedPullThroughCacheRule[];
  warnings: string[];
}

/** Written where the registry host would be when the scan could not learn it (copy.sh asks for the same). */
export const UNKNOWN_REGISTRY = '$TARGET_REGISTRY';

/** One upstream's identity: ECR private registries by account and region (any host form), others by URL. */
function upstreamKey(upstream: PullThroughUpstream): string {
  const ecr = upstream.kind === 'ecr' ? parseEcrHost(upstream.url) : undefined;
  return ecr ? `ecr:${ecr.accountId}:${ecr.region}` : upstream.url;
}

const withoutSlash = (prefix: string) => (prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);

/** The part of an upstream path a rule maps, or undefined when the rule does not map it. */
function mappedPath(rule: ExistingPullThroughCacheRule, path: string): string | undefined {
  const upstreamPrefix = rule.upstreamRepositoryPrefix;
  if (upstreamPrefix === undefined || upstreamPrefix === 'ROOT') return path;
  const namespace = `${withoutSlash(upstreamPrefix)}/`;
  return path.startsWith(namespace) ? path.slice(namespace.length) : undefined;
}

/** `<prefix>/<path>`; a ROOT rule maps the path to itself. */
function cacheRepository(prefix: string, path: string): string {
  return prefix === 'ROOT' ? path : `${withoutSlash(prefix)}/${path}`;
}

/** The existing rule that serves this path: one of a narrower upstream namespace first, then a named prefix before ROOT. */
function existingRuleFor(rules: readonly ExistingPullThroughCacheRule[], path: string): ExistingPullThroughCacheRule | undefined {
  const rank = (r: ExistingPullThroughCacheRule) =>
    (r.upstreamRepositoryPrefix !== undefined && r.upstreamRepositoryPrefix !== 'ROOT' ? 0 : 2) +
    (r.ecrRepositoryPrefix === 'ROOT' ? 1 : 0);
  return rules
    .filter((r) => mappedPath(r, path) !== undefined)
    .sort((a, b) => rank(a) - rank(b) || (a.ecrRepositoryPrefix < b.ecrRepositoryPrefix ? -1 : 1))[0];
}

/** A default prefix that no existing rule holds for another upstream: `quay`, else `quay-2`, … */
function freePrefix(wanted: string, taken: ReadonlySet<string>): string {
  if (!taken.has(wanted)) return wanted;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${wanted.slice(0, PULL_THROUGH_PREFIX_MAX - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export function planPullThroughCache(copies: readonly PlannedCopy[], target: PullThroughCacheTarget): PullThroughCachePlan {
  const suggestions: Array<PullThroughCacheSuggestion | undefined> = copies.map(() => undefined);
  if (!regionHasPullThroughCache(target.region)) return { suggestions, rules: [], warnings: [] };
  const registry = target.registry ?? UNKNOWN_REGISTRY;
  const targetEcr = target.registry !== undefined ? parseEcrHost(target.registry) : undefined;
  const rulesByUpstream = new Map<string, ExistingPullThroughCacheRule[]>();
  for (const rule of target.existingRules) {
    const upstream = pullThroughUpstreamOf(rule.upstreamRegistryUrl);
    if (!upstream) continue;
    const key = upstreamKey(upstream);
    rulesByUpstream.set(key, [...(rulesByUpstream.get(key) ?? []), rule]);
  }
  const taken = new Set(target.existingRules.map((r) => r.ecrRepositoryPrefix));
  const defaults = new Map<string, string>();
  // By prefix, in the order first used (a Map keeps insertion order).
  const tallies = new Map<string, PlannedPullThroughCacheRule>();

  copies.forEach((copy, i) => {
    if (!isCopyMade(copy)) return;
    const upstream = pullThroughUpstreamOf(copy.reference.registry);
    if (!upstream) return;
    const key = upstreamKey(upstream);
    // The target registry itself is no upstream of its own.
    if (targetEcr && key === `ecr:${targetEcr.accountId}:${targetEcr.region}`) return;
    const path = copy.reference.repository;
    const existing = existingRuleFor(rulesByUpstream.get(key) ?? [], path);
    let prefix: string;
    if (existing) prefix = existing.ecrRepositoryPrefix;
    else {
      prefix = defaults.get(key) ?? freePrefix(upstream.defaultPrefix, taken);
      defaults.set(key, prefix);
      taken.add(prefix);
    }
    const repository = cacheRepository(prefix, existing ? (mappedPath(existing, path) ?? path) : path);
    if (ecrNameProblem(repository) !== undefined) return;
    const at = copy.targetTag === null ? `@${copy.sourceDigest}` : `:${copy.targetTag}`;
    suggestions[i] = { prefix, uri: `${registry}/${repository}${at}`, ruleExists: existing !== undefined };
    let tally = tallies.get(prefix);
    if (!tally) {
      tally = {
        prefix,
        upstreamRegistryUrl: existing?.upstreamRegistryUrl ?? upstream.url,
        credentials: existing ? (existing.credentialArn ?? existing.customRoleArn ?? null) : (upstream.credentials?.(prefix) ?? null),
        exists: existing !== undefined,
        copies: 0,
        bytes: 0,
      };
      tallies.set(prefix, tally);
    }
    tally.copies++;
    tally.bytes += copy.bytes;
  });

  const rules = [...tallies.values()];
  const created = rules.filter((r) => !r.exists).length;
  const warnings =
    target.existingRules.length + created > PULL_THROUGH_RULES_MAX
      ? [
          `the target registry holds ${target.existingRules.length} pull-through cache rule(s); the ${created} suggested would pass ECR's ${PULL_THROUGH_RULES_MAX} a registry`,
        ]
      : [];
  return { suggestions, rules, warnings };
}

/** The AWS CLI command that creates a planned rule (for rules that do not exist yet); without a region, the CLI's own. */
export function createRuleCommand(rule: PlannedPullThroughCacheRule, region?: string): string {
  const upstream = pullThroughUpstreamOf(rule.upstreamRegistryUrl);
  const parts = [
    'aws ecr create-pull-through-cache-rule',
    `--ecr-repository-prefix ${rule.prefix}`,
    `--upstream-registry-url ${rule.upstreamRegistryUrl}`,
  ];
  if (rule.credentials !== null) {
    // The secret's ARN ends in a suffix Secrets Manager adds, so it is left for the reader to fill in.
    parts.push(
      upstream?.kind === 'ecr'
        ? "--custom-role-arn '<ARN of an IAM role that may pull from the upstream registry>'"
        : `--credential-arn '<ARN of the secret ecr-pullthroughcache/${rule.prefix}>'`,
    );
  }
  if (region !== undefined) parts.push(`--region ${region}`);
  return parts.join(' ');
}
