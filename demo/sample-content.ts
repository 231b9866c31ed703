/**
 * The demo's sample world: a few source images (one multi-arch with an
 * attestation, like a buildx push) and an ECR registry that already holds some
 * of them in other forms. Built in memory, deterministically.
 */
import {
  DistributionContent,
  DistributionManifest,
  EcrImage,
  EcrStoreContent,
  notationSignature,
  spdxSbom,
} from '../emulator/ecr/emulator';
import { BuiltImage, BuiltIndex, buildImage, buildIndex, sha256Digest } from '../emulator/oci-layout';
import { MediaType } from '../scanner/oci/media-types';

const image = (name: string, architecture: string, variant?: string): BuiltImage =>
  buildImage({
    os: 'linux',
    architecture,
    ...(variant ? { variant } : {}),
    files: [{ path: `opt/${name}/VERSION`, content: `${name} ${architecture}\n` }],
    labels: { 'org.opencontainers.image.title': name },
  });

/** The same image as Docker v2 schema 2: other manifest bytes, same config, so the same image ID. */
function dockerV2(built: BuiltImage): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, size: built.config.length, digest: built.configDigest },
      layers: built.layers.map((l) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: l.size, digest: l.digest })),
    }),
  );
}

const manifestOf = (built: BuiltImage, tags: string[] = []): DistributionManifest & EcrImage => ({
  digest: built.manifestDigest,
  mediaType: MediaType.ociManifest,
  manifest: built.manifest,
  tags,
});

/** An index and its children, the children untagged, as both a registry and ECR store them. */
function indexWithChildren(index: BuiltIndex, tag: string): Array<DistributionManifest & EcrImage> {
  return [
    { digest: index.indexDigest, mediaType: MediaType.ociIndex, manifest: index.index, tags: [tag] },
    ...index.images.map((i) => manifestOf(i)),
    ...index.attestations.map((a) => ({ digest: a.manifestDigest, mediaType: MediaType.ociManifest, manifest: a.manifest, tags: [] })),
  ];
}

export interface DemoContent {
  distribution: DistributionContent;
  ecr: EcrStoreContent;
  /** input.txt lines, with HOST standing for the demo registry's host:port. */
  input: string[];
  /** A Kubernetes manifest (deployment.yaml) scanned beside input.txt, HOST as above. */
  kubernetes: string[];
}

export function demoContent(): DemoContent {
  const web = buildIndex([image('web', 'amd64'), image('web', 'arm64', 'v8')], { attest: 'all' });
  const cache = image('cache', 'amd64');
  const db = buildIndex([image('db', 'amd64'), image('db', 'arm64', 'v8')]);
  const tool = image('tool', 'amd64');
  const queue = image('queue', 'amd64');
  const cacheV2 = dockerV2(cache);
  const backupCache = manifestOf(cache, ['2026-11']);

  const blobs: Record<string, Buffer> = {};
  for (const built of [...web.images, cache, ...db.images, tool, queue]) blobs[built.configDigest] = built.config;

  return {
    distribution: {
      repositories: {
        'demo/web': indexWithChildren(web, '1.25'),
        'demo/cache': [manifestOf(cache, ['7'])],
        'demo/db': indexWithChildren(db, '16'),
        'demo/tool': [manifestOf(tool, ['1.36'])],
        'demo/queue': [manifestOf(queue, ['3'])],
      },
      blobs,
    },
    ecr: {
      // The whole multi-arch image, under its index's tag.
      'platform/web': indexWithChildren(web, 'v1.25'),
      // Re-pushed by Docker: another manifest digest, the same image ID.
      'mirror/cache': [{ digest: sha256Digest(cacheV2), mediaType: MediaType.dockerManifest, manifest: cacheV2, tags: ['7', 'stable'] }],
      // Only the amd64 half of the database image.
      'mirror/db': [manifestOf(db.images[0]!, ['16-amd64'])],
      // The cache image once more, as pushed in OCI form by another team: a duplicate inside ECR.
      // Signed (Notation) and with an SBOM beside it: artifacts, never taken for images.
      'backup/cache': [backupCache, notationSignature(backupCache), spdxSbom(backupCache)],
      // Moved to the archive storage class by a lifecycle rule: still in ECR, pullable once restored.
      'archive/queue': [{ ...manifestOf(queue, ['3']), imageStatus: 'ARCHIVED' }],
      'team/unrelated': [manifestOf(image('unrelated', 'amd64'), ['latest'])],
    },
    input: [
      '# Images we plan to migrate into ECR (a demo: HOST is a local stand-in registry)',
      'HOST/demo/web:1.25        # multi-arch: in ECR as a whole index',
      'HOST/demo/cache:7         # in ECR, re-pushed as Docker v2',
      'HOST/demo/db:16           # multi-arch: only amd64 is in ECR',
      'HOST/demo/tool:1.36       # not in ECR yet',
      'HOST/demo/tool:9.99       # a tag that does not exist',
      'not a valid reference',
      'HOST/demo/web:1.25        # listed twice',
      'HOST/demo/queue:3         # in ECR, archived',
      'HOST/demo/tool:/^1\\./      # an expansion line: every 1.x tag of demo/tool',
    ],
    // What a cluster runs names images too: the web image again, now with the workload that runs it.
    kubernetes: [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      '  namespace: shop',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: web',
      '          image: HOST/demo/web:1.25',
    ],
  };
}
