/**
 * Digests as the OCI image spec defines them (`algorithm:encoded`), and the
 * two algorithms we can compute and so verify (sha256, sha512).
 */
import { createHash } from 'node:crypto';

/** Digest algorithms we can verify, with the length of their hex encoding. */
export const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };

/** The OCI grammar for any algorithm: what a descriptor may carry even if we cannot compute it. */
const OCI_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const VERIFIABLE_DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
/** The looser shape distribution/reference accepts after `@`, so its error can say what is wrong. */
const REFERENCE_DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

export class DigestError extends Error {}

/** True for any digest the OCI grammar allows, of whatever algorithm. */
export function isOciDigest(digest: string): boolean {
  return OCI_DIGEST.test(digest);
}

/** True for a sha256 or sha512 digest in canonical form: the only ones we can check content against. */
export function isVerifiableDigest(digest: string): boolean {
  return VERIFIABLE_DIGEST.test(digest);
}

/** Throws DigestError saying what is wrong with a digest that is not verifiable. */
export function validateDigest(digest: string): void {
  if (!REFERENCE_DIGEST.test(digest)) throw new DigestError(`invalid digest "${digest}"`);
  const [algorithm, hex] = digest.split(':') as [string, string];
  const expected = DIGEST_HEX_LENGTH[algorithm];
  if (expected === undefined) {
    throw new DigestError(`unsupported digest algorithm "${algorithm}" (expected sha256 or sha512)`);
  }
  if (hex.length !== expected) {
    throw new DigestError(`${algorithm} digest must have ${expected} hex characters, got ${hex.length}`);
  }
  if (!/^[a-f0-9]+$/.test(hex)) throw new DigestError(`digest "${digest}" must be lowercase hex`);
}

/** Digest of content in the algorithm another digest names, so a sha512-pinned reference is checked with sha512. */
export function digestOf(bytes: Uint8Array, algorithm = 'sha256'): string {
  if (DIGEST_HEX_LENGTH[algorithm] === undefined) throw new DigestError(`unsupported digest algorithm ${algorithm}`);
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
