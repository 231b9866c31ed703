/**
 * Interns digests as small integer ids, keeping each sha256 digest once as its
 * 32 raw bytes. A million ECR images name two to three million digests
 * (manifests, image IDs, index children); as JS strings in Maps they cost
 * about 150 bytes each, here about 40 (32 bytes in one slab plus an
 * open-addressing slot table at most half full). Other algorithms (sha512,
 * anything ECR does not use) fall back to a Map so every digest still works.
 *
 * The slab is read as 32-bit words so a probe compares eight integers in
 * JavaScript rather than calling Buffer.compare (measured: a tenth of the
 * inventory's own CPU went to compare and regex checks). It is a list of 4 MiB
 * pages rather than one array that doubles: doubling a 32 MB slab holds 96 MB
 * for a moment and leaves the old copy to the garbage collector.
 */

const SHA256_PREFIX = 'sha256:';
const PREFIX = SHA256_PREFIX.length;
const HEX_CHARS = 64;
const BYTES = 32;
const WORDS = BYTES / 4;
const EMPTY = -1;
const PREFIX_BYTES = Buffer.from(SHA256_PREFIX, 'latin1');
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
/** Each byte's value as a lowercase hex digit; 255 for every other byte (uppercase included, as digests are lowercase). */
const HEX_VALUE = new Uint8Array(256).fill(255);
for (let k = 0; k < 16; k++) HEX_VALUE[HEX_DIGITS[k]!] = k;
/** Bytes writeDigest writes. */
export const DIGEST_TEXT_BYTES = PREFIX + HEX_CHARS;
/** Digests a page holds (2^17 x 32 bytes = 4 MiB). */
const PAGE_SHIFT = 17;
const PAGE_IDS = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_IDS - 1;

/**
 * Decodes a lowercase `sha256:` digest's 32 bytes into `scratch`; false for anything
 * else. Buffer#write stops at the first pair that is not hex, and a lowercase string
 * is its own toLowerCase(): both native, together 155 ns a digest where a JS loop over
 * the 71 characters took 380 (measured at two million digests).
 */
function decodeSha256(digest: string, scratch: Buffer): boolean {
  return (
    digest.length === PREFIX + HEX_CHARS &&
    digest.startsWith(SHA256_PREFIX) &&
    scratch.write(digest.slice(PREFIX), 0, BYTES, 'hex') === BYTES &&
    digest.toLowerCase() === digest
  );
}

const checkScratch = Buffer.alloc(BYTES);

/** `sha256:` and 64 lowercase hex digits. */
export function isSha256(digest: string): boolean {
  return decodeSha256(digest, checkScratch);
}

export class DigestTable {
  private readonly pages: Buffer[] = [];
  private readonly pageWords: Int32Array[] = [];
  private slots = new Int32Array(2048).fill(EMPTY);
  /** A byte more of each slot's digest: a probe that meets another digest tells 255 times in 256 without a cache miss in the pages. */
  private tags = new Uint8Array(2048);
  private count = 0;
  /** Digests that are not lowercase sha256, by text; their ids share the id space (their slab bytes stay zero). */
  private readonly others = new Map<string, number>();
  private readonly otherText = new Map<number, string>();
  private readonly scratch = Buffer.alloc(BYTES);
  private readonly key = new Int32Array(this.scratch.buffer, this.scratch.byteOffset, WORDS);

  /** Number of distinct digests; ids are 0 .. size-1. */
  get size(): number {
    return this.count;
  }

  /** The id of a digest, or -1 when it was never interned. */
  find(digest: string): number {
    if (!decodeSha256(digest, this.scratch)) return this.others.get(digest) ?? EMPTY;
    return this.slots[this.probe()]!;
  }

  /** The id of a digest, adding it when new. */
  intern(digest: string): number {
    if (!decodeSha256(digest, this.scratch)) {
      let id = this.others.get(digest);
      if (id === undefined) {
        id = this.next();
        this.others.set(digest, id);
        this.otherText.set(id, digest);
      }
      return id;
    }
    return this.internDecoded();
  }

  /**
   * Checks and decodes a digest's text given as bytes (`bytes[offset..offset+71)`, what
   * writeDigest writes) for internDecoded, so a cache file read as bytes makes no string per
   * digest. False, with nothing to intern, for anything but `sha256:` and 64 lowercase hex digits.
   */
  decodeDigestText(bytes: Uint8Array, offset: number): boolean {
    if (!(offset >= 0 && offset + DIGEST_TEXT_BYTES <= bytes.length)) return false;
    for (let k = 0; k < PREFIX; k++) if (bytes[offset + k] !== PREFIX_BYTES[k]) return false;
    const hex = offset + PREFIX;
    const out = this.scratch;
    for (let k = 0; k < BYTES; k++) {
      const hi = HEX_VALUE[bytes[hex + 2 * k]!]!;
      const lo = HEX_VALUE[bytes[hex + 2 * k + 1]!]!;
      if ((hi | lo) > 15) return false;
      out[k] = (hi << 4) | lo;
    }
    return true;
  }

