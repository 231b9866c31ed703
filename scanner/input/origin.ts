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

/** Two origins that name the same place (the same Pod listed twice is one origin). */
export function sameOrigin(a: SourceOrigin, b: SourceOrigin): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
