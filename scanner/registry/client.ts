/**
 * The read side of the OCI distribution API that the scanner needs:
 * manifests by tag or digest and, rarely, a config blob. Every byte read is
 * bounded and checked against the digest that names it.
 */
import { Limiter } from '../concurrency/limiter';
import { ACCEPTED_MANIFEST_TYPES } from '../oci/media-types';
import { digestOf, matchesDigest } from '../oci/digest';
import { parseChallenge } from './challenge';
import { CredentialStore } from './docker-config';
import { RegistryEndpoints } from './endpoint';
import { AuthError, RegistryAuthorizer } from './auth';
import { HttpError, HttpResponse, RetryPolicy, httpGet } from './http';

export const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;
export const CONFIG_MAX_BYTES = 8 * 1024 * 1024;

/** A failure to read one source; its message is what the report shows. */
export class RegistryError extends Error {}

export interface FetchedManifest {
  bytes: Buffer;
  digest: string;
  contentType: string | undefined;
}

export interface RegistryClientOptions {
  credentials: CredentialStore;
  endpoints: RegistryEndpoints;
  /** Requests in flight to one registry host at most; each host has its own budget, so a slow one does not starve the rest. */
  concurrencyPerHost: number;
  timeoutMs: number;
  retry?: RetryPolicy;
  onRetry?: (message: string) => void;
}

export interface RegistryStats {
  requests: number;
  tokenRequests: number;
}

export class RegistryClient {
  private readonly authorizers = new Map<string, RegistryAuthorizer>();
  private readonly limiters = new Map<string, Limiter>();
  private readonly manifests = new Map<string, Promise<FetchedManifest>>();
  private readonly blobs = new Map<string, Promise<Buffer>>();
  private requests = 0;

  constructor(private readonly options: RegistryClientOptions) {}

  stats(): RegistryStats {
    let tokenRequests = 0;
    for (const a of this.authorizers.values()) tokenRequests += a.tokenRequests;
    return { requests: this.requests, tokenRequests };
  }

  private limiter(registry: string): Limiter {
    let limiter = this.limiters.get(registry);
    if (!limiter) {
      limiter = new Limiter(this.options.concurrencyPerHost);
      this.limiters.set(registry, limiter);
    }
    return limiter;
  }

  private authorizer(registry: string): RegistryAuthorizer {
    let authorizer = this.authorizers.get(registry);
    if (!authorizer) {
      authorizer = new RegistryAuthorizer(registry, this.options.credentials(registry), {
        timeoutMs: this.options.timeoutMs,
        ...(this.options.retry ? { retry: this.options.retry } : {}),
        allowUrl: (url) => this.options.endpoints.allowsUrl(url),
        onRetry: (info) =>
          this.options.onRetry?.(`retrying token request to ${new URL(info.url).host} in ${info.delayMs} ms (${info.reason})`),
      });
      this.authorizers.set(registry, authorizer);
    }
    return authorizer;
  }

  /** GET with authorization: a 401 teaches the challenge and the request is made once more with credentials. */
  private async get(
    registry: string,
    repository: string,
    path: string,
    accept: string | undefined,
    maxBytes: number,
  ): Promise<HttpResponse> {
    const url = new URL(`/v2/${repository}/${path}`, this.options.endpoints.baseUrl(registry));
    const scope = `repository:${repository}:pull`;
    const authorizer = this.authorizer(registry);
    let sentAuthorization: string | undefined;
    const attempt = async (): Promise<HttpResponse> => {
      const headers: Record<string, string> = {};
      if (accept) headers.Accept = accept;
      sentAuthorization = await authorizer.header(scope);
      if (sentAuthorization) headers.Authorization = sentAuthorization;
      this.requests++;
      return httpGet(url, {
        headers,
        timeoutMs: this.options.timeoutMs,
        maxBytes,
        ...(this.options.retry ? { retry: this.options.retry } : {}),
        allowUrl: (next) => this.options.endpoints.allowsUrl(next),
        onRetry: (info) => this.options.onRetry?.(`retrying ${registry}/${repository} in ${info.delayMs} ms (${info.reason})`),
      });
    };
    return this.limiter(registry).run(async () => {
      try {
        let response = await attempt();
        if (response.status === 401) {
          const challenge = parseChallenge(response.headers.get('www-authenticate'));
          if (!challenge) {
            throw new RegistryError(
              `${registry} answered 401 Unauthorized without an authentication challenge (no WWW-Authenticate header)`,
            );
          }
          authorizer.learn(challenge, sentAuthorization);
          response = await attempt();
          if (response.status === 401) {
            throw new RegistryError(
              `${registry} refused access to ${repository} (HTTP 401 after authenticating); check the credentials in config.json`,
            );
          }
        }
        return response;
      } catch (err) {
        if (err instanceof AuthError || err instanceof HttpError) throw new RegistryError(err.message);
        throw err;
      }
    });
  }

  private explainStatus(response: HttpResponse, registry: string, repository: string, reference: string, what: string): RegistryError {
    switch (response.status) {
      case 404:
        return new RegistryError(`${what} ${reference} not found in ${registry}/${repository} (HTTP 404)`);
      case 403:
        return new RegistryError(`${registry} denied access to ${repository} (HTTP 403)`);
      case 429:
        return new RegistryError(`${registry} kept rate-limiting the request (HTTP 429) after retries`);
      default:
        return new RegistryError(
          response.status >= 500
            ? `${registry} failed with HTTP ${response.status} after retries`
            : `${registry} answered HTTP ${response.status} for ${what} ${reference}`,
        );
    }
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
    const response = await this.get(registry, repository, `manifests/${reference}`, ACCEPTED_MANIFEST_TYPES.join(', '), MANIFEST_MAX_BYTES);
    if (response.status !== 200) throw this.explainStatus(response, registry, repository, reference, byDigest ? 'manifest' : 'tag');
    const headerDigest = response.headers.get('docker-content-digest') ?? undefined;
    const expected = byDigest ? reference : headerDigest;
    if (expected !== undefined) {
      if (!matchesDigest(response.body, expected)) {
        throw new RegistryError(
          `manifest bytes from ${registry}/${repository} do not hash to ${expected}${byDigest ? '' : ' (Docker-Content-Digest)'}; refusing to compare content that cannot be verified`,
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
    const response = await this.get(registry, repository, `blobs/${digest}`, undefined, maxBytes);
    if (response.status !== 200) throw this.explainStatus(response, registry, repository, digest, 'blob');
    if (!matchesDigest(response.body, digest)) {
      throw new RegistryError(`blob from ${registry}/${repository} does not hash to ${digest}`);
    }
    return response.body;
  }
}
