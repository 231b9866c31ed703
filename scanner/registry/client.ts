/**
 * The read side of the OCI distribution API that the scanner needs: a HEAD to
 * resolve a tag, a manifest by digest, and rarely a config blob. Every byte
 * read is bounded and checked against the digest that names it; every request
 * is counted per host, because registries count pulls.
 */
import { Limiter } from '../concurrency/limiter';
import { ErrorKind, ScanError } from '../errors/scan-error';
import { digestOf, isVerifiableDigest, matchesDigest } from '../oci/digest';
import { ACCEPTED_MANIFEST_TYPES } from '../oci/media-types';
import { isRepositoryPath, isTag, registryApiHost } from '../oci/reference';
import { RegistryAccessResolver } from './access';
import { AuthError, RegistryAuthorizer } from './auth';
import { parseChallenge } from './challenge';
import { RegistryEndpoints } from './endpoint';
import { kindOfCode, parseRegistryError } from './error-body';
import { HttpResponse, RetryPolicy, httpRequest } from './http';
import { describeReset, isAllowanceSpent, parseRateLimit, RateLimit } from './rate-limit';
import { ListedNames, NameChecker, nextPageUrl, parseNameList, parseReferrerIndex, ReferrerDescriptor } from './listing';

export const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;
export const CONFIG_MAX_BYTES = 8 * 1024 * 1024;
/** One page of tags/list, _catalog or referrers: 1,000 names of at most 256 characters fit many times over. */
export const LISTING_PAGE_MAX_BYTES = 4 * 1024 * 1024;
const PAGE_SIZE = 1000;
/** Pages of one listing at most: 100,000 tags or 500,000 catalog names at 1,000 a page, with room for registries that page smaller. */
const MAX_PAGES = 1000;

/** Limits of one listing: beyond them it fails with `too-large` rather than hold everything. */
export interface ListingLimits {
  /** Names kept at most (tags of a repository, or catalog names under the namespace). */
  maxNames: number;
  /** Catalog names read at most, matching or not. */
  maxRead?: number;
}

/** A failure to read one source; its message is what the report shows, its kind what a script reads. */
export class RegistryError extends ScanError {}

export interface FetchedManifest {
  bytes: Buffer;
  digest: string;
  contentType: string | undefined;
}

/** What a HEAD of a tag told: the digest it points to now. */
export interface ManifestHead {
  digest: string;
  contentType: string | undefined;
}

/** Requests sent to one registry host, as the registry itself would count them (retries included). */
export interface RegistryUsage {
  host: string;
  /** The listing counters (tags/list, _catalog, referrers) appear only when such requests were made. */
  requests: { manifestGet: number; manifestHead: number; blobGet: number; tagList?: number; catalog?: number; referrers?: number };
  rateLimit?: { limit: number; remaining: number };
}

export interface RegistryClientOptions {
  access: RegistryAccessResolver;
  endpoints: RegistryEndpoints;
  /** Requests in flight to one registry host at most; each host has its own budget, so a slow one does not starve the rest. */
  concurrencyPerHost: number;
  timeoutMs: number;
  retry?: RetryPolicy;
  onRetry?: (message: string) => void;
}

type RequestKind = 'manifestGet' | 'manifestHead' | 'blobGet' | 'tagList' | 'catalog' | 'referrers';
const LISTING_KINDS = ['tagList', 'catalog', 'referrers'] as const;

/** What a request is for: the token scope it needs and its path (and query) under the registry's base URL. */
interface RequestTarget {
  scope: string;
  path: string;
}

const repositoryTarget = (repository: string, rest: string): RequestTarget => ({
  scope: `repository:${repository}:pull`,
  path: `/v2/${repository}/${rest}`,
});

/** Per-host state: who we are there, what we sent, and whether its allowance is spent. */
interface HostState {
  limiter: Limiter;
  authorizer: Promise<RegistryAuthorizer>;
  baseUrl: Promise<URL>;
  usage: { host: string; requests: Record<RequestKind, number> };
  lastRateLimit?: RateLimit;
  /** Set on a 429 with nothing remaining: every later request fails at once with this. */
  spent?: RegistryError;
}

/**
 * The URL of an API path on the registry's own origin; undefined when the path
 * would leave it or change on the way (`//other.host/…`, `/v2/a/../../_catalog`,
 * characters URL parsing rewrites): what is requested is exactly what was asked.
 */
function apiUrl(base: URL, path: string): URL | undefined {
  if (!path.startsWith('/v2/')) return undefined;
  let url: URL;
  try {
    url = new URL(path, base);
  } catch {
    return undefined;
  }
  return url.origin === base.origin && `${url.pathname}${url.search}` === path ? url : undefined;
}

