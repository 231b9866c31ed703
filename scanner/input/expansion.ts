/**
 * Lines that stand for many references: every tag of a repository, the tags a
 * regex or a semantic-version range selects, every repository of a namespace.
 * None of these forms is a valid Docker reference (`*`, `/`, `(` cannot be in
 * a tag, `*` cannot be in a repository path), so no line that scanned before
 * changes meaning. Parsing and tag selection are pure; listing the registry
 * is the source layer's (scanner/source/expand.ts).
 */
import { RE2JS } from 're2js';
import { Range, SemVer } from 'semver';
import { DOCKER_HUB, InvalidReferenceError, isRegistryHost, parseReference, urlSchemeOf } from '../oci/reference';

/** Which tags of a repository an expansion line selects. */
export type TagSelector =
  | { kind: 'all' }
  /** `source` as written; `pattern` compiled by RE2, which matches in time linear in the tag (no backtracking). */
  | { kind: 'regex'; source: string; pattern: RE2JS }
  /** Tags that are versions, within `range` when given, the `latest` highest when given. */
  | { kind: 'version'; range?: Range; latest?: number };

export type ExpansionSpec =
  /** One repository: `REPOSITORY:SELECTOR`. */
  | { kind: 'repository'; registry: string; repository: string; tags: TagSelector }
  /** Every repository of the registry's catalog under `namespace/` (every one when namespace is ''): `HOST/NAMESPACE/*[:SELECTOR]`. */
  | { kind: 'catalog'; registry: string; namespace: string; tags: TagSelector };

export class InvalidExpansionError extends Error {}

/** Longest regex we compile; a tag is at most 128 characters, so a longer pattern is a mistake. */
const REGEX_MAX = 512;
/**
 * Instructions a compiled tag regex may have. RE2 matches in time proportional
 * to instructions x characters, so this bounds each tag's match (a tag is at most
 * 128 characters); `x{1000}` repeated is refused here, not left to run.
 */
const REGEX_PROGRAM_MAX = 2000;
const LATEST_MAX = 1000;

/** True when the text after `repository:` is written as a selector. */
function looksLikeSelector(text: string): boolean {
  return text === '*' || text.startsWith('/') || /^(semver|latest)\(/.test(text);
}

/**
 * A `/REGEX/` selector in RE2 syntax (Go's `regexp`): what JavaScript's
 * regexes write for tags works (`^1\.2[0-9]-alpine$`, `\d`, `(a|b)`, `[^-]`),
 * backreferences and lookaround do not: RE2 leaves them out to match in linear time.
 */
function parseRegex(text: string): { source: string; pattern: RE2JS } {
  if (text.length < 2 || !text.endsWith('/')) throw new InvalidExpansionError(`a tag regex is written /REGEX/, got "${text}"`);
  const body = text.slice(1, -1);
  if (body.length === 0) throw new InvalidExpansionError('empty tag regex; write * for every tag');
  if (body.length > REGEX_MAX) throw new InvalidExpansionError(`tag regex is ${body.length} characters, over ${REGEX_MAX}`);
  let pattern: RE2JS;
  try {
    pattern = RE2JS.compile(body);
  } catch (err) {
    const why = (err as Error).message.replace(/^error parsing regexp: /, '');
    throw new InvalidExpansionError(
      `invalid tag regex /${body}/: ${why} (RE2 syntax: no backreferences or lookaround, repeats up to {1000})`,
    );
  }
  if (pattern.programSize() > REGEX_PROGRAM_MAX) {
    throw new InvalidExpansionError(
      `tag regex /${body}/ compiles to ${pattern.programSize()} instructions, over ${REGEX_PROGRAM_MAX}; a tag is at most 128 characters, write a shorter pattern`,
    );
  }
  return { source: body, pattern };
}

function parseRange(text: string): Range {
  try {
    return new Range(text.trim());
  } catch {
    throw new InvalidExpansionError(`invalid semver range "${text}" (npm's range syntax: ^1.25, ~1.2.3, >=1.24 <2, 1.x)`);
  }
}

function parseLatest(text: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1 || Number(text) > LATEST_MAX) {
    throw new InvalidExpansionError(`latest(N) takes a whole number from 1 to ${LATEST_MAX}, got "${text}"`);
  }
  return Number(text);
}

/** `*`, `/REGEX/`, or filters joined by `,`: `semver(RANGE)`, `latest(N)`. */
export function parseSelector(text: string): TagSelector {
  if (text === '*') return { kind: 'all' };
  if (text.startsWith('/')) return { kind: 'regex', ...parseRegex(text) };
  let range: Range | undefined;
  let latest: number | undefined;
  const filter = /^(semver|latest)\(([^()]*)\)(?:,|$)/;
  let rest = text;
  while (rest !== '') {
    const m = filter.exec(rest);
    if (!m)
      throw new InvalidExpansionError(
        `unknown tag selector "${rest}"; write *, /REGEX/, semver(RANGE), latest(N) or semver(RANGE),latest(N)`,
      );
    if (m[1] === 'semver') {
      if (range) throw new InvalidExpansionError('semver(…) is given twice');
      range = parseRange(m[2]!);
    } else {
      if (latest !== undefined) throw new InvalidExpansionError('latest(…) is given twice');
      latest = parseLatest(m[2]!);
    }
    rest = rest.slice(m[0].length);
    if (m[0].endsWith(',') && rest === '') throw new InvalidExpansionError('a selector cannot end with ","');
  }
  return { kind: 'version', ...(range ? { range } : {}), ...(latest !== undefined ? { latest } : {}) };
}

