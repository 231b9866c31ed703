/**
 * A Bearer token server in the shape of the Docker registry token protocol
 * (`GET /token?service=..&scope=..`), for driving a client's 401 -> token ->
 * retry flow against gate-proxy.ts without a real auth service.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Every token starts with this, so a test can search logs and reports for leaked tokens. */
export const TOKEN_PREFIX = 's3ntinel-token-';

export interface ParsedScope {
  type: string;
  name: string;
  actions: string[];
}

/** `repository:team/app:pull,push` -> parts; names may hold '/' but not ':'. */
export function parseScope(scope: string): ParsedScope | undefined {
  const m = /^([^:]+):([^:]+):([^:]*)$/.exec(scope);
  if (!m) return undefined;
  return { type: m[1], name: m[2], actions: m[3] === '' ? [] : m[3].split(',') };
}

export interface IssuedToken {
  token: string;
  /** Scope strings exactly as the client asked for them. */
  scopes: string[];
  /** The Basic-auth user it was issued to, if any. */
  subject?: string;
  issuedAt: number;
  expiresAt: number;
}

/**
 * The tokens a token server issued, shared in-process with the gate proxy
 * that checks them, so the two need no signing or network between them.
 */
export class TokenLedger {
  private readonly tokens = new Map<string, IssuedToken>();
  private issued = 0;

  issue(scopes: readonly string[], ttlSeconds: number, subject?: string): IssuedToken {
    const now = Date.now();
    const entry: IssuedToken = {
      token: TOKEN_PREFIX + randomBytes(18).toString('base64url'),
      scopes: [...scopes],
      ...(subject === undefined ? {} : { subject }),
      issuedAt: now,
      expiresAt: now + ttlSeconds * 1000,
    };
    this.tokens.set(entry.token, entry);
    this.issued++;
    return entry;
  }

  /** How many tokens were issued since the ledger was made (revoking does not lower it). */
  get issuedCount(): number {
    return this.issued;
  }

  /** The live (issued, unexpired, unrevoked) token record, if any. */
  lookup(token: string): IssuedToken | undefined {
    const entry = this.tokens.get(token);
    return entry !== undefined && entry.expiresAt > Date.now() ? entry : undefined;
  }

  /**
   * Whether the token is live and, when `required` is given, one of its scopes
   * names the same resource and includes the action (`*` grants every action).
   */
  allows(token: string, required?: { type: string; name: string; action: string }): boolean {
    const entry = this.lookup(token);
    if (entry === undefined) return false;
    if (required === undefined) return true;
    return entry.scopes.some((s) => {
      const p = parseScope(s);
      return (
        p !== undefined &&
        p.type === required.type &&
        p.name === required.name &&
        (p.actions.includes(required.action) || p.actions.includes('*'))
      );
    });
  }

  /** Forget every token, as if they all expired: clients must fetch new ones. */
  revokeAll(): void {
    this.tokens.clear();
  }
}

/** What the token server does with the next request. */
export type TokenServerMode = 'ok' | 'fail' | 'no-token';

export interface TokenRequestRecord {
  method: string;
  path: string;
  service?: string;
  scopes: string[];
  headers: IncomingHttpHeaders;
  outcome: 'issued' | 'unauthorized' | 'failed' | 'no-token' | 'bad-request';
}

export interface TokenServerOptions {
  /** The `service` the gate advertises and this server expects; default `test-registry`. */
  service?: string;
  /** Require Basic auth with these credentials before issuing anything. */
  basicAuth?: { username: string; password: string };
  /** `expires_in` of issued tokens, in seconds; default 300. */
  expiresIn?: number;
  /** Share a ledger between several servers; a fresh one otherwise. */
  ledger?: TokenLedger;
}

/** What gate-proxy.ts needs to challenge clients and check their tokens; a TokenServer is one. */
export interface BearerAuthority {
  /** Absolute URL of the token endpoint, for the challenge's `realm`. */
  realm: string;
  service: string;
  ledger: TokenLedger;
}

