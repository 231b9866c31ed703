/**
 * Manifest facts by digest, held in columns of typed arrays indexed by
 * the digest's id in one DigestTable: the inventory's memory of what every
 * ECR manifest is, and also the digest cache (the same rows are loaded from
 * and saved to the cache file, so a million manifests are never held twice).
 *
 * Per digest id: kind (none / image / index / other), ref (image: the image
 * ID's digest id; index: first entry in `children`; other: entry in
 * `reasons`), num (image: size in bytes; index: number of children), used
 * (unused / used from the cache file / learned this run; only used rows are saved),
 * layers (image: where its layer list starts in `layerPool`; 0: not known).
 *
 * Layer digests are interned in a table of their own (`layers`), their sizes a
 * column by layer id (a blob's size is part of its content), and each image's
 * list is a run of layer ids in one pool, prefixed by its length: at a million
 * images about 1.5 million distinct layers cost some 60 bytes each and a
 * list 4 bytes a layer, where arrays of descriptor objects would cost hundreds.
 * The config blob is the image ID, its size the image's size less its layers'.
 */
import { DigestTable } from './digest-table';
import { IndexChild, BlobDescriptor, ManifestFacts } from './manifest-facts';
import { grown } from './typed-array';

/** Where an image line's layer digests lie in the bytes read (`at`) and their sizes: the cache reader's scratch, reused line to line. */
export interface LayerTexts {
  count: number;
  at: Int32Array;
  sizes: Float64Array;
}

/** Values of `kind`. No facts known: the manifest was never read (archived, a failure) and no cache knew it. */
export const KIND_UNKNOWN = 0;
export const KIND_IMAGE = 1;
export const KIND_INDEX = 2;
/** Read, but neither an image, an index nor an artifact (schema 1, an unknown media type): not comparable. */
export const KIND_OTHER = 3;
/** An OCI artifact (chart, SBOM, signature): ref is its artifact type's code, num its size. */
export const KIND_ARTIFACT = 4;
/** Values of `used`. */
const UNUSED = 0;
const USED = 1;
const LEARNED = 2;

export class ManifestTable {
  /** Manifest digests (listed images, index children): the rows of the columns below. */
  readonly digests = new DigestTable();
  /** Image IDs (config digests) apart, so the columns are not paid for them: a million images name a million image IDs. */
  readonly imageIds = new DigestTable();
  private kind = new Uint8Array(1024);
  private ref = new Int32Array(1024);
  private num = new Float64Array(1024);
  private used = new Uint8Array(1024);
  /** Per manifest id: where its layer list starts in layerPool; 0 when its layers are not known. */
  private layerList = new Int32Array(1024);
  /** Runs of [count, layer id, layer id, …]; entry 0 is unused so that 0 can mean "none". */
  private layerPool = new Int32Array(4096);
  private layerPoolUsed = 1;
  /** Layer blob digests, apart from manifests and image IDs so neither pays for the other's columns. */
  readonly layers = new DigestTable();
  /** Compressed size of each layer blob, by layer id. */
  private layerSizes = new Float64Array(1024);
  private layerScratch = new Int32Array(64);
  /** Pairs (child digest id, platform code): code 0 none, else (platform index + 1) * 2 + attestation bit. */
  private children = new Int32Array(1024);
  private childPairs = 0;
  private readonly platforms: string[] = [];
  /** Platform codes of the few images a source's config named (ECR's API names none): id -> code. */
  private readonly imagePlatforms = new Map<number, number>();
  private readonly platformCodes = new Map<string, number>();
  private readonly reasons: string[] = [];
  private readonly reasonCodes = new Map<string, number>();
  /** Artifact types are few (a handful of signature, SBOM and chart types): each text is kept once. */
  private readonly artifactTypes: string[] = [];
  private readonly artifactTypeCodes = new Map<string, number>();
  /** Referrer artifact id -> its subject's digest id. Referrers are a minority of manifests, so a Map rather than a column. */
  private readonly subjects = new Map<number, number>();
  private factsHeld = 0;
  private added = 0;
  private usedCount = 0;

  /** Number of manifests with a facts. */
  get size(): number {
    return this.factsHeld;
  }

