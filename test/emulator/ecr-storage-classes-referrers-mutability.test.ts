/**
 * The emulator with the AWS SDK for JavaScript v3 as the client: storage classes and
 * the imageStatus filter, ImageInaccessible, lastRecordedPullTime and pull-time exclusions, referrers,
 * tag mutability with exclusion filters, repository names of the OCI grammar. The same answers are
 * checked with awscli in test/system/emulator-awscli.test.ts.
 */
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ListImageReferrersCommand,
  ListImagesCommand,
  ListPullTimeUpdateExclusionsCommand,
  RegisterPullTimeUpdateExclusionCommand,
  DeregisterPullTimeUpdateExclusionCommand,
  UpdateImageStorageClassCommand,
} from '@aws-sdk/client-ecr';
import { EMULATOR_CREDENTIALS, imageManifest } from '../support/emulator-content';
import { ArtifactType, EcrEmulator, helmChart, notationSignature, spdxSbom, startEcrEmulator } from '../../emulator/ecr/emulator';

const active = imageManifest('active', true, ['v1']);
const archived = imageManifest('archived', true, ['old']);
const signature = notationSignature(active);
const sbom = spdxSbom(active);
const chart = helmChart('web', '1.0.0');

let ecr: EcrEmulator;
let sdk: ECRClient;
beforeEach(async () => {
  ecr = await startEcrEmulator({ repositories: { 'team/app': [active, archived, signature, sbom], charts: [chart] } });
  ecr.store.setImageStatus('team/app', archived.digest, 'ARCHIVED');
  sdk = new ECRClient({ region: 'us-east-1', credentials: EMULATOR_CREDENTIALS, endpoint: ecr.endpoint, maxAttempts: 1 });
});
afterEach(async () => {
  sdk.destroy();
  await ecr.stop();
});

const digests = (ids: Array<{ imageDigest?: string | undefined }> | undefined) => (ids ?? []).map((i) => i.imageDigest).sort();

