/** Assembles report.json from the input entries, their resolutions and the ECR inventories. */
import { EcrIndex, matchImages, statusOf } from '../match/match';
import { reclaimableBytes } from '../ecr/duplicates';
import { EcrDuplicate, EcrInventory, EcrRegistryFacts } from '../ecr/types';
import { ResolvedSource, SourceTransfer } from '../source/types';
import { SourceEntry } from '../input/input-file';
import { ImageReference } from '../oci/reference';
import { registryLabel } from '../oci/ecr-host';
import type { RegistryFailure } from '../scope/registry-fault';
import { SourceReferrer } from '../source/referrers';
import {
  EcrDuplicateSummary,
  ReferrerSummary,
  ReportImage,
  ReportReferrer,
  Report,
  ReportEcr,
  ReportExpansion,
  ReportProvenance,
  ReportRegistry,
  ReportSource,
  ReportSummary,
  SCHEMA_VERSION,
} from './report-types';
import { byText } from '../text/by-text';

export interface BuildReportInput {
  entries: readonly SourceEntry[];
  /** Resolution of each valid entry, by its canonical reference. */
  resolved: ReadonlyMap<string, ResolvedSource>;
  inventories: readonly EcrInventory[];
  indexes: readonly EcrIndex[];
  generatedAt: Date;
  provenance?: ReportProvenance;
  platforms?: string[];
  /** Source registries spoken to, with their request counts. */
  registries?: readonly ReportRegistry[];
  /** The registries of the scope that could not be read (each an `ecr[]` entry with its error). */
  ecrFailures?: readonly RegistryFailure[];
  /** Duplicates as the scope joined them (across registries when it has several), instead of each registry's own. */
  ecrDuplicates?: EcrDuplicate[];
  expansions?: readonly ReportExpansion[];
}

function ecrEntries(input: BuildReportInput): ReportEcr[] {
  const read: ReportEcr[] = input.inventories.map((i) => ecrEntry(i.registry));
  if (input.ecrFailures === undefined) return read;
  const failed: ReportEcr[] = input.ecrFailures.map((f) => ({
    ...(f.registry.accountId !== undefined ? { accountId: f.registry.accountId } : {}),
    region: f.registry.region,
    repositories: 0,
    images: 0,
    error: f.error,
    errorKind: f.errorKind,
  }));
  return [...read, ...failed].sort((a, b) => byText(a.accountId ?? '', b.accountId ?? '') || byText(a.region, b.region));
}

/** An absent or partial source says which registries it could not be looked for in. */
function withUnread(source: ReportSource, unread: readonly string[]): ReportSource {
  if (unread.length === 0 || (source.status !== 'absent' && source.status !== 'partial')) return source;
  return { ...source, unreadRegistries: [...unread] };
}

function sourceOf(entry: SourceEntry, input: BuildReportInput): ReportSource {
  if (entry.kind === 'invalid') {
    return {
      line: entry.line,
      input: entry.input,
      status: 'error',
      error: entry.error,
      errorKind: entry.errorKind ?? 'invalid',
      images: [],
      origins: entry.origins,
    };
  }
  const base = {
    line: entry.line,
    ...(entry.duplicateLines.length > 0 ? { duplicateLines: entry.duplicateLines } : {}),
    input: entry.input,
    reference: entry.canonical,
    origins: entry.origins,
  };
  const resolution = input.resolved.get(entry.canonical);
  if (!resolution) return { ...base, status: 'error', error: 'internal error: source was not resolved', errorKind: 'failed', images: [] };
  if (!resolution.ok) {
    return {
      ...base,
      ...(resolution.digest ? { digest: resolution.digest } : {}),
      status: 'error',
      error: resolution.error,
      errorKind: resolution.errorKind,
      images: [],
    };
  }
  const images = matchImages(resolution.images, input.indexes);
  const referrers =
    resolution.referrers && resolution.referrers.length > 0
      ? referrersInEcr(resolution.digest, images, resolution.referrers, input.inventories)
      : [];
  return {
    ...base,
    digest: resolution.digest,
    status: statusOf(images),
    images,
    ...(referrers.length > 0 ? { referrers } : {}),
    ...(resolution.referrersError
      ? { referrersError: resolution.referrersError, referrersErrorKind: resolution.referrersErrorKind ?? 'failed' }
      : {}),
  };
}

/**
 * Whether ECR holds, for the image that matches, a referrer of each type the
 * source has: ECR's referrers of the source's own digest (a byte-identical
 * copy) and of every manifest-identical match. A match by image ID only has
 * another digest, so a signature of the source's digest cannot be valid for it.
 */
function referrersInEcr(
  digest: string,
  images: readonly ReportImage[],
  referrers: readonly SourceReferrer[],
  inventories: readonly EcrInventory[],
): ReportReferrer[] {
  const subjects = new Set([
    digest,
    ...images.flatMap((i) => i.matches.filter((m) => m.matchedBy === 'manifest').map((m) => m.manifestDigest)),
  ]);
  const typesInEcr = new Set<string>();
  for (const inventory of inventories)
    for (const subject of subjects) for (const r of inventory.queries.referrersOf(subject)) typesInEcr.add(r.artifactType);
  return referrers.map((r) => ({
    digest: r.digest,
    artifactType: r.artifactType,
    inEcr: typesInEcr.has(r.artifactType),
    via: r.via,
    ...(r.tag !== undefined ? { tag: r.tag } : {}),
  }));
}

