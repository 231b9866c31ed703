/**
 * The sample ECR content the emulator's tests share: images of both manifest formats, an index with
 * its children, an empty repository; and the small helpers that read it back.
 */
import { ECRClient, ECRClientConfig, ImageDetail, paginateDescribeImages } from '@aws-sdk/client-ecr';
import {
  DistributionContent,
  EcrEmulator,
  EcrImage,
  EcrStoreContent,
  manifestImage,
  sha256Digest,
  startEcrEmulator,
} from '../../emulator/ecr/emulator';
import { MediaType } from '../../scanner/oci/media-types';

export const EMULATOR_CREDENTIALS = { accessKeyId: 'AKIDECREMULATOR', secretAccessKey: 'emulator-secret-key' };

/**
 * Emulators and SDK clients for one suite: call at the suite's top level; whatever they start is
 * stopped (and every client destroyed) after the suite.
 */
export function suiteEmulators(): {
  emulator: (...args: Parameters<typeof startEcrEmulator>) => Promise<EcrEmulator>;
  client: (endpoint: string | undefined, extra?: ECRClientConfig) => ECRClient;
} {
  const running: EcrEmulator[] = [];
  const clients: ECRClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await Promise.all(running.map((e) => e.stop()));
  });
  return {
    emulator: async (...args) => {
      const started = await startEcrEmulator(...args);
      running.push(started);
      return started;
    },
    client: (endpoint, extra = {}) => {
      const c = new ECRClient({ region: 'us-east-1', credentials: EMULATOR_CREDENTIALS, ...(endpoint ? { endpoint } : {}), ...extra });
      clients.push(c);
      return c;
    },
  };
}

export const fakeBlob = (label: string) => sha256Digest(label);

/** An amd64 image config whose one diff_id is made from `label`: a config blob of its own. */
export function imageConfig(label: string): Buffer {
  return Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256Digest(label)] } }));
}

/** The OCI manifest of `config` with one 1000-byte layer named by `layerLabel`. */
export function oneLayerManifest(config: Buffer, layerLabel: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha256Digest(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256Digest(layerLabel), size: 1000 }],
    }),
  );
}

/** Manifest bytes as an image the ECR emulator holds, under these tags. */
export function ecrImageOf(manifest: Buffer, tags: string[]): EcrImage {
  return manifestImage(JSON.parse(manifest.toString('utf8')) as Record<string, unknown>, tags);
}

export function imageManifest(label: string, oci: boolean, tags: string[] = []): EcrImage {
  return manifestImage(
    {
      schemaVersion: 2,
      mediaType: oci ? MediaType.ociManifest : MediaType.dockerManifest,
      config: { mediaType: oci ? MediaType.ociConfig : MediaType.dockerConfig, digest: fakeBlob(`config ${label}`), size: 321 },
      layers: [
        {
          mediaType: oci ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.docker.image.rootfs.diff.tar.gzip',
          digest: fakeBlob(`layer ${label}`),
          size: 1000 + label.length,
        },
      ],
    },
    tags,
  );
}

export function indexOf(children: EcrImage[], oci: boolean, tags: string[]): EcrImage {
  return manifestImage(
    {
      schemaVersion: 2,
      mediaType: oci ? MediaType.ociIndex : MediaType.dockerManifestList,
      manifests: children.map((c, i) => ({
        mediaType: c.mediaType,
        digest: c.digest,
        size: c.manifest.length,
        platform: { architecture: i === 0 ? 'amd64' : 'arm64', os: 'linux' },
      })),
    },
    tags,
  );
}

export function sampleContent(): EcrStoreContent {
  const amd = imageManifest('app amd64', true);
  const arm = imageManifest('app arm64', true);
  return {
    'team/app': [
      imageManifest('app 1', true, ['v1']),
      imageManifest('app 2', false, ['v2', 'latest']),
      amd,
      arm,
      indexOf([amd, arm], true, ['multi']),
      imageManifest('app old', false),
    ],
    'team/base': [imageManifest('base 1', false, ['bookworm']), imageManifest('base 2', true, ['trixie'])],
    'tools/cli': [imageManifest('cli', true, ['1.0'])],
    'tools/empty': [],
    legacy: [imageManifest('legacy', false, ['old'])],
  };
}

export function errorOf(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: Error) => err,
  );
}

export async function allImages(c: ECRClient, repositoryName: string): Promise<ImageDetail[]> {
  const details: ImageDetail[] = [];
  for await (const page of paginateDescribeImages({ client: c, pageSize: 1000 }, { repositoryName })) {
    details.push(...(page.imageDetails ?? []));
  }
  return details;
}

/**
 * Source repositories the ECR emulator serves through the distribution API (`distribution`): each a
 * one-layer OCI image of its config, tagged `1`, the configs' blobs served too.
 */
export function oneLayerSources(configs: Record<string, Buffer>): DistributionContent {
  const manifestOf = (config: Buffer) => oneLayerManifest(config, 'src');
  return {
    repositories: Object.fromEntries(
      Object.entries(configs).map(([name, config]) => [
        name,
        [{ digest: sha256Digest(manifestOf(config)), mediaType: MediaType.ociManifest, manifest: manifestOf(config), tags: ['1'] }],
      ]),
    ),
    blobs: Object.fromEntries(Object.values(configs).map((config) => [sha256Digest(config), config])),
  };
}
