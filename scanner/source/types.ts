/** What resolving a source reference yields: its platform images and their image IDs. */

/** One runnable image of a source: a platform manifest and its config digest. */
export interface SourceImage {
  platform: string;
  manifestDigest: string;
  imageId: string;
}

import { ErrorKind } from '../errors/scan-error';
import { SourceReferrer } from './referrers';

export type ResolvedSource =
  | {
      ok: true;
      digest: string;
      images: SourceImage[];
      /** Signatures, attestations, SBOMs whose subject is `digest`; absent when not looked for (a source in the scanned ECR registry). */
      referrers?: SourceReferrer[];
      referrersError?: string;
    }
  | { ok: false; digest?: string; error: string; errorKind: ErrorKind };
