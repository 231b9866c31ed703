/** Media types of the OCI image spec and the Docker v2 formats that carry the same data. */
export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** Manifest kinds that list other manifests, one per platform. */
export const INDEX_MEDIA_TYPES: readonly string[] = [MediaType.ociIndex, MediaType.dockerManifestList];

/** Manifest kinds that describe one image: a config and its layers. */
export const IMAGE_MEDIA_TYPES: readonly string[] = [MediaType.ociManifest, MediaType.dockerManifest];

/** Every manifest kind we can read, in the order we prefer them. */
export const ACCEPTED_MANIFEST_TYPES: readonly string[] = [...INDEX_MEDIA_TYPES, ...IMAGE_MEDIA_TYPES];

export const SCHEMA1_MEDIA_TYPES: readonly string[] = [MediaType.dockerSchema1, MediaType.dockerSchema1Signed];
