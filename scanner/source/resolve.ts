/**
 * Resolves a source reference to its platform images through manifests:
 * an index becomes its platform entries; a platform manifest reads its
 * config blob only to learn its platform.
 */
import { ImageReference } from '../oci/reference';
import { isAttestation, Manifest, ManifestError, parseConfigPlatform, parseManifest } from '../oci/manifest';
import { formatPlatform, Platform } from '../oci/platform';
import { RegistryClient, RegistryError } from '../registry/client';
import { PlatformFilter } from '../oci/platform';
import { ResolvedSource, SourceImage } from './types';

/** Indexes of indexes exist but are rare; a bound keeps a malicious registry from looping us. */
const MAX_INDEX_DEPTH = 3;

export class ResolveError extends Error {}

async function manifestAt(client: RegistryClient, ref: ImageReference, reference: string): Promise<{ digest: string; manifest: Manifest }> {
  const fetched = await client.getManifest(ref.registry, ref.repository, reference);
  try {
    return { digest: fetched.digest, manifest: parseManifest(fetched.bytes, fetched.contentType) };
  } catch (err) {
    if (err instanceof ManifestError) throw new ResolveError(`manifest ${fetched.digest}: ${err.message}`);
    throw err;
  }
}

async function imagesOf(
  client: RegistryClient,
  ref: ImageReference,
  digest: string,
  manifest: Manifest,
  filter: PlatformFilter,
  depth: number,
  knownPlatform?: Platform,
): Promise<SourceImage[]> {
  if (manifest.kind === 'image') {
    let platform = knownPlatform;
    if (!platform) {
      const config = await client.getBlob(ref.registry, ref.repository, manifest.config.digest);
      try {
        platform = parseConfigPlatform(config);
      } catch (err) {
        throw new ResolveError(`config ${manifest.config.digest}: ${(err as Error).message}`);
      }
    }
    if (!filter.accepts(platform)) {
      if (depth === 0) throw new ResolveError(`the image is ${formatPlatform(platform)}, which --platform ${filter.describe()} excludes`);
      return [];
    }
    return [{ platform: formatPlatform(platform), manifestDigest: digest, imageId: manifest.config.digest }];
  }
  if (depth >= MAX_INDEX_DEPTH) throw new ResolveError(`indexes nested deeper than ${MAX_INDEX_DEPTH} levels`);
  const platformEntries = manifest.manifests.filter((d) => !isAttestation(d));
  const children = platformEntries.filter((d) => !d.platform || filter.accepts(d.platform));
  if (children.length === 0) {
    const offered = platformEntries.map((d) => (d.platform ? formatPlatform(d.platform) : d.digest)).join(', ');
    throw new ResolveError(
      platformEntries.length === 0
        ? 'the index lists no platform images'
        : `no platform of the index (${offered}) matches --platform ${filter.describe()}`,
    );
  }
  const nested = await Promise.all(
    children.map(async (child) => {
      const fetched = await manifestAt(client, ref, child.digest);
      return imagesOf(client, ref, child.digest, fetched.manifest, filter, depth + 1, child.platform);
    }),
  );
  return nested.flat();
}

/** Never throws: a failure becomes an `ok: false` result with a message for the report. */
export async function resolveSource(client: RegistryClient, ref: ImageReference, filter: PlatformFilter): Promise<ResolvedSource> {
  let digest: string | undefined;
  try {
    const top = await manifestAt(client, ref, ref.digest ?? ref.tag ?? 'latest');
    digest = top.digest;
    const images = await imagesOf(client, ref, top.digest, top.manifest, filter, 0);
    if (images.length === 0) throw new ResolveError(`no platform image matches --platform ${filter.describe()}`);
    return { ok: true, digest, images };
  } catch (err) {
    if (err instanceof RegistryError || err instanceof ResolveError) {
      return { ok: false, ...(digest ? { digest } : {}), error: err.message };
    }
    throw err;
  }
}
