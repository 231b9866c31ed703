import { isAttestation, ManifestError, parseConfigPlatform, parseManifest } from '../../scanner/oci/manifest';
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
