/**
 * copy.sh: the plan's copies as a bash script a person can read and run.
 * Every value that came from input.txt, a registry or ECR is single-quoted
 * (see shell.ts), comments are stripped of line breaks, and the script is
 * written for bash 3.2 as well (macOS), hence the `${a[@]+"${a[@]}"}` form
 * that `set -u` accepts for an empty array.
 */
import { MigrationPlan, PlannedReferrer, isCopyMade, skipReason, targetReference } from './plan-types';
import { ECR_HOST_BASH_PATTERN } from '../oci/ecr-host';
import { commentText, shellQuote } from './shell';
import { sourceRepositoryOf } from './target-name';
import { ImageReference } from '../oci/reference';

// Checks up front, so a missing tool or target is one clear message rather than every copy failing.
const PREAMBLE = String.raw`ECR_HOST_PATTERN='${ECR_HOST_BASH_PATTERN}'
TARGET_REGISTRY=${'$'}{TARGET_REGISTRY:-$PLAN_TARGET_REGISTRY}
if [ "$PLAN_COPIES" -gt 0 ] && [ -z "$TARGET_REGISTRY" ]; then
  echo "copy.sh: set TARGET_REGISTRY=<account>.dkr.ecr.<region>.amazonaws.com (the scan could not learn the ECR account)" >&2
  exit 2
fi
if [ "$PLAN_COPIES" -gt 0 ] && ! command -v skopeo >/dev/null 2>&1; then
  echo "copy.sh: skopeo is not installed (apt-get install skopeo, dnf install skopeo, brew install skopeo)" >&2
  exit 2
fi
# Extra skopeo arguments, split on whitespace (no glob expansion), e.g. SKOPEO_FLAGS='--retry-times 3'.
skopeo_flags=()
read -r -a skopeo_flags <<< "${'$'}{SKOPEO_FLAGS:-}"
# The region of an ECR target, so repositories are created where the images go.
region_args=()
if [[ "$TARGET_REGISTRY" =~ $ECR_HOST_PATTERN ]]; then
  region_args=(--region "${'$'}{BASH_REMATCH[3]}${'$'}{BASH_REMATCH[6]}")
fi

failed=()
copies_done=0

create_repository() {
  local name=$1 out
  if out=$(aws ecr create-repository ${'$'}{region_args[@]+"${'$'}{region_args[@]}"} --repository-name "$name" 2>&1); then
    echo "created repository $name"
  elif [[ "$out" == *RepositoryAlreadyExistsException* ]]; then
    echo "repository $name already exists"
  else
    echo "$out" >&2
    failed+=("create repository $name")
  fi
}

copy_image() {
  local label=$1 source=$2 destination=$3
  echo "copying $source to $destination"
  if skopeo copy ${'$'}{skopeo_flags[@]+"${'$'}{skopeo_flags[@]}"} --all --preserve-digests "docker://$source" "docker://$destination"; then
    copies_done=$((copies_done + 1))
  else
    failed+=("$label")
  fi
}
`;

/**
 * The lines that copy a source's referrers beside its image: a tag of the tag
 * schemas (cosign's `.sig`/`.att`/`.sbom`, OCI's `sha256-<hex>` index) is a
 * manifest skopeo copies like any; an OCI 1.1 referrer is found through its
 * subject, which skopeo does not follow, so the comment names the tools that do.
 */
export function referrerLines(
  label: string,
  sourceRepository: string,
  sourceDigest: string,
  target: string,
  referrers: readonly PlannedReferrer[],
): { lines: string[]; copies: number } {
  const lines: string[] = [];
  const tags = [...new Set(referrers.flatMap((r) => (r.tag !== undefined ? [r.tag] : [])))];
  for (const tag of tags) {
    lines.push(
      `copy_image ${shellQuote(`${label} (${tag})`)} ${shellQuote(`${sourceRepository}:${tag}`)} "$TARGET_REGISTRY"${shellQuote(`/${target}:${tag}`)}`,
    );
  }
  const viaApi = referrers.filter((r) => r.via === 'api');
  if (viaApi.length > 0) {
    lines.push(
      `# OCI 1.1 referrers of ${commentText(sourceDigest)} ECR lacks: ${commentText(viaApi.map((r) => r.artifactType).join(', '))}.`,
      '# skopeo copies no referrers; once the image is in ECR, copy them with the referrers API, e.g.',
      `#   regctl image copy --referrers ${commentText(`${sourceRepository}@${sourceDigest}`)} "$TARGET_REGISTRY/${commentText(`${target}@${sourceDigest}`)}"`,
      '# or oras cp -r (same arguments), or regsync once -c regsync.yml (its entries set referrers: true).',
    );
  }
  return { lines, copies: tags.length };
}

/**
 * What the script will move, printed before it starts: the copies, and from the plan's transfer
 * the bytes, what uploads, what could mount, the manifest pulls per source registry (hosts in
 * text order, as accountTransfer sorts them) and the plan's warnings. Values from ECR or a
 * registry are single-quoted.
 */
export function movingSummary(plan: MigrationPlan, copies: number): string[] {
  const t = plan.transfer;
  const sizes = [`${t.bytes} bytes in all`, `${t.uploadBytes} bytes to upload`, `${t.mountableBytes} bytes mountable`];
  const pulls = Object.entries(t.pullsBySourceRegistry).map(([host, n]) => `${host} ${n}`);
  const lines = [
    `echo ${shellQuote(`copy.sh: ${copies} cop${copies === 1 ? 'y' : 'ies'} to make: ${sizes.join(', ')}`)}`,
    `echo ${shellQuote(`copy.sh: target registry BLOB_MOUNTING: ${t.blobMounting}`)}`,
  ];
  if (pulls.length > 0) lines.push(`echo ${shellQuote(`copy.sh: manifest pulls by source registry: ${pulls.join(', ')}`)}`);
  for (const w of t.warnings) lines.push(`echo ${shellQuote(`copy.sh: warning: ${w}`)} >&2`);
  return lines;
}

