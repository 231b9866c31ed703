/**
 * What report.md and report.html say about ECR's archive storage class, artifacts and unreadable images, in the same words: the registry's manifests
 * by kind and storage class, what could not be compared or read, and how to restore an archived match.
 */
import { ARCHIVE_CLASS_UNSUPPORTED } from '../ecr/inventory';
import { EcrMatch } from '../match/match';
import { parseEcrHost } from '../oci/ecr-host';
import { ReportEcr } from '../report/report-types';

/** The AWS CLI command that restores an archived image (it is ACTIVATING for about 20 minutes, then pullable). */
export function restoreCommand(match: Pick<EcrMatch, 'uri' | 'repository' | 'manifestDigest'>): string {
  const region = parseEcrHost(match.uri.slice(0, match.uri.indexOf('/')))?.region;
  return (
    `aws ecr update-image-storage-class${region ? ` --region ${region}` : ''} --repository-name ${match.repository} ` +
    `--image-id imageDigest=${match.manifestDigest} --target-storage-class STANDARD`
  );
}

/** A match's storage class in words; undefined for an ACTIVE image. */
export function statusNote(match: Pick<EcrMatch, 'imageStatus'>): string | undefined {
  if (match.imageStatus === 'ARCHIVED') return 'archived: restore it before pulling';
  if (match.imageStatus === 'ACTIVATING') return 'being restored from the archive: pullable in about 20 minutes';
  return undefined;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Sentences about one registry's inventory beyond its totals; none for a registry of ACTIVE images only. */
export function inventoryNotes(ecr: ReportEcr): string[] {
  const notes: string[] = [];
  const k = ecr.kinds;
  if (k && (k.artifact > 0 || k.index > 0 || k.other > 0 || k.unknown > 0)) {
    const parts = [
      plural(k.image, 'image', 'images'),
      plural(k.index, 'index', 'indexes'),
      `${k.artifact} artifacts (charts, signatures, SBOMs)`,
    ];
    if (k.other > 0) parts.push(`${k.other} not comparable (schema 1)`);
    if (k.unknown > 0) parts.push(`${k.unknown} not read`);
    notes.push(`By kind: ${parts.join(', ')}. Artifacts are never matches nor image duplicates.`);
  }
  if (ecr.archivedImages || ecr.activatingImages) {
    notes.push(
      `Storage class: ${ecr.archivedImages ?? 0} archived, ${ecr.activatingImages ?? 0} being restored; all were compared with the rest, ` +
        'and a match among them says so.',
    );
  }
  if (ecr.archiveClass === 'unsupported') notes.push(ARCHIVE_CLASS_UNSUPPORTED);
  if (ecr.archivedNotCompared) {
    notes.push(
      `${plural(ecr.archivedNotCompared, 'archived image', 'archived images')} could not be compared by image ID (an archived manifest ` +
        'cannot be read until restored, and the digest cache did not know it): a source of the very same manifest digest is still found, ' +
        'one pushed in another format is not, so an "absent" may be held there archived.',
    );
  }
  const u = ecr.unreadableImages;
  if (u) {
    const codes = Object.entries(u.byCode)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
    notes.push(
      `${plural(u.count, 'image', 'images')} could not be read (${codes}); each is listed in report.json and matched by manifest digest only.`,
    );
  }
  return notes;
}
