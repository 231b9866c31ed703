/**
 * report.html: one self-contained page a person opens from the S3 console or
 * a laptop. No script, no external style, font or image, so it shows the
 * same from file://, an S3 download or a mail attachment, and prints.
 * Everything that came from input.txt, a registry or ECR goes through esc().
 */
import { EcrDuplicate } from '../ecr/types';
import { EcrMatch } from '../match/match';
import { MigrationPlan, PlannedCopy, isCopyMade } from '../plan/plan-types';
import { sourceRepositoryOf } from '../plan/target-name';
import { Report, ReportImage, ReportSource } from '../report/report-types';
import { parseEcrHost } from '../oci/ecr-host';
import { formatBytes } from './format-bytes';
import { hasRegistryTable, locationPrefix, registriesHtml } from './render-registries';
import { MAX_ORIGINS_SHOWN, originsShown } from './origins';
import { inventoryNotes, restoreCommand, statusNote } from './ecr-notes';
import { reclaimableBytes } from '../ecr/duplicates';
import { copyNotesHtml, pullThroughCacheHtml, transferHtml } from './render-transfer';

const STATUSES = ['present', 'partial', 'absent', 'error'] as const;

/** HTML-escapes text for element content and for quoted attribute values alike. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A digest shortened for reading, the whole of it in the tooltip and in the text a copy takes. */
function digest(d: string): string {
  const short = d.length > 19 ? `${d.slice(0, 19)}…` : d;
  return `<code class="digest" title="${esc(d)}">${esc(short)}</code>`;
}

function badge(status: string): string {
  return `<span class="badge ${STATUSES.includes(status as (typeof STATUSES)[number]) ? status : 'other'}">${esc(status)}</span>`;
}

const CSS = `
:root { --present: #1a7f37; --partial: #9a6700; --absent: #0969da; --error: #cf222e; --line: #d0d7de; --muted: #57606a; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1f2328; background: #f6f8fa; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; min-height: 100vh; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 18px 0 6px; }
p { margin: 6px 0; }
.meta { color: var(--muted); }
code, pre { font: 0.86em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code { overflow-wrap: anywhere; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; overflow-x: auto; white-space: pre-wrap; }
.tiles { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.tile { flex: 1 1 130px; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; border-top: 5px solid var(--muted); }
.tile .n { display: block; font-size: 1.9rem; font-weight: 650; line-height: 1.1; }
.tile .l { color: var(--muted); }
.tile.present { border-top-color: var(--present); } .tile.partial { border-top-color: var(--partial); }
.tile.absent { border-top-color: var(--absent); } .tile.error { border-top-color: var(--error); }
.warning { border-left: 4px solid var(--error); padding: .4em .8em; }
.bar { display: flex; height: 14px; border-radius: 7px; overflow: hidden; background: #eaeef2; margin: 6px 0 4px; }
.bar span { display: block; height: 100%; }
.bar .present, .badge.present { background: var(--present); } .bar .partial, .badge.partial { background: var(--partial); }
.bar .absent, .badge.absent { background: var(--absent); } .bar .error, .badge.error { background: var(--error); }
.legend { color: var(--muted); font-size: 0.9em; }
table { width: 100%; border-collapse: collapse; margin: 8px 0; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { background: #f6f8fa; font-weight: 600; white-space: nowrap; }
td.num { text-align: right; white-space: nowrap; }
td ul { margin: 0; padding-left: 1.1em; }
.badge { display: inline-block; color: #fff; border-radius: 10px; padding: 0 8px; font-size: 0.85em; font-weight: 600; background: var(--muted); }
.missing { color: var(--error); font-weight: 600; }
.found { color: var(--present); font-weight: 600; }
.archived { display: inline-block; border: 1px solid var(--partial); color: var(--partial); border-radius: 10px; padding: 0 7px; font-size: 0.8em; font-weight: 600; }
code.cmd { display: inline-block; margin-top: 2px; background: #f6f8fa; padding: 1px 5px; border-radius: 4px; }
.skip { color: var(--error); }
.err { color: var(--error); }
.empty { color: var(--muted); font-style: italic; }
@media print {
  body { background: #fff; font-size: 11pt; }
  main { max-width: none; padding: 0; min-height: 0; }
  .tile, .bar span, .badge { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; }
  tr, .tile, pre { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
`;

