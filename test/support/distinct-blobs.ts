/**
 * A copy's distinct blobs from the blobs its manifests list, as source resolution collects them
 * (SourceTransfer.blobs): the tests' way to hand accountTransfer a copy's blobs.
 */
import { BlobDescriptor } from '../../scanner/ecr/manifest-facts';

/** Each digest once (the first size listed), in the order first listed. */
export function distinctBlobs(blobs: Iterable<BlobDescriptor>): BlobDescriptor[] {
  const seen = new Map<string, BlobDescriptor>();
  for (const blob of blobs) if (!seen.has(blob.digest)) seen.set(blob.digest, { digest: blob.digest, size: blob.size });
  return [...seen.values()];
}
