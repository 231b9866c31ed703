/**
 * The ECR emulator is checked against two clients we did not write: the AWS
 * SDK for JavaScript v3 here, and Debian's awscli v2 (botocore) in
 * test/system/emulator-awscli.test.ts. If both page,
 * retry and parse its answers as they do against AWS, tests built on the
 * emulator exercise the scanner's real ECR code paths.
 */
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ListImagesCommand,
  paginateDescribeRepositories,
  paginateListImages,
} from '@aws-sdk/client-ecr';
import { ACCEPTED_MANIFEST_TYPES, MediaType } from '../../scanner/oci/media-types';
import { allImages, errorOf, suiteEmulators, imageManifest, indexOf, sampleContent } from '../support/emulator-content';
import { EcrEmulator, loadFromRegistry, manifestImage, sha256Digest, syntheticStore } from '../../emulator/ecr/emulator';

const { emulator, client } = suiteEmulators();

// --- AWS SDK for JavaScript v3 -----------------------------------------------

describe('ECR emulator with @aws-sdk/client-ecr', () => {
  const content = sampleContent();
  let ecr: EcrEmulator;
  let sdk: ECRClient;

  beforeAll(async () => {
    ecr = await emulator({
      repositories: sampleContent(),
      pageSize: { DescribeRepositories: 2, DescribeImages: 2, ListImages: 3 },
    });
    sdk = client(ecr.endpoint);
  });
  beforeEach(() => ecr.resetCalls());

  test('paginates every repository with tiny pages even when the client asks for 1000', async () => {
    const names: string[] = [];
    for await (const page of paginateDescribeRepositories({ client: sdk, pageSize: 1000 }, {})) {
      expect(page.repositories?.length).toBeLessThanOrEqual(2);
      for (const r of page.repositories ?? []) {
        names.push(r.repositoryName as string);
        expect(r.repositoryUri).toBe(`123456789012.dkr.ecr.us-east-1.amazonaws.com/${r.repositoryName}`);
        expect(r.repositoryArn).toBe(`arn:aws:ecr:us-east-1:123456789012:repository/${r.repositoryName}`);
        expect(r.registryId).toBe('123456789012');
        expect(r.createdAt).toBeInstanceOf(Date);
        expect(r.imageTagMutability).toBe('MUTABLE');
      }
    }
    expect(names).toEqual(Object.keys(content));
    expect(ecr.calls.DescribeRepositories).toBe(3);
    expect(ecr.log.map((l) => l.input.maxResults)).toEqual([1000, 1000, 1000]);
  });

  test('paginates every image; index children are untagged images of the same repository', async () => {
    for (const [repositoryName, images] of Object.entries(content)) {
      const details = await allImages(sdk, repositoryName);
      expect(details.map((d) => d.imageDigest)).toEqual(images.map((i) => i.digest));
      for (const [i, d] of details.entries()) {
        const image = images[i];
        expect(d.imageTags).toEqual(image.tags.length ? image.tags : undefined);
        expect(d.imageManifestMediaType).toBe(image.mediaType);
        expect(d.imagePushedAt).toBeInstanceOf(Date);
        expect(d.registryId).toBe('123456789012');
        expect(d.repositoryName).toBe(repositoryName);
        expect(typeof d.imageSizeInBytes).toBe('number');
      }
    }
    const app = await allImages(sdk, 'team/app');
    expect(app[0].artifactMediaType).toBe(MediaType.ociConfig);
    expect(app[1].artifactMediaType).toBe(MediaType.dockerConfig);
    expect(app[4].artifactMediaType).toBeUndefined();
    // An index reports its largest child, as ECR documents.
    expect(app[4].imageSizeInBytes).toBe(Math.max(app[2].imageSizeInBytes ?? 0, app[3].imageSizeInBytes ?? 0));
    expect(ecr.calls.DescribeImages).toBe(3 + 1 + 1 + 1 + 1 + 3);
  });

  test('DescribeImages filters by tag status, and by imageIds without paging', async () => {
    const untagged = await sdk.send(
      new DescribeImagesCommand({ repositoryName: 'team/app', filter: { tagStatus: 'UNTAGGED' }, maxResults: 1000 }),
    );
    expect(untagged.imageDetails?.map((d) => d.imageDigest)).toEqual([content['team/app'][2].digest, content['team/app'][3].digest]);
    expect(untagged.nextToken).toBeDefined();
    const byId = await sdk.send(new DescribeImagesCommand({ repositoryName: 'team/app', imageIds: [{ imageTag: 'latest' }] }));
    expect(byId.imageDetails?.map((d) => d.imageTags)).toEqual([['v2', 'latest']]);
    const missing = await errorOf(sdk.send(new DescribeImagesCommand({ repositoryName: 'team/app', imageIds: [{ imageTag: 'nope' }] })));
    expect(missing.name).toBe('ImageNotFoundException');
  });

  test('ListImages lists a tagged image once per tag', async () => {
    const ids: Array<{ imageDigest?: string | undefined; imageTag?: string | undefined }> = [];
    for await (const page of paginateListImages({ client: sdk, pageSize: 1000 }, { repositoryName: 'team/app' })) {
      expect(page.imageIds?.length).toBeLessThanOrEqual(3);
      ids.push(...(page.imageIds ?? []));
    }
    const app = content['team/app'];
    expect(ids).toEqual([
      { imageDigest: app[0].digest, imageTag: 'v1' },
      { imageDigest: app[1].digest, imageTag: 'v2' },
      { imageDigest: app[1].digest, imageTag: 'latest' },
      { imageDigest: app[2].digest },
      { imageDigest: app[3].digest },
      { imageDigest: app[4].digest, imageTag: 'multi' },
      { imageDigest: app[5].digest },
    ]);
    expect(ecr.calls.ListImages).toBe(3);
    // No maxResults: ECR's default page of 100, capped here at 3.
    const tagged = await sdk.send(new ListImagesCommand({ repositoryName: 'team/app', filter: { tagStatus: 'TAGGED' } }));
    expect(tagged.imageIds?.map((i) => i.imageTag)).toEqual(['v1', 'v2', 'latest']);
    const rest = await sdk.send(
      new ListImagesCommand({ repositoryName: 'team/app', filter: { tagStatus: 'TAGGED' }, nextToken: tagged.nextToken }),
    );
    expect(rest.imageIds).toEqual([{ imageDigest: app[4].digest, imageTag: 'multi' }]);
    expect(rest.nextToken).toBeUndefined();
  });

  test('BatchGetImage returns the exact manifest bytes, by digest or by tag', async () => {
    const app = content['team/app'];
    const response = await sdk.send(
      new BatchGetImageCommand({
        repositoryName: 'team/app',
        imageIds: [...app.map((i) => ({ imageDigest: i.digest })), { imageTag: 'multi' }],
        acceptedMediaTypes: [...ACCEPTED_MANIFEST_TYPES],
      }),
    );
    expect(response.failures).toEqual([]);
    expect(response.images).toHaveLength(app.length + 1);
    for (const image of response.images ?? []) {
      expect(sha256Digest(Buffer.from(image.imageManifest as string, 'utf8'))).toBe(image.imageId?.imageDigest);
      expect(image.registryId).toBe('123456789012');
      expect(image.repositoryName).toBe('team/app');
    }
    const byTag = response.images?.[app.length];
    expect(byTag?.imageId).toEqual({ imageDigest: app[4].digest, imageTag: 'multi' });
    expect(byTag?.imageManifestMediaType).toBe(MediaType.ociIndex);
    expect(response.images?.[0].imageId).toEqual({ imageDigest: app[0].digest });
  });

  test('BatchGetImage reports failures for missing, malformed and unaccepted images, and refuses more than 100 ids', async () => {
    const app = content['team/app'];
    const response = await sdk.send(
      new BatchGetImageCommand({
        repositoryName: 'team/app',
        imageIds: [
          { imageDigest: sha256Digest('never pushed') },
          { imageTag: 'nope' },
          { imageDigest: 'not-a-digest' },
          { imageDigest: app[0].digest, imageTag: 'latest' },
          { imageDigest: app[4].digest },
        ],
        acceptedMediaTypes: [MediaType.ociManifest, MediaType.dockerManifest],
      }),
    );
    expect(response.images).toEqual([]);
    expect(response.failures?.map((f) => f.failureCode)).toEqual([
      'ImageNotFound',
      'ImageNotFound',
      'InvalidImageDigest',
      'ImageTagDoesNotMatchDigest',
      'ImageNotFound',
    ]);
    expect(response.failures?.[1].imageId).toEqual({ imageTag: 'nope' });

    const tooMany = await errorOf(
      sdk.send(
        new BatchGetImageCommand({
          repositoryName: 'team/app',
          imageIds: Array.from({ length: 101 }, (_, i) => ({ imageDigest: sha256Digest(String(i)) })),
        }),
      ),
    );
    expect(tooMany.name).toBe('InvalidParameterException');
    expect(tooMany.$metadata?.httpStatusCode).toBe(400);
  });

  test('an image deleted after DescribeImages shows up in BatchGetImage failures', async () => {
    const scratch = await emulator({ repositories: sampleContent() });
    const c = client(scratch.endpoint);
    const details = await allImages(c, 'team/base');
    scratch.store.deleteImage('team/base', details[0].imageDigest as string);
    const response = await c.send(
      new BatchGetImageCommand({
        repositoryName: 'team/base',
        imageIds: details.map((d) => ({ imageDigest: d.imageDigest })),
        acceptedMediaTypes: [...ACCEPTED_MANIFEST_TYPES],
      }),
    );
    expect(response.images?.map((i) => i.imageId?.imageDigest)).toEqual([details[1].imageDigest]);
    expect(response.failures).toEqual([
      { imageId: { imageDigest: details[0].imageDigest }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
    ]);
  });

  test('a repository deleted between DescribeRepositories and DescribeImages gives RepositoryNotFoundException', async () => {
    const scratch = await emulator({ repositories: sampleContent() });
    const c = client(scratch.endpoint);
    const listed = await c.send(new DescribeRepositoriesCommand({}));
    expect(listed.repositories?.map((r) => r.repositoryName)).toContain('team/base');
    const off = scratch.onCall('DescribeImages', ({ input }) => {
      if (input.repositoryName === 'team/base') scratch.store.deleteRepository('team/base');
    });
    const err = await errorOf(c.send(new DescribeImagesCommand({ repositoryName: 'team/base' })));
    off();
    expect(err.name).toBe('RepositoryNotFoundException');
    expect(err.message).toBe("The repository with name 'team/base' does not exist in the registry with id '123456789012'");
    expect(err.$metadata?.httpStatusCode).toBe(400);
    const after = await c.send(new DescribeRepositoriesCommand({}));
    expect(after.repositories?.map((r) => r.repositoryName)).not.toContain('team/base');
    const named = await errorOf(c.send(new DescribeRepositoriesCommand({ repositoryNames: ['team/base'] })));
    expect(named.name).toBe('RepositoryNotFoundException');
  });

  test('a nextToken stays valid when images before it are deleted', async () => {
    const scratch = await emulator({ repositories: sampleContent(), pageSize: { DescribeImages: 2 } });
    const c = client(scratch.endpoint);
    const first = await c.send(new DescribeImagesCommand({ repositoryName: 'team/app' }));
    for (const d of first.imageDetails ?? []) scratch.store.deleteImage('team/app', d.imageDigest as string);
    const rest = await c.send(new DescribeImagesCommand({ repositoryName: 'team/app', nextToken: first.nextToken }));
    expect(rest.imageDetails?.map((d) => d.imageDigest)).toEqual(content['team/app'].slice(2, 4).map((i) => i.digest));
    const bad = await errorOf(c.send(new DescribeImagesCommand({ repositoryName: 'team/base', nextToken: first.nextToken })));
    expect(bad.name).toBe('InvalidParameterException');
  });

  test('the SDK retries absorb throttling (every Nth call and a token bucket)', async () => {
    const scratch = await emulator({ repositories: sampleContent(), pageSize: { DescribeImages: 1 }, throttle: { everyNth: 3 } });
    const c = client(scratch.endpoint);
    const details = await allImages(c, 'team/app');
    expect(details).toHaveLength(content['team/app'].length);
    expect(scratch.calls.throttled).toBeGreaterThan(0);
    expect(scratch.calls.DescribeImages).toBe(content['team/app'].length + scratch.calls.throttled);
    // The SDK numbers its attempts; a retried call arrives with attempt=2.
    expect(scratch.log.some((l) => l.attempt === 2 && l.status === 200)).toBe(true);
    expect(scratch.log.filter((l) => l.errorCode === 'ThrottlingException')).toHaveLength(scratch.calls.throttled);

    scratch.setThrottle({ ratePerSecond: 20, burst: 2, operations: ['DescribeRepositories'] });
    scratch.resetCalls();
    const patient = client(scratch.endpoint, { maxAttempts: 10 });
    const results = await Promise.all(Array.from({ length: 8 }, () => patient.send(new DescribeRepositoriesCommand({}))));
    expect(results.every((r) => r.repositories?.length === 5)).toBe(true);
    expect(scratch.calls.throttled).toBeGreaterThan(0);
    console.log(`token bucket: 8 calls took ${scratch.calls.DescribeRepositories} attempts (${scratch.calls.throttled} throttled)`);
  });

  test('injected faults: AccessDeniedException naming the action and ARN; ServerException retried', async () => {
    const scratch = await emulator({
      repositories: sampleContent(),
      faults: {
        DescribeImages: { code: 'AccessDeniedException', repositories: ['team/base'] },
        BatchGetImage: { code: 'ServerException', times: 1 },
      },
    });
    const c = client(scratch.endpoint);
    const denied = await errorOf(c.send(new DescribeImagesCommand({ repositoryName: 'team/base' })));
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toContain('is not authorized to perform: ecr:DescribeImages');
    expect(denied.message).toContain('arn:aws:ecr:us-east-1:123456789012:repository/team/base');
    expect(denied.$metadata?.httpStatusCode).toBe(400);
    await expect(c.send(new DescribeImagesCommand({ repositoryName: 'team/app' }))).resolves.toBeDefined();

    const got = await c.send(new BatchGetImageCommand({ repositoryName: 'tools/cli', imageIds: [{ imageTag: '1.0' }] }));
    expect(got.images).toHaveLength(1);
    expect(scratch.log.filter((l) => l.operation === 'BatchGetImage').map((l) => [l.status, l.attempt])).toEqual([
      [500, 1],
      [200, 2],
    ]);
    expect(scratch.calls.faulted).toBe(2);

    // A hook can fault one particular call.
    const off = scratch.onCall('DescribeRepositories', ({ callNumber }) =>
      callNumber === 1 ? { code: 'ExpiredTokenException', message: 'The security token included in the request is expired' } : undefined,
    );
    const expired = await errorOf(c.send(new DescribeRepositoriesCommand({})));
    off();
    expect(expired.name).toBe('ExpiredTokenException');
  });

  test('latency and concurrency: the peak number of requests in flight is recorded', async () => {
    const scratch = await emulator({ repositories: sampleContent(), latencyMs: 100 });
    const c = client(scratch.endpoint);
    await Promise.all(Array.from({ length: 8 }, () => c.send(new DescribeRepositoriesCommand({}))));
    expect(scratch.maxConcurrent).toBe(8);
    scratch.resetCalls();
    for (let i = 0; i < 3; i++) await c.send(new DescribeRepositoriesCommand({}));
    expect(scratch.maxConcurrent).toBe(1);
    expect(Math.min(...scratch.log.map((l) => l.durationMs))).toBeGreaterThanOrEqual(95);
  });

  test('the SDK honours AWS_ENDPOINT_URL_ECR', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_ECR;
    process.env.AWS_ENDPOINT_URL_ECR = ecr.endpoint;
    try {
      const fromEnv = client(undefined);
      const response = await fromEnv.send(new DescribeRepositoriesCommand({ repositoryNames: ['legacy'] }));
      expect(response.repositories?.map((r) => r.repositoryName)).toEqual(['legacy']);
      expect(ecr.calls.DescribeRepositories).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_ECR;
      else process.env.AWS_ENDPOINT_URL_ECR = saved;
    }
  });

  test('unsigned requests, wrong signing region and unknown operations are refused', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(ecr.endpoint, { method: 'POST', headers: { 'Content-Type': 'application/x-amz-json-1.1', ...headers }, body: '{}' });
    const unsigned = await post({ 'X-Amz-Target': 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories' });
    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toEqual({ __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    const unknown = await post({ 'X-Amz-Target': 'AmazonEC2ContainerRegistry_V20150921.PutImage', Authorization: 'AWS4-HMAC-SHA256 x' });
    expect(((await unknown.json()) as { __type: string }).__type).toBe('UnknownOperationException');
    expect(ecr.calls.rejected).toBe(2);
    expect(ecr.calls.total).toBe(0);

    const wrongRegion = client(ecr.endpoint, { region: 'eu-west-1' });
    const err = await errorOf(wrongRegion.send(new DescribeRepositoriesCommand({})));
    expect(err.name).toBe('InvalidSignatureException');
  });
});

// --- distribution API and loadFromRegistry -------------------------------------

describe('source registry side: distribution API and loadFromRegistry', () => {
  test('loadFromRegistry reads every tag, and an index brings its children as untagged images', async () => {
    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    const configDigest = sha256Digest(config);
    const child = (arch: string) =>
      manifestImage({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: configDigest, size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256Digest(arch), size: 10 }],
      });
    const amd = child('amd64');
    const arm = child('arm64');
    const index = indexOf([amd, arm], true, ['1.0', 'latest']);
    const single = imageManifest('single', false, ['2.0']);
    const source = await emulator({
      distribution: {
        repositories: { 'library/app': [amd, arm, index, single], 'library/broken': [indexOf([amd], false, ['x'])] },
        blobs: { [configDigest]: config },
      },
    });

    const v2 = await fetch(`${source.endpoint}/v2/`);
    expect(v2.status).toBe(200);
    expect(v2.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    const head = await fetch(`${source.endpoint}/v2/library/app/manifests/latest`, { method: 'HEAD' });
    expect(head.headers.get('docker-content-digest')).toBe(index.digest);
    expect(head.headers.get('content-type')).toBe(MediaType.ociIndex);
    const blob = await fetch(`${source.endpoint}/v2/library/app/blobs/${configDigest}`);
    expect(Buffer.from(await blob.arrayBuffer()).equals(config)).toBe(true);
    const unknown = await fetch(`${source.endpoint}/v2/library/app/manifests/nope`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { errors: Array<{ code: string }> }).errors[0].code).toBe('MANIFEST_UNKNOWN');

    const loaded = await loadFromRegistry(source.endpoint, [{ repository: 'library/app', ecrRepository: 'mirror/app' }]);
    const images = loaded['mirror/app'];
    const byDigest = new Map(images.map((i) => [i.digest, i]));
    expect(images).toHaveLength(4);
    expect(byDigest.get(index.digest)?.tags.sort()).toEqual(['1.0', 'latest']);
    expect(byDigest.get(amd.digest)?.tags).toEqual([]);
    expect(byDigest.get(arm.digest)?.tags).toEqual([]);
    expect(byDigest.get(single.digest)?.tags).toEqual(['2.0']);
    for (const image of images) expect(sha256Digest(image.manifest)).toBe(image.digest);

    const target = await emulator({ repositories: loaded });
    const described = await allImages(client(target.endpoint), 'mirror/app');
    expect(
      described
        .filter((d) => !d.imageTags)
        .map((d) => d.imageDigest)
        .sort(),
    ).toEqual([amd.digest, arm.digest].sort());

    // The broken index names a child the registry does not have; ECR would refuse that index.
    await expect(loadFromRegistry(source.endpoint, [{ repository: 'library/broken' }])).rejects.toThrow(/does not have/);
  });
});

// --- synthetic content -------------------------------------------------------

describe('syntheticStore', () => {
  test('builds 200 x 500 = 100,000 images quickly, with unique config digests and a planted one', async () => {
    const planted = sha256Digest('planted image config');
    let t = performance.now();
    const synthetic = syntheticStore({
      repositories: 200,
      imagesPerRepository: 500,
      seed: 42,
      plant: [{ repository: 'bench/repo-0007', imageIndex: 50, configDigest: planted }],
    });
    const buildMs = performance.now() - t;
    t = performance.now();
    const ecr = await emulator({ synthetic });
    let images = 0;
    const kinds = { oci: 0, docker: 0, index: 0, tagged: 0, untagged: 0 };
    const digests = new Set<string>();
    for (const name of ecr.store.repositoryNames()) {
      for (const image of ecr.store.summaries(name) ?? []) {
        images++;
        digests.add(image.digest);
        if (image.mediaType === MediaType.ociManifest) kinds.oci++;
        else if (image.mediaType === MediaType.dockerManifest) kinds.docker++;
        else kinds.index++;
        if (image.tags.length) kinds.tagged++;
        else kinds.untagged++;
      }
    }
    const walkMs = performance.now() - t;
    console.log(
      `syntheticStore 200x500: built in ${buildMs.toFixed(1)} ms; every digest computed (each manifest generated and hashed) in ${walkMs.toFixed(0)} ms; ` +
        `heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB; ${JSON.stringify(kinds)}`,
    );
    expect(synthetic.imageCount).toBe(100_000);
    expect(images).toBe(100_000);
    expect(digests.size).toBe(100_000);
    expect(Math.min(kinds.oci, kinds.docker, kinds.index, kinds.tagged, kinds.untagged)).toBeGreaterThan(0);

    const configs = new Set<string>();
    for (const name of ['bench/repo-0000', 'bench/repo-0199']) {
      for (let i = 0; i < 500; i++) {
        const digest = synthetic.configDigestAt(name, i);
        if (digest) configs.add(digest);
      }
    }
    expect(configs.size).toBe(2 * (500 - 10));
    expect(synthetic.kindAt('bench/repo-0007', 50)).toBe('image');
    expect(synthetic.configDigestAt('bench/repo-0007', 50)).toBe(planted);

    // Manifests come back through BatchGetImage intact, and index children live in the same repository.
    const c = client(ecr.endpoint);
    const details = await allImages(c, 'bench/repo-0007');
    expect(details).toHaveLength(500);
    const got = await c.send(
      new BatchGetImageCommand({
        repositoryName: 'bench/repo-0007',
        imageIds: details.slice(0, 100).map((d) => ({ imageDigest: d.imageDigest })),
        acceptedMediaTypes: [...ACCEPTED_MANIFEST_TYPES],
      }),
    );
    const repoDigests = new Set(details.map((d) => d.imageDigest));
    let plantedSeen = false;
    for (const image of got.images ?? []) {
      expect(sha256Digest(image.imageManifest as string)).toBe(image.imageId?.imageDigest);
      const manifest = JSON.parse(image.imageManifest as string) as { config?: { digest: string }; manifests?: Array<{ digest: string }> };
      if (manifest.config?.digest === planted) plantedSeen = true;
      for (const child of manifest.manifests ?? []) expect(repoDigests.has(child.digest)).toBe(true);
    }
    expect(plantedSeen).toBe(true);

    // Same seed, same content.
    const again = await emulator({ synthetic: syntheticStore({ repositories: 2, imagesPerRepository: 500, seed: 42 }) });
    expect(again.store.images('bench/repo-0001')?.map((i) => i.digest)).toEqual(ecr.store.images('bench/repo-0001')?.map((i) => i.digest));
  });
});
