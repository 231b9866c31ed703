/** Assembles report.json from the input entries, their resolutions and the ECR inventories. */
import { EcrIndex, matchImages, statusOf } from '../match/match';
import { reclaimableBytes } from '../ecr/duplicates';
import { EcrDuplicate, EcrInventory } from '../ecr/types';
import { ResolvedSource } from '../source/types';
import { SourceEntry } from '../input/input-file';
import {
  EcrDuplicateSummary,
  Report,
  ReportExpansion,
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
  expansions?: readonly ReportExpansion[];
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

export function buildReport(input: BuildReportInput): Report {
  const ecrDuplicates = input.inventories.flatMap((inv) => inv.duplicates());
  // Entries come in input order (file by file, line by line, an expansion's references at its line).
  const sources = input.entries.map((e) => sourceOf(e, input));
  const provenance = input.provenance && Object.values(input.provenance).some((v) => v) ? input.provenance : undefined;
  return {
    schemaVersion: SCHEMA_VERSION,
    generatedAt: input.generatedAt.toISOString(),
    ...(provenance ? { provenance } : {}),
    ...(input.platforms && input.platforms.length > 0 ? { platforms: input.platforms } : {}),
    ecr: input.inventories.map((inv) => ({
      accountId: inv.accountId,
      region: inv.region,
      repositories: inv.repositories,
      images: inv.images,
      ...(inv.skippedRepositories.length > 0 ? { skippedRepositories: inv.skippedRepositories } : {}),
    })),
    summary: summarize(sources),
    sources,
    ...(input.registries && input.registries.length > 0 ? { registries: [...input.registries] } : {}),
    ...(input.expansions && input.expansions.length > 0 ? { expansions: [...input.expansions] } : {}),
    ...(input.inventories.length > 0 ? { ecrDuplicates, ecrDuplicateSummary: summarizeDuplicates(ecrDuplicates) } : {}),
  };
}
