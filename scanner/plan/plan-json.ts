/**
 * plan.json as the scanner contract fixes it: references as canonical text and the target registry
 * '' when unknown. The plan itself holds typed values (plan-types.ts); this is its one way to JSON.
 */
import { formatReference } from '../oci/reference';
import { MigrationPlan, PlannedCopy, PlannedReferrerCopy } from './plan-types';

export type PlannedCopyJson = Omit<PlannedCopy, 'reference'> & { reference: string };
export type PlannedReferrerCopyJson = Omit<PlannedReferrerCopy, 'reference'> & { reference: string };

export interface MigrationPlanJson extends Omit<MigrationPlan, 'target' | 'copies' | 'referrerCopies'> {
  /** registry: '' when the scan could not learn the account. */
  target: { registry: string; prefix: string };
  copies: PlannedCopyJson[];
  referrerCopies?: PlannedReferrerCopyJson[];
}

/** The JSON form, its fields in the order plan.json has always had them (the spread keeps `reference` in place). */
export function planJson(plan: MigrationPlan): MigrationPlanJson {
  const { referrerCopies, ...rest } = plan;
  return {
    ...rest,
    target: { registry: plan.target.registry ?? '', prefix: plan.target.prefix },
    copies: plan.copies.map((c) => ({ ...c, reference: formatReference(c.reference) })),
    ...(referrerCopies ? { referrerCopies: referrerCopies.map((r) => ({ ...r, reference: formatReference(r.reference) })) } : {}),
  };
}
