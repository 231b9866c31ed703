/**
 * What the scanner keeps of a manifest, from ECR or from a source registry.
 * Manifests are content-addressed, so a summary keyed by digest never goes
 * stale: that is what makes the digest cache safe.
 */
import { isAttestation, Manifest, ManifestError, parseManifest } from '../oci/manifest';
import { formatPlatform } from '../oci/platform';

export interface IndexChild {
  digest: string;
  /** `os/arch[/variant]` as the index names it; absent when it names none. */
  platform?: string;
  /** A buildx attestation or signature entry, not a runnable image. */
  attestation?: true;
}

export type ManifestSummary =
  /** `platform` is known only when something named it: the image's config, or the cache of one read before. */
  | { kind: 'image'; imageId: string; platform?: string }
  | { kind: 'index'; children: IndexChild[] }
  /** Read but not comparable (schema 1, unknown type): kept so it is not fetched again. */
  | { kind: 'other'; reason: string };

/** The summary of a parsed manifest: its image ID, or its children with what the index says of them. */
export function summaryOf(manifest: Manifest): Exclude<ManifestSummary, { kind: 'other' }> {
  if (manifest.kind === 'image') return { kind: 'image', imageId: manifest.config.digest };
  return {
    kind: 'index',
    children: manifest.manifests.map((m) => ({
      digest: m.digest,
      ...(m.platform ? { platform: formatPlatform(m.platform) } : {}),
      ...(isAttestation(m) ? { attestation: true as const } : {}),
    })),
  };
}

export function summarizeManifest(bytes: Uint8Array, mediaType: string | undefined): ManifestSummary {
  try {
    return summaryOf(parseManifest(bytes, mediaType));
  } catch (err) {
    if (err instanceof ManifestError) return { kind: 'other', reason: err.message };
    throw err;
  }
}
