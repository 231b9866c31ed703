/**
 * The ECR emulator checked against a client we did not write: Debian's awscli v2 (botocore). It
 * must page, retry and parse the emulator's answers as it does against AWS, and see what the SDK sees.
 */
import { BatchGetImageCommand, DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EcrEmulator, sha256Digest, startEcrEmulator } from '../../emulator/ecr/emulator';
import { ACCEPTED_MANIFEST_TYPES } from '../../scanner/oci/media-types';
import { allImages, EMULATOR_CREDENTIALS as credentials, sampleContent } from '../support/emulator-content';

const AWS_CLI = '/usr/bin/aws';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const running: EcrEmulator[] = [];
const clients: ECRClient[] = [];
async function emulator(...args: Parameters<typeof startEcrEmulator>): Promise<EcrEmulator> {
  const started = await startEcrEmulator(...args);
  running.push(started);
  return started;
}
function client(endpoint: string): ECRClient {
  const c = new ECRClient({ region: 'us-east-1', credentials, endpoint });
  clients.push(c);
  return c;
}
afterAll(async () => {
  for (const c of clients) c.destroy();
  await Promise.all(running.map((e) => e.stop()));
});

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
});
