/**
 * An HTTP proxy on 127.0.0.1 in front of a test registry that can demand
 * Bearer tokens and inject the faults real registries and networks produce,
 * chosen per request at run time, while recording every request it saw.
 *
 * Order for each request: record it; if Bearer auth is on and the request
 * lacks a token for its scope, challenge (401) and stop; otherwise ask the
 * behaviour function and act on its answer (forward when it has none). So a
 * fault "for the first K requests" counts only requests that got past auth,
 * as on a registry that authenticates before it rate-limits.
 */
import { createHash } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { MediaType } from '../../scanner/oci/media-types';
import type { BearerAuthority } from './token-server';

export type Behaviour =
  /** Pass to the registry untouched (what happens when the behaviour function returns undefined). */
  | { kind: 'forward' }
  /** 401 with no WWW-Authenticate at all: nothing tells the client how to authenticate. */
  | { kind: 'unauthorized-no-challenge' }
  /** Answer with this status (e.g. 429 + Retry-After, or 500) without asking the registry. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string | Buffer }
  /** Reset the TCP connection (RST) before any response. */
  | { kind: 'reset' }
  /** Wait, then forward; for client timeouts. */
  | { kind: 'delay'; ms: number }
  /**
   * Forward headers but only half the body, then close. 'content-length'
   * (default) keeps the full Content-Length; 'chunked' drops it and never
   * sends the last chunk. Either way the client holds half a JSON document.
   */
  | { kind: 'truncate'; framing?: 'content-length' | 'chunked' }
  /**
   * Change one byte of the body, keeping Docker-Content-Digest and
   * Content-Length. Where the body has `sha256:` the byte is a hex digit after
   * it, so the JSON still parses and only a digest check catches it.
   */
  | { kind: 'corrupt' }
  /** 200 with a body of `bytes` (default 5 MiB) that is valid JSON; length declared unless told not to. */
  | { kind: 'huge'; bytes?: number; contentType?: string; declareLength?: boolean }
  /** Forward, but with this Content-Type. */
  | { kind: 'content-type'; contentType: string }
  /** Redirect (default 307) to the same path on another origin, e.g. `http://localhost:PORT`. */
  | { kind: 'redirect'; toOrigin: string; status?: 301 | 302 | 303 | 307 | 308 };

export interface GateRequest {
  method: string;
  /** Path and query, as received. */
  path: string;
  headers: IncomingHttpHeaders;
}

export type BehaviourFn = (req: GateRequest) => Behaviour | undefined;

export interface RecordedRequest extends GateRequest {
  /** 'challenged' when Bearer auth turned it away, else the behaviour applied. */
  outcome: 'challenged' | Behaviour['kind'];
}

export interface GateProxyOptions {
  /** Registry base URL, e.g. `http://127.0.0.1:5000`. */
  upstream: string;
  /** Demand tokens issued by this authority (a TokenServer is one). */
  bearer?: BearerAuthority;
  behaviour?: BehaviourFn;
}

export interface GateProxy {
  url: string;
  host: string;
  port: number;
  /** Every request, in arrival order, including challenged ones. */
  requests: RecordedRequest[];
  /** served = answered past auth (forwarded or faulted); challenged = 401 with a Bearer challenge. */
  counts: { served: number; challenged: number };
  setBehaviour(fn: BehaviourFn | undefined): void;
  /** Forget recorded requests and counts. */
  clear(): void;
  stop(): Promise<void>;
}

/**
 * A behaviour for requests whose path matches, for the first `times` matches
 * only (every match when absent); the count lives in the returned function.
 */
export function onPath(
  match: RegExp | string | ((req: GateRequest) => boolean),
  behaviour: Behaviour,
  opts: { times?: number; method?: string } = {},
): BehaviourFn {
  let used = 0;
  const test =
    typeof match === 'function'
      ? match
      : typeof match === 'string'
        ? (r: GateRequest) => r.path.split('?')[0] === match
        : (r: GateRequest) => match.test(r.path);
  return (req) => {
    if (opts.method !== undefined && req.method !== opts.method.toUpperCase()) return undefined;
    if (!test(req)) return undefined;
    if (opts.times !== undefined && used >= opts.times) return undefined;
    used++;
    return behaviour;
  };
}

/** The first answer any of the functions gives. */
export function firstOf(...fns: BehaviourFn[]): BehaviourFn {
  return (req) => {
    for (const fn of fns) {
      const b = fn(req);
      if (b !== undefined) return b;
    }
    return undefined;
  };
}

// ---------------------------------------------------------------- auth