/** Splits `REPOSITORY:SELECTOR` at the colon after the repository (not a registry port's). */
function splitRepositorySelector(text: string): { repository: string; selector: string } | undefined {
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) {
    const repository = text.slice(0, i);
    const selector = text.slice(i + 1);
    // A registry port is followed by a '/', so its colon leaves a selector that is not one.
    if (looksLikeSelector(selector)) return { repository, selector };
  }
  return undefined;
}

function repositoryOf(text: string): { registry: string; repository: string } {
  if (text.includes('@') || /:[^/]*$/.test(text))
    throw new InvalidExpansionError(`"${text}" names a tag or digest; an expansion names a repository`);
  try {
    const ref = parseReference(text);
    return { registry: ref.registry, repository: ref.repository };
  } catch (err) {
    if (err instanceof InvalidReferenceError) throw new InvalidExpansionError(`invalid repository "${text}": ${err.message}`);
    throw err;
  }
}

/**
 * The expansion a line asks for; undefined when the line is not written as
 * one (it is then read as a reference). Throws InvalidExpansionError for a
 * line that is an expansion but a wrong one (a bad regex, an unknown filter).
 */
export function parseExpansion(text: string): ExpansionSpec | undefined {
  // As long as no reference may be: the reference grammar then says what is wrong with it.
  if (text.length > 1024) return undefined;
  // `https://host/path` would read as `REPOSITORY:SELECTOR` with a regex selector `//host/path`; it is a URL, and the reference grammar says so.
  if (urlSchemeOf(text) !== undefined) return undefined;
  // `HOST/NAMESPACE/*`: the part before `/*` is plainly a host and a path (a regex selector is not).
  const star = /^((?:[^:/*]+|\[[0-9a-fA-F:]+\])(?::\d+)?(?:\/[^:/*]+)*)\/\*(?::(.*))?$/s.exec(text);
  if (star) {
    const [, prefix, selectorText] = star;
    const tags = selectorText !== undefined ? parseSelector(selectorText) : { kind: 'all' as const };
    const slash = prefix!.indexOf('/');
    const host = slash === -1 ? prefix! : prefix!.slice(0, slash);
    const namespace = slash === -1 ? '' : prefix!.slice(slash + 1);
    const named = /[.:]/.test(host) || host === 'localhost';
    if (!named || !isRegistryHost(host)) {
      // `myorg/*` is a Docker Hub namespace, as Docker would read `myorg/app`.
      return { kind: 'catalog', registry: DOCKER_HUB, namespace: prefix!, tags };
    }
    if (namespace !== '') {
      try {
        parseReference(`${host}/${namespace}`);
      } catch (err) {
        if (err instanceof InvalidReferenceError) throw new InvalidExpansionError(`invalid namespace "${namespace}": ${err.message}`);
        throw err;
      }
    }
    return { kind: 'catalog', registry: parseReference(`${host}/x`).registry, namespace, tags };
  }
  const split = splitRepositorySelector(text);
  if (!split) return undefined;
  return { kind: 'repository', ...repositoryOf(split.repository), tags: parseSelector(split.selector) };
}

/** A tag read as a version: `1`, `1.25`, `v1.25.3`, `1.25.3-rc.1` (missing parts are 0); undefined when it is not one. */
export function versionOfTag(tag: string): SemVer | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?((?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/.exec(tag);
  if (!m) return undefined;
  try {
    return new SemVer(`${m[1]}.${m[2] ?? 0}.${m[3] ?? 0}${m[4] ?? ''}`);
  } catch {
    return undefined;
  }
}

/**
 * The tags a selector keeps, in the order of the listing, except latest(N):
 * highest version first. Prereleases (`1.26.0-rc.1`, `1.25-alpine`) are
 * versions only to a range that names a prerelease, as npm's semver has it.
 */
export function selectTags(selector: TagSelector, tags: readonly string[]): string[] {
  switch (selector.kind) {
    case 'all':
      return [...tags];
    case 'regex':
      return tags.filter((t) => selector.pattern.test(t));
    case 'version': {
      const versions: Array<{ tag: string; version: SemVer }> = [];
      for (const tag of tags) {
        const version = versionOfTag(tag);
        if (!version) continue;
        if (selector.range ? !selector.range.test(version) : version.prerelease.length > 0) continue;
        versions.push({ tag, version });
      }
      if (selector.latest === undefined) return versions.map((v) => v.tag);
      // Highest first; `1.25` and `1.25.0` are the same version, the longer tag first so the order is stable.
      versions.sort((a, b) => b.version.compare(a.version) || b.tag.length - a.tag.length || (a.tag < b.tag ? -1 : 1));
      return versions.slice(0, selector.latest).map((v) => v.tag);
    }
  }
}

/** The text of a selector, for messages. */
export function describeSelector(selector: TagSelector): string {
  switch (selector.kind) {
    case 'all':
      return 'every tag';
    case 'regex':
      return `tags matching /${selector.source}/`;
    case 'version': {
      const parts = [];
      if (selector.range) parts.push(`versions in ${selector.range.raw}`);
      if (selector.latest !== undefined) parts.push(`the latest ${selector.latest}`);
      return parts.length > 0 ? parts.join(', ') : 'version tags';
    }
  }
}
