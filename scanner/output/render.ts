/** The human-readable report files, all derived from report.json so they never disagree with it. */
import { hasRegistryTable, locationPrefix, registriesMarkdown } from './render-registries';
import { EcrMatch } from '../match/match';
import { Report, ReportSource } from '../report/report-types';
import { MigrationPlan } from '../plan/plan-types';
import { renderCopyScript } from '../plan/copy-script';
import { renderRegsync } from '../plan/regsync';
import { planJson } from '../plan/plan-json';
import { renderHtml } from './render-html';
import { formatBytes } from './format-bytes';
import { allOriginTexts, originsShown } from './origins';
import { inventoryNotes, restoreCommand, statusNote } from './ecr-notes';
import { pullThroughCacheMarkdown, transferMarkdown } from './render-transfer';

function uniqueUris(source: ReportSource): string[] {
  return [...new Set(source.images.flatMap((i) => i.matches.map((m) => m.uri)))];
}

/** One match per URI, the first (strongest) of each. */
function uniqueMatches(source: ReportSource): EcrMatch[] {
  const byUri = new Map<string, EcrMatch>();
  for (const m of source.images.flatMap((i) => i.matches)) if (!byUri.has(m.uri)) byUri.set(m.uri, m);
  return [...byUri.values()];
}

/** The commands that restore the archived images sources matched, so they can be pulled again. */
function renderRestoreMarkdown(report: Report): string[] {
  const archived = new Map<string, EcrMatch>();
  for (const source of report.sources)
    for (const m of uniqueMatches(source)) if (m.imageStatus === 'ARCHIVED') archived.set(`${m.repository}@${m.manifestDigest}`, m);
  if (archived.size === 0) return [];
  return [
    '## Archived matches',
    '',
    'These sources are in ECR, archived: nothing needs copying, but the images cannot be pulled until restored (about 20 minutes each):',
    '',
    '```',
    ...[...archived.values()].map(restoreCommand),
    '```',
    '',
  ];
}

function statusLine(source: ReportSource): string {
  const found = source.images.filter((i) => i.matches.length > 0).length;
  switch (source.status) {
    case 'error':
      return `error: ${source.error ?? 'unknown error'}`;
    case 'partial':
      return `partial (${found} of ${source.images.length} platforms in ECR: ${source.images
        .filter((i) => i.matches.length === 0)
        .map((i) => i.platform)
        .join(', ')} missing)`;
    default:
      return source.status;
  }
}

/** The original solution's layout, one block a source, with a status line added. */
export function renderText(report: Report): string {
  const blocks = report.sources.map((source) => {
    const lines = ['Source image URIs:', source.input, 'Image present at ECR URIs:'];
    for (const uri of uniqueUris(source)) lines.push(`\t${uri}`);
    lines.push(`Status: ${statusLine(source)}`);
    return lines.join('\n');
  });
  return blocks.length > 0 ? `${blocks.join('\n\n')}\n` : '';
}

