/** Data that flows between the scanner's stages: resolved sources, the ECR inventory, matches. */

/** One runnable image of a source: a platform manifest and its config digest. */
export interface SourceImage {
  platform: string;
  manifestDigest: string;
  imageId: string;
}

export type ResolvedSource = { ok: true; digest: string; images: SourceImage[] } | { ok: false; digest?: string; error: string };

/** An image manifest found in ECR (never an index: indexes contribute their tags to their children). */
export interface EcrPlatformImage {
  repository: string;
  manifestDigest: string;
  imageId: string;
  /** Its own tags (sorted), then those of the indexes in the same repository that list it (sorted). */
  tags: string[];
}

export interface EcrInventory {
  accountId: string;
  region: string;
  repositories: number;
  images: number;
  skippedRepositories: string[];
  platformImages: EcrPlatformImage[];
}
