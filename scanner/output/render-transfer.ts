/**
 * What the plan's copies cost and what could replace them, for report.md and report.html: the
 * transfer (bytes, what must upload, what could mount, manifest pulls per source registry, the
 * warnings), each copy's nearest ECR image when it holds at least half of the copy's bytes, and the
 * pull-through cache rules with the command that creates each one missing. The transfer renders
 * nothing without a copy to make or a warning; the rules, nothing without a rule.
 */
import { parseEcrHost } from '../oci/ecr-host';
import { MigrationPlan, NearestImage, PlannedCopy, PlannedPullThroughCacheRule, PlanTransfer, isCopyMade } from '../plan/plan-types';
import { createRuleCommand } from '../plan/pull-through-cache';
import { formatBytes } from './format-bytes';

/** A copy's nearest ECR image is shown from this share of its bytes on. */
const NEAREST_SHOWN_FROM = 0.5;

type Escape = (text: string) => string;

const percent = (share: number) => `${Math.round(share * 100)}%`;

/** What mountable bytes will do, by the target registry's BLOB_MOUNTING setting. */
function mountingNote(transfer: PlanTransfer): string {
  switch (transfer.blobMounting) {
    case 'ENABLED':
      return 'BLOB_MOUNTING is ENABLED on the target registry: ECR mounts them instead of storing them again (whether a mounted blob is billed again is not documented).';
    case 'DISABLED':
      return 'BLOB_MOUNTING is DISABLED on the target registry: they upload like the rest (aws ecr put-account-setting --name BLOB_MOUNTING --value ENABLED turns it on).';
    default:
      return 'Whether the target registry mounts them (BLOB_MOUNTING) is not known.';
  }
}

/** The transfer's sentences: bytes, upload, mountable, in that order; none without a copy to make. */
function transferSentences(plan: MigrationPlan, transfer: PlanTransfer): string[] {
  const made = plan.copies.filter(isCopyMade).length;
  if (made === 0) return [];
  return [
    `The ${made} ${made === 1 ? 'copy carries' : 'copies carry'} ${formatBytes(transfer.bytes)} of distinct blobs.`,
    `${formatBytes(transfer.uploadBytes)} of them are not in their target repository yet and must be pushed.`,
    `${formatBytes(transfer.mountableBytes)} of those are in another repository of the target registry. ${mountingNote(transfer)}`,
  ];
}

/** The manifest pulls per source registry, hosts in text order (accountTransfer sorts them). */
function pullRows(transfer: PlanTransfer): Array<[string, number]> {
  return Object.entries(transfer.pullsBySourceRegistry);
}

type WithNearest = PlannedCopy & { nearest: NearestImage };

/** Whether the copy's nearest ECR image is shown: it holds at least half of the copy's bytes. */
function showsNearest(copy: PlannedCopy): copy is WithNearest {
  return copy.nearest !== undefined && copy.nearest.share >= NEAREST_SHOWN_FROM;
}

/** Copies whose nearest ECR image holds at least half of their bytes. */
function nearestShown(plan: MigrationPlan): WithNearest[] {
  return plan.copies.filter(showsNearest);
}

/** The region create commands name: the target registry's; none when it is not known (the CLI's own then). */
function commandRegion(plan: MigrationPlan): string | undefined {
  return plan.target.registry !== undefined ? parseEcrHost(plan.target.registry)?.region : undefined;
}

function ruleCommands(plan: MigrationPlan): string[] {
  const region = commandRegion(plan);
  return (plan.pullThroughCache?.rules ?? []).filter((r) => !r.exists).map((r) => createRuleCommand(r, region));
}

function ruleCells(rule: PlannedPullThroughCacheRule): string[] {
  return [
    rule.prefix,
    rule.upstreamRegistryUrl,
    rule.exists ? 'exists' : 'to create',
    String(rule.copies),
    formatBytes(rule.bytes),
    rule.credentials ?? 'none',
  ];
}

const CACHE_NOTE =
  'A cache is not a copy: ECR creates the repository on the first pull, re-checks a tag upstream at most once a day and serves its cached image when the upstream fails; the first pull needs a route to the internet.';

/** Whether the transfer has anything to say: a copy to make, or a warning. */
function hasTransfer(plan: MigrationPlan | undefined): plan is MigrationPlan {
  return plan !== undefined && (plan.copies.some(isCopyMade) || plan.transfer.warnings.length > 0);
}

export function transferMarkdown(plan: MigrationPlan | undefined, cell: Escape): string[] {
  if (!hasTransfer(plan)) return [];
  const { transfer } = plan;
  const sentences = transferSentences(plan, transfer);
  const out = ['## What the copies move', '', ...(sentences.length > 0 ? [cell(sentences.join(' ')), ''] : [])];
  const pulls = pullRows(transfer);
  if (pulls.length > 0) {
    out.push('| Source registry | Manifest pulls |', '|---|---:|', ...pulls.map(([host, n]) => `| ${cell(host)} | ${n} |`), '');
  }
  for (const w of transfer.warnings) out.push(`- **Warning:** ${cell(w)}`);
  if (transfer.warnings.length > 0) out.push('');
  const nearest = nearestShown(plan);
  if (nearest.length > 0) {
    out.push(
      'ECR already holds at least half of the bytes of these copies, in another image (a rebuild, or the same base):',
      '',
      '| Line | Source | Nearest ECR image | Shared |',
      '|---:|---|---|---:|',
      ...nearest.map(
        (c) =>
          `| ${c.line} | ${cell(c.input)} | ${cell(c.nearest.uri)} | ${formatBytes(c.nearest.sharedBytes)} (${percent(c.nearest.share)}) |`,
      ),
      '',
    );
  }
  return out;
}

