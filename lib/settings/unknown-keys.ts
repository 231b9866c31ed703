/**
 * Which context keys are ours (the key table, keys.ts), so that a typo (`-c reportPrefx=...`)
 * stops the synth instead of being silently ignored. CDK's own keys are told apart by their shape.
 */
import { CONTEXT_KEYS } from './keys';

/**
 * True for a key CDK itself, its CLI or its feature flags use: feature flags and
 * look-up caches hold `:` or `@` (`@aws-cdk/core:...`, `aws:cdk:version-reporting`,
 * `availability-zones:account=...`), and a few plain ones are CDK's by name.
 */
export function isCdkContextKey(key: string): boolean {
  return /[:@]/.test(key) || /^(cdk-|aws-cdk|assets-)/.test(key) || CDK_PLAIN_KEYS.has(key);
}

// Plain keys (no ":" or "@") that the CDK CLI or library reads or writes.
const CDK_PLAIN_KEYS = new Set(['acknowledged-issue-numbers']);

/** Edit distance, for "did you mean" on a mistyped key. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The known key nearest to `key` when it is close enough to be a typo (case ignored). */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (!best || d < best.d) best = { key: k, d };
  }
  return best && best.d <= Math.max(2, Math.floor(key.length / 4)) ? best.key : undefined;
}

/** A problem line for every key that is neither ours nor CDK's. */
export function unknownKeyProblems(keys: Iterable<string>, known: readonly string[] = CONTEXT_KEYS): string[] {
  const ours = new Set(known);
  const problems: string[] = [];
  for (const key of keys) {
    if (ours.has(key) || isCdkContextKey(key)) continue;
    const near = nearestKey(key, known);
    problems.push(`${key}: not a setting of this app; ${near ? `did you mean ${near}?` : `the settings are ${known.join(', ')}`}`);
  }
  return problems;
}
