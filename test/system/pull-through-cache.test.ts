/**
 * The pull-through cache suggestion end to end: the real CLI against docker-registry and the ECR
 * emulator, with sources in another account's ECR registry (an upstream ECR's pull-through cache
 * supports, reached through the emulator's proxyEndpoint on loopback, as in ecr-source.test.ts).
 * With a rule for that upstream, a match under its prefix is marked a cache and the absent source's
 * cache path uses the rule; with both settings calls denied, the run warns on stderr and in
 * plan.json, suggests the default prefix with the command to create the rule, and goes on.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildImage, writeOciLayout } from '../../emulator/oci-layout';
import { MigrationPlanJson } from '../../scanner/plan/plan-json';
import { Report } from '../../scanner/report/report-types';
import { RegistryHandle, startRegistry } from '../support/registry';
import { CliRun, FAKE_AWS, runCli } from '../support/run-cli';
import { pushLayout } from '../support/skopeo';
import { SENTINEL_LOGIN, SourceFixture, startSourceFixture } from '../support/source-fixture';

const base = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'base', content: 'cached already\n' }] });
const app = buildImage({ os: 'linux', architecture: 'amd64', files: [{ path: 'app', content: 'not in ECR yet\n' }] });
const SCANNED = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
// Same region: the emulator checks that a request's signature is scoped to its own region, as ECR does.
const UPSTREAM = '210987654321.dkr.ecr.us-east-1.amazonaws.com';

let fixture: SourceFixture; // the scanned account's ECR: `cache/team/base`, pulled through the rule `cache`
let upstream: RegistryHandle; // stands in for the other account's registry API

interface Outcome {
  run: CliRun;
  report: Report;
  plan: MigrationPlanJson;
  files: Record<string, string>;
}

async function scan(name: string): Promise<Outcome> {
  const dir = join(fixture.work, name);
  await mkdir(join(dir, 'docker'), { recursive: true });
  await writeFile(join(dir, 'input.txt'), `${UPSTREAM}/team/base:1\n${UPSTREAM}/team/app:1\n`);
  const run = await runCli(['--input', join(dir, 'input.txt'), '--out', join(dir, 'out')], {
    ...FAKE_AWS,
    HOME: dir,
    DOCKER_CONFIG: join(dir, 'docker'),
    AWS_ENDPOINT_URL_ECR: fixture.ecr.endpoint,
  });
  const files: Record<string, string> = {};
  for (const f of ['report.json', 'plan.json', 'report.md', 'copy.sh']) files[f] = readFileSync(join(dir, 'out', f), 'utf8');
  return { run, report: JSON.parse(files['report.json']!) as Report, plan: JSON.parse(files['plan.json']!) as MigrationPlanJson, files };
}

beforeAll(async () => {
  fixture = await startSourceFixture({
    name: 'pull-through-cache',
    pushes: [{ target: base, to: 'team/base:1' }],
    ecr: [{ repository: 'team/base', ecrRepository: 'cache/team/base' }],
    ecrOptions: {
      authorization: { username: SENTINEL_LOGIN.username, password: SENTINEL_LOGIN.password, proxyEndpoint: 'set below' },
      pullThroughCacheRules: [{ ecrRepositoryPrefix: 'cache', upstreamRegistryUrl: UPSTREAM }],
      accountSettings: { BLOB_MOUNTING: 'ENABLED' },
    },
  });
  upstream = await startRegistry({ htpasswd: SENTINEL_LOGIN });
  for (const [name, image] of [
    ['base', base],
    ['app', app],
  ] as const) {
    await writeOciLayout(join(fixture.work, `layout-${name}`), [{ tag: 'x', target: image }]);
    await pushLayout({
      layoutDir: join(fixture.work, `layout-${name}`),
      tag: 'x',
      destination: `${upstream.host}/team/${name}:1`,
      credentials: SENTINEL_LOGIN,
    });
  }
  fixture.ecr.setAuthorization({ proxyEndpoint: upstream.url });
}, 90_000);

afterAll(async () => {
  await upstream?.stop();
  await fixture?.stop();
});

test('with a rule for the upstream: the match under its prefix is a cache, the absent source’s cache path uses the rule', async () => {
  fixture.ecr.setFaults('DescribePullThroughCacheRules', undefined);
  fixture.ecr.setFaults('GetAccountSetting', undefined);
  const { run, report, plan, files } = await scan('with-rule');
  expect(run.code).toBe(0);
  expect(run.stderr).not.toMatch(/DescribePullThroughCacheRules|GetAccountSetting/);
  expect(report.sources.map((s) => s.status)).toEqual(['present', 'absent']);
  expect(report.sources[0]!.images[0]!.matches).toEqual([
    expect.objectContaining({ repository: 'cache/team/base', pullThroughCache: true }),
  ]);
  expect(plan.copies.map((c) => c.pullThroughCache)).toEqual([{ prefix: 'cache', uri: `${SCANNED}/cache/team/app:1`, ruleExists: true }]);
  expect(plan.pullThroughCache).toEqual({
    rules: [{ prefix: 'cache', upstreamRegistryUrl: UPSTREAM, credentials: null, exists: true, copies: 1, bytes: expect.any(Number) }],
  });
  expect(plan.transfer).toMatchObject({ blobMounting: 'ENABLED', warnings: [] });
  expect(files['report.md']).toContain('## Pull-through cache instead of a copy');
  expect(files['report.md']).not.toContain('aws ecr create-pull-through-cache-rule');
  expect(files['copy.sh']).toContain("echo 'copy.sh: target registry BLOB_MOUNTING: ENABLED'");
}, 60_000);

test('both settings calls denied: a warning on stderr and in plan.json, the default prefix and the command to create it', async () => {
  fixture.ecr.setFaults('DescribePullThroughCacheRules', { code: 'AccessDeniedException' });
  fixture.ecr.setFaults('GetAccountSetting', { code: 'AccessDeniedException' });
  const { run, report, plan, files } = await scan('denied');
  expect(run.code).toBe(0);
  expect(run.stderr).toMatch(/^warning: ECR DescribePullThroughCacheRules was denied \(the scanner needs the IAM permission/m);
  expect(run.stderr).toMatch(/^warning: ECR GetAccountSetting was denied/m);
  expect(plan.transfer?.blobMounting).toBe('unknown');
  expect(plan.transfer?.warnings).toEqual([
    expect.stringMatching(/^ECR DescribePullThroughCacheRules was denied/),
    expect.stringMatching(/^ECR GetAccountSetting was denied/),
  ]);
  // The rules unknown: no match is marked a cache, and the suggestion is the default prefix.
  expect(report.sources[0]!.images[0]!.matches[0]!.pullThroughCache).toBeUndefined();
  expect(plan.copies[0]!.pullThroughCache).toEqual({
    prefix: 'ecr-210987654321',
    uri: `${SCANNED}/ecr-210987654321/team/app:1`,
    ruleExists: false,
  });
  expect(files['report.md']).toContain(
    `aws ecr create-pull-through-cache-rule --ecr-repository-prefix ecr-210987654321 --upstream-registry-url ${UPSTREAM} --custom-role-arn '<ARN of an IAM role that may pull from the upstream registry>' --region us-east-1`,
  );
  expect(files['copy.sh']).toMatch(/echo 'copy\.sh: warning: ECR DescribePullThroughCacheRules was denied/);
}, 60_000);
