/**
 * Expansion against registries that are too big or that misbehave: a catalog
 * of 100,000 repositories, a repository of 50,000 tags, a Link header that
 * loops or leaves the registry, a closed catalog, names that are not names
 * (`../../../_catalog`). An in-process stand-in on
 * 127.0.0.1 speaks tags/list and _catalog with Link paging as distribution does.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { parseInput } from '../support/parse-input';
import { Mention } from '../../scanner/input/mentions';
import { registryAccessResolver } from '../../scanner/registry/access';
import { RegistryClient } from '../../scanner/registry/client';
import { RegistryEndpoints } from '../../scanner/registry/endpoint';
import { DEFAULT_EXPANSION_LIMITS, expandMentions } from '../../scanner/source/expand';

const CATALOG_SIZE = 100_000;
/** Sorted as distribution sorts: byte order. `team` has neighbours on both sides that only start alike. */
const CATALOG = [
  ...Array.from({ length: CATALOG_SIZE - 5 }, (_, i) => `org${String(i).padStart(6, '0')}/app`),
  'team-b/app',
  'team/api',
  'team/web',
  'team0/app',
  'teamx/app',
].sort();
const BIG_TAGS = Array.from({ length: 50_000 }, (_, i) => `1.${Math.floor(i / 100)}.${i % 100}`).sort();

let server: Server;
let host = '';
const seen: string[] = [];
let mode: 'normal' | 'loop' | 'endless' | 'elsewhere' | 'closed' | 'hostile-names' | 'slashes' | 'relative-host' | 'login' = 'normal';
let endlessPage = 0;
/** A second registry on another port: a Link may point at it, and it must never be asked anything. */
let other: Server;
let otherHost = '';
const otherSeen: string[] = [];
const LOGIN = { username: 'lister', password: 'listing-secret-4f1e' };
const BASIC = `Basic ${Buffer.from(`${LOGIN.username}:${LOGIN.password}`).toString('base64')}`;
/** Valid names first, then what no tag or repository may be: traversal, slashes, encodings, control characters, 200 characters. */
const HOSTILE_TAGS = ['1.0.0', '../../../_catalog', 'latest', '..', 'a/../../b', '%2e%2e%2f_catalog', '\u0000x', 'x'.repeat(200)];
const HOSTILE_CATALOG = ['team/../../v2/_catalog', 'team/Upper', 'team/api', 'team//web', 'team/web'];

function page(res: ServerResponse, url: URL, field: 'tags' | 'repositories', all: readonly string[], name?: string): void {
  const n = Number(url.searchParams.get('n') ?? 100);
  const last = url.searchParams.get('last');
  let start = 0;
  if (last !== null) {
    // Binary search: the stand-in must be fast for the 100,000-name catalog to measure the client, not itself.
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (all[mid]! <= last) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const slice = all.slice(start, start + n);
  if (start + n < all.length) {
    const path = name ? `/v2/${name}/tags/list` : '/v2/_catalog';
    const next =
      mode === 'loop'
        ? `${path}?n=${n}`
        : mode === 'elsewhere'
          ? `http://elsewhere.example${path}?n=${n}&last=x`
          : mode === 'slashes'
            ? // Same origin as written, but a path that URL resolution reads as another host.
              `http://${host}//${otherHost}${path}?n=${n}`
            : mode === 'relative-host'
              ? `//${otherHost}${path}?n=${n}`
              : `${path}?n=${n}&last=${encodeURIComponent(slice[slice.length - 1]!)}`;
    res.setHeader('Link', `<${next}>; rel="next"`);
  }
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(name ? { name, [field]: slice } : { [field]: slice }));
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  seen.push(`${req.method} ${url.pathname}${url.search}`);
  const wantsLogin = mode === 'login' || mode === 'slashes' || mode === 'relative-host';
  if (wantsLogin && req.headers.authorization !== BASIC) {
    res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="x"', 'Content-Type': 'application/json' });
    res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    return;
  }
  if (mode === 'endless' && url.pathname === '/v2/big/app/tags/list') {
    // Never the same URL twice, never a name: only the page bound ends it.
    res.setHeader('Link', `</v2/big/app/tags/list?n=1000&last=page${++endlessPage}>; rel="next"`);
    res.setHeader('Content-Type', 'application/json');
    res.end('{"name":"big/app","tags":[]}');
    return;
  }
  if (mode === 'hostile-names') {
    if (url.pathname === '/v2/_catalog') return page(res, url, 'repositories', HOSTILE_CATALOG);
    if (url.pathname === '/v2/team/api/tags/list') return page(res, url, 'tags', HOSTILE_TAGS, 'team/api');
    if (url.pathname === '/v2/team/web/tags/list') return page(res, url, 'tags', ['2.0'], 'team/web');
  }
  if (url.pathname === '/v2/_catalog') {
    if (mode === 'closed') {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="x"', 'Content-Type': 'application/json' });
      res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    return page(res, url, 'repositories', CATALOG);
  }
  const tags = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
  if (tags) {
    const name = tags[1]!;
    if (name === 'big/app') return page(res, url, 'tags', BIG_TAGS, name);
    if (CATALOG.includes(name)) return page(res, url, 'tags', ['1.0.0', '1.1.0', 'latest'], name);
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}');
    return;
  }
  res.writeHead(404);
  res.end();
}

