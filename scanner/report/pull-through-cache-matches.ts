/**
 * A match in a repository under one of the target registry's pull-through cache rules is a cache
 * (created on first pull, refreshed from the upstream tag), not a copy the migration made or owns:
 * report.json says so with `pullThroughCache: true`. A ROOT rule covers repositories that no other
 * rule names, pushed ones included, so it marks nothing.
 */
import { ExistingPullThroughCacheRule } from '../ecr/registry-settings';
import { parseEcrHost } from '../oci/ecr-host';
import { Report } from './report-types';

/** Marks, in place, the matches in `registry` (the plan's target host) whose repository is under a rule's prefix. */
export function markPullThroughCacheMatches(report: Report, registry: string, rules: readonly ExistingPullThroughCacheRule[]): void {
  const namespaces = rules
    .map((r) => r.ecrRepositoryPrefix)
    .filter((p) => p !== 'ROOT')
    .map((p) => (p.endsWith('/') ? p : `${p}/`));
  const target = parseEcrHost(registry);
  if (namespaces.length === 0 || !target) return;
  for (const source of report.sources) {
    for (const image of source.images) {
      for (const match of image.matches) {
        // A scope of several registries names each match's registry; a scope of one's matches are all the target's.
        const inTarget = match.accountId === undefined || (match.accountId === target.accountId && match.region === target.region);
        if (inTarget && namespaces.some((n) => match.repository.startsWith(n))) match.pullThroughCache = true;
      }
    }
  }
}
