/**
 * The emulator's registry settings with the AWS SDK for JavaScript v3 as the client: pull-through
 * cache rules (paged, filtered by prefix, ECR's limits) and account settings (BLOB_MOUNTING), each
 * registry its own, per-call faults, and an endpoint that predates the operations. The same answers
 * are checked with awscli in test/system/emulator-awscli.test.ts.
 */
import {
  CreatePullThroughCacheRuleCommand,
  DescribePullThroughCacheRulesCommand,
  ECRClient,
  GetAccountSettingCommand,
  PutAccountSettingCommand,
  paginateDescribePullThroughCacheRules,
} from '@aws-sdk/client-ecr';
import { EMULATOR_CREDENTIALS } from '../support/emulator-content';
import { EcrEmulator, startEcrEmulator } from '../../emulator/ecr/emulator';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf';

let ecr: EcrEmulator;
let sdk: ECRClient;
beforeEach(async () => {
  ecr = await startEcrEmulator({
    pullThroughCacheRules: [
      { ecrRepositoryPrefix: 'docker-hub', upstreamRegistryUrl: 'registry-1.docker.io', credentialArn: SECRET },
      { ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'quay.io', createdAt: new Date('2026-01-02T03:04:05Z') },
    ],
    registries: [{ accountId: '210987654321', region: 'eu-west-1', accountSettings: { BLOB_MOUNTING: 'ENABLED' } }],
  });
  sdk = new ECRClient({ region: 'us-east-1', credentials: EMULATOR_CREDENTIALS, endpoint: ecr.endpoint, maxAttempts: 1 });
});
afterEach(async () => {
  sdk.destroy();
  await ecr.stop();
});

test('DescribePullThroughCacheRules answers ECR’s shape, pages, and filters by prefix', async () => {
  const all = await sdk.send(new DescribePullThroughCacheRulesCommand({}));
  expect(all.nextToken).toBeUndefined();
  expect(all.pullThroughCacheRules).toEqual([
    expect.objectContaining({
      ecrRepositoryPrefix: 'docker-hub',
      upstreamRegistryUrl: 'registry-1.docker.io',
      upstreamRegistry: 'docker-hub',
      credentialArn: SECRET,
      registryId: '123456789012',
    }),
    expect.objectContaining({ ecrRepositoryPrefix: 'quay', upstreamRegistry: 'quay', createdAt: new Date('2026-01-02T03:04:05Z') }),
  ]);
  expect(all.pullThroughCacheRules?.[1]?.credentialArn).toBeUndefined();

  const pages: string[][] = [];
  for await (const page of paginateDescribePullThroughCacheRules({ client: sdk, pageSize: 1 }, {}))
    pages.push((page.pullThroughCacheRules ?? []).map((r) => r.ecrRepositoryPrefix ?? ''));
  expect(pages).toEqual([['docker-hub'], ['quay']]);
  expect(ecr.calls.DescribePullThroughCacheRules).toBe(3);

  const one = await sdk.send(new DescribePullThroughCacheRulesCommand({ ecrRepositoryPrefixes: ['quay'] }));
  expect(one.pullThroughCacheRules?.map((r) => r.ecrRepositoryPrefix)).toEqual(['quay']);
  await expect(sdk.send(new DescribePullThroughCacheRulesCommand({ ecrRepositoryPrefixes: ['ghcr'] }))).rejects.toMatchObject({
    name: 'PullThroughCacheRuleNotFoundException',
  });
});

