/**
 * Lists every image of every repository in the account's ECR registry and
 * reads each manifest once (BatchGetImage, 100 at a time) to learn its image
 * ID. API calls from all repositories share one concurrency bound.
 */
import { BatchGetImageCommand, DescribeRepositoriesCommand, ECRClient, ListImagesCommand } from '@aws-sdk/client-ecr';
import { Limiter } from '../concurrency/limiter';
import { EcrInventory, EcrPlatformImage } from './types';
import { ACCEPTED_MANIFEST_TYPES } from '../oci/media-types';
import { ManifestSummary, summarizeManifest } from './manifest-summary';

const REPOSITORIES_PAGE = 1000;
const IMAGES_PAGE = 1000;
const BATCH_GET_MAX = 100;

export interface DigestCache {
  get(digest: string): ManifestSummary | undefined;
  set(digest: string, summary: ManifestSummary): void;
}

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
  cache?: DigestCache;
  /** `repository:tag` pairs whose digest the scan needs (sources in this very registry); other tags are not kept. */
  wantedTags?: ReadonlySet<string>;
  onProgress?: (progress: Readonly<InventoryProgress>) => void;
  onWarning?: (message: string) => void;
}

/** The inventory cannot be trusted; the scan stops with exit status 2. */
export class EcrInventoryError extends Error {}

type EcrOperation = 'DescribeRepositories' | 'ListImages' | 'BatchGetImage';

class RepositoryVanished extends Error {}

function errorName(err: unknown): string {
  return (err as { name?: string }).name ?? '';
}

function explain(err: unknown, operation: EcrOperation, repository?: string): Error {
  const name = errorName(err);
  const where = repository ? ` on repository ${repository}` : '';
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnrecognizedClientException') {
    return new EcrInventoryError(
      `ECR ${operation} was denied${where}: the scanner needs the IAM permission ecr:${operation} ` +
        `(it uses ecr:DescribeRepositories, ecr:ListImages and ecr:BatchGetImage). AWS said: ${(err as Error).message}`,
    );
  }
  if (name === 'CredentialsProviderError' || /credential/i.test((err as Error).message ?? '')) {
    return new EcrInventoryError(`no AWS credentials for ECR ${operation}: ${(err as Error).message}`);
  }
  return new EcrInventoryError(`ECR ${operation} failed${where}: ${name ? `${name}: ` : ''}${(err as Error).message}`);
}

interface RepositoryImages {
  repository: string;
  /** Every listed manifest digest with its own tags. */
  tagsByDigest: Map<string, string[]>;
  summaries: Map<string, ManifestSummary>;
}

/** Child manifests of an index inherit its tags, so a match on a child can name the tag a user pushed. */
function platformImagesOf(repo: RepositoryImages): EcrPlatformImage[] {
  const inheritedTags = new Map<string, Set<string>>();
  const addTags = (digest: string, tags: string[], depth: number) => {
    const summary = repo.summaries.get(digest);
    if (!summary || depth > 3) return;
    if (summary.kind === 'index') {
      for (const child of summary.children) addTags(child.digest, tags, depth + 1);
    } else if (depth > 0 && tags.length > 0) {
      let set = inheritedTags.get(digest);
      if (!set) inheritedTags.set(digest, (set = new Set()));
      for (const t of tags) set.add(t);
    }
  };
  for (const [digest, tags] of repo.tagsByDigest) if (tags.length > 0) addTags(digest, tags, 0);

  const result: EcrPlatformImage[] = [];
  for (const [digest, tags] of repo.tagsByDigest) {
    const summary = repo.summaries.get(digest);
    if (summary?.kind !== 'image') continue;
    const own = [...tags].sort();
    const inherited = [...(inheritedTags.get(digest) ?? [])].filter((t) => !own.includes(t)).sort();
    result.push({ repository: repo.repository, manifestDigest: digest, imageId: summary.imageId, tags: [...own, ...inherited] });
  }
  return result;
}

