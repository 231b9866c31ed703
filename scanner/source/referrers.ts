/**
 * What travels with a source image: its signatures, attestations and SBOMs.
 * Asked with the OCI 1.1 referrers API (one GET, not a manifest pull); where a
 * registry lacks it (a 404 once is remembered for the host), the tag schemas
 * are probed by HEAD: OCI's `sha256-<hex>` index (read only when it exists)
 * and cosign's `sha256-<hex>.sig`, `.att` and `.sbom` tags.
 */
import { ErrorKind, ScanError } from '../errors/scan-error';
import { RegistryClient } from '../registry/client';
import { parseReferrerIndex, ReferrerDescriptor } from '../registry/listing';

/** One referrer of a source image. */
export interface SourceReferrer {
  digest: string;
  /** Its artifactType (the descriptor's, else its media type); cosign's tags get cosign's artifact types. */
  artifactType: string;
  /** How it was found: the referrers API, the OCI tag schema's index, or a cosign tag. */
  via: 'api' | 'tag-schema' | 'cosign-tag';
  /** The tag that holds it, for the tag schemas: what copy.sh copies. */
  tag?: string;
}

/** Cosign's tag suffixes and the artifact types cosign gives the same artifacts as OCI 1.1 referrers. */
export const COSIGN_TAG_TYPES: ReadonlyArray<readonly [suffix: string, artifactType: string]> = [
  ['sig', 'application/vnd.dev.cosign.artifact.sig.v1+json'],
  ['att', 'application/vnd.dev.cosign.artifact.att.v1+json'],
  ['sbom', 'application/vnd.dev.cosign.artifact.sbom.v1+json'],
];

/** `sha256:abc…` -> `sha256-abc…`, the tag schema's name for a digest. */
export function digestTag(digest: string): string {
  return digest.replace(':', '-');
}

export interface ReferrerLookup {
  referrers: SourceReferrer[];
  /** Why they could not be listed; the image is still compared. */
  error?: string;
  /** With `error`: its report.json errorKind. */
  errorKind?: ErrorKind;
}

export class ReferrerFinder {
  /**
   * Per host: does it speak the referrers API? The first source on a host
   * asks; the others wait for its answer, so a registry without the API is
   * asked once, not once per source in flight.
   */
  private readonly hasApi = new Map<string, Promise<boolean>>();

  constructor(private readonly client: RegistryClient) {}

  async find(registry: string, repository: string, subject: string): Promise<ReferrerLookup> {
    try {
      let known = this.hasApi.get(registry);
      let listed: ReferrerDescriptor[] | undefined;
      if (!known) {
        const asking = this.client.listReferrers(registry, repository, subject);
        // A failure says nothing of the API: the next source asks again.
        known = asking.then(
          (r) => r !== undefined,
          () => true,
        );
        this.hasApi.set(registry, known);
        listed = await asking;
      } else if (await known) {
        listed = await this.client.listReferrers(registry, repository, subject);
      }
      if (listed) return { referrers: listed.map((r) => ({ digest: r.digest, artifactType: r.artifactType, via: 'api' as const })) };
      return { referrers: await this.fromTags(registry, repository, subject) };
    } catch (err) {
      if (!(err instanceof ScanError)) throw err;
      return { referrers: [], error: `cannot list its referrers: ${err.message}`, errorKind: err.kind };
    }
  }
  private async fromTags(registry: string, repository: string, subject: string): Promise<SourceReferrer[]> {
    const base = digestTag(subject);
    const [index, ...cosign] = await Promise.all([
      this.client.probeTag(registry, repository, base),
      ...COSIGN_TAG_TYPES.map(([suffix]) => this.client.probeTag(registry, repository, `${base}.${suffix}`)),
    ]);
    const found: SourceReferrer[] = [];
    if (index) {
      // The one GET of the fallback: only an index that exists tells what it lists.
      const fetched = await this.client.getManifest(registry, repository, index.digest, 'referrers');
      for (const r of parseReferrerIndex(fetched.bytes) ?? [])
        found.push({ digest: r.digest, artifactType: r.artifactType, via: 'tag-schema', tag: base });
    }
    cosign.forEach((head, i) => {
      const [suffix, artifactType] = COSIGN_TAG_TYPES[i]!;
      if (head) found.push({ digest: head.digest, artifactType, via: 'cosign-tag', tag: `${base}.${suffix}` });
    });
    return found;
  }
}
