/** Docker's credential order and helper protocol, ECR hosts, rate-limit headers and registry error bodies. */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialError } from '../../scanner/registry/credentials';
import { runCredentialHelper } from '../../scanner/registry/credential-helper';
import { HelperRunner, parseDockerConfig } from '../../scanner/registry/docker-config';
import { kindOfCode, parseRegistryError } from '../../scanner/registry/error-body';
import { describeReset, isAllowanceSpent, parseRateLimit } from '../../scanner/registry/rate-limit';

const basic = (user: string, pass: string) => Buffer.from(`${user}:${pass}`).toString('base64');

describe("Docker's credential order", () => {
  const calls: Array<[string, string]> = [];
  const helpers: Record<string, HelperRunner> = {};
  const runHelper: HelperRunner = (name, server) => {
    calls.push([name, server]);
    const helper = helpers[name];
    if (!helper)
      return Promise.reject(new CredentialError(`credential helper docker-credential-${name} is not installed (not found on PATH)`));
    return helper(name, server);
  };
  helpers.pass = async () => ({ found: true, username: 'from-pass', secret: 'pass-secret' });
  helpers.desktop = async (_n, server) =>
    server === 'https://index.docker.io/v1/' ? { found: true, username: 'hub-user', secret: 'hub-secret' } : { found: false };
  helpers.token = async () => ({ found: true, username: '<token>', secret: 'refresh' });
  beforeEach(() => calls.splice(0));

  const config = (doc: object) => parseDockerConfig(JSON.stringify(doc), '/home/u/.docker/config.json', runHelper);

  test('credHelpers[host] comes first, then credsStore, then auths', async () => {
    const c = config({
      credHelpers: { 'registry.example.com': 'pass' },
      credsStore: 'desktop',
      auths: { 'registry.example.com': { auth: basic('file', 'file-secret') }, 'other.example.com': { auth: basic('o', 'p') } },
    });
    await expect(c.lookup('registry.example.com')).resolves.toMatchObject({ username: 'from-pass', password: 'pass-secret' });
    // credsStore answers for every other host; its "not found" is anonymous, not a fall-back to auths.
    await expect(c.lookup('other.example.com')).resolves.toBeUndefined();
    expect(calls).toEqual([
      ['pass', 'registry.example.com'],
      ['desktop', 'other.example.com'],
    ]);
  });

  test('Docker Desktop: credsStore "desktop" with empty auths entries still gives the Docker Hub login', async () => {
    const c = config({ auths: { 'https://index.docker.io/v1/': {} }, credsStore: 'desktop' });
    expect(c.warnings).toEqual([]);
    await expect(c.lookup('docker.io')).resolves.toEqual({
      username: 'hub-user',
      password: 'hub-secret',
      source: 'credential helper docker-credential-desktop',
    });
    expect(calls).toEqual([['desktop', 'https://index.docker.io/v1/']]);
  });

  test('auths alone, with auth or username/password; aliases of Docker Hub', async () => {
    const c = config({
      auths: {
        'https://index.docker.io/v1/': { auth: basic('alice', 'p@ss:word') },
        'r.example:5000': { username: 'bob', password: 'pw' },
      },
    });
    await expect(c.lookup('docker.io')).resolves.toMatchObject({ username: 'alice', password: 'p@ss:word' });
    await expect(c.lookup('R.Example:5000')).resolves.toMatchObject({ username: 'bob', password: 'pw' });
    await expect(c.lookup('ghcr.io')).resolves.toBeUndefined();
    expect(calls).toEqual([]);
  });

  test('a missing helper is an error naming the helper, where it was configured and for which host', async () => {
    const c = config({ credHelpers: { 'quay.io': 'gone' } });
    await expect(c.lookup('quay.io')).rejects.toThrow(
      /docker-credential-gone is not installed .*credHelpers\["quay.io"\] in \/home\/u\/.docker\/config.json, for quay.io/,
    );
    await expect(c.lookup('quay.io')).rejects.toMatchObject({ kind: 'credentials' });
    expect(calls).toHaveLength(1); // asked once per host and run
  });

  test('an identity token is refused with a way out, not sent as a password', async () => {
    await expect(config({ credsStore: 'token' }).lookup('example.azurecr.io')).rejects.toThrow(/identity token .* access token/);
  });

  test('namesHost: only helpers and auths entries name a host, a global store does not', () => {
    const c = config({ credsStore: 'desktop', credHelpers: { 'a.example': 'pass' }, auths: { 'b.example': {} } });
    expect([c.namesHost('a.example'), c.namesHost('b.example'), c.namesHost('c.example')]).toEqual([true, true, false]);
  });

  test('invalid JSON is a warning, never a crash or a secret', () => {
    const c = parseDockerConfig('{"auths": {"x": {"auth": "c2VjcmV0"', '/c.json', runHelper);
    expect(c.warnings).toEqual(['/c.json is not valid JSON; continuing without registry credentials']);
  });
});

