/**
 * One registry is a scope of one: the credentials' own registry scanned without options, named by
 * --region, by --account (through STS), with --role-name or with --target-registry, gives the same
 * report, plan, exit status and errors. Against the ECR emulator (which also serves the sources) and
 * the STS emulator, through runScan as the CLI calls it.
 */
import { EcrEmulator, startEcrEmulator } from '../../emulator/ecr/emulator';
import { StsEmulator, startStsEmulator } from '../../emulator/sts/emulator';
import { ScopeRequest, DEFAULT_MEMBER_ROLE_NAME } from '../../scanner/scope/scope';
import { HarnessRun, scanOnce, withInputNamedPlainly } from '../support/scan-harness';
import { ecrImageOf, imageConfig, oneLayerManifest, oneLayerSources } from '../support/emulator-content';

const OWN = '123456789012';
const REGION = 'us-east-1';
const HOST = `${OWN}.dkr.ecr.${REGION}.amazonaws.com`;

const present = imageConfig('present');
const missing = imageConfig('missing');

let ecr: EcrEmulator;
let sts: StsEmulator;

beforeAll(async () => {
  sts = await startStsEmulator({ defaultAccountId: OWN, roles: [] });
  ecr = await startEcrEmulator({
    accountId: OWN,
    region: REGION,
    // The same image as src/app with other compression (another manifest), held twice: a duplicate.
    repositories: {
      'prod/app': [ecrImageOf(oneLayerManifest(present, 'gzip'), ['1'])],
      'mirror/app': [ecrImageOf(oneLayerManifest(present, 'zstd'), ['stable'])],
    },
    // An empty registry in a second region, for the scopes of two.
    registries: [{ accountId: OWN, region: 'eu-west-1', repositories: {} }],
    distribution: oneLayerSources({ 'src/app': present, 'src/new': missing }),
  });
});

afterAll(async () => {
  await Promise.all([ecr.stop(), sts.stop()]);
});

const input = () => `127.0.0.1:${ecr.port}/src/app:1\n127.0.0.1:${ecr.port}/src/new:1\n`;

/** The ways of naming the credentials' own registry; only --account and --target-registry ask STS who the caller is. */
const NAMINGS: ReadonlyArray<readonly [string, ScopeRequest | undefined]> = [
  ['no option', undefined],
  ['--region', { regions: [REGION], accounts: [], roleName: DEFAULT_MEMBER_ROLE_NAME }],
  ['--role-name', { regions: [REGION], accounts: [], roleName: 'other-reader' }],
  ['--account', { regions: [REGION], accounts: [OWN], roleName: DEFAULT_MEMBER_ROLE_NAME }],
  ['--target-registry', { regions: [REGION], accounts: [], roleName: DEFAULT_MEMBER_ROLE_NAME, targetRegistry: HOST }],
];

function scan(scope: ScopeRequest | undefined): Promise<HarnessRun> {
  return scanOnce({ input: input(), ecrEndpoint: ecr.endpoint, ecrMaxAttempts: 2, stsEndpoint: sts.endpoint, ...(scope ? { scope } : {}) });
}

