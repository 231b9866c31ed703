/**
 * Private source registries through Docker's credential helpers:
 * a registry that wants a Basic login, the login given only by a
 * `docker-credential-*` script on PATH, found through `credHelpers` and
 * through `credsStore`; a missing helper and a failing one are errors naming
 * the helper and send nothing to the registry; no secret appears anywhere.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildImage } from '../../emulator/oci-layout';
import { Report } from '../../scanner/report/report-types';
import { GateProxy, startGateProxy } from '../support/gate-proxy';
import { CliRun, FAKE_AWS, runCli } from '../support/run-cli';
import { SENTINEL_LOGIN, SourceFixture, startSourceFixture } from '../support/source-fixture';

const image = buildImage({ os: 'linux', architecture: 'arm64', files: [{ path: 'private', content: 'only with a login\n' }] });
let fixture: SourceFixture;
let front: GateProxy;
let bin = '';

const helperScript = (host: string) => `#!/bin/sh
[ "$1" = get ] || exit 3
server=$(cat)
if [ "$server" = "${host}" ]; then
  printf '{"ServerURL":"%s","Username":"${SENTINEL_LOGIN.username}","Secret":"${SENTINEL_LOGIN.password}"}' "$server"
else
  echo "credentials not found in native keychain"; exit 1
fi
`;

beforeAll(async () => {
  fixture = await startSourceFixture({ name: 'private-sources', htpasswd: true, pushes: [{ target: image, to: 'team/private:1' }] });
  front = await startGateProxy({ upstream: fixture.registry.url });
  bin = join(fixture.work, 'bin');
  await mkdir(bin);
  const install = async (name: string, script: string) => {
    await writeFile(join(bin, `docker-credential-${name}`), script);
    await chmod(join(bin, `docker-credential-${name}`), 0o755);
  };
  await install('vault', helperScript(fixture.registry.host));
  await install(
    'broken',
    '#!/bin/sh\ncat >/dev/null\necho "error getting credentials - err: exit status 1, out: the keychain is locked" >&2\nexit 1\n',
  );
}, 90_000);

afterAll(async () => {
  await front?.stop();
  await fixture?.stop();
});

interface Scan {
  run: CliRun;
  report: Report;
  outputs: string[];
}

async function scanWith(name: string, config: object, input: string): Promise<Scan> {
  const dir = join(fixture.work, name);
  await mkdir(join(dir, 'docker'), { recursive: true });
  await writeFile(join(dir, 'docker', 'config.json'), JSON.stringify(config));
  await writeFile(join(dir, 'input.txt'), input);
  const out = join(dir, 'out');
  const run = await runCli(['--input', join(dir, 'input.txt'), '--out', out], {
    ...FAKE_AWS,
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: dir,
    DOCKER_CONFIG: join(dir, 'docker'),
    AWS_ENDPOINT_URL_ECR: fixture.ecr.endpoint,
  });
  const outputs = [run.stdout, run.stderr, ...readdirSync(out).map((f) => readFileSync(join(out, f), 'utf8'))];
  return { run, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report, outputs };
}

const SECRETS = [SENTINEL_LOGIN.password, Buffer.from(`${SENTINEL_LOGIN.username}:${SENTINEL_LOGIN.password}`).toString('base64')];
const expectNoSecret = (scan: Scan) => {
  for (const text of scan.outputs) for (const secret of SECRETS) expect(text).not.toContain(secret);
};

test('credHelpers[host]: the helper on PATH gives the login, the source resolves', async () => {
  const scan = await scanWith(
    'cred-helpers',
    { credHelpers: { [fixture.registry.host]: 'vault' } },
    `${fixture.registry.host}/team/private:1\n`,
  );
  expect(scan.run.code).toBe(0);
  expect(scan.report.sources[0]).toMatchObject({ status: 'absent', images: [{ platform: 'linux/arm64', imageId: image.configDigest }] });
  expectNoSecret(scan);
});

test('credsStore (as Docker Desktop writes it, with an empty auths entry): the store gives the login', async () => {
  const scan = await scanWith(
    'creds-store',
    { auths: { [fixture.registry.host]: {} }, credsStore: 'vault' },
    `${fixture.registry.host}/team/private:1\n`,
  );
  expect(scan.run.code).toBe(0);
  expect(scan.report.sources[0]).toMatchObject({ status: 'absent', images: [{ imageId: image.configDigest }] });
  expectNoSecret(scan);
});

test('a missing helper and a failing helper: errors naming the helper, and nothing is sent to the registry', async () => {
  front.clear();
  const port = front.port;
  const scan = await scanWith(
    'failing-helpers',
    { credHelpers: { [`127.0.0.1:${port}`]: 'not-installed', [`localhost:${port}`]: 'broken' } },
    `127.0.0.1:${port}/team/private:1\nlocalhost:${port}/team/private:1\n`,
  );
  expect(scan.run.code).toBe(1);
  const [missing, failing] = scan.report.sources;
  expect(missing).toMatchObject({ status: 'error', errorKind: 'credentials' });
  expect(missing!.error).toMatch(/docker-credential-not-installed is not installed \(not found on PATH\) \(credHelpers\["127.0.0.1:\d+"\]/);
  expect(failing).toMatchObject({ status: 'error', errorKind: 'credentials' });
  expect(failing!.error).toMatch(/docker-credential-broken failed \(exit 1\): error getting credentials .*keychain is locked/);
  // Never a silent anonymous attempt instead.
  expect(front.requests).toEqual([]);
  expectNoSecret(scan);
});

test('without any login the registry refuses, and the report says where credentials would come from', async () => {
  const scan = await scanWith('no-login', {}, `${fixture.registry.host}/team/private:1\n`);
  expect(scan.run.code).toBe(1);
  expect(scan.report.sources[0]).toMatchObject({ status: 'error', errorKind: 'unauthorized' });
  expect(scan.report.sources[0]!.error).toMatch(/requires a login \(Basic auth\)/);
});
