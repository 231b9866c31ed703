import { artifactTypeOf, isAttestation, ManifestError, parseConfigPlatform, parseManifest } from '../../scanner/oci/manifest';
import { describeArtifact, readManifestFacts } from '../../scanner/ecr/manifest-facts';
import { MediaType } from '../../scanner/oci/media-types';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const bytes = (doc: unknown) => Buffer.from(JSON.stringify(doc));

describe('parseManifest', () => {
  test('OCI image manifest gives its config digest', () => {
    const m = parseManifest(
      bytes({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: d('a'), size: 1 },
        layers: [],
      }),
    );
    expect(m).toMatchObject({ kind: 'image', config: { digest: d('a') } });
  });

  test('Docker v2 schema 2 manifest', () => {
    const m = parseManifest(
      bytes({
        schemaVersion: 2,
        mediaType: MediaType.dockerManifest,
        config: { mediaType: MediaType.dockerConfig, digest: d('b'), size: 1 },
        layers: [],
      }),
    );
    expect(m).toMatchObject({ kind: 'image', mediaType: MediaType.dockerManifest, config: { digest: d('b') } });
  });

  test('OCI manifest without mediaType takes it from Content-Type or shape', () => {
    expect(parseManifest(bytes({ schemaVersion: 2, config: { digest: d('a'), size: 1 } }), MediaType.ociManifest).kind).toBe('image');
    expect(parseManifest(bytes({ schemaVersion: 2, manifests: [] })).kind).toBe('index');
  });

  test('index and manifest list keep platforms and annotations', () => {
    const m = parseManifest(
      bytes({
        schemaVersion: 2,
        mediaType: MediaType.dockerManifestList,
        manifests: [
          { mediaType: MediaType.dockerManifest, digest: d('1'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
          {
            mediaType: MediaType.ociManifest,
            digest: d('2'),
            size: 1,
            platform: { os: 'unknown', architecture: 'unknown' },
            annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
          },
        ],
      }),
    );
    if (m.kind !== 'index') throw new Error('expected index');
    expect(m.manifests[0]!.platform).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(isAttestation(m.manifests[0]!)).toBe(false);
    expect(isAttestation(m.manifests[1]!)).toBe(true);
  });

  test.each([
    ['schema 1 by schemaVersion', bytes({ schemaVersion: 1, name: 'x', fsLayers: [] }), undefined, /schema 1/],
    ['schema 1 by content type', bytes({ signatures: [] }), MediaType.dockerSchema1Signed, /schema 1/],
    ['truncated JSON', Buffer.from('{"schemaVersion": 2, "config": {"dig'), undefined, /not valid JSON/],
    [
      'unknown media type',
      bytes({ schemaVersion: 2, mediaType: 'application/vnd.example.thing+json' }),
      undefined,
      /unsupported manifest media type/,
    ],
    ['not an object', bytes([1, 2]), undefined, /not a JSON object/],
    ['config without digest', bytes({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: {} }), undefined, /missing "digest"/],
    ['index without manifests', bytes({ schemaVersion: 2, mediaType: MediaType.ociIndex }), undefined, /no "manifests"/],
  ])('%s is a ManifestError', (_name, body, contentType, message) => {
    expect(() => parseManifest(body, contentType)).toThrow(ManifestError);
    expect(() => parseManifest(body, contentType)).toThrow(message);
  });

  test('config platform', () => {
    expect(parseConfigPlatform(bytes({ os: 'linux', architecture: 'arm64', variant: 'v8', rootfs: {} }))).toEqual({
      os: 'linux',
      architecture: 'arm64',
      variant: 'v8',
    });
    expect(() => parseConfigPlatform(bytes({}))).toThrow(/os\/architecture/);
  });
});

describe('artifacts are not images', () => {
  const d = (c: string) => `sha256:${c.repeat(64)}`;
  const manifest = (extra: Record<string, unknown>, configMediaType: string = MediaType.ociConfig) => ({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: configMediaType, digest: d('c'), size: 2 },
    layers: [{ mediaType: 'application/octet-stream', digest: d('l'), size: 40 }],
    ...extra,
  });

  test.each([
    ['a container image', manifest({}), undefined],
    ['a Docker image', manifest({}, MediaType.dockerConfig), undefined],
    ['a config without media type (old registries)', manifest({}, ''), undefined],
    [
      'a Helm chart (its config type)',
      manifest({}, 'application/vnd.cncf.helm.config.v1+json'),
      'application/vnd.cncf.helm.config.v1+json',
    ],
    [
      'a Notation signature (artifactType)',
      manifest({ artifactType: 'application/vnd.cncf.notary.signature' }, 'application/vnd.oci.empty.v1+json'),
      'application/vnd.cncf.notary.signature',
    ],
    [
      'an empty-config artifact without artifactType',
      manifest({}, 'application/vnd.oci.empty.v1+json'),
      'application/vnd.oci.empty.v1+json',
    ],
    [
      'an image config with a subject (a referrer)',
      manifest({ subject: { mediaType: MediaType.ociManifest, digest: d('s'), size: 9 } }),
      MediaType.ociConfig,
    ],
  ])('%s', (_name, doc, expected) => {
    expect(artifactTypeOf(parseManifest(bytes(doc)))).toBe(expected);
  });

  test('manifest facts from ECR: an artifact keeps its type, size and subject, never an image ID', () => {
    const signature = manifest(
      { artifactType: 'application/vnd.cncf.notary.signature', subject: { mediaType: MediaType.ociManifest, digest: d('s'), size: 9 } },
      'application/vnd.oci.empty.v1+json',
    );
    expect(readManifestFacts(JSON.stringify(signature), MediaType.ociManifest)).toEqual({
      kind: 'artifact',
      artifactType: 'application/vnd.cncf.notary.signature',
      sizeBytes: 42,
      subject: d('s'),
    });
    // A malformed subject is ignored rather than trusted.
    expect(parseManifest(bytes(manifest({ subject: { digest: 'nope' } }))).subject).toBeUndefined();
    expect(describeArtifact('application/vnd.cncf.helm.config.v1+json')).toMatch(/^a Helm chart/);
    expect(describeArtifact('application/spdx+json')).toMatch(/^an SBOM/);
    expect(describeArtifact('application/vnd.dev.sigstore.bundle.v0.3+json')).toMatch(/^a signature/);
    expect(describeArtifact('application/x-thing')).toBe('an OCI artifact of type application/x-thing');
  });
});
