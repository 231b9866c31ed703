/**
 * Turns the bytes of input.txt into source entries: one per distinct
 * reference, invalid lines kept as errors, so every line is accounted for.
 */
import { formatReference, ImageReference, parseReference, InvalidReferenceError } from '../oci/reference';

export interface ValidSource {
  kind: 'reference';
  line: number;
  duplicateLines: number[];
  input: string;
  reference: ImageReference;
  /** Canonical text, also the key that folds duplicates together. */
  canonical: string;
}

export interface InvalidSource {
  kind: 'invalid';
  line: number;
  input: string;
  error: string;
}

export type SourceEntry = ValidSource | InvalidSource;

export interface ParsedInput {
  entries: SourceEntry[];
  /** Lines that held a reference or an invalid text (not blank, not a comment). */
  contentLines: number;
}

/** Longest input text we copy into a report; a 10,000-character line is shown shortened. */
const INPUT_ECHO_MAX = 200;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function echo(text: string): string {
  return text.length <= INPUT_ECHO_MAX ? text : `${text.slice(0, INPUT_ECHO_MAX)}… (${text.length} characters)`;
}

/** Removes comments and surrounding whitespace; returns '' for a blank or comment-only line. */
export function stripComment(line: string): string {
  const trimmed = line.trim();
  if (trimmed.startsWith('#')) return '';
  const comment = trimmed.search(/\s#/);
  return (comment === -1 ? trimmed : trimmed.slice(0, comment)).trim();
}

function splitLines(bytes: Buffer): Buffer[] {
  const body = bytes.subarray(0, 3).equals(UTF8_BOM) ? bytes.subarray(3) : bytes;
  const lines: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= body.length; i++) {
    if (i === body.length || body[i] === 0x0a) {
      let end = i;
      if (end > start && body[end - 1] === 0x0d) end--;
      lines.push(body.subarray(start, end));
      start = i + 1;
    }
  }
  // A final newline does not start another line.
  if (lines.length > 0 && lines[lines.length - 1]!.length === 0 && body.length > 0 && body[body.length - 1] === 0x0a) {
    lines.pop();
  }
  return lines;
}

export function parseInput(bytes: Buffer): ParsedInput {
  const entries: SourceEntry[] = [];
  const firstByCanonical = new Map<string, ValidSource>();
  let contentLines = 0;
  splitLines(bytes).forEach((raw, index) => {
    const line = index + 1;
    let text: string;
    try {
      text = strictUtf8.decode(raw);
    } catch {
      contentLines++;
      entries.push({ kind: 'invalid', line, input: echo(raw.toString('latin1').trim()), error: 'line is not valid UTF-8' });
      return;
    }
    const content = stripComment(text);
    if (content === '') return;
    contentLines++;
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this line looks for
    if (/[\u0000-\u001f\u007f]/.test(content)) {
      entries.push({
        kind: 'invalid',
        line,
        input: echo(JSON.stringify(content).slice(1, -1)),
        error: 'line contains control characters; is this a text file?',
      });
      return;
    }
    let reference: ImageReference;
    try {
      reference = parseReference(content);
    } catch (err) {
      if (!(err instanceof InvalidReferenceError)) throw err;
      entries.push({ kind: 'invalid', line, input: echo(content), error: `invalid reference: ${err.message}` });
      return;
    }
    const canonical = formatReference(reference);
    const first = firstByCanonical.get(canonical);
    if (first) {
      first.duplicateLines.push(line);
      return;
    }
    const entry: ValidSource = { kind: 'reference', line, duplicateLines: [], input: content, reference, canonical };
    firstByCanonical.set(canonical, entry);
    entries.push(entry);
  });
  return { entries, contentLines };
}