export class RegistryClient {
  private readonly hosts = new Map<string, HostState>();
  private readonly manifests = new Map<string, Promise<FetchedManifest>>();
  private readonly blobs = new Map<string, Promise<Buffer>>();

  constructor(private readonly options: RegistryClientOptions) {}

  /** Every host spoken to, in the order first asked. */
  usage(): RegistryUsage[] {
    return [...this.hosts.values()].map((h) => ({
      host: h.usage.host,
      requests: {
        manifestGet: h.usage.requests.manifestGet,
        manifestHead: h.usage.requests.manifestHead,
        blobGet: h.usage.requests.blobGet,
        ...Object.fromEntries(LISTING_KINDS.filter((k) => h.usage.requests[k] > 0).map((k) => [k, h.usage.requests[k]])),
      },
      ...(h.lastRateLimit ? { rateLimit: { limit: h.lastRateLimit.limit, remaining: h.lastRateLimit.remaining } } : {}),
    }));
  }

  private host(registry: string): HostState {
    let state = this.hosts.get(registry);
    if (!state) {
      const access = this.options.access(registry);
      // Observed through authorizer/baseUrl below; this keeps a failed lookup from counting as unhandled meanwhile.
      access.catch(() => undefined);
      state = {
        limiter: new Limiter(this.options.concurrencyPerHost),
        baseUrl: access.then((a) => a.baseUrl),
        authorizer: access.then(
          (a) =>
            new RegistryAuthorizer(registry, a.credentials, {
              timeoutMs: this.options.timeoutMs,
              ...(this.options.retry ? { retry: this.options.retry } : {}),
              allowUrl: (url) => this.options.endpoints.allowsUrl(url),
              onRetry: (info) =>
                this.options.onRetry?.(`retrying token request to ${new URL(info.url).host} in ${info.delayMs} ms (${info.reason})`),
            }),
        ),
        usage: {
          host: registryApiHost(registry),
          requests: { manifestGet: 0, manifestHead: 0, blobGet: 0, tagList: 0, catalog: 0, referrers: 0 },
        },
      };
      this.hosts.set(registry, state);
    }
    return state;
  }

  /** The host's authorizer and the URL of an API path on it; refuses a path that would leave the registry's /v2/ API. */
  private async resolveRequestUrl(host: HostState, registry: string, path: string): Promise<{ authorizer: RegistryAuthorizer; url: URL }> {
    let authorizer: RegistryAuthorizer;
    let base: URL;
    try {
      [authorizer, base] = await Promise.all([host.authorizer, host.baseUrl]);
    } catch (err) {
      if (err instanceof ScanError) throw new RegistryError(err.message, err.kind, { cause: err });
      throw err;
    }
    const url = apiUrl(base, path);
    if (!url) {
      throw new RegistryError(
        `refusing to request ${JSON.stringify(path.slice(0, 200))} from ${registry}: it is not a path of its /v2/ API as written (a name the registry listed?)`,
        'protocol',
      );
    }
    return { authorizer, url };
  }

  /** A response that says the pull allowance is spent fails this request and every later one to the host. */
  private stopIfAllowanceSpent(host: HostState, registry: string, response: HttpResponse): void {
    if (!isAllowanceSpent(response.status, response.headers)) return;
    host.spent = new RegistryError(
      `${registry}'s pull allowance is spent (${host.lastRateLimit?.limit ?? '?'} a window, 0 remaining; ${describeReset(response.headers, host.lastRateLimit)}); ` +
        `no more requests are sent to it this run (log in to raise the allowance)`,
      'rate-limited',
      { status: 429 },
    );
    throw host.spent;
  }