function cell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ')
    .replace(/([`*_[\]<>])/g, '\\$1');
}

/** `plan`: its transfer and pull-through cache rules are shown when it has them. */
export function renderMarkdown(report: Report, plan?: MigrationPlan): string {
  const s = report.summary;
  const out: string[] = ['# ECR duplicate image report', '', `Generated ${report.generatedAt}.`, ''];
  if (hasRegistryTable(report)) out.push(...registriesMarkdown(report, cell));
  else
    for (const ecr of report.ecr) {
      out.push(
        `ECR registry ${ecr.accountId ?? '(account not known)'} in ${ecr.region}: ${ecr.repositories} repositories, ${ecr.images} images.`,
      );
      if (ecr.skippedRepositories) out.push(`Skipped (deleted during the scan): ${ecr.skippedRepositories.map(cell).join(', ')}.`);
    }
  for (const ecr of report.ecr) {
    const where = report.ecr.length > 1 ? `${ecr.accountId ?? '(account not known)'}/${ecr.region}: ` : '';
    for (const note of inventoryNotes(ecr)) out.push('', cell(where + note));
  }
  if (report.platforms) out.push(`Compared platforms: ${report.platforms.join(', ')}.`);
  out.push('', '| Sources | Present | Partial | Absent | Error |', '|---:|---:|---:|---:|---:|');
  out.push(`| ${s.sources} | ${s.present} | ${s.partial} | ${s.absent} | ${s.error} |`, '');
  if (report.sources.length > 0) {
    out.push('| Line | Source | Status | Platforms in ECR | Found at |', '|---:|---|---|---|---|');
    for (const source of report.sources) {
      const found = source.images.filter((i) => i.matches.length > 0).map((i) => i.platform);
      const where = uniqueMatches(source)
        .map((m) => {
          const note = statusNote(m);
          return note ? `${cell(m.uri)} (${cell(note)})` : cell(m.uri);
        })
        .join('<br>');
      const status = source.status === 'error' ? `error: ${cell(source.error ?? '')}` : source.status;
      out.push(`| ${source.line} | ${cell(source.input)} | ${status} | ${found.join(', ')} | ${where} |`);
    }
    out.push('');
  }
  out.push(...renderOriginsMarkdown(report));
  out.push(...renderReferrersMarkdown(report));
  out.push(...renderRestoreMarkdown(report));
  out.push(...transferMarkdown(plan, cell));
  out.push(...pullThroughCacheMarkdown(plan, cell));
  out.push(...renderDuplicatesMarkdown(report));
  return out.join('\n');
}

/** Signatures, attestations and SBOMs of the sources, and which ECR lacks; empty when no source has any. */
export function renderReferrersMarkdown(report: Report): string[] {
  const total = report.referrerSummary;
  if (!total) return [];
  const out = [
    '## Signatures, attestations and SBOMs',
    '',
    `${total.sources} source(s) carry ${total.referrers} referrer(s); ECR lacks ${total.missingInEcr} of them. ` +
      `${total.presentLackingReferrers} source(s) are present in ECR without all of their referrers: a cluster that verifies signatures would refuse them until the plan copies them.`,
    '',
    '| Source | Status | Artifact type | Referrer | In ECR |',
    '|---|---|---|---|---|',
  ];
  for (const source of report.sources) {
    for (const r of source.referrers ?? []) {
      const where = r.tag !== undefined ? `tag ${r.tag}` : r.digest;
      out.push(
        `| ${cell(source.reference ?? source.input)} | ${source.status} | ${cell(r.artifactType)} | ${cell(where)} | ${r.inEcr ? 'yes' : '**no**'} |`,
      );
    }
  }
  out.push('');
  return out;
}

/** Where each source was named (workloads, services, expansion lines, files), when that says more than a line number. */
export function renderOriginsMarkdown(report: Report): string[] {
  if (!originsShown(report)) return [];
  const out = ['## Where the sources are named', '', '| Source | Named in |', '|---|---|'];
  for (const source of report.sources) {
    out.push(`| ${cell(source.reference ?? source.input)} | ${allOriginTexts(source).map(cell).join('<br>')} |`);
  }
  if (report.expansions) {
    out.push('', '| Expansion line | Repositories | References |', '|---|---:|---:|');
    for (const e of report.expansions) {
      const yielded = e.error !== undefined ? `error: ${cell(e.error)}` : String(e.sources);
      out.push(`| ${cell(`${e.file} line ${e.line}: ${e.input}`)} | ${e.repositories} | ${yielded} |`);
    }
  }
  out.push('');
  return out;
}

/** A large registry can hold thousands of duplicates; report.md stays readable, report.json has them all. */
const MARKDOWN_DUPLICATES = 100;

/**
 * The ECR duplicates section of report.md, as lines; empty when the report has
 * none (no ECR was read). Separate so other renderings can reuse its choices.
 */
export function renderDuplicatesMarkdown(report: Report): string[] {
  const duplicates = report.ecrDuplicates;
  const total = report.ecrDuplicateSummary;
  if (!duplicates || !total) return [];
  const out = ['## Duplicates inside ECR', ''];
  if (duplicates.length === 0) return [...out, 'No image ID is held under more than one (repository, manifest digest).', ''];
  out.push(
    `${total.images} image ID(s) are held in ${total.locations} places; the ${total.extraCopies} extra copies list ` +
      `${formatBytes(total.reclaimableBytes)} of config and layers (ECR may share layers between repositories, so billed storage can be less).`,
    '',
    '| Image ID | Size | Copies | Repository | Manifest digest | Tags |',
    '|---|---:|---:|---|---|---|',
  );
  for (const d of duplicates.slice(0, MARKDOWN_DUPLICATES)) {
    for (const [k, l] of d.locations.entries()) {
      const head = k === 0 ? `${cell(d.imageId)} | ${formatBytes(d.sizeBytes)} | ${d.locations.length}` : ' | | ';
      out.push(`| ${head} | ${cell(locationPrefix(l) + l.repository)} | ${cell(l.manifestDigest)} | ${l.tags.map(cell).join(', ')} |`);
    }
  }
  if (duplicates.length > MARKDOWN_DUPLICATES) {
    out.push('', `The ${MARKDOWN_DUPLICATES} with the most reclaimable bytes are shown; report.json lists all ${duplicates.length}.`);
  }
  out.push('');
  return out;
}

/** What still has to be migrated: sources with at least one platform missing from ECR. */
export function renderMissing(report: Report): string {
  const lines = report.sources.filter((s) => s.status === 'absent' || s.status === 'partial').map((s) => s.input);
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

export interface ReportFile {
  name: string;
  contentType: string;
  body: string;
}

/** The report files, and with a plan the plan's files: every run writes and uploads them together. */
export function renderReportFiles(report: Report, plan?: MigrationPlan): ReportFile[] {
  const files: ReportFile[] = [
    { name: 'report.json', contentType: 'application/json', body: `${JSON.stringify(report, null, 2)}\n` },
    { name: 'report.txt', contentType: 'text/plain; charset=utf-8', body: renderText(report) },
    { name: 'report.md', contentType: 'text/markdown; charset=utf-8', body: renderMarkdown(report, plan) },
    { name: 'missing.txt', contentType: 'text/plain; charset=utf-8', body: renderMissing(report) },
    // The charset matters: opened from the S3 console, a page without it may be shown as Latin-1.
    { name: 'report.html', contentType: 'text/html; charset=utf-8', body: renderHtml(report, plan) },
  ];
  if (plan) {
    files.push(
      { name: 'plan.json', contentType: 'application/json', body: `${JSON.stringify(planJson(plan), null, 2)}\n` },
      { name: 'copy.sh', contentType: 'text/x-shellscript; charset=utf-8', body: renderCopyScript(plan, report.generatedAt) },
      { name: 'regsync.yml', contentType: 'application/yaml; charset=utf-8', body: renderRegsync(plan) },
    );
  }
  return files;
}