/** What must not differ between two runs: everything but the time of the run. */
function comparable(run: HarnessRun) {
  const report = withInputNamedPlainly(run.report!);
  return {
    exitCode: run.exitCode,
    report: { ...report, generatedAt: '' },
    plan: JSON.parse(run.written['plan.json']!.replace(/"generatedAt": "[^"]*"/, '')) as unknown,
  };
}

describe('the credentials’ own registry, however it is named', () => {
  let baseline: ReturnType<typeof comparable>;

  beforeAll(async () => {
    baseline = comparable(await scan(undefined));
  });

  test('the baseline itself: one ecr[] entry, matches by image ID, the duplicate, the plan into this registry', () => {
    expect(baseline.exitCode).toBe(0);
    expect(baseline.report.ecr).toMatchObject([{ accountId: OWN, region: REGION, repositories: 2, images: 2 }]);
    expect(baseline.report.sources.map((s) => s.status)).toEqual(['present', 'absent']);
    // A scope of one names no registry on its matches and duplicates: the registry is ecr[0].
    expect(baseline.report.sources[0]!.images[0]!.matches[0]).not.toHaveProperty('accountId');
    expect(baseline.report.ecrDuplicates).toHaveLength(1);
    expect(baseline.plan).toMatchObject({ target: { registry: HOST } });
  });

  test.each(NAMINGS.slice(1))('%s: the same report, plan and exit status', async (_name, scope) => {
    expect(comparable(await scan(scope))).toEqual(baseline);
  });
});

describe('a registry that cannot be read fails the same way, however it is named', () => {
  afterEach(() => {
    ecr.setFaults('DescribeRepositories', undefined);
    ecr.setFaults('ListImages', undefined);
  });

  /** The message after the registry's label (which names the account once STS told it). */
  const withoutLabel = (message: string | undefined) => message?.replace(new RegExp(`^(${OWN}/)?${REGION}: `), '');

  test.each(NAMINGS)('AccessDenied, %s: exit 2, no report, the message names the permission', async (_name, scope) => {
    ecr.setFaults('DescribeRepositories', { code: 'AccessDeniedException' });
    const run = await scan(scope);
    expect(run.exitCode).toBe(2);
    expect(run.report).toBeUndefined();
    expect(run.files).toEqual([]);
    expect(withoutLabel(run.message)).toMatch(
      /^ECR DescribeRepositories was denied: the scanner needs the IAM permission ecr:DescribeRepositories/,
    );
  });

  test.each(NAMINGS)('a server error that persists, %s: exit 2, nothing called absent', async (_name, scope) => {
    ecr.setFaults('ListImages', { code: 'ServerException' });
    const run = await scan(scope);
    expect(run.exitCode).toBe(2);
    expect(run.report).toBeUndefined();
    expect(withoutLabel(run.message)).toMatch(/^ECR ListImages failed on repository .*ServerException/);
  });
});

describe('a scope of more than one registry', () => {
  const TWO_REGIONS: ScopeRequest = { regions: [REGION, 'eu-west-1'], accounts: [], roleName: DEFAULT_MEMBER_ROLE_NAME };

  test('some read: exit 1, the unread one an ecr[] entry with its kind, matches naming their registry', async () => {
    ecr.setFaults('DescribeRepositories', { code: 'AccessDeniedException', registries: [`${OWN}/eu-west-1`] });
    let run;
    try {
      run = await scan(TWO_REGIONS);
    } finally {
      ecr.setFaults('DescribeRepositories', undefined);
    }
    expect(run.exitCode).toBe(1);
    expect(run.report!.ecr.map((e) => [e.region, e.errorKind ?? 'read'])).toEqual([
      ['eu-west-1', 'denied'],
      [REGION, 'read'],
    ]);
    expect(run.report!.sources[0]!.images[0]!.matches[0]).toMatchObject({ accountId: OWN, region: REGION });
    expect(run.report!.sources[1]).toMatchObject({ status: 'absent', unreadRegistries: [`${OWN}/eu-west-1`] });
  });

  test('none read: exit 2 and no report, as for one registry, each registry named with its error', async () => {
    ecr.setFaults('DescribeRepositories', { code: 'AccessDeniedException' });
    try {
      const run = await scan(TWO_REGIONS);
      expect(run.exitCode).toBe(2);
      expect(run.report).toBeUndefined();
      expect(run.message).toMatch(
        new RegExp(
          `^no registry of the scope could be read: ${OWN}/${REGION}: ECR DescribeRepositories was denied.*; ${OWN}/eu-west-1: ECR DescribeRepositories was denied`,
        ),
      );
    } finally {
      ecr.setFaults('DescribeRepositories', undefined);
    }
  });
});
