/**
 * The inventory's paging and call discipline, the SDK against the in-process
 * ECR emulator: every page of every paginated call is read, a digest's tags
 * split across ListImages pages are joined, the concurrency bound holds, the
 * calls are the lower bound, a manifest held by several repositories is read once; and the client's plain-JSON codec gives the
 * same answers as the SDK's own.
 */
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ListImagesCommand,
} from '@aws-sdk/client-ecr';
import { createEcrClient } from '../../scanner/aws-clients';
import { inventoryEcr } from '../../scanner/ecr/inventory';
import { ecrLogin } from '../../scanner/registry/ecr-login';
import { ManifestTable } from '../../scanner/ecr/manifest-table';
import { MediaType } from '../../scanner/oci/media-types';
import { EcrEmulator, EcrImage, EcrStoreContent, manifestImage, sha256Digest, startEcrEmulator } from '../../emulator/ecr/emulator';

const credentials = { accessKeyId: 'AKIDUNIT', secretAccessKey: 'unit-secret' };

function image(label: string, tags: string[], layers = 1): EcrImage {
  return manifestImage(
    {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha256Digest(`config ${label}`), size: 100 },
      layers: Array.from({ length: layers }, (_, k) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: sha256Digest(`layer ${label} ${k}`),
        size: 1000,
      })),
    },
    tags,
  );
}

// 7 repositories of 23 images; one image has 5 tags, so with 4 entries a ListImages page its tags span pages.
const content: EcrStoreContent = Object.fromEntries(
  Array.from({ length: 7 }, (_, r) => [
    `team/repo-${r}`,
    Array.from({ length: 23 }, (_, i) => image(`${r}-${i}`, i === 3 ? ['a', 'b', 'c', 'd', 'e'] : i % 2 ? [`v${i}`] : [])),
  ]),
);
// The same image (same manifest, so same image ID) in a second repository.
content['mirror'] = [image('0-1', ['copy'])];

let ecr: EcrEmulator;
const clients: ECRClient[] = [];
const sdkClient = () => {
  const c = new ECRClient({ region: 'us-east-1', credentials, endpoint: ecr.endpoint, maxAttempts: 1 });
  clients.push(c);
  return c;
};
const scannerClient = (concurrency: number) => {
  const c = createEcrClient({}, { concurrency });
  clients.push(c);
  return c;
};

// createEcrClient reads the standard AWS chain, as the scanner does; restored afterwards (jest shares process.env).
const savedEnv = { ...process.env };
beforeAll(async () => {
  ecr = await startEcrEmulator({
    repositories: content,
    pageSize: { DescribeRepositories: 3, ListImages: 4, DescribeImages: 4 },
    latencyMs: 2,
  });
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_ECR: ecr.endpoint,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  });
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await ecr.stop();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

test('reads every page, joins tags split across pages, stays within its concurrency, at the lower bound of calls', async () => {
  ecr.resetCalls();
  const inventory = await inventoryEcr({ client: scannerClient(3), concurrency: 3 });
  expect(inventory.registry.repositories).toBe(8);
  expect(inventory.registry.images).toBe(7 * 23 + 1);
  expect(ecr.calls.DescribeRepositories).toBe(Math.ceil(8 / 3));
  // Per repository: (23 images + 4 extra tags) / 4 a page = 7 pages of ListImages (every storage class); mirror 1.
  expect(ecr.calls.ListImages).toBe(7 * 7 + 1);
  // And one DescribeImages each: which images are archived (none).
  expect(ecr.calls.DescribeImages).toBe(7 + 1);
  // The mirror's manifest is team/repo-0's: read once when repo-0's answer came first, else the two reads overlapped.
  expect(ecr.calls.BatchGetImage).toBeGreaterThanOrEqual(7);
  expect(ecr.calls.BatchGetImage).toBeLessThanOrEqual(7 + 1);
  expect(ecr.maxConcurrent).toBeLessThanOrEqual(3);
  const tagged = inventory.queries.imagesWithId(sha256Digest('config 2-3'));
  expect(tagged.map((i) => i.tags)).toEqual([['a', 'b', 'c', 'd', 'e']]);
  const copies = inventory.queries.imagesWithId(sha256Digest('config 0-1')).map((i) => `${i.repository}:${i.tags.join(',')}`);
  expect(copies.sort()).toEqual(['mirror:copy', 'team/repo-0:v1']);
  expect(inventory.queries.duplicates()).toEqual([
    {
      imageId: sha256Digest('config 0-1'),
      sizeBytes: 1100,
      locations: [
        { repository: 'mirror', manifestDigest: content['mirror']![0]!.digest, tags: ['copy'], sizeBytes: 1100 },
        { repository: 'team/repo-0', manifestDigest: content['mirror']![0]!.digest, tags: ['v1'], sizeBytes: 1100 },
      ],
      // Deleting team/repo-0's copy frees its config and layer: no other image there lists them.
      freedBytes: 1100,
    },
  ]);
  expect(inventory.queries.lookupManifest(content['team/repo-5']![7]!.digest)).toEqual({
    kind: 'image',
    imageId: sha256Digest('config 5-7'),
    sizeBytes: 1100,
    layers: [{ digest: sha256Digest('layer 5-7 0'), size: 1000 }],
  });
});

