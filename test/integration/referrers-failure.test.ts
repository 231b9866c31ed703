/**
 * A source's referrers that cannot be listed: the lookup says why and of what kind (report.json's
 * `referrersError` and `referrersErrorKind`), so this failure carries an errorKind as every other does.
 * An in-process registry on 127.0.0.1 answers its referrers API with the status the test sets.
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { registryAccessResolver } from '../../scanner/registry/access';
import { RegistryClient } from '../../scanner/registry/client';
import { RegistryEndpoints } from '../../scanner/registry/endpoint';
import { ReferrerFinder } from '../../scanner/source/referrers';

const SUBJECT = `sha256:${'a'.repeat(64)}`;
let server: Server;
let host = '';
let status = 500;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(req.url === '/v2/' ? 200 : status, { 'content-type': 'application/json' });
    res.end(req.url === '/v2/' || status !== 403 ? '{}' : '{"errors":[{"code":"DENIED","message":"no"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function finder(): ReferrerFinder {
  const endpoints = new RegistryEndpoints();
  return new ReferrerFinder(
    new RegistryClient({
      access: registryAccessResolver({ dockerConfig: { lookup: async () => undefined, namesHost: () => false }, endpoints }),
      endpoints,
      concurrencyPerHost: 2,
      timeoutMs: 5000,
      retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    }),
  );
}

test.each([
  [500, 'server'],
  [403, 'denied'],
])('a referrers API answering %i: the lookup fails with errorKind %s, and no referrer is claimed', async (answer, kind) => {
  status = answer;
  const found = await finder().find(host, 'team/app', SUBJECT);
  expect(found).toEqual({ referrers: [], error: expect.stringMatching(/^cannot list its referrers: /), errorKind: kind });
});
