/**
 * One `--input` file, whatever its kind: input.txt lines, Kubernetes YAML or
 * JSON, or a compose file, told by its content unless `--input-format` says.
 * A file too large or not text is an error entry of its own (the other inputs
 * are still read); a file that cannot be read at all ends the run (exit 2),
 * as the contract has always said of input.txt.
 */
import { constants, Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { FatalError } from '../errors/fatal-error';
import { parseComposeMentions } from './compose';
import { parseTextMentions, splitLines } from './input-file';
import { parseKubernetesMentions } from './kubernetes';
import { Mention } from './mentions';
import { lossyUtf8, strictUtf8, withoutBomText } from './utf8';

export const INPUT_FORMATS = ['text', 'kubernetes', 'compose'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** An input larger than this is refused unread: a million-line input.txt is 100 MB; a cluster's `kubectl get pods -A -o json` is a few. */
export const MAX_INPUT_BYTES = 32 * 1024 * 1024;

export class InputFileError extends FatalError {}

export interface ReadInput {
  file: string;
  format: InputFormat;
  mentions: Mention[];
}

/**
 * The kind of a file from its content: JSON or YAML with top-level
 * `apiVersion`/`kind`/`items` is Kubernetes, with top-level `services` is
 * compose; anything else is input.txt (whose lines are never YAML keys
 * followed by a colon and a space at the start of a line).
 */
export function detectInputFormat(text: string): InputFormat {
  const body = withoutBomText(text);
  const head = body.trimStart();
  if (head.startsWith('{') || head.startsWith('['))
    return /"services"\s*:/.test(body) && !/"apiVersion"\s*:/.test(body) ? 'compose' : 'kubernetes';
  if (/^(?:apiVersion|kind|items):(?:\s|$)/m.test(body)) return 'kubernetes';
  if (/^services:\s*$/m.test(body)) return 'compose';
  return 'text';
}

function describeReadError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return code ?? (err as Error).message;
}

/** What a file that is not a regular file is, for the message refusing it; undefined for a regular file. */
function notRegular(stat: Stats): string | undefined {
  if (stat.isFile()) return undefined;
  if (stat.isDirectory()) return 'it is a directory';
  if (stat.isFIFO()) return 'it is a pipe (FIFO), which may never end; write what it gives to a file and give that';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'it is a device, not a file';
  if (stat.isSocket()) return 'it is a socket, not a file';
  return 'it is not a regular file';
}

/** The file's bytes, or undefined when it is over the limit (read no further than the limit). */
async function readBounded(path: string): Promise<{ bytes: Buffer; size: number } | { tooLarge: number }> {
  let handle;
  try {
    // Non-blocking, so opening a FIFO no one writes to returns at once (and is then refused) instead of waiting for ever.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new InputFileError(`cannot read input file ${path}: ${describeReadError(err)}`);
  }
  try {
    const stat = await handle.stat();
    const refused = notRegular(stat);
    if (refused) throw new InputFileError(`cannot read input file ${path}: ${refused}`);
    if (stat.size > MAX_INPUT_BYTES) return { tooLarge: stat.size };
    // Not only stat: a file growing meanwhile has no trustworthy size.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(1024 * 1024);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > MAX_INPUT_BYTES) return { tooLarge: total };
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return { bytes: Buffer.concat(chunks), size: total };
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    throw new InputFileError(`cannot read input file ${path}: ${describeReadError(err)}`);
  } finally {
    await handle.close();
  }
}

const fileError = (file: string, format: InputFormat, error: string): ReadInput => ({
  file,
  format,
  mentions: [{ kind: 'invalid', input: file, error, origin: { file, line: 0 } }],
});

export async function readInput(file: string, forced?: InputFormat): Promise<ReadInput> {
  const read = await readBounded(file);
  if ('tooLarge' in read) {
    const mib = (n: number) => `${Math.round(n / (1024 * 1024))} MiB`;
    return fileError(
      file,
      forced ?? 'text',
      `the file is over ${mib(read.tooLarge)}, more than the ${mib(MAX_INPUT_BYTES)} an input may be; split it`,
    );
  }
  const { bytes } = read;
  const strict = strictTextOf(bytes);
  if (strict !== undefined) {
    const format = forced ?? detectInputFormat(strict);
    if (format === 'text') return { file, format, mentions: parseTextMentions(bytes, file).mentions };
    return { file, format, mentions: parseStructured(format, withoutBomText(strict), file) };
  }
  // A NUL or a byte that is not UTF-8 somewhere. The kind is still told by the content (one Latin-1 byte must not turn
  // a manifest into input.txt lines): a manifest is read with those bytes as U+FFFD, and they are an error of their own.
  const lossy = lossyUtf8.decode(bytes).replaceAll('\u0000', '\uFFFD');
  const detected = detectInputFormat(lossy);
  const format = forced ?? detected;
  // input.txt keeps its line-by-line rules: each undecodable line is an error of its own.
  if (format === 'text') return { file, format, mentions: parseTextMentions(bytes, file).mentions };
  if (detected !== format) return fileError(file, format, `the file is not UTF-8 text (binary?); a ${format} input is YAML or JSON`);
  const mentions = [badBytesMention(bytes, file), ...parseStructured(format, withoutBomText(lossy), file)];
  // In file order, the bad line among the images around it.
  return { file, format, mentions: mentions.sort((a, b) => a.origin.line - b.origin.line) };
}

function parseStructured(format: Exclude<InputFormat, 'text'>, text: string, file: string): Mention[] {
  return format === 'kubernetes' ? parseKubernetesMentions(text, file) : parseComposeMentions(text, file);
}

/** Lines named in a message about bad bytes; the rest are counted. */
const BAD_LINES_NAMED = 5;

/** One error for the lines of a structured file that hold a NUL or bytes that are not UTF-8: the first by line and column, a few more by line. */
function badBytesMention(bytes: Buffer, file: string): Mention {
  const bad: Array<{ line: number; column: number; nul: boolean }> = [];
  let count = 0;
  splitLines(bytes).forEach((raw, index) => {
    const nulAt = raw.indexOf(0);
    // Columns count characters, as an editor does: the text before the byte, decoded.
    const nulColumn = nulAt === -1 ? -1 : lossyUtf8.decode(raw.subarray(0, nulAt)).length;
    let badColumn = -1;
    try {
      strictUtf8.decode(raw);
    } catch {
      badColumn = lossyUtf8.decode(raw).indexOf('\uFFFD');
    }
    if (nulColumn === -1 && badColumn === -1) return;
    count++;
    const nul = nulColumn !== -1 && (badColumn === -1 || nulColumn <= badColumn);
    if (bad.length < BAD_LINES_NAMED) bad.push({ line: index + 1, column: (nul ? nulColumn : badColumn) + 1, nul });
  });
  const first = bad[0]!;
  const what = first.nul ? 'a NUL byte' : 'a byte that is not UTF-8 (a Latin-1 or Windows-1252 file?)';
  const others = bad.slice(1).map((b) => b.line);
  const more = count > 1 ? `; so do ${count - 1} more line(s): ${others.join(', ')}${count > bad.length ? ', …' : ''}` : '';
  return {
    kind: 'invalid',
    input: `${file} line ${first.line}`,
    error: `line ${first.line}, column ${first.column} of ${file} holds ${what}${more}; read as U+FFFD, the rest of the file is read (save it as UTF-8)`,
    origin: { file, line: first.line },
  };
}

/** The bytes as text, or undefined when they are not UTF-8 or hold a NUL. */
function strictTextOf(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}
