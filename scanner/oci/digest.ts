import { createHash } from 'node:crypto';
import { DIGEST_HEX_LENGTH } from '../input/reference';

/** Digest of content in the algorithm another digest names, so a sha512-pinned reference is checked with sha512. */
export function digestOf(bytes: Uint8Array, algorithm = 'sha256'): string {
  if (DIGEST_HEX_LENGTH[algorithm] === undefined) throw new Error(`unsupported digest algorithm ${algorithm}`);
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

export function algorithmOf(digest: string): string {
  return digest.slice(0, digest.indexOf(':'));
}

/** True when the bytes hash to the digest; false for a mismatch or an algorithm we cannot compute. */
export function matchesDigest(bytes: Uint8Array, digest: string): boolean {
  const algorithm = algorithmOf(digest);
  return DIGEST_HEX_LENGTH[algorithm] !== undefined && digestOf(bytes, algorithm) === digest;
}
