/**
 * Where the inventory keeps every listed ECR image: one row per (repository,
 * manifest digest) in typed-array columns, repository names interned, digests
 * as ids of the shared ManifestTable, tags as text in one buffer. About 20
 * bytes a row beside the ~40 a digest costs in the table, where objects and
 * string Maps cost well over a kilobyte an image.
 *
 * Rows of one repository are appended together, so a repository is a range.
 * After finish(), platform images are grouped by image ID (a counting sort
 * over digest ids), which answers both matching and duplicates.
 */
import { ManifestTable, KIND_ARTIFACT, KIND_IMAGE, KIND_INDEX, KIND_OTHER, KIND_UNKNOWN } from './manifest-table';
import { duplicateOf, sortDuplicates } from './duplicates';
import { blobHoldersOf, freedBytesOf } from './blob-accounting';
import {
  BlobHolder,
  EcrDuplicate,
  EcrPlace,
  EcrDuplicateLocation,
  EcrHeldManifest,
  EcrInactiveStatus,
  EcrInventoryCounts,
  EcrPlatformImage,
  EcrReferrer,
  ImageIdCounts,
} from './types';
import { grown } from './typed-array';

/** Deleted between listing and BatchGetImage, or its repository vanished. */
const GONE = 1;
/** An attestation entry of an index in the same repository: not a platform image. */
const ATTESTATION = 2;
/** Storage class (row flags, so a status costs no byte more per image): ARCHIVED, ACTIVATING; neither is ACTIVE. */
export const STATUS_ARCHIVED = 4;
export const STATUS_ACTIVATING = 8;
const INACTIVE = STATUS_ARCHIVED | STATUS_ACTIVATING;
/** Flags that keep a row out of matches and duplicates. */
const HIDDEN = GONE | ATTESTATION;

/** A row's storage class as the report names it; undefined for ACTIVE. */
function statusName(flags: number): EcrInactiveStatus | undefined {
  if (flags & STATUS_ARCHIVED) return 'ARCHIVED';
  if (flags & STATUS_ACTIVATING) return 'ACTIVATING';
  return undefined;
}
/** How deep below a tagged index its tags still reach (an index of indexes of images is already rare). */
const MAX_INDEX_DEPTH = 3;

/** The name in the counts (report.json's `kinds`) of each manifest kind code, indexed by the code. */
const KIND_COUNT_NAMES: ReadonlyArray<keyof EcrInventoryCounts['kinds']> = Object.assign([], {
  [KIND_UNKNOWN]: 'unknown',
  [KIND_IMAGE]: 'image',
  [KIND_INDEX]: 'index',
  [KIND_OTHER]: 'other',
  [KIND_ARTIFACT]: 'artifact',
});

function appendTo(map: Map<number, number[]>, key: number, row: number): void {
  const list = map.get(key);
  if (list) list.push(row);
  else map.set(key, [row]);
}

/**
 * One repository's listing while its pages arrive: ListImages names a digest
 * once per tag, possibly across pages, so entries are gathered by digest id
 * before they become rows. Digests are interned as they come, so the page's
 * strings die young instead of living in a Map until the last page.
 */
export class RepositoryListing {
  private readonly ids: number[] = [];
  private readonly tags: Array<string | string[] | undefined> = [];
  /** Status flags (STATUS_ARCHIVED, STATUS_ACTIVATING, or 0) of each digest. */
  private readonly statuses: number[] = [];
  private readonly index = new Map<number, number>();

  constructor(private readonly manifests: ManifestTable) {}

  get size(): number {
    return this.ids.length;
  }

  /** Adds a digest (and its tags: one per call, as ListImages names them, or all, as DescribeImages does); returns its id. */
  add(digest: string, tag: string | readonly string[] | undefined, status = 0): number {
    const id = this.manifests.idOf(digest);
    let k = this.index.get(id);
    if (k === undefined) {
      this.index.set(id, (k = this.ids.push(id) - 1));
      this.tags.push(undefined);
      this.statuses.push(status);
    }
    // ListImages names one tag per entry: a string, handled without making an array for it.
    if (typeof tag === 'string') this.addTag(k, tag);
    else if (tag !== undefined) for (const t of tag) this.addTag(k, t);
    return id;
  }

  private addTag(k: number, tag: string): void {
    if (!tag) return;
    const had = this.tags[k];
    if (had === undefined) this.tags[k] = tag;
    else if (typeof had === 'string') this.tags[k] = [had, tag];
    else had.push(tag);
  }

  idAt(k: number): number {
    return this.ids[k]!;
  }

