/**
 * Amazon ECR as a source. Another account's ECR registry is read as
 * docker-credential-ecr-login would: GetAuthorizationToken (answered by the
 * ECR emulator, whose proxyEndpoint points at a local registry that wants
 * exactly that login), then the registry API. A source in the scanned
 * registry itself is answered from the inventory and makes no registry call.
 * The ECR host names in the input are never connected to: every request goes
 * to the proxyEndpoint on loopback, which the counting front door proves.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildImage, writeOciLayout } from '../../emulator/oci-layout';
import { Report } from '../../scanner/report/report-types';
import { GateProxy, startGateProxy } from '../support/gate-proxy';
import { RegistryHandle, startRegistry } from '../support/registry';
import { CliRun, FAKE_AWS, runCli } from '../support/run-cli';
import { pushLayout } from '../support/skopeo';
import { SENTINEL_LOGIN, SourceFixture, startSourceFixture } from '../support/source-fixture';

const image = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'ecr', content: 'in two accounts\n' }] });
const SCANNED = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
// Same region: the emulator checks that a request's signature is scoped to its own region, as ECR does.
const OTHER_ACCOUNT = '210987654321.dkr.ecr.us-east-1.amazonaws.com';

let fixture: SourceFixture; // the scanned account's ECR, holding `app`
let otherAccount: RegistryHandle; // stands in for the other account's registry API
let front: GateProxy;
let run: CliRun;
let report: Report;
let outputs: string[];

beforeAll(async () => {
  fixture = await startSourceFixture({
    name: 'ecr-source',
    pushes: [{ target: image, to: 'team/app:1' }],
    ecr: [{ repository: 'team/app', ecrRepository: 'app' }],
    ecrOptions: { authorization: { username: SENTINEL_LOGIN.username, password: SENTINEL_LOGIN.password, proxyEndpoint: 'set below' } },
  });
  otherAccount = await startRegistry({ htpasswd: SENTINEL_LOGIN });
  await writeOciLayout(join(fixture.work, 'layout'), [{ tag: 'x', target: image }]);
  await pushLayout({
    layoutDir: join(fixture.work, 'layout'),
    tag: 'x',
    destination: `${otherAccount.host}/team/app:1`,
    credentials: SENTINEL_LOGIN,
  });
  front = await startGateProxy({ upstream: otherAccount.url });
  fixture.ecr.setAuthorization({ proxyEndpoint: front.url });

  const dir = join(fixture.work, 'scan');
  await mkdir(join(dir, 'docker'), { recursive: true });
  await writeFile(
    join(dir, 'input.txt'),
    `${OTHER_ACCOUNT}/team/app:1\n${SCANNED}/app:1\n${SCANNED}/app:nope\n${OTHER_ACCOUNT}/team/app@${image.manifestDigest}\n`,
  );
  run = await runCli(['--input', join(dir, 'input.txt'), '--out', join(dir, 'out')], {
    ...FAKE_AWS,
    HOME: dir,
    DOCKER_CONFIG: join(dir, 'docker'),
    AWS_ENDPOINT_URL_ECR: fixture.ecr.endpoint,
  });
  report = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8')) as Report;
  if (process.env.DEBUG_SCAN) process.stdout.write(run.stderr + JSON.stringify(report.sources, null, 1));
  outputs = [run.stdout, run.stderr, ...readdirSync(join(dir, 'out')).map((f) => readFileSync(join(dir, 'out', f), 'utf8'))];
}, 90_000);

afterAll(async () => {
  await front?.stop();
  await otherAccount?.stop();
  await fixture?.stop();
});

test("another account's ECR: one GetAuthorizationToken, then the manifest through its proxyEndpoint", () => {
  expect(run.code).toBe(1);
  const [cross, , , pinned] = report.sources;
  expect(cross).toMatchObject({
    status: 'present',
    digest: image.manifestDigest,
    images: [{ platform: 'linux/amd64', imageId: image.configDigest, matches: [{ repository: 'app', matchedBy: 'manifest' }] }],
  });
  expect(pinned).toMatchObject({ status: 'present', digest: image.manifestDigest });
  expect(fixture.ecr.calls.GetAuthorizationToken).toBe(1);
  expect(front.requests.length).toBeGreaterThan(0);
  expect(front.requests.every((r) => r.path.startsWith('/v2/team/app/'))).toBe(true);
  expect(report.registries).toEqual([{ host: OTHER_ACCOUNT, requests: expect.objectContaining({ manifestHead: expect.any(Number) }) }]);
});

test('a source in the scanned registry is answered from the inventory, with no registry call', () => {
  const [, same, missing] = report.sources;
  expect(same).toMatchObject({
    status: 'present',
    digest: image.manifestDigest,
    images: [{ platform: 'unknown', imageId: image.configDigest, matches: [{ uri: `${SCANNED}/app:1`, matchedBy: 'manifest' }] }],
  });
  expect(missing).toMatchObject({ status: 'error', errorKind: 'not-found' });
  expect(missing!.error).toMatch(/tag nope not found in .*\/app \(the scanned ECR registry\)/);
  expect(report.registries!.map((r) => r.host)).toEqual([OTHER_ACCOUNT]);
});

test('the ECR token never appears in any output', () => {
  for (const text of outputs) expect(text).not.toContain(SENTINEL_LOGIN.password);
});