  /** The digest's id, interned. */
  idOf(digest: string): number {
    const id = this.digests.intern(digest);
    this.ensure(id + 1);
    return id;
  }

  /** The digest's id, or -1 if it was never seen. */
  findId(digest: string): number {
    return this.digests.find(digest);
  }

  digestAt(id: number): string {
    return this.digests.digestAt(id);
  }

  hasFacts(id: number): boolean {
    return this.kind[id] !== KIND_UNKNOWN;
  }

  kindAt(id: number): number {
    return this.kind[id] ?? KIND_UNKNOWN;
  }

  /** For an image: the id of its image ID in `imageIds`. */
  imageIdAt(id: number): number {
    return this.ref[id]!;
  }

  imageIdDigest(imageId: number): string {
    return this.imageIds.digestAt(imageId);
  }

  /** For an image or an artifact: config plus layer sizes. */
  sizeAt(id: number): number {
    return this.num[id]!;
  }

  /** True when the image's layer list is known (every manifest read since blob lists were kept). */
  hasLayers(id: number): boolean {
    return this.kind[id] === KIND_IMAGE && this.layerList[id] !== 0;
  }

  /** For an image whose layers are known: calls fn with each listed layer's id and size, in manifest order. */
  forEachLayer(id: number, fn: (layerId: number, size: number) => void): void {
    if (this.kind[id] !== KIND_IMAGE) return;
    const start = this.layerList[id]!;
    if (start === 0) return;
    const end = start + 1 + this.layerPool[start]!;
    for (let k = start + 1; k < end; k++) {
      const layer = this.layerPool[k]!;
      fn(layer, this.layerSizes[layer]!);
    }
  }

  /** The image's config blob size: its size less its layers'. */
  configSizeAt(id: number): number {
    let layers = 0;
    this.forEachLayer(id, (_, size) => (layers += size));
    return Math.max(0, this.num[id]! - layers);
  }

  /** For an artifact: its artifactType (else config media type). */
  artifactTypeAt(id: number): string | undefined {
    return this.kind[id] === KIND_ARTIFACT ? this.artifactTypes[this.ref[id]!] : undefined;
  }

  /** For a referrer: its subject's digest id; -1 for none. */
  subjectAt(id: number): number {
    return this.subjects.get(id) ?? -1;
  }

  /** For an index: calls fn with each child's digest id and whether it is an attestation. */
  forEachChild(id: number, fn: (childId: number, attestation: boolean) => void): void {
    if (this.kind[id] !== KIND_INDEX) return;
    const start = this.ref[id]!;
    const end = start + this.num[id]!;
    for (let k = start; k < end; k++) fn(this.children[2 * k]!, (this.children[2 * k + 1]! & 1) === 1);
  }

  /** Marks the row as needed this run, so the cache keeps it. */
  markUsed(id: number): void {
    if (this.used[id] === UNUSED && this.kind[id] !== KIND_UNKNOWN) {
      this.used[id] = USED;
      this.usedCount++;
    }
  }

  /** Fetched during this run, rather than read from the cache file. */
  learnedThisRun(id: number): boolean {
    return this.used[id] === LEARNED;
  }

  /** Records what a manifest is; learned this run (fetched), so it is used. */
  set(digest: string, facts: ManifestFacts): number {
    const id = this.idOf(digest);
    this.setAt(id, facts);
    return id;
  }

  setAt(id: number, facts: ManifestFacts): void {
    this.store(id, facts);
    this.added++;
    if (this.used[id] === UNUSED) this.usedCount++;
    this.used[id] = LEARNED;
  }

  /** Records a facts read from the cache file: kept only if this run needs it. */
  load(digest: string, facts: ManifestFacts): void {
    this.store(this.idOf(digest), facts);
  }

