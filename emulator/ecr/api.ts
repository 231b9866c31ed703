/**
 * The ECR operations the emulator answers, with the request and response
 * shapes of ECR's AWS JSON 1.1 API (botocore's ecr/2015-09-21/service-2.json).
 * Handlers are synchronous and pure over the store; HTTP, faults and timing
 * live in dispatch.ts and the modules it calls.
 */
import type { RegistrySettings } from './registry-settings';
import { EcrStore, IMAGE_STATUSES, ImageStatus, Repository, StoredImage, isValidDigest } from './store';

export const ECR_OPERATIONS = [
  'DescribeRepositories',
  'DescribeImages',
  'BatchGetImage',
  'ListImages',
  'GetAuthorizationToken',
  'ListImageReferrers',
  'UpdateImageStorageClass',
  'RegisterPullTimeUpdateExclusion',
  'DeregisterPullTimeUpdateExclusion',
  'ListPullTimeUpdateExclusions',
  'DescribePullThroughCacheRules',
  'CreatePullThroughCacheRule',
  'GetAccountSetting',
  'PutAccountSetting',
] as const;
export type EcrOperation = (typeof ECR_OPERATIONS)[number];
export type PagedOperation = Exclude<
  EcrOperation,
  | 'BatchGetImage'
  | 'UpdateImageStorageClass'
  | 'RegisterPullTimeUpdateExclusion'
  | 'DeregisterPullTimeUpdateExclusion'
  | 'CreatePullThroughCacheRule'
  | 'GetAccountSetting'
  | 'PutAccountSetting'
>;

export function isEcrOperation(name: string): name is EcrOperation {
  return (ECR_OPERATIONS as readonly string[]).includes(name);
}

/** An error ECR would answer with: `{"__type": code, "message": ...}` and an HTTP status. */
export class EcrServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export interface ApiContext {
  accountId: string;
  region: string;
  /** Server-side page size caps: the page is min(requested or 100, cap). */
  pageSize: Partial<Record<PagedOperation, number>>;
  /** What GetAuthorizationToken answers: the Basic login and where the registry API is. */
  authorization: { username: string; password: string; proxyEndpoint: string; validForMs: number };
  /** The IAM principal (role ARN) every request is taken to come from. */
  callerPrincipalArn: string;
  /** Principals whose pulls leave lastRecordedPullTime alone (RegisterPullTimeUpdateExclusion; at most 100 an account). */
  pullTimeExclusions: Set<string>;
  /** Whether this ECR knows the archive storage class (see ArchiveClassSupport). */
  archiveClass: ArchiveClassSupport;
}

/**
 * How an ECR-compatible endpoint treats the archive storage class (2025-11).
 * - `supported`: as ECR does today.
 * - `filter-ignored`: as moto and endpoints that predate the class: `filter.imageStatus` is ignored (every image is
 *   listed), and no `imageStatus`/`artifactStatus` is answered.
 * - `filter-refused`: a request naming `filter.imageStatus`/`filter.artifactStatus` fails with InvalidParameterException.
 */
export type ArchiveClassSupport = 'supported' | 'filter-ignored' | 'filter-refused';

/** ECR's quota of pull-time update exclusions per account. */
const MAX_PULL_TIME_EXCLUSIONS = 100;
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)\/[\w+=,.@/-]+$/;

export type JsonObject = Record<string, unknown>;

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
const MAX_IMAGE_IDS = 100;
/** ListImageReferrers pages: 20 by default, at most 50. */
const REFERRERS_DEFAULT_PAGE = 20;
const REFERRERS_MAX_PAGE = 50;

export function invalid(message: string): EcrServiceError {
  return new EcrServiceError('InvalidParameterException', message);
}

export function constraint(field: string, text: string): EcrServiceError {
  return invalid(`Invalid parameter at '${field}' failed to satisfy constraint: '${text}'`);
}

export function optionalString(input: JsonObject, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new EcrServiceError('SerializationException', `${field} must be a string`);
  return value;
}

export function requiredString(input: JsonObject, field: string): string {
  const value = optionalString(input, field);
  if (value === undefined) throw constraint(field, 'Member must not be null');
  return value;
}

function optionalList(input: JsonObject, field: string): unknown[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new EcrServiceError('SerializationException', `${field} must be a list`);
  return value;
}

