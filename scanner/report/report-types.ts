/** report.json, schemaVersion 1, as the scanner contract defines it (fields may be added, not changed). */
import { EcrDuplicate, EcrInventoryCounts } from '../ecr/types';
import { ErrorKind } from '../errors/scan-error';
import { EcrMatch, SourceStatus } from '../match/match';

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
  images: ReportImage[];
}

export interface ReportEcr {
  accountId: string;
  region: string;
  repositories: number;
  images: number;
  skippedRepositories?: string[];
  /** Listed (repository, manifest) places by what the manifest is: container images, indexes, artifacts (charts, signatures, SBOMs), other (schema 1), unknown (not read). */
  kinds?: EcrInventoryCounts['kinds'];
  /** Places whose image is in the archive storage class, or being restored from it; only when some are. */
  archivedImages?: number;
  activatingImages?: number;
  /** Archived places whose manifest could not be read nor found in the digest cache: compared by manifest digest only. */
  archivedNotCompared?: number;
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
}

export interface ReportRegistry {
  host: string;
  requests: { manifestGet: number; manifestHead: number; blobGet: number };
  rateLimit?: { limit: number; remaining: number };
}