  /**
   * An image entry read from the cache, without making a string or a facts object (a million of them
   * load on every re-scan): its manifest digest's and image ID's texts are `bytes` at `digestAt`
   * and `imageIdAt`. False, and nothing added, unless both are lowercase sha256 digests.
   */
  loadImageText(bytes: Uint8Array, digestAt: number, imageIdAt: number, sizeBytes: number, layers: LayerTexts): boolean {
    if (!this.digests.decodeDigestText(bytes, digestAt) || !this.imageIds.decodeDigestText(bytes, imageIdAt)) return false;
    // Each table holds its own decoded digest, so the layers are interned before the manifest and image ID
    // (a layer that fails leaves the earlier ones interned without a list naming them: harmless, and rare).
    if (this.layerScratch.length < layers.count) this.layerScratch = new Int32Array(layers.count * 2);
    for (let k = 0; k < layers.count; k++) {
      if (!this.layers.decodeDigestText(bytes, layers.at[k]!)) return false;
      this.layerScratch[k] = this.recordLayer(this.layers.internDecoded(), layers.sizes[k]!);
    }
    const id = this.digests.internDecoded();
    this.ensure(id + 1);
    const image = this.imageIds.internDecoded();
    if (this.kind[id] === KIND_UNKNOWN) this.factsHeld++;
    this.kind[id] = KIND_IMAGE;
    this.ref[id] = image;
    this.num[id] = sizeBytes;
    const start = this.startLayerList(layers.count);
    this.layerPool.set(this.layerScratch.subarray(0, layers.count), start + 1);
    this.layerList[id] = start;
    return true;
  }

  /** Reserves a list of `count` layers in the pool; returns where it starts. */
  private startLayerList(count: number): number {
    const start = this.layerPoolUsed;
    this.layerPool = grown(this.layerPool, start + 1 + count);
    this.layerPool[start] = count;
    this.layerPoolUsed = start + 1 + count;
    return start;
  }

  private recordLayer(layer: number, size: number): number {
    if (layer >= this.layerSizes.length) this.layerSizes = grown(this.layerSizes, layer + 1);
    // Content-addressed: the first size seen is the blob's (a manifest naming another size is wrong, not the blob).
    if (this.layerSizes[layer] === 0) this.layerSizes[layer] = size;
    return layer;
  }

  /** The facts, without marking it used (ECR look-ups by other parts of the scan). */
  peek(digest: string): ManifestFacts | undefined {
    const id = this.digests.find(digest);
    return id < 0 ? undefined : this.factsAt(id);
  }

  /** The facts, marking it used: the digest cache's get. */
  get(digest: string): ManifestFacts | undefined {
    const id = this.digests.find(digest);
    if (id < 0 || this.kind[id] === KIND_UNKNOWN) return undefined;
    this.markUsed(id);
    return this.factsAt(id);
  }

  factsAt(id: number): ManifestFacts | undefined {
    switch (this.kind[id]) {
      case KIND_IMAGE: {
        const code = this.imagePlatforms.get(id);
        const layers: BlobDescriptor[] = [];
        this.forEachLayer(id, (layer, size) => layers.push({ digest: this.layers.digestAt(layer), size }));
        return {
          kind: 'image',
          imageId: this.imageIds.digestAt(this.ref[id]!),
          sizeBytes: this.num[id]!,
          ...(code !== undefined ? { platform: this.platforms[code - 1]! } : {}),
          ...(this.layerList[id] !== 0 ? { layers } : {}),
        };
      }
      case KIND_INDEX: {
        const children: IndexChild[] = [];
        const start = this.ref[id]!;
        const end = start + this.num[id]!;
        for (let k = start; k < end; k++) {
          const code = this.children[2 * k + 1]!;
          const platform = code >> 1 > 0 ? this.platforms[(code >> 1) - 1] : undefined;
          children.push({
            digest: this.digests.digestAt(this.children[2 * k]!),
            ...(platform !== undefined ? { platform } : {}),
            ...(code & 1 ? { attestation: true as const } : {}),
          });
        }
        return { kind: 'index', children };
      }
      case KIND_OTHER:
        return { kind: 'other', reason: this.reasons[this.ref[id]!]! };
      case KIND_ARTIFACT: {
        const subject = this.subjects.get(id);
        return {
          kind: 'artifact',
          artifactType: this.artifactTypes[this.ref[id]!]!,
          sizeBytes: this.num[id]!,
          ...(subject !== undefined ? { subject: this.digests.digestAt(subject) } : {}),
        };
      }
      default:
        return undefined;
    }
  }

