/**
 * What the inventory keeps of an ECR manifest. Manifests are content-addressed,
 * so a summary keyed by digest never goes stale: that is what makes the
 * digest cache safe.
 */
import { ManifestError, parseManifest } from '../oci/manifest';

export type ManifestSummary =
  | { kind: 'image'; imageId: string }
  | { kind: 'index'; children: string[] }
  /** Read but not comparable (schema 1, unknown type): kept so it is not fetched again. */
  | { kind: 'other'; reason: string };

export function summarizeManifest(bytes: Uint8Array, mediaType: string | undefined): ManifestSummary {
  try {
    const manifest = parseManifest(bytes, mediaType);
    return manifest.kind === 'image'
      ? { kind: 'image', imageId: manifest.config.digest }
      : { kind: 'index', children: manifest.manifests.map((m) => m.digest) };
  } catch (err) {
    if (err instanceof ManifestError) return { kind: 'other', reason: err.message };
    throw err;
  }
}
