/**
 * The listing side of the distribution API, as pure functions: the `Link`
 * header that pages tags/list, _catalog and referrers, and the JSON bodies
 * they answer with, checked field by field (a registry's answer is untrusted).
 */

/** The `rel="next"` target of a Link header (RFC 8288), resolved against the URL that answered; undefined when there is none. */
export function nextPageUrl(link: string | null, answeredUrl: string): URL | undefined {
  if (!link) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (!m) continue;
    if (!/(?:^|;)\s*rel\s*=\s*"?next"?\s*(?:;|$)/i.test(m[2]!)) continue;
    try {
      return new URL(m[1]!, answeredUrl);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The names of a tags/list (`tags`) or _catalog (`repositories`) page; undefined when the body is not that. */
export function parseNameList(body: Buffer, field: 'tags' | 'repositories'): string[] | undefined {
  const json = parseJson(body);
  if (typeof json !== 'object' || json === null) return undefined;
  const list = (json as Record<string, unknown>)[field];
  // A repository with no tags left answers `"tags": null`.
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list) || !list.every((n): n is string => typeof n === 'string')) return undefined;
  return list;
}

/** How many names (and the first few) a listing held that the grammar does not allow; they are never requested. */
export interface RefusedNames {
  count: number;
  /** At most REFUSED_EXAMPLES of them, JSON-quoted and shortened, for a message. */
  examples: string[];
}

/** The names of a listing that may become requests, and those that may not. */
export interface ListedNames {
  names: string[];
  refused: RefusedNames;
}

const REFUSED_EXAMPLES = 3;
const EXAMPLE_MAX = 80;

/**
 * Sorts a registry's names by the grammar they must follow before any becomes
 * a request path: a tag list naming `../../../_catalog` must not make us ask
 * for anything outside the repository, with its credentials.
 */
export class NameChecker {
  readonly names: string[] = [];
  readonly refused: RefusedNames = { count: 0, examples: [] };

  constructor(private readonly isValid: (name: string) => boolean) {}

  /** Keeps the name when valid; counts it otherwise. */
  add(name: string): void {
    if (this.isValid(name)) {
      this.names.push(name);
      return;
    }
    this.refused.count++;
    if (this.refused.examples.length < REFUSED_EXAMPLES) {
      const quoted = JSON.stringify(name);
      this.refused.examples.push(quoted.length <= EXAMPLE_MAX ? quoted : `${quoted.slice(0, EXAMPLE_MAX)}…`);
    }
  }

  /** Names read, valid or not. */
  get read(): number {
    return this.names.length + this.refused.count;
  }

  result(): ListedNames {
    return { names: this.names, refused: this.refused };
  }
}

/** One descriptor of a referrers response: a manifest whose `subject` is the digest asked about. */
export interface ReferrerDescriptor {
  digest: string;
  mediaType: string;
  artifactType: string;
}

/**
 * The `manifests` of a referrers response (an OCI image index), or of an
 * index pushed under the `sha256-<hex>` tag schema; undefined when the body is
 * not an index. A descriptor without `artifactType` is described by its media type.
 */
export function parseReferrerIndex(body: Buffer): ReferrerDescriptor[] | undefined {
  const json = parseJson(body);
  if (typeof json !== 'object' || json === null) return undefined;
  const manifests = (json as Record<string, unknown>).manifests;
  if (manifests === null || manifests === undefined) return [];
  if (!Array.isArray(manifests)) return undefined;
  const out: ReferrerDescriptor[] = [];
  for (const m of manifests as unknown[]) {
    if (typeof m !== 'object' || m === null) continue;
    const d = m as Record<string, unknown>;
    if (typeof d.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d.digest)) continue;
    const mediaType = typeof d.mediaType === 'string' ? d.mediaType : '';
    out.push({
      digest: d.digest,
      mediaType,
      artifactType: typeof d.artifactType === 'string' && d.artifactType ? d.artifactType : mediaType,
    });
  }
  return out;
}