export interface RequiredScope {
  type: string;
  name: string;
  action: string;
  /** What the challenge's scope parameter says; push needs pull too, as registries ask. */
  challenge: string;
}

/** The scope a registry API path needs; undefined for /v2/ and other paths where any valid token will do. */
export function requiredScope(method: string, path: string): RequiredScope | undefined {
  const pathname = path.split('?')[0];
  if (pathname === '/v2/_catalog') {
    return { type: 'registry', name: 'catalog', action: '*', challenge: 'registry:catalog:*' };
  }
  // Greedy name, then the last API suffix: repository names may contain 'blobs' or 'manifests' segments.
  const m = /^\/v2\/(.+)\/(?:manifests\/[^/]+|blobs\/uploads\/[^/]*|blobs\/[^/]+|tags\/list|referrers\/[^/]+)$/.exec(pathname);
  if (!m) return undefined;
  const name = m[1];
  const read = method === 'GET' || method === 'HEAD';
  return read
    ? { type: 'repository', name, action: 'pull', challenge: `repository:${name}:pull` }
    : { type: 'repository', name, action: 'push', challenge: `repository:${name}:pull,push` };
}

function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return m ? m[1] : undefined;
}

function errorBody(code: string, message: string): Buffer {
  return Buffer.from(JSON.stringify({ errors: [{ code, message, detail: null }] }));
}

// ---------------------------------------------------------------- headers

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEnd(headers: IncomingHttpHeaders, drop: readonly string[] = []): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || drop.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

// ---------------------------------------------------------------- body manipulation

/** One byte changed; a hex digit after `sha256:` when there is one, so the JSON stays valid. */
function corrupt(body: Buffer): Buffer {
  const copy = Buffer.from(body);
  const marker = copy.indexOf('sha256:');
  const at = marker >= 0 ? marker + 'sha256:'.length : Math.floor(copy.length / 2);
  const c = copy[at];
  const isDigit = c >= 0x30 && c <= 0x39;
  const isHexLetter = c >= 0x61 && c <= 0x66;
  // Swap within pairs (0/1 .. 8/9, a/b, c/d, e/f) so a hex digit stays a hex digit.
  copy[at] = isDigit ? c ^ 0x01 : isHexLetter ? ((c - 0x61) ^ 0x01) + 0x61 : c ^ 0x01;
  return copy;
}

function hugeJson(bytes: number): Buffer {
  const head = Buffer.from('{"schemaVersion":2,"padding":"');
  const tail = Buffer.from('"}');
  const fill = Math.max(0, bytes - head.length - tail.length);
  return Buffer.concat([head, Buffer.alloc(fill, 'a'), tail]);
}

// ---------------------------------------------------------------- server

