/** Assembles report.json from the input entries, their resolutions and the ECR inventories. */
import { EcrIndex, matchImages, statusOf } from '../match/match';
import { reclaimableBytes } from '../ecr/duplicates';
import { EcrDuplicate, EcrInventory } from '../ecr/types';
import { ResolvedSource } from '../source/types';
import { SourceEntry } from '../input/input-file';
import { registryLabel } from '../oci/ecr-host';
import type { RegistryFailure } from '../org/registry-fault';
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
  /** Organization scans: the registries that could not be read (each an `ecr[]` entry with its error). */
  ecrFailures?: readonly RegistryFailure[];
  /** Organization scans: duplicates across the registries, instead of each registry's own. */
  ecrDuplicates?: EcrDuplicate[];
}

function ecrEntries(input: BuildReportInput): ReportEcr[] {
  const read: ReportEcr[] = input.inventories.map((inv) => ({
    ...(inv.accountId !== undefined ? { accountId: inv.accountId } : {}),
    region: inv.region,
    repositories: inv.repositories,
    images: inv.images,
    ...(inv.skippedRepositories.length > 0 ? { skippedRepositories: inv.skippedRepositories } : {}),
  }));
  if (input.ecrFailures === undefined) return read;
  const failed: ReportEcr[] = input.ecrFailures.map((f) => ({
    accountId: f.registry.accountId,
    region: f.registry.region,
    repositories: 0,
    images: 0,
    error: f.error,
    errorKind: f.errorKind,
  }));
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...read, ...failed].sort((a, b) => byText(a.accountId ?? '', b.accountId ?? '') || byText(a.region, b.region));
}

/** An absent or partial source says which registries it could not be looked for in. */
function withUnread(source: ReportSource, unread: readonly string[]): ReportSource {
  if (unread.length === 0 || (source.status !== 'absent' && source.status !== 'partial')) return source;
  return { ...source, unreadRegistries: [...unread] };
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

export function buildReport(input: BuildReportInput): Report {
  const ecrDuplicates = input.ecrDuplicates ?? input.inventories.flatMap((inv) => inv.duplicates());
  const unread = (input.ecrFailures ?? []).map((f) => registryLabel(f.registry)).sort();
  const sources = [...input.entries].sort((a, b) => a.line - b.line).map((e) => withUnread(sourceOf(e, input), unread));
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
    ...(ecrRead ? { ecrDuplicates, ecrDuplicateSummary: summarizeDuplicates(ecrDuplicates) } : {}),
  };
}
