/**
 * Lists every image of every repository in the account's ECR registry, of
 * every storage class, and reads each manifest once (BatchGetImage, 100 at a
 * time) to learn its image ID. API calls from all repositories share one
 * concurrency bound. What is learned goes straight into the compact
 * InventoryStore; nothing per image outlives the page it arrived in.
 */
import {
  BatchGetImageCommand,
  BatchGetImageCommandOutput,
  DescribeImagesCommand,
  DescribeImagesCommandOutput,
  ECRClient,
  ImageDetail,
  ListImagesCommand,
  ListImagesCommandOutput,
  paginateDescribeRepositories,
} from '@aws-sdk/client-ecr';
import { Limiter } from '../concurrency/limiter';
import {
  AwsErrorContext,
  awsErrorName,
  classifyAwsError,
  isNoCredentials,
  isUnrecognizedClient,
  unrecognizedClientWhy,
} from '../errors/aws-error';
import { FatalError } from '../errors/fatal-error';
import type { ErrorKind } from '../errors/scan-error';
import { ACCEPTED_MANIFEST_TYPES } from '../oci/media-types';
import { IMAGE_CONFIG_MEDIA_TYPES } from '../oci/manifest';
import { InventoryStore, RepositoryListing, STATUS_ACTIVATING, STATUS_ARCHIVED } from './inventory-store';
import { readManifestFacts } from './manifest-facts';
import { ManifestTable } from './manifest-table';
import { ECR_INVENTORY_OPERATIONS, EcrInventoryOperation, inventoryIamActions, targetSettingsIamActions } from './operations';
import { inventoryFromStore, storeCounts } from './store-inventory';
import { EcrInventory, EcrInventoryCounts, EcrTagMutability } from './types';

const REPOSITORIES_PAGE = 1000;
const IMAGES_PAGE = 1000;
const BATCH_GET_MAX = 100;
/** BatchGetImage failures named one by one in the report; the rest are counted. */
const NAMED_FAILURES_MAX = 100;
/** Failure codes that mean the image is no longer in ECR: leaving it out is the truth. */
const GONE_CODES = new Set(['ImageNotFound', 'MissingDigestAndTag']);

export interface InventoryProgress {
  repositoriesListed: number;
  listingDone: boolean;
  repositoriesDone: number;
  images: number;
  manifestsFetched: number;
  manifestsFromCache: number;
}

export interface InventoryOptions {
  client: ECRClient;
  concurrency: number;
  /** The digest cache: manifests already known are not fetched; what is fetched is added to it. */
  cache?: ManifestTable;
  /** `repository:tag` pairs whose digest the scan needs (sources in this very registry, the plan's targets); other tags are not kept. */
  wantedTags?: ReadonlySet<string>;
  onProgress?: (progress: Readonly<InventoryProgress>) => void;
  onWarning?: (message: string) => void;
  /** AWS already accepted these credentials in this run (a scope decided with STS), so UnrecognizedClientException is the region (aws-error.ts). */
  credentialsProven?: boolean;
}

/** What the run says, once, of an ECR endpoint that does not know the archive storage class. */
export const ARCHIVE_CLASS_UNSUPPORTED =
  'this ECR endpoint does not know the archive storage class (it ignored or refused filter.imageStatus): every image was taken as ACTIVE';

/**
 * An endpoint refuses a request it does not understand as `invalid` (InvalidParameterException,
 * ValidationException). Our listing requests are otherwise valid, so such an answer to a request with
 * `filter.imageStatus` means the filter itself was refused.
 */
const refusedRequest = (err: unknown) => classifyAwsError(err) === 'invalid';
/** A repository deleted while it was read: left out, as it is no longer in ECR. */
const repositoryGone = (err: unknown) => classifyAwsError(err) === 'not-found';

/** The registry cannot be read; it becomes an ecr[] error, and the scan stops with exit status 2 when no registry of its scope was read. */
export class EcrInventoryError extends FatalError {
  /** The report.json `errorKind` of the failure. */
  readonly kind: ErrorKind;

  constructor(message: string, options: { cause?: unknown; kind?: ErrorKind } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = options.kind ?? classifyAwsError(options.cause);
  }
}

class RepositoryVanished extends Error {}

