/**
 * What the plan's copies move: plan.json's `transfer` (docs/plan.md, "What the copies move"), defined so that the bytes
 * an operator budgets for are the bytes the copies upload.
 * Pure: the copies' blobs (config and layer descriptors of every image manifest a copy carries)
 * and the target registry's manifests that list any of them in, numbers out. No blob is read.
 *
 * Terms: a repository *holds* a blob when an ACTIVE manifest the inventory read there lists it;
 * copies are taken in plan order, and a copy that is made carries its blobs into its target
 * repository for the copies after it.
 */
import { BlobDescriptor } from '../ecr/manifest-facts';
import type { BlobMounting } from '../ecr/registry-settings';
import { BlobHolder } from '../ecr/types';
import { DOCKER_HUB } from '../oci/reference';
import { byText } from '../text/by-text';

/** What the accounting needs of one copy of the plan, in plan order. */
export interface CopyBlobs {
  targetRepository: string;
  /** A copy not made (a conflict, an invalid target) carries nothing, and is left out of the sums. */
  made: boolean;
  /** The copy's distinct blobs, each digest once (SourceTransfer.blobs, as source resolution collects them). */
  blobs: readonly BlobDescriptor[];
  /** Manifest GETs the copy makes at its source. */
  pulls: number;
  /** The source's registry host as references name it (`docker.io`, `quay.io`). */
  sourceRegistry: string;
}

/** The ECR image manifest of the target registry that holds the largest part of a copy's bytes. */
export interface NearestImage {
  /** `<registry>/<repository>@<manifest digest>`. */
  uri: string;
  sharedBytes: number;
  /** sharedBytes / bytes, 3 decimals. */
  share: number;
}

export interface CopyTransfer {
  bytes: number;
  uploadBytes: number;
  mountableBytes: number;
  pulls: number;
  nearest?: NearestImage;
}

// Imported by nothing: kept because npm run schemas takes plan.schema.json's description of BlobMounting from its comment.
/** The target registry's BLOB_MOUNTING account setting; "unknown" until GetAccountSetting says. */
export type { BlobMounting };

/**
 * What is learned of the target registry outside its inventory (GetAccountSetting and the like):
 * the seam where that side plugs in. Absent: blobMounting "unknown", no warning.
 */
export interface TargetSettings {
  blobMounting?: BlobMounting;
  /** Said before the plan's own warnings (e.g. a call that was denied). */
  warnings?: readonly string[];
}

export interface PlanTransfer {
  bytes: number;
  uploadBytes: number;
  mountableBytes: number;
  blobMounting: BlobMounting;
  /** Manifest GETs by source registry host, hosts sorted. */
  pullsBySourceRegistry: Record<string, number>;
  warnings: string[];
}

/** Docker Hub's anonymous pull limit: manifest GETs per 6 hours per IPv4 address (or IPv6 /64). */
export const DOCKER_HUB_ANONYMOUS_PULLS = 100;
const DOCKER_HUB_PERSONAL_PULLS = 200;

/** The Docker Hub warning when the plan's pulls there pass the anonymous limit. */
export function dockerHubWarning(pulls: number): string | undefined {
  if (pulls <= DOCKER_HUB_ANONYMOUS_PULLS) return undefined;
  return (
    `${DOCKER_HUB}: ${pulls} manifest pulls; Docker Hub allows ${DOCKER_HUB_ANONYMOUS_PULLS} per 6 hours anonymous (per IP), ` +
    `${DOCKER_HUB_PERSONAL_PULLS} for a personal account, and answers 429 beyond: log in with a paid account, spread the copies ` +
    'over several windows, or serve these images through a pull-through cache'
  );
}

const addTo = (map: Map<string, Set<string>>, key: string, value: string) => {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
};

/** True when `repositories` names one other than `repository`. */
const hasOther = (repositories: ReadonlySet<string> | undefined, repository: string) =>
  repositories !== undefined && (repositories.size > 1 || (repositories.size === 1 && !repositories.has(repository)));

/** Image holders that list the same of the asked blobs, by the first of their URIs in text order. */
interface HolderGroup {
  uri: string;
  blobs: readonly string[];
}

/**
 * Image holders grouped by the asked blobs they list: every copy shares exactly as many bytes with
 * each member of a group, so only its first URI can be nearest. A base layer a hundred thousand
 * images list is then one candidate, not a hundred thousand for every copy built on it.
 */
