/** report.json's data alone, for tests that do not need the parsed references beside it. */
import { BuildReportInput, buildReportWithReferences } from '../../scanner/report/build-report';
import type { Report } from '../../scanner/report/report-types';

export function buildReport(input: BuildReportInput): Report {
  return buildReportWithReferences(input).report;
}
