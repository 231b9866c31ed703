/**
 * Deterministic synthetic ECR content for the benchmark (e.g. 200 x 500 =
 * 100,000 images). Nothing is generated up front: every slot's manifest is a
 * pure function of (seed, repository, slot), built when the emulator first
 * touches the repository and rebuilt whenever BatchGetImage asks for it, so
 * only digests and tags stay in memory.
 *
 * Layers share as real registries' do: every image starts with one of eight
 * distro layers (shared across repositories), then its repository's base
 * layer, then 0 to 2 layers of its own.
 */
import { MediaType } from '../../scanner/oci/media-types';
import { GeneratedImage, LazyImageSource, SlotReference } from './store';

export interface PlantedImage {
  repository: string;
  imageIndex: number;
  /** The image's config digest (its image ID), e.g. one a source registry also has. */
  configDigest: string;
}

export interface SyntheticStoreOptions {
  repositories: number;
  imagesPerRepository: number;
  seed: number;
  /** Default 'bench/repo-'; names are the prefix plus a 4-digit number. */
  namePrefix?: string;
  /** Images whose config digest is given instead of generated; a planted index slot becomes a plain image. */
  plant?: PlantedImage[];
}

export type SyntheticKind = 'image' | 'index' | 'child';

export interface SyntheticRepository {
  name: string;
  createdAt: Date;
  source: LazyImageSource;
}

export interface SyntheticStore {
  readonly repositories: readonly SyntheticRepository[];
  readonly imageCount: number;
  kindAt(repository: string, imageIndex: number): SyntheticKind;
  /** Entries ListImages names in a repository: one per tag, one for an untagged image. */
  listEntriesOf(repository: string): number;
  /** undefined for an index, which has no config. */
  configDigestAt(repository: string, imageIndex: number): string | undefined;
}

// An index every INDEX_EVERY slots, followed by its platform children.
const INDEX_EVERY = 50;
const PLATFORMS = [
  { architecture: 'amd64', os: 'linux' },
  { architecture: 'arm64', os: 'linux', variant: 'v8' },
] as const;
const EPOCH_MS = Date.UTC(2024, 0, 1);

const SALT_FORMAT = 1;
const SALT_TAGS = 2;
const SALT_CONFIG = 3;
const SALT_LAYER = 4;
const SALT_SIZE = 5;
const SALT_DISTRO = 6;
/** Distro layers shared across repositories: every DISTROS-th repository is built on the same one. */
const DISTROS = 8;
/** A repository number no real repository has, so distro layer digests differ from every repository's own. */
const DISTRO_REPOSITORY = 0xffffff;

/**
 * 32-bit multiply without Math.imul: under jest (whose sandbox hands modules
 * another realm's Math) Math.imul calls made generating 100,000 images about
 * three times slower; plain arithmetic is fast everywhere.
 */
function mul32(a: number, b: number): number {
  return ((a & 0xffff) * b + ((((a >>> 16) * b) & 0xffff) << 16)) | 0;
}