function explain(err: unknown, context: AwsErrorContext, operation: EcrInventoryOperation, repository?: string): Error {
  const kind = classifyAwsError(err, context);
  const name = awsErrorName(err);
  const message = (err as Error)?.message ?? String(err);
  const where = repository ? ` on repository ${repository}` : '';
  if (kind === 'denied') {
    return new EcrInventoryError(
      `ECR ${operation} was denied${where}: the scanner needs the IAM permission ${ECR_INVENTORY_OPERATIONS[operation]} ` +
        `(it uses ${inventoryIamActions().join(', ')}; and ${targetSettingsIamActions().join(', ')} on "*" for the plan's target registry). ` +
        `AWS said: ${message}`,
      { cause: err, kind },
    );
  }
  if (isUnrecognizedClient(err)) {
    // A scope's registry says which of the two it is itself (registry-fault.ts); alone, both are named.
    const why = context.credentialsProven === true ? '' : ` (${unrecognizedClientWhy('this region')})`;
    return new EcrInventoryError(`AWS did not accept the credentials for ECR ${operation} (${name})${why}: ${message}`, {
      cause: err,
      kind,
    });
  }
  if (kind === 'credentials') {
    return new EcrInventoryError(
      isNoCredentials(err)
        ? `no AWS credentials for ECR ${operation} (set AWS_PROFILE, environment keys or an instance role): ${message}`
        : `AWS did not accept the credentials for ECR ${operation} (${name}): ${message}`,
      { cause: err, kind },
    );
  }
  return new EcrInventoryError(`ECR ${operation} failed${where}: ${name ? `${name}: ` : ''}${message}`, { cause: err, kind });
}

type Run = <T>(task: () => Promise<T>) => Promise<T>;

/** Each page of an SDK paginator fetched inside a limiter slot, so pages of all repositories share one bound. */
async function* limitedPages<T>(pages: AsyncGenerator<T>, run: Run): AsyncGenerator<T> {
  for (;;) {
    const next = await run(() => pages.next());
    if (next.done) return;
    yield next.value;
  }
}

class InventoryReader {
  private readonly limiter: Limiter;
  private readonly store: InventoryStore;
  private readonly warn: (message: string) => void;
  private readonly progress: InventoryProgress = {
    repositoriesListed: 0,
    listingDone: false,
    repositoriesDone: 0,
    images: 0,
    manifestsFetched: 0,
    manifestsFromCache: 0,
  };
  private readonly skipped: string[] = [];
  private readonly listed: string[] = [];
  /** The digests of the wanted tags, `repository:tag` -> digest. */
  private readonly digestByTag = new Map<string, string>();
  private accountId: string | undefined;
  private vanishedImages = 0;
  /** Manifests read that are neither images, indexes nor artifacts (schema 1, unknown media types). */
  private notComparableManifests = 0;
  /** Repositories whose tags are not all MUTABLE (the default is kept as no entry). */
  private readonly mutability = new Map<string, EcrTagMutability>();
  /** BatchGetImage failures of images still in ECR: the only sense of "unreadable" here, as in report.json's unreadableImages. */
  private readonly unreadableImages: EcrInventoryCounts['unreadable'] = { count: 0, byCode: {}, images: [] };
  /**
   * False once the endpoint showed it does not know the archive storage class (it refused `filter.imageStatus`,
   * or answered a DescribeImages of ARCHIVED images with images that carry no `imageStatus`): from then on,
   * repositories are listed without the filter, none is described for archived images, and all are ACTIVE.
   */
  private archiveClassKnown = true;

  private readonly wantedTags: ReadonlySet<string>;

  private readonly awsContext: AwsErrorContext;

  constructor(private readonly options: InventoryOptions) {
    this.awsContext = { credentialsProven: options.credentialsProven === true };
    this.wantedTags = options.wantedTags ?? new Set();
    this.limiter = new Limiter(options.concurrency);
    this.store = new InventoryStore(options.cache ?? new ManifestTable());
    this.warn = options.onWarning ?? (() => undefined);
  }

