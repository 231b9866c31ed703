/**
 * The STS and Organizations emulators and the ECR emulator's several registries, against the AWS
 * SDK: the account a request reaches is its access key's, the region its signature's; an assumed
 * session works until it expires and is refused after; a role that does not exist is AccessDenied;
 * ListAccounts pages and is the management account's alone.
 */
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { ListAccountsCommand, OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { EcrEmulator, startEcrEmulator } from '../../emulator/ecr/emulator';
import { OrganizationsEmulator, startOrganizationsEmulator } from '../../emulator/organizations/emulator';
import { StsEmulator, startStsEmulator } from '../../emulator/sts/emulator';
import { accountOfAccessKey, emulatorAccessKeyId } from '../../emulator/sts/identity';

const MANAGER = '111111111111';
const MEMBER = '222222222222';
const keys = (account: string) => ({ accessKeyId: emulatorAccessKeyId(account), secretAccessKey: 'x' });
const ROLE = `arn:aws:iam::${MEMBER}:role/reader`;

let ecr: EcrEmulator;
let sts: StsEmulator;
let orgs: OrganizationsEmulator;
const clients: Array<{ destroy(): void }> = [];
const track = <T extends { destroy(): void }>(c: T): T => (clients.push(c), c);

beforeAll(async () => {
  ecr = await startEcrEmulator({
    accountId: MANAGER,
    repositories: { mine: [] },
    registries: [{ accountId: MEMBER, region: 'eu-west-1', repositories: { theirs: [], also: [] } }],
  });
  sts = await startStsEmulator({ defaultAccountId: MANAGER, roles: [ROLE], sessionSeconds: 1 });
  orgs = await startOrganizationsEmulator({
    managementAccountId: MANAGER,
    pageSize: 1,
    accounts: [
      { id: MANAGER, name: 'm', state: 'ACTIVE' },
      { id: MEMBER, name: 'a', state: 'ACTIVE' },
      { id: '333333333333', name: 'c', state: 'CLOSED' },
    ],
  });
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await Promise.all([ecr.stop(), sts.stop(), orgs.stop()]);
});

const repositoriesOf = async (client: ECRClient) =>
  ((await client.send(new DescribeRepositoriesCommand({}))).repositories ?? []).map((r) => r.repositoryName).sort();

test('the access key names the account, the signature the region', async () => {
  expect(accountOfAccessKey(emulatorAccessKeyId(MEMBER))).toBe(MEMBER);
  expect(accountOfAccessKey('AKIDEXAMPLE')).toBeUndefined();
  const member = track(new ECRClient({ endpoint: ecr.endpoint, region: 'eu-west-1', credentials: keys(MEMBER), maxAttempts: 1 }));
  expect(await repositoriesOf(member)).toEqual(['also', 'theirs']);
  const notEnabled = track(new ECRClient({ endpoint: ecr.endpoint, region: 'ap-south-2', credentials: keys(MEMBER), maxAttempts: 1 }));
  await expect(notEnabled.send(new DescribeRepositoriesCommand({}))).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
  const own = track(new ECRClient({ endpoint: ecr.endpoint, region: 'us-east-1', credentials: keys(MANAGER), maxAttempts: 1 }));
  expect(await repositoriesOf(own)).toEqual(['mine']);
});

test('an assumed session reads the member registry until it expires', async () => {
  const client = track(new STSClient({ endpoint: sts.endpoint, region: 'us-east-1', credentials: keys(MANAGER), maxAttempts: 1 }));
  expect((await client.send(new GetCallerIdentityCommand({}))).Account).toBe(MANAGER);
  const { Credentials: c } = await client.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'test' }));
  const session = { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! };
  expect(c!.Expiration!.getTime() - Date.now()).toBeLessThanOrEqual(1000);
  const member = track(new ECRClient({ endpoint: ecr.endpoint, region: 'eu-west-1', credentials: session, maxAttempts: 1 }));
  expect(await repositoriesOf(member)).toEqual(['also', 'theirs']);
  await new Promise((r) => setTimeout(r, 1100));
  await expect(member.send(new DescribeRepositoriesCommand({}))).rejects.toMatchObject({ name: 'ExpiredTokenException' });
  await expect(
    client.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MEMBER}:role/other`, RoleSessionName: 'test' })),
  ).rejects.toMatchObject({
    name: 'AccessDenied',
  });
});

test('ListAccounts pages, gives each account its state, and refuses a member account', async () => {
  const manager = track(
    new OrganizationsClient({ endpoint: orgs.endpoint, region: 'us-east-1', credentials: keys(MANAGER), maxAttempts: 1 }),
  );
  const listed: string[] = [];
  for await (const page of paginateListAccounts({ client: manager }, {}))
    for (const a of page.Accounts ?? []) listed.push(`${a.Id}:${a.Status}`);
  expect(listed).toEqual([`${MANAGER}:ACTIVE`, `${MEMBER}:ACTIVE`, '333333333333:SUSPENDED']);
  const member = track(
    new OrganizationsClient({ endpoint: orgs.endpoint, region: 'us-east-1', credentials: keys(MEMBER), maxAttempts: 1 }),
  );
  await expect(member.send(new ListAccountsCommand({}))).rejects.toMatchObject({
    name: 'AccessDeniedException',
  });
});