  /** True when the image row carries a platform, which the compact image line cannot hold. */
  hasImagePlatform(id: number): boolean {
    return this.imagePlatforms.has(id);
  }

  /** Ids of the rows this run used, in id order: what the cache saves. */
  *usedIds(): Generator<number> {
    const n = this.digests.size;
    for (let id = 0; id < n; id++) if (this.used[id] !== UNUSED && this.kind[id] !== KIND_UNKNOWN) yield id;
  }

  get usedSize(): number {
    return this.usedCount;
  }

  /** True when saving would change the stored file: new entries, or entries to drop. */
  get needsSave(): boolean {
    return this.added > 0 || this.usedCount !== this.factsHeld;
  }

  private ensure(length: number): void {
    if (length <= this.kind.length) return;
    this.kind = grown(this.kind, length);
    this.ref = grown(this.ref, length);
    this.num = grown(this.num, length);
    this.used = grown(this.used, length);
    this.layerList = grown(this.layerList, length);
  }

  private store(id: number, facts: ManifestFacts): void {
    if (this.kind[id] === KIND_UNKNOWN) this.factsHeld++;
    switch (facts.kind) {
      case 'image': {
        this.ref[id] = this.imageIds.intern(facts.imageId);
        this.kind[id] = KIND_IMAGE;
        this.num[id] = facts.sizeBytes;
        // ECR's copy of the same digest names no platform; one a source's config named is kept.
        if (facts.platform !== undefined) this.imagePlatforms.set(id, this.platformCode(facts.platform));
        this.storeLayers(id, facts.layers);
        break;
      }
      case 'index': {
        const start = this.childPairs;
        this.children = grown(this.children, 2 * (start + facts.children.length));
        for (const child of facts.children) {
          const k = this.childPairs++;
          // Interning may replace the column arrays, so it runs before a write into one of them
          // (`this.children[i] = this.idOf(…)` would write into the array it replaced).
          const childId = this.idOf(child.digest);
          this.children[2 * k] = childId;
          this.children[2 * k + 1] =
            (child.platform !== undefined ? this.platformCode(child.platform) * 2 : 0) | (child.attestation ? 1 : 0);
        }
        this.kind[id] = KIND_INDEX;
        this.ref[id] = start;
        this.num[id] = facts.children.length;
        break;
      }
      case 'artifact': {
        // Interned before the writes below, which may otherwise land in a column the interning replaced.
        const subject = facts.subject !== undefined ? this.idOf(facts.subject) : undefined;
        this.kind[id] = KIND_ARTIFACT;
        this.ref[id] = this.textCode(facts.artifactType, this.artifactTypes, this.artifactTypeCodes);
        this.num[id] = facts.sizeBytes;
        if (subject !== undefined) this.subjects.set(id, subject);
        break;
      }
      default:
        this.kind[id] = KIND_OTHER;
        this.ref[id] = this.textCode(facts.reason, this.reasons, this.reasonCodes);
        this.num[id] = 0;
    }
  }

  private storeLayers(id: number, layers: readonly BlobDescriptor[] | undefined): void {
    if (layers === undefined) {
      this.layerList[id] = 0;
      return;
    }
    const start = this.startLayerList(layers.length);
    for (let k = 0; k < layers.length; k++) {
      const layer = layers[k]!;
      this.layerPool[start + 1 + k] = this.recordLayer(this.layers.intern(layer.digest), layer.size);
    }
    this.layerList[id] = start;
  }

  /** Manifests that are not comparable images mostly share a handful of reasons (schema 1), artifacts a handful of types: each text is kept once. */
  private textCode(text: string, texts: string[], codes: Map<string, number>): number {
    let code = codes.get(text);
    if (code === undefined) {
      code = texts.push(text) - 1;
      codes.set(text, code);
    }
    return code;
  }

  private platformCode(platform: string): number {
    let code = this.platformCodes.get(platform);
    if (code === undefined) {
      code = this.platforms.push(platform);
      this.platformCodes.set(platform, code);
    }
    return code;
  }
}
