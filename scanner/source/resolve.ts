/**
 * Resolves a source reference to its platform images, paying for as few pulls
 * as possible: a tag is resolved with a HEAD (free on Docker Hub); a manifest
 * is fetched only when neither ECR's copy of that digest nor the digest cache
 * knows it; a config blob only when nothing else names the platform.
 */
import { ErrorKind, ScanError } from '../errors/scan-error';
import { BlobDescriptor, describeArtifact, imageBlobs, ManifestFacts, readManifestFacts } from '../ecr/manifest-facts';
import { parseConfigPlatform } from '../oci/manifest';
import { formatPlatform, parsePlatformText, Platform, PlatformFilter } from '../oci/platform';
import { ImageReference } from '../oci/reference';
import { RegistryClient } from '../registry/client';
import { ResolvedSource, SourceImage, SourceTransfer } from './types';

/** Indexes of indexes exist but are rare; a bound keeps a malicious registry from looping us. */
const MAX_INDEX_DEPTH = 3;
/** The platform of an image in the scanned registry that nothing names (its config is not read: no registry call). */
export const UNKNOWN_PLATFORM = 'unknown';

export class ResolveError extends ScanError {}

/** What can be learned of a digest without asking the source registry. */
export interface ManifestKnowledge {
  /** ECR's copy of the digest or the digest cache's entry; may wait for the ECR inventory. */
  lookup(digest: string): Promise<ManifestFacts | undefined>;
  /** Keeps what a GET taught, so the next run need not ask. */
  remember(digest: string, facts: ManifestFacts): void;
}

/** The ECR registry being scanned: its sources are answered from the inventory, without the registry API. */
export interface ScannedRegistry {
  /** True when the registry is the one being scanned; may wait for the inventory to learn the account. */
  isScanned(registry: string): Promise<boolean>;
  /** The manifest digest a repository's tag points to in that scanned ECR registry, or undefined when the tag is not there. */
  lookupTag(registry: string, repository: string, tag: string): Promise<string | undefined>;
}

export interface ResolveContext {
  client: RegistryClient;
  filter: PlatformFilter;
  known: ManifestKnowledge;
  scanned?: ScannedRegistry;
}

type ComparableFacts = Exclude<ManifestFacts, { kind: 'other' } | { kind: 'artifact' }>;

/** Facts that is no comparable image or index: schema 1 and the like, or an artifact (chart, SBOM, signature). */
function notComparable(digest: string, facts: ManifestFacts): ResolveError | undefined {
  if (facts.kind === 'other') return new ResolveError(`manifest ${digest}: ${facts.reason}`, 'invalid');
  if (facts.kind === 'artifact') {
    return new ResolveError(`manifest ${digest} is not a container image: it is ${describeArtifact(facts.artifactType)}`, 'invalid');
  }
  return undefined;
}

class SourceResolver {
  /** The blobs of the image manifests read, by digest (each once), and the manifest GETs a copy makes. */
  private readonly blobs = new Map<string, BlobDescriptor>();
  private pulls = 1;

  constructor(
    private readonly ctx: ResolveContext,
    private readonly ref: ImageReference,
    private readonly inScannedRegistry: boolean,
  ) {}

  /** The digest the reference names now: its own digest, ECR's tag, or the source's answer to a HEAD (a GET if HEAD says nothing). */
  async topDigest(): Promise<string> {
    const { ref, ctx } = this;
    if (ref.digest) return ref.digest;
    const tag = ref.tag ?? 'latest';
    if (this.inScannedRegistry) {
      const digest = await ctx.scanned!.lookupTag(ref.registry, ref.repository, tag);
      if (!digest)
        throw new ResolveError(`tag ${tag} not found in ${ref.registry}/${ref.repository} (the scanned ECR registry)`, 'not-found');
      return digest;
    }
    const head = await ctx.client.headManifest(ref.registry, ref.repository, tag);
    if (head) return head.digest;
    const fetched = await ctx.client.getManifest(ref.registry, ref.repository, tag);
    this.ctx.known.remember(fetched.digest, this.parse(fetched.digest, fetched.bytes, fetched.contentType));
    return fetched.digest;
  }

  private parse(digest: string, bytes: Buffer, contentType: string | undefined): ComparableFacts {
    const facts = readManifestFacts(bytes, contentType);
    const problem = notComparable(digest, facts);
    if (problem) throw problem;
    return facts as ComparableFacts;
  }

  async facts(digest: string): Promise<ComparableFacts> {
    const facts = await this.anyFacts(digest);
    const problem = notComparable(digest, facts);
    if (problem) throw problem;
    return facts as ComparableFacts;
  }