beforeAll(async () => {
  server = createServer(handle);
  other = createServer((req, res) => {
    otherSeen.push(`${req.method} ${req.url} authorization=${req.headers.authorization ?? 'none'}`);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"tags":["stolen"],"repositories":["stolen/repo"]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  otherHost = `127.0.0.1:${(other.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of [server, other]) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});
beforeEach(() => {
  seen.splice(0);
  otherSeen.splice(0);
  mode = 'normal';
});

function client(): RegistryClient {
  const endpoints = new RegistryEndpoints();
  // Credentials for the listing registry only: they must never reach the other one.
  const lookup = async (registry: string) => (registry === host ? { ...LOGIN, source: 'test' } : undefined);
  return new RegistryClient({
    access: registryAccessResolver({ dockerConfig: { lookup, namesHost: (registry) => registry === host }, endpoints }),
    endpoints,
    concurrencyPerHost: 4,
    timeoutMs: 5000,
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  });
}

async function expand(lines: string[], limits = DEFAULT_EXPANSION_LIMITS) {
  const { expansions } = parseInput(Buffer.from(lines.join('\n').replace(/HOST/g, host)));
  const c = client();
  const result = await expandMentions(c, expansions, { concurrency: 4, limits });
  return { ...result, usage: c.usage()[0] };
}

const references = (mentions: Mention[]) => mentions.flatMap((m) => (m.kind === 'reference' ? [m.input] : []));
const errors = (mentions: Mention[]) => mentions.flatMap((m) => (m.kind === 'invalid' ? [m.error] : []));

test('a namespace of a 100,000-repository catalog: its own repositories only, paging starts at it and stops past it', async () => {
  const started = Date.now();
  const { mentions, usage } = await expand(['HOST/team/*']);
  expect(references(mentions)).toEqual([
    `${host}/team/api:1.0.0`,
    `${host}/team/api:1.1.0`,
    `${host}/team/api:latest`,
    `${host}/team/web:1.0.0`,
    `${host}/team/web:1.1.0`,
    `${host}/team/web:latest`,
  ]);
  expect(seen[0]).toBe('GET /v2/_catalog?n=1000&last=team');
  expect(usage!.requests.catalog).toBe(1);
  expect(Date.now() - started).toBeLessThan(5000);
});

test('the whole 100,000-repository catalog: read to its end in bounded time, refused for yielding too many', async () => {
  const started = Date.now();
  const heapBefore = process.memoryUsage().heapUsed;
  const { mentions, outcomes, usage } = await expand(['HOST/*']);
  expect(errors(mentions)).toEqual([
    expect.stringMatching(/catalog holds more than 5000 repositories under its root; name a narrower namespace/),
  ]);
  expect(outcomes[0]).toMatchObject({ errorKind: 'too-large', sources: 0 });
  // It stops as soon as the bound is passed, not after reading every page.
  expect(usage!.requests.catalog).toBe(6);
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
  // With a higher bound the whole catalog is read: 100 pages.
  seen.splice(0);
  const all = await expand(['HOST/*'], { ...DEFAULT_EXPANSION_LIMITS, maxRepositories: 200_000, maxCatalogRead: 50_000 });
  expect(errors(all.mentions)).toEqual([expect.stringMatching(/catalog lists more than 50000 repositories; not read to its end/)]);
});

test('a repository of 50,000 tags: every page read, filters applied, a selector that keeps too many is refused', async () => {
  const started = Date.now();
  const narrow = await expand(['HOST/big/app:semver(>=1.499.98)', 'HOST/big/app:latest(2)', 'HOST/big/app:/^1\\.0\\.[0-2]$/']);
  expect(references(narrow.mentions)).toEqual([
    `${host}/big/app:1.499.98`,
    `${host}/big/app:1.499.99`,
    `${host}/big/app:1.499.99`,
    `${host}/big/app:1.499.98`,
    `${host}/big/app:1.0.0`,
    `${host}/big/app:1.0.1`,
    `${host}/big/app:1.0.2`,
  ]);
  expect(narrow.usage!.requests.tagList).toBe(3 * 50);
  const wide = await expand(['HOST/big/app:*']);
  expect(errors(wide.mentions)).toEqual([
    expect.stringMatching(/the line yields 50000 references \(every tag\), over the 5000 one line may yield; narrow it/),
  ]);
  const capped = await expand(['HOST/big/app:latest(1)'], { ...DEFAULT_EXPANSION_LIMITS, maxTags: 10_000 });
  expect(errors(capped.mentions)).toEqual([expect.stringMatching(/lists more than 10000 tags/)]);
  expect(Date.now() - started).toBeLessThan(20_000);
});

test('a Link that loops or leaves the registry is refused; a closed catalog says what to write instead', async () => {
  mode = 'loop';
  expect(errors((await expand(['HOST/big/app:*'])).mentions)).toEqual([expect.stringMatching(/pages its list in a loop/)]);
  mode = 'elsewhere';
  expect(errors((await expand(['HOST/big/app:*'])).mentions)).toEqual([
    expect.stringMatching(/pages its list to another origin \(http:\/\/elsewhere\.example\); not followed/),
  ]);
  mode = 'closed';
  const closed = await expand(['HOST/team/*']);
  expect(closed.outcomes[0]).toMatchObject({ errorKind: 'unsupported' });
  expect(errors(closed.mentions)).toEqual([
    expect.stringMatching(
      new RegExp(
        `does not list its repositories \\(GET /v2/_catalog answered HTTP 401\\); name each repository on a line of its own, e\\.g\\. ${host.replace(/\./g, '\\.')}/team/app:\\*`,
      ),
    ),
  ]);
  // Docker Hub and GHCR are known closed: no request is spent on them.
  seen.splice(0);
  const hub = await expand(['myorg/*', 'ghcr.io/org/*']);
  expect(errors(hub.mentions)).toEqual([
    expect.stringMatching(/^cannot expand: docker\.io has no open catalog .* e\.g\. docker\.io\/myorg\/app:\*$/),
    expect.stringMatching(/^cannot expand: ghcr\.io has no open catalog/),
  ]);
  expect(hub.usage).toBeUndefined();
  // A repository that does not exist is an error of that line, with the registry's own words.
  mode = 'normal';
  expect(errors((await expand(['HOST/no/such:*'])).mentions)).toEqual([expect.stringMatching(/repository no\/such not found/)]);
});

test("listed names are checked against the grammar before any becomes a request: the valid ones are answered, the rest is the line's error", async () => {
  mode = 'hostile-names';
  const tags = await expand(['HOST/team/api:*', 'HOST/team/*:/^[0-9]/']);
  expect(references(tags.mentions)).toEqual([
    `${host}/team/api:1.0.0`,
    `${host}/team/api:latest`,
    `${host}/team/api:1.0.0`,
    `${host}/team/web:2.0`,
  ]);
  const lineErrors = tags.mentions.filter((m) => m.kind === 'invalid');
  expect(lineErrors.map((m) => [m.origin.line, m.input])).toEqual([
    [1, 'HOST/team/api:*'.replace('HOST', host)],
    [2, 'HOST/team/*:/^[0-9]/'.replace('HOST', host)],
  ]);
  expect(errors(tags.mentions)[0]).toBe(
    `${host} listed names that are not valid, so they were not requested: tags of team/api: 6 ("../../../_catalog", "..", "a/../../b", …)`,
  );
  expect(errors(tags.mentions)[1]).toMatch(
    /^127\.0\.0\.1:\d+ listed names that are not valid, so they were not requested: repositories under team: 3 \("team\/\.\.\/\.\.\/v2\/_catalog", "team\/Upper", "team\/\/web"\); tags of team\/api: 6 /,
  );
  expect(tags.outcomes.map((o) => [o.repositories, o.sources, o.error])).toEqual([
    [1, 2, undefined],
    [2, 2, undefined],
  ]);
  // Only listings were asked for: nothing outside /v2/team/…/tags/list and /v2/_catalog.
  expect(seen.every((r) => /^GET \/v2\/(team\/(api|web)\/tags\/list|_catalog)\?/.test(r))).toBe(true);
});

test('a request path that would leave the repository is refused before it is sent, whoever built it', async () => {
  const c = client();
  for (const tag of ['../../../_catalog', '..', 'a/../../../x']) {
    await expect(c.getManifest(host, 'team/api', tag)).rejects.toThrow(
      /refusing to request .* it is not a path of its \/v2\/ API as written/,
    );
  }
  await expect(c.listTags(host, '../_catalog?x=', { maxNames: 10 })).rejects.toThrow(/refusing to request/);
  expect(seen).toEqual([]);
  expect(otherSeen).toEqual([]);
});

test('a Link to another host, however spelled, ends the line with an error and the credentials never leave the registry', async () => {
  mode = 'login';
  const ok = await expand(['HOST/team/api:*']);
  expect(references(ok.mentions)).toHaveLength(3);
  expect(seen.some((r) => r.startsWith('GET /v2/team/api/tags/list'))).toBe(true);
  for (const spelled of ['slashes', 'relative-host'] as const) {
    mode = spelled;
    const run = await expand(['HOST/big/app:*', 'HOST/team/api:*']);
    expect(run.mentions.filter((m) => m.kind === 'invalid').map((m) => m.origin.line)).toEqual([1]);
    expect(errors(run.mentions)[0]).toMatch(
      spelled === 'slashes'
        ? /refusing to request "\/\/127\.0\.0\.1:\d+\/v2\/big\/app\/tags\/list\?n=1000"/
        : /pages its list to another origin/,
    );
    expect(references(run.mentions)).toHaveLength(3);
  }
  expect(otherSeen).toEqual([]);
});

test('a Link that never repeats and never ends stops at the page bound, an error of that line only', async () => {
  mode = 'endless';
  const run = await expand(['HOST/big/app:*', 'HOST/team/api:*']);
  expect(run.mentions.filter((m) => m.kind === 'invalid').map((m) => m.origin.line)).toEqual([1]);
  expect(errors(run.mentions)).toEqual([expect.stringMatching(/answered more than 1000 pages; the list is not read to its end/)]);
  expect(run.outcomes[0]).toMatchObject({ errorKind: 'too-large' });
  expect(seen.filter((r) => r.startsWith('GET /v2/big/app/tags/list'))).toHaveLength(1000);
});