  /** A request with authorization: a 401 teaches the challenge and the request is made once more with credentials. */
  private async request(
    registry: string,
    target: RequestTarget,
    kind: RequestKind,
    accept: string | undefined,
    maxBytes: number,
    method: 'GET' | 'HEAD' = 'GET',
  ): Promise<HttpResponse> {
    const host = this.host(registry);
    const { scope } = target;
    const what = scope.startsWith('repository:') ? scope.slice('repository:'.length, -':pull'.length) : 'its catalog';
    return host.limiter.run(async () => {
      if (host.spent) throw host.spent;
      const { authorizer, url } = await this.resolveRequestUrl(host, registry, target.path);
      let sentAuthorization: string | undefined;
      const attempt = async (): Promise<HttpResponse> => {
        const headers: Record<string, string> = {};
        if (accept) headers.Accept = accept;
        sentAuthorization = await authorizer.header(scope);
        if (sentAuthorization) headers.Authorization = sentAuthorization;
        const response = await httpRequest(url, {
          method,
          headers,
          timeoutMs: this.options.timeoutMs,
          maxBytes,
          ...(this.options.retry ? { retry: this.options.retry } : {}),
          allowUrl: (next) => this.options.endpoints.allowsUrl(next),
          onAttempt: () => host.usage.requests[kind]++,
          isFinal: (r) => isAllowanceSpent(r.status, r.headers),
          onRetry: (info) => this.options.onRetry?.(`retrying ${registry} (${what}) in ${info.delayMs} ms (${info.reason})`),
        });
        const rateLimit = parseRateLimit(response.headers);
        if (rateLimit) host.lastRateLimit = rateLimit;
        return response;
      };
      try {
        let response = await attempt();
        if (response.status === 401) {
          const challenge = parseChallenge(response.headers.get('www-authenticate'));
          if (!challenge) {
            throw new RegistryError(
              `${registry} answered 401 Unauthorized without an authentication challenge (no WWW-Authenticate header)`,
              'protocol',
              { status: 401 },
            );
          }
          authorizer.learn(challenge, sentAuthorization);
          response = await attempt();
          if (response.status === 401) {
            const who = authorizer.credentialSource;
            throw new RegistryError(
              `${registry} refused access to ${what} (HTTP 401 after authenticating${who ? ` with the credentials from ${who}` : ' anonymously'})`,
              'unauthorized',
              { status: 401 },
            );
          }
        }
        this.stopIfAllowanceSpent(host, registry, response);
        return response;
      } catch (err) {
        if (err instanceof RegistryError) throw err;
        if (err instanceof AuthError || err instanceof ScanError)
          throw new RegistryError(err.message, err.kind, { ...(err.status ? { status: err.status } : {}), cause: err });
        throw err;
      }
    });
  }

  private explainStatus(response: HttpResponse, registry: string, repository: string, reference: string, what: string): RegistryError {
    const status = response.status;
    const code = parseRegistryError(response.body);
    const said = code ? ` ${code.code}${code.message ? `: ${code.message}` : ''}` : '';
    const fromCode = code ? kindOfCode(code.code) : undefined;
    let kind: ErrorKind;
    let message: string;
    switch (status) {
      case 404:
        kind = fromCode ?? 'not-found';
        message =
          code?.code === 'NAME_UNKNOWN'
            ? `repository ${repository} not found in ${registry} (HTTP 404${said})`
            : `${what} ${reference} not found in ${registry}/${repository} (HTTP 404${said})`;
        break;
      case 403:
        kind = fromCode ?? 'denied';
        message = `${registry} denied access to ${repository} (HTTP 403${said})`;
        break;
      case 429:
        kind = 'rate-limited';
        message = `${registry} kept rate-limiting the request (HTTP 429${said}) after retries`;
        break;
      default:
        kind = fromCode ?? (status >= 500 ? 'server' : 'protocol');
        message =
          status >= 500
            ? `${registry} failed with HTTP ${status}${said} after retries`
            : `${registry} answered HTTP ${status}${said} for ${what} ${reference}`;
    }
    return new RegistryError(message, kind, { status });
  }

  /**
   * Resolves a tag with a HEAD, which registries do not count as a pull.
   * Undefined when the registry sends no Docker-Content-Digest or does not allow HEAD; the caller then GETs.
   */
  async headManifest(
    registry: string,
    repository: string,
    tag: string,
    purpose: 'manifestHead' | 'referrers' = 'manifestHead',
  ): Promise<ManifestHead | undefined> {
    const response = await this.request(
      registry,
      repositoryTarget(repository, `manifests/${tag}`),
      purpose,
      ACCEPTED_MANIFEST_TYPES.join(', '),
      0,
      'HEAD',
    );
    // A registry (or a proxy before it) that does not do HEAD is asked with a GET instead.
    if (response.status === 405 || response.status === 501) return undefined;
    if (response.status !== 200) throw this.explainStatus(response, registry, repository, tag, 'tag');
    const digest = response.headers.get('docker-content-digest') ?? undefined;
    if (digest === undefined || !isVerifiableDigest(digest)) return undefined;
    return { digest, contentType: response.headers.get('content-type') ?? undefined };
  }

