/**
 * Interns digests as small integer ids, keeping each sha256 digest once as its
 * 32 raw bytes. A million ECR images name two to three million digests
 * (manifests, image IDs, index children); as JS strings in Maps they cost
 * about 150 bytes each, here about 40 (32 bytes in one slab plus an
 * open-addressing slot table at most half full). Other algorithms (sha512,
 * anything ECR does not use) fall back to a Map so every digest still works.
 */

const SHA256_PREFIX = 'sha256:';
const SHA256 = /^sha256:[0-9a-f]{64}$/;
const BYTES = 32;
const EMPTY = -1;

export class DigestTable {
  private bytes = Buffer.alloc(BYTES * 1024);
  private slots = new Int32Array(2048).fill(EMPTY);
  private count = 0;
  /** Digests that are not lowercase sha256, by text; their ids share the id space (their slab bytes stay zero). */
  private readonly others = new Map<string, number>();
  private readonly otherText = new Map<number, string>();
  private readonly scratch = Buffer.alloc(BYTES);

  /** Number of distinct digests; ids are 0 .. size-1. */
  get size(): number {
    return this.count;
  }

  /** The id of a digest, or -1 when it was never interned. */
  find(digest: string): number {
    if (!SHA256.test(digest)) return this.others.get(digest) ?? EMPTY;
    this.scratch.write(digest.slice(SHA256_PREFIX.length), 0, BYTES, 'hex');
    return this.slots[this.probe(this.scratch)]!;
  }

  /** The id of a digest, adding it when new. */
  intern(digest: string): number {
    if (!SHA256.test(digest)) {
      let id = this.others.get(digest);
      if (id === undefined) {
        id = this.next();
        this.others.set(digest, id);
        this.otherText.set(id, digest);
      }
      return id;
    }
    this.scratch.write(digest.slice(SHA256_PREFIX.length), 0, BYTES, 'hex');
    const slot = this.probe(this.scratch);
    const found = this.slots[slot]!;
    if (found !== EMPTY) return found;
    const id = this.next();
    this.scratch.copy(this.bytes, id * BYTES);
    this.slots[slot] = id;
    // Kept at most half full so probes stay short; growing rehashes from the slab.
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    return id;
  }

  digestAt(id: number): string {
    if (!(id >= 0 && id < this.count)) throw new RangeError(`no digest with id ${id}`);
    const other = this.otherText.size > 0 ? this.otherText.get(id) : undefined;
    return other ?? `${SHA256_PREFIX}${this.bytes.toString('hex', id * BYTES, id * BYTES + BYTES)}`;
  }

  private next(): number {
    const id = this.count++;
    if (this.count * BYTES > this.bytes.length) {
      const bigger = Buffer.alloc(this.bytes.length * 2);
      this.bytes.copy(bigger);
      this.bytes = bigger;
    }
    return id;
  }

  /** The slot holding these bytes, or the empty slot where they belong. Digests are uniformly random, so any 4 bytes hash well. */
  private probe(key: Buffer): number {
    const mask = this.slots.length - 1;
    let slot = (key.readUInt32LE(0) ^ key.readUInt32LE(BYTES - 4)) & mask;
    for (;;) {
      const id = this.slots[slot]!;
      if (id === EMPTY || this.bytes.compare(key, 0, BYTES, id * BYTES, id * BYTES + BYTES) === 0) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private rehash(length: number): void {
    this.slots = new Int32Array(length).fill(EMPTY);
    const mask = length - 1;
    for (let id = 0; id < this.count; id++) {
      if (this.otherText.has(id)) continue;
      const off = id * BYTES;
      let slot = (this.bytes.readUInt32LE(off) ^ this.bytes.readUInt32LE(off + BYTES - 4)) & mask;
      while (this.slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      this.slots[slot] = id;
    }
  }
}
