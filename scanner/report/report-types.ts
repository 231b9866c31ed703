/** report.json, schemaVersion 1, as the scanner contract defines it (fields may be added, not changed). */
import { EcrDuplicate, EcrInventoryCounts } from '../ecr/types';
import { ErrorKind } from '../errors/scan-error';
import { EcrMatch, SourceStatus } from '../match/match';
import { SourceOrigin } from '../input/origin';
import { ExpansionOutcome } from '../source/expand';

export type { SourceOrigin } from '../input/origin';

export const SCHEMA_VERSION = 1;

export interface ReportImage {
  platform: string;
  manifestDigest: string;
  imageId: string;
  matches: EcrMatch[];
}

export interface ReportSource {
  line: number;
  duplicateLines?: number[];
  input: string;
  /** Canonical reference; absent when the line is not a valid reference. */
  reference?: string;
  digest?: string;
  status: SourceStatus;
  error?: string;
  /** With status error: what kind of failure, for scripts. */
  errorKind?: ErrorKind;
  /**
   * With status absent or partial in a scan of several registries where some could not be read:
   * those registries (`account/region`), where the missing images may still be.
   */
  unreadRegistries?: string[];
  images: ReportImage[];
  /** Every place the source was named: input lines, expansion lines, Kubernetes containers, compose services. */
  origins?: SourceOrigin[];
  /** Signatures, attestations and SBOMs whose subject is the source's digest, and whether ECR holds one of the same type. */
  referrers?: ReportReferrer[];
  /** Why its referrers could not be listed (the image is still compared). */
  referrersError?: string;
  /** With `referrersError`, always: its kind, one of the report's errorKinds. */
  referrersErrorKind?: ErrorKind;
}

export interface ReportReferrer {
  digest: string;
  artifactType: string;
  /** ECR holds a referrer of the same artifact type for the matching image (the same digest, or a manifest match's). */
  inEcr: boolean;
  /** How it was found: the OCI referrers API, the OCI tag schema's index, or a cosign tag. */
  via: 'api' | 'tag-schema' | 'cosign-tag';
  /** The tag holding it, for the tag schemas. */
  tag?: string;
}

/** Totals over the sources' referrers. */
export interface ReferrerSummary {
  /** Sources with at least one referrer. */
  sources: number;
  referrers: number;
  /** Referrers ECR holds no referrer of the same type for. */
  missingInEcr: number;
  /** Sources that are present in ECR but lack at least one of their referrers there: a cluster verifying signatures would refuse them. */
  presentLackingReferrers: number;
}

/** An expansion line (`repo:*`, `host/ns/*`, …): what it yielded, or why it could not be listed. */
export type ReportExpansion = ExpansionOutcome;

export interface ReportEcr {
  /** Absent when ECR did not tell it (a registry with no repository names no account). */
  accountId?: string;
  region: string;
  repositories: number;
  images: number;
  skippedRepositories?: string[];
  /** Why this registry could not be read (its counts are then 0). */
  error?: string;
  /** With `error`, always: one of the report's errorKinds (docs/report.md). */
  errorKind?: ErrorKind;
  /** Listed (repository, manifest) places by what the manifest is: container images, indexes, artifacts (charts, signatures, SBOMs), other (schema 1), unknown (not read). */
  kinds?: EcrInventoryCounts['kinds'];
  /** Places whose image is in the archive storage class, or being restored from it; only when some are. */
  archivedImages?: number;
  activatingImages?: number;
  /** Archived places whose manifest could not be read nor found in the digest cache: compared by manifest digest only. */
  archivedNotCompared?: number;
  /** `unsupported`: the endpoint does not know the archive storage class, so every image was taken as ACTIVE. */
  archiveClass?: 'unsupported';
  /** BatchGetImage failures other than a deleted image (ImageInaccessible, KmsError, Upstream*, …): counted by code, the first named. */
  unreadableImages?: EcrInventoryCounts['unreadable'];
}

export interface ReportSummary {
  sources: number;
  present: number;
  partial: number;
  absent: number;
  error: number;
}

/** Where a pipeline run came from, so a report can be traced to the commit that asked for it. */
export interface ReportProvenance {
  executionId?: string;
  sourceRevision?: string;
}

export interface Report {
  schemaVersion: typeof SCHEMA_VERSION;
  generatedAt: string;
  provenance?: ReportProvenance;
  /** The --platform restriction in force, when there was one. */
  platforms?: string[];
  ecr: ReportEcr[];
  summary: ReportSummary;
  sources: ReportSource[];
  /** Per source registry spoken to: requests made and the rate limit it announced. */
  registries?: ReportRegistry[];
  /** The expansion lines of the input, when it had any. */
  expansions?: ReportExpansion[];
  /** Only when some source has referrers. */
  referrerSummary?: ReferrerSummary;
  /** Image IDs ECR holds under more than one (repository, manifest digest). */
  ecrDuplicates?: EcrDuplicate[];
  ecrDuplicateSummary?: EcrDuplicateSummary;
}

/**
 * Totals over ecrDuplicates. reclaimableBytes is what the extra copies take
 * (each image's copies but its largest), summed from manifest sizes: ECR may
 * share layers across repositories of a registry, so billed storage can be less.
 */
export interface EcrDuplicateSummary {
  /** Image IDs held more than once. */
  images: number;
  /** (repository, manifest digest) places holding them. */
  locations: number;
  /** locations minus images: the copies beyond one each. */
  extraCopies: number;
  reclaimableBytes: number;
  /** The duplicates' freedBytes summed: what deleting every location but the first would free, blob by blob. */
  freedBytes: number;
}

export interface ReportRegistry {
  host: string;
  /** tagList, catalog and referrers only when such requests were made. */
  requests: { manifestGet: number; manifestHead: number; blobGet: number; tagList?: number; catalog?: number; referrers?: number };
  rateLimit?: { limit: number; remaining: number };
}
