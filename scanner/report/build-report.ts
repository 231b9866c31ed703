/** Assembles report.json from the input entries, their resolutions and the ECR inventories. */
import { EcrIndex, matchImages, statusOf } from '../match/match';
import { reclaimableBytes } from '../ecr/duplicates';
import { EcrDuplicate, EcrInventory } from '../ecr/types';
import { ResolvedSource } from '../source/types';
import { SourceEntry } from '../input/input-file';
import {
  EcrDuplicateSummary,
  Report,
  ReportEcr,
  ReportProvenance,
  ReportRegistry,
  ReportSource,
  ReportSummary,
  SCHEMA_VERSION,
} from './report-types';

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
}

function sourceOf(entry: SourceEntry, input: BuildReportInput): ReportSource {
  if (entry.kind === 'invalid') {
    return { line: entry.line, input: entry.input, status: 'error', error: entry.error, errorKind: 'invalid', images: [] };
  }
  const base = {
    line: entry.line,
    ...(entry.duplicateLines.length > 0 ? { duplicateLines: entry.duplicateLines } : {}),
    input: entry.input,
    reference: entry.canonical,
  };
  const resolution = input.resolved.get(entry.canonical);
  if (!resolution) return { ...base, status: 'error', error: 'internal error: source was not resolved', images: [] };
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
  return { ...base, digest: resolution.digest, status: statusOf(images), images };
}

export function summarize(sources: readonly ReportSource[]): ReportSummary {
  const summary: ReportSummary = { sources: sources.length, present: 0, partial: 0, absent: 0, error: 0 };
  for (const s of sources) summary[s.status]++;
  return summary;
}

export function summarizeDuplicates(duplicates: readonly EcrDuplicate[]): EcrDuplicateSummary {
  let locations = 0;
  let bytes = 0;
  for (const d of duplicates) {
    locations += d.locations.length;
    bytes += reclaimableBytes(d);
  }
  return { images: duplicates.length, locations, extraCopies: locations - duplicates.length, reclaimableBytes: bytes };
}

function ecrEntry(inv: EcrInventory): ReportEcr {
  const counts = inv.counts;
  return {
    accountId: inv.accountId,
    region: inv.region,
    repositories: inv.repositories,
    images: inv.images,
    ...(inv.skippedRepositories.length > 0 ? { skippedRepositories: inv.skippedRepositories } : {}),
    ...(counts ? { kinds: counts.kinds } : {}),
    ...(counts && counts.archived > 0 ? { archivedImages: counts.archived } : {}),
    ...(counts && counts.activating > 0 ? { activatingImages: counts.activating } : {}),
    ...(counts && counts.notCompared > 0 ? { archivedNotCompared: counts.notCompared } : {}),
    ...(counts && counts.unreadable.count > 0 ? { unreadableImages: counts.unreadable } : {}),
  };
}

export function buildReport(input: BuildReportInput): Report {
  const ecrDuplicates = input.inventories.flatMap((inv) => inv.duplicates());
  const sources = [...input.entries].sort((a, b) => a.line - b.line).map((e) => sourceOf(e, input));
  const provenance = input.provenance && Object.values(input.provenance).some((v) => v) ? input.provenance : undefined;
  return {
    schemaVersion: SCHEMA_VERSION,
    generatedAt: input.generatedAt.toISOString(),
    ...(provenance ? { provenance } : {}),
    ...(input.platforms && input.platforms.length > 0 ? { platforms: input.platforms } : {}),
    ecr: input.inventories.map(ecrEntry),
    summary: summarize(sources),
    sources,
    ...(input.registries && input.registries.length > 0 ? { registries: [...input.registries] } : {}),
    ...(input.inventories.length > 0 ? { ecrDuplicates, ecrDuplicateSummary: summarizeDuplicates(ecrDuplicates) } : {}),
  };
}