/** A 32-bit avalanche hash of four integers (murmur3-style finalisers), so any slot is computable on its own. */
function mix(a: number, b: number, c: number, d: number): number {
  let h = mul32(a ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = mul32(h ^ b, 0xc2b2ae35);
  h ^= h >>> 16;
  h = mul32(h ^ c, 0x27d4eb2f);
  h ^= h >>> 15;
  h = mul32(h ^ d, 0x165667b1);
  h ^= h >>> 16;
  return h >>> 0;
}

// Number#toString(16) costs microseconds per digest; a byte table keeps 100,000 images well under a second.
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex8 = (n: number): string => HEX[n >>> 24] + HEX[(n >>> 16) & 255] + HEX[(n >>> 8) & 255] + HEX[n & 255];

/** A digest-shaped value; ending in repository and slot numbers makes it unique without a hash. */
function fakeDigest(seed: number, repo: number, slot: number, salt: number, part = 0): string {
  const base = mix(seed, repo, slot, salt * 64 + part);
  let hex = 'sha256:';
  for (let k = 0; k < 6; k++) hex += hex8(mix(base, k, salt, part));
  return `${hex}${hex8((repo + salt * 0x1000000) >>> 0)}${hex8((slot * 16 + part) >>> 0)}`;
}

interface Layout {
  kind: SyntheticKind;
  oci: boolean;
  /** Slot of the index for a child. */
  parent?: number;
  platform: number;
}

export function syntheticStore(options: SyntheticStoreOptions): SyntheticStore {
  const { repositories: repoCount, imagesPerRepository: perRepo, seed } = options;
  if (!(Number.isInteger(repoCount) && repoCount >= 0 && Number.isInteger(perRepo) && perRepo >= 0)) {
    throw new Error('repositories and imagesPerRepository must be non-negative integers');
  }
  const prefix = options.namePrefix ?? 'bench/repo-';
  const names = Array.from({ length: repoCount }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
  const repoIndex = new Map(names.map((name, i) => [name, i]));
  const indexOf = (repository: string, slot: number): number => {
    const r = repoIndex.get(repository);
    if (r === undefined) throw new Error(`no synthetic repository ${repository}`);
    if (!(Number.isInteger(slot) && slot >= 0 && slot < perRepo)) throw new Error(`${repository}: no image ${slot}`);
    return r;
  };

  const planted = new Map<string, string>();
  for (const p of options.plant ?? []) {
    if (!/^sha256:[0-9a-f]{64}$/.test(p.configDigest)) throw new Error(`planted config digest ${p.configDigest} is not sha256`);
    planted.set(`${indexOf(p.repository, p.imageIndex)}:${p.imageIndex}`, p.configDigest);
  }

  const isIndexSlot = (repo: number, slot: number): boolean =>
    slot % INDEX_EVERY === 0 && slot + PLATFORMS.length < perRepo && !planted.has(`${repo}:${slot}`);

  const layout = (repo: number, slot: number): Layout => {
    const base = slot - (slot % INDEX_EVERY);
    const offset = slot % INDEX_EVERY;
    if (isIndexSlot(repo, slot)) return { kind: 'index', oci: (mix(seed, repo, slot, SALT_FORMAT) & 1) === 0, platform: 0 };
    if (offset >= 1 && offset <= PLATFORMS.length && isIndexSlot(repo, base)) {
      return { kind: 'child', oci: (mix(seed, repo, base, SALT_FORMAT) & 1) === 0, parent: base, platform: offset - 1 };
    }
    return { kind: 'image', oci: (mix(seed, repo, slot, SALT_FORMAT) & 1) === 0, platform: 0 };
  };

  const configDigest = (repo: number, slot: number): string => planted.get(`${repo}:${slot}`) ?? fakeDigest(seed, repo, slot, SALT_CONFIG);

  const tagsOf = (repo: number, slot: number, kind: SyntheticKind): string[] => {
    if (kind === 'child') return [];
    if (kind === 'index') return slot === 0 ? ['latest', `release-${slot}`] : [`release-${slot}`];
    // About 70% tagged, a few with two tags, the rest untagged (superseded builds).
    const roll = mix(seed, repo, slot, SALT_TAGS) % 10;
    if (roll >= 7) return [];
    return roll === 0 ? [`v1.${slot}`, `build-${slot}`] : [`v1.${slot}`];
  };

  const baseLayers = new Map<number, string>();
  const baseLayer = (repo: number): string => {
    let digest = baseLayers.get(repo);
    if (!digest) baseLayers.set(repo, (digest = fakeDigest(seed, repo, 0, SALT_LAYER, 0)));
    return digest;
  };

  /** The operating-system layers (Debian, Alpine, …) images of many repositories are built on. */
  const distroLayers = new Map<number, { digest: string; size: number }>();
  const distroLayer = (repo: number): { digest: string; size: number } => {
    const distro = repo % DISTROS;
    let layer = distroLayers.get(distro);
    if (!layer) {
      layer = {
        digest: fakeDigest(seed, DISTRO_REPOSITORY, distro, SALT_LAYER, 0),
        size: 3_000_000 + (mix(seed, distro, 0, SALT_DISTRO) % 30_000_000),
      };
      distroLayers.set(distro, layer);
    }
    return layer;
  };

  const imageManifest = (repo: number, slot: number, oci: boolean): { json: string; size: number } => {
    // Layer 0 is the distro layer shared across repositories, layer 1 a base shared by the whole
    // repository, the rest the image's own (0 to 2 of them), as in real registries.
    const layers = 2 + (mix(seed, repo, slot, SALT_SIZE) % 3);
    const layerType = oci ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.docker.image.rootfs.diff.tar.gzip';
    const distro = distroLayer(repo);
    let total = 0;
    let layerJson = '';
    for (let k = 0; k < layers; k++) {
      const size = k === 0 ? distro.size : 1024 + (mix(seed, repo, k === 1 ? 0 : slot, SALT_SIZE * 8 + k) % 50_000_000);
      const digest = k === 0 ? distro.digest : k === 1 ? baseLayer(repo) : fakeDigest(seed, repo, slot, SALT_LAYER, k);
      total += size;
      layerJson += `${k ? ',' : ''}{"mediaType":"${layerType}","digest":"${digest}","size":${size}}`;
    }
    const configSize = 600 + (mix(seed, repo, slot, SALT_CONFIG) % 4000);
    const configType = oci ? MediaType.ociConfig : MediaType.dockerConfig;
    const type = oci ? MediaType.ociManifest : MediaType.dockerManifest;
    const json =
      `{"schemaVersion":2,"mediaType":"${type}",` +
      `"config":{"mediaType":"${configType}","digest":"${configDigest(repo, slot)}","size":${configSize}},` +
      `"layers":[${layerJson}]}`;
    return { json, size: total };
  };

  const sourceFor = (repo: number): LazyImageSource => ({
    count: perRepo,
    generate(slot: number, reference: (slot: number) => SlotReference): GeneratedImage {
      const shape = layout(repo, slot);
      const pushedAt = new Date(EPOCH_MS + repo * 86_400_000 + slot * 60_000);
      const tags = tagsOf(repo, slot, shape.kind);
      if (shape.kind === 'index') {
        const childType = shape.oci ? MediaType.ociManifest : MediaType.dockerManifest;
        let size = 0;
        const children = PLATFORMS.map((platform, k) => {
          const ref = reference(slot + 1 + k);
          size = Math.max(size, imageManifest(repo, slot + 1 + k, shape.oci).size);
          return `{"mediaType":"${childType}","digest":"${ref.digest}","size":${ref.size},"platform":${JSON.stringify(platform)}}`;
        });
        const type = shape.oci ? MediaType.ociIndex : MediaType.dockerManifestList;
        const json = `{"schemaVersion":2,"mediaType":"${type}","manifests":[${children.join(',')}]}`;
        return { manifest: json, mediaType: type, tags, sizeInBytes: size, pushedAt };
      }
      const { json, size } = imageManifest(repo, slot, shape.oci);
      return {
        manifest: json,
        mediaType: shape.oci ? MediaType.ociManifest : MediaType.dockerManifest,
        tags,
        sizeInBytes: size,
        artifactMediaType: shape.oci ? MediaType.ociConfig : MediaType.dockerConfig,
        pushedAt,
      };
    },
  });

  const repositories = names.map((name, repo) => ({
    name,
    createdAt: new Date(EPOCH_MS - (repoCount - repo) * 86_400_000),
    source: sourceFor(repo),
  }));

  return {
    repositories,
    imageCount: repoCount * perRepo,
    kindAt: (repository, slot) => layout(indexOf(repository, slot), slot).kind,
    configDigestAt(repository, slot) {
      const repo = indexOf(repository, slot);
      return layout(repo, slot).kind === 'index' ? undefined : configDigest(repo, slot);
    },
    listEntriesOf(repository) {
      const repo = repoIndex.get(repository);
      if (repo === undefined) throw new Error(`no synthetic repository ${repository}`);
      let entries = 0;
      for (let slot = 0; slot < perRepo; slot++) entries += Math.max(1, tagsOf(repo, slot, layout(repo, slot).kind).length);
      return entries;
    },
  };
}