  /** The id of the digest decodeDigestText() last accepted, adding it when new. */
  internDecoded(): number {
    const slot = this.probe();
    const found = this.slots[slot]!;
    if (found !== EMPTY) return found;
    const id = this.next();
    this.pageWords[id >>> PAGE_SHIFT]!.set(this.key, (id & PAGE_MASK) * WORDS);
    this.slots[slot] = id;
    this.tags[slot] = this.key[1]! & 0xff;
    // Kept at most half full so probes stay short; growing rehashes from the slab.
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    return id;
  }

  /**
   * The id here of digest `id` of another table, adding it when new: its 32 bytes are copied, so
   * joining two tables makes no text per digest (a digest kept as text is interned as text).
   */
  internFrom(other: DigestTable, id: number): number {
    if (!(id >= 0 && id < other.count)) throw new RangeError(`no digest with id ${id}`);
    const text = other.otherText.size > 0 ? other.otherText.get(id) : undefined;
    if (text !== undefined) return this.intern(text);
    const base = (id & PAGE_MASK) * BYTES;
    other.pages[id >>> PAGE_SHIFT]!.copy(this.scratch, 0, base, base + BYTES);
    return this.internDecoded();
  }

  /**
   * Writes the digest's text (`sha256:` and 64 hex digits, 71 bytes) into `out`
   * at `offset` and returns the offset after it, or -1 for a digest kept as
   * text (not sha256). Saving a million-entry cache this way makes no string.
   */
  writeDigest(id: number, out: Uint8Array, offset: number): number {
    if (this.otherText.size > 0 && this.otherText.has(id)) return -1;
    const page = this.pages[id >>> PAGE_SHIFT]!;
    const base = (id & PAGE_MASK) * BYTES;
    let o = offset;
    for (let k = 0; k < PREFIX; k++) out[o++] = PREFIX_BYTES[k]!;
    for (let k = 0; k < BYTES; k++) {
      const byte = page[base + k]!;
      out[o++] = HEX_DIGITS[byte >>> 4]!;
      out[o++] = HEX_DIGITS[byte & 15]!;
    }
    return o;
  }

  digestAt(id: number): string {
    if (!(id >= 0 && id < this.count)) throw new RangeError(`no digest with id ${id}`);
    const other = this.otherText.size > 0 ? this.otherText.get(id) : undefined;
    const offset = (id & PAGE_MASK) * BYTES;
    return other ?? `${SHA256_PREFIX}${this.pages[id >>> PAGE_SHIFT]!.toString('hex', offset, offset + BYTES)}`;
  }

  private next(): number {
    const id = this.count++;
    const page = id >>> PAGE_SHIFT;
    if (page === 0) {
      // The first page starts small and doubles to full size, so a small registry (or a test) stays small.
      const first = this.pages[0];
      if (!first || id * BYTES >= first.length) this.setPage(0, Math.min(PAGE_IDS, first ? (first.length / BYTES) * 2 : 1024), first);
    } else if (page === this.pages.length) this.setPage(page, PAGE_IDS);
    return id;
  }

  private setPage(index: number, ids: number, copyFrom?: Buffer): void {
    const page = Buffer.alloc(ids * BYTES);
    copyFrom?.copy(page);
    this.pages[index] = page;
    this.pageWords[index] = new Int32Array(page.buffer, page.byteOffset, page.length / 4);
  }

  /** Digests are uniformly random, so two of their words hash well. */
  private slotOf(w0: number, w7: number, mask: number): number {
    return (w0 ^ w7) & mask;
  }

  /** The slot holding the scratch key, or the empty slot where it belongs. */
  private probe(): number {
    const { key, slots, tags, pageWords } = this;
    const mask = slots.length - 1;
    const tag = key[1]! & 0xff;
    let slot = this.slotOf(key[0]!, key[7]!, mask);
    for (;;) {
      const id = slots[slot]!;
      if (id === EMPTY) return slot;
      if (tags[slot] === tag) {
        const words = pageWords[id >>> PAGE_SHIFT]!;
        const base = (id & PAGE_MASK) * WORDS;
        if (
          words[base] === key[0] &&
          words[base + 1] === key[1] &&
          words[base + 2] === key[2] &&
          words[base + 3] === key[3] &&
          words[base + 4] === key[4] &&
          words[base + 5] === key[5] &&
          words[base + 6] === key[6] &&
          words[base + 7] === key[7]
        ) {
          return slot;
        }
      }
      slot = (slot + 1) & mask;
    }
  }

  private rehash(length: number): void {
    const slots = new Int32Array(length).fill(EMPTY);
    const tags = new Uint8Array(length);
    const mask = length - 1;
    const skip = this.otherText.size > 0;
    for (let id = 0; id < this.count; id++) {
      if (skip && this.otherText.has(id)) continue;
      const words = this.pageWords[id >>> PAGE_SHIFT]!;
      const base = (id & PAGE_MASK) * WORDS;
      let slot = this.slotOf(words[base]!, words[base + 7]!, mask);
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = id;
      tags[slot] = words[base + 1]! & 0xff;
    }
    this.slots = slots;
    this.tags = tags;
  }
}
