/**
 * A synthetic ECR registry and a source registry whose images partly occur in
 * it, for the benchmark and for the tests that compare reports across cache
 * and throttling settings. Sources are served by the emulator's own
 * distribution API, so nothing but Node is needed.
 */
import { DistributionContent } from './ecr/emulator';
import { PlantedImage, SyntheticStore, syntheticStore } from './ecr/synthetic';
import { BuiltImage, buildImage } from './oci-layout';
import { MediaType } from '../scanner/oci/media-types';

export interface SyntheticWorldOptions {
  repositories: number;
  imagesPerRepository: number;
  sources: number;
  /** How many of the sources also occur in ECR. */
  planted: number;
  seed?: number;
}

export interface SyntheticWorld {
  store: SyntheticStore;
  distribution: DistributionContent;
  /** Source repositories in the distribution API, `bench/src-00`…, tag `1`. */
  sourcePaths: string[];
  /** For each source path, the planted (repository, slot) places it must be found at. */
  expected: Map<string, PlantedImage[]>;
  images: BuiltImage[];
}

/**
 * The k-th planted image of a repository: slots of a 50-slot block well away from the synthetic store's
 * index and child slots (the block's first three), so a planted image stays a plain image.
 */
const PLANT_OFFSETS = [25, 10, 15, 20, 30, 35, 40, 45];
const plantSlot = (k: number, perRepo: number) => {
  const slot = 50 * Math.floor(k / PLANT_OFFSETS.length) + PLANT_OFFSETS[k % PLANT_OFFSETS.length]!;
  if (slot >= perRepo) throw new Error(`imagesPerRepository ${perRepo} too small to plant ${k + 1} images in one repository`);
  return slot;
};

export function syntheticWorld(options: SyntheticWorldOptions): SyntheticWorld {
  const { repositories, imagesPerRepository, sources, planted } = options;
  const images = Array.from({ length: sources }, (_, i) =>
    buildImage({ os: 'linux', architecture: i % 4 === 3 ? 'arm64' : 'amd64', files: [{ path: `srv/app-${i}`, content: `source ${i}\n` }] }),
  );
  const sourcePaths = images.map((_, i) => `bench/src-${String(i).padStart(2, '0')}`);
  const expected = new Map<string, PlantedImage[]>(sourcePaths.map((p) => [p, []]));
  const plant: PlantedImage[] = [];
  const name = (r: number) => `bench/repo-${String(r).padStart(4, '0')}`;
  // In a small registry several planted images land in one repository: each takes the next free slot.
  const plantedIn = new Map<string, number>();
  for (let i = 0; i < planted; i++) {
    // Spread the planted images over the registry; every third one twice, in two repositories.
    const places = i % 3 === 0 ? [i * 7, i * 7 + Math.floor(repositories / 2)] : [i * 7];
    for (const r of places) {
      const repository = name(r % repositories);
      const k = plantedIn.get(repository) ?? 0;
      plantedIn.set(repository, k + 1);
      const p = {
        repository,
        imageIndex: plantSlot(k, imagesPerRepository),
        configDigest: images[i]!.configDigest,
      };
      plant.push(p);
      expected.get(sourcePaths[i]!)!.push(p);
    }
  }
  const store = syntheticStore({ repositories, imagesPerRepository, seed: options.seed ?? 42, plant });
  const distribution: DistributionContent = {
    repositories: Object.fromEntries(
      images.map((img, i) => [
        sourcePaths[i]!,
        [{ digest: img.manifestDigest, mediaType: MediaType.ociManifest, manifest: img.manifest, tags: ['1'] }],
      ]),
    ),
    blobs: Object.fromEntries(images.map((img) => [img.configDigest, img.config])),
  };
  return { store, distribution, sourcePaths, expected, images };
}

/**
 * ceil(R/1000) DescribeRepositories + per repository ceil(entries/1000) ListImages pages (every storage
 * class; ListImages names an image once per tag), one DescribeImages of the archived images (none here)
 * and ceil(n/100) BatchGetImage.
 */
export function apiLowerBound(store: SyntheticStore): {
  describeRepositories: number;
  listImages: number;
  describeImages: number;
  batchGetImage: number;
  total: number;
} {
  const repositories = store.repositories.length;
  const imagesPerRepository = repositories === 0 ? 0 : store.imageCount / repositories;
  const describeRepositories = Math.max(1, Math.ceil(repositories / 1000));
  const listImages = store.repositories.reduce((n, r) => n + Math.max(1, Math.ceil(store.listEntriesOf(r.name) / 1000)), 0);
  const describeImages = repositories;
  const batchGetImage = repositories * Math.ceil(imagesPerRepository / 100);
  return {
    describeRepositories,
    listImages,
    describeImages,
    batchGetImage,
    total: describeRepositories + listImages + describeImages + batchGetImage,
  };
}
