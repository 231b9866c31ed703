/** What the inventory of one ECR registry yields: every platform image with its repository and tags. */

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
