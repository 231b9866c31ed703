/**
 * The migration plan as the scanner holds it: plan.json (schemaVersion 1, the scanner contract's
 * "The migration plan") with typed values where the JSON has text; plan-json.ts writes the JSON.
 */

import { EcrTagMutabilitySetting } from '../oci/ecr-tag-mutability';
import { ImageReference } from '../oci/reference';
import { NearestImage, PlanTransfer } from './transfer';

export type { NearestImage, PlanTransfer };

export const PLAN_SCHEMA_VERSION = 1;

export interface PlanTarget {
  /** `<account>.dkr.ecr.<region>.amazonaws.com`; absent when the scan could not learn the account (no ECR repository listed). */
  registry?: string;
  /** `--target-prefix`, without a trailing '/'; '' when none. */
  prefix: string;
}

export interface PlannedCopy {
  line: number;
  input: string;
  /** The source as parsed from the input; plan.json holds its canonical text. */
  reference: ImageReference;
  /** What the reference resolved to: the copy is pinned to it, never to the tag. */
  sourceDigest: string;
  status: 'absent' | 'partial';
  /** The platform images ECR lacks. */
  platforms: string[];
  /** The source's path (Docker Hub's `library/` kept) after the prefix. */
  targetRepository: string;
  /** null for a source given by digest only. */
  targetTag: string | null;
  repositoryExists: boolean;
  /**
   * Another source claims the same repository:tag with another image, or ECR already holds that
   * repository:tag with another image (`tagInUse`); the copy is not made.
   */
  conflict?: string;
  /** The target tag ECR already holds with another image, and whether ECR would refuse the push anyway. */
  tagInUse?: TagInUse;
  /** The target is not a valid ECR repository name (an addition to the contract); the copy is not made. */
  invalidTarget?: string;
  /** The source's signatures, attestations and SBOMs ECR lacks: they must travel with the image. */
  referrers?: PlannedReferrer[];
  /** The sum of the sizes of the copy's distinct blobs (config and layers, compressed, as the source stores them). */
  bytes: number;
  /** Of those, the blobs its target repository does not hold and no earlier copy of the plan carries into it. */
  uploadBytes: number;
  /** Of uploadBytes, the blobs another repository of the target registry holds or an earlier copy carries into another one. */
  mountableBytes: number;
  /** Manifest GETs the copy makes at its source: 1, or 1 + the index's children (attestations included). */
  pulls: number;
  /** The target registry's image manifest holding the largest part of the copy's bytes; absent when none lists any of its blobs. */
  nearest?: NearestImage;
  /** Where an ECR pull-through cache rule would serve the source instead of a copy (pull-through-cache.ts). */
  pullThroughCache?: PullThroughCacheSuggestion;
}

/** Where a copy's source would be served from by an ECR pull-through cache rule. */
export interface PullThroughCacheSuggestion {
  /** The rule's ECR repository prefix: the target's existing rule for the upstream, else the default. */
  prefix: string;
  /** `<registry>/<prefix>/<upstream path>:<tag>` (or `@<digest>`). */
  uri: string;
  ruleExists: boolean;
}

/** One pull-through cache rule per upstream the copies come from. */
export interface PlannedPullThroughCacheRule {
  prefix: string;
  upstreamRegistryUrl: string;
  /** An existing rule's credential ARN, else what a new rule needs; null where the upstream takes none. */
  credentials: string | null;
  exists: boolean;
  copies: number;
  /** The sum of those copies' bytes. */
  bytes: number;
}

/** A referrer to copy: by its tag (the tag schemas, which skopeo copies), or as an OCI 1.1 referrer (regsync, regctl, oras). */
export interface PlannedReferrer {
  digest: string;
  artifactType: string;
  via: 'api' | 'tag-schema' | 'cosign-tag';
  tag?: string;
}

/**
 * A source already present in ECR whose referrers ECR lacks: only the
 * referrers are copied, beside ECR's byte-identical copy of the image.
 */
export interface PlannedReferrerCopy {
  line: number;
  input: string;
  reference: ImageReference;
  sourceDigest: string;
  /** The ECR repository holding the image byte-identical; null when ECR holds it only under other digests. */
  targetRepository: string | null;
  /** With targetRepository null: why the referrers cannot be copied. */
  reason?: string;
  referrers: PlannedReferrer[];
}

export interface TagInUse {
  /** The manifest digest the tag points to now. */
  manifestDigest: string;
  /** The target repository's setting and exclusion filters (DescribeRepositories). */
  tagMutability: EcrTagMutabilitySetting;
  exclusionFilters: string[];
  /** True when that setting makes the tag immutable: ECR would refuse the push. */
  immutable: boolean;
}

export interface MigrationPlan {
  schemaVersion: typeof PLAN_SCHEMA_VERSION;
  target: PlanTarget;
  copies: PlannedCopy[];
  /** Target repositories of the copies to make that ECR does not have yet, sorted. */
  createRepositories: string[];
  /** Present sources whose signatures/SBOMs ECR lacks; only when there are any. */
  referrerCopies?: PlannedReferrerCopy[];
  /** What the copies that are made move, summed, and the pulls they make at each source registry. */
  transfer: PlanTransfer;
  /** Whenever the target's settings were read, outside China and GovCloud (no pull-through cache there); rules may be empty. */
  pullThroughCache?: { rules: PlannedPullThroughCacheRule[] };
}

/** A copy that copy.sh and regsync.yml carry out: neither in conflict nor aimed at an invalid name. */
export function isCopyMade(copy: Pick<PlannedCopy, 'conflict' | 'invalidTarget'>): boolean {
  return copy.conflict === undefined && copy.invalidTarget === undefined;
}

/** Why a copy is not made, for comments and the HTML page; undefined when it is made. */
export function skipReason(copy: PlannedCopy): string | undefined {
  if (copy.invalidTarget !== undefined) return `invalid target: ${copy.invalidTarget}`;
  if (copy.conflict !== undefined) return `conflict: ${copy.conflict}`;
  return undefined;
}

/**
 * Where a copy lands, after the registry: `repo:tag`, or `repo@digest` for a
 * source given by digest only. A destination without either would be read
 * as `:latest` by skopeo and regsync, inventing a tag the user never asked for.
 */
export function targetReference(copy: Pick<PlannedCopy, 'targetRepository' | 'targetTag' | 'sourceDigest'>): string {
  return copy.targetTag === null ? `${copy.targetRepository}@${copy.sourceDigest}` : `${copy.targetRepository}:${copy.targetTag}`;
}
