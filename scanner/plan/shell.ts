/** Quoting for generated bash: whatever a value holds, it stays one word and runs nothing. */

/** One single-quoted bash word; inside single quotes only `'` is special, written `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Text for a `#` comment: a comment ends at a newline, so every control
 * character (and the Unicode line separators, for editors that break there)
 * becomes a space and nothing after it can become a command.
 */
export function commentText(value: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
}
