/**
 * Authorization for one registry: learns its challenge once, then asks for a
 * Bearer token per scope (cached until it expires and shared by concurrent
 * requests) or sends Basic credentials.
 */
import { ErrorKind, ScanError } from '../errors/scan-error';
import { Challenge } from './challenge';
import { Credentials } from './credentials';
import { HttpOptions, httpRequest } from './http';

export class AuthError extends ScanError {
  constructor(message: string, kind: ErrorKind = 'unauthorized', options: { status?: number; cause?: unknown } = {}) {
    super(message, kind, options);
  }
}

interface CachedToken {
  value: string;
  expiresAt: number;
}

const TOKEN_MAX_BYTES = 1024 * 1024;
const DEFAULT_TOKEN_LIFETIME_S = 60;
/** Ask again a little before expiry so a token does not lapse mid-request. */
const EXPIRY_MARGIN_MS = 5_000;

export function basicHeader(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

export interface TokenRequestOptions extends Pick<HttpOptions, 'timeoutMs' | 'retry' | 'onRetry'> {
  allowUrl: (url: URL) => boolean;
}

export class RegistryAuthorizer {
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, Promise<CachedToken>>();
  /** Tokens the registry turned down; a cached one of these is replaced, not reused. */
  private readonly rejected = new Set<string>();

  constructor(
    readonly registry: string,
    private readonly credentials: Credentials | undefined,
    private readonly http: TokenRequestOptions,
  ) {}

  /** Where the credentials came from (never the secret), for messages; undefined when anonymous. */
  get credentialSource(): string | undefined {
    return this.credentials?.source;
  }

  /** The Authorization header for a scope, or undefined while no challenge has been seen. */
  async header(scope: string): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      if (!this.credentials) {
        throw new AuthError(
          `${this.registry} requires a login (Basic auth) and no credentials for it are in the Docker config.json or a credential helper`,
        );
      }
      return basicHeader(this.credentials);
    }
    if (challenge.scheme === 'bearer') return `Bearer ${(await this.token(challenge, scope)).value}`;
    throw new AuthError(`${this.registry} asks for unsupported authentication scheme "${challenge.scheme}"`, 'protocol');
  }

  /**
   * Records a 401's challenge. Only a token the registry actually turned down
   * is dropped: concurrent first requests all get a 401 and must still share
   * one token request.
   */
  learn(challenge: Challenge, sentAuthorization: string | undefined): void {
    this.challenge = challenge;
    if (sentAuthorization?.startsWith('Bearer ')) this.rejected.add(sentAuthorization.slice('Bearer '.length));
  }

  private tokenKey(challenge: Challenge, scope: string): string {
    return `${challenge.params.realm ?? ''} ${challenge.params.service ?? ''} ${scope}`;
  }

  private token(challenge: Challenge, scope: string): Promise<CachedToken> {
    const key = this.tokenKey(challenge, scope);
    const cached = this.tokens.get(key);
    if (cached) {
      return cached.then((token) => {
        if (token.expiresAt - EXPIRY_MARGIN_MS > Date.now() && !this.rejected.has(token.value)) return token;
        if (this.tokens.get(key) === cached) this.tokens.delete(key);
        return this.token(challenge, scope);
      });
    }
    const pending = this.fetchToken(challenge, scope);
    this.tokens.set(key, pending);
    // A failed request must not poison the cache for the rest of the run.
    pending.catch(() => {
      if (this.tokens.get(key) === pending) this.tokens.delete(key);
    });
    return pending;
  }

  private async fetchToken(challenge: Challenge, scope: string): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (!realm) throw new AuthError(`${this.registry} sent a Bearer challenge without a realm`, 'protocol');
    let url: URL;
    try {
      url = new URL(realm);
    } catch (err) {
      throw new AuthError(`${this.registry} sent a Bearer challenge with an invalid realm`, 'protocol', { cause: err });
    }
    if (!this.http.allowUrl(url)) {
      throw new AuthError(`refusing token realm ${url.origin} for ${this.registry}: plain HTTP to a host that must use TLS`, 'redirect');
    }
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    url.searchParams.set('scope', scope);
    const headers: Record<string, string> = {};
    if (this.credentials) headers.Authorization = basicHeader(this.credentials);
    let response;
    try {
      response = await httpRequest(url, { ...this.http, headers, maxBytes: TOKEN_MAX_BYTES });
    } catch (err) {
      const kind = err instanceof ScanError ? err.kind : 'network';
      throw new AuthError(`token server ${url.host} for ${this.registry}: ${(err as Error).message}`, kind, { cause: err });
    }
    if (response.status === 401 || response.status === 403) {
      throw new AuthError(
        `token server ${url.host} refused ${this.credentials ? `the credentials from ${this.credentials.source}` : 'anonymous access'} for ${this.registry} (HTTP ${response.status})`,
        'unauthorized',
        { status: response.status },
      );
    }
    if (response.status !== 200) {
      throw new AuthError(
        `token server ${url.host} for ${this.registry} answered HTTP ${response.status}`,
        response.status >= 500 ? 'server' : 'protocol',
        {
          status: response.status,
        },
      );
    }
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(response.body.toString('utf8'));
    } catch (err) {
      throw new AuthError(`token server ${url.host} for ${this.registry} returned a response that is not JSON`, 'protocol', { cause: err });
    }
    const value = typeof doc.token === 'string' && doc.token ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : '';
    if (!value) throw new AuthError(`token server ${url.host} for ${this.registry} returned no token`, 'protocol');
    const lifetime = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : DEFAULT_TOKEN_LIFETIME_S;
    return { value, expiresAt: Date.now() + lifetime * 1000 };
  }
}