test('CreatePullThroughCacheRule keeps ECR’s rules: prefix length and pattern, ROOT, upstreams, credentials, 50 a registry', async () => {
  const created = await sdk.send(
    new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'k8s', upstreamRegistryUrl: 'registry.k8s.io' }),
  );
  expect(created).toMatchObject({ ecrRepositoryPrefix: 'k8s', upstreamRegistry: 'k8s', registryId: '123456789012' });
  expect(created.createdAt).toBeInstanceOf(Date);
  await sdk.send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'ROOT', upstreamRegistryUrl: 'public.ecr.aws' }));
  const refused = async (input: ConstructorParameters<typeof CreatePullThroughCacheRuleCommand>[0]) =>
    (
      await sdk.send(new CreatePullThroughCacheRuleCommand(input)).then(
        () => undefined,
        (e: Error) => e,
      )
    )?.name;
  expect(await refused({ ecrRepositoryPrefix: 'k', upstreamRegistryUrl: 'quay.io' })).toBe('InvalidParameterException');
  expect(await refused({ ecrRepositoryPrefix: 'a'.repeat(31), upstreamRegistryUrl: 'quay.io' })).toBe('InvalidParameterException');
  expect(await refused({ ecrRepositoryPrefix: 'Upper', upstreamRegistryUrl: 'quay.io' })).toBe('InvalidParameterException');
  expect(await refused({ ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'quay.io' })).toBe('PullThroughCacheRuleAlreadyExistsException');
  expect(await refused({ ecrRepositoryPrefix: 'example', upstreamRegistryUrl: 'registry.example.com' })).toBe(
    'UnsupportedUpstreamRegistryException',
  );
  expect(await refused({ ecrRepositoryPrefix: 'ghcr', upstreamRegistryUrl: 'ghcr.io' })).toBe('InvalidParameterException');
  for (let i = ecr.settings.rulePrefixes().length; i < 50; i++)
    ecr.settings.addRule({ ecrRepositoryPrefix: `q${i}`, upstreamRegistryUrl: 'quay.io' });
  expect(await refused({ ecrRepositoryPrefix: 'one-more', upstreamRegistryUrl: 'quay.io' })).toBe('LimitExceededException');
  expect(ecr.settings.rulePrefixes()).toHaveLength(50);
});

test('GetAccountSetting and PutAccountSetting: BLOB_MOUNTING defaults to DISABLED and is kept per registry', async () => {
  expect(await sdk.send(new GetAccountSettingCommand({ name: 'BLOB_MOUNTING' }))).toMatchObject({
    name: 'BLOB_MOUNTING',
    value: 'DISABLED',
  });
  expect(await sdk.send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'ENABLED' }))).toMatchObject({ value: 'ENABLED' });
  expect(ecr.settings.accountSetting('BLOB_MOUNTING')).toBe('ENABLED');
  await expect(sdk.send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'MAYBE' }))).rejects.toMatchObject({
    name: 'InvalidParameterException',
  });
  await expect(sdk.send(new GetAccountSettingCommand({ name: 'NO_SUCH_SETTING' }))).rejects.toMatchObject({
    name: 'InvalidParameterException',
  });
  expect(ecr.settingsOf('210987654321', 'eu-west-1')?.accountSetting('BLOB_MOUNTING')).toBe('ENABLED');
  expect(ecr.settingsOf('210987654321', 'eu-west-1')?.rulePrefixes()).toEqual([]);
});

test('per-call AccessDenied faults name the action without a resource; an older endpoint does not know the operations', async () => {
  ecr.setFaults('DescribePullThroughCacheRules', { code: 'AccessDeniedException' });
  ecr.setFaults('GetAccountSetting', { code: 'AccessDeniedException', times: 1 });
  const denied = await sdk.send(new DescribePullThroughCacheRulesCommand({})).catch((e: Error) => e);
  expect(denied).toMatchObject({ name: 'AccessDeniedException' });
  expect((denied as Error).message).toMatch(/not authorized to perform: ecr:DescribePullThroughCacheRules because/);
  await expect(sdk.send(new GetAccountSettingCommand({ name: 'BLOB_MOUNTING' }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  expect((await sdk.send(new GetAccountSettingCommand({ name: 'BLOB_MOUNTING' }))).value).toBe('DISABLED');

  ecr.setFaults('DescribePullThroughCacheRules', { code: 'UnknownOperationException' });
  ecr.setFaults('GetAccountSetting', { code: 'UnknownOperationException' });
  await expect(sdk.send(new DescribePullThroughCacheRulesCommand({}))).rejects.toMatchObject({ name: 'UnknownOperationException' });
  await expect(sdk.send(new GetAccountSettingCommand({ name: 'BLOB_MOUNTING' }))).rejects.toMatchObject({
    name: 'UnknownOperationException',
  });
  ecr.setFaults('DescribePullThroughCacheRules', undefined);
  ecr.setFaults('GetAccountSetting', undefined);
  expect((await sdk.send(new DescribePullThroughCacheRulesCommand({}))).pullThroughCacheRules).toHaveLength(2);
});
