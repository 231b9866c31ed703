/**
 * The registries a scan of several read, for report.md and report.html: a
 * table at the top (account, region, counts, or why it could not be read),
 * and the warning that "absent" means "absent from the registries read".
 * A single-registry report keeps its one line instead (nothing changes there).
 */
import { inventoryNotes } from './ecr-notes';
import { EcrDuplicateLocation } from '../ecr/types';
import { ReportEcr, Report } from '../report/report-types';

/** More than one registry, or one that failed: the report reads better with the table. */
export function hasRegistryTable(report: Report): boolean {
  return report.ecr.length > 1 || report.ecr.some((e) => e.error !== undefined);
}

export function unreadRegistries(report: Report): ReportEcr[] {
  return report.ecr.filter((e) => e.error !== undefined);
}

const label = (e: { accountId?: string; region?: string }) => `${e.accountId ?? '?'}/${e.region ?? '?'}`;

/** `account/region: ` before a duplicate's repository, when the location names its registry. */
export function locationPrefix(location: EcrDuplicateLocation): string {
  return location.accountId !== undefined ? `${label(location)}: ` : '';
}

export function registriesMarkdown(report: Report, cell: (text: string) => string): string[] {
  const out = ['## Registries', '', '| Account | Region | Repositories | Images | Read |', '|---|---|---:|---:|---|'];
  for (const e of report.ecr) {
    const read = e.error !== undefined ? `**not read** (${e.errorKind}): ${cell(e.error)}` : 'yes';
    out.push(`| ${e.accountId ?? ''} | ${e.region} | ${e.repositories} | ${e.images} | ${read} |`);
  }
  out.push('');
  const unread = unreadRegistries(report);
  if (unread.length > 0) {
    out.push(
      `**${unread.length} registr${unread.length === 1 ? 'y' : 'ies'} could not be read** (${unread.map(label).join(', ')}): ` +
        'a source called absent or partial is absent from the registries that were read only.',
      '',
    );
  }
  return out;
}

export function registriesHtml(report: Report, esc: (text: string) => string): string {
  const rows = report.ecr
    .map((e) => {
      const read =
        e.error !== undefined
          ? `<span class="badge error">not read</span> <code>${esc(e.errorKind ?? '')}</code> ${esc(e.error)}`
          : ['read', ...inventoryNotes(e)].map(esc).join('<br>');
      return `<tr><td><code>${esc(e.accountId ?? '')}</code></td><td><code>${esc(e.region)}</code></td><td class="num">${e.repositories}</td><td class="num">${e.images}</td><td>${read}</td></tr>`;
    })
    .join('\n');
  const unread = unreadRegistries(report);
  const warning =
    unread.length > 0
      ? `<p class="warning"><strong>${unread.length} registr${unread.length === 1 ? 'y' : 'ies'} could not be read</strong> ` +
        `(${unread.map((e) => `<code>${esc(label(e))}</code>`).join(', ')}): a source called absent or partial is absent from the registries that were read only.</p>`
      : '';
  return `<section id="registries"><h2>Registries</h2>${warning}
<table><thead><tr><th>Account</th><th>Region</th><th>Repositories</th><th>Images</th><th>Read</th></tr></thead>
<tbody>${rows}</tbody></table></section>`;
}