  async read(): Promise<EcrInventory> {
    await this.readRepositories();
    this.emitProgress();
    if (this.vanishedImages > 0) this.warn(`${this.vanishedImages} image(s) were deleted while the scan read them; left out`);
    if (this.notComparableManifests > 0)
      this.warn(`${this.notComparableManifests} ECR manifest(s) are not comparable images (e.g. schema 1); left out`);
    if (this.unreadableImages.count > 0) {
      const codes = Object.entries(this.unreadableImages.byCode).map(([c, n]) => `${c}: ${n}`);
      this.warn(`${this.unreadableImages.count} ECR image(s) could not be read (${codes.join(', ')}); listed in report.json`);
    }
    this.store.finish();
    const region = await this.options.client.config.region();
    const counts = storeCounts(this.store, this.unreadableImages, this.archiveClassKnown ? undefined : 'unsupported');
    if (counts.notCompared > 0) {
      this.warn(
        `${counts.notCompared} archived ECR image(s) could not be compared by image ID (an archived manifest cannot be read, and the digest cache does not know it); ` +
          'they still match a source of the same manifest digest',
      );
    }
    const skippedRepositories = [...this.skipped].sort();
    return inventoryFromStore(this.store, {
      ...(this.accountId !== undefined ? { accountId: this.accountId } : {}),
      region,
      repositories: this.progress.repositoriesListed - skippedRepositories.length,
      images: this.progress.images,
      skippedRepositories,
      repositoryNames: this.listed.filter((r) => !this.skipped.includes(r)),
      counts,
      mutability: this.mutability,
      digestByTag: this.digestByTag,
    });
  }

  /** Every ECR call goes through here: one concurrency bound for all repositories. */
  private readonly run: Run = (task) => this.limiter.run(task);

  private emitProgress(): void {
    this.options.onProgress?.(this.progress);
  }

  /** Starts each repository as soon as its name is listed; waits for all of them. */
  private async readRepositories(): Promise<void> {
    const tasks: Promise<void>[] = [];
    try {
      const pages = paginateDescribeRepositories({ client: this.options.client, pageSize: REPOSITORIES_PAGE }, {});
      for await (const page of limitedPages(pages, this.run)) {
        for (const repository of page.repositories ?? []) {
          if (!repository.repositoryName) continue;
          this.accountId ??= repository.registryId;
          this.progress.repositoriesListed++;
          this.listed.push(repository.repositoryName);
          const mutability = repository.imageTagMutability;
          if (mutability && mutability !== 'MUTABLE') {
            this.mutability.set(repository.repositoryName, {
              mutability,
              exclusionFilters: (repository.imageTagMutabilityExclusionFilters ?? []).flatMap((f) => (f.filter ? [f.filter] : [])),
            });
          }
          const task = this.readRepository(repository.repositoryName);
          // Observed by Promise.all below; this keeps an early failure from being reported as unhandled meanwhile.
          task.catch(() => undefined);
          tasks.push(task);
        }
        this.emitProgress();
      }
    } catch (err) {
      await Promise.allSettled(tasks);
      throw explain(err, this.awsContext, 'DescribeRepositories');
    }
    this.progress.listingDone = true;
    await Promise.all(tasks);
  }

  private async readRepository(repository: string): Promise<void> {
    let repo: number | undefined;
    try {
      const added = await this.listRepository(repository);
      repo = added.repo;
      const manifests = this.store.manifests;
      const missing: number[] = [];
      for (let row = added.start; row < added.end; row++) {
        const digest = this.store.digestIdAt(row);
        // Content-addressed: known from the cache file, from the listing (an artifact), or from
        // another repository that holds the same manifest and was read earlier.
        if (manifests.hasFacts(digest)) {
          if (!manifests.learnedThisRun(digest)) this.progress.manifestsFromCache++;
          manifests.markUsed(digest);
        } else if (!this.store.isInactive(row)) missing.push(row);
        // else: archived images cannot be pulled until restored; asking would only fail (and might count as a pull).
      }
      const batches: Promise<void>[] = [];
      const waiting = Int32Array.from(missing);
      for (let i = 0; i < waiting.length; i += BATCH_GET_MAX)
        batches.push(this.batchGet(repository, waiting.subarray(i, i + BATCH_GET_MAX)));
      try {
        await Promise.all(batches);
      } catch (err) {
        if (repositoryGone(err)) throw new RepositoryVanished();
        throw explain(err, this.awsContext, 'BatchGetImage', repository);
      }
    } catch (err) {
      if (!(err instanceof RepositoryVanished)) throw err;
      if (repo !== undefined) this.store.dropRepository(repo);
      this.skipped.push(repository);
      this.warn(`repository ${repository} was deleted while the scan read it; skipped`);
    } finally {
      this.progress.repositoriesDone++;
      this.emitProgress();
    }
  }

