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
import { registryApiHost } from '../oci/reference';
import { RegistryAccessResolver } from './access';
import { AuthError, RegistryAuthorizer } from './auth';
import { parseChallenge } from './challenge';
import { RegistryEndpoints } from './endpoint';
import { kindOfCode, parseRegistryError } from './error-body';
import { HttpResponse, RetryPolicy, httpRequest } from './http';
import { describeReset, isAllowanceSpent, parseRateLimit, RateLimit } from './rate-limit';

export const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;
export const CONFIG_MAX_BYTES = 8 * 1024 * 1024;

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
  requests: { manifestGet: number; manifestHead: number; blobGet: number };
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

type RequestKind = keyof RegistryUsage['requests'];

/** Per-host state: who we are there, what we sent, and whether its allowance is spent. */
interface HostState {
  limiter: Limiter;
  authorizer: Promise<RegistryAuthorizer>;
  baseUrl: Promise<URL>;
  usage: RegistryUsage;
  lastRateLimit?: RateLimit;
  /** Set on a 429 with nothing remaining: every later request fails at once with this. */
  spent?: RegistryError;
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
      requests: { ...h.usage.requests },
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
        usage: { host: registryApiHost(registry), requests: { manifestGet: 0, manifestHead: 0, blobGet: 0 } },
      };
      this.hosts.set(registry, state);
    }
    return state;
  }

  /** A request with authorization: a 401 teaches the challenge and the request is made once more with credentials. */
  private async request(
    registry: string,
    repository: string,
    path: string,
    kind: RequestKind,
    accept: string | undefined,
    maxBytes: number,
  ): Promise<HttpResponse> {
    const host = this.host(registry);
    const scope = `repository:${repository}:pull`;
    return host.limiter.run(async () => {
      if (host.spent) throw host.spent;
      let authorizer: RegistryAuthorizer;
      let url: URL;
      try {
        [authorizer, url] = await Promise.all([host.authorizer, host.baseUrl.then((base) => new URL(`/v2/${repository}/${path}`, base))]);
      } catch (err) {
        if (err instanceof ScanError) throw new RegistryError(err.message, err.kind, { cause: err });
        throw err;
      }
      let sentAuthorization: string | undefined;
      const attempt = async (): Promise<HttpResponse> => {
        const headers: Record<string, string> = {};
        if (accept) headers.Accept = accept;
        sentAuthorization = await authorizer.header(scope);
        if (sentAuthorization) headers.Authorization = sentAuthorization;
        const response = await httpRequest(url, {
          method: kind === 'manifestHead' ? 'HEAD' : 'GET',
          headers,
          timeoutMs: this.options.timeoutMs,
          maxBytes,
          ...(this.options.retry ? { retry: this.options.retry } : {}),
          allowUrl: (next) => this.options.endpoints.allowsUrl(next),
          onAttempt: () => host.usage.requests[kind]++,
          isFinal: (r) => isAllowanceSpent(r.status, r.headers),
          onRetry: (info) => this.options.onRetry?.(`retrying ${registry}/${repository} in ${info.delayMs} ms (${info.reason})`),
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
              `${registry} refused access to ${repository} (HTTP 401 after authenticating${who ? ` with the credentials from ${who}` : ' anonymously'})`,
              'unauthorized',
              { status: 401 },
            );
          }
        }
        if (isAllowanceSpent(response.status, response.headers)) {
          host.spent = new RegistryError(
            `${registry}'s pull allowance is spent (${host.lastRateLimit?.limit ?? '?'} a window, 0 remaining; ${describeReset(response.headers, host.lastRateLimit)}); ` +
              `no more requests are sent to it this run (log in to raise the allowance)`,
            'rate-limited',
            { status: 429 },
          );
          throw host.spent;
        }
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
  async headManifest(registry: string, repository: string, tag: string): Promise<ManifestHead | undefined> {
    const response = await this.request(registry, repository, `manifests/${tag}`, 'manifestHead', ACCEPTED_MANIFEST_TYPES.join(', '), 0);
    // A registry (or a proxy before it) that does not do HEAD is asked with a GET instead.
    if (response.status === 405 || response.status === 501) return undefined;
    if (response.status !== 200) throw this.explainStatus(response, registry, repository, tag, 'tag');
    const digest = response.headers.get('docker-content-digest') ?? undefined;
    if (digest === undefined || !isVerifiableDigest(digest)) return undefined;
    return { digest, contentType: response.headers.get('content-type') ?? undefined };
  }

  /** Fetches a manifest by tag or digest, at most once per run for a digest. */
  getManifest(registry: string, repository: string, reference: string): Promise<FetchedManifest> {
    const byDigest = reference.includes(':');
    const key = `${registry}/${repository}@${reference}`;
    if (byDigest) {
      const cached = this.manifests.get(key);
      if (cached) return cached;
    }
    const pending = this.fetchManifest(registry, repository, reference, byDigest);
    if (byDigest) this.manifests.set(key, pending);
    return pending;
  }

  private async fetchManifest(registry: string, repository: string, reference: string, byDigest: boolean): Promise<FetchedManifest> {
    const response = await this.request(
      registry,
      repository,
      `manifests/${reference}`,
      'manifestGet',
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
    const response = await this.request(registry, repository, `blobs/${digest}`, 'blobGet', undefined, maxBytes);
    if (response.status !== 200) throw this.explainStatus(response, registry, repository, digest, 'blob');
    if (!matchesDigest(response.body, digest)) {
      throw new RegistryError(`blob from ${registry}/${repository} does not hash to ${digest}`, 'protocol');
    }
    return response.body;
  }
}
