/**
 * Which sources' origins the readable reports show: a source named by one line
 * of one input.txt says nothing its line number does not, so only the others
 * (a workload, a service, an expansion, several places, several files) are listed.
 */
import { Report, ReportSource, SourceOrigin } from '../report/report-types';

/** One origin as a person reads it: `deploy.yaml: Deployment shop/web, container web`. */
export function describeOrigin(origin: SourceOrigin): string {
  if ('container' in origin) {
    const object = origin.namespace !== undefined ? `${origin.namespace}/${origin.name}` : origin.name;
    return `${origin.file}: ${origin.kind} ${object}, container ${origin.container}`;
  }
  if ('service' in origin) return `${origin.file}: service ${origin.service}`;
  if ('expansion' in origin) return `${origin.file} line ${origin.line}: from ${origin.expansion}`;
  return `${origin.file} line ${origin.line}`;
}

const fileCount = (report: Report): number => new Set(report.sources.flatMap((s) => (s.origins ?? []).map((o) => o.file))).size;

export function originsWorthShowing(report: Report): boolean {
  return fileCount(report) > 1 || report.sources.some((s) => originTexts(s).length > 0);
}

/** What a source's row shows of its origins: all of them when there are several files, else those originTexts keeps. */
export function originsToShow(report: Report, source: ReportSource): string[] {
  return fileCount(report) > 1 ? allOriginTexts(source) : originTexts(source);
}

/** The source's origins as a person reads them; [] when its one origin is its own input.txt line. */
export function originTexts(source: ReportSource): string[] {
  const origins = source.origins ?? [];
  const plainLine = origins.length === 1 && Object.keys(origins[0]!).length === 2 && origins[0]!.line === source.line;
  return plainLine ? [] : origins.map(describeOrigin);
}

/** Every origin, for a report with several input files where even plain lines need their file. */
export function allOriginTexts(source: ReportSource): string[] {
  return (source.origins ?? []).map(describeOrigin);
}