  /** What the digest is, artifacts included (an index may list a signature beside its platform images). */
  private async anyFacts(digest: string): Promise<ManifestFacts> {
    const known = await this.ctx.known.lookup(digest);
    if (known) return known;
    if (this.inScannedRegistry)
      throw new ResolveError(
        `manifest ${digest} not found in ${this.ref.registry}/${this.ref.repository} (the scanned ECR registry)`,
        'not-found',
      );
    const fetched = await this.ctx.client.getManifest(this.ref.registry, this.ref.repository, digest);
    const facts = readManifestFacts(fetched.bytes, fetched.contentType);
    if (facts.kind !== 'other') this.ctx.known.remember(digest, facts);
    return facts;
  }

  /** The platform of an image manifest: named by its index, by the cache, else read from its config. */
  private async platformOf(digest: string, facts: Extract<ComparableFacts, { kind: 'image' }>): Promise<Platform | undefined> {
    // In the scanned registry nothing is read, and a platform learned by chance (the cache) would make the report differ by run.
    if (this.inScannedRegistry) return undefined;
    if (facts.platform !== undefined) return parsePlatformText(facts.platform);
    const config = await this.ctx.client.getBlob(this.ref.registry, this.ref.repository, facts.imageId);
    let platform: Platform;
    try {
      platform = parseConfigPlatform(config);
    } catch (err) {
      throw new ResolveError(`config ${facts.imageId}: ${(err as Error).message}`, 'invalid', { cause: err });
    }
    this.ctx.known.remember(digest, { ...facts, platform: formatPlatform(platform) });
    return platform;
  }

  /** What a copy of the source would move, from what was read. */
  transfer(): SourceTransfer {
    return { blobs: [...this.blobs.values()], pulls: this.pulls };
  }

  async images(digest: string, facts: ComparableFacts, depth: number, named?: Platform): Promise<SourceImage[]> {
    const { filter } = this.ctx;
    if (facts.kind === 'image') {
      // Counted before the platform filter: `skopeo copy --all` carries every image of an index that was read.
      for (const blob of imageBlobs(facts)) if (!this.blobs.has(blob.digest)) this.blobs.set(blob.digest, blob);
      const platform = named ?? (await this.platformOf(digest, facts));
      // An image whose platform nothing names can only be in the scanned registry; it is compared whatever --platform says.
      if (platform && !filter.accepts(platform)) {
        if (depth === 0)
          throw new ResolveError(`the image is ${formatPlatform(platform)}, which --platform ${filter.describe()} excludes`, 'platform');
        return [];
      }
      return [{ platform: platform ? formatPlatform(platform) : UNKNOWN_PLATFORM, manifestDigest: digest, imageId: facts.imageId }];
    }
    if (depth >= MAX_INDEX_DEPTH) throw new ResolveError(`indexes nested deeper than ${MAX_INDEX_DEPTH} levels`, 'invalid');
    // A copy GETs every child of the index, attestations included.
    this.pulls += facts.children.length;
    const platformEntries = facts.children.filter((c) => !c.attestation);
    const children = platformEntries.map((c) => ({ ...c, parsed: c.platform ? parsePlatformText(c.platform) : undefined }));
    const accepted = children.filter((c) => !c.parsed || filter.accepts(c.parsed));
    if (accepted.length === 0) {
      const offered = platformEntries.map((c) => c.platform ?? c.digest).join(', ');
      throw new ResolveError(
        platformEntries.length === 0
          ? 'the index lists no platform images'
          : `no platform of the index (${offered}) matches --platform ${filter.describe()}`,
        platformEntries.length === 0 ? 'invalid' : 'platform',
      );
    }
    const nested = await Promise.all(
      accepted.map(async (c) => {
        const child = await this.anyFacts(c.digest);
        // An artifact an index lists (a signature, an SBOM) is no platform image; anything else unreadable fails the source.
        if (child.kind === 'artifact') return [];
        const problem = notComparable(c.digest, child);
        if (problem) throw problem;
        return this.images(c.digest, child as ComparableFacts, depth + 1, c.parsed);
      }),
    );
    return nested.flat();
  }
}

/** Never throws for a source's own failure: that becomes an `ok: false` result with a message and kind for the report. */
export async function resolveSource(ctx: ResolveContext, ref: ImageReference): Promise<ResolvedSource> {
  let digest: string | undefined;
  try {
    const resolver = new SourceResolver(ctx, ref, (await ctx.scanned?.isScanned(ref.registry)) ?? false);
    digest = await resolver.topDigest();
    const images = await resolver.images(digest, await resolver.facts(digest), 0);
    if (images.length === 0) throw new ResolveError(`no platform image matches --platform ${ctx.filter.describe()}`, 'platform');
    return { ok: true, digest, images, transfer: resolver.transfer() };
  } catch (err) {
    if (err instanceof ScanError) {
      const errorKind: ErrorKind = err.kind;
      return { ok: false, ...(digest ? { digest } : {}), error: err.message, errorKind };
    }
    throw err;
  }
}
