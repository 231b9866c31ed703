/**
 * Turns the bytes of input.txt into source entries: one per distinct
 * reference, invalid lines kept as errors, so every line is accounted for.
 */
import { ImageReference, parseReference, InvalidReferenceError } from '../oci/reference';
import { ExpansionSpec, InvalidExpansionError, parseExpansion } from './expansion';
import { Mention } from './mentions';
import { strictUtf8, withoutBom } from './utf8';

export type { InvalidSource, SourceEntry, ValidSource } from './mentions';

/** Longest input text we copy into a report; a 10,000-character line is shown shortened. */
const INPUT_ECHO_MAX = 200;

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

/** The lines of a text file as bytes, a UTF-8 BOM and CR before LF removed; line n is element n - 1. */
export function splitLines(bytes: Buffer): Buffer[] {
  const body = withoutBom(bytes);
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

/** What a line's text reads as, apart from where it is; kept per distinct text, so a line repeated a million times is read once. */
type LineReading =
  | { kind: 'reference'; reference: ImageReference }
  | { kind: 'expansion'; expansion: ExpansionSpec }
  | { kind: 'invalid'; input: string; error: string };

function readLine(content: string): LineReading {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this line looks for
  if (/[\u0000-\u001f\u007f]/.test(content)) {
    return {
      kind: 'invalid',
      input: echo(JSON.stringify(content).slice(1, -1)),
      error: 'line contains control characters; is this a text file?',
    };
  }
  try {
    const expansion = parseExpansion(content);
    if (expansion) return { kind: 'expansion', expansion };
  } catch (err) {
    if (!(err instanceof InvalidExpansionError)) throw err;
    return { kind: 'invalid', input: echo(content), error: `invalid expansion: ${err.message}` };
  }
  try {
    return { kind: 'reference', reference: parseReference(content) };
  } catch (err) {
    if (!(err instanceof InvalidReferenceError)) throw err;
    return { kind: 'invalid', input: echo(content), error: `invalid reference: ${err.message}` };
  }
}

/** Every line of an input.txt as a mention: a reference, an expansion, or an invalid line. Linear in the lines. */
export function parseTextMentions(bytes: Buffer, file: string): { mentions: Mention[]; contentLines: number } {
  const mentions: Mention[] = [];
  const readings = new Map<string, LineReading>();
  let contentLines = 0;
  const lines = splitLines(bytes);
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index]!;
    const origin = { file, line: index + 1 };
    let text: string;
    try {
      text = strictUtf8.decode(raw);
    } catch {
      contentLines++;
      mentions.push({ kind: 'invalid', input: echo(raw.toString('latin1').trim()), error: 'line is not valid UTF-8', origin });
      continue;
    }
    const content = stripComment(text);
    if (content === '') continue;
    contentLines++;
    let reading = readings.get(content);
    if (!reading) {
      reading = readLine(content);
      readings.set(content, reading);
    }
    if (reading.kind === 'invalid') mentions.push({ kind: 'invalid', input: reading.input, error: reading.error, origin });
    else if (reading.kind === 'expansion') mentions.push({ kind: 'expansion', input: content, expansion: reading.expansion, origin });
    else mentions.push({ kind: 'reference', input: content, reference: reading.reference, origin });
  }
  return { mentions, contentLines };
}
