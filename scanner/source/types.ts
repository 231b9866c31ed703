/** What resolving a source reference yields: its platform images and their image IDs. */

/** One runnable image of a source: a platform manifest and its config digest. */
export interface SourceImage {
  platform: string;
  manifestDigest: string;
  imageId: string;
}

import { ErrorKind } from '../errors/scan-error';
import { BlobDescriptor } from '../ecr/manifest-facts';

/** What copying the source would move: from the manifests resolution reads anyway. */
export interface SourceTransfer {
  /** The distinct config and layer blobs of every image manifest read (an index's attestation manifests left out). */
  blobs: BlobDescriptor[];
  /** Manifest GETs a copy makes at the source: 1, or 1 + the index's children (attestations included). */
  pulls: number;
}
import { SourceReferrer } from './referrers';

export type ResolvedSource =
  | {
      ok: true;
      digest: string;
      images: SourceImage[];
      /** Signatures, attestations, SBOMs whose subject is `digest`; absent when not looked for (a source in the scanned ECR registry). */
      referrers?: SourceReferrer[];
      referrersError?: string;
      referrersErrorKind?: ErrorKind;
      /** Absent for a source in the scanned ECR registry (nothing to copy). */
      transfer?: SourceTransfer;
    }
  | { ok: false; digest?: string; error: string; errorKind: ErrorKind };
