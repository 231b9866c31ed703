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

/** Origins a readable report lists for one source; report.json keeps every one (a line repeated 300,000 times is one row, not a page). */
export const MAX_ORIGINS_SHOWN = 20;

/** The origins as a person reads them, at most MAX_ORIGINS_SHOWN, then how many more report.json has. */
function shown(origins: readonly SourceOrigin[]): string[] {
  const texts = origins.slice(0, MAX_ORIGINS_SHOWN).map(describeOrigin);
  if (origins.length > MAX_ORIGINS_SHOWN) texts.push(`… and ${origins.length - MAX_ORIGINS_SHOWN} more (report.json lists every one)`);
  return texts;
}

/** The source's origins as a person reads them; [] when its one origin is its own input.txt line. */
export function originTexts(source: ReportSource): string[] {
  const origins = source.origins ?? [];
  const plainLine = origins.length === 1 && Object.keys(origins[0]!).length === 2 && origins[0]!.line === source.line;
  return plainLine ? [] : shown(origins);
}

/** Every origin (up to the bound), for a report with several input files where even plain lines need their file. */
export function allOriginTexts(source: ReportSource): string[] {
  return shown(source.origins ?? []);
}

/**
 * What each source's row shows of its origins, decided once for the whole
 * report (asking the report per source would be quadratic): undefined when no
 * origin says more than a line number, else all of them when there are several
 * files, else those originTexts keeps.
 */
export function originsShown(report: Report): ((source: ReportSource) => string[]) | undefined {
  const files = new Set<string>();
  for (const s of report.sources) for (const o of s.origins ?? []) files.add(o.file);
  if (files.size > 1) return allOriginTexts;
  return report.sources.some((s) => originTexts(s).length > 0) ? originTexts : undefined;
}
