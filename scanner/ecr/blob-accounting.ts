/**
 * What the inventory's blob lists answer, worked over its typed arrays: which ACTIVE manifests list
 * given blobs (the plan's byte accounting asks it of its target registry), and what deleting
 * places frees (ecrDuplicates' freedBytes; test/support/freed-bytes.ts holds its definition as plain
 * data, which the unit tests hold this to). Blobs are handled by id,
 * never as digest text, except in the holders returned.
 */
import type { InventoryStore } from './inventory-store';
import { KIND_IMAGE } from './manifest-table';
import { BlobHolder, EcrPlace } from './types';

/** Every ACTIVE image manifest read that lists any of these digests as its config or a layer: one pass over the rows. */
export function blobHoldersOf(store: InventoryStore, digests: readonly string[]): BlobHolder[] {
  const m = store.manifests;
  const byConfig = new Map<number, number>();
  const byLayer = new Map<number, number>();
  digests.forEach((digest, k) => {
    const config = m.imageIds.find(digest);
    if (config >= 0) byConfig.set(config, k);
    const layer = m.layers.find(digest);
    if (layer >= 0) byLayer.set(layer, k);
  });
  const holders: BlobHolder[] = [];
  if (byConfig.size === 0 && byLayer.size === 0) return holders;
  let listed: number[] = [];
  const listLayer = (layer: number) => {
    const k = byLayer.get(layer);
    if (k !== undefined) listed.push(k);
  };
  for (let row = 0; row < store.size; row++) {
    const digest = store.digestIdAt(row);
    if (!store.isActive(row) || m.kindAt(digest) !== KIND_IMAGE) continue;
    const config = byConfig.get(m.imageIdAt(digest));
    if (config !== undefined) listed.push(config);
    if (byLayer.size > 0) m.forEachLayer(digest, listLayer);
    if (listed.length === 0) continue;
    holders.push({
      repository: store.repositoryAt(row),
      manifestDigest: m.digestAt(digest),
      image: !store.isAttestation(row),
      blobs: [...new Set(listed)].map((k) => digests[k]!),
    });
    listed = [];
  }
  return holders;
}

/**
 * Blob keys: a layer as its layer id, then the config as -1 - its image ID's id, of the image's size
 * less its layers' (as ManifestTable.configSizeAt): one walk of the layers.
 */
function forEachBlobKey(store: InventoryStore, digest: number, fn: (key: number, size: number) => void): void {
  const m = store.manifests;
  if (m.kindAt(digest) !== KIND_IMAGE) return;
  let layerBytes = 0;
  m.forEachLayer(digest, (layer, size) => {
    layerBytes += size;
    fn(layer, size);
  });
  fn(-1 - m.imageIdAt(digest), Math.max(0, m.sizeAt(digest) - layerBytes));
}

/**
 * For each set of places, the bytes deleting them frees. Worked a repository at a time: its ACTIVE
 * manifests' references to the deleted manifests' blobs are counted once, then each set takes the
 * blobs whose every ACTIVE reference it deletes.
 */
export function freedBytesOf(store: InventoryStore, deletions: ReadonlyArray<readonly EcrPlace[]>): number[] {
  const freed = deletions.map(() => 0);
  const repoOf = new Map<string, number>();
  for (let repo = 0; repo < store.repositoryCount; repo++) repoOf.set(store.repositoryName(repo), repo);
  /** repo -> [set index, manifest digest id] of the places deleted there. */
  const byRepo = new Map<number, Array<[number, number]>>();
  deletions.forEach((places, k) => {
    for (const place of places) {
      const repo = repoOf.get(place.repository);
      const digest = store.manifests.findId(place.manifestDigest);
      if (repo === undefined || digest < 0) continue;
      const list = byRepo.get(repo);
      if (list) list.push([k, digest]);
      else byRepo.set(repo, [[k, digest]]);
    }
  });
  for (const [repo, places] of byRepo) freedInRepository(store, repo, places, freed);
  return freed;
}

function freedInRepository(store: InventoryStore, repo: number, places: ReadonlyArray<[number, number]>, freed: number[]): void {
  const [start, end] = store.repositoryRows(repo);
  const rowOf = new Map<number, number>();
  for (let row = start; row < end; row++) if (store.isListed(row)) rowOf.set(store.digestIdAt(row), row);
  // The blobs that matter: those the deleted manifests list. References to them by ACTIVE manifests here.
  const references = new Map<number, number>();
  for (const [, digest] of places) forEachBlobKey(store, digest, (key) => references.set(key, 0));
  for (let row = start; row < end; row++) {
    if (!store.isActive(row)) continue;
    forEachBlobKey(store, store.digestIdAt(row), (key) => {
      const n = references.get(key);
      if (n !== undefined) references.set(key, n + 1);
    });
  }
  const bySet = new Map<number, number[]>();
  for (const [k, digest] of places) {
    const list = bySet.get(k);
    if (list) list.push(digest);
    else bySet.set(k, [digest]);
  }
  for (const [k, digests] of bySet) {
    /** Blob key -> [size, ACTIVE references the set deletes]. */
    const deleted = new Map<number, [number, number]>();
    for (const digest of digests) {
      const row = rowOf.get(digest);
      if (row === undefined) continue;
      const active = store.isActive(row);
      forEachBlobKey(store, digest, (key, size) => {
        const entry = deleted.get(key) ?? [size, 0];
        if (active) entry[1]++;
        deleted.set(key, entry);
      });
    }
    for (const [key, [size, gone]] of deleted) if (references.get(key)! === gone) freed[k]! += size;
  }
}
