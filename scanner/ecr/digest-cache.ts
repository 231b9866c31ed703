/**
 * The digest cache file: ECR manifest digest -> what the inventory needs of it.
 * Manifests are content-addressed, so an entry can never go stale; what can
 * go wrong is the file itself. It carries a format tag and a checksum of its
 * entries, and every entry is validated, so a corrupt, truncated or foreign
 * file is ignored (costing time, never changing an answer).
 *
 * Format 4, one JSON document a line so that a million entries are written
 * and read as a stream, never as one string:
 *
 *     {"format":"ecr-duplicate-scanner/digest-cache","version":4}
 *     {"m":"sha256:…","i":"sha256:…","s":31457280,"l":["sha256:…",31456000]}   an image: image ID, size, layers (digest, size)
 *     {"m":"sha256:…","i":"sha256:…","s":1024,"l":[…],"p":"linux/arm64"}   a source image whose config named its platform
 *     {"m":"sha256:…","c":[{"d":"sha256:…","p":"linux/amd64"},{"d":"sha256:…","a":1}]}   an index
 *     {"m":"sha256:…","t":"application/vnd.cncf.helm.config.v1+json","s":4096,"j":"sha256:…"}   an artifact; j: its subject
 *     {"m":"sha256:…","o":"reason"}                         read, not comparable
 *     {"entries":2,"checksum":"sha256:…"}                   sha256 of the entry lines' bytes
 *
 * The checksum is a trailer because a stream knows it only at the end; a file
 * without it was cut short. Older formats are not read but rebuilt, which costs
 * one cold run: format 1 lacks sizes, format 2 took artifacts (signatures,
 * charts) for images of their config digest, format 3 lacks the layer lists
 * the plan's byte accounting needs. An older file is refused with a message
 * saying it will be rebuilt, which the next save does.
 */
import { createHash, Hash } from 'node:crypto';
import { isVerifiableDigest } from '../oci/digest';
import { IndexChild, BlobDescriptor, ManifestFacts } from './manifest-facts';
import { DIGEST_TEXT_BYTES, isSha256 } from './digest-table';
import { KIND_IMAGE, LayerTexts, ManifestTable } from './manifest-table';
import { grown } from './typed-array';

const FORMAT = 'ecr-duplicate-scanner/digest-cache';
const VERSION = 4;
const HEADER = `${JSON.stringify({ format: FORMAT, version: VERSION })}\n`;

export interface LoadedCache {
  cache: ManifestTable;
  /** Why the stored cache was not (fully) used; empty when it was. */
  warnings: string[];
}

/** A digest as a JSON string; sha256 digests (all of ECR's) need no escaping, so no JSON.stringify a million times. */
const quoted = (digest: string) => (isSha256(digest) ? `"${digest}"` : JSON.stringify(digest));

function entryLine(digest: string, facts: ManifestFacts): string {
  const m = quoted(digest);
  switch (facts.kind) {
    case 'image': {
      const layers = facts.layers !== undefined ? `,"l":[${facts.layers.map((l) => `${quoted(l.digest)},${l.size}`).join(',')}]` : '';
      const platform = facts.platform !== undefined ? `,"p":${JSON.stringify(facts.platform)}` : '';
      return `{"m":${m},"i":${quoted(facts.imageId)},"s":${facts.sizeBytes}${layers}${platform}}\n`;
    }
    case 'index': {
      const children = facts.children.map((c) => ({
        d: c.digest,
        ...(c.platform ? { p: c.platform } : {}),
        ...(c.attestation ? { a: 1 } : {}),
      }));
      return `{"m":${m},"c":${JSON.stringify(children)}}\n`;
    }
    case 'artifact':
      return `{"m":${m},"t":${JSON.stringify(facts.artifactType)},"s":${facts.sizeBytes}${facts.subject !== undefined ? `,"j":${quoted(facts.subject)}` : ''}}\n`;
    default:
      return `{"m":${m},"o":${JSON.stringify(facts.reason)}}\n`;
  }
}

type Json = Record<string, unknown>;

/** `os/arch[/variant]`, as a source image's config named it. */
const PLATFORM = /^[a-z0-9_.-]+(?:\/[a-z0-9_.-]+){1,2}$/;

