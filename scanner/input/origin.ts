/**
 * Where a source was named: a line of input.txt, a line an expansion produced,
 * a container of a Kubernetes workload, a compose service. A reference named
 * in several places is one source with every origin, so the team that owns
 * each place can be told.
 */

/** A line of an input.txt file. */
export interface LineOrigin {
  file: string;
  line: number;
}

/** A source an expansion line (`repo:*`, `host/ns/*`, …) produced from a registry's listing. */
export interface ExpansionOrigin {
  file: string;
  line: number;
  /** The expansion line as written. */
  expansion: string;
}

/** A container (or init or ephemeral container) of a Kubernetes object. */
export interface KubernetesOrigin {
  file: string;
  /** The line of the container's `image` in the file. */
  line: number;
  kind: string;
  /** Absent for objects without one (a manifest applied to the current namespace). */
  namespace?: string;
  name: string;
  container: string;
}

/** A service of a compose file. */
export interface ComposeOrigin {
  file: string;
  line: number;
  service: string;
}

export type SourceOrigin = LineOrigin | ExpansionOrigin | KubernetesOrigin | ComposeOrigin;

/** An input.txt line (not an expansion's, a container's or a service's). */
export function isLineOrigin(origin: SourceOrigin): origin is LineOrigin {
  return !('expansion' in origin) && !('container' in origin) && !('service' in origin);
}

/**
 * The origins one source was named at, a repeat (the same Pod listed twice, a
 * file given twice) found in constant time. input.txt lines, the bulk of a big
 * input, are kept as numbers per file rather than as a text each.
 */
export class OriginSet {
  private readonly lines = new Map<string, Set<number>>();
  private readonly others = new Set<string>();

  /** Adds the origin; false when it was there already. */
  add(origin: SourceOrigin): boolean {
    if (isLineOrigin(origin)) {
      let lines = this.lines.get(origin.file);
      if (!lines) {
        lines = new Set();
        this.lines.set(origin.file, lines);
      }
      if (lines.has(origin.line)) return false;
      lines.add(origin.line);
      return true;
    }
    const key = JSON.stringify(origin);
    if (this.others.has(key)) return false;
    this.others.add(key);
    return true;
  }
}