  /** Its own function so the listing is garbage once its rows are in the store, not kept by a waiting caller. */
  private async listRepository(repository: string): Promise<{ repo: number; start: number; end: number }> {
    const listing = await this.listImages(repository);
    this.progress.images += listing.size;
    return this.store.addRepository(repository, listing);
  }

  /**
   * Every image of a repository, of every storage class, with its tags. ECR lists ACTIVE images only
   * unless asked. ListImages with `imageStatus: ANY` lists them all, but does not say which are
   * archived; DescribeImages would say, for every image, but its answers are four times the size and
   * measured +330 MB of peak memory at a million images (docs/performance.md). So: ListImages of every
   * image (digest and tag, one entry per tag) and, beside it, DescribeImages of the ARCHIVED ones only
   * (usually one short page, with their artifact type and subject). One call more per repository.
   * ACTIVATING images (restoring, for about 20 minutes) answer BatchGetImage with ImageInaccessible.
   * Each image's own `imageStatus` decides, not the filter: an endpoint that ignores the filter must
   * not make every image archived.
   */
  private async listImages(repository: string): Promise<RepositoryListing> {
    const listing = new RepositoryListing(this.store.manifests);
    const [, inactive] = await Promise.all([this.listEveryImage(repository, listing), this.describeInactive(repository)]);
    for (const detail of inactive) this.addInactive(listing, repository, detail);
    return listing;
  }

  /** Pages by hand, not by the SDK's paginator: whether to filter is decided in the limiter slot of the first page. */
  private async listEveryImage(repository: string, listing: RepositoryListing): Promise<void> {
    let filtered = false;
    let nextToken: string | undefined;
    let first = true;
    try {
      do {
        const page: ListImagesCommandOutput = await this.run(() => {
          if (first) filtered = this.archiveClassKnown;
          const filter = filtered ? { filter: { imageStatus: 'ANY' as const } } : {};
          return this.options.client.send(
            new ListImagesCommand({ repositoryName: repository, maxResults: IMAGES_PAGE, nextToken, ...filter }),
          );
        });
        first = false;
        for (const id of page.imageIds ?? []) {
          if (!id.imageDigest) continue;
          listing.add(id.imageDigest, id.imageTag);
          if (id.imageTag && this.wantedTags.size > 0 && this.wantedTags.has(`${repository}:${id.imageTag}`)) {
            this.digestByTag.set(`${repository}:${id.imageTag}`, id.imageDigest);
          }
        }
        nextToken = page.nextToken;
      } while (nextToken);
    } catch (err) {
      if (repositoryGone(err)) throw new RepositoryVanished();
      // Refused on its first page: the filter is what the endpoint does not know; list again without it.
      if (first && filtered && refusedRequest(err)) {
        this.archiveClassUnknown();
        return this.listEveryImage(repository, listing);
      }
      throw explain(err, this.awsContext, 'ListImages', repository);
    }
  }

