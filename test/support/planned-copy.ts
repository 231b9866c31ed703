/** A plan's copy made by hand for the plan's and renderers' unit tests: an absent source, its path as the target. */
import { parseReference } from '../../scanner/oci/reference';
import { PlannedCopy } from '../../scanner/plan/plan-types';

export const fakeDigest = (c: string) => `sha256:${c.repeat(64)}`;

export function plannedCopy(reference: string, extra: Partial<PlannedCopy> = {}): PlannedCopy {
  const ref = parseReference(reference);
  return {
    line: 1,
    input: reference,
    reference: ref,
    sourceDigest: fakeDigest('a'),
    status: 'absent',
    platforms: ['linux/amd64'],
    targetRepository: ref.repository,
    targetTag: ref.tag ?? null,
    repositoryExists: false,
    bytes: 0,
    uploadBytes: 0,
    mountableBytes: 0,
    pulls: 1,
    ...extra,
  };
}
