/**
 * Secrets never leave: sentinel values planted as a registry
 * password, Bearer tokens, config.json auth entries and AWS keys must not
 * appear in stdout, stderr or any report file, local or uploaded, on success
 * and failure paths alike. And TLS verification is on for every host that is
 * not loopback or named by --insecure-registry.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpRequest } from '../../scanner/registry/http';
import { EcrEmulator, loadFromRegistry, startEcrEmulator } from '../../emulator/ecr/emulator';
import { GateProxy, startGateProxy } from '../support/gate-proxy';
import { buildImage, writeOciLayout } from '../../emulator/oci-layout';
import { REGISTRY_TEST_PASSWORD, REGISTRY_TEST_USERNAME, RegistryHandle, startRegistry } from '../support/registry';
import { FAKE_AWS, FAKE_AWS_KEYS, REPO_ROOT, runCli, runProcess, CliRun } from '../support/run-cli';
import { S3ServerHandle, startS3Server } from '../support/s3-server';
import { pushLayout } from '../support/skopeo';
import { startTokenServer, TOKEN_PREFIX, TokenServer } from '../support/token-server';

const image = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'secret-test', content: 'x\n' }] });
const credentials = { username: REGISTRY_TEST_USERNAME, password: REGISTRY_TEST_PASSWORD };
const WRONG_PASSWORD = 's3ntinel-wrong-pass-51e0';

let work = '';
let plain: RegistryHandle;
let locked: RegistryHandle;
let tokens: TokenServer;
let gated: GateProxy;
let refusing: GateProxy;
let refusingTokens: TokenServer;
let ecr: EcrEmulator;
let s3: S3ServerHandle;
let run: CliRun;
let configJson = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'secrets-'));
  await writeOciLayout(join(work, 'layout'), [{ tag: 'app', target: image }]);
  plain = await startRegistry();
  locked = await startRegistry({ htpasswd: credentials });
  await pushLayout({ layoutDir: join(work, 'layout'), tag: 'app', destination: `${plain.host}/team/app:1` });
  await pushLayout({ layoutDir: join(work, 'layout'), tag: 'app', destination: `${locked.host}/team/app:1`, credentials });
  // A Bearer registry whose token server wants the sentinel credentials, and one that refuses them.
  tokens = await startTokenServer({ basicAuth: credentials });
  gated = await startGateProxy({ upstream: plain.url, bearer: tokens });
  refusingTokens = await startTokenServer({ basicAuth: { username: REGISTRY_TEST_USERNAME, password: 'something-else' } });
  refusing = await startGateProxy({ upstream: plain.url, bearer: refusingTokens });
  ecr = await startEcrEmulator({ repositories: await loadFromRegistry(plain.url, [{ repository: 'team/app', ecrRepository: 'app' }]) });
  s3 = await startS3Server(['reports'], [FAKE_AWS_KEYS]);

  const dockerDir = join(work, 'docker');
  await mkdir(dockerDir);
  const auth = (user: string, pass: string) => Buffer.from(`${user}:${pass}`).toString('base64');
  configJson = JSON.stringify({
    auths: {
      [locked.host]: { auth: auth(REGISTRY_TEST_USERNAME, REGISTRY_TEST_PASSWORD) },
      [gated.host]: { username: REGISTRY_TEST_USERNAME, password: REGISTRY_TEST_PASSWORD },
      [refusing.host]: { auth: auth(REGISTRY_TEST_USERNAME, WRONG_PASSWORD) },
    },
  });
  await writeFile(join(dockerDir, 'config.json'), configJson);
  const input = join(work, 'input.txt');
  await writeFile(
    input,
    [`${locked.host}/team/app:1`, `${gated.host}/team/app:1`, `${refusing.host}/team/app:1`, `${locked.host}/team/app:missing`, ''].join(
      '\n',
    ),
  );
  run = await runCli(['--input', input, '--out', join(work, 'out'), '--s3-uri', 's3://reports/r/'], {
    ...FAKE_AWS,
    HOME: work,
    DOCKER_CONFIG: dockerDir,
    AWS_ENDPOINT_URL_ECR: ecr.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
  });
}, 90_000);

afterAll(async () => {
  await Promise.allSettled([gated, refusing, tokens, refusingTokens, ecr, s3, plain, locked].map((s) => s?.stop()));
  await rm(work, { recursive: true, force: true });
});

test('the scan used the credentials: Basic and Bearer sources are present, the refused one is an error', async () => {
  expect(run.code).toBe(1);
  const report = JSON.parse(await readFile(join(work, 'out', 'report.json'), 'utf8'));
  expect(report.sources.map((s: { status: string }) => s.status)).toEqual(['present', 'present', 'error', 'error']);
  expect(report.sources[2].error).toMatch(/token server .* refused the credentials from config.json .*HTTP 401/);
  expect(tokens.issuedCount).toBeGreaterThan(0);
});

test('no sentinel appears in stdout, stderr or any report file, local or uploaded', async () => {
  const sentinels = [
    REGISTRY_TEST_PASSWORD,
    WRONG_PASSWORD,
    Buffer.from(`${REGISTRY_TEST_USERNAME}:${REGISTRY_TEST_PASSWORD}`).toString('base64'),
    Buffer.from(`${REGISTRY_TEST_USERNAME}:${WRONG_PASSWORD}`).toString('base64'),
    TOKEN_PREFIX,
    FAKE_AWS.AWS_SECRET_ACCESS_KEY,
    FAKE_AWS.AWS_ACCESS_KEY_ID,
  ];
  const local = readdirSync(join(work, 'out')).map((f) => readFileSync(join(work, 'out', f), 'utf8'));
  const uploaded = readdirSync(join(s3.directory), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), 'utf8'));
  // The report's five files and the plan's three: copy.sh and plan.json hold references too.
  expect(local).toHaveLength(8);
  expect(uploaded.length).toBeGreaterThanOrEqual(8);
  const haystacks = {
    stdout: run.stdout,
    stderr: run.stderr,
    ...Object.fromEntries(local.map((t, i) => [`local-${i}`, t])),
    ...Object.fromEntries(uploaded.map((t, i) => [`s3-${i}`, t])),
  };
  for (const [where, text] of Object.entries(haystacks)) {
    for (const secret of sentinels) {
      if (text.includes(secret)) throw new Error(`${where} contains the sentinel ${secret}`);
    }
  }
  // The config file itself held them all, so the search is not vacuous.
  expect(sentinels.filter((s) => configJson.includes(s)).length).toBeGreaterThanOrEqual(3);
});

describe('TLS', () => {
  let server: Server;
  let port = 0;
  let hits = 0;
  beforeAll(async () => {
    const dir = join(work, 'tls');
    await mkdir(dir, { recursive: true });
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { stdio: 'ignore' },
      );
    } catch (err) {
      throw new Error(`the TLS test needs the openssl command (Debian package openssl): ${(err as Error).message}`, { cause: err });
    }
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
      hits++;
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  test('a certificate no CA vouches for is refused, with a TLS message', async () => {
    await expect(httpRequest(new URL(`https://127.0.0.1:${port}/v2/`), { timeoutMs: 5000, maxBytes: 1024 })).rejects.toMatchObject({
      kind: 'tls',
      message: expect.stringMatching(/TLS verification failed for 127\.0\.0\.1:\d+: SELF_SIGNED|DEPTH_ZERO/),
    });
    expect(hits).toBe(0);
  });

  test('a private CA given with NODE_EXTRA_CA_CERTS is trusted, with verification still on', async () => {
    const code = `require('./scanner/registry/http').httpRequest(new URL('https://127.0.0.1:${port}/v2/'), { timeoutMs: 5000, maxBytes: 1024 }).then((r) => console.log('status', r.status), (e) => console.log('failed', e.kind))`;
    const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
    const trusted = await runProcess(tsx, ['-e', code], { cwd: REPO_ROOT, env: { NODE_EXTRA_CA_CERTS: join(work, 'tls', 'cert.pem') } });
    expect(trusted.stdout.trim()).toBe('status 200');
    const untrusted = await runProcess(tsx, ['-e', code], { cwd: REPO_ROOT, env: {} });
    expect(untrusted.stdout.trim()).toBe('failed tls');
  });

  test('the scanner never turns verification off', () => {
    const grep = spawnSync(
      'grep',
      ['-rlE', 'rejectUnauthorized|NODE_TLS_REJECT_UNAUTHORIZED|checkServerIdentity|insecureHTTPParser', join(REPO_ROOT, 'scanner')],
      { encoding: 'utf8' },
    );
    // grep exits 1 when nothing matches, 2 on error.
    expect({ status: grep.status, files: grep.stdout.trim() }).toEqual({ status: 1, files: '' });
  });
});
