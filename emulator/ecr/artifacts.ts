/**
 * OCI 1.1 artifacts as ECR holds them beside images: signatures and SBOMs that refer to their
 * subject image (`subject`), and Helm charts. For tests and the demo; the manifests follow what
 * Notation, cosign v3, syft-style SBOM pushes and `helm push` write.
 */
import { MediaType } from '../../scanner/oci/media-types';
import { EcrImage, manifestImage, sha256Digest } from './store';

/** The OCI empty config most referrers use: its digest is the same everywhere, so it is no image identity. */
export const EMPTY_CONFIG = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
} as const;

export const ArtifactType = {
  notationSignature: 'application/vnd.cncf.notary.signature',
  cosignBundle: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  spdxSbom: 'application/spdx+json',
  helmConfig: 'application/vnd.cncf.helm.config.v1+json',
} as const;

function referrer(subject: EcrImage, artifactType: string, layerMediaType: string, label: string, tags: string[]): EcrImage {
  return manifestImage(
    {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType,
      config: EMPTY_CONFIG,
      layers: [{ mediaType: layerMediaType, digest: sha256Digest(`${label} ${subject.digest}`), size: 600 + label.length }],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.manifest.length },
      annotations: { 'org.opencontainers.image.created': '2026-11-01T00:00:00Z' },
    },
    tags,
  );
}

/** A Notation (AWS Signer, ECR managed signing) signature of `subject`. */
export function notationSignature(subject: EcrImage, tags: string[] = []): EcrImage {
  return referrer(subject, ArtifactType.notationSignature, 'application/jose+json', 'notation', tags);
}

/** A cosign v3 signature bundle of `subject`. */
export function cosignSignature(subject: EcrImage, tags: string[] = []): EcrImage {
  return referrer(subject, ArtifactType.cosignBundle, ArtifactType.cosignBundle, 'cosign', tags);
}

/** An SPDX SBOM of `subject`. */
export function spdxSbom(subject: EcrImage, tags: string[] = []): EcrImage {
  return referrer(subject, ArtifactType.spdxSbom, ArtifactType.spdxSbom, 'spdx', tags);
}

/** A Helm chart as `helm push` stores it: no artifactType, a Helm config. */
export function helmChart(name: string, version: string, tags: string[] = [version]): EcrImage {
  return manifestImage(
    {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: ArtifactType.helmConfig, digest: sha256Digest(`helm config ${name} ${version}`), size: 130 },
      layers: [
        { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', digest: sha256Digest(`chart ${name} ${version}`), size: 3400 },
      ],
    },
    tags,
  );
}
