/**
 * What the scanner keeps of a manifest, from ECR or from a source registry.
 * Manifests are content-addressed, so facts keyed by digest never goes
 * stale: that is what makes the digest cache safe.
 */
import { artifactTypeOf, isAttestation, ManifestError, manifestFromJson, parseManifestJson } from '../oci/manifest';
import { formatPlatform } from '../oci/platform';

/** One entry of an index, as the index lists it. */
export interface IndexChild {
  digest: string;
  /** `os/arch[/variant]` as the index states it; absent when the entry names no platform. */
  platform?: string;
  /** A buildx attestation or `unknown/unknown` entry: not a runnable image. */
  attestation?: true;
}

/** A blob (config or layer) as a manifest lists it: its digest and compressed size. */
export interface BlobDescriptor {
  readonly digest: string;
  readonly size: number;
}

export type ManifestFacts =
  /**
   * sizeBytes: config size plus the sizes of the layers the manifest lists (compressed, as stored).
   * platform: known only when something named it (a source image's config, read once and cached); ECR's API never does.
   * layers: the layer descriptors in manifest order (the config blob is imageId, of sizeBytes less the layers' sizes);
   * absent where they were never known (a hand-made inventory).
   */
  | { kind: 'image'; imageId: string; sizeBytes: number; platform?: string; layers?: readonly BlobDescriptor[] }
  | { kind: 'index'; children: IndexChild[] }
  /**
   * Not a container image (OCI 1.1 artifact): a Helm chart, an SBOM, a signature. artifactType: its
   * `artifactType`, else its config media type. subject: the digest it refers to, for a referrer.
   * Never compared by config digest: most share the OCI empty config.
   */
  | { kind: 'artifact'; artifactType: string; sizeBytes: number; subject?: string }
  /** Read but not comparable (schema 1, unknown type): kept so it is not fetched again. */
  | { kind: 'other'; reason: string };

function layersSize(doc: unknown): number {
  const layers = (doc as { layers?: unknown }).layers;
  let total = 0;
  if (Array.isArray(layers)) {
    for (const layer of layers as unknown[]) {
      const size = (layer as { size?: unknown } | null)?.size;
      if (typeof size === 'number' && Number.isFinite(size) && size > 0) total += size;
    }
  }
  return total;
}

const isBlobDescriptor = (layer: unknown): layer is BlobDescriptor => {
  const { digest, size } = (layer ?? {}) as { digest?: unknown; size?: unknown };
  return typeof digest === 'string' && digest !== '' && typeof size === 'number' && Number.isFinite(size) && size > 0;
};

/**
 * The manifest's layers with a digest and a positive size (what layersSize counts). The document's
 * own array when every layer is such, which is nearly always: ECR's inventory reads a million
 * manifests, and a copy of each list would be garbage made for nothing.
 */
function layerBlobs(doc: unknown): readonly BlobDescriptor[] {
  const layers = (doc as { layers?: unknown }).layers;
  if (!Array.isArray(layers)) return [];
  return (layers as unknown[]).every(isBlobDescriptor) ? layers : (layers as unknown[]).filter(isBlobDescriptor);
}

/**
 * An image's blobs: its config (the image ID, of its size less its layers') and its layers.
 * Where the layers are not known (a hand-made inventory), the config alone, of the whole size.
 */
export function imageBlobs(facts: Extract<ManifestFacts, { kind: 'image' }>): BlobDescriptor[] {
  const layers = facts.layers ?? [];
  let layerBytes = 0;
  for (const layer of layers) layerBytes += layer.size;
  return [
    { digest: facts.imageId, size: Math.max(0, facts.sizeBytes - layerBytes) },
    ...layers.map(({ digest, size }) => ({ digest, size })),
  ];
}

/** Words for an artifact type a person recognises; the type itself for the rest. */
export function describeArtifact(artifactType: string): string {
  if (artifactType.startsWith('application/vnd.cncf.helm.')) return `a Helm chart (${artifactType})`;
  if (/spdx|cyclonedx|sbom/i.test(artifactType)) return `an SBOM (${artifactType})`;
  if (/signature|notary|cosign|sigstore/i.test(artifactType)) return `a signature (${artifactType})`;
  if (/attestation|in-toto|provenance/i.test(artifactType)) return `an attestation (${artifactType})`;
  return `an OCI artifact of type ${artifactType}`;
}

/** The facts of manifest text (ECR returns it as a string) or bytes. */
export function readManifestFacts(manifest: string | Uint8Array, mediaType: string | undefined): ManifestFacts {
  try {
    const doc = parseManifestJson(typeof manifest === 'string' ? manifest : Buffer.from(manifest).toString('utf8'));
    const parsed = manifestFromJson(doc, mediaType);
    const artifactType = artifactTypeOf(parsed);
    if (artifactType !== undefined) {
      const configSize = parsed.kind === 'image' ? Math.max(0, parsed.config.size) : 0;
      return {
        kind: 'artifact',
        artifactType,
        sizeBytes: configSize + layersSize(doc),
        ...(parsed.subject !== undefined ? { subject: parsed.subject } : {}),
      };
    }
    if (parsed.kind === 'image') {
      const layers = layerBlobs(doc);
      let size = Math.max(0, parsed.config.size);
      for (const layer of layers) size += layer.size;
      return { kind: 'image', imageId: parsed.config.digest, sizeBytes: size, layers };
    }
    return {
      kind: 'index',
      children: parsed.manifests.map((m) => ({
        digest: m.digest,
        ...(m.platform && m.platform.os && m.platform.architecture ? { platform: formatPlatform(m.platform) } : {}),
        ...(isAttestation(m) ? { attestation: true as const } : {}),
      })),
    };
  } catch (err) {
    if (err instanceof ManifestError) return { kind: 'other', reason: err.message };
    throw err;
  }
}
