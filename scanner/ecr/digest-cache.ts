/**
 * The digest cache: ECR manifest digest -> what the inventory needs of it.
 * Manifests are content-addressed, so an entry can never go stale; what can
 * go wrong is the file itself. It carries a format tag and a checksum of its
 * entries, and every entry is validated, so a corrupt, truncated or foreign
 * file is ignored (costing time, never changing an answer).
 */
import { createHash } from 'node:crypto';
import { DigestCache } from './inventory';
import { ManifestSummary } from './manifest-summary';
import { isVerifiableDigest } from '../oci/digest';

const FORMAT = 'ecr-duplicate-scanner/digest-cache';
const VERSION = 1;

/**
 * On disk: a header line, then the entries as one JSON object on the second
 * line. The header's checksum covers the entries' exact bytes, so checking it
 * needs no re-serialisation. An image is stored as its image ID string, an
 * index as the array of its children, anything else as `{ "o": reason }`:
 * 100,000 entries stay around 10 MB.
 */
interface CacheHeader {
  format: typeof FORMAT;
  version: typeof VERSION;
  entries: number;
  checksum: string;
}

type StoredEntry = string | string[] | { o: string };

export interface LoadedCache {
  cache: MemoryDigestCache;
  /** Why the stored cache was not (fully) used; empty when it was. */
  warnings: string[];
}

function toStored(summary: ManifestSummary): StoredEntry {
  switch (summary.kind) {
    case 'image':
      return summary.imageId;
    case 'index':
      return summary.children;
    default:
      return { o: summary.reason };
  }
}

function fromStored(entry: unknown): ManifestSummary | undefined {
  if (typeof entry === 'string') return isVerifiableDigest(entry) ? { kind: 'image', imageId: entry } : undefined;
  if (Array.isArray(entry)) {
    return entry.every((d) => typeof d === 'string' && isVerifiableDigest(d)) ? { kind: 'index', children: entry as string[] } : undefined;
  }
  if (typeof entry === 'object' && entry !== null && typeof (entry as { o?: unknown }).o === 'string') {
    return { kind: 'other', reason: (entry as { o: string }).o };
  }
  return undefined;
}

function checksumOf(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

interface CacheSlot {
  summary: ManifestSummary;
  /** Asked for or learned this run; only these are saved. */
  used: boolean;
}

export class MemoryDigestCache implements DigestCache {
  private readonly slots = new Map<string, CacheSlot>();
  private added = 0;
  private usedCount = 0;

  get size(): number {
    return this.slots.size;
  }

  get(digest: string): ManifestSummary | undefined {
    const slot = this.slots.get(digest);
    if (!slot) return undefined;
    if (!slot.used) {
      slot.used = true;
      this.usedCount++;
    }
    return slot.summary;
  }

  set(digest: string, summary: ManifestSummary): void {
    const slot = this.slots.get(digest);
    if (slot) {
      slot.summary = summary;
      if (!slot.used) this.usedCount++;
      slot.used = true;
      return;
    }
    this.added++;
    this.usedCount++;
    this.slots.set(digest, { summary, used: true });
  }

  load(digest: string, summary: ManifestSummary): void {
    this.slots.set(digest, { summary, used: false });
  }

  /**
   * Serialises the entries this run touched: digests that left the registry
   * drop out, so the cache stays the size of the registry. Built as one
   * string: an object with 100,000 keys is far slower to assemble and stringify.
   */
  serialize(): string {
    const parts: string[] = [];
    for (const [digest, slot] of this.slots) {
      if (slot.used) parts.push(`${JSON.stringify(digest)}:${JSON.stringify(toStored(slot.summary))}`);
    }
    const body = `{${parts.join(',')}}`;
    const header: CacheHeader = { format: FORMAT, version: VERSION, entries: parts.length, checksum: checksumOf(body) };
    return `${JSON.stringify(header)}\n${body}\n`;
  }

  /** True when saving would change the stored file: new entries, or entries to drop. */
  get needsSave(): boolean {
    return this.added > 0 || this.usedCount !== this.slots.size;
  }
}

export function parseDigestCache(text: string | undefined, where: string): LoadedCache {
  const cache = new MemoryDigestCache();
  if (text === undefined || text === '') return { cache, warnings: [] };
  const ignore = (why: string): LoadedCache => ({ cache, warnings: [`digest cache ${where} ignored (${why}); it will be rebuilt`] });
  const newline = text.indexOf('\n');
  let header: Partial<CacheHeader>;
  try {
    header = JSON.parse(newline === -1 ? text : text.slice(0, newline)) as Partial<CacheHeader>;
  } catch {
    return ignore('not valid JSON, perhaps truncated');
  }
  if (typeof header !== 'object' || header === null || header.format !== FORMAT) return ignore('not a digest cache file');
  if (header.version !== VERSION) return ignore(`format version ${String(header.version)}, expected ${VERSION}`);
  const body = newline === -1 ? '' : text.slice(newline + 1).replace(/\n$/, '');
  if (header.checksum !== checksumOf(body)) return ignore('checksum mismatch: the file was changed, damaged or truncated');
  let entries: unknown;
  try {
    entries = JSON.parse(body);
  } catch {
    return ignore('entries are not valid JSON');
  }
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) return ignore('no entries');
  let invalid = 0;
  // Keys need no check: a malformed one is simply never looked up. Values decide answers, so they are validated.
  const record = entries as Record<string, unknown>;
  for (const digest in record) {
    const summary = fromStored(record[digest]);
    if (summary) cache.load(digest, summary);
    else invalid++;
  }
  return { cache, warnings: invalid > 0 ? [`digest cache ${where}: ${invalid} invalid entries ignored`] : [] };
}