export async function inventoryEcr(options: InventoryOptions): Promise<EcrInventory> {
  const { client, cache } = options;
  const limiter = new Limiter(options.concurrency);
  const warn = options.onWarning ?? (() => undefined);
  const progress: InventoryProgress = {
    repositoriesListed: 0,
    listingDone: false,
    repositoriesDone: 0,
    images: 0,
    manifestsFetched: 0,
    manifestsFromCache: 0,
  };
  const report = () => options.onProgress?.(progress);
  const skippedRepositories: string[] = [];
  const listedRepositories: string[] = [];
  const platformImages: EcrPlatformImage[] = [];
  const manifestsByDigest = new Map<string, ManifestSummary>();
  const wantedTags = options.wantedTags ?? new Set<string>();
  const digestByTag = new Map<string, string>();
  let accountId: string | undefined;
  let vanishedImages = 0;
  let unreadable = 0;

  /**
   * Every image of a repository with its tags. ListImages returns digest and
   * tag only (one entry per tag), which measured about a third less CPU and
   * memory to read than DescribeImages' full details; both page by 1000.
   */
  const listImages = async (repository: string): Promise<Map<string, string[]>> => {
    const tagsByDigest = new Map<string, string[]>();
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const page = await limiter.run(() =>
        client.send(new ListImagesCommand({ repositoryName: repository, maxResults: IMAGES_PAGE, ...(token ? { nextToken: token } : {}) })),
      );
      for (const id of page.imageIds ?? []) {
        if (!id.imageDigest) continue;
        const tags = tagsByDigest.get(id.imageDigest);
        if (id.imageTag && wantedTags.size > 0 && wantedTags.has(`${repository}:${id.imageTag}`)) {
          digestByTag.set(`${repository}:${id.imageTag}`, id.imageDigest);
        }
        if (!tags) tagsByDigest.set(id.imageDigest, id.imageTag ? [id.imageTag] : []);
        else if (id.imageTag) tags.push(id.imageTag);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return tagsByDigest;
  };

  const batchGet = async (repository: string, digests: string[], summaries: Map<string, ManifestSummary>) => {
    const response = await limiter.run(() =>
      client.send(
        new BatchGetImageCommand({
          repositoryName: repository,
          imageIds: digests.map((imageDigest) => ({ imageDigest })),
          acceptedMediaTypes: [...ACCEPTED_MANIFEST_TYPES],
        }),
      ),
    );
    for (const image of response.images ?? []) {
      const digest = image.imageId?.imageDigest;
      if (!digest || image.imageManifest === undefined) continue;
      const summary = summarizeManifest(Buffer.from(image.imageManifest, 'utf8'), image.imageManifestMediaType);
      if (summary.kind === 'other') unreadable++;
      summaries.set(digest, summary);
      cache?.set(digest, summary);
      progress.manifestsFetched++;
    }
    for (const failure of response.failures ?? []) {
      // Deleted since ListImages: it is no longer in ECR, so leaving it out is the truth.
      if (failure.failureCode === 'ImageNotFound' || failure.failureCode === 'MissingDigestAndTag') vanishedImages++;
      else
        warn(
          `ECR could not return ${repository}@${failure.imageId?.imageDigest ?? '?'}: ${failure.failureCode ?? ''} ${failure.failureReason ?? ''}`.trim(),
        );
    }
  };

  const readRepository = async (repository: string): Promise<void> => {
    try {
      let tagsByDigest: Map<string, string[]>;
      try {
        tagsByDigest = await listImages(repository);
      } catch (err) {
        if (errorName(err) === 'RepositoryNotFoundException') throw new RepositoryVanished();
        throw explain(err, 'ListImages', repository);
      }
      const repo: RepositoryImages = { repository, tagsByDigest, summaries: new Map() };
      const missing: string[] = [];
      for (const digest of tagsByDigest.keys()) {
        const cached = cache?.get(digest);
        if (cached) {
          repo.summaries.set(digest, cached);
          progress.manifestsFromCache++;
        } else missing.push(digest);
      }
      progress.images += tagsByDigest.size;
      const batches: string[][] = [];
      for (let i = 0; i < missing.length; i += BATCH_GET_MAX) batches.push(missing.slice(i, i + BATCH_GET_MAX));
      try {
        await Promise.all(batches.map((batch) => batchGet(repository, batch, repo.summaries)));
      } catch (err) {
        if (errorName(err) === 'RepositoryNotFoundException') throw new RepositoryVanished();
        throw explain(err, 'BatchGetImage', repository);
      }
      platformImages.push(...platformImagesOf(repo));
      for (const [digest, summary] of repo.summaries) manifestsByDigest.set(digest, summary);
    } catch (err) {
      if (!(err instanceof RepositoryVanished)) throw err;
      skippedRepositories.push(repository);
      warn(`repository ${repository} was deleted while the scan read it; skipped`);
    } finally {
      progress.repositoriesDone++;
      report();
    }
  };

  const repositoryTasks: Promise<void>[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const token = nextToken;
      const page = await limiter.run(() =>
        client.send(new DescribeRepositoriesCommand({ maxResults: REPOSITORIES_PAGE, ...(token ? { nextToken: token } : {}) })),
      );
      for (const repository of page.repositories ?? []) {
        if (!repository.repositoryName) continue;
        accountId ??= repository.registryId;
        progress.repositoriesListed++;
        listedRepositories.push(repository.repositoryName);
        const task = readRepository(repository.repositoryName);
        // Observed by Promise.all below; this keeps an early failure from being reported as unhandled meanwhile.
        task.catch(() => undefined);
        repositoryTasks.push(task);
      }
      report();
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (err) {
    await Promise.allSettled(repositoryTasks);
    throw explain(err, 'DescribeRepositories');
  }
  progress.listingDone = true;
  await Promise.all(repositoryTasks);
  report();
  if (vanishedImages > 0) warn(`${vanishedImages} image(s) were deleted while the scan read them; left out`);
  if (unreadable > 0) warn(`${unreadable} ECR manifest(s) are not comparable images (e.g. schema 1); left out`);

  const region = await client.config.region();
  skippedRepositories.sort();
  return {
    accountId: accountId ?? 'unknown',
    region,
    repositories: progress.repositoriesListed - skippedRepositories.length,
    images: progress.images,
    skippedRepositories,
    repositoryNames: listedRepositories.filter((r) => !skippedRepositories.includes(r)),
    platformImages,
    lookupManifest: (digest) => manifestsByDigest.get(digest),
    lookupTag: (repository, tag) => digestByTag.get(`${repository}:${tag}`),
  };
}