function childFrom(value: unknown): IndexChild | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { d, p, a } = value as Json;
  if (typeof d !== 'string' || !isVerifiableDigest(d) || (p !== undefined && typeof p !== 'string')) return undefined;
  return { digest: d, ...(typeof p === 'string' ? { platform: p } : {}), ...(a === 1 ? { attestation: true as const } : {}) };
}

const isSize = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;

/** An image line's `l`: digest, size, digest, size, …; undefined when any pair is not valid. */
function layersFrom(value: unknown): BlobDescriptor[] | undefined {
  if (!Array.isArray(value) || value.length % 2 !== 0) return undefined;
  const layers: BlobDescriptor[] = [];
  for (let k = 0; k < value.length; k += 2) {
    const [digest, size] = [value[k] as unknown, value[k + 1] as unknown];
    if (typeof digest !== 'string' || !isVerifiableDigest(digest) || !isSize(size) || size === 0) return undefined;
    layers.push({ digest, size });
  }
  return layers;
}

/** The entry a line holds, or undefined when it is not a valid one (values decide answers, so all are checked). */
function entryFrom(doc: Json): [string, ManifestFacts] | undefined {
  const { m, i, s, p, c, o, t, j, l } = doc;
  if (typeof m !== 'string' || !isVerifiableDigest(m)) return undefined;
  if (typeof i === 'string') {
    if (p !== undefined && (typeof p !== 'string' || !PLATFORM.test(p))) return undefined;
    const layers = l === undefined ? undefined : layersFrom(l);
    if (l !== undefined && layers === undefined) return undefined;
    return isVerifiableDigest(i) && isSize(s)
      ? [
          m,
          {
            kind: 'image',
            imageId: i,
            sizeBytes: s,
            ...(typeof p === 'string' ? { platform: p } : {}),
            ...(layers !== undefined ? { layers } : {}),
          },
        ]
      : undefined;
  }
  if (typeof t === 'string') {
    if (j !== undefined && (typeof j !== 'string' || !isVerifiableDigest(j))) return undefined;
    return t !== '' && typeof s === 'number' && Number.isFinite(s) && s >= 0
      ? [m, { kind: 'artifact', artifactType: t, sizeBytes: s, ...(typeof j === 'string' ? { subject: j } : {}) }]
      : undefined;
  }
  if (Array.isArray(c)) {
    const children = c.map(childFrom);
    return children.every((x) => x !== undefined) ? [m, { kind: 'index', children: children as IndexChild[] }] : undefined;
  }
  return typeof o === 'string' ? [m, { kind: 'other', reason: o }] : undefined;
}

const ascii = (text: string) => Buffer.from(text, 'latin1');
const NEWLINE = 0x0a;
const ENTRY_START = ascii('{"m":');
/**
 * The image line, written and read by position:
 * `{"m":"<digest>","i":"<digest>","s":<size>,"l":["<digest>",<size>,…]}` and a newline,
 * each digest `sha256:` and 64 hex digits (DIGEST_TEXT_BYTES).
 */
const IMAGE_M = ascii('{"m":"');
const IMAGE_I = ascii('","i":"');
const IMAGE_S = ascii('","s":');
const IMAGE_L = ascii(',"l":[');
const IMAGE_END = ascii(']}\n');
const QUOTE = 0x22;
const COMMA = 0x2c;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const IMAGE_I_AT = IMAGE_M.length + DIGEST_TEXT_BYTES;
const IMAGE_S_AT = IMAGE_I_AT + IMAGE_I.length + DIGEST_TEXT_BYTES;
const IMAGE_SIZE_AT = IMAGE_S_AT + IMAGE_S.length;
/** A size of up to 16 digits, as `^(0|[1-9][0-9]{0,15})$` would allow. */
const SIZE_DIGITS_MAX = 16;

function bytesAt(bytes: Uint8Array, offset: number, expected: Uint8Array): boolean {
  for (let k = 0; k < expected.length; k++) if (bytes[offset + k] !== expected[k]) return false;
  return true;
}

/** Where the run of ASCII digits starting at `from` ends (at most `to`). */
function digitsEnd(bytes: Uint8Array, from: number, to: number): number {
  let k = from;
  while (k < to && bytes[k]! >= 0x30 && bytes[k]! <= 0x39) k++;
  return k;
}