function groupImageHolders(holders: readonly BlobHolder[], registry: string): { groups: HolderGroup[]; byBlob: Map<string, number[]> } {
  const bySignature = new Map<string, number>();
  const groups: HolderGroup[] = [];
  const byBlob = new Map<string, number[]>();
  for (const holder of holders) {
    if (!holder.image) continue;
    const uri = `${registry}/${holder.repository}@${holder.manifestDigest}`;
    const signature = [...holder.blobs].sort().join(',');
    const g = bySignature.get(signature);
    if (g !== undefined) {
      if (byText(uri, groups[g]!.uri) < 0) groups[g]!.uri = uri;
      continue;
    }
    bySignature.set(signature, groups.push({ uri, blobs: holder.blobs }) - 1);
    for (const digest of holder.blobs) {
      const list = byBlob.get(digest);
      if (list) list.push(groups.length - 1);
      else byBlob.set(digest, [groups.length - 1]);
    }
  }
  return { groups, byBlob };
}

/** The image holder sharing the most of the copy's bytes; ties go to the first URI in text order. */
function nearestOf(
  blobs: readonly BlobDescriptor[],
  bytes: number,
  { groups, byBlob }: { groups: readonly HolderGroup[]; byBlob: ReadonlyMap<string, readonly number[]> },
): NearestImage | undefined {
  const shared = new Map<number, number>();
  for (const blob of blobs) for (const g of byBlob.get(blob.digest) ?? []) shared.set(g, (shared.get(g) ?? 0) + blob.size);
  let best: HolderGroup | undefined;
  let bestBytes = -1;
  for (const [g, sharedBytes] of shared) {
    const group = groups[g]!;
    if (sharedBytes > bestBytes || (sharedBytes === bestBytes && byText(group.uri, best!.uri) < 0)) {
      best = group;
      bestBytes = sharedBytes;
    }
  }
  if (best === undefined) return undefined;
  return { uri: best.uri, sharedBytes: bestBytes, share: bytes > 0 ? Math.round((bestBytes / bytes) * 1000) / 1000 : 0 };
}

/**
 * Each copy's bytes, upload, mountable bytes, pulls and nearest ECR image, and the plan's sums
 * over the copies that are made. `registry`: the target registry's host, for `nearest.uri`.
 */
export function accountTransfer(
  copies: readonly CopyBlobs[],
  holders: readonly BlobHolder[],
  registry: string,
  settings: TargetSettings = {},
): { copies: CopyTransfer[]; transfer: PlanTransfer } {
  /** Blob digest -> repositories holding it. */
  const heldIn = new Map<string, Set<string>>();
  for (const holder of holders) for (const digest of holder.blobs) addTo(heldIn, digest, holder.repository);
  const imageHolders = groupImageHolders(holders, registry);
  /** Blob digest -> repositories an earlier copy carries it into. */
  const carriedInto = new Map<string, Set<string>>();
  const totals = { bytes: 0, uploadBytes: 0, mountableBytes: 0 };
  const pulls = new Map<string, number>();
  const results = copies.map((copy): CopyTransfer => {
    const repository = copy.targetRepository;
    let bytes = 0;
    let uploadBytes = 0;
    let mountableBytes = 0;
    for (const { digest, size } of copy.blobs) {
      bytes += size;
      const held = heldIn.get(digest);
      const carried = carriedInto.get(digest);
      if (held?.has(repository) || carried?.has(repository)) continue;
      uploadBytes += size;
      if (hasOther(held, repository) || hasOther(carried, repository)) mountableBytes += size;
    }
    if (copy.made) {
      for (const { digest } of copy.blobs) addTo(carriedInto, digest, repository);
      totals.bytes += bytes;
      totals.uploadBytes += uploadBytes;
      totals.mountableBytes += mountableBytes;
      pulls.set(copy.sourceRegistry, (pulls.get(copy.sourceRegistry) ?? 0) + copy.pulls);
    }
    const nearest = nearestOf(copy.blobs, bytes, imageHolders);
    return { bytes, uploadBytes, mountableBytes, pulls: copy.pulls, ...(nearest ? { nearest } : {}) };
  });
  const hubWarning = dockerHubWarning(pulls.get(DOCKER_HUB) ?? 0);
  return {
    copies: results,
    transfer: {
      ...totals,
      blobMounting: settings.blobMounting ?? 'unknown',
      pullsBySourceRegistry: Object.fromEntries([...pulls].sort(([a], [b]) => byText(a, b))),
      warnings: [...(settings.warnings ?? []), ...(hubWarning ? [hubWarning] : [])],
    },
  };
}
