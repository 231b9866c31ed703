/**
 * The migration plan from the report's sources and the references they were
 * parsed to: one copy per `absent` or `partial` source, aimed at the source's
 * own path under the target prefix. Pure.
 */
import { BlobHolder, EcrImageQueries, EcrInventory, EcrTagMutability } from '../ecr/types';
import { isTagImmutable } from '../oci/ecr-tag-mutability';
import { ScannedRegistryId, formatEcrHost } from '../oci/ecr-host';
import { ReportSource } from '../report/report-types';
import { ReferencedSource } from '../report/build-report';
import { MigrationPlan, PLAN_SCHEMA_VERSION, PlannedCopy, PlannedReferrer, PlannedReferrerCopy, isCopyMade } from './plan-types';
import { ecrNameProblem, targetRepositoryFor } from './target-name';
import { accountTransfer, CopyBlobs } from './transfer';
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
  /** The target registry's ACTIVE manifests listing any of these blobs; absent when the target was not read. */
  blobHolders?(digests: readonly string[]): BlobHolder[];
}

/** The inventory's answers the plan asks of its target registry. */
function targetAnswers(queries: EcrImageQueries): Pick<PlanTargetInfo, 'tagHolder' | 'tagMutability' | 'blobHolders'> {
  return {
    tagHolder: (repository, tag) => queries.lookupTag(repository, tag),
    tagMutability: (repository) => queries.tagMutability(repository),
    blobHolders: (digests) => queries.blobHolders(digests),
  };
}

/**
 * The registry the copies go to (by default the one read) and what its inventory answers, when it
 * was read. An ECR registry with no repository does not tell its account ID: unless the scope knew
 * it, the registry is then absent and copy.sh asks for TARGET_REGISTRY.
 */
export function planTarget(read: EcrInventory | undefined, registry: ScannedRegistryId | undefined = read?.registry): PlanTargetInfo {
  const accountId = registry?.accountId;
  return {
    ...(registry && accountId !== undefined ? { registry: formatEcrHost({ accountId, region: registry.region }) } : {}),
    repositoryNames: read?.registry.repositoryNames ?? [],
    ...(read ? targetAnswers(read.queries) : {}),
  };
}

/**
 * A copy whose target repository:tag ECR already holds with another image is not made: pushed, it
 * would fail (an immutable tag) or silently move a tag that something may deploy from.
 */
function markTagsInUse(copies: CopyDraft[], target: PlanTargetInfo): void {
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

/** A copy before its byte accounting (addTransfer fills those fields in plan order). */
type CopyDraft = Omit<PlannedCopy, 'bytes' | 'uploadBytes' | 'mountableBytes' | 'pulls' | 'nearest'>;

function copyOf({ source, reference }: ReferencedSource, prefix: string, existing: ReadonlySet<string>): CopyDraft | undefined {
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
function markConflicts(copies: CopyDraft[]): void {
  const claims = new Map<string, CopyDraft[]>();
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
 * The copies' bytes, uploads, mountable bytes, pulls and nearest ECR image (transfer.ts), in plan
 * order, from the blobs each source's resolution read and the target registry's holders of them.
 */
function addTransfer(
  drafts: ReadonlyArray<{ copy: CopyDraft; source: ReferencedSource }>,
  target: PlanTargetInfo,
  settings: TargetRegistrySettings | undefined,
): { copies: PlannedCopy[]; transfer: MigrationPlan['transfer'] } {
  const inputs: CopyBlobs[] = drafts.map(({ copy, source }) => ({
    targetRepository: copy.targetRepository,
    made: isCopyMade(copy),
    blobs: source.transfer?.blobs ?? [],
    pulls: source.transfer?.pulls ?? 1,
    sourceRegistry: copy.reference.registry,
  }));
  const digests = [...new Set(inputs.flatMap((c) => c.blobs.map((b) => b.digest)))];
  const holders = digests.length > 0 && target.blobHolders ? target.blobHolders(digests) : [];
  const accounted = accountTransfer(inputs, holders, target.registry ?? '', settings);
  return { copies: drafts.map(({ copy }, k) => ({ ...copy, ...accounted.copies[k]! })), transfer: accounted.transfer };
}

/**
 * The copies a pull-through cache rule of the target registry could serve are marked
 * (pull-through-cache.ts), with the rules to create. Last, so each copy's bytes are already known.
 */
function addPullThroughCache(plan: MigrationPlan, settings: TargetRegistrySettings): void {
  if (!settings.pullThroughCacheAvailable) return;
  const cache = planPullThroughCache(plan.copies, {
    ...(plan.target.registry !== undefined ? { registry: plan.target.registry } : {}),
    region: settings.region,
    existingRules: settings.pullThroughCacheRules,
  });
  cache.suggestions.forEach((suggestion, i) => {
    if (suggestion) plan.copies[i]!.pullThroughCache = suggestion;
  });
  if (cache.warnings.length > 0) plan.transfer = { ...plan.transfer, warnings: [...plan.transfer.warnings, ...cache.warnings] };
  plan.pullThroughCache = { rules: cache.rules };
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
  const drafts = sources.flatMap((source) => {
    const copy = copyOf(source, prefix, existing);
    return copy ? [{ copy, source }] : [];
  });
  const drafted = drafts.map((d) => d.copy);
  markConflicts(drafted);
  markTagsInUse(drafted, target);
  const { copies, transfer } = addTransfer(drafts, target, settings);
  const referrerCopies = sources.flatMap((s) => referrerCopyOf(s) ?? []);
  const create = new Set(copies.filter((c) => isCopyMade(c) && !c.repositoryExists).map((c) => c.targetRepository));
  const plan: MigrationPlan = {
    schemaVersion: PLAN_SCHEMA_VERSION,
    target: { ...(target.registry !== undefined ? { registry: target.registry } : {}), prefix },
    copies,
    createRepositories: [...create].sort(),
    ...(referrerCopies.length > 0 ? { referrerCopies } : {}),
    transfer,
  };
  if (settings) addPullThroughCache(plan, settings);
  return plan;
}