  statusAt(k: number): number {
    return this.statuses[k]!;
  }

  /** Sets the status flags of a digest added before (by its id). */
  setStatus(id: number, status: number): void {
    const k = this.index.get(id);
    if (k !== undefined) this.statuses[k] = status;
  }

  /** Own tags of the k-th digest: none, one, or several (unsorted). */
  tagsAt(k: number): string | readonly string[] | undefined {
    return this.tags[k];
  }
}

export class InventoryStore {
  private readonly repoNames: string[] = [];
  private readonly repoRange: Array<[number, number]> = [];
  private rows = 0;
  private rowRepo = new Int32Array(1024);
  private rowDigest = new Int32Array(1024);
  private rowFlags = new Uint8Array(1024);
  /** Row r's own tags are tagText[tagStart[r] .. tagStart[r+1]), space-separated (a tag has no spaces). */
  private tagStart = new Int32Array(1025);
  private tagText = Buffer.alloc(64 * 1024);
  private tagBytes = 0;
  private readonly inherited = new Map<number, string[]>();
  private groupStart: Int32Array | undefined;
  private groupRows: Int32Array | undefined;
  /** After finish(): rows whose manifest was not read, by digest id (archived ones mostly: few). */
  private unread = new Map<number, number[]>();
  /** After finish(): referrer rows by their subject's digest id. */
  private referrers = new Map<number, number[]>();

  constructor(readonly manifests: ManifestTable = new ManifestTable()) {}

  get size(): number {
    return this.rows;
  }

  /** Appends a repository's listing; returns the rows' range. */
  addRepository(name: string, listing: RepositoryListing): { repo: number; start: number; end: number } {
    const repo = this.repoNames.push(name) - 1;
    const start = this.rows;
    const end = start + listing.size;
    this.rowRepo = grown(this.rowRepo, end);
    this.rowDigest = grown(this.rowDigest, end);
    this.rowFlags = grown(this.rowFlags, end);
    this.tagStart = grown(this.tagStart, end + 1);
    for (let k = 0; k < listing.size; k++) {
      const row = this.rows++;
      this.rowRepo[row] = repo;
      this.rowDigest[row] = listing.idAt(k);
      this.rowFlags[row] = listing.statusAt(k);
      const tags = listing.tagsAt(k);
      if (tags !== undefined) this.writeTags(typeof tags === 'string' ? tags : [...tags].sort().join(' '));
      this.tagStart[row + 1] = this.tagBytes;
    }
    this.repoRange.push([start, end]);
    return { repo, start, end };
  }

  digestIdAt(row: number): number {
    return this.rowDigest[row]!;
  }

  /** True when the row's image is ARCHIVED or ACTIVATING: it cannot be pulled, so its manifest is not asked for. */
  isInactive(row: number): boolean {
    return (this.rowFlags[row]! & INACTIVE) !== 0;
  }

  repositoryAt(row: number): string {
    return this.repoNames[this.rowRepo[row]!]!;
  }

  /** The image left ECR: it is left out of every answer (it still counts as listed). */
  drop(row: number): void {
    this.rowFlags[row]! |= GONE;
  }

  dropRepository(repo: number): void {
    const [start, end] = this.repoRange[repo]!;
    for (let row = start; row < end; row++) this.rowFlags[row]! |= GONE;
  }

  ownTags(row: number): string[] {
    const start = this.tagStart[row]!;
    const end = this.tagStart[row + 1]!;
    return start === end ? [] : this.tagText.toString('utf8', start, end).split(' ');
  }

  /** Passes index tags to children and groups platform images by image ID; call once, after the last repository. */
  finish(): void {
    for (let repo = 0; repo < this.repoNames.length; repo++) this.linkIndexes(repo);
    for (let row = 0; row < this.rows; row++) {
      if (this.rowFlags[row]! & GONE) continue;
      const digest = this.rowDigest[row]!;
      const kind = this.manifests.kindAt(digest);
      if (kind === KIND_UNKNOWN) appendTo(this.unread, digest, row);
      else if (kind === KIND_ARTIFACT) {
        const subject = this.manifests.subjectAt(digest);
        if (subject >= 0) appendTo(this.referrers, subject, row);
      }
    }
    // Counting sort of platform rows by image ID: counts, then end offsets, then each row placed
    // by decrementing its group's end, which leaves groupStart[id] at the group's start.
    const n = this.manifests.imageIds.size;
    const groupStart = new Int32Array(n + 1);
    for (let row = 0; row < this.rows; row++) if (this.isPlatformImage(row)) groupStart[this.manifests.imageIdAt(this.rowDigest[row]!)]!++;
    for (let id = 1; id <= n; id++) groupStart[id]! += groupStart[id - 1]!;
    const groupRows = new Int32Array(groupStart[n]!);
    for (let row = this.rows - 1; row >= 0; row--) {
      if (this.isPlatformImage(row)) groupRows[--groupStart[this.manifests.imageIdAt(this.rowDigest[row]!)]!] = row;
    }
    this.groupStart = groupStart;
    this.groupRows = groupRows;
  }