export function stringList(input: JsonObject, field: string, max: number): string[] | undefined {
  const list = optionalList(input, field);
  if (list === undefined) return undefined;
  if (list.length < 1) throw constraint(field, 'Member must have length greater than or equal to 1');
  if (list.length > max) throw constraint(field, `Member must have length less than or equal to ${max}`);
  if (!list.every((v) => typeof v === 'string')) throw new EcrServiceError('SerializationException', `${field} must hold strings`);
  return list as string[];
}

export function pageLimit(input: JsonObject, cap: number | undefined, defaultPage = DEFAULT_PAGE, maxPage = MAX_PAGE): number {
  const value = input.maxResults;
  let requested = defaultPage;
  if (value !== undefined && value !== null) {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new EcrServiceError('SerializationException', 'maxResults must be an integer');
    }
    if (value < 1) throw constraint('maxResults', 'Member must have value greater than or equal to 1');
    if (value > maxPage) throw constraint('maxResults', `Member must have value less than or equal to ${maxPage}`);
    requested = value;
  }
  return Math.max(1, Math.min(requested, cap ?? maxPage));
}

/** The `filter` structure of a request, or an empty one. */
function filterOf(input: JsonObject): JsonObject {
  const filter = input.filter;
  if (filter === undefined || filter === null) return {};
  if (typeof filter !== 'object' || Array.isArray(filter))
    throw new EcrServiceError('SerializationException', 'filter must be a structure');
  return filter as JsonObject;
}

/** `imageStatus`/`artifactStatus` of a filter: ECR lists ACTIVE images only unless asked (the archive class, 2025-11). */
function statusFilter(filter: JsonObject, field: string, support: ArchiveClassSupport): (status: ImageStatus) => boolean {
  const named = filter[field] !== undefined && filter[field] !== null;
  if (support === 'filter-refused' && named) throw constraint('filter', `unknown member ${field}`);
  if (support === 'filter-ignored') return () => true;
  const wanted = optionalString(filter, field) ?? 'ACTIVE';
  if (wanted === 'ANY') return () => true;
  if (!(IMAGE_STATUSES as readonly string[]).includes(wanted)) {
    throw constraint(`filter.${field}`, 'Member must satisfy enum value set: [ACTIVE, ARCHIVED, ACTIVATING, ANY]');
  }
  return (status) => status === wanted;
}

/** Where a page ends. Opaque to clients; tied to operation, repository incarnation and filter so misuse is caught. */
export interface PageToken {
  op: string;
  repo: number;
  pos: number;
  sub?: number;
  filter?: string;
}

export function encodeToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64');
}

export function decodeToken(raw: string | undefined, expect: Omit<PageToken, 'pos' | 'sub'>): PageToken | undefined {
  if (raw === undefined) return undefined;
  let token: PageToken | undefined;
  try {
    token = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as PageToken;
  } catch {
    token = undefined;
  }
  if (
    !token ||
    token.op !== expect.op ||
    token.repo !== expect.repo ||
    token.filter !== expect.filter ||
    !Number.isInteger(token.pos) ||
    token.pos < 0
  ) {
    throw constraint('nextToken', 'Invalid NextToken');
  }
  return token;
}

const epochSeconds = (ms: number): number => ms / 1000;

/** An image identifier as a request gives it: either field may be missing. */
interface ImageId {
  imageDigest?: string | undefined;
  imageTag?: string | undefined;
}

class Api {
  constructor(
    private readonly store: EcrStore,
    private readonly ctx: ApiContext,
  ) {}

  /** The registry a request names (its own when none); settings of another registry are not emulated. */
  registryIdOf(input: JsonObject): string {
    const registry = this.registryOf(input);
    if (!registry.ours) throw invalid(`The ECR emulator keeps settings of its own registries only, not of ${registry.id}`);
    return registry.id;
  }

  /** A foreign registryId behaves like a registry that has no repositories for us. */
  private registryOf(input: JsonObject): { id: string; ours: boolean } {
    const id = optionalString(input, 'registryId');
    if (id === undefined) return { id: this.ctx.accountId, ours: true };
    if (!/^[0-9]{12}$/.test(id)) throw constraint('registryId', "Member must satisfy regular expression pattern: '[0-9]{12}'");
    return { id, ours: id === this.ctx.accountId };
  }

