/**
 * What every kind of input yields before sources are formed: each place an
 * image is named, with where. Collecting folds the same reference named in
 * several places into one source with every origin, in the order first named.
 */
import { ErrorKind } from '../errors/scan-error';
import { formatReference, ImageReference } from '../oci/reference';
import { ExpansionSpec } from './expansion';
import { isLineOrigin, OriginSet, SourceOrigin } from './origin';

export type Mention =
  | { kind: 'reference'; input: string; reference: ImageReference; origin: SourceOrigin }
  | { kind: 'invalid'; input: string; error: string; errorKind?: ErrorKind; origin: SourceOrigin }
  | { kind: 'expansion'; input: string; expansion: ExpansionSpec; origin: SourceOrigin };

export type ExpansionMention = Extract<Mention, { kind: 'expansion' }>;

export interface ValidSource {
  kind: 'reference';
  /** The line of its first origin in that origin's file. */
  line: number;
  /** Later lines of the same input.txt naming it again (the contract's duplicateLines). */
  duplicateLines: number[];
  input: string;
  reference: ImageReference;
  /** Canonical text, also the key that folds duplicates together. */
  canonical: string;
  /** Every place it was named, the first first. */
  origins: SourceOrigin[];
}

export interface InvalidSource {
  kind: 'invalid';
  line: number;
  input: string;
  error: string;
  /** Default 'invalid'; an expansion the registry could not list says why (`not-found`, `unsupported`, …). */
  errorKind?: ErrorKind;
  origins: SourceOrigin[];
}

export type SourceEntry = ValidSource | InvalidSource;

/** Sources from mentions (expansions already replaced by what they produced; any left are ignored). */
export function collectSources(mentions: Iterable<Mention>): SourceEntry[] {
  const entries: SourceEntry[] = [];
  // Each source with the origins it has, so a repeated origin is found in constant time: a million lines naming
  // three images would otherwise compare each line with every earlier one.
  const byCanonical = new Map<string, { entry: ValidSource; origins: OriginSet }>();
  for (const m of mentions) {
    if (m.kind === 'expansion') continue;
    if (m.kind === 'invalid') {
      entries.push({
        kind: 'invalid',
        line: m.origin.line,
        input: m.input,
        error: m.error,
        ...(m.errorKind ? { errorKind: m.errorKind } : {}),
        origins: [m.origin],
      });
      continue;
    }
    const canonical = formatReference(m.reference);
    const known = byCanonical.get(canonical);
    if (!known) {
      const entry: ValidSource = {
        kind: 'reference',
        line: m.origin.line,
        duplicateLines: [],
        input: m.input,
        reference: m.reference,
        canonical,
        origins: [m.origin],
      };
      const origins = new OriginSet();
      origins.add(m.origin);
      byCanonical.set(canonical, { entry, origins });
      entries.push(entry);
      continue;
    }
    if (!known.origins.add(m.origin)) continue;
    const first = known.entry;
    first.origins.push(m.origin);
    const head = first.origins[0]!;
    if (isLineOrigin(m.origin) && isLineOrigin(head) && head.file === m.origin.file) first.duplicateLines.push(m.origin.line);
  }
  return entries;
}
