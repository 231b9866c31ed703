/**
 * The migration plan from the report's sources and the references they were
 * parsed to: one copy per `absent` or `partial` source, aimed at the source's
 * own path under the target prefix. Pure.
 */
import { EcrInventory, EcrTagMutability } from '../ecr/types';
import { isTagImmutable } from '../oci/ecr-tag-mutability';
import { EcrRegistryId, formatEcrHost } from '../oci/ecr-host';
import { ReportSource } from '../report/report-types';
import { ReferencedSource } from '../report/build-report';
import { MigrationPlan, PLAN_SCHEMA_VERSION, PlannedCopy, PlannedReferrer, PlannedReferrerCopy, isCopyMade } from './plan-types';
import { ecrNameProblem, targetRepositoryFor } from './target-name';
import { TargetRegistrySettings } from '../ecr/registry-settings';
import { planPullThroughCache } from './pull-through-cache';

export interface PlanTargetInfo {
  /** Absent when unknown. */
  registry?: string;
  /** Every repository the ECR registry holds. */
  repositoryNames: readonly string[];
  /** The manifest digest ECR holds under a target repository:tag (the inventory remembered the plan's targets); none: undefined. */
  tagHolder?(repository: string, tag: string): string | undefined;
  /** The target repository's tag mutability; undefined for a repository ECR does not hold. */
  tagMutability?(repository: string): EcrTagMutability | undefined;
}

/**
 * The registry the copies go to: the inventoried one. An ECR registry with no
 * repository does not tell its account ID, so then the registry is absent and
 * copy.sh asks for TARGET_REGISTRY.
 */
export function planTargetOf(inventories: readonly EcrInventory[]): PlanTargetInfo {
  const first = inventories[0];
  const accountId = first?.accountId;
  return {
    ...(first && accountId !== undefined ? { registry: formatEcrHost({ accountId, region: first.region }) } : {}),
    repositoryNames: inventories.flatMap((i) => i.repositoryNames),
    ...(first
      ? { tagHolder: (repository, tag) => first.lookupTag(repository, tag), tagMutability: (repository) => first.tagMutability(repository) }
      : {}),
  };
}

/**
 * An organization scan's target: the registry named (or the caller's in the first region), whose
 * repositories, tags and tag mutability are known when it was among those read.
 */
export function organizationPlanTarget(target: EcrRegistryId, inventories: readonly EcrInventory[]): PlanTargetInfo {
  const read = inventories.find((i) => i.accountId === target.accountId && i.region === target.region);
  return {
    registry: formatEcrHost(target),
    repositoryNames: read?.repositoryNames ?? [],
    ...(read
      ? { tagHolder: (repository, tag) => read.lookupTag(repository, tag), tagMutability: (repository) => read.tagMutability(repository) }
      : {}),
  };
}

/**
 * A copy whose target repository:tag ECR already holds with another image is not made: pushed, it
 * would fail (an immutable tag) or silently move a tag that something may deploy from.
 */
function markTagsInUse(copies: PlannedCopy[], target: PlanTargetInfo): void {
  for (const copy of copies) {
    if (copy.targetTag === null || copy.invalidTarget !== undefined || !copy.repositoryExists) continue;
    const holder = target.tagHolder?.(copy.targetRepository, copy.targetTag);
    if (holder === undefined || holder === copy.sourceDigest) continue;
    const setting = target.tagMutability?.(copy.targetRepository) ?? { mutability: 'MUTABLE', exclusionFilters: [] };
    const immutable = isTagImmutable(setting, copy.targetTag);
    const filters = setting.exclusionFilters.length > 0 ? ` (exclusion filters: ${setting.exclusionFilters.join(', ')})` : '';
    const consequence = immutable
      ? 'ECR would refuse the push (the tag is immutable there)'
      : 'the push would move the tag away from that image, which something may deploy from';
    const inUse = `${copy.targetRepository}:${copy.targetTag} already exists in ECR with another image (${holder}); the repository's tag mutability is ${setting.mutability}${filters}, so ${consequence}`;
    copy.conflict = copy.conflict ? `${copy.conflict}; ${inUse}` : inUse;
    copy.tagInUse = { manifestDigest: holder, tagMutability: setting.mutability, exclusionFilters: setting.exclusionFilters, immutable };
  }
}

function copyOf({ source, reference }: ReferencedSource, prefix: string, existing: ReadonlySet<string>): PlannedCopy | undefined {
  if ((source.status !== 'absent' && source.status !== 'partial') || !source.digest) return undefined;
  const targetRepository = targetRepositoryFor(reference, prefix);
  const problem = ecrNameProblem(targetRepository);
  return {
    line: source.line,
    input: source.input,
    reference,
    sourceDigest: source.digest,
    status: source.status,
    platforms: source.images.filter((i) => i.matches.length === 0).map((i) => i.platform),
    ...(missingReferrers(source).length > 0 ? { referrers: missingReferrers(source) } : {}),
    targetRepository,
    targetTag: reference.tag ?? null,
    repositoryExists: existing.has(targetRepository),
    ...(problem !== undefined ? { invalidTarget: problem } : {}),
  };
}

