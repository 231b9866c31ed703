/**
 * A whole organization in one scan, against the ECR emulator serving several
 * (account, region) registries, the STS emulator (member roles, short
 * sessions) and the Organizations emulator: matches and duplicates across
 * registries, every kind of per-registry fault reported while the other
 * registries are still read, credentials renewed on a long run, no secret
 * in any output.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ECRClient } from '@aws-sdk/client-ecr';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { EcrEmulator, EcrImage, sha256Digest, startEcrEmulator } from '../../emulator/ecr/emulator';
import { OrganizationsEmulator, startOrganizationsEmulator } from '../../emulator/organizations/emulator';
import { StsEmulator, startStsEmulator } from '../../emulator/sts/emulator';
import { emulatorAccessKeyId } from '../../emulator/sts/identity';
import { PlatformFilter } from '../../scanner/oci/platform';
import { formatEcrHost } from '../../scanner/oci/ecr-host';
import { RegistryEndpoints } from '../../scanner/registry/endpoint';
import { ScopeRequest } from '../../scanner/scope/scope';
import { runScan } from '../../scanner/scan';
import { MigrationPlanJson } from '../../scanner/plan/plan-json';
import { Report } from '../../scanner/report/report-types';
import { ecrImageOf, imageConfig, oneLayerManifest, oneLayerSources } from '../support/emulator-content';

const CALLER = '111111111111';
const MEMBER = '222222222222';
const NO_ROLE = '333333333333';
const TROUBLED = '444444444444';
const SUSPENDED = '555555555555';
/** The management account when the scanner runs in a tooling account (CALLER as a delegated administrator). */
const MANAGEMENT = '666666666666';
const ROLE = 'ecr-duplicate-scanner-read';
const callerKeys = { accessKeyId: emulatorAccessKeyId(CALLER), secretAccessKey: 'caller-secret-s3ntinel' };

function ecrImage(configBytes: Buffer, layer: string, tags: string[]): EcrImage {
  return ecrImageOf(oneLayerManifest(configBytes, layer), tags);
}

const present = imageConfig('present');
const missing = imageConfig('missing');

let ecr: EcrEmulator;
let sts: StsEmulator;
let organizations: OrganizationsEmulator;
const clients: Array<{ destroy(): void }> = [];

beforeAll(async () => {
  sts = await startStsEmulator({ defaultAccountId: CALLER, roles: [MEMBER, TROUBLED].map((a) => `arn:aws:iam::${a}:role/${ROLE}`) });
  organizations = await startOrganizationsEmulator({
    managementAccountId: CALLER,
    pageSize: 2,
    accounts: [
      ...[CALLER, MEMBER, NO_ROLE, TROUBLED].map((id) => ({ id, name: `acct-${id}`, state: 'ACTIVE' as const })),
      { id: SUSPENDED, name: 'gone', state: 'SUSPENDED' as const },
    ],
  });
  ecr = await startEcrEmulator({
    accountId: CALLER,
    region: 'us-east-1',
    // The same image (other compression: another manifest) in the caller's registry and a member's other region.
    repositories: { 'prod/app': [ecrImage(present, 'gzip', ['1'])] },
    registries: [
      { accountId: CALLER, region: 'eu-west-1', repositories: {} },
      { accountId: MEMBER, region: 'us-east-1', repositories: { other: [ecrImage(imageConfig('other'), 'o', ['x'])] } },
      { accountId: MEMBER, region: 'eu-west-1', repositories: { 'shared/app': [ecrImage(present, 'zstd', ['stable'])] } },
      { accountId: NO_ROLE, region: 'us-east-1', repositories: { hidden: [ecrImage(missing, 'm', ['1'])] } },
      { accountId: NO_ROLE, region: 'eu-west-1', repositories: {} },
      // The image the tests call missing is held in the management account: found only once its role exists.
      { accountId: MANAGEMENT, region: 'us-east-1', repositories: { base: [ecrImage(missing, 'mgmt', ['1'])] } },
      // TROUBLED has no eu-west-1 registry: the region is not enabled there.
      { accountId: TROUBLED, region: 'us-east-1', repositories: { denied: [ecrImage(missing, 'd', ['1'])] } },
    ],
    faults: { DescribeRepositories: { code: 'AccessDeniedException', registries: [`${TROUBLED}/us-east-1`] } },
    distribution: oneLayerSources({ 'src/app': present, 'src/new': missing }),
  });
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await Promise.all([ecr.stop(), sts.stop(), organizations.stop()]);
});

interface OrgRun {
  exitCode: number;
  report: Report;
  plan: MigrationPlanJson;
  files: Record<string, string>;
  log: string;
}