describe('the docker-credential-* protocol, with real helper scripts on PATH', () => {
  let bin = '';
  const env = () => ({ PATH: `${bin}:/usr/bin:/bin` });
  const helper = async (name: string, script: string) => {
    const path = join(bin, `docker-credential-${name}`);
    await writeFile(path, `#!/bin/sh\n${script}\n`);
    await chmod(path, 0o755);
  };
  beforeAll(async () => {
    bin = await mkdtemp(join(tmpdir(), 'helpers-'));
    await helper(
      'ok',
      `[ "$1" = get ] || exit 3\nserver=$(cat)\nprintf '{"ServerURL":"%s","Username":"u-%s","Secret":"s3ntinel-helper-secret"}' "$server" "$server"`,
    );
    await helper('none', `cat >/dev/null\necho "credentials not found in native keychain"\nexit 1`);
    await helper('broken', `cat >/dev/null\necho "error getting credentials - err: exit status 1, out: keychain locked" >&2\nexit 1`);
    await helper('garbled', `cat >/dev/null\necho 'not json'`);
  });
  afterAll(() => rm(bin, { recursive: true, force: true }));

  test('found: the server address reaches stdin, the answer comes back', async () => {
    await expect(runCredentialHelper('ok', 'registry.example.com', env())).resolves.toEqual({
      found: true,
      username: 'u-registry.example.com',
      secret: 's3ntinel-helper-secret',
    });
  });
  test('"credentials not found" means anonymous', async () => {
    await expect(runCredentialHelper('none', 'x', env())).resolves.toEqual({ found: false });
  });
  test('a failing helper is an error with its own first line', async () => {
    await expect(runCredentialHelper('broken', 'x', env())).rejects.toThrow(
      /docker-credential-broken failed \(exit 1\): error getting credentials .* keychain locked/,
    );
  });
  test('a missing helper says it is not on PATH', async () => {
    await expect(runCredentialHelper('absent', 'x', env())).rejects.toThrow(
      /docker-credential-absent is not installed \(not found on PATH\)/,
    );
  });
  test('an answer that is not JSON is an error; a helper name that walks the file system is refused', async () => {
    await expect(runCredentialHelper('garbled', 'x', env())).rejects.toThrow(/not JSON/);
    await expect(runCredentialHelper('../../bin/sh', 'x', env())).rejects.toThrow(/invalid credential helper name/);
  });
});

describe('rate-limit headers', () => {
  const h = (entries: Record<string, string>) => new Headers(entries);
  test("Docker Hub's form", () => {
    expect(parseRateLimit(h({ 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '97;w=21600' }))).toEqual({
      limit: 100,
      remaining: 97,
      windowSeconds: 21600,
    });
    expect(parseRateLimit(h({ 'ratelimit-limit': '100' }))).toBeUndefined();
  });
  test('a 429 with 0 remaining is a spent allowance; a 429 without the headers is only "slow down"', () => {
    expect(isAllowanceSpent(429, h({ 'ratelimit-limit': '10;w=3600', 'ratelimit-remaining': '0;w=3600' }))).toBe(true);
    expect(isAllowanceSpent(429, h({}))).toBe(false);
    expect(isAllowanceSpent(200, h({ 'ratelimit-limit': '10', 'ratelimit-remaining': '0' }))).toBe(false);
  });
  test('when it resets: Retry-After first, else the window', () => {
    const now = Date.parse('2026-12-03T10:00:00Z');
    expect(describeReset(h({ 'retry-after': '120' }), undefined, now)).toBe('it resets at 2026-12-03T10:02:00Z');
    expect(describeReset(h({}), { limit: 10, remaining: 0, windowSeconds: 3600 }, now)).toBe(
      'it resets within 3600 s (by 2026-12-03T11:00:00Z)',
    );
    expect(describeReset(h({}), undefined, now)).toBe('the registry did not say when it resets');
  });
});

describe('registry error bodies', () => {
  test('the first code and a one-line message; codes map to kinds', () => {
    const body = Buffer.from(JSON.stringify({ errors: [{ code: 'DENIED', message: 'requested access\nto the resource is denied' }] }));
    expect(parseRegistryError(body)).toEqual({ code: 'DENIED', message: 'requested access to the resource is denied' });
    expect(kindOfCode('MANIFEST_UNKNOWN')).toBe('not-found');
    expect(kindOfCode('TOOMANYREQUESTS')).toBe('rate-limited');
    expect(kindOfCode('SOMETHING_ELSE')).toBeUndefined();
  });
  test('anything else is not an error document', () => {
    for (const text of ['', 'not json', '{"errors": []}', '{"errors": [{"code": "lower case"}]}']) {
      expect(parseRegistryError(Buffer.from(text))).toBeUndefined();
    }
  });
});