  imagesWithId(imageId: string): EcrPlatformImage[] {
    const id = this.manifests.imageIds.find(imageId);
    return this.groupOf(id).map((row) => this.imageAt(row));
  }

  unreadWithDigest(manifestDigest: string): EcrHeldManifest[] {
    const id = this.manifests.findId(manifestDigest);
    return (this.unread.get(id) ?? []).map((row) => {
      const status = statusName(this.rowFlags[row]!);
      return { repository: this.repositoryAt(row), manifestDigest, tags: this.tagsAt(row), ...(status ? { imageStatus: status } : {}) };
    });
  }

  referrersOf(subjectDigest: string): EcrReferrer[] {
    const id = this.manifests.findId(subjectDigest);
    return (this.referrers.get(id) ?? []).map((row) => {
      const digest = this.rowDigest[row]!;
      return {
        repository: this.repositoryAt(row),
        digest: this.manifests.digestAt(digest),
        artifactType: this.manifests.artifactTypeAt(digest)!,
      };
    });
  }

  /** Listed places by manifest kind and storage class (deleted ones left out). */
  countRows(): EcrInventoryCounts['kinds'] & { archived: number; activating: number; notCompared: number } {
    const counts = { image: 0, index: 0, artifact: 0, other: 0, unknown: 0, archived: 0, activating: 0, notCompared: 0 };
    for (let row = 0; row < this.rows; row++) {
      const flags = this.rowFlags[row]!;
      if (flags & GONE) continue;
      const kind = this.manifests.kindAt(this.rowDigest[row]!);
      counts[KIND_COUNT_NAMES[kind] ?? 'other']++;
      if (flags & STATUS_ARCHIVED) counts.archived++;
      if (flags & STATUS_ACTIVATING) counts.activating++;
      // Not readable, and no other place nor the cache knew the manifest.
      if (kind === KIND_UNKNOWN && flags & INACTIVE) counts.notCompared++;
    }
    return counts;
  }

  *platformImages(): Generator<EcrPlatformImage> {
    for (let row = 0; row < this.rows; row++) if (this.isPlatformImage(row)) yield this.imageAt(row);
  }

  duplicates(): EcrDuplicate[] {
    const { groupStart } = this.finished();
    const result: EcrDuplicate[] = [];
    for (let id = 0; id + 1 < groupStart.length; id++) {
      if (groupStart[id + 1]! - groupStart[id]! < 2) continue;
      const locations: EcrDuplicateLocation[] = this.groupOf(id).map((row) => {
        const digest = this.rowDigest[row]!;
        const status = statusName(this.rowFlags[row]!);
        return {
          repository: this.repoNames[this.rowRepo[row]!]!,
          manifestDigest: this.manifests.digestAt(digest),
          tags: this.tagsAt(row),
          sizeBytes: this.manifests.sizeAt(digest),
          ...(status ? { imageStatus: status } : {}),
        };
      });
      result.push(duplicateOf(this.manifests.imageIdDigest(id), locations));
    }
    const freed = this.freedBytes(result.map((d) => d.locations.slice(1)));
    result.forEach((d, k) => (d.freedBytes = freed[k]!));
    return sortDuplicates(result);
  }

  /** Every ACTIVE image manifest read that lists any of these digests as its config or a layer (blob-accounting.ts). */
  blobHolders(digests: readonly string[]): BlobHolder[] {
    return blobHoldersOf(this, digests);
  }

  /** For each set of places, the bytes deleting them frees (blob-accounting.ts). */
  freedBytes(deletions: ReadonlyArray<readonly EcrPlace[]>): number[] {
    return freedBytesOf(this, deletions);
  }

  /** Repositories added, in order; a repository's rows are a range. */
  get repositoryCount(): number {
    return this.repoNames.length;
  }

  repositoryName(repo: number): string {
    return this.repoNames[repo]!;
  }

  repositoryRows(repo: number): readonly [number, number] {
    return this.repoRange[repo]!;
  }

  /** Still in ECR (not deleted while the scan read it). */
  isListed(row: number): boolean {
    return (this.rowFlags[row]! & GONE) === 0;
  }