export async function startGateProxy(opts: GateProxyOptions): Promise<GateProxy> {
  const upstream = new URL(opts.upstream);
  if (upstream.protocol !== 'http:') throw new Error('startGateProxy: upstream must be http://');
  let behaviour: BehaviourFn | undefined = opts.behaviour;
  const requests: RecordedRequest[] = [];
  const counts = { served: 0, challenged: 0 };
  const timers = new Set<NodeJS.Timeout>();

  /** Sends the request on to the registry; `respond` decides what reaches the client. */
  const toUpstream = (req: IncomingMessage, res: ServerResponse, respond: (up: IncomingMessage) => void): void => {
    // Host stays the proxy's, so the registry's upload Locations point back through us.
    const headers = endToEnd(req.headers, opts.bearer ? ['authorization'] : []);
    const up = httpRequest(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
        agent: false,
      },
      respond,
    );
    up.on('error', () => {
      if (!res.headersSent) {
        const body = errorBody('UNKNOWN', 'gate proxy could not reach the registry');
        res.writeHead(502, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
        res.end(body);
      } else {
        res.destroy();
      }
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  };

  const pipeThrough = (res: ServerResponse, contentType?: string) => (up: IncomingMessage) => {
    const headers = endToEnd(up.headers);
    if (contentType !== undefined) headers['content-type'] = contentType;
    res.writeHead(up.statusCode ?? 502, headers);
    up.pipe(res);
  };

  const buffered = (res: ServerResponse, then: (up: IncomingMessage, body: Buffer) => void) => (up: IncomingMessage) => {
    const chunks: Buffer[] = [];
    up.on('data', (c: Buffer) => chunks.push(c));
    up.on('end', () => then(up, Buffer.concat(chunks)));
    up.on('error', () => res.destroy());
  };

  const apply = (b: Behaviour, req: IncomingMessage, res: ServerResponse): void => {
    const head = req.method === 'HEAD';
    switch (b.kind) {
      case 'forward':
        toUpstream(req, res, pipeThrough(res));
        return;
      case 'content-type':
        toUpstream(req, res, pipeThrough(res, b.contentType));
        return;
      case 'delay': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) toUpstream(req, res, pipeThrough(res));
        }, b.ms);
        timers.add(timer);
        res.on('close', () => {
          clearTimeout(timer);
          timers.delete(timer);
        });
        return;
      }
      case 'unauthorized-no-challenge': {
        req.resume();
        const body = errorBody('UNAUTHORIZED', 'authentication required');
        res.writeHead(401, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
        res.end(head ? undefined : body);
        return;
      }
      case 'status': {
        req.resume();
        const body =
          b.body === undefined ? errorBody(b.status === 429 ? 'TOOMANYREQUESTS' : 'UNKNOWN', `injected ${b.status}`) : Buffer.from(b.body);
        res.writeHead(b.status, {
          'Content-Type': 'application/json',
          'Content-Length': String(body.length),
          ...b.headers,
        });
        res.end(head ? undefined : body);
        return;
      }
      case 'reset': {
        req.resume();
        const socket: Socket = req.socket;
        if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
        else socket.destroy();
        return;
      }
      case 'redirect': {
        req.resume();
        res.writeHead(b.status ?? 307, {
          Location: b.toOrigin.replace(/\/+$/, '') + (req.url ?? '/'),
          'Content-Length': '0',
        });
        res.end();
        return;
      }
      case 'huge': {
        req.resume();
        const body = hugeJson(b.bytes ?? 5 * 1024 * 1024);
        const headers: OutgoingHttpHeaders = {
          'Content-Type': b.contentType ?? MediaType.ociManifest,
          // The digest is right, so only a size limit can stop a client buffering all of it.
          'Docker-Content-Digest': `sha256:${createHash('sha256').update(body).digest('hex')}`,
        };
        if (b.declareLength ?? true) headers['Content-Length'] = String(body.length);
        res.writeHead(200, headers);
        res.end(head ? undefined : body);
        return;
      }
      case 'corrupt':
        toUpstream(
          req,
          res,
          buffered(res, (up, body) => {
            res.writeHead(up.statusCode ?? 502, endToEnd(up.headers));
            res.end(body.length === 0 ? body : corrupt(body));
          }),
        );
        return;
      case 'truncate':
        toUpstream(
          req,
          res,
          buffered(res, (up, body) => {
            const headers = endToEnd(up.headers, ['content-length']);
            if (head || body.length < 2) {
              res.writeHead(up.statusCode ?? 502, endToEnd(up.headers));
              res.end(body);
              return;
            }
            if ((b.framing ?? 'content-length') === 'content-length') headers['content-length'] = String(body.length);
            res.writeHead(up.statusCode ?? 502, headers);
            res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
          }),
        );
        return;
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    // A client that hangs up mid-response is a case under test, not a proxy crash.
    res.on('error', () => undefined);
    req.on('error', () => undefined);
    const gateReq: GateRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: { ...req.headers } };
    const record: RecordedRequest = { ...gateReq, outcome: 'forward' };
    requests.push(record);

    if (opts.bearer) {
      const scope = requiredScope(gateReq.method, gateReq.path);
      const token = bearerToken(req.headers);
      const ok =
        token !== undefined && opts.bearer.ledger.allows(token, scope && { type: scope.type, name: scope.name, action: scope.action });
      if (!ok) {
        counts.challenged++;
        record.outcome = 'challenged';
        req.resume();
        let challenge = `Bearer realm="${opts.bearer.realm}",service="${opts.bearer.service}"`;
        if (scope) challenge += `,scope="${scope.challenge}"`;
        // Real registries say why a presented token failed; a missing token gets the bare challenge.
        if (token !== undefined) {
          challenge += opts.bearer.ledger.lookup(token) ? ',error="insufficient_scope"' : ',error="invalid_token"';
        }
        const body = errorBody('UNAUTHORIZED', 'authentication required');
        res.writeHead(401, {
          'Content-Type': 'application/json',
          'Content-Length': String(body.length),
          'Docker-Distribution-Api-Version': 'registry/2.0',
          'WWW-Authenticate': challenge,
        });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
    }

    counts.served++;
    const chosen = behaviour?.(gateReq) ?? { kind: 'forward' };
    record.outcome = chosen.kind;
    apply(chosen, req, res);
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    requests,
    counts,
    setBehaviour(fn) {
      behaviour = fn;
    },
    clear() {
      requests.length = 0;
      counts.served = 0;
      counts.challenged = 0;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