/** The size digits of an image line between `from` and `to`, or -1 when they are not a plain non-negative integer. */
function sizeAt(bytes: Uint8Array, from: number, to: number): number {
  const n = to - from;
  if (n < 1 || n > SIZE_DIGITS_MAX || (n > 1 && bytes[from] === 0x30)) return -1;
  let size = 0;
  for (let k = from; k < to; k++) {
    const digit = bytes[k]! - 0x30;
    if (digit < 0 || digit > 9) return -1;
    size = size * 10 + digit;
  }
  return size;
}

/**
 * Reads a cache from its bytes, in chunks of any size. Entries go into the
 * table as they come; if the trailer's checksum then disagrees, the whole
 * table is discarded. The file is read as bytes, not text: the common line (an
 * image) is taken apart by position, its digests decoded straight from the
 * bytes, and the checksum fed whole runs of entry lines at once (a re-scan of
 * a million images read its cache in 2.5-3.0 s line by line as strings, 1.05-1.5 s so).
 */
export class DigestCacheReader {
  private table = new ManifestTable();
  private readonly hash: Hash = createHash('sha256');
  private state: 'header' | 'entries' | 'done' | 'failed' = 'header';
  private why = '';
  private entries = 0;
  private invalid = 0;
  private trailer: { entries?: unknown; checksum?: unknown } | undefined;
  /** The start of a line the chunks so far did not finish, in pieces (joined once its newline comes). */
  private carry: Buffer[] = [];

  constructor(private readonly where: string) {}

  /** The file's next bytes; a line may span chunks. */
  push(chunk: Buffer): void {
    // A file already refused is read to its end (it is a stream) but not looked at.
    if (this.state === 'failed') return;
    let bytes = chunk;
    if (this.carry.length > 0) {
      const newline = chunk.indexOf(NEWLINE);
      if (newline < 0) {
        this.carry.push(Buffer.from(chunk));
        return;
      }
      const line = Buffer.concat([...this.carry, chunk.subarray(0, newline + 1)]);
      this.carry = [];
      this.lines(line);
      bytes = chunk.subarray(newline + 1);
    }
    this.lines(bytes);
  }

  /** The whole lines of `bytes`; what follows the last newline waits for the next chunk. */
  private lines(bytes: Buffer): void {
    let start = 0;
    /** Where the run of entry lines not yet hashed starts, or -1. */
    let run = -1;
    for (let newline = bytes.indexOf(NEWLINE, start); newline >= 0 && this.state !== 'failed'; newline = bytes.indexOf(NEWLINE, start)) {
      const entry = this.state === 'entries' && bytesAt(bytes, start, ENTRY_START);
      if (entry) {
        if (run < 0) run = start;
        this.entry(bytes, start, newline);
      } else {
        if (run >= 0) this.hash.update(bytes.subarray(run, start));
        run = -1;
        this.other(bytes.toString('utf8', start, newline));
      }
      start = newline + 1;
    }
    if (this.state === 'failed') return;
    if (run >= 0) this.hash.update(bytes.subarray(run, start));
    // A copy: the stream may reuse or keep the chunk, and only the tail is needed.
    if (start < bytes.length) this.carry.push(Buffer.from(bytes.subarray(start)));
  }

  end(): LoadedCache {
    // A last line without a newline (the writer always ends one; a hand-edited file may not).
    if (this.carry.length > 0) this.push(Buffer.from([NEWLINE]));
    this.carry = [];
    if (this.state === 'header') return { cache: this.table, warnings: [] };
    if (this.state === 'entries' || this.state === 'done') {
      const checksum = `sha256:${this.hash.digest('hex')}`;
      if (this.trailer?.checksum !== checksum || this.trailer.entries !== this.entries) {
        this.fail('checksum mismatch: the file was changed, damaged or truncated');
      }
    }
    if (this.state === 'failed')
      return { cache: new ManifestTable(), warnings: [`digest cache ${this.where} ignored (${this.why}); it will be rebuilt`] };
    return { cache: this.table, warnings: this.invalid > 0 ? [`digest cache ${this.where}: ${this.invalid} invalid entries ignored`] : [] };
  }

