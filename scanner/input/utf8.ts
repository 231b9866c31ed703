/**
 * UTF-8 as the inputs are read: strictly where a byte that is not UTF-8 must be an error of its own
 * (input.txt lines, the kind of a file), lossily where the rest of a file is still read; a leading
 * byte-order mark, which Windows editors write, is not part of the text.
 */

/** Throws on bytes that are not UTF-8, so a Latin-1 line is reported rather than read as something else. */
export const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
/** Reads bytes that are not UTF-8 as U+FFFD. */
export const lossyUtf8 = new TextDecoder('utf-8');

const UTF8_BOM_BYTES = Buffer.from([0xef, 0xbb, 0xbf]);
const UTF8_BOM_TEXT = /^\uFEFF/;

/** The bytes without a leading UTF-8 byte-order mark. */
export function withoutBom(bytes: Buffer): Buffer {
  return bytes.subarray(0, 3).equals(UTF8_BOM_BYTES) ? bytes.subarray(3) : bytes;
}

/** The text without a leading byte-order mark. */
export function withoutBomText(text: string): string {
  return text.replace(UTF8_BOM_TEXT, '');
}