export function summarizeReferrers(sources: readonly ReportSource[]): ReferrerSummary | undefined {
  const withReferrers = sources.filter((s) => s.referrers && s.referrers.length > 0);
  if (withReferrers.length === 0) return undefined;
  const all = withReferrers.flatMap((s) => s.referrers!);
  return {
    sources: withReferrers.length,
    referrers: all.length,
    missingInEcr: all.filter((r) => !r.inEcr).length,
    presentLackingReferrers: withReferrers.filter((s) => s.status === 'present' && s.referrers!.some((r) => !r.inEcr)).length,
  };
}

export function summarize(sources: readonly ReportSource[]): ReportSummary {
  const summary: ReportSummary = { sources: sources.length, present: 0, partial: 0, absent: 0, error: 0 };
  for (const s of sources) summary[s.status]++;
  return summary;
}

export function summarizeDuplicates(duplicates: readonly EcrDuplicate[]): EcrDuplicateSummary {
  let locations = 0;
  let bytes = 0;
  let freed = 0;
  for (const d of duplicates) {
    locations += d.locations.length;
    bytes += reclaimableBytes(d);
    freed += d.freedBytes ?? 0;
  }
  return { images: duplicates.length, locations, extraCopies: locations - duplicates.length, reclaimableBytes: bytes, freedBytes: freed };
}

function ecrEntry(registry: EcrRegistryFacts): ReportEcr {
  const { counts } = registry;
  return {
    ...(registry.accountId !== undefined ? { accountId: registry.accountId } : {}),
    region: registry.region,
    repositories: registry.repositories,
    images: registry.images,
    ...(registry.skippedRepositories.length > 0 ? { skippedRepositories: registry.skippedRepositories } : {}),
    kinds: counts.kinds,
    ...(counts.archived > 0 ? { archivedImages: counts.archived } : {}),
    ...(counts.activating > 0 ? { activatingImages: counts.activating } : {}),
    ...(counts.notCompared > 0 ? { archivedNotCompared: counts.notCompared } : {}),
    ...(counts.archiveClass ? { archiveClass: counts.archiveClass } : {}),
    ...(counts.unreadable.count > 0 ? { unreadableImages: counts.unreadable } : {}),
  };
}

/** A report source of a valid entry beside the reference it was parsed to: the plan works on that, never on the text. */
export interface ReferencedSource {
  source: ReportSource;
  reference: ImageReference;
  /** What copying it would move, when it resolved. */
  transfer?: SourceTransfer;
}

/** The report, and its sources of valid entries with their references, in report order. */
export function buildReportWithReferences(input: BuildReportInput): { report: Report; referenced: ReferencedSource[] } {
  const unread = (input.ecrFailures ?? []).map((f) => registryLabel(f.registry)).sort();
  // Entries come in input order (file by file, line by line, an expansion's references at its line).
  const built = input.entries.map((entry) => ({ entry, source: withUnread(sourceOf(entry, input), unread) }));
  const referenced = built.flatMap(({ entry, source }): ReferencedSource[] => {
    if (entry.kind !== 'reference') return [];
    const resolution = input.resolved.get(entry.canonical);
    const transfer = resolution?.ok ? resolution.transfer : undefined;
    return [{ source, reference: entry.reference, ...(transfer ? { transfer } : {}) }];
  });
  return {
    report: reportOf(
      input,
      built.map((b) => b.source),
    ),
    referenced,
  };
}

function reportOf(input: BuildReportInput, sources: ReportSource[]): Report {
  const ecrDuplicates = input.ecrDuplicates ?? input.inventories.flatMap((inv) => inv.queries.duplicates());
  const referrerSummary = summarizeReferrers(sources);
  const ecrRead = input.inventories.length > 0 || (input.ecrFailures?.length ?? 0) > 0;
  const provenance = input.provenance && Object.values(input.provenance).some((v) => v) ? input.provenance : undefined;
  return {
    schemaVersion: SCHEMA_VERSION,
    generatedAt: input.generatedAt.toISOString(),
    ...(provenance ? { provenance } : {}),
    ...(input.platforms && input.platforms.length > 0 ? { platforms: input.platforms } : {}),
    ecr: ecrEntries(input),
    summary: summarize(sources),
    sources,
    ...(input.registries && input.registries.length > 0 ? { registries: [...input.registries] } : {}),
    ...(input.expansions && input.expansions.length > 0 ? { expansions: [...input.expansions] } : {}),
    ...(referrerSummary ? { referrerSummary } : {}),
    ...(ecrRead ? { ecrDuplicates, ecrDuplicateSummary: summarizeDuplicates(ecrDuplicates) } : {}),
  };
}