function summarySection(report: Report, plan: MigrationPlan | undefined): string {
  const s = report.summary;
  const tiles = [`<div class="tile"><span class="n">${s.sources}</span><span class="l">sources</span></div>`];
  for (const status of STATUSES) {
    tiles.push(
      `<div class="tile ${status}" id="count-${status}"><span class="n">${s[status]}</span><span class="l">${status}</span></div>`,
    );
  }
  const bar =
    s.sources === 0
      ? ''
      : `<div class="bar" role="img" aria-label="${STATUSES.map((st) => `${s[st]} ${st}`).join(', ')}">${STATUSES.filter((st) => s[st] > 0)
          .map((st) => `<span class="${st}" style="width:${((100 * s[st]) / s.sources).toFixed(2)}%" title="${s[st]} ${st}"></span>`)
          .join('')}</div>
<p class="legend">${STATUSES.map((st) => `${Math.round((100 * s[st]) / s.sources)}% ${st}`).join(' · ')}</p>`;
  const planLine = plan
    ? `<p>Migration plan: <strong>${plan.copies.filter(isCopyMade).length}</strong> cop${plan.copies.filter(isCopyMade).length === 1 ? 'y' : 'ies'} to make, ` +
      `<strong>${plan.createRepositories.length}</strong> repositor${plan.createRepositories.length === 1 ? 'y' : 'ies'} to create, ` +
      `<strong>${plan.copies.length - plan.copies.filter(isCopyMade).length}</strong> not copied (conflicts, invalid names). <a href="#plan">See the plan.</a></p>`
    : '';
  const dups = report.ecrDuplicates;
  const dupLine =
    dups && dups.length > 0
      ? `<p>ECR holds <strong>${dups.length}</strong> image(s) more than once. <a href="#duplicates">See the duplicates.</a></p>`
      : '';
  return `<section id="summary"><h2>At a glance</h2><div class="tiles">${tiles.join('')}</div>${bar}${planLine}${dupLine}</section>`;
}

/** An archived (or restoring) match: a badge and, for an archived one, the command that restores it. */
function archivedNote(m: EcrMatch): string {
  const note = statusNote(m);
  if (!note) return '';
  const command = m.imageStatus === 'ARCHIVED' ? `<br><code class="cmd">${esc(restoreCommand(m))}</code>` : '';
  return ` <span class="archived" title="${esc(note)}">${esc(m.imageStatus ?? '')}</span> <span class="legend">${esc(note)}</span>${command}`;
}

function imageCell(image: ReportImage): string {
  if (image.matches.length === 0) return `<li><code>${esc(image.platform)}</code> <span class="missing">not in ECR</span></li>`;
  const where = image.matches
    .map(
      (m) =>
        `<li><code>${esc(m.uri)}</code> <span class="legend">(${esc(m.matchedBy === 'manifest' ? 'same manifest' : 'same image ID')})</span>${archivedNote(m)}</li>`,
    )
    .join('');
  return `<li><code>${esc(image.platform)}</code> <span class="found">in ECR</span><ul>${where}</ul></li>`;
}

function sourceRow(source: ReportSource, origins: readonly string[]): string {
  const repeats = source.duplicateLines ?? [];
  const more = repeats.length > MAX_ORIGINS_SHOWN ? `, … and ${repeats.length - MAX_ORIGINS_SHOWN} more` : '';
  const lines = [String(source.line), ...repeats.slice(0, MAX_ORIGINS_SHOWN).map(String)].join(', ') + more;
  const ref = source.reference && source.reference !== source.input ? `<br><span class="legend">${esc(source.reference)}</span>` : '';
  const resolved = source.digest ? `<br><span class="legend">resolved to</span> ${digest(source.digest)}` : '';
  const named = origins.length > 0 ? `<br><span class="legend">named in</span> ${origins.map(esc).join('; ')}` : '';
  const detail =
    source.status === 'error'
      ? `<span class="err">${esc(source.error ?? 'unknown error')}</span>`
      : `<ul>${source.images.map(imageCell).join('')}</ul>`;
  return `<tr class="source ${esc(source.status)}"><td class="num">${esc(lines)}</td><td><code>${esc(source.input)}</code>${ref}${resolved}${named}</td><td>${badge(source.status)}</td><td>${detail}</td></tr>`;
}

function sourcesSection(report: Report): string {
  const origins = originsShown(report);
  if (report.sources.length === 0) return `<section id="sources"><h2>Sources</h2><p class="empty">input.txt lists no image.</p></section>`;
  return `<section id="sources"><h2>Sources</h2>
<table><thead><tr><th>Line</th><th>Source</th><th>Status</th><th>Platforms and where ECR has them</th></tr></thead>
<tbody>${report.sources.map((s) => sourceRow(s, origins ? origins(s) : [])).join('\n')}</tbody></table></section>`;
}