test('a manifest already known (the digest cache) is not fetched again', async () => {
  const cache = new ManifestTable();
  await inventoryEcr({ client: scannerClient(4), concurrency: 4, cache });
  ecr.resetCalls();
  const again = await inventoryEcr({ client: scannerClient(4), concurrency: 4, cache });
  expect(ecr.calls.BatchGetImage).toBe(0);
  expect(again.queries.duplicates()).toHaveLength(1);
});

test("the scanner client's plain-JSON codec answers exactly as the SDK's own", async () => {
  const plain = scannerClient(2);
  const sdk = sdkClient();
  const strip = <T extends { $metadata?: unknown }>(o: T) => ({ ...o, $metadata: undefined });
  const list = new ListImagesCommand({ repositoryName: 'team/repo-1', maxResults: 4 });
  expect(strip(await plain.send(list))).toEqual(strip(await sdk.send(list)));
  const imageIds = content['team/repo-1']!.slice(0, 5).map((i) => ({ imageDigest: i.digest }));
  imageIds.push({ imageDigest: sha256Digest('not there') });
  const get = new BatchGetImageCommand({ repositoryName: 'team/repo-1', imageIds, acceptedMediaTypes: [MediaType.ociManifest] });
  const [a, b] = [await plain.send(get), await sdk.send(get)];
  expect(strip(a)).toEqual(strip(b));
  expect(a.failures?.[0]?.failureCode).toBe('ImageNotFound');
  // Numbers and epoch timestamps are converted where the schema says so, exactly as the SDK's codec does.
  ecr.store.setImageStatus('team/repo-1', content['team/repo-1']![1]!.digest, 'ARCHIVED');
  const describe = new DescribeImagesCommand({ repositoryName: 'team/repo-1', maxResults: 4, filter: { imageStatus: 'ANY' } });
  const [c, d] = [await plain.send(describe), await sdk.send(describe)];
  expect(strip(c)).toEqual(strip(d));
  expect(c.imageDetails?.[0]?.imagePushedAt).toBeInstanceOf(Date);
  expect(c.imageDetails?.[0]?.lastRecordedPullTime).toBeInstanceOf(Date);
  expect(c.imageDetails?.map((i) => i.imageStatus)).toContain('ARCHIVED');
  const repos = new DescribeRepositoriesCommand({});
  const [e, f] = [await plain.send(repos), await sdk.send(repos)];
  expect(strip(e)).toEqual(strip(f));
  expect(e.repositories?.[0]?.createdAt).toBeInstanceOf(Date);
  await expect(plain.send(new ListImagesCommand({ repositoryName: 'gone' }))).rejects.toMatchObject({
    name: 'RepositoryNotFoundException',
  });
});

test('missing or refused AWS credentials are named as such, by the error name, not as a missing permission', async () => {
  const noCredentials = new ECRClient({
    region: 'us-east-1',
    endpoint: ecr.endpoint,
    maxAttempts: 1,
    credentials: () =>
      Promise.reject(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })),
  });
  clients.push(noCredentials);
  await expect(inventoryEcr({ client: noCredentials, concurrency: 2 })).rejects.toMatchObject({
    kind: 'credentials',
    message: expect.stringMatching(
      /^no AWS credentials for ECR DescribeRepositories \(set AWS_PROFILE, environment keys or an instance role\)/,
    ),
  });
  ecr.setFaults('DescribeRepositories', {
    code: 'UnrecognizedClientException',
    message: 'The security token included in the request is invalid',
  });
  try {
    // Alone, the scanner cannot tell an unknown key from a region not enabled: both are named, and the kind is credentials.
    await expect(inventoryEcr({ client: sdkClient(), concurrency: 2 })).rejects.toMatchObject({
      kind: 'credentials',
      message: expect.stringMatching(
        /^AWS did not accept the credentials for ECR DescribeRepositories \(UnrecognizedClientException\) \(either AWS does not know the access key, or the account has not enabled this region/,
      ),
    });
    // A scope's registry, whose credentials AWS already accepted: the region, and the words are left to registry-fault.ts.
    await expect(inventoryEcr({ client: sdkClient(), concurrency: 2, credentialsProven: true })).rejects.toMatchObject({
      kind: 'region-not-enabled',
      message:
        'AWS did not accept the credentials for ECR DescribeRepositories (UnrecognizedClientException): The security token included in the request is invalid',
    });
  } finally {
    ecr.setFaults('DescribeRepositories', undefined);
  }
});

test('a failed ECR login says which failure it was, classified by the error name; the source kind stays credentials', async () => {
  const host = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
  const registry = { accountId: '123456789012', region: 'us-east-1', kind: 'standard' as const };
  const login = () => ecrLogin(registry, host, () => sdkClient());
  try {
    ecr.setFaults('GetAuthorizationToken', { code: 'AccessDeniedException' });
    await expect(login()).rejects.toMatchObject({
      kind: 'credentials',
      message: expect.stringMatching(/failed \(the scanner needs ecr:GetAuthorizationToken to read ECR sources\): AccessDeniedException: /),
    });
    ecr.setFaults('GetAuthorizationToken', {
      code: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid',
    });
    await expect(login()).rejects.toMatchObject({
      kind: 'credentials',
      message: expect.stringMatching(
        /failed \(either AWS does not know the access key, or the account has not enabled us-east-1 \(AWS then refuses any key there\)\): UnrecognizedClientException: /,
      ),
    });
  } finally {
    ecr.setFaults('GetAuthorizationToken', undefined);
  }
});