test('ListImages and DescribeImages list ACTIVE images unless filter.imageStatus says otherwise', async () => {
  const listed = (imageStatus?: 'ACTIVE' | 'ARCHIVED' | 'ACTIVATING' | 'ANY') =>
    sdk.send(new ListImagesCommand({ repositoryName: 'team/app', ...(imageStatus ? { filter: { imageStatus } } : {}) }));
  expect(digests((await listed()).imageIds)).toEqual([active.digest, signature.digest, sbom.digest].sort());
  expect(digests((await listed('ARCHIVED')).imageIds)).toEqual([archived.digest]);
  expect((await listed('ACTIVATING')).imageIds).toEqual([]);
  expect(digests((await listed('ANY')).imageIds)).toHaveLength(4);
  const described = await sdk.send(new DescribeImagesCommand({ repositoryName: 'team/app', filter: { imageStatus: 'ANY' } }));
  const byDigest = new Map(described.imageDetails?.map((d) => [d.imageDigest, d]));
  expect(byDigest.get(archived.digest)?.imageStatus).toBe('ARCHIVED');
  expect(byDigest.get(active.digest)).toMatchObject({
    imageStatus: 'ACTIVE',
    artifactMediaType: 'application/vnd.oci.image.config.v1+json',
  });
  expect(byDigest.get(active.digest)?.subjectManifestDigest).toBeUndefined();
  expect(byDigest.get(signature.digest)).toMatchObject({
    artifactMediaType: ArtifactType.notationSignature,
    subjectManifestDigest: active.digest,
  });
  await expect(
    sdk.send(new ListImagesCommand({ repositoryName: 'team/app', filter: { imageStatus: 'GONE' as 'ANY' } })),
  ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  await expect(
    sdk.send(new DescribeImagesCommand({ repositoryName: 'team/app', filter: { imageStatus: 'SOMETIMES' as 'ANY' } })),
  ).rejects.toMatchObject({ name: 'InvalidParameterException' });
});

test('a page token is tied to its filter', async () => {
  ecr.setPageSize('ListImages', 1);
  const first = await sdk.send(new ListImagesCommand({ repositoryName: 'team/app', filter: { imageStatus: 'ANY' } }));
  expect(first.nextToken).toBeDefined();
  await expect(sdk.send(new ListImagesCommand({ repositoryName: 'team/app', nextToken: first.nextToken }))).rejects.toMatchObject({
    name: 'InvalidParameterException',
  });
});

test('BatchGetImage: an archived or restoring image is ImageInaccessible; a read records a pull unless the caller is excluded', async () => {
  const get = () =>
    sdk.send(
      new BatchGetImageCommand({
        repositoryName: 'team/app',
        imageIds: [{ imageDigest: active.digest }, { imageDigest: archived.digest }],
      }),
    );
  const answer = await get();
  expect(answer.images?.map((i) => i.imageId?.imageDigest)).toEqual([active.digest]);
  expect(answer.failures).toEqual([
    expect.objectContaining({ imageId: { imageDigest: archived.digest }, failureCode: 'ImageInaccessible' }),
  ]);
  const pulled = ecr.store.lastRecordedPull('team/app', active.digest);
  expect(pulled).toBeInstanceOf(Date);
  expect(ecr.store.lastRecordedPull('team/app', archived.digest)).toBeUndefined();
  const detail = await sdk.send(new DescribeImagesCommand({ repositoryName: 'team/app', imageIds: [{ imageDigest: active.digest }] }));
  expect(detail.imageDetails?.[0]?.lastRecordedPullTime?.getTime()).toBe(pulled!.getTime());

  // The caller's role registered as an exclusion: its reads leave the pull time alone.
  const role = `arn:aws:iam::${ecr.accountId}:role/ecr-scanner`;
  await sdk.send(new RegisterPullTimeUpdateExclusionCommand({ principalArn: role }));
  expect((await sdk.send(new ListPullTimeUpdateExclusionsCommand({}))).pullTimeUpdateExclusions).toEqual([role]);
  await expect(sdk.send(new RegisterPullTimeUpdateExclusionCommand({ principalArn: role }))).rejects.toMatchObject({
    name: 'ExclusionAlreadyExistsException',
  });
  ecr.store.setImageStatus('team/app', active.digest, 'ACTIVE');
  const before = ecr.store.lastRecordedPull('team/app', active.digest);
  await new Promise((r) => setTimeout(r, 5));
  await get();
  expect(ecr.store.lastRecordedPull('team/app', active.digest)).toEqual(before);
  await sdk.send(new DeregisterPullTimeUpdateExclusionCommand({ principalArn: role }));
  expect(ecr.pullTimeExclusions).toEqual([]);
  await expect(sdk.send(new RegisterPullTimeUpdateExclusionCommand({ principalArn: 'not-an-arn' }))).rejects.toMatchObject({
    name: 'InvalidParameterException',
  });
});

test('UpdateImageStorageClass archives an ACTIVE image and starts restoring an ARCHIVED one', async () => {
  const update = (imageDigest: string, targetStorageClass: 'ARCHIVE' | 'STANDARD') =>
    sdk.send(new UpdateImageStorageClassCommand({ repositoryName: 'team/app', imageId: { imageDigest }, targetStorageClass }));
  expect((await update(archived.digest, 'STANDARD')).imageStatus).toBe('ACTIVATING');
  const restoring = await sdk.send(new BatchGetImageCommand({ repositoryName: 'team/app', imageIds: [{ imageDigest: archived.digest }] }));
  expect(restoring.failures?.[0]?.failureCode).toBe('ImageInaccessible');
  expect((await update(active.digest, 'ARCHIVE')).imageStatus).toBe('ARCHIVED');
  await expect(update(active.digest, 'ARCHIVE')).rejects.toMatchObject({ name: 'ImageStorageClassUpdateNotSupportedException' });
});

test('ListImageReferrers lists the referrers of a subject, 20 a page by default and at most 50, by type and status', async () => {
  const referrers = await sdk.send(
    new ListImageReferrersCommand({ repositoryName: 'team/app', subjectId: { imageDigest: active.digest } }),
  );
  expect(referrers.referrers?.map((r) => r.artifactType).sort()).toEqual([ArtifactType.notationSignature, ArtifactType.spdxSbom].sort());
  expect(referrers.referrers?.[0]).toMatchObject({ mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactStatus: 'ACTIVE' });
  const sboms = await sdk.send(
    new ListImageReferrersCommand({
      repositoryName: 'team/app',
      subjectId: { imageDigest: active.digest },
      filter: { artifactTypes: [ArtifactType.spdxSbom] },
    }),
  );
  expect(sboms.referrers?.map((r) => r.digest)).toEqual([sbom.digest]);
  ecr.store.setImageStatus('team/app', sbom.digest, 'ARCHIVED');
  const onlyActive = await sdk.send(
    new ListImageReferrersCommand({ repositoryName: 'team/app', subjectId: { imageDigest: active.digest } }),
  );
  expect(onlyActive.referrers?.map((r) => r.digest)).toEqual([signature.digest]);
  const paged = await sdk.send(
    new ListImageReferrersCommand({
      repositoryName: 'team/app',
      subjectId: { imageDigest: active.digest },
      filter: { artifactStatus: 'ANY' },
      maxResults: 1,
    }),
  );
  expect(paged.referrers).toHaveLength(1);
  expect(paged.nextToken).toBeDefined();
  await expect(
    sdk.send(new ListImageReferrersCommand({ repositoryName: 'team/app', subjectId: { imageDigest: active.digest }, maxResults: 51 })),
  ).rejects.toMatchObject({ name: 'InvalidParameterException' });
});

test('tag mutability with exclusion filters: DescribeRepositories shows it, and a push that would move an immutable tag is refused', async () => {
  ecr.store.setTagMutability('team/app', 'IMMUTABLE_WITH_EXCLUSION', ['latest', 'dev-*']);
  const repos = await sdk.send(new DescribeRepositoriesCommand({ repositoryNames: ['team/app', 'charts'] }));
  expect(repos.repositories?.[0]).toMatchObject({
    imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
    imageTagMutabilityExclusionFilters: [
      { filterType: 'WILDCARD', filter: 'latest' },
      { filterType: 'WILDCARD', filter: 'dev-*' },
    ],
  });
  expect(repos.repositories?.[1]?.imageTagMutability).toBe('MUTABLE');
  expect(repos.repositories?.[1]?.imageTagMutabilityExclusionFilters).toBeUndefined();
  const other = imageManifest('other', true);
  expect(() => ecr.store.putImage('team/app', { ...other, tags: ['v1'] })).toThrow(/ImageTagAlreadyExistsException/);
  ecr.store.putImage('team/app', { ...other, tags: ['dev-7', 'latest'] });
  ecr.store.putImage('team/app', { ...imageManifest('newer', true), tags: ['dev-7'] });
  expect(ecr.store.summaries('team/app')?.find((i) => i.digest === other.digest)?.tags).toEqual(['latest']);
});

test('repository names follow the OCI grammar (2026-02): __ and runs of - are allowed', () => {
  for (const name of ['team__x/app', 'a---b', 'x/y_z.w']) expect(() => ecr.store.createRepository(name)).not.toThrow();
  for (const name of ['a', 'Team/app', 'a___b', 'a.-b', 'a/'])
    expect(() => ecr.store.createRepository(name)).toThrow(/invalid ECR repository name/);
});

test('a failure code set on an image is what BatchGetImage answers for it (KmsError, Upstream*, codes yet unknown)', async () => {
  ecr.store.setImageFailure('charts', chart.digest, 'KmsError');
  const answer = await sdk.send(new BatchGetImageCommand({ repositoryName: 'charts', imageIds: [{ imageDigest: chart.digest }] }));
  expect(answer.failures?.[0]?.failureCode).toBe('KmsError');
  expect(answer.images).toEqual([]);
});

describe('an endpoint without the archive storage class', () => {
  const plain = { 'team/app': [active, imageManifest('other', true, ['v2'])] };

  test('filter-ignored (as moto): the imageStatus filter lists every image, and no imageStatus is answered', async () => {
    const old = await startEcrEmulator({ repositories: plain, archiveClass: 'filter-ignored' });
    const client = new ECRClient({ region: 'us-east-1', credentials: EMULATOR_CREDENTIALS, endpoint: old.endpoint, maxAttempts: 1 });
    try {
      const described = await client.send(new DescribeImagesCommand({ repositoryName: 'team/app', filter: { imageStatus: 'ARCHIVED' } }));
      expect(described.imageDetails).toHaveLength(2);
      expect(described.imageDetails!.map((d) => d.imageStatus)).toEqual([undefined, undefined]);
      const listed = await client.send(new ListImagesCommand({ repositoryName: 'team/app', filter: { imageStatus: 'ARCHIVED' } }));
      expect(listed.imageIds).toHaveLength(2);
    } finally {
      client.destroy();
      await old.stop();
    }
  });

  test('filter-refused: a request naming imageStatus is an InvalidParameterException; without it, every image is listed', async () => {
    const old = await startEcrEmulator({ repositories: plain, archiveClass: 'filter-refused' });
    const client = new ECRClient({ region: 'us-east-1', credentials: EMULATOR_CREDENTIALS, endpoint: old.endpoint, maxAttempts: 1 });
    try {
      await expect(
        client.send(new ListImagesCommand({ repositoryName: 'team/app', filter: { imageStatus: 'ANY' } })),
      ).rejects.toMatchObject({
        name: 'InvalidParameterException',
      });
      await expect(
        client.send(new DescribeImagesCommand({ repositoryName: 'team/app', filter: { imageStatus: 'ARCHIVED' } })),
      ).rejects.toMatchObject({ name: 'InvalidParameterException' });
      const listed = await client.send(new ListImagesCommand({ repositoryName: 'team/app', filter: { tagStatus: 'ANY' } }));
      expect(listed.imageIds).toHaveLength(2);
      const described = await client.send(new DescribeImagesCommand({ repositoryName: 'team/app' }));
      expect(described.imageDetails!.map((d) => d.imageStatus)).toEqual([undefined, undefined]);
    } finally {
      client.destroy();
      await old.stop();
    }
  });
});
