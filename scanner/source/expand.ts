/**
 * Turns expansion lines into the references they stand for, by listing the
 * registry: tags/list for a repository, _catalog for a namespace. Listing
 * spends no pull (no manifest is read here; each reference is then resolved
 * with a HEAD like any other). Every produced reference keeps the line it came
 * from; a line that cannot be listed becomes an error entry of its own.
 */
import { mapLimited } from '../concurrency/limiter';
import { ErrorKind, ScanError } from '../errors/scan-error';
import { describeSelector, ExpansionSpec, selectTags } from '../input/expansion';
import { ExpansionMention, Mention } from '../input/mentions';
import { ExpansionOrigin } from '../input/origin';
import { DOCKER_HUB, formatReference } from '../oci/reference';
import { RegistryClient } from '../registry/client';
import { ListedNames, RefusedNames } from '../registry/listing';

export interface ExpansionLimits {
  /** References one line may yield; more is an error asking for a narrower line. */
  maxSources: number;
  /** Tags a repository may list. */
  maxTags: number;
  /** Repositories a namespace may hold. */
  maxRepositories: number;
  /** Catalog names read at most, inside the namespace or not. */
  maxCatalogRead: number;
}

export const DEFAULT_EXPANSION_LIMITS: ExpansionLimits = {
  maxSources: 5_000,
  maxTags: 100_000,
  maxRepositories: 5_000,
  maxCatalogRead: 500_000,
};

/** Registries known to keep their catalog closed to everyone: asking would only cost a request and a 401. */
const CLOSED_CATALOGS: ReadonlyMap<string, string> = new Map([
  [DOCKER_HUB, 'Docker Hub lists no repositories to anyone'],
  ['ghcr.io', 'GitHub Container Registry lists no repositories over the registry API'],
]);

/** One expansion line's outcome, for report.json's `expansions`. */
export interface ExpansionOutcome {
  file: string;
  line: number;
  input: string;
  repositories: number;
  /** References it produced (before folding with sources named elsewhere). */
  sources: number;
  error?: string;
  errorKind?: ErrorKind;
}

class ExpansionError extends ScanError {}

function closedCatalogAdvice(spec: Extract<ExpansionSpec, { kind: 'catalog' }>): string | undefined {
  const why = CLOSED_CATALOGS.get(spec.registry);
  if (!why) return undefined;
  const ns = spec.namespace === '' ? 'NAMESPACE' : spec.namespace;
  return `${spec.registry} has no open catalog (${why}); name each repository on a line of its own instead, e.g. ${spec.registry}/${ns}/app:*`;
}

async function repositoriesOf(client: RegistryClient, spec: ExpansionSpec, limits: ExpansionLimits): Promise<ListedNames> {
  if (spec.kind === 'repository') return { names: [spec.repository], refused: { count: 0, examples: [] } };
  const advice = closedCatalogAdvice(spec);
  if (advice) throw new ExpansionError(advice, 'unsupported');
  return client.listCatalog(spec.registry, spec.namespace, { maxNames: limits.maxRepositories, maxRead: limits.maxCatalogRead });
}

/** `tags of team/api: 2 ("../../../_catalog", "..")`; undefined when the listing held no refused name. */
function describeRefused(what: string, refused: RefusedNames): string | undefined {
  if (refused.count === 0) return undefined;
  return `${what}: ${refused.count} (${refused.examples.join(', ')}${refused.count > refused.examples.length ? ', …' : ''})`;
}

async function expandOne(
  client: RegistryClient,
  mention: ExpansionMention,
  limits: ExpansionLimits,
  concurrency: number,
): Promise<{ mentions: Mention[]; outcome: ExpansionOutcome }> {
  const { expansion: spec } = mention;
  const origin: ExpansionOrigin = { file: mention.origin.file, line: mention.origin.line, expansion: mention.input };
  const base = { file: origin.file, line: origin.line, input: mention.input };
  try {
    const catalog = await repositoriesOf(client, spec, limits);
    const repositories = catalog.names;
    const tagsByRepository = await mapLimited(repositories, concurrency, async (repository) => {
      const listed = await client.listTags(spec.registry, repository, { maxNames: limits.maxTags });
      return { repository, tags: selectTags(spec.tags, listed.names), refused: listed.refused };
    });
    const count = tagsByRepository.reduce((n, r) => n + r.tags.length, 0);
    if (count > limits.maxSources) {
      throw new ExpansionError(
        `the line yields ${count} references (${describeSelector(spec.tags)}), over the ${limits.maxSources} one line may yield; narrow it with /REGEX/, semver(RANGE) or latest(N)`,
        'too-large',
      );
    }
    const mentions: Mention[] = [];
    for (const { repository, tags } of tagsByRepository) {
      for (const tag of tags) {
        const reference = { registry: spec.registry, repository, tag };
        mentions.push({ kind: 'reference', input: formatReference(reference), reference, origin });
      }
    }
    const outcome = { ...base, repositories: repositories.length, sources: mentions.length };
    const refused = [
      describeRefused(`repositories under ${spec.kind === 'catalog' ? spec.namespace || 'the root' : spec.repository}`, catalog.refused),
      ...tagsByRepository.map((r) => describeRefused(`tags of ${r.repository}`, r.refused)),
    ].filter((text): text is string => text !== undefined);
    if (refused.length > 0) {
      // The names the grammar allows are still answered; the others are this line's error, never a request.
      mentions.push({
        kind: 'invalid',
        input: mention.input,
        error: `${spec.registry} listed names that are not valid, so they were not requested: ${refused.join('; ')}`,
        errorKind: 'protocol',
        origin: mention.origin,
      });
    }
    return { mentions, outcome };
  } catch (err) {
    if (!(err instanceof ScanError)) throw err;
    const error = `cannot expand: ${err.message}`;
    return {
      mentions: [{ kind: 'invalid', input: mention.input, error, errorKind: err.kind, origin: mention.origin }],
      outcome: { ...base, repositories: 0, sources: 0, error, errorKind: err.kind },
    };
  }
}

/**
 * Replaces every expansion mention by what it stands for, keeping the order
 * of the input (a line's references where the line was).
 */
export async function expandMentions(
  client: RegistryClient,
  mentions: readonly Mention[],
  options: { concurrency: number; limits?: ExpansionLimits },
): Promise<{ mentions: Mention[]; outcomes: ExpansionOutcome[] }> {
  const limits = options.limits ?? DEFAULT_EXPANSION_LIMITS;
  const expansions = mentions.filter((m): m is ExpansionMention => m.kind === 'expansion');
  const expanded = new Map(
    await mapLimited(expansions, options.concurrency, async (m) => [m, await expandOne(client, m, limits, options.concurrency)] as const),
  );
  const out: Mention[] = [];
  for (const m of mentions) {
    if (m.kind !== 'expansion') out.push(m);
    else for (const produced of expanded.get(m)!.mentions) out.push(produced);
  }
  return { mentions: out, outcomes: expansions.map((m) => expanded.get(m)!.outcome) };
}
