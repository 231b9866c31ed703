/**
 * The scanner's two calls on the plan's target registry (DescribePullThroughCacheRules and
 * GetAccountSetting BLOB_MOUNTING) against the ECR emulator, through the scanner's own ECR client
 * (its JSON codec included): rules present and absent, denied, unknown to an older endpoint, and a
 * China region where nothing is asked; then a whole scan, where a denial is a warning on stderr and
 * in plan.json's transfer.warnings and the run goes on.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { EcrEmulator, EcrEmulatorOptions } from '../../emulator/ecr/emulator';
import { PlainJsonProtocol } from '../../scanner/ecr/plain-json-protocol';
import { readTargetRegistrySettings } from '../../scanner/ecr/registry-settings';
import { MigrationPlanJson } from '../../scanner/plan/plan-json';
import { EMULATOR_CREDENTIALS, sampleContent, suiteEmulators } from '../support/emulator-content';
import { scanOnce } from '../support/scan-harness';

const { emulator } = suiteEmulators();
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/hub-AbCdEf';

const clients: ECRClient[] = [];
afterAll(() => clients.forEach((c) => c.destroy()));

/** The scanner's client setup (scanner/aws-clients.ts): its own JSON codec, pointed at the emulator. */
function scannerClient(ecr: EcrEmulator): ECRClient {
  const c = new ECRClient({
    region: ecr.region,
    credentials: EMULATOR_CREDENTIALS,
    endpoint: ecr.endpoint,
    maxAttempts: 2,
    protocol: PlainJsonProtocol,
  });
  clients.push(c);
  return c;
}

async function settingsFrom(options: EcrEmulatorOptions) {
  const ecr = await emulator(options);
  const settings = await readTargetRegistrySettings(scannerClient(ecr));
  return { ecr, settings };
}

test('rules present and BLOB_MOUNTING enabled: one call each, the rules as ECR lists them', async () => {
  const { ecr, settings } = await settingsFrom({
    pullThroughCacheRules: [
      { ecrRepositoryPrefix: 'hub', upstreamRegistryUrl: 'registry-1.docker.io', credentialArn: SECRET },
      { ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'quay.io' },
    ],
    accountSettings: { BLOB_MOUNTING: 'ENABLED' },
  });
  expect(settings).toEqual({
    region: 'us-east-1',
    blobMounting: 'ENABLED',
    pullThroughCacheAvailable: true,
    pullThroughCacheRules: [
      { ecrRepositoryPrefix: 'hub', upstreamRegistryUrl: 'registry-1.docker.io', credentialArn: SECRET },
      { ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'quay.io' },
    ],
    warnings: [],
  });
  expect([ecr.calls.DescribePullThroughCacheRules, ecr.calls.GetAccountSetting]).toEqual([1, 1]);
});

test('no rules, the setting never put: none, DISABLED, no warning', async () => {
  const { settings } = await settingsFrom({});
  expect(settings).toMatchObject({ blobMounting: 'DISABLED', pullThroughCacheRules: [], warnings: [] });
});

test('both denied: a warning each that names the IAM action and what is assumed', async () => {
  const { settings } = await settingsFrom({
    pullThroughCacheRules: [{ ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'quay.io' }],
    faults: { DescribePullThroughCacheRules: { code: 'AccessDeniedException' }, GetAccountSetting: { code: 'AccessDeniedException' } },
  });
  expect(settings.blobMounting).toBe('unknown');
  expect(settings.pullThroughCacheRules).toEqual([]);
  expect(settings.warnings).toEqual([
    expect.stringMatching(
      /^ECR DescribePullThroughCacheRules was denied \(the scanner needs the IAM permission ecr:DescribePullThroughCacheRules\); existing pull-through cache rules are unknown, the default prefixes are suggested\. AWS said: User: .* is not authorized/,
    ),
    expect.stringMatching(
      /^ECR GetAccountSetting was denied \(the scanner needs the IAM permission ecr:GetAccountSetting\); blob mounting is taken as unknown\./,
    ),
  ]);
});

test('an older endpoint that does not know the operations: said so, defaults assumed', async () => {
  const { settings } = await settingsFrom({
    faults: {
      DescribePullThroughCacheRules: { code: 'UnknownOperationException' },
      GetAccountSetting: { code: 'UnknownOperationException' },
    },
  });
  expect(settings).toMatchObject({ blobMounting: 'unknown', pullThroughCacheRules: [] });
  expect(settings.warnings).toEqual([
    'the ECR endpoint does not know DescribePullThroughCacheRules (UnknownOperationException); existing pull-through cache rules are unknown, the default prefixes are suggested',
    'the ECR endpoint does not know GetAccountSetting (UnknownOperationException); blob mounting is taken as unknown',
  ]);
});

test('a China region has no pull-through cache: the rules are not asked for', async () => {
  const { ecr, settings } = await settingsFrom({ region: 'cn-north-1', accountSettings: { BLOB_MOUNTING: 'ENABLED' } });
  expect(settings).toMatchObject({ region: 'cn-north-1', pullThroughCacheAvailable: false, blobMounting: 'ENABLED', warnings: [] });
  expect([ecr.calls.DescribePullThroughCacheRules, ecr.calls.GetAccountSetting]).toEqual([0, 1]);
});

test('a scan with both calls denied warns on stderr and in plan.transfer.warnings, and completes', async () => {
  const ecr = await emulator({
    repositories: sampleContent(),
    faults: { DescribePullThroughCacheRules: { code: 'AccessDeniedException' }, GetAccountSetting: { code: 'AccessDeniedException' } },
  });
  // A source on a closed loopback port: it errors, and the scan still reads ECR and writes the plan.
  const run = await scanOnce({ input: '127.0.0.1:9/team/app:1.0\n', ecrEndpoint: ecr.endpoint });
  expect(run.exitCode).toBe(1);
  expect(run.stderr).toMatch(/warning: ECR DescribePullThroughCacheRules was denied/);
  expect(run.stderr).toMatch(/warning: ECR GetAccountSetting was denied/);
  const plan = JSON.parse(run.written['plan.json']!) as MigrationPlanJson;
  expect(plan.transfer?.blobMounting).toBe('unknown');
  expect(plan.transfer?.warnings).toHaveLength(2);
  expect(plan.pullThroughCache).toEqual({ rules: [] });
  expect([ecr.calls.DescribePullThroughCacheRules, ecr.calls.GetAccountSetting]).toEqual([1, 1]);
});