async function scanOrganization(
  request: ScopeRequest,
  input: string,
  extra: { refreshBeforeMs?: number; concurrency?: number } = {},
): Promise<OrgRun> {
  const dir = await mkdtemp(join(tmpdir(), 'org-scan-'));
  const lines: string[] = [];
  const track = <T extends { destroy(): void }>(c: T): T => (clients.push(c), c);
  try {
    await writeFile(join(dir, 'input.txt'), input);
    const result = await runScan({
      inputPaths: [join(dir, 'input.txt')],
      outDir: join(dir, 'out'),
      s3Locations: [],
      concurrency: extra.concurrency ?? 4,
      platforms: new PlatformFilter([]),
      endpoints: new RegistryEndpoints(),
      dockerConfig: { lookup: async () => undefined, namesHost: () => false },
      timeoutMs: 5000,
      s3Client: () => {
        throw new Error('no S3 here');
      },
      scope: request,
      aws: {
        sts: () => track(new STSClient({ endpoint: sts.endpoint, region: request.regions[0], credentials: callerKeys, maxAttempts: 1 })),
        organizations: () =>
          track(new OrganizationsClient({ endpoint: organizations.endpoint, region: 'us-east-1', credentials: callerKeys })),
        ecrClientFor: (region: string | undefined, credentials: AwsCredentialIdentityProvider | undefined) =>
          new ECRClient({ endpoint: ecr.endpoint, region, credentials: credentials ?? callerKeys, maxAttempts: 2 }),
        ...(extra.refreshBeforeMs !== undefined ? { refreshBeforeMs: extra.refreshBeforeMs } : {}),
      },
      logger: { info: (m) => lines.push(m), warn: (m) => lines.push(`warning: ${m}`) },
    });
    const files: Record<string, string> = {};
    if (result.exitCode === 2)
      return { exitCode: 2, report: undefined as never, plan: undefined as never, files, log: result.message ?? '' };
    for (const name of ['report.json', 'plan.json', 'report.md', 'report.html', 'report.txt', 'copy.sh', 'missing.txt']) {
      files[name] = await readFile(join(dir, 'out', name), 'utf8');
    }
    return {
      exitCode: result.exitCode,
      report: JSON.parse(files['report.json']!) as Report,
      plan: JSON.parse(files['plan.json']!) as MigrationPlanJson,
      files,
      log: lines.join('\n'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const source = (path: string) => `127.0.0.1:${ecr.port}/${path}:1`;

describe('--organization over two regions', () => {
  let run: OrgRun;
  beforeAll(async () => {
    run = await scanOrganization(
      { regions: ['us-east-1', 'eu-west-1'], accounts: 'organization', roleName: ROLE },
      `${source('src/app')}\n${source('src/new')}\n`,
    );
  }, 60_000);

  it('reads every ACTIVE account in every region, one ecr[] entry per registry, the faulty ones with their kind', () => {
    const entries = run.report.ecr.map((e) => [e.accountId, e.region, e.errorKind ?? 'read']);
    expect(entries).toEqual([
      [CALLER, 'eu-west-1', 'read'],
      [CALLER, 'us-east-1', 'read'],
      [MEMBER, 'eu-west-1', 'read'],
      [MEMBER, 'us-east-1', 'read'],
      [NO_ROLE, 'eu-west-1', 'assume-role'],
      [NO_ROLE, 'us-east-1', 'assume-role'],
      [TROUBLED, 'eu-west-1', 'region-not-enabled'],
      [TROUBLED, 'us-east-1', 'denied'],
    ]);
    expect(run.report.ecr.find((e) => e.accountId === MEMBER && e.region === 'eu-west-1')).toMatchObject({ repositories: 1, images: 1 });
    expect(run.report.ecr.find((e) => e.errorKind === 'denied')?.error).toMatch(/ecr:DescribeRepositories/);
    // The caller is the management account here: a member without the role is not taken for it.
    expect(run.report.ecr.find((e) => e.errorKind === 'assume-role')?.error).not.toMatch(/management account/);
    expect(run.exitCode).toBe(1);
  });

  it('matches in several registries, each naming its account, region and own host', () => {
    const app = run.report.sources[0]!;
    expect(app.status).toBe('present');
    expect(app.unreadRegistries).toBeUndefined();
    const matches = app.images[0]!.matches.map((m) => [m.accountId, m.region, m.uri]);
    expect(matches).toEqual(
      expect.arrayContaining([
        [CALLER, 'us-east-1', `${formatEcrHost({ accountId: CALLER, region: 'us-east-1' })}/prod/app:1`],
        [MEMBER, 'eu-west-1', `${formatEcrHost({ accountId: MEMBER, region: 'eu-west-1' })}/shared/app:stable`],
      ]),
    );
    expect(matches).toHaveLength(2);
  });

  it('calls nothing absent without naming the registries it could not look in', () => {
    const fresh = run.report.sources[1]!;
    expect(fresh.status).toBe('absent');
    expect(fresh.unreadRegistries).toEqual([
      `${NO_ROLE}/eu-west-1`,
      `${NO_ROLE}/us-east-1`,
      `${TROUBLED}/eu-west-1`,
      `${TROUBLED}/us-east-1`,
    ]);
    expect(run.files['report.md']).toMatch(/## Registries/);
    expect(run.files['report.md']).toMatch(/4 registries could not be read/);
    expect(run.files['report.html']).toMatch(/4 registries could not be read/);
  });

  it('finds one duplicate across registries and plans the absent source only, into the caller registry of the first region', () => {
    const dup = run.report.ecrDuplicates?.find((d) => d.imageId === sha256Digest(present));
    expect(dup?.locations.map((l) => [l.accountId, l.region, l.repository])).toEqual([
      [CALLER, 'us-east-1', 'prod/app'],
      [MEMBER, 'eu-west-1', 'shared/app'],
    ]);
    expect(run.plan.target.registry).toBe(formatEcrHost({ accountId: CALLER, region: 'us-east-1' }));
    expect(run.plan.copies.map((c) => c.targetRepository)).toEqual(['src/new']);
  });

  it('assumes the role in member accounts only, once per account, and leaks no secret', () => {
    const assumed = sts.log.filter((c) => c.action === 'AssumeRole').map((c) => c.roleArn);
    expect(assumed).not.toContainEqual(expect.stringContaining(CALLER));
    expect(new Set(assumed)).toEqual(new Set([MEMBER, NO_ROLE, TROUBLED].map((a) => `arn:aws:iam::${a}:role/${ROLE}`)));
    expect(assumed.filter((a) => a?.includes(MEMBER))).toHaveLength(1);
    for (const text of [...Object.values(run.files), run.log]) {
      expect(text).not.toContain('s3ntinel');
      expect(text).not.toContain('emulator-session.');
    }
  });
});

describe('from a tooling account (a delegated administrator): the management account, where StackSets never put the role', () => {
  const managementRole = `arn:aws:iam::${MANAGEMENT}:role/${ROLE}`;
  const advice =
    "deploy Org-MemberReadRole and Org-ManagementReadRole in the organization's management account, " +
    'then re-run the scan: aws codepipeline start-pipeline-execution --name Org';
  const request: ScopeRequest = { regions: ['us-east-1'], accounts: 'organization', roleName: ROLE, assumeRoleAdvice: advice };
  let delegated: OrganizationsEmulator;
  let saved: OrganizationsEmulator;
  beforeAll(async () => {
    delegated = await startOrganizationsEmulator({
      managementAccountId: MANAGEMENT,
      delegatedAdministrators: [CALLER],
      accounts: [MANAGEMENT, CALLER, MEMBER].map((id) => ({ id, name: `acct-${id}`, state: 'ACTIVE' as const })),
    });
    saved = organizations;
    organizations = delegated;
  });
  afterAll(async () => {
    organizations = saved;
    sts.setRole(managementRole, false);
    await delegated.stop();
  });

  it('before the management stack: its registry is not read, and its error says why and what to do (the run on creation)', async () => {
    const run = await scanOrganization(request, `${source('src/new')}\n`);
    expect(run.exitCode).toBe(1);
    expect(run.report.ecr.map((e) => [e.accountId, e.errorKind ?? 'read'])).toEqual([
      [CALLER, 'read'],
      [MEMBER, 'read'],
      [MANAGEMENT, 'assume-role'],
    ]);
    const error = run.report.ecr.find((e) => e.accountId === MANAGEMENT)!.error!;
    expect(error).toContain(`cannot assume ${managementRole}: AccessDenied`);
    expect(error).toContain(
      `(${MANAGEMENT} is the organization's management account, where service-managed StackSets never deploy: its read role comes from a stack of its own there); to read it: ${advice}`,
    );
    // Where the user looks: the log, the pages, and the source that could not be looked for there.
    expect(run.log).toContain(advice);
    expect(run.files['report.md']).toContain(advice);
    // (HTML-escaped there: the part without an apostrophe.)
    expect(run.files['report.html']).toContain('then re-run the scan: aws codepipeline start-pipeline-execution --name Org');
    expect(run.report.sources[0]).toMatchObject({ status: 'absent', unreadRegistries: [`${MANAGEMENT}/us-east-1`] });
  }, 30_000);

  it('once the management account holds the role, the re-run reads every registry and finds the image there', async () => {
    sts.setRole(managementRole, true);
    const run = await scanOrganization(request, `${source('src/new')}\n`);
    expect(run.report.ecr.filter((e) => e.error !== undefined)).toEqual([]);
    expect(run.report.sources[0]!.status).toBe('present');
    expect(run.exitCode).toBe(0);
  }, 30_000);
});

describe('--account and --target-registry', () => {
  it('reads just the accounts named, and plans into the registry named', async () => {
    const target = formatEcrHost({ accountId: MEMBER, region: 'eu-west-1' });
    ecr.settingsOf(MEMBER, 'eu-west-1')!.putAccountSetting('BLOB_MOUNTING', 'ENABLED');
    const callsBefore = ecr.log.length;
    const run = await scanOrganization(
      { regions: ['eu-west-1'], accounts: [MEMBER], roleName: ROLE, targetRegistry: target },
      `${source('src/new')}\n`,
    );
    expect(run.exitCode).toBe(0);
    expect(run.report.ecr.map((e) => `${e.accountId}/${e.region}`)).toEqual([`${MEMBER}/eu-west-1`]);
    expect(run.report.sources[0]!.unreadRegistries).toBeUndefined();
    expect(run.plan.target.registry).toBe(target);
    // The target's two settings reads, once each, in the target's own account (through its role's session) and region.
    const settingsCalls = ecr.log
      .slice(callsBefore)
      .filter((c) => c.operation === 'DescribePullThroughCacheRules' || c.operation === 'GetAccountSetting')
      .map((c) => `${c.operation} ${c.accountId}/${c.region}`)
      .sort();
    expect(settingsCalls).toEqual([`DescribePullThroughCacheRules ${MEMBER}/eu-west-1`, `GetAccountSetting ${MEMBER}/eu-west-1`]);
    expect(run.plan.transfer).toMatchObject({ blobMounting: 'ENABLED', warnings: [] });
  }, 30_000);

  it("--region alone reads the caller's own account in those regions (it once read no registry, and called everything absent)", async () => {
    const run = await scanOrganization({ regions: ['us-east-1', 'eu-west-1'], accounts: [], roleName: ROLE }, `${source('src/app')}\n`);
    expect(run.report.ecr.map((e) => `${e.accountId}/${e.region}`)).toEqual([`${CALLER}/eu-west-1`, `${CALLER}/us-east-1`]);
    expect(run.report.sources[0]!.status).toBe('present');
    expect(run.exitCode).toBe(0);
  }, 30_000);

  it('a registry throttled past the retries is rate-limited; the scan still reports', async () => {
    ecr.setFaults('ListImages', { code: 'ThrottlingException', registries: [`${MEMBER}/us-east-1`] });
    try {
      const run = await scanOrganization(
        { regions: ['us-east-1', 'eu-west-1'], accounts: [MEMBER], roleName: ROLE },
        `${source('src/app')}\n`,
      );
      expect(run.exitCode).toBe(1);
      expect(run.report.ecr.map((e) => [e.region, e.errorKind ?? 'read'])).toEqual([
        ['eu-west-1', 'read'],
        ['us-east-1', 'rate-limited'],
      ]);
      expect(run.report.sources[0]!.status).toBe('present');
    } finally {
      ecr.setFaults('ListImages', undefined);
    }
  }, 30_000);

  it('stops with exit 2 when the organization cannot be listed', async () => {
    const denied = await startOrganizationsEmulator({ managementAccountId: MEMBER, accounts: [] });
    const saved = organizations;
    organizations = denied;
    try {
      const run = await scanOrganization({ regions: ['us-east-1'], accounts: 'organization', roleName: ROLE }, `${source('src/new')}\n`);
      expect(run.exitCode).toBe(2);
      expect(run.log).toMatch(/organizations:ListAccounts failed.*AccessDeniedException/);
    } finally {
      organizations = saved;
      await denied.stop();
    }
  });
});

describe('a long run', () => {
  it('renews a member session before it expires, so no call is signed with expired keys', async () => {
    const shortSts = await startStsEmulator({
      defaultAccountId: CALLER,
      roles: [`arn:aws:iam::${MEMBER}:role/${ROLE}`],
      sessionSeconds: 1,
    });
    const saved = sts;
    sts = shortSts;
    // Each call to the member takes 150 ms and they go one at a time, so the scan outlasts several 1-second sessions.
    const slow = ecr.onCall('*', async (call) => {
      if (call.accountId === MEMBER) await new Promise((r) => setTimeout(r, 150));
    });
    for (let i = 0; i < 12; i++) ecr.storeOf(MEMBER, 'us-east-1')!.createRepository(`slow-${i}`);
    try {
      const run = await scanOrganization({ regions: ['us-east-1'], accounts: [MEMBER], roleName: ROLE }, `${source('src/new')}\n`, {
        refreshBeforeMs: 400,
        concurrency: 1,
      });
      expect(run.report.ecr[0]).toMatchObject({ accountId: MEMBER, repositories: 13 });
      expect(run.report.ecr[0]!.error).toBeUndefined();
      expect(shortSts.log.filter((c) => c.action === 'AssumeRole').length).toBeGreaterThan(2);
    } finally {
      slow();
      sts = saved;
      await shortSts.stop();
    }
  }, 30_000);
});
