/**
 * The transport pieces that are otherwise reached only through real servers:
 * retries, redirects, caps and timeouts of one request; the Bearer token cache;
 * the concurrency limiter. Each against an in-process server on 127.0.0.1.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Limiter, mapLimited } from '../../scanner/concurrency/limiter';
import { RegistryAuthorizer } from '../../scanner/registry/auth';
import { RegistryEndpoints } from '../../scanner/registry/endpoint';
import { httpRequest, HttpOptions } from '../../scanner/registry/http';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let server: Server;
let handler: Handler = (_req, res) => res.end();
let base = '';
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => seen.splice(0));

const FAST = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 50 };
const get = (path: string, extra: Partial<HttpOptions> = {}) =>
  httpRequest(new URL(path, base), { timeoutMs: 2000, maxBytes: 1024, retry: FAST, ...extra });

describe('one request', () => {
  test('a 503 is retried, every attempt counted, and the success returned', async () => {
    let n = 0;
    handler = (_req, res) => {
      res.statusCode = ++n < 3 ? 503 : 200;
      res.end('ok');
    };
    let attempts = 0;
    const r = await get('/x', { onAttempt: () => attempts++ });
    expect([r.status, r.body.toString(), attempts]).toEqual([200, 'ok', 3]);
  });

  test('a status that persists is returned after the last attempt; isFinal stops retrying at once', async () => {
    handler = (_req, res) => {
      res.writeHead(429, { 'Retry-After': '0' });
      res.end();
    };
    expect((await get('/x')).status).toBe(429);
    expect(seen).toHaveLength(3);
    seen.splice(0);
    expect((await get('/x', { isFinal: (r) => r.status === 429 })).status).toBe(429);
    expect(seen).toHaveLength(1);
  });

  test('HEAD reads no body', async () => {
    handler = (req, res) => {
      res.writeHead(200, { 'Docker-Content-Digest': 'sha256:abc', 'Content-Length': '5' });
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    };
    const r = await get('/x', { method: 'HEAD' });
    expect([seen[0]!.method, r.body.length, r.headers.get('docker-content-digest')]).toEqual(['HEAD', 0, 'sha256:abc']);
  });

  test('Authorization follows a redirect on the same origin only', async () => {
    handler = (req, res) => {
      if (req.url === '/a') {
        res.writeHead(307, { Location: '/b' });
        res.end();
      } else if (req.url === '/b') {
        res.writeHead(307, { Location: `http://localhost:${new URL(base).port}/c` });
        res.end();
      } else res.end(req.headers.authorization ?? 'none');
    };
    const r = await get('/a', { headers: { Authorization: 'Bearer t' } });
    expect(seen.map((s) => [s.url, s.headers.authorization ?? 'none'])).toEqual([
      ['/a', 'Bearer t'],
      ['/b', 'Bearer t'],
      ['/c', 'none'],
    ]);
    expect(r.body.toString()).toBe('none');
  });

  test('a redirect the endpoint rules refuse, and a redirect loop, are errors of kind redirect', async () => {
    handler = (req, res) => {
      res.writeHead(302, { Location: req.url === '/plain' ? 'http://registry.example/x' : '/loop' });
      res.end();
    };
    const endpoints = new RegistryEndpoints();
    await expect(get('/plain', { allowUrl: (u) => endpoints.allowsUrl(u) })).rejects.toMatchObject({ kind: 'redirect' });
    await expect(get('/loop')).rejects.toMatchObject({ kind: 'redirect', message: expect.stringMatching(/too many redirects/) });
  });

  test('bodies over the cap are refused, declared or not', async () => {
    handler = (req, res) => {
      if (req.url === '/declared') res.setHeader('Content-Length', '4096');
      res.end(Buffer.alloc(4096, 0x61));
    };
    await expect(get('/declared')).rejects.toMatchObject({ kind: 'too-large' });
    await expect(get('/chunked')).rejects.toMatchObject({ kind: 'too-large' });
  });

  test('a server that never answers is a timeout; a closed port is a network error', async () => {
    handler = () => undefined;
    await expect(get('/slow', { timeoutMs: 100, retry: { ...FAST, maxAttempts: 1 } })).rejects.toMatchObject({ kind: 'timeout' });
    await expect(httpRequest(new URL('http://127.0.0.1:1/'), { timeoutMs: 1000, maxBytes: 10, retry: FAST })).rejects.toMatchObject({
      kind: 'network',
    });
  });
});

describe('Bearer tokens', () => {
  const challenge = () => ({ scheme: 'bearer', params: { realm: `${base}/token`, service: 'reg' } });
  const authorizer = (credentials?: { username: string; password: string; source: string }) =>
    new RegistryAuthorizer('127.0.0.1:1', credentials, {
      timeoutMs: 2000,
      retry: FAST,
      allowUrl: (u) => new RegistryEndpoints().allowsUrl(u),
    });

  test('concurrent first requests share one token request per scope; another scope asks again', async () => {
    let issued = 0;
    handler = (_req, res) => {
      issued++;
      res.end(JSON.stringify({ token: `t${issued}`, expires_in: 300 }));
    };
    const a = authorizer();
    a.learn(challenge(), undefined);
    const headers = await Promise.all([1, 2, 3].map(() => a.header('repository:x:pull')));
    expect(new Set(headers)).toEqual(new Set(['Bearer t1']));
    expect(await a.header('repository:y:pull')).toBe('Bearer t2');
    expect(issued).toBe(2);
    expect(new URL(seen[0]!.url!, base).searchParams.get('scope')).toBe('repository:x:pull');
  });

  test('a token the registry turned down is replaced, not reused; an expired one too', async () => {
    let issued = 0;
    handler = (_req, res) => res.end(JSON.stringify({ token: `t${++issued}`, expires_in: 1 }));
    const a = authorizer();
    a.learn(challenge(), undefined);
    const first = await a.header('s');
    a.learn(challenge(), first);
    expect(await a.header('s')).toBe('Bearer t2');
    // expires_in 1 s is inside the 5 s safety margin: every use asks anew.
    expect(await a.header('s')).toBe('Bearer t3');
  });

  test('credentials go to the token server as Basic; a refusal names where they came from', async () => {
    handler = (req, res) => {
      res.statusCode = req.headers.authorization === `Basic ${Buffer.from('u:p').toString('base64')}` ? 401 : 500;
      res.end();
    };
    const a = authorizer({ username: 'u', password: 'p', source: 'credential helper docker-credential-x' });
    a.learn(challenge(), undefined);
    await expect(a.header('s')).rejects.toMatchObject({
      kind: 'unauthorized',
      status: 401,
      message: expect.stringMatching(/refused the credentials from credential helper docker-credential-x/),
    });
  });

  test('Basic without credentials, and a realm over plain HTTP to a host that must use TLS, are refused', async () => {
    const basic = authorizer();
    basic.learn({ scheme: 'basic', params: {} }, undefined);
    await expect(basic.header('s')).rejects.toMatchObject({ kind: 'unauthorized' });
    const plain = authorizer();
    plain.learn({ scheme: 'bearer', params: { realm: 'http://auth.example/token' } }, undefined);
    await expect(plain.header('s')).rejects.toMatchObject({ kind: 'redirect' });
  });
});

describe('the limiter', () => {
  test('never more than the limit at once, first come first served, results in input order', async () => {
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    const results = await mapLimited([5, 1, 4, 2, 3], 2, async (ms, i) => {
      started.push(i);
      peak = Math.max(peak, ++active);
      await new Promise((r) => setTimeout(r, ms * 5));
      active--;
      return ms * 10;
    });
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(results).toEqual([50, 10, 40, 20, 30]);
  });

  test('a failing task frees its place; a limit below 1 is refused', async () => {
    const limiter = new Limiter(1);
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(async () => 'next')).resolves.toBe('next');
    expect(() => new Limiter(0)).toThrow(RangeError);
  });
});