  private notFound(name: string, registryId: string): EcrServiceError {
    return new EcrServiceError(
      'RepositoryNotFoundException',
      `The repository with name '${name}' does not exist in the registry with id '${registryId}'`,
    );
  }

  private repositoryFor(input: JsonObject): { repo: Repository; registryId: string } {
    const registry = this.registryOf(input);
    const name = requiredString(input, 'repositoryName');
    const repo = registry.ours ? this.store.repository(name) : undefined;
    if (!repo) throw this.notFound(name, registry.id);
    return { repo, registryId: registry.id };
  }

  private repositoryJson(repo: Repository): JsonObject {
    const { accountId, region } = this.ctx;
    const { mutability, exclusionFilters } = repo.mutability;
    return {
      repositoryArn: `arn:aws:ecr:${region}:${accountId}:repository/${repo.name}`,
      registryId: accountId,
      repositoryName: repo.name,
      repositoryUri: `${accountId}.dkr.ecr.${region}.amazonaws.com/${repo.name}`,
      createdAt: epochSeconds(repo.createdAt.getTime()),
      imageTagMutability: mutability,
      ...(exclusionFilters.length > 0
        ? { imageTagMutabilityExclusionFilters: exclusionFilters.map((filter) => ({ filterType: 'WILDCARD', filter })) }
        : {}),
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    };
  }

  private imageDetail(repo: Repository, image: StoredImage, registryId: string): JsonObject {
    const detail: JsonObject = {
      registryId,
      repositoryName: repo.name,
      imageDigest: image.digest,
    };
    if (image.tags.length > 0) detail.imageTags = [...image.tags];
    detail.imageSizeInBytes = repo.sizeOf(image);
    detail.imagePushedAt = epochSeconds(image.pushedAtMs);
    detail.imageManifestMediaType = image.mediaType;
    const artifact = repo.artifactMediaTypeOf(image);
    if (artifact !== undefined) detail.artifactMediaType = artifact;
    const subject = repo.subjectOf(image);
    if (subject !== undefined) detail.subjectManifestDigest = subject;
    if (this.ctx.archiveClass === 'supported') detail.imageStatus = image.imageStatus;
    if (image.lastRecordedPullMs !== undefined) detail.lastRecordedPullTime = epochSeconds(image.lastRecordedPullMs);
    return detail;
  }

  /**
   * Fills one page from slot `start`, then looks ahead so the last page never
   * carries a nextToken that leads to an empty page.
   */
  private page<T>(
    count: number,
    start: number,
    limit: number,
    matches: (pos: number) => boolean,
    build: (pos: number) => T,
  ): { items: T[]; next: number | undefined } {
    const items: T[] = [];
    let pos = start;
    for (; pos < count && items.length < limit; pos++) if (matches(pos)) items.push(build(pos));
    let ahead = pos;
    while (ahead < count && !matches(ahead)) ahead++;
    return { items, next: ahead < count ? pos : undefined };
  }

  DescribeRepositories(input: JsonObject): JsonObject {
    const registry = this.registryOf(input);
    const names = stringList(input, 'repositoryNames', MAX_PAGE);
    if (names) {
      if (input.maxResults !== undefined || input.nextToken !== undefined) {
        throw invalid("Invalid parameter: 'maxResults' and 'nextToken' cannot be used together with 'repositoryNames'");
      }
      const repositories = [...new Set(names)].map((name) => {
        const repo = registry.ours ? this.store.repository(name) : undefined;
        if (!repo) throw this.notFound(name, registry.id);
        return this.repositoryJson(repo);
      });
      return { repositories };
    }
    const limit = pageLimit(input, this.ctx.pageSize.DescribeRepositories);
    const token = decodeToken(optionalString(input, 'nextToken'), { op: 'DescribeRepositories', repo: 0 });
    if (!registry.ours) return { repositories: [] };
    const { items, next } = this.page(
      this.store.repositorySlotCount,
      token?.pos ?? 0,
      limit,
      (pos) => this.store.repositorySlot(pos) !== undefined,
      (pos) => this.repositoryJson(this.store.repositorySlot(pos) as Repository),
    );
    const out: JsonObject = { repositories: items };
    if (next !== undefined) out.nextToken = encodeToken({ op: 'DescribeRepositories', repo: 0, pos: next });
    return out;
  }