export function pullThroughCacheMarkdown(plan: MigrationPlan | undefined, cell: Escape): string[] {
  const rules = plan?.pullThroughCache?.rules ?? [];
  if (!plan || rules.length === 0) return [];
  const out = [
    '## Pull-through cache instead of a copy',
    '',
    cell(
      `${rules.reduce((n, r) => n + r.copies, 0)} cop(ies) come from registries an ECR pull-through cache rule can follow (plan.json names each one's cache path). ${CACHE_NOTE}`,
    ),
    '',
    '| Prefix | Upstream | Rule | Copies | Bytes | Credentials |',
    '|---|---|---|---:|---:|---|',
    ...rules.map((r) => `| ${ruleCells(r).map(cell).join(' | ')} |`),
    '',
  ];
  const commands = ruleCommands(plan);
  if (commands.length > 0) out.push('The rules to create:', '', '```', ...commands, '```', '');
  return out;
}

/** The transfer section of report.html; empty when the plan has no transfer. */
export function transferHtml(plan: MigrationPlan | undefined, esc: Escape): string {
  if (!hasTransfer(plan)) return '';
  const { transfer } = plan;
  const sentences = transferSentences(plan, transfer);
  const pulls = pullRows(transfer);
  const pullTable =
    pulls.length > 0
      ? `<table><thead><tr><th>Source registry</th><th>Manifest pulls</th></tr></thead><tbody>${pulls
          .map(([host, n]) => `<tr><td><code>${esc(host)}</code></td><td class="num">${n}</td></tr>`)
          .join('')}</tbody></table>`
      : '';
  const warnings = transfer.warnings.map((w) => `<p class="warning">${esc(w)}</p>`).join('');
  const nearest = nearestShown(plan);
  const nearestTable =
    nearest.length > 0
      ? `<h3>Nearest ECR images</h3><p>ECR already holds at least half of the bytes of these copies, in another image (a rebuild, or the same base):</p>
<table><thead><tr><th>Line</th><th>Source</th><th>Nearest ECR image</th><th>Shared</th></tr></thead><tbody>${nearest
          .map(
            (c) =>
              `<tr><td class="num">${c.line}</td><td><code>${esc(c.input)}</code></td><td><code>${esc(c.nearest.uri)}</code></td><td class="num">${esc(formatBytes(c.nearest.sharedBytes))} (${percent(c.nearest.share)})</td></tr>`,
          )
          .join('')}</tbody></table>`
      : '';
  return `<section id="transfer"><h2>What the copies move</h2>${sentences.length > 0 ? `<p>${esc(sentences.join(' '))}</p>` : ''}${pullTable}${warnings}${nearestTable}</section>`;
}

/** The pull-through cache section of report.html; empty when no copy's upstream has a rule to suggest. */
export function pullThroughCacheHtml(plan: MigrationPlan | undefined, esc: Escape): string {
  const rules = plan?.pullThroughCache?.rules ?? [];
  if (!plan || rules.length === 0) return '';
  const rows = rules
    .map((r) => {
      const [prefix, upstream, state, copies, bytes, credentials] = ruleCells(r).map(esc);
      return `<tr><td><code>${prefix}</code></td><td><code>${upstream}</code></td><td>${state}</td><td class="num">${copies}</td><td class="num">${bytes}</td><td>${credentials}</td></tr>`;
    })
    .join('');
  const commands = ruleCommands(plan);
  const create = commands.length > 0 ? `<h3>Rules to create</h3><pre>${esc(commands.join('\n'))}</pre>` : '';
  return `<section id="pull-through-cache"><h2>Pull-through cache instead of a copy</h2>
<p>${rules.reduce((n, r) => n + r.copies, 0)} cop(ies) come from registries an ECR pull-through cache rule can follow; the plan's copies table names each one's cache path. ${esc(CACHE_NOTE)}</p>
<table><thead><tr><th>Prefix</th><th>Upstream</th><th>Rule</th><th>Copies</th><th>Bytes</th><th>Credentials</th></tr></thead><tbody>${rows}</tbody></table>${create}</section>`;
}

/** Below a copy's target in report.html: its cache path, and its nearest ECR image when shown. */
export function copyNotesHtml(copy: PlannedCopy, esc: Escape): string {
  const notes: string[] = [];
  if (copy.pullThroughCache)
    notes.push(
      `<br><span class="legend">or through the pull-through cache${copy.pullThroughCache.ruleExists ? '' : ' (rule to create)'}:</span> <code>${esc(copy.pullThroughCache.uri)}</code>`,
    );
  if (showsNearest(copy))
    notes.push(
      `<br><span class="legend">ECR holds ${percent(copy.nearest.share)} of its bytes in</span> <code>${esc(copy.nearest.uri)}</code>`,
    );
  return notes.join('');
}
