/**
 * The distribution spec's error body (`{"errors":[{"code","message"}]}`) and
 * the kind of failure each code means, so a 404 for a missing tag and a 404
 * for a missing repository read differently, and DENIED is not "not found".
 */
import { ErrorKind } from '../errors/scan-error';

export interface RegistryErrorCode {
  code: string;
  message: string;
}

const CODE_KINDS: Readonly<Record<string, ErrorKind>> = {
  MANIFEST_UNKNOWN: 'not-found',
  NAME_UNKNOWN: 'not-found',
  BLOB_UNKNOWN: 'not-found',
  TAG_INVALID: 'invalid',
  NAME_INVALID: 'invalid',
  DIGEST_INVALID: 'invalid',
  MANIFEST_INVALID: 'invalid',
  UNAUTHORIZED: 'unauthorized',
  DENIED: 'denied',
  UNSUPPORTED: 'protocol',
  TOOMANYREQUESTS: 'rate-limited',
};

/** The first error code of a body, or undefined when the body is not the spec's error document. */
export function parseRegistryError(body: Uint8Array): RegistryErrorCode | undefined {
  if (body.byteLength === 0 || body.byteLength > 64 * 1024) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return undefined;
  }
  const first = (doc as { errors?: unknown }).errors;
  if (!Array.isArray(first) || first.length === 0) return undefined;
  const { code, message } = first[0] as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !/^[A-Z_]{1,64}$/.test(code)) return undefined;
  // A registry's message is untrusted text that ends up in reports: keep it short and on one line.
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const text = typeof message === 'string' ? message.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 200) : '';
  return { code, message: text };
}

export function kindOfCode(code: string): ErrorKind | undefined {
  return CODE_KINDS[code];
}