/** Signatures, attestations and SBOMs; shown only when some source has them. */
function referrersSection(report: Report): string {
  const total = report.referrerSummary;
  if (!total) return '';
  const rows = report.sources.flatMap((source) =>
    (source.referrers ?? []).map(
      (r) =>
        `<tr><td><code>${esc(source.reference ?? source.input)}</code></td><td>${badge(source.status)}</td><td><code>${esc(r.artifactType)}</code></td>` +
        `<td>${r.tag !== undefined ? `tag <code>${esc(r.tag)}</code>` : digest(r.digest)}</td><td>${r.inEcr ? '<span class="found">in ECR</span>' : '<span class="missing">not in ECR</span>'}</td></tr>`,
    ),
  );
  return `<section id="referrers"><h2>Signatures, attestations and SBOMs</h2>
<p>${total.sources} source(s) carry ${total.referrers} referrer(s); ECR lacks ${total.missingInEcr}. <strong>${total.presentLackingReferrers}</strong> source(s) are in ECR without all of their referrers: a cluster that verifies signatures would refuse them until the plan copies them.</p>
<table><thead><tr><th>Source</th><th>Status</th><th>Artifact type</th><th>Referrer</th><th>In ECR</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}

function copyRow(copy: PlannedCopy, registry: string | undefined): string {
  const action =
    copy.invalidTarget !== undefined
      ? `<span class="skip">not copied: invalid target name: ${esc(copy.invalidTarget)}</span>`
      : copy.conflict !== undefined
        ? `<span class="skip">not copied: conflict: ${esc(copy.conflict)}</span>`
        : 'copy';
  const repo = copy.repositoryExists ? 'exists' : isCopyMade(copy) ? 'to create' : '—';
  return `<tr><td class="num">${copy.line}</td><td><code>${esc(sourceRepositoryOf(copy.reference))}</code><br>@${digest(copy.sourceDigest)}</td>
<td><code>${esc(registry !== undefined ? `${registry}/` : '')}${esc(copy.targetRepository)}${copy.targetTag === null ? '' : esc(`:${copy.targetTag}`)}</code>${copy.targetTag === null ? ' <span class="legend">(by digest, no tag)</span>' : ''}${copyNotesHtml(copy, esc)}</td>
<td>${badge(copy.status)} ${copy.platforms.map((p) => `<code>${esc(p)}</code>`).join(', ')}</td><td>${repo}</td><td>${action}</td></tr>`;
}

function planSection(plan: MigrationPlan | undefined): string {
  if (!plan) return `<section id="plan"><h2>Migration plan</h2><p class="empty">No migration plan in this run.</p></section>`;
  const registry = plan.target.registry;
  const target =
    registry !== undefined
      ? `<p>Target registry <code>${esc(registry)}</code>${plan.target.prefix ? `, prefix <code>${esc(plan.target.prefix)}/</code>` : ''}.</p>`
      : `<p>The scan could not learn the ECR account (the registry has no repository yet): set <code>TARGET_REGISTRY</code> when you run copy.sh.</p>`;
  if (plan.copies.length === 0) {
    // With nothing to copy an unknown registry is no news (an empty input.txt takes no inventory at all).
    return `<section id="plan"><h2>Migration plan</h2>${registry !== undefined ? target : ''}<p class="empty">Nothing to copy: no compared source is absent or partial.</p></section>`;
  }
  const create =
    plan.createRepositories.length > 0
      ? `<ul>${plan.createRepositories.map((r) => `<li><code>${esc(r)}</code></li>`).join('')}</ul>`
      : `<p class="empty">None: every target repository exists.</p>`;
  const loginHost = registry ?? '$TARGET_REGISTRY';
  const region = registry !== undefined ? parseEcrHost(registry)?.region : undefined;
  const how = [
    '# log in to the target registry (the login lasts 12 hours)',
    `aws ecr get-login-password${region ? ` --region ${region}` : ''} | skopeo login --username AWS --password-stdin ${loginHost}`,
    '# make the copies (creates the repositories first); it names any failure and exits 1',
    'bash copy.sh',
    '# other target, extra skopeo flags, repositories made elsewhere:',
    "TARGET_REGISTRY=111122223333.dkr.ecr.eu-west-1.amazonaws.com SKOPEO_FLAGS='--retry-times 3' CREATE_REPOSITORIES=0 bash copy.sh",
    '# or the same copies with regclient',
    'regsync once -c regsync.yml',
  ].join('\n');
  return `<section id="plan"><h2>Migration plan</h2>${target}
<p>One copy per source that is absent or partial, pinned by the digest it resolved to, with every platform of an index (<code>skopeo copy --all --preserve-digests</code>). plan.json, copy.sh and regsync.yml beside this page say the same.</p>
<h3>Copies</h3>
<table><thead><tr><th>Line</th><th>From</th><th>To</th><th>ECR lacks</th><th>Repository</th><th>Action</th></tr></thead>
<tbody>${plan.copies.map((c) => copyRow(c, registry)).join('\n')}</tbody></table>
<h3>Repositories to create</h3>${create}
<h3>How to run it</h3><pre>${esc(how)}</pre></section>`;
}

function duplicateRow(dup: EcrDuplicate): string {
  const where = dup.locations
    .map(
      (l) =>
        `<li><code>${esc(locationPrefix(l) + l.repository)}</code> ${l.tags.length > 0 ? l.tags.map((t) => `<code>:${esc(t)}</code>`).join(' ') : '<span class="legend">untagged</span>'} ${digest(l.manifestDigest)}${l.imageStatus ? ` <span class="archived">${esc(l.imageStatus)}</span>` : ''}</li>`,
    )
    .join('');
  return `<tr><td>${digest(dup.imageId)}</td><td class="num">${esc(formatBytes(dup.sizeBytes))}</td><td class="num">${dup.locations.length}</td><td><ul>${where}</ul></td></tr>`;
}

function duplicatesSection(report: Report): string {
  const dups = report.ecrDuplicates;
  const head = `<section id="duplicates"><h2>Duplicates inside ECR</h2>`;
  if (dups === undefined) return `${head}<p class="empty">This scan did not look for duplicates inside ECR.</p></section>`;
  if (dups.length === 0)
    return `${head}<p class="empty">No image is held under more than one repository and manifest digest.</p></section>`;
  // The same computation as report.json's ecrDuplicateSummary: each copy's own size, all but the largest.
  const extra = report.ecrDuplicateSummary?.reclaimableBytes ?? dups.reduce((sum, d) => sum + reclaimableBytes(d), 0);
  return `${head}<p><strong>${dups.length}</strong> image ID(s) are held more than once; the copies beyond the first list <strong>${esc(formatBytes(extra))}</strong>.
Repositories in one registry can share layers, so what ECR bills can be less.</p>
<table><thead><tr><th>Image ID</th><th>Size</th><th>Copies</th><th>Where</th></tr></thead>
<tbody>${dups.map(duplicateRow).join('\n')}</tbody></table></section>`;
}

function header(report: Report): string {
  const meta: string[] = [`Generated ${esc(report.generatedAt)}`];
  for (const ecr of hasRegistryTable(report) ? [] : report.ecr) {
    meta.push(
      `ECR registry <code>${esc(ecr.accountId ?? '(account not known)')}</code> in <code>${esc(ecr.region)}</code>: ${ecr.repositories} repositories, ${ecr.images} images` +
        (ecr.skippedRepositories
          ? ` (skipped, deleted during the scan: ${ecr.skippedRepositories.map((r) => `<code>${esc(r)}</code>`).join(', ')})`
          : '') +
        inventoryNotes(ecr)
          .map((note) => `<br>${esc(note)}`)
          .join(''),
    );
  }
  if (report.platforms) meta.push(`compared platforms: ${report.platforms.map((p) => `<code>${esc(p)}</code>`).join(', ')}`);
  if (report.provenance?.executionId) meta.push(`pipeline execution <code>${esc(report.provenance.executionId)}</code>`);
  if (report.provenance?.sourceRevision) meta.push(`input revision <code>${esc(report.provenance.sourceRevision)}</code>`);
  return `<header><h1>ECR duplicate image report</h1><p class="meta">${meta.join(' · ')}</p></header>`;
}

export function renderHtml(report: Report, plan?: MigrationPlan): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ECR duplicate image report, ${esc(report.generatedAt)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${header(report)}
${hasRegistryTable(report) ? registriesHtml(report, esc) : ''}
${summarySection(report, plan)}
${sourcesSection(report)}
${referrersSection(report)}
${planSection(plan)}
${transferHtml(plan, esc)}
${pullThroughCacheHtml(plan, esc)}
${duplicatesSection(report)}
<footer><p class="legend">report.json holds every detail of this page; schemaVersion ${report.schemaVersion}.</p></footer>
</main>
</body>
</html>
`;
}