  /** An entry line, `bytes[start..end)` (hashed by the caller). */
  private entry(bytes: Buffer, start: number, end: number): void {
    this.entries++;
    if (this.loadImageLine(bytes, start, end)) return;
    let entry: [string, ManifestFacts] | undefined;
    try {
      entry = entryFrom(JSON.parse(bytes.toString('utf8', start, end)) as Json);
    } catch {
      entry = undefined;
    }
    if (entry) this.table.load(entry[0], entry[1]);
    else this.invalid++;
  }

  /** The header, the trailer, or whatever else a damaged file holds. */
  private other(text: string): void {
    if (this.state === 'failed') return;
    if (this.state === 'header') {
      this.state = 'entries';
      let header: Json;
      try {
        header = JSON.parse(text) as Json;
      } catch {
        return this.fail('not valid JSON, perhaps truncated');
      }
      if (typeof header !== 'object' || header === null || header.format !== FORMAT) return this.fail('not a digest cache file');
      if (header.version !== VERSION) return this.fail(`format version ${String(header.version)}, expected ${VERSION}`);
      return;
    }
    if (this.state === 'done') return this.fail('data after the checksum');
    try {
      this.trailer = JSON.parse(text) as typeof this.trailer;
    } catch {
      this.trailer = undefined;
    }
    this.state = 'done';
  }

  /**
   * The common line, an image, read by position: JSON.parse of a million lines
   * was most of a re-scan's CPU and garbage. Anything else (other digests, a
   * platform, another kind) goes through JSON.parse and full checks.
   */
  private loadImageLine(bytes: Buffer, start: number, end: number): boolean {
    if (
      end - start <= IMAGE_SIZE_AT + 1 ||
      bytes[end - 1] !== CLOSE_BRACE ||
      !bytesAt(bytes, start, IMAGE_M) ||
      !bytesAt(bytes, start + IMAGE_I_AT, IMAGE_I) ||
      !bytesAt(bytes, start + IMAGE_S_AT, IMAGE_S)
    )
      return false;
    const sizeEnd = digitsEnd(bytes, start + IMAGE_SIZE_AT, end);
    const size = sizeAt(bytes, start + IMAGE_SIZE_AT, sizeEnd);
    if (size < 0 || !bytesAt(bytes, sizeEnd, IMAGE_L)) return false;
    const layers = this.layerTexts;
    layers.count = 0;
    let k = sizeEnd + IMAGE_L.length;
    if (bytes[k] === CLOSE_BRACKET) k++;
    else {
      for (;;) {
        if (bytes[k] !== QUOTE || bytes[k + 1 + DIGEST_TEXT_BYTES] !== QUOTE || bytes[k + 2 + DIGEST_TEXT_BYTES] !== COMMA) return false;
        const at = k + 1;
        const digitsFrom = k + 3 + DIGEST_TEXT_BYTES;
        const digitsTo = digitsEnd(bytes, digitsFrom, end);
        const layerSize = sizeAt(bytes, digitsFrom, digitsTo);
        if (layerSize <= 0) return false;
        if (layers.count === layers.at.length) this.growLayerTexts();
        layers.at[layers.count] = at;
        layers.sizes[layers.count++] = layerSize;
        k = digitsTo + 1;
        if (bytes[digitsTo] === CLOSE_BRACKET) break;
        if (bytes[digitsTo] !== COMMA) return false;
      }
    }
    // Exactly `]}` was consumed up to the line's end: nothing after the list.
    if (k !== end - 1) return false;
    return this.table.loadImageText(bytes, start + IMAGE_M.length, start + IMAGE_I_AT + IMAGE_I.length, size, layers);
  }

  /** Layer positions and sizes of the line being read, reused from line to line. */
  private layerTexts: LayerTexts = { count: 0, at: new Int32Array(16), sizes: new Float64Array(16) };

  private growLayerTexts(): void {
    const { at, sizes, count } = this.layerTexts;
    this.layerTexts = { count, at: grown(at, at.length * 2), sizes: grown(sizes, sizes.length * 2) };
  }

  private fail(why: string): void {
    if (this.state === 'failed') return;
    this.state = 'failed';
    this.why = why;
    // Let the partly loaded table go now rather than at the end.
    this.table = new ManifestTable();
  }
}

