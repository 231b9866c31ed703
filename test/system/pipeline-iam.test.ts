/**
 * Every call a pipeline-configured run makes is allowed by the synthesized IAM policies, resource
 * by resource, and what the run's cache needs is granted no wider. For each deploy variant (one
 * registry, several regions, an organization) the stack is synthesized, its settings file is
 * handed to the bundled scanner through buildspec/scan.yml's commands as CodeBuild runs them, twice
 * (a cold run, then one that reads its digest caches), against the ECR, STS and Organizations
 * emulators and s3rver behind a gate proxy that only forwards and records (test/support/gate-proxy.ts).
 * Each call of their logs becomes the IAM request it is (action and resource ARN) and is checked
 * against the build role's policy, or the member role's for calls made in a member account with
 * the role's credentials. Conditions are not evaluated (test/support/iam-policy.ts).
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleScanner } from '../../scripts/bundle-scanner';
import { memberReadRoleTemplate } from '../../lib/member-role-stack';
import { SCAN_SETTINGS_FILE } from '../../lib/scan-settings';
import { CACHE_NONCURRENT_DAYS } from '../../lib/report-store';
import { EcrEmulator, EcrImage, sha256Digest, startEcrEmulator } from '../../emulator/ecr/emulator';
import { OrganizationsEmulator, startOrganizationsEmulator } from '../../emulator/organizations/emulator';
import { StsEmulator, startStsEmulator } from '../../emulator/sts/emulator';
import { emulatorAccessKeyId } from '../../emulator/sts/identity';
import { MediaType } from '../../scanner/oci/media-types';
import { IamRequest, PolicyStatement, TokenValues, isAllowed, rolePolicy, unusedGrants } from '../support/iam-policy';
import { runBuildspec } from '../support/buildspec';
import { GateProxy, startGateProxy } from '../support/gate-proxy';
import { ecrImageOf, imageConfig, oneLayerManifest } from '../support/emulator-content';
import { S3ServerHandle, startS3Server } from '../support/s3-server';
import { logicalIdOf, synth } from '../cdk/synth';

const CALLER = '111111111111';
const MEMBER = '222222222222';
const REGION = 'eu-west-1';
const OTHER_REGION = 'us-east-1';
const BUCKET = 'scan-output';
const ROLE_NAME = 'ecr-duplicate-scanner-read';
const callerKeys = { AWS_ACCESS_KEY_ID: emulatorAccessKeyId(CALLER), AWS_SECRET_ACCESS_KEY: 'caller-secret-s3ntinel' };

function image(label: string, tags: string[]): { ecr: EcrImage; manifest: Buffer; config: Buffer } {
  const config = imageConfig(label);
  const manifest = oneLayerManifest(config, `layer ${label}`);
  return { ecr: ecrImageOf(manifest, tags), manifest, config };
}
const app = image('app', ['1']);

interface Variant {
  name: string;
  context: Record<string, string>;
  registries: Array<[account: string, region: string]>;
}

const VARIANTS: Variant[] = [
  { name: 'one registry', context: {}, registries: [[CALLER, REGION]] },
  {
    name: 'several regions',
    context: { scanRegions: `${REGION},${OTHER_REGION}` },
    registries: [
      [CALLER, REGION],
      [CALLER, OTHER_REGION],
    ],
  },
  {
    name: 'an organization',
    context: { scanAccounts: 'organization', scanRegions: `${REGION},${OTHER_REGION}` },
    registries: [
      [CALLER, REGION],
      [CALLER, OTHER_REGION],
      [MEMBER, REGION],
      [MEMBER, OTHER_REGION],
    ],
  },
];

let work = '';
let scannerDir = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'pipeline-iam-'));
  scannerDir = (await bundleScanner(join(work, 'scanner'))).dir;
}, 120_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Every `${X}` a policy of the template may name: pseudo parameters, and each resource's Ref and Arn. */
function tokenValues(template: Record<string, unknown>, bucketId: string, account: string): TokenValues {
  const values: TokenValues = {
    'AWS::Partition': 'aws',
    'AWS::AccountId': account,
    'AWS::Region': REGION,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  for (const id of Object.keys(template.Resources as object)) {
    // Resources this run never touches resolve to names no call can have.
    values[id] = `unused-${id}`;
    values[`${id}.Arn`] = `arn:aws:unused:::${id}`;
  }
  values[bucketId] = BUCKET;
  values[`${bucketId}.Arn`] = `arn:aws:s3:::${BUCKET}`;
  return values;
}

/** The IAM request of one S3 call (path-style, as the scanner sends with an endpoint override). */
function s3Request(method: string, url: string): IamRequest {
  const parsed = new URL(url, 'http://s3');
  const [, bucket, ...key] = parsed.pathname.split('/');
  const object = key.map(decodeURIComponent).join('/');
  if (!object) return { action: method === 'GET' ? 's3:ListBucket' : `s3:${method}Bucket`, resource: `arn:aws:s3:::${bucket}` };
  const resource = `arn:aws:s3:::${bucket}/${object}`;
  if (method === 'GET' || method === 'HEAD') return { action: 's3:GetObject', resource };
  if (method === 'DELETE') return { action: parsed.searchParams.has('uploadId') ? 's3:AbortMultipartUpload' : 's3:DeleteObject', resource };
  return { action: 's3:PutObject', resource };
}

/** The IAM request of one ECR call, in the registry of the credentials that made it. */
function ecrRequest(operation: string, input: Record<string, unknown>, account: string, region: string): IamRequest {
  const repository = typeof input.repositoryName === 'string' ? input.repositoryName : '*';
  const resource = operation === 'GetAuthorizationToken' ? '*' : `arn:aws:ecr:${region}:${account}:repository/${repository}`;
  return { action: `ecr:${operation}`, resource };
}

describe.each(VARIANTS)('$name', (variant) => {
  let ecr: EcrEmulator;
  let sts: StsEmulator;
  let organizations: OrganizationsEmulator;
  let s3: S3ServerHandle;
  let proxy: GateProxy;
  let buildPolicy: PolicyStatement[];
  let memberPolicy: PolicyStatement[];
  let cacheGrants: string[];
  const outputs: string[] = [];

  beforeAll(async () => {
    const synthesized = synth(variant.context);
    const template = synthesized.template.toJSON() as Record<string, unknown>;
    const roleId = logicalIdOf(synthesized.template, 'AWS::IAM::Role', 'ScanRole');
    const bucketId = logicalIdOf(synthesized.template, 'AWS::S3::Bucket', 'ReportsBucket');
    buildPolicy = rolePolicy(template, roleId, tokenValues(template, bucketId, CALLER));
    const buildRoleArn = `arn:aws:iam::${CALLER}:role/scanner-build`;
    memberPolicy = rolePolicy(
      memberReadRoleTemplate(ROLE_NAME, buildRoleArn),
      'ReadRole',
      tokenValues({ Resources: {} }, bucketId, MEMBER),
    );
    cacheGrants = buildPolicy
      .filter((s) => s.actions.includes('s3:GetObject'))
      .flatMap((s) => s.resources)
      .filter((r) => r.includes('/cache/'));
    writeFileSync(join(scannerDir, SCAN_SETTINGS_FILE), synthesized.stack.scanner.settings);

    const [[mainAccount, mainRegion], ...others] = variant.registries;
    ecr = await startEcrEmulator({
      accountId: mainAccount,
      region: mainRegion,
      repositories: { 'team/app': [app.ecr] },
      registries: others.map(([accountId, region]) => ({ accountId, region, repositories: { [`copy-${region}`]: [app.ecr] } })),
      distribution: {
        repositories: {
          'src/app': [{ digest: sha256Digest(app.manifest), mediaType: MediaType.ociManifest, manifest: app.manifest, tags: ['1'] }],
        },
        blobs: { [sha256Digest(app.config)]: app.config },
      },
    });
    sts = await startStsEmulator({ defaultAccountId: CALLER, roles: [`arn:aws:iam::${MEMBER}:role/${ROLE_NAME}`] });
    organizations = await startOrganizationsEmulator({
      managementAccountId: CALLER,
      accounts: [CALLER, MEMBER].map((id) => ({ id, name: `acct-${id}`, state: 'ACTIVE' as const })),
    });
    s3 = await startS3Server([BUCKET], [{ accessKeyId: callerKeys.AWS_ACCESS_KEY_ID, secretAccessKey: callerKeys.AWS_SECRET_ACCESS_KEY }]);
    proxy = await startGateProxy({ upstream: s3.endpoint });

    for (const run of ['1', '2']) {
      const src = await mkdtemp(join(work, 'src-'));
      await writeFile(join(src, 'input.txt'), `127.0.0.1:${ecr.port}/src/app:1\n`);
      const build = await runBuildspec({
        cwd: src,
        env: {
          HOME: work,
          ...callerKeys,
          AWS_REGION: REGION,
          AWS_ENDPOINT_URL_ECR: ecr.endpoint,
          AWS_ENDPOINT_URL_S3: proxy.url,
          AWS_ENDPOINT_URL_STS: sts.endpoint,
          AWS_ENDPOINT_URL_ORGANIZATIONS: organizations.endpoint,
          DOCKER_CONFIG: join(work, 'no-docker'),
          CODEBUILD_SRC_DIR: src,
          CODEBUILD_SRC_DIR_Scanner: scannerDir,
          CODEBUILD_BUILD_NUMBER: run,
          CODEBUILD_RESOLVED_SOURCE_VERSION: 'f00dfeed',
          OUTPUT_BUCKET: BUCKET,
          PIPELINE_EXECUTION_ID: `exec-${run}`,
        },
      });
      outputs.push(build.stdout + build.stderr);
      if (build.code !== 0) throw new Error(`run ${run} of ${variant.name} exited ${build.code}:\n${build.stdout}${build.stderr}`);
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled([ecr?.stop(), sts?.stop(), organizations?.stop(), proxy?.stop()]);
    await s3?.stop();
  });

  /** Each call the runs made, with the policy of the principal that made it. */
  function calls(): Array<{ who: string; request: IamRequest; policy: PolicyStatement[] }> {
    const out: Array<{ who: string; request: IamRequest; policy: PolicyStatement[] }> = [];
    for (const c of ecr.log) {
      const member = c.accountId !== CALLER;
      out.push({
        who: member ? `member role in ${c.accountId}` : 'build role',
        request: ecrRequest(c.operation, c.input, c.accountId, c.region),
        policy: member ? memberPolicy : buildPolicy,
      });
    }
    for (const r of proxy.requests) out.push({ who: 'build role', request: s3Request(r.method, r.path), policy: buildPolicy });
    for (const c of sts.log)
      if (c.action === 'AssumeRole')
        out.push({ who: 'build role', request: { action: 'sts:AssumeRole', resource: c.roleArn ?? '' }, policy: buildPolicy });
    if (organizations.calls > 0)
      out.push({ who: 'build role', request: { action: 'organizations:ListAccounts', resource: '*' }, policy: buildPolicy });
    return out;
  }

  test('both runs read every registry, and the second read the digest caches the first wrote', () => {
    expect(outputs).toHaveLength(2);
    for (const output of outputs) expect(output).not.toMatch(/cannot (read|save) digest cache/);
    for (const [account, region] of variant.registries) expect(outputs[0]).toContain(`ECR ${account} ${region}: 1 repositories, 1 images`);
    // The warm run asked ECR for no manifest: every registry's cache was read.
    const batchGets = ecr.log.filter((c) => c.operation === 'BatchGetImage');
    expect(new Set(batchGets.map((c) => `${c.accountId}/${c.region}`)).size).toBe(variant.registries.length);
    expect(batchGets).toHaveLength(variant.registries.length);
  });

  test('every call, resource by resource, is allowed to the principal that made it', () => {
    const all = calls();
    expect(all.length).toBeGreaterThan(variant.registries.length * 4);
    const denied = all.filter((c) => !isAllowed(c.policy, c.request)).map((c) => `${c.who}: ${c.request.action} on ${c.request.resource}`);
    expect([...new Set(denied)]).toEqual([]);
  });

  test("the caches are granted no wider than the run's own keys", () => {
    const used = calls()
      .filter((c) => c.request.resource.includes('/cache/'))
      .map((c) => c.request);
    expect(used.length).toBeGreaterThan(0);
    // Every cache key granted is one the run used, so none is wider than it needs…
    // (s3:AbortMultipartUpload is used only when a multipart upload of a large cache fails.)
    const granted = buildPolicy.filter((s) => s.resources.some((r) => r.includes('/cache/')));
    expect(unusedGrants(granted, used).filter((g) => !g.startsWith('s3:AbortMultipartUpload '))).toEqual([]);
    // …and each registry's grant names its own key beside the sources' one (an organization's accounts are not
    // known before the run: one pattern a region).
    const registryKeys = variant.registries.length === 1 ? 0 : variant.name === 'an organization' ? 2 : variant.registries.length;
    expect(cacheGrants.length).toBe(1 + registryKeys);
  });
});

test(`overwritten caches are kept ${CACHE_NONCURRENT_DAYS} days, not the reports' year`, () => {
  const { template } = synth({});
  const [bucket] = Object.values(
    template.findResources('AWS::S3::Bucket', { Properties: { VersioningConfiguration: { Status: 'Enabled' } } }),
  ).filter((b) => JSON.stringify(b).includes('ExpireOverwrittenCaches'));
  const rules = (bucket as { Properties: { LifecycleConfiguration: { Rules: Array<Record<string, unknown>> } } }).Properties
    .LifecycleConfiguration.Rules;
  expect(rules.find((r) => r.Id === 'ExpireOverwrittenCaches')).toMatchObject({
    Prefix: 'reports/cache/',
    NoncurrentVersionExpiration: { NoncurrentDays: CACHE_NONCURRENT_DAYS },
    Status: 'Enabled',
  });
});
