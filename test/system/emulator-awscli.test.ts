/**
 * The ECR emulator checked against a client we did not write: Debian's awscli v2 (botocore). It
 * must page, retry and parse the emulator's answers as it does against AWS, and see what the SDK sees.
 */
import { BatchGetImageCommand, DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EcrEmulator, helmChart, notationSignature, sha256Digest } from '../../emulator/ecr/emulator';
import { ACCEPTED_MANIFEST_TYPES } from '../../scanner/oci/media-types';
import { allImages, EMULATOR_CREDENTIALS as credentials, imageManifest, sampleContent, suiteEmulators } from '../support/emulator-content';

const AWS_CLI = '/usr/bin/aws';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const { emulator, client } = suiteEmulators();

describe('ECR emulator with Debian awscli v2', () => {
  let ecr: EcrEmulator;
  let sdk: ECRClient;
  let home: string;
  const content = sampleContent();

  beforeAll(async () => {
    // Not a skip: the point of this suite is a client we did not write, so its absence is a failure.
    if (!existsSync(AWS_CLI)) throw new Error(`${AWS_CLI} is missing: install Debian's awscli package (apt-get install awscli)`);
    home = mkdtempSync(join(tmpdir(), 'ecr-emulator-cli-'));
    ecr = await emulator({ repositories: sampleContent(), pageSize: { DescribeRepositories: 2, DescribeImages: 2 } });
    sdk = client(ecr.endpoint);
  });
  afterAll(() => {
    if (home) rmSync(home, { recursive: true, force: true });
  });
  beforeEach(() => ecr.resetCalls());

  // Async on purpose: a synchronous spawn would block the event loop the emulator answers on.
  function aws(...args: string[]): Promise<CliResult> {
    const env = {
      PATH: '/usr/bin:/bin',
      HOME: home,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_CONFIG_FILE: join(home, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
    };
    const argv = [...args, '--endpoint-url', ecr.endpoint, '--region', 'us-east-1', '--no-cli-pager', '--output', 'json'];
    return new Promise((resolve) => {
      execFile(AWS_CLI, argv, { env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  async function awsJson<T>(...args: string[]): Promise<T> {
    const result = await aws(...args);
    if (result.code !== 0) throw new Error(`aws ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  test('describe-repositories follows nextToken and sees what the SDK sees', async () => {
    const cli = await awsJson<{ repositories: Array<{ repositoryName: string; repositoryUri: string; createdAt: string }> }>(
      'ecr',
      'describe-repositories',
    );
    expect(cli.repositories.map((r) => r.repositoryName)).toEqual(Object.keys(content));
    expect(ecr.calls.DescribeRepositories).toBe(3);
    const viaSdk = await sdk.send(new DescribeRepositoriesCommand({ maxResults: 1000 }));
    expect(viaSdk.repositories?.[0].repositoryUri).toBe(cli.repositories[0].repositoryUri);
    expect(new Date(cli.repositories[0].createdAt).getTime()).toBe(viaSdk.repositories?.[0].createdAt?.getTime());
  });

  test('describe-images paginates automatically and matches the SDK', async () => {
    const cli = await awsJson<{
      imageDetails: Array<{ imageDigest: string; imageTags?: string[]; imageManifestMediaType: string; imageSizeInBytes: number }>;
    }>('ecr', 'describe-images', '--repository-name', 'team/app');
    expect(ecr.calls.DescribeImages).toBe(3);
    const viaSdk = await allImages(sdk, 'team/app');
    const shape = (d: {
      imageDigest?: string | undefined;
      imageTags?: string[] | undefined;
      imageManifestMediaType?: string | undefined;
      imageSizeInBytes?: number | undefined;
    }) => ({
      digest: d.imageDigest,
      tags: d.imageTags ?? [],
      type: d.imageManifestMediaType,
      size: d.imageSizeInBytes,
    });
    expect(cli.imageDetails.map(shape)).toEqual(viaSdk.map(shape));
    expect(cli.imageDetails.map((d) => d.imageDigest)).toEqual(content['team/app'].map((i) => i.digest));
  });

  test('batch-get-image returns the same manifests as the SDK', async () => {
    const digests = content['team/app'].map((i) => i.digest);
    const cli = await awsJson<{
      images: Array<{ imageId: { imageDigest: string }; imageManifest: string; imageManifestMediaType: string }>;
      failures: unknown[];
    }>(
      'ecr',
      'batch-get-image',
      '--repository-name',
      'team/app',
      '--image-ids',
      ...digests.map((d) => `imageDigest=${d}`),
      '--accepted-media-types',
      ...ACCEPTED_MANIFEST_TYPES,
    );
    expect(cli.failures).toEqual([]);
    const viaSdk = await sdk.send(
      new BatchGetImageCommand({
        repositoryName: 'team/app',
        imageIds: digests.map((imageDigest) => ({ imageDigest })),
        acceptedMediaTypes: [...ACCEPTED_MANIFEST_TYPES],
      }),
    );
    expect(cli.images.map((i) => i.imageManifest)).toEqual(viaSdk.images?.map((i) => i.imageManifest));
    for (const image of cli.images) expect(sha256Digest(image.imageManifest)).toBe(image.imageId.imageDigest);

    const byTag = await awsJson<{ images: Array<{ imageId: { imageDigest: string; imageTag: string } }> }>(
      'ecr',
      'batch-get-image',
      '--repository-name',
      'team/app',
      '--image-ids',
      'imageTag=multi',
    );
    expect(byTag.images[0].imageId).toEqual({ imageDigest: content['team/app'][4].digest, imageTag: 'multi' });
  });

  test('awscli reports RepositoryNotFoundException and retries throttled calls', async () => {
    const missing = await aws('ecr', 'describe-images', '--repository-name', 'nope');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('RepositoryNotFoundException');

    ecr.resetCalls();
    ecr.setThrottle({ everyNth: 2 });
    try {
      const cli = await awsJson<{ imageDetails: unknown[] }>('ecr', 'describe-images', '--repository-name', 'team/app');
      expect(cli.imageDetails).toHaveLength(content['team/app'].length);
      expect(ecr.calls.throttled).toBeGreaterThan(0);
      // This botocore does not send amz-sdk-request, so a retry shows as the same request coming back.
      const log = ecr.log.map((l) => ({ input: JSON.stringify(l.input), status: l.status }));
      for (const [i, entry] of log.entries()) {
        if (entry.status === 200) continue;
        expect(log.slice(i + 1).some((later) => later.input === entry.input && later.status === 200)).toBe(true);
      }
    } finally {
      ecr.setThrottle(undefined);
    }
  });

  // Debian 12's awscli (2.9) predates ECR's 2026 fields and drops what its model lacks; what it knows is
  // checked always, the rest when the installed CLI knows the operations (`aws --version` tells which).
  test('awscli sees storage classes, ImageInaccessible, and with a current CLI referrers, pull times, exclusions', async () => {
    const signed = imageManifest('cli signed', true, ['v1']);
    const old = imageManifest('cli old', true, ['old']);
    const signature = notationSignature(signed);
    ecr.store.putImage('cli/app', signed);
    ecr.store.putImage('cli/app', old);
    ecr.store.putImage('cli/app', signature);
    ecr.store.putImage('cli/app', helmChart('cli', '1.0.0'));
    ecr.store.setImageStatus('cli/app', old.digest, 'ARCHIVED');
    ecr.store.setTagMutability('cli/app', 'IMMUTABLE_WITH_EXCLUSION', ['dev-*']);

    // Any CLI: the default listing is ACTIVE images only, and an archived image's read fails with ImageInaccessible.
    const active = await awsJson<{ imageDetails: Array<{ imageDigest: string }> }>(
      'ecr',
      'describe-images',
      '--repository-name',
      'cli/app',
    );
    expect(active.imageDetails.map((d) => d.imageDigest)).not.toContain(old.digest);
    expect(active.imageDetails.map((d) => d.imageDigest)).toContain(signature.digest);
    const got = await awsJson<{ images: unknown[]; failures: Array<{ failureCode: string }> }>(
      'ecr',
      'batch-get-image',
      '--repository-name',
      'cli/app',
      '--image-ids',
      `imageDigest=${signed.digest}`,
      `imageDigest=${old.digest}`,
    );
    expect(got.images).toHaveLength(1);
    expect(got.failures.map((f) => f.failureCode)).toEqual(['ImageInaccessible']);
    const repo = await awsJson<{ repositories: Array<{ imageTagMutability: string; imageTagMutabilityExclusionFilters?: unknown[] }> }>(
      'ecr',
      'describe-repositories',
      '--repository-names',
      'cli/app',
    );
    expect(repo.repositories[0]!.imageTagMutability).toBe('IMMUTABLE_WITH_EXCLUSION');

    const versionRun = await aws('--version');
    const version = `${versionRun.stdout}${versionRun.stderr}`;
    const knows2026 = (await aws('ecr', 'list-image-referrers', 'help')).code === 0;
    if (!knows2026) {
      // An older model: the CLI must be one released before these operations (2025-11), not a broken one.
      expect(version).toMatch(/^aws-cli\/(1\.(?:[0-9]|[1-3][0-9])\.|2\.(?:[0-9]|[12][0-9]|30)\.)/);
      return;
    }
    expect(repo.repositories[0]!.imageTagMutabilityExclusionFilters).toEqual([{ filterType: 'WILDCARD', filter: 'dev-*' }]);
    type Detail = { imageDigest: string; imageStatus?: string; artifactMediaType?: string; subjectManifestDigest?: string };
    const all = await awsJson<{ imageDetails: Detail[] }>(
      'ecr',
      'describe-images',
      '--repository-name',
      'cli/app',
      '--filter',
      'imageStatus=ANY',
    );
    const byDigest = new Map(all.imageDetails.map((d) => [d.imageDigest, d]));
    expect(byDigest.get(old.digest)?.imageStatus).toBe('ARCHIVED');
    expect(byDigest.get(signature.digest)).toMatchObject({
      artifactMediaType: 'application/vnd.cncf.notary.signature',
      subjectManifestDigest: signed.digest,
    });
    const listed = await awsJson<{ imageIds: Array<{ imageDigest: string }> }>(
      'ecr',
      'list-images',
      '--repository-name',
      'cli/app',
      '--filter',
      'imageStatus=ARCHIVED',
    );
    expect(listed.imageIds.map((i) => i.imageDigest)).toEqual([old.digest]);

    const referrers = await awsJson<{ referrers: Array<{ digest: string; artifactType: string }> }>(
      'ecr',
      'list-image-referrers',
      '--repository-name',
      'cli/app',
      '--subject-id',
      `imageDigest=${signed.digest}`,
    );
    expect(referrers.referrers).toEqual([
      expect.objectContaining({ digest: signature.digest, artifactType: 'application/vnd.cncf.notary.signature' }),
    ]);

    const pulled = await awsJson<{ imageDetails: Array<{ lastRecordedPullTime?: string }> }>(
      'ecr',
      'describe-images',
      '--repository-name',
      'cli/app',
      '--image-ids',
      `imageDigest=${signed.digest}`,
    );
    expect(new Date(pulled.imageDetails[0]!.lastRecordedPullTime!).getTime()).toBe(
      ecr.store.lastRecordedPull('cli/app', signed.digest)!.getTime(),
    );

    const restore = await awsJson<{ imageStatus: string }>(
      'ecr',
      'update-image-storage-class',
      '--repository-name',
      'cli/app',
      '--image-id',
      `imageDigest=${old.digest}`,
      '--target-storage-class',
      'STANDARD',
    );
    expect(restore.imageStatus).toBe('ACTIVATING');

    const role = `arn:aws:iam::${ecr.accountId}:role/ecr-scanner`;
    await awsJson('ecr', 'register-pull-time-update-exclusion', '--principal-arn', role);
    const exclusions = await awsJson<{ pullTimeUpdateExclusions: string[] }>('ecr', 'list-pull-time-update-exclusions');
    expect(exclusions.pullTimeUpdateExclusions).toEqual([role]);
    await awsJson('ecr', 'deregister-pull-time-update-exclusion', '--principal-arn', role);
    expect(ecr.pullTimeExclusions).toEqual([]);
  });

  // Pull-through cache rules date from 2021 (Debian 12's 2.9 knows them, without credentials); GetAccountSetting
  // from 2024 and BLOB_MOUNTING from 2026: checked when the installed CLI knows the command.
  test('pull-through cache rules and BLOB_MOUNTING as awscli creates, pages and reads them', async () => {
    const created = await awsJson<{ ecrRepositoryPrefix: string; upstreamRegistryUrl: string; createdAt: string }>(
      'ecr',
      'create-pull-through-cache-rule',
      '--ecr-repository-prefix',
      'k8s',
      '--upstream-registry-url',
      'registry.k8s.io',
    );
    expect(created).toMatchObject({ ecrRepositoryPrefix: 'k8s', upstreamRegistryUrl: 'registry.k8s.io' });
    expect(Number.isNaN(new Date(created.createdAt).getTime())).toBe(false);
    await awsJson('ecr', 'create-pull-through-cache-rule', '--ecr-repository-prefix', 'quay', '--upstream-registry-url', 'quay.io');
    const tooShort = await aws(
      'ecr',
      'create-pull-through-cache-rule',
      '--ecr-repository-prefix',
      'q',
      '--upstream-registry-url',
      'quay.io',
    );
    expect(tooShort.code).not.toBe(0);
    expect(tooShort.stderr).toMatch(/InvalidParameterException|ParamValidation|length/);

    ecr.setPageSize('DescribePullThroughCacheRules', 1);
    try {
      const rules = await awsJson<{
        pullThroughCacheRules: Array<{ ecrRepositoryPrefix: string; upstreamRegistryUrl: string; credentialArn?: string }>;
      }>('ecr', 'describe-pull-through-cache-rules');
      expect(rules.pullThroughCacheRules.map((r) => [r.ecrRepositoryPrefix, r.upstreamRegistryUrl, r.credentialArn])).toEqual([
        ['k8s', 'registry.k8s.io', undefined],
        ['quay', 'quay.io', undefined],
      ]);
      expect(ecr.calls.DescribePullThroughCacheRules).toBe(2);
    } finally {
      ecr.setPageSize('DescribePullThroughCacheRules', undefined);
    }
    const filtered = await awsJson<{ pullThroughCacheRules: Array<{ ecrRepositoryPrefix: string }> }>(
      'ecr',
      'describe-pull-through-cache-rules',
      '--ecr-repository-prefixes',
      'quay',
    );
    expect(filtered.pullThroughCacheRules.map((r) => r.ecrRepositoryPrefix)).toEqual(['quay']);

    if ((await aws('ecr', 'get-account-setting', 'help')).code !== 0) {
      const versionRun = await aws('--version');
      expect(`${versionRun.stdout}${versionRun.stderr}`).toMatch(/^aws-cli\/(1\.(?:[0-9]|[1-2][0-9])\.|2\.(?:[0-9]|1[0-9])\.)/);
      return;
    }
    expect(await awsJson('ecr', 'get-account-setting', '--name', 'BLOB_MOUNTING')).toEqual({ name: 'BLOB_MOUNTING', value: 'DISABLED' });
    await awsJson('ecr', 'put-account-setting', '--name', 'BLOB_MOUNTING', '--value', 'ENABLED');
    expect(await awsJson('ecr', 'get-account-setting', '--name', 'BLOB_MOUNTING')).toEqual({ name: 'BLOB_MOUNTING', value: 'ENABLED' });
    expect(ecr.settings.accountSetting('BLOB_MOUNTING')).toBe('ENABLED');
  });
});
