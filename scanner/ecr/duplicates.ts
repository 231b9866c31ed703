/** How a set of places holding one image ID becomes an EcrDuplicate, and how duplicates are ordered. */
import { EcrDuplicate, EcrDuplicateLocation } from './types';
import { byText } from '../text/by-text';

/** The bytes the copies beyond one take: all of them but the largest (the copy one would keep). */
export function reclaimableBytes(duplicate: EcrDuplicate): number {
  return duplicate.locations.reduce((sum, l) => sum + l.sizeBytes, 0) - duplicate.sizeBytes;
}

/** Locations by registry (when named), repository, then manifest digest; the duplicate's size is its largest copy's. */
export function duplicateOf(imageId: string, locations: EcrDuplicateLocation[]): EcrDuplicate {
  locations.sort(
    (a, b) =>
      byText(a.accountId ?? '', b.accountId ?? '') ||
      byText(a.region ?? '', b.region ?? '') ||
      byText(a.repository, b.repository) ||
      byText(a.manifestDigest, b.manifestDigest),
  );
  return { imageId, sizeBytes: locations.reduce((max, l) => Math.max(max, l.sizeBytes), 0), locations };
}

/** Most reclaimable bytes first, then by image ID: deterministic whatever order ECR listed things in. */
export function sortDuplicates(duplicates: EcrDuplicate[]): EcrDuplicate[] {
  const keyed = duplicates.map((d) => ({ d, bytes: reclaimableBytes(d) }));
  keyed.sort((a, b) => b.bytes - a.bytes || byText(a.d.imageId, b.d.imageId));
  return keyed.map((k) => k.d);
}