/** The copy_image lines of each copy made (and a comment for each skipped) and the referrer blocks of both. */
function copyCommands(plan: MigrationPlan): { copyLines: string[]; referrerBlocks: string[]; referrerCopies: number } {
  const referrerBlocks: string[] = [];
  let referrerCopies = 0;
  const withReferrers = (
    label: string,
    reference: ImageReference,
    digest: string,
    target: string,
    referrers: readonly PlannedReferrer[] | undefined,
  ) => {
    if (!referrers || referrers.length === 0) return [];
    const block = referrerLines(label, sourceRepositoryOf(reference), digest, target, referrers);
    referrerCopies += block.copies;
    return block.lines;
  };
  const copyLines: string[] = [];
  for (const copy of plan.copies) {
    const label = `line ${copy.line}: ${copy.input}`;
    const reason = skipReason(copy);
    if (reason !== undefined) {
      copyLines.push(`# not copied, ${commentText(label)}: ${commentText(reason)}`);
      continue;
    }
    const source = `${sourceRepositoryOf(copy.reference)}@${copy.sourceDigest}`;
    const platforms = copy.status === 'partial' ? ` (ECR lacks ${copy.platforms.join(', ')})` : '';
    copyLines.push(`# ${commentText(label)}${commentText(platforms)}`);
    copyLines.push(`copy_image ${shellQuote(label)} ${shellQuote(source)} "$TARGET_REGISTRY"${shellQuote(`/${targetReference(copy)}`)}`);
    copyLines.push(...withReferrers(label, copy.reference, copy.sourceDigest, copy.targetRepository, copy.referrers));
  }
  for (const r of plan.referrerCopies ?? []) {
    const label = `line ${r.line}: ${r.input}`;
    if (r.targetRepository === null) {
      referrerBlocks.push(`# signatures/SBOMs not copied, ${commentText(label)}: ${commentText(r.reason ?? '')}`);
      continue;
    }
    referrerBlocks.push(`# ${commentText(label)}: in ECR (${commentText(r.targetRepository)}) without its signatures/SBOMs`);
    referrerBlocks.push(...withReferrers(label, r.reference, r.sourceDigest, r.targetRepository, r.referrers));
  }
  return { copyLines, referrerBlocks, referrerCopies };
}

/** The script's opening: its usage comment, the plan's target and copy count, the shell functions and the summary. */
function scriptHeader(plan: MigrationPlan, copies: number, generatedAt: string | undefined): string[] {
  return [
    '#!/usr/bin/env bash',
    `# Copies into ECR what the scan found missing (plan.json)${generatedAt ? `, scan of ${commentText(generatedAt)}` : ''}.`,
    '# Each source is pinned by the digest it resolved to, so what is copied is what was compared.',
    '#',
    '# Log in to the target first, e.g.:',
    '#   aws ecr get-login-password | skopeo login --username AWS --password-stdin "$TARGET_REGISTRY"',
    '# then: bash copy.sh',
    '#',
    '# Environment:',
    '#   TARGET_REGISTRY        where to copy to (default: the scanned registry below)',
    '#   SKOPEO_FLAGS           extra arguments for every skopeo command, split on whitespace',
    '#   CREATE_REPOSITORIES=0  do not run aws ecr create-repository for the missing repositories',
    '#',
    '# It attempts every copy, then names the failures and exits 1 if there was any.',
    '',
    'set -u',
    '',
    `PLAN_TARGET_REGISTRY=${shellQuote(plan.target.registry ?? '')}`,
    `PLAN_COPIES=${copies}`,
    PREAMBLE,
    ...movingSummary(plan, copies),
    '',
  ];
}

/** The create_repository calls for the plan's missing repositories, unless CREATE_REPOSITORIES=0. */
function createRepositoryLines(plan: MigrationPlan): string[] {
  if (plan.createRepositories.length === 0) return [];
  return [
    'if [ "${CREATE_REPOSITORIES:-1}" != 0 ]; then',
    '  if ! command -v aws >/dev/null 2>&1; then',
    '    echo "copy.sh: the AWS CLI creates the missing repositories; install it, or set CREATE_REPOSITORIES=0" >&2',
    '    exit 2',
    '  fi',
    ...plan.createRepositories.map((name) => `  create_repository ${shellQuote(name)}`),
    'fi',
    '',
  ];
}

/** The script's end: the failures named, exit 1 if any. */
const SCRIPT_FOOTER = [
  '',
  'if [ ${#failed[@]} -gt 0 ]; then',
  '  echo "copy.sh: ${#failed[@]} step(s) failed; $copies_done of $PLAN_COPIES copies made. Failed:" >&2',
  '  for f in "${failed[@]}"; do echo "  $f" >&2; done',
  '  exit 1',
  'fi',
  'echo "copy.sh: $copies_done of $PLAN_COPIES copies made"',
  '',
];

export function renderCopyScript(plan: MigrationPlan, generatedAt?: string): string {
  const made = plan.copies.filter(isCopyMade);
  const { copyLines, referrerBlocks, referrerCopies } = copyCommands(plan);
  const out: string[] = [...scriptHeader(plan, made.length + referrerCopies, generatedAt), ...createRepositoryLines(plan), ...copyLines];
  if (referrerBlocks.length > 0)
    out.push('', '# Sources already in ECR whose signatures, attestations or SBOMs ECR lacks', ...referrerBlocks);
  out.push(...SCRIPT_FOOTER);
  return out.join('\n');
}