  /** The listing filter of ListImages and DescribeImages; `key` ties page tokens to it. */
  private listingFilter(input: JsonObject): { tagStatus: string; key: string; listed: (image: StoredImage) => boolean } {
    const f = filterOf(input);
    const tagStatus = optionalString(f, 'tagStatus') ?? 'ANY';
    if (!['TAGGED', 'UNTAGGED', 'ANY'].includes(tagStatus)) {
      throw constraint('filter.tagStatus', 'Member must satisfy enum value set: [TAGGED, UNTAGGED, ANY]');
    }
    const statusListed = statusFilter(f, 'imageStatus', this.ctx.archiveClass);
    return {
      tagStatus,
      key: `${tagStatus}/${optionalString(f, 'imageStatus') ?? 'ACTIVE'}`,
      listed: (image) =>
        statusListed(image.imageStatus) &&
        (tagStatus === 'TAGGED' ? image.tags.length > 0 : tagStatus === 'UNTAGGED' ? image.tags.length === 0 : true),
    };
  }

  private imageIds(input: JsonObject, required: boolean): ImageId[] | undefined {
    const list = optionalList(input, 'imageIds');
    if (list === undefined) {
      if (required) throw constraint('imageIds', 'Member must not be null');
      return undefined;
    }
    if (list.length < 1) throw constraint('imageIds', 'Member must have length greater than or equal to 1');
    if (list.length > MAX_IMAGE_IDS) {
      throw constraint('imageIds', `Member must have length less than or equal to ${MAX_IMAGE_IDS}`);
    }
    return list.map((raw) => {
      if (!raw || typeof raw !== 'object') throw new EcrServiceError('SerializationException', 'imageIds must hold structures');
      const id = raw as JsonObject;
      return { imageDigest: optionalString(id, 'imageDigest'), imageTag: optionalString(id, 'imageTag') };
    });
  }

  DescribeImages(input: JsonObject): JsonObject {
    const { repo, registryId } = this.repositoryFor(input);
    const ids = this.imageIds(input, false);
    const filter = this.listingFilter(input);
    if (ids) {
      if (input.maxResults !== undefined || input.nextToken !== undefined) {
        throw invalid("Invalid parameter: 'maxResults' and 'nextToken' cannot be used together with 'imageIds'");
      }
      const seen = new Set<string>();
      const imageDetails: JsonObject[] = [];
      for (const id of ids) {
        const image = this.lookup(repo, id);
        if (!image) {
          throw new EcrServiceError(
            'ImageNotFoundException',
            `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} ` +
              `does not exist within the repository with name '${repo.name}' in the registry with id '${registryId}'`,
          );
        }
        if (seen.has(image.digest)) continue;
        seen.add(image.digest);
        imageDetails.push(this.imageDetail(repo, image, registryId));
      }
      return { imageDetails };
    }
    const limit = pageLimit(input, this.ctx.pageSize.DescribeImages);
    const token = decodeToken(optionalString(input, 'nextToken'), { op: 'DescribeImages', repo: repo.id, filter: filter.key });
    const matches = (pos: number): boolean => {
      const image = repo.slot(pos);
      return image !== undefined && filter.listed(image);
    };
    const { items, next } = this.page(repo.slotCount, token?.pos ?? 0, limit, matches, (pos) =>
      this.imageDetail(repo, repo.slot(pos) as StoredImage, registryId),
    );
    const out: JsonObject = { imageDetails: items };
    if (next !== undefined) {
      out.nextToken = encodeToken({ op: 'DescribeImages', repo: repo.id, pos: next, filter: filter.key });
    }
    return out;
  }