  /** Fetches a manifest by tag or digest, at most once per run for a digest. */
  getManifest(
    registry: string,
    repository: string,
    reference: string,
    purpose: 'manifestGet' | 'referrers' = 'manifestGet',
  ): Promise<FetchedManifest> {
    const byDigest = reference.includes(':');
    const key = `${registry}/${repository}@${reference}`;
    if (byDigest) {
      const cached = this.manifests.get(key);
      if (cached) return cached;
    }
    const pending = this.fetchManifest(registry, repository, reference, byDigest, purpose);
    if (byDigest) this.manifests.set(key, pending);
    return pending;
  }

  private async fetchManifest(
    registry: string,
    repository: string,
    reference: string,
    byDigest: boolean,
    purpose: 'manifestGet' | 'referrers',
  ): Promise<FetchedManifest> {
    const response = await this.request(
      registry,
      repositoryTarget(repository, `manifests/${reference}`),
      purpose,
      ACCEPTED_MANIFEST_TYPES.join(', '),
      MANIFEST_MAX_BYTES,
    );
    if (response.status !== 200) throw this.explainStatus(response, registry, repository, reference, byDigest ? 'manifest' : 'tag');
    const headerDigest = response.headers.get('docker-content-digest') ?? undefined;
    const expected = byDigest ? reference : headerDigest;
    if (expected !== undefined) {
      if (!matchesDigest(response.body, expected)) {
        throw new RegistryError(
          `manifest bytes from ${registry}/${repository} do not hash to ${expected}${byDigest ? '' : ' (Docker-Content-Digest)'}; refusing to compare content that cannot be verified`,
          'protocol',
        );
      }
    }
    const digest = expected ?? digestOf(response.body);
    const contentType = response.headers.get('content-type') ?? undefined;
    const manifest: FetchedManifest = { bytes: response.body, digest, contentType };
    // A tag resolved once is also known by its digest, so index children or repeats skip a request.
    this.manifests.set(`${registry}/${repository}@${digest}`, Promise.resolve(manifest));
    return manifest;
  }

  /** Fetches a blob (a config, never a layer) at most once per run. */
  getBlob(registry: string, repository: string, digest: string, maxBytes = CONFIG_MAX_BYTES): Promise<Buffer> {
    const key = `${registry}/${repository}@${digest}`;
    let pending = this.blobs.get(key);
    if (!pending) {
      pending = this.fetchBlob(registry, repository, digest, maxBytes);
      this.blobs.set(key, pending);
    }
    return pending;
  }

  private async fetchBlob(registry: string, repository: string, digest: string, maxBytes: number): Promise<Buffer> {
    const response = await this.request(registry, repositoryTarget(repository, `blobs/${digest}`), 'blobGet', undefined, maxBytes);
    if (response.status !== 200) throw this.explainStatus(response, registry, repository, digest, 'blob');
    if (!matchesDigest(response.body, digest)) {
      throw new RegistryError(`blob from ${registry}/${repository} does not hash to ${digest}`, 'protocol');
    }
    return response.body;
  }

  /**
   * Follows `Link: <…>; rel="next"` from page to page, on the registry's own
   * origin only, at most MAX_PAGES pages; calls onPage with each page's names.
   * Returns false when the registry answered something else than a list (the status is in `failure`).
   */
  private async pages(
    registry: string,
    first: RequestTarget,
    kind: RequestKind,
    field: 'tags' | 'repositories',
    onPage: (names: string[]) => 'more' | 'stop',
  ): Promise<{ failure?: HttpResponse }> {
    let target = first;
    const seen = new Set<string>();
    for (let page = 0; page < MAX_PAGES; page++) {
      seen.add(target.path);
      const response = await this.request(registry, target, kind, 'application/json', LISTING_PAGE_MAX_BYTES);
      if (response.status !== 200) return { failure: response };
      const names = parseNameList(response.body, field);
      if (!names)
        throw new RegistryError(
          `${registry} answered a ${field === 'tags' ? 'tag list' : 'catalog'} that is not JSON with "${field}"`,
          'protocol',
        );
      if (onPage(names) === 'stop') return {};
      const next = nextPageUrl(response.headers.get('link'), response.url);
      if (!next) return {};
      if (next.origin !== new URL(response.url).origin) {
        throw new RegistryError(`${registry} pages its list to another origin (${next.origin}); not followed`, 'protocol');
      }
      const path = `${next.pathname}${next.search}`;
      if (seen.has(path)) throw new RegistryError(`${registry} pages its list in a loop (${path} again)`, 'protocol');
      target = { scope: first.scope, path };
    }
    throw new RegistryError(`${registry} answered more than ${MAX_PAGES} pages; the list is not read to its end`, 'too-large');
  }