const CHUNK_BYTES = 64 * 1024;
/** The longest image line the fast path writes: two digests, the fixed parts, a size of up to 16 digits, and its layers. */
const imageLineMax = (layers: number) =>
  IMAGE_M.length +
  IMAGE_I.length +
  IMAGE_S.length +
  IMAGE_L.length +
  IMAGE_END.length +
  2 * DIGEST_TEXT_BYTES +
  SIZE_DIGITS_MAX +
  layers * (DIGEST_TEXT_BYTES + 4 + SIZE_DIGITS_MAX);
/** Images with more layers than this take the general path (a line that fits a chunk's spare room). */
const FAST_LAYERS_MAX = 128;
const IMAGE_LINE_MAX = imageLineMax(FAST_LAYERS_MAX);

function put(out: Buffer, offset: number, bytes: Uint8Array): number {
  for (let k = 0; k < bytes.length; k++) out[offset + k] = bytes[k]!;
  return offset + bytes.length;
}

/**
 * Writes an image entry (nearly all of them) from the table's columns straight
 * into bytes, in the shape loadImageLine reads: a million entries make no
 * string and no facts object. Returns the offset after it, or -1 when the
 * entry needs the general path (a digest kept as text, an unusual size, layers not known or too many).
 */
function writeImageLine(table: ManifestTable, id: number, out: Buffer, offset: number): number {
  const size = table.sizeAt(id);
  if (!(Number.isSafeInteger(size) && size >= 0) || !table.hasLayers(id)) return -1;
  let o = put(out, offset, IMAGE_M);
  o = table.digests.writeDigest(id, out, o);
  if (o < 0) return -1;
  o = put(out, o, IMAGE_I);
  o = table.imageIds.writeDigest(table.imageIdAt(id), out, o);
  if (o < 0) return -1;
  o = put(out, o, IMAGE_S);
  o += out.write(String(size), o, 'latin1');
  o = put(out, o, IMAGE_L);
  let layers = 0;
  table.forEachLayer(id, (layer, layerSize) => {
    if (o < 0 || ++layers > FAST_LAYERS_MAX || !(Number.isSafeInteger(layerSize) && layerSize > 0)) {
      o = -1;
      return;
    }
    if (layers > 1) out[o++] = COMMA;
    out[o++] = QUOTE;
    o = table.layers.writeDigest(layer, out, o);
    if (o < 0) return;
    out[o++] = QUOTE;
    out[o++] = COMMA;
    o += out.write(String(layerSize), o, 'latin1');
  });
  if (o < 0) return -1;
  return put(out, o, IMAGE_END);
}

/**
 * The cache's bytes in chunks of about 64 KB: the entries this run used
 * (digests that left the registry drop out, so the cache stays the size of
 * the registry), then the trailer with the entries' checksum.
 */
export function* serializeDigestCache(table: ManifestTable): Generator<Buffer> {
  const hash = createHash('sha256');
  yield Buffer.from(HEADER, 'utf8');
  let chunk = Buffer.allocUnsafe(CHUNK_BYTES + IMAGE_LINE_MAX);
  let used = 0;
  let entries = 0;
  const flush = (): Buffer => {
    const full = chunk.subarray(0, used);
    hash.update(full);
    chunk = Buffer.allocUnsafe(CHUNK_BYTES + IMAGE_LINE_MAX);
    used = 0;
    return full;
  };
  for (const id of table.usedIds()) {
    entries++;
    const end = table.kindAt(id) === KIND_IMAGE && !table.hasImagePlatform(id) ? writeImageLine(table, id, chunk, used) : -1;
    if (end >= 0) used = end;
    else {
      const line = Buffer.from(entryLine(table.digestAt(id), table.factsAt(id)!), 'utf8');
      if (used > 0 && used + line.length > chunk.length) yield flush();
      if (line.length > chunk.length) {
        hash.update(line);
        yield line;
        continue;
      }
      used += line.copy(chunk, used);
    }
    if (used >= CHUNK_BYTES) yield flush();
  }
  const last = flush();
  yield Buffer.concat([last, Buffer.from(`${JSON.stringify({ entries, checksum: `sha256:${hash.digest('hex')}` })}\n`, 'utf8')]);
}