export interface TokenServer extends BearerAuthority {
  url: string;
  host: string;
  port: number;
  /** Every request, in order. */
  requests: TokenRequestRecord[];
  /** Tokens this server issued (a shared ledger may hold others too). */
  readonly issuedCount: number;
  /**
   * 'fail' answers 500, 'no-token' answers 200 with JSON lacking both token
   * fields. With `times`, only the next `times` requests, then back to 'ok'.
   */
  setMode(mode: TokenServerMode, times?: number): void;
  stop(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(bytes.length), ...headers });
  res.end(bytes);
}

function basicUser(header: string | undefined, expected: { username: string; password: string }): string | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const [user, pass] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  return user === expected.username && pass === expected.password ? user : undefined;
}

export async function startTokenServer(opts: TokenServerOptions = {}): Promise<TokenServer> {
  const service = opts.service ?? 'test-registry';
  const expiresIn = opts.expiresIn ?? 300;
  const ledger = opts.ledger ?? new TokenLedger();
  const requests: TokenRequestRecord[] = [];
  let mode: TokenServerMode = 'ok';
  let modeLeft = Infinity;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://token.invalid');
    const record: TokenRequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname + url.search,
      ...(url.searchParams.has('service') ? { service: url.searchParams.get('service') ?? '' } : {}),
      // Clients ask for several scopes by repeating the parameter, some by space-separating them.
      scopes: url.searchParams
        .getAll('scope')
        .flatMap((s) => s.split(' '))
        .filter((s) => s !== ''),
      headers: { ...req.headers },
      outcome: 'bad-request',
    };
    requests.push(record);

    if (req.method !== 'GET' || url.pathname !== '/token') {
      sendJson(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'only GET /token is served' }] });
      return;
    }
    if (record.service !== undefined && record.service !== service) {
      sendJson(res, 400, { errors: [{ code: 'INVALID_REQUEST', message: `unknown service ${record.service}` }] });
      return;
    }
    if (record.scopes.some((s) => parseScope(s) === undefined)) {
      sendJson(res, 400, { errors: [{ code: 'INVALID_REQUEST', message: 'malformed scope' }] });
      return;
    }
    let subject: string | undefined;
    if (opts.basicAuth) {
      subject = basicUser(req.headers.authorization, opts.basicAuth);
      if (subject === undefined) {
        record.outcome = 'unauthorized';
        sendJson(
          res,
          401,
          { errors: [{ code: 'UNAUTHORIZED', message: 'bad or missing credentials' }] },
          {
            'WWW-Authenticate': 'Basic realm="test-token-server"',
          },
        );
        return;
      }
    }
    const current = mode;
    if (current !== 'ok' && --modeLeft <= 0) {
      mode = 'ok';
      modeLeft = Infinity;
    }
    if (current === 'fail') {
      record.outcome = 'failed';
      sendJson(res, 500, { errors: [{ code: 'UNKNOWN', message: 'injected token server failure' }] });
      return;
    }
    if (current === 'no-token') {
      record.outcome = 'no-token';
      sendJson(res, 200, { expires_in: expiresIn, issued_at: new Date().toISOString() });
      return;
    }
    const issued = ledger.issue(record.scopes, expiresIn, subject);
    record.outcome = 'issued';
    // Both names: Docker's spec says `token`, OAuth2-minded clients read `access_token`.
    sendJson(res, 200, {
      token: issued.token,
      access_token: issued.token,
      expires_in: expiresIn,
      issued_at: new Date(issued.issuedAt).toISOString(),
    });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;

  return {
    url,
    host: `127.0.0.1:${port}`,
    port,
    realm: `${url}/token`,
    service,
    ledger,
    requests,
    get issuedCount() {
      return requests.filter((r) => r.outcome === 'issued').length;
    },
    setMode(next, times) {
      mode = next;
      modeLeft = next === 'ok' || times === undefined ? Infinity : times;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