/** The source's referrers ECR lacks, as the plan carries them. */
function missingReferrers(source: ReportSource): PlannedReferrer[] {
  return (source.referrers ?? [])
    .filter((r) => !r.inEcr)
    .map((r) => ({ digest: r.digest, artifactType: r.artifactType, via: r.via, ...(r.tag !== undefined ? { tag: r.tag } : {}) }));
}

/** A present source whose referrers ECR lacks: they go beside ECR's byte-identical copy, if there is one. */
function referrerCopyOf({ source, reference }: ReferencedSource): PlannedReferrerCopy | undefined {
  const referrers = missingReferrers(source);
  if (source.status !== 'present' || referrers.length === 0 || !source.digest) return undefined;
  const identical = source.images.flatMap((i) => i.matches.filter((m) => m.matchedBy === 'manifest'))[0];
  const base = { line: source.line, input: source.input, reference, sourceDigest: source.digest };
  if (!identical) {
    return {
      ...base,
      targetRepository: null,
      reason:
        'ECR holds this image only under other manifest digests (the same image ID): a signature of the source digest does not verify there; copy the image byte-identical (skopeo --preserve-digests) or sign the copy ECR holds',
      referrers,
    };
  }
  return { ...base, targetRepository: identical.repository, referrers };
}

/**
 * Two sources that would put different images under one repository:tag: the
 * last copy would silently win, so neither is made and both say why. Copies
 * by digest only cannot collide (a digest names one image), nor can two
 * copies of the same image.
 */
function markConflicts(copies: PlannedCopy[]): void {
  const claims = new Map<string, PlannedCopy[]>();
  for (const copy of copies) {
    if (copy.targetTag === null || copy.invalidTarget !== undefined) continue;
    const key = `${copy.targetRepository}:${copy.targetTag}`;
    const list = claims.get(key);
    if (list) list.push(copy);
    else claims.set(key, [copy]);
  }
  for (const [key, list] of claims) {
    if (new Set(list.map((c) => c.sourceDigest)).size < 2) continue;
    for (const copy of list) {
      const others = list.filter((o) => o !== copy && o.sourceDigest !== copy.sourceDigest);
      copy.conflict = `${key} is also claimed with another image by ${others.map((o) => `line ${o.line} (${o.input})`).join(', ')}`;
    }
  }
}

/**
 * Round four: what the target registry said (registry-settings.ts) goes into plan.transfer (its
 * blob mounting, the warnings of calls that failed), and the copies a pull-through cache rule could
 * serve are marked (pull-through-cache.ts). Last, so each copy's bytes are already known.
 */
function applyTargetSettings(plan: MigrationPlan, settings: TargetRegistrySettings): void {
  const cache = settings.pullThroughCacheAvailable
    ? planPullThroughCache(plan.copies, {
        ...(plan.target.registry !== undefined ? { registry: plan.target.registry } : {}),
        region: settings.region,
        existingRules: settings.pullThroughCacheRules,
      })
    : undefined;
  cache?.suggestions.forEach((suggestion, i) => {
    if (suggestion) plan.copies[i]!.pullThroughCache = suggestion;
  });
  plan.transfer = {
    ...plan.transfer,
    blobMounting: settings.blobMounting,
    warnings: [...(plan.transfer?.warnings ?? []), ...settings.warnings, ...(cache?.warnings ?? [])],
  };
  if (cache) plan.pullThroughCache = { rules: cache.rules };
}

/**
 * `sources`: the report's sources of valid entries, in report order, each with its parsed reference.
 * `settings`: the target registry's pull-through cache rules and blob mounting, when they were read.
 */
export function buildPlan(
  sources: readonly ReferencedSource[],
  target: PlanTargetInfo,
  prefix: string,
  settings?: TargetRegistrySettings,
): MigrationPlan {
  const existing = new Set(target.repositoryNames);
  const copies = sources.flatMap((s) => copyOf(s, prefix, existing) ?? []);
  markConflicts(copies);
  markTagsInUse(copies, target);
  const referrerCopies = sources.flatMap((s) => referrerCopyOf(s) ?? []);
  const create = new Set(copies.filter((c) => isCopyMade(c) && !c.repositoryExists).map((c) => c.targetRepository));
  const plan: MigrationPlan = {
    schemaVersion: PLAN_SCHEMA_VERSION,
    target: { ...(target.registry !== undefined ? { registry: target.registry } : {}), prefix },
    copies,
    createRepositories: [...create].sort(),
    ...(referrerCopies.length > 0 ? { referrerCopies } : {}),
  };
  if (settings) applyTargetSettings(plan, settings);
  return plan;
}