  /** Still in ECR and ACTIVE: what "holds" a blob. */
  isActive(row: number): boolean {
    return (this.rowFlags[row]! & (GONE | INACTIVE)) === 0;
  }

  /** An index's attestation manifest, not a platform image. */
  isAttestation(row: number): boolean {
    return (this.rowFlags[row]! & ATTESTATION) !== 0;
  }

  /** How many (repository, manifest digest) places hold each image ID of a platform image here. */
  imageIdCounts(): ImageIdCounts {
    const { groupStart } = this.finished();
    const places = new Int32Array(groupStart.length - 1);
    for (let id = 0; id < places.length; id++) places[id] = groupStart[id + 1]! - groupStart[id]!;
    return { imageIds: this.manifests.imageIds, places };
  }

  private finished(): { groupStart: Int32Array; groupRows: Int32Array } {
    if (!this.groupStart || !this.groupRows) throw new Error('InventoryStore: finish() was not called');
    return { groupStart: this.groupStart, groupRows: this.groupRows };
  }

  private groupOf(id: number): number[] {
    const { groupStart, groupRows } = this.finished();
    if (id < 0 || id + 1 >= groupStart.length) return [];
    return Array.from(groupRows.subarray(groupStart[id]!, groupStart[id + 1]!));
  }

  private isPlatformImage(row: number): boolean {
    return (this.rowFlags[row]! & HIDDEN) === 0 && this.manifests.kindAt(this.rowDigest[row]!) === KIND_IMAGE;
  }

  private tagsAt(row: number): string[] {
    const own = this.ownTags(row);
    const inherited = this.inherited.get(row);
    return inherited ? [...own, ...inherited] : own;
  }

  private imageAt(row: number): EcrPlatformImage {
    const digest = this.rowDigest[row]!;
    const status = statusName(this.rowFlags[row]!);
    return {
      repository: this.repoNames[this.rowRepo[row]!]!,
      manifestDigest: this.manifests.digestAt(digest),
      imageId: this.manifests.imageIdDigest(this.manifests.imageIdAt(digest)),
      tags: this.tagsAt(row),
      ...(status ? { imageStatus: status } : {}),
    };
  }

  private writeTags(text: string): void {
    const needed = this.tagBytes + Buffer.byteLength(text);
    if (needed > this.tagText.length) {
      const bigger = Buffer.alloc(Math.max(needed, this.tagText.length * 2));
      this.tagText.copy(bigger, 0, 0, this.tagBytes);
      this.tagText = bigger;
    }
    this.tagBytes += this.tagText.write(text, this.tagBytes, 'utf8');
  }

  /**
   * In ECR an index's children are listed as (usually untagged) images of the
   * same repository and the tag sits on the index, so a child inherits the
   * tags of the indexes listing it: a match can then name the tag a user pushed.
   * Attestation entries are marked so they are not taken for platform images.
   */
  private linkIndexes(repo: number): void {
    const [start, end] = this.repoRange[repo]!;
    let hasIndex = false;
    for (let row = start; row < end && !hasIndex; row++) hasIndex = this.manifests.kindAt(this.rowDigest[row]!) === KIND_INDEX;
    if (!hasIndex) return;
    const rowOf = new Map<number, number>();
    for (let row = start; row < end; row++) if ((this.rowFlags[row]! & GONE) === 0) rowOf.set(this.rowDigest[row]!, row);
    const passed = new Map<number, Set<string>>();
    const pass = (digest: number, tags: string[], depth: number) => {
      if (depth >= MAX_INDEX_DEPTH) return;
      this.manifests.forEachChild(digest, (child, attestation) => {
        const row = rowOf.get(child);
        if (row === undefined) return;
        if (attestation) this.rowFlags[row]! |= ATTESTATION;
        if (tags.length === 0) return;
        const kind = this.manifests.kindAt(child);
        if (kind === KIND_INDEX) pass(child, tags, depth + 1);
        else if (kind !== KIND_UNKNOWN) {
          let set = passed.get(row);
          if (!set) passed.set(row, (set = new Set()));
          for (const t of tags) set.add(t);
        }
      });
    };
    for (let row = start; row < end; row++) {
      const digest = this.rowDigest[row]!;
      if (this.manifests.kindAt(digest) === KIND_INDEX && (this.rowFlags[row]! & GONE) === 0) pass(digest, this.ownTags(row), 0);
    }
    for (const [row, set] of passed) {
      const own = this.ownTags(row);
      const extra = [...set].filter((t) => !own.includes(t)).sort();
      if (extra.length > 0) this.inherited.set(row, extra);
    }
  }
}
