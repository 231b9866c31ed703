/**
 * regsync.yml: the same copies for regclient's regsync (`regsync once -c
 * regsync.yml`), in its documented version 1 format. Strings are written as
 * JSON strings, which are YAML double-quoted scalars. regsync expands Go
 * templates (`{{ }}`) in source and target, so an entry whose text is not
 * plainly a reference is left out with a comment rather than expanded. The
 * one template we write ourselves: when the scan could not learn the ECR
 * account, the target registry is read from $TARGET_REGISTRY, as copy.sh does.
 */
import { MigrationPlan, skipReason, targetReference } from './plan-types';
import { commentText } from './shell';
import { sourceRepositoryOf } from './target-name';

const PLAIN_REFERENCE = /^[A-Za-z0-9._:@/[\]-]+$/;
const q = (s: string): string => JSON.stringify(s);
const FROM_ENVIRONMENT = '{{env "TARGET_REGISTRY"}}';

export function renderRegsync(plan: MigrationPlan): string {
  const registry = plan.target.registry;
  const registryText = registry ?? FROM_ENVIRONMENT;
  const out: string[] = [
    '# The plan (plan.json) for regclient regsync: regsync once -c regsync.yml',
    '# Sources are pinned by digest; every platform of an index is copied.',
    ...(registry === undefined
      ? ['# The scan could not learn the ECR account: set TARGET_REGISTRY=<account>.dkr.ecr.<region>.amazonaws.com']
      : []),
    'version: 1',
    'creds:',
    // ECR logins expire after 12 hours; the helper fetches a fresh one. Source logins come from ~/.docker/config.json.
    `  - registry: ${q(registryText)}`,
    '    credHelper: docker-credential-ecr-login',
    'defaults:',
    '  parallel: 2',
  ];
  const entries: string[] = [];
  for (const copy of plan.copies) {
    const label = `line ${copy.line}: ${copy.input}`;
    const reason = skipReason(copy);
    const source = `${sourceRepositoryOf(copy.reference)}@${copy.sourceDigest}`;
    const target = targetReference(copy);
    if (reason !== undefined) {
      entries.push(`  # not synced, ${commentText(label)}: ${commentText(reason)}`);
    } else if (!PLAIN_REFERENCE.test(source) || !PLAIN_REFERENCE.test(target) || !PLAIN_REFERENCE.test(registry ?? 'x')) {
      entries.push(`  # not synced, ${commentText(label)}: not a plain image reference`);
    } else {
      entries.push(
        `  # ${commentText(label)}`,
        `  - source: ${q(source)}`,
        `    target: ${q(`${registryText}/${target}`)}`,
        '    type: image',
        // regsync copies the image's OCI 1.1 referrers and tag-schema signatures with it.
        ...(copy.referrers && copy.referrers.length > 0 ? ['    referrers: true'] : []),
      );
    }
  }
  // Present sources whose signatures/SBOMs ECR lacks: the image is already there byte for byte, so the sync adds only the referrers.
  for (const r of plan.referrerCopies ?? []) {
    const label = `line ${r.line}: ${r.input}`;
    const source = `${sourceRepositoryOf(r.reference)}@${r.sourceDigest}`;
    if (r.targetRepository === null) {
      entries.push(`  # referrers not synced, ${commentText(label)}: ${commentText(r.reason ?? '')}`);
      continue;
    }
    const target = `${r.targetRepository}@${r.sourceDigest}`;
    if (!PLAIN_REFERENCE.test(source) || !PLAIN_REFERENCE.test(target)) {
      entries.push(`  # referrers not synced, ${commentText(label)}: not a plain image reference`);
      continue;
    }
    entries.push(
      `  # ${commentText(label)}: its signatures/SBOMs, beside ECR's copy`,
      `  - source: ${q(source)}`,
      `    target: ${q(`${registryText}/${target}`)}`,
      '    type: image',
      '    referrers: true',
    );
  }
  out.push(entries.some((e) => e.startsWith('  - ')) ? 'sync:' : 'sync: []', ...entries, '');
  return out.join('\n');
}