  /**
   * Every tag of a repository (tags/list, every page); no manifest is read. A
   * listed name that is not a valid tag is refused (counted, never requested).
   */
  async listTags(registry: string, repository: string, limits: ListingLimits): Promise<ListedNames> {
    const tags = new NameChecker(isTag);
    const { failure } = await this.pages(registry, repositoryTarget(repository, `tags/list?n=${PAGE_SIZE}`), 'tagList', 'tags', (names) => {
      for (const name of names) tags.add(name);
      if (tags.read > limits.maxNames) {
        throw new RegistryError(
          `${registry}/${repository} lists more than ${limits.maxNames} tags; narrow the line with /REGEX/, semver(…) or latest(N)`,
          'too-large',
        );
      }
      return 'more';
    });
    if (failure) throw this.explainStatus(failure, registry, repository, 'tags/list', 'tag list');
    return tags.result();
  }

  /**
   * The repositories of the registry's catalog under `namespace/` (all when
   * namespace is ''): a name that only starts alike (`team-b` for `team`) is
   * not one. Paging starts after the namespace (`last`), and ends early once a
   * registry that lists in order has passed it. A name under the namespace that
   * is not a valid repository path is refused (counted, never requested).
   */
  async listCatalog(registry: string, namespace: string, limits: ListingLimits): Promise<ListedNames> {
    const prefix = namespace === '' ? '' : `${namespace}/`;
    const found = new NameChecker((name) => isRepositoryPath(registry, name));
    let read = 0;
    let previous = '';
    let ordered = true;
    const query = `n=${PAGE_SIZE}${namespace === '' ? '' : `&last=${encodeURIComponent(namespace)}`}`;
    const closed = (status: number) =>
      new RegistryError(
        `${registry} does not list its repositories (GET /v2/_catalog answered HTTP ${status}); name each repository on a line of its own, e.g. ${registry}/${prefix || 'team/'}app:*`,
        'unsupported',
        { status },
      );
    let failure: HttpResponse | undefined;
    try {
      ({ failure } = await this.pages(
        registry,
        { scope: 'registry:catalog:*', path: `/v2/_catalog?${query}` },
        'catalog',
        'repositories',
        (names) => {
          for (const name of names) {
            read++;
            if (name < previous) ordered = false;
            previous = name;
            if (name.startsWith(prefix)) {
              found.add(name);
              if (found.read > limits.maxNames) {
                throw new RegistryError(
                  `${registry}'s catalog holds more than ${limits.maxNames} repositories under ${prefix || 'its root'}; name a narrower namespace`,
                  'too-large',
                );
              }
            } else if (ordered && prefix !== '' && name > prefix) return 'stop';
          }
          if (limits.maxRead !== undefined && read > limits.maxRead) {
            throw new RegistryError(
              `${registry}'s catalog lists more than ${limits.maxRead} repositories; not read to its end`,
              'too-large',
            );
          }
          return 'more';
        },
      ));
    } catch (err) {
      // A catalog refused even after authenticating is closed to us, whatever the credentials.
      if (err instanceof RegistryError && (err.status === 401 || err.kind === 'unauthorized')) throw closed(401);
      throw err;
    }
    if (failure) {
      if ([401, 403, 404, 405].includes(failure.status)) throw closed(failure.status);
      throw this.explainStatus(failure, registry, '_catalog', 'catalog', 'catalog');
    }
    return found.result();
  }

  /**
   * The referrers of a manifest by the OCI 1.1 referrers API; undefined when
   * the registry lacks the API (404, 400, 405), so the caller falls back to the tag schema.
   */
  async listReferrers(registry: string, repository: string, digest: string): Promise<ReferrerDescriptor[] | undefined> {
    const response = await this.request(
      registry,
      repositoryTarget(repository, `referrers/${digest}`),
      'referrers',
      'application/vnd.oci.image.index.v1+json',
      LISTING_PAGE_MAX_BYTES,
    );
    if (response.status === 404 || response.status === 400 || response.status === 405) return undefined;
    if (response.status !== 200) throw this.explainStatus(response, registry, repository, digest, 'referrers of');
    const referrers = parseReferrerIndex(response.body);
    if (!referrers) return undefined;
    return referrers;
  }

  /**
   * HEAD of a tag that may well not exist (a signature tag), counted as a
   * referrers request: null when the registry says it does not exist (or sends no digest).
   */
  async probeTag(registry: string, repository: string, tag: string): Promise<ManifestHead | null> {
    try {
      return (await this.headManifest(registry, repository, tag, 'referrers')) ?? null;
    } catch (err) {
      if (err instanceof RegistryError && err.status === 404) return null;
      throw err;
    }
  }
}