  ListImages(input: JsonObject): JsonObject {
    const { repo } = this.repositoryFor(input);
    const filter = this.listingFilter(input);
    const limit = pageLimit(input, this.ctx.pageSize.ListImages);
    const token = decodeToken(optionalString(input, 'nextToken'), { op: 'ListImages', repo: repo.id, filter: filter.key });
    // ECR lists a tagged image once per tag and an untagged one once, by digest alone; the status is not in the answer.
    const entriesOf = (image: StoredImage): JsonObject[] => {
      if (!filter.listed(image)) return [];
      if (image.tags.length === 0) return [{ imageDigest: image.digest }];
      return image.tags.map((imageTag) => ({ imageDigest: image.digest, imageTag }));
    };
    const imageIds: JsonObject[] = [];
    let pos = token?.pos ?? 0;
    let sub = token?.sub ?? 0;
    // The token is only set when another entry exists, so the last page never points at an empty one.
    let next: { pos: number; sub: number } | undefined;
    for (; pos < repo.slotCount; pos++, sub = 0) {
      const image = repo.slot(pos);
      if (!image) continue;
      const entries = entriesOf(image);
      for (; sub < entries.length; sub++) {
        if (imageIds.length === limit) {
          next = { pos, sub };
          break;
        }
        imageIds.push(entries[sub]);
      }
      if (next) break;
    }
    const out: JsonObject = { imageIds };
    if (next) out.nextToken = encodeToken({ op: 'ListImages', repo: repo.id, pos: next.pos, sub: next.sub, filter: filter.key });
    return out;
  }

  private lookup(repo: Repository, id: ImageId): StoredImage | undefined {
    if (id.imageDigest !== undefined) {
      const image = repo.byDigestOrUndefined(id.imageDigest);
      return image && (id.imageTag === undefined || image.tags.includes(id.imageTag)) ? image : undefined;
    }
    return id.imageTag === undefined ? undefined : repo.byTagOrUndefined(id.imageTag);
  }