  /**
   * The ARCHIVED and ACTIVATING images of a repository, as ECR describes them; none where the endpoint has
   * no archive class. Each page asks only while that is not known (checked in its limiter slot).
   */
  private async describeInactive(repository: string): Promise<ImageDetail[]> {
    const inactive: ImageDetail[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const page: DescribeImagesCommandOutput | undefined = await this.run(async () =>
          this.archiveClassKnown
            ? this.options.client.send(
                new DescribeImagesCommand({
                  repositoryName: repository,
                  maxResults: IMAGES_PAGE,
                  nextToken,
                  filter: { imageStatus: 'ARCHIVED' },
                }),
              )
            : undefined,
        );
        if (!page) return [];
        for (const detail of page.imageDetails ?? []) {
          if (detail.imageStatus === undefined) {
            // The filter was ignored: this endpoint lists every image and knows no storage class.
            this.archiveClassUnknown();
            return [];
          }
          if (detail.imageStatus === 'ARCHIVED' || detail.imageStatus === 'ACTIVATING') inactive.push(detail);
        }
        nextToken = page.nextToken;
      } while (nextToken);
    } catch (err) {
      if (repositoryGone(err)) throw new RepositoryVanished();
      if (refusedRequest(err)) {
        this.archiveClassUnknown();
        return [];
      }
      throw explain(err, this.awsContext, 'DescribeImages', repository);
    }
    return inactive;
  }

  private archiveClassUnknown(): void {
    if (!this.archiveClassKnown) return;
    this.archiveClassKnown = false;
    this.warn(ARCHIVE_CLASS_UNSUPPORTED);
  }

  /** Marks an archived or activating image; such an artifact or referrer is known from ECR's words, as its manifest cannot be read. */
  private addInactive(listing: RepositoryListing, repository: string, detail: ImageDetail): void {
    const digest = detail.imageDigest;
    if (!digest) return;
    // Archived between the two listings, or listed by both: either way it is in ECR, inactive.
    const id = listing.add(digest, undefined);
    listing.setStatus(id, detail.imageStatus === 'ACTIVATING' ? STATUS_ACTIVATING : STATUS_ARCHIVED);
    if (this.wantedTags.size > 0) {
      for (const tag of detail.imageTags ?? []) {
        if (this.wantedTags.has(`${repository}:${tag}`) && !this.digestByTag.has(`${repository}:${tag}`)) {
          this.digestByTag.set(`${repository}:${tag}`, digest);
        }
      }
    }
    const artifactType = detail.artifactMediaType;
    const isArtifact =
      (artifactType !== undefined && !IMAGE_CONFIG_MEDIA_TYPES.includes(artifactType)) || detail.subjectManifestDigest !== undefined;
    const manifests = this.store.manifests;
    if (isArtifact && !manifests.hasFacts(id)) {
      manifests.setAt(id, {
        kind: 'artifact',
        artifactType: artifactType ?? 'unknown',
        sizeBytes: Math.max(0, detail.imageSizeInBytes ?? 0),
        ...(detail.subjectManifestDigest ? { subject: detail.subjectManifestDigest } : {}),
      });
    }
  }

  /**
   * Every listing is in before most manifests are read (the limiter is FIFO),
   * so ten thousand batches can wait at once: a waiting batch holds only its
   * row numbers, and its digests become strings once it has a slot.
   */
  private async batchGet(repository: string, rows: Int32Array): Promise<void> {
    const manifests = this.store.manifests;
    let digests: string[] = [];
    const response: BatchGetImageCommandOutput = await this.run(() => {
      digests = Array.from(rows, (row) => manifests.digestAt(this.store.digestIdAt(row)));
      return this.options.client.send(
        new BatchGetImageCommand({
          repositoryName: repository,
          imageIds: digests.map((imageDigest) => ({ imageDigest })),
          acceptedMediaTypes: [...ACCEPTED_MANIFEST_TYPES],
        }),
      );
    });
    // ECR answers in the order asked, so the digest's id is usually the next one asked for; else it is looked up.
    let next = 0;
    for (const image of response.images ?? []) {
      const digest = image.imageId?.imageDigest;
      if (!digest || typeof image.imageManifest !== 'string') continue;
      const facts = readManifestFacts(image.imageManifest, image.imageManifestMediaType);
      if (facts.kind === 'other') this.notComparableManifests++;
      if (digests[next] === digest) manifests.setAt(this.store.digestIdAt(rows[next++]!), facts);
      else manifests.set(digest, facts);
      this.progress.manifestsFetched++;
    }
    for (const failure of response.failures ?? []) {
      const code = failure.failureCode ?? 'Unknown';
      const digest = failure.imageId?.imageDigest ?? '';
      if (GONE_CODES.has(code)) {
        // Deleted since the listing: it is no longer in ECR, so leaving it out is the truth.
        this.vanishedImages++;
        const k = digests.indexOf(digest);
        if (k >= 0) this.store.drop(rows[k]!);
        continue;
      }
      // Still in ECR but not readable now (ImageInaccessible: archived since the listing; KmsError; a pull-through
      // upstream's Upstream* codes; codes yet unknown): kept, matchable by its manifest digest, counted and named.
      this.unreadableImages.count++;
      this.unreadableImages.byCode[code] = (this.unreadableImages.byCode[code] ?? 0) + 1;
      if (this.unreadableImages.images.length < NAMED_FAILURES_MAX)
        this.unreadableImages.images.push({ repository, manifestDigest: digest, failureCode: code });
    }
  }
}

/** The process's heap policy for a large inventory is the CLI's to set (scanner/heap.ts), not this library's. */
export async function inventoryEcr(options: InventoryOptions): Promise<EcrInventory> {
  return new InventoryReader(options).read();
}