  BatchGetImage(input: JsonObject): JsonObject {
    const { repo, registryId } = this.repositoryFor(input);
    const ids = this.imageIds(input, true) ?? [];
    const accepted = stringList(input, 'acceptedMediaTypes', MAX_IMAGE_IDS);
    const images: JsonObject[] = [];
    const failures: JsonObject[] = [];
    const seen = new Set<string>();
    for (const id of ids) {
      const key = `${id.imageDigest ?? ''}\n${id.imageTag ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const requested: JsonObject = {};
      if (id.imageDigest !== undefined) requested.imageDigest = id.imageDigest;
      if (id.imageTag !== undefined) requested.imageTag = id.imageTag;
      const fail = (failureCode: string, failureReason: string) => failures.push({ imageId: requested, failureCode, failureReason });
      if (id.imageDigest === undefined && id.imageTag === undefined) {
        fail('MissingDigestAndTag', 'Invalid request parameters: both tag and digest cannot be null');
        continue;
      }
      if (id.imageDigest !== undefined && !isValidDigest(id.imageDigest)) {
        fail('InvalidImageDigest', "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'");
        continue;
      }
      if (id.imageTag !== undefined && (id.imageTag.length < 1 || id.imageTag.length > 300)) {
        fail('InvalidImageTag', 'Invalid request parameters: image tag length should be between 1 and 300');
        continue;
      }
      const byDigest = id.imageDigest !== undefined ? repo.byDigestOrUndefined(id.imageDigest) : undefined;
      if (byDigest && id.imageTag !== undefined && !byDigest.tags.includes(id.imageTag)) {
        fail('ImageTagDoesNotMatchDigest', 'Invalid request parameters: given tag and digest do not match');
        continue;
      }
      const image = this.lookup(repo, id);
      if (!image) {
        fail('ImageNotFound', 'Requested image not found');
        continue;
      }
      // ECR converts only schema2 to schema1 (by tag); other formats outside the accepted list are not returned.
      if (accepted && !accepted.includes(image.mediaType)) {
        fail('ImageNotFound', `Requested image not found: manifest media type ${image.mediaType} is not in acceptedMediaTypes`);
        continue;
      }
      if (image.failureCode !== undefined) {
        fail(image.failureCode, `${image.failureCode} set by the ECR emulator for this image`);
        continue;
      }
      // An archived image (or one being restored) cannot be pulled; ECR's answer for it is not documented, this is the code that came with the class.
      if (image.imageStatus !== 'ACTIVE') {
        fail('ImageInaccessible', `The image is ${image.imageStatus}; restore it with UpdateImageStorageClass to pull it`);
        continue;
      }
      // ECR records a BatchGetImage as a pull (aws/containers-roadmap#2390), unless the caller is excluded.
      if (!this.ctx.pullTimeExclusions.has(this.ctx.callerPrincipalArn)) image.lastRecordedPullMs = this.store.nowMs();
      images.push({
        registryId,
        repositoryName: repo.name,
        imageId: { imageDigest: image.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) },
        imageManifest: repo.manifestOf(image).toString('utf8'),
        imageManifestMediaType: image.mediaType,
      });
    }
    return { images, failures };
  }

  /** The referrers (manifests whose `subject` is the given digest) of one repository, as OCI descriptors. */
  ListImageReferrers(input: JsonObject): JsonObject {
    const { repo } = this.repositoryFor(input);
    const subject = input.subjectId;
    if (!subject || typeof subject !== 'object') throw constraint('subjectId', 'Member must not be null');
    const subjectDigest = requiredString(subject as JsonObject, 'imageDigest');
    if (!isValidDigest(subjectDigest)) throw invalid(`Invalid parameter at 'subjectId.imageDigest': invalid digest ${subjectDigest}`);
    const f = filterOf(input);
    const statusListed = statusFilter(f, 'artifactStatus', this.ctx.archiveClass);
    const types = stringList(f, 'artifactTypes', 50);
    const limit = pageLimit(input, this.ctx.pageSize.ListImageReferrers, REFERRERS_DEFAULT_PAGE, REFERRERS_MAX_PAGE);
    const key = `${subjectDigest}/${optionalString(f, 'artifactStatus') ?? 'ACTIVE'}/${(types ?? []).join(',')}`;
    const token = decodeToken(optionalString(input, 'nextToken'), { op: 'ListImageReferrers', repo: repo.id, filter: key });
    const matches = (pos: number): boolean => {
      const image = repo.slot(pos);
      if (!image || repo.subjectOf(image) !== subjectDigest || !statusListed(image.imageStatus)) return false;
      return !types || types.includes(repo.artifactMediaTypeOf(image) ?? '');
    };
    const { items, next } = this.page(repo.slotCount, token?.pos ?? 0, limit, matches, (pos) => {
      const image = repo.slot(pos) as StoredImage;
      const manifest = repo.manifestOf(image);
      const annotations = (JSON.parse(manifest.toString('utf8')) as { annotations?: unknown }).annotations;
      const artifactType = repo.artifactMediaTypeOf(image);
      return {
        digest: image.digest,
        mediaType: image.mediaType,
        ...(artifactType !== undefined ? { artifactType } : {}),
        size: manifest.length,
        ...(annotations && typeof annotations === 'object' ? { annotations } : {}),
        ...(this.ctx.archiveClass === 'supported' ? { artifactStatus: image.imageStatus } : {}),
      };
    });
    const out: JsonObject = { referrers: items };
    if (next !== undefined) out.nextToken = encodeToken({ op: 'ListImageReferrers', repo: repo.id, pos: next, filter: key });
    return out;
  }

  /**
   * ARCHIVE archives an ACTIVE image; STANDARD starts restoring an ARCHIVED one (ACTIVATING: about 20 minutes in AWS,
   * until a test calls setImageStatus).
   */
  UpdateImageStorageClass(input: JsonObject): JsonObject {
    const { repo, registryId } = this.repositoryFor(input);
    const raw = input.imageId;
    if (!raw || typeof raw !== 'object') throw constraint('imageId', 'Member must not be null');
    const id: ImageId = {
      imageDigest: optionalString(raw as JsonObject, 'imageDigest'),
      imageTag: optionalString(raw as JsonObject, 'imageTag'),
    };
    const target = requiredString(input, 'targetStorageClass');
    if (target !== 'ARCHIVE' && target !== 'STANDARD') {
      throw constraint('targetStorageClass', 'Member must satisfy enum value set: [STANDARD, ARCHIVE]');
    }
    const image = this.lookup(repo, id);
    if (!image) {
      throw new EcrServiceError('ImageNotFoundException', `The image does not exist within the repository with name '${repo.name}'`);
    }
    if (target === 'ARCHIVE' && image.imageStatus === 'ACTIVE') image.imageStatus = 'ARCHIVED';
    else if (target === 'STANDARD' && image.imageStatus === 'ARCHIVED') image.imageStatus = 'ACTIVATING';
    else throw new EcrServiceError('ImageStorageClassUpdateNotSupportedException', `The image is ${image.imageStatus}`);
    return { registryId, repositoryName: repo.name, imageId: { imageDigest: image.digest }, imageStatus: image.imageStatus };
  }

  private principalArn(input: JsonObject): string {
    const arn = requiredString(input, 'principalArn');
    if (!PRINCIPAL_ARN.test(arn)) throw invalid(`Invalid parameter at 'principalArn': '${arn}' is not an IAM role or user ARN`);
    return arn;
  }

  RegisterPullTimeUpdateExclusion(input: JsonObject): JsonObject {
    const arn = this.principalArn(input);
    const exclusions = this.ctx.pullTimeExclusions;
    if (exclusions.has(arn)) throw new EcrServiceError('ExclusionAlreadyExistsException', `The exclusion for ${arn} already exists`);
    if (exclusions.size >= MAX_PULL_TIME_EXCLUSIONS) {
      throw new EcrServiceError(
        'LimitExceededException',
        `An account may register at most ${MAX_PULL_TIME_EXCLUSIONS} pull time update exclusions`,
      );
    }
    exclusions.add(arn);
    return { principalArn: arn, createdAt: epochSeconds(this.store.nowMs()) };
  }

  DeregisterPullTimeUpdateExclusion(input: JsonObject): JsonObject {
    const arn = this.principalArn(input);
    if (!this.ctx.pullTimeExclusions.delete(arn)) throw new EcrServiceError('ExclusionNotFoundException', `No exclusion for ${arn}`);
    return { principalArn: arn };
  }

  ListPullTimeUpdateExclusions(input: JsonObject): JsonObject {
    const all = [...this.ctx.pullTimeExclusions].sort();
    const limit = pageLimit(input, this.ctx.pageSize.ListPullTimeUpdateExclusions);
    const token = decodeToken(optionalString(input, 'nextToken'), { op: 'ListPullTimeUpdateExclusions', repo: 0 });
    const { items, next } = this.page(
      all.length,
      token?.pos ?? 0,
      limit,
      () => true,
      (pos) => all[pos]!,
    );
    const out: JsonObject = { pullTimeUpdateExclusions: items };
    if (next !== undefined) out.nextToken = encodeToken({ op: 'ListPullTimeUpdateExclusions', repo: 0, pos: next });
    return out;
  }

  /** ECR's answer shape: a base64 `user:password` and the registry endpoint, valid 12 hours in AWS. */
  GetAuthorizationToken(): JsonObject {
    const { username, password, proxyEndpoint, validForMs } = this.ctx.authorization;
    return {
      authorizationData: [
        {
          authorizationToken: Buffer.from(`${username}:${password}`).toString('base64'),
          expiresAt: (Date.now() + validForMs) / 1000,
          proxyEndpoint,
        },
      ],
    };
  }
}

/** One registry's state: its repositories, and its pull-through cache rules and account settings. */
export interface RegistryState {
  store: EcrStore;
  settings: RegistrySettings;
}

export function runOperation(registry: RegistryState, ctx: ApiContext, operation: EcrOperation, input: JsonObject): JsonObject {
  const api = new Api(registry.store, ctx);
  const { settings } = registry;
  switch (operation) {
    case 'DescribePullThroughCacheRules':
      return settings.describeRules(input, api.registryIdOf(input), ctx.pageSize.DescribePullThroughCacheRules);
    case 'CreatePullThroughCacheRule':
      return settings.createRule(input, api.registryIdOf(input));
    case 'GetAccountSetting':
      return settings.getAccountSettingOperation(input);
    case 'PutAccountSetting':
      return settings.putAccountSettingOperation(input);
    case 'DescribeRepositories':
      return api.DescribeRepositories(input);
    case 'DescribeImages':
      return api.DescribeImages(input);
    case 'ListImages':
      return api.ListImages(input);
    case 'BatchGetImage':
      return api.BatchGetImage(input);
    case 'GetAuthorizationToken':
      return api.GetAuthorizationToken();
    case 'ListImageReferrers':
      return api.ListImageReferrers(input);
    case 'UpdateImageStorageClass':
      return api.UpdateImageStorageClass(input);
    case 'RegisterPullTimeUpdateExclusion':
      return api.RegisterPullTimeUpdateExclusion(input);
    case 'DeregisterPullTimeUpdateExclusion':
      return api.DeregisterPullTimeUpdateExclusion(input);
    case 'ListPullTimeUpdateExclusions':
      return api.ListPullTimeUpdateExclusions(input);
  }
}
